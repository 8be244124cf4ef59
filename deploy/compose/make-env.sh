#!/bin/sh
# Writes the compose quick start's .env from .env.example, with fresh random secrets (needs openssl).
#   sh make-env.sh [FILE]     (default: .env beside this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/.env}
if [ -e "$out" ]; then
  echo "make-env: $out exists; to start over delete it and run \`docker compose down --volumes\` (the databases keep the old passwords)" >&2
  exit 1
fi
# base64url without padding: safe in URLs, YAML and sed replacements.
random() { openssl rand -base64 "$1" | tr '+/' '-_' | tr -d '=\n'; }
umask 077
sed \
  -e "s|^CONTROL_PLANE_DB_PASSWORD=.*|CONTROL_PLANE_DB_PASSWORD=$(random 24)|" \
  -e "s|^DEMO_TARGET_ADMIN_PASSWORD=.*|DEMO_TARGET_ADMIN_PASSWORD=$(random 24)|" \
  -e "s|^DEMO_OWNER_PASSWORD=.*|DEMO_OWNER_PASSWORD=$(random 24)|" \
  -e "s|^SLUICE_DEV_ISSUER_SECRET=.*|SLUICE_DEV_ISSUER_SECRET=$(random 24)|" \
  -e "s|^SLUICE_AGENT_KEY=.*|SLUICE_AGENT_KEY=sak_$(openssl rand -hex 8).$(random 32)|" \
  "$here/.env.example" >"$out"
echo "make-env: wrote $out"
