#!/bin/sh
# Seeds the demo target. The postgres image's entrypoint runs it once, when the data directory is
# new (mounted into /docker-entrypoint-initdb.d by compose and by the Kubernetes dev overlay):
#   1. creates the role the agent logs in as (its password from DEMO_OWNER_PASSWORD, never a file)
#      and makes it the owner of the database and of schema public;
#   2. runs demo-customers.sql as that role, so it owns public.customers.
# Only the agent holds this role's password; clients reach the data through the agent alone.
# Optional: DEMO_OWNER_ROLE (default demo_owner), DEMO_CUSTOMERS_SQL (default /sluice-demo/demo-customers.sql).
# No `set -u` and no `exit`: the entrypoint sources scripts that are not executable.
set -e
: "${DEMO_OWNER_PASSWORD:?DEMO_OWNER_PASSWORD must be set for the demo target}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role="${DEMO_OWNER_ROLE:-demo_owner}" -v password="$DEMO_OWNER_PASSWORD" -v db="$POSTGRES_DB" \
  -v data="${DEMO_CUSTOMERS_SQL:-/sluice-demo/demo-customers.sql}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
ALTER DATABASE :"db" OWNER TO :"role";
ALTER SCHEMA public OWNER TO :"role";
SET ROLE :"role";
\i :data
SQL
