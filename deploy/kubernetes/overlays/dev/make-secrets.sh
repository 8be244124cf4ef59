#!/bin/sh
# Creates what the dev overlay references but does not contain, with fresh random values: the
# Secrets, and the ConfigMap with the agent link's CA certificate (deploy/compose/make-certs.sh).
#   sh deploy/kubernetes/overlays/dev/make-secrets.sh             create them (kubectl's current context)
#   sh deploy/kubernetes/overlays/dev/make-secrets.sh --dry-run   print them instead
# Needs kubectl and openssl. Refuses to overwrite: to start over, `kubectl delete namespace sluice-dev`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=sluice-dev
dry_run=false
if [ "${1:-}" = --dry-run ]; then dry_run=true; fi

if ! $dry_run && kubectl get secret sluice-control-plane --namespace "$ns" >/dev/null 2>&1; then
  echo "make-secrets: the secrets exist in namespace $ns already; delete the namespace to start over" >&2
  exit 1
fi

# base64url without padding: safe in URLs and YAML.
random() { openssl rand -base64 "$1" | tr '+/' '-_' | tr -d '=\n'; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

SLUICE_CERT_KEY_OWNER="$(id -u):$(id -g)" sh "$here/../../../compose/make-certs.sh" "$work/certs" \
  sluice-control-plane "sluice-control-plane.$ns.svc" "sluice-control-plane.$ns.svc.cluster.local" >&2
db_password=$(random 24)
owner_password=$(random 24)
agent_key="sak_$(openssl rand -hex 8).$(random 32)"

emit() {
  kubectl create --dry-run=client --output=yaml --namespace "$ns" "$@"
  echo '---'
}
{
  emit secret generic sluice-postgres --from-literal=password="$db_password"
  emit secret generic sluice-control-plane \
    --from-literal=database-url="postgres://sluice:$db_password@sluice-postgres:5432/sluice" \
    --from-literal=bootstrap-agent-keys="$agent_key" \
    --from-literal=dev-issuer-secret="$(random 24)"
  emit secret tls sluice-agent-link-tls --cert="$work/certs/control-plane.pem" --key="$work/certs/control-plane-key.pem"
  emit configmap sluice-agent-link-ca --from-file=ca.crt="$work/certs/ca.pem"
  emit secret generic sluice-agent-demo \
    --from-literal=agent-key="$agent_key" \
    --from-literal=mask-key="$(openssl rand -base64 32)" \
    --from-literal=demo-owner-password="$owner_password"
  emit secret generic demo-target \
    --from-literal=admin-password="$(random 24)" \
    --from-literal=demo-owner-password="$owner_password"
} >"$work/objects.yaml"

if $dry_run; then
  cat "$work/objects.yaml"
else
  kubectl create namespace "$ns" --dry-run=client --output=yaml | kubectl apply -f -
  kubectl apply -f "$work/objects.yaml"
fi
