#!/bin/sh
# Makes the agent link's certificates: a private CA and the control plane's server certificate signed
# by it, for the DNS names given. The CA's private key is deleted as soon as the certificate is
# signed, so nothing can mint another one; to renew, delete DIR and run again.
# Used by the compose quick start (its one-shot `certs` service) and by the Kubernetes dev overlay's
# make-secrets.sh. Needs OpenSSL 1.1.1 or later. Keeps existing certificates.
#   make-certs.sh DIR DNS-NAME...
# Writes DIR/ca.pem and DIR/control-plane.pem (mode 0444) and DIR/control-plane-key.pem (mode 0400;
# when run as root, owned by uid:gid $SLUICE_CERT_KEY_OWNER, default 10001:10001, the control-plane
# image's user: the agent image's user, 10002, cannot read it).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: make-certs.sh DIR DNS-NAME..." >&2
  exit 2
fi
dir=$1
shift
if [ -s "$dir/ca.pem" ] && [ -s "$dir/control-plane.pem" ] && [ -s "$dir/control-plane-key.pem" ]; then
  echo "make-certs: $dir already holds the agent link certificates"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
san=""
for name in "$@"; do san="${san:+$san,}DNS:$name"; done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
  -subj "/CN=Sluice agent link CA" -keyout "$work/ca-key.pem" -out "$work/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=$1" -keyout "$work/key.pem" -out "$work/request.pem"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" >"$work/extensions.cnf"
openssl x509 -req -days 825 -in "$work/request.pem" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" \
  -CAcreateserial -CAserial "$work/ca.srl" -extfile "$work/extensions.cnf" -out "$work/cert.pem"

mkdir -p "$dir"
install -m 0400 "$work/key.pem" "$dir/control-plane-key.pem"
if [ "$(id -u)" = 0 ]; then chown "${SLUICE_CERT_KEY_OWNER:-10001:10001}" "$dir/control-plane-key.pem"; fi
install -m 0444 "$work/cert.pem" "$dir/control-plane.pem"
install -m 0444 "$work/ca.pem" "$dir/ca.pem"
echo "make-certs: wrote $dir/ca.pem, control-plane.pem, control-plane-key.pem for $san"
