# syntax=docker/dockerfile:1
# The Sluice control plane. Build from the repository root:
#   docker build -f deploy/docker/control-plane.Dockerfile -t sluice/control-plane:dev .
# Configuration is environment only (docs/configuration.md); production needs SLUICE_DATABASE_URL,
# SLUICE_CONFIG_FILE (trusted issuers) and the agent link's TLS certificate (docs/deploy.md).

# The Node line the project builds and tests on (package.json engines: >=20.19). Node 20 reached end
# of life on 2026-04-30 and gets no more security fixes: build with
# --build-arg NODE_IMAGE=node:22-bookworm-slim (or 24) once the tests pass there (docs/deploy.md).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install, compile, and stage the app with only its production dependencies -------------
FROM ${NODE_IMAGE} AS build
ENV CI=true
RUN npm install --global pnpm@12.4.2
WORKDIR /repo
# Dependencies first, so this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm build
# The same command test/deploy.test.ts stages and runs: dist/ + production node_modules, the
# workspace libs copied in (their package.json "files": dist, and the contract's proto/).
RUN pnpm --filter @sluice/control-plane deploy --prod --offline /out

# ---- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="sluice-control-plane" \
      org.opencontainers.image.description="Sluice control plane: identity, policy, approvals, sessions and the agent link" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

# A fixed numeric uid, so Kubernetes can check runAsNonRoot; the agent image uses 10002.
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sluice \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/sluice

WORKDIR /app
# Owned by root and read-only to the process: it cannot change its own code.
COPY --from=build /out/ ./
COPY deploy/docker/healthcheck.mjs deploy/docker/migrate.mjs ./

# Secure defaults: production mode refuses the development shortcuts (plaintext gRPC, the embedded
# database, the development issuer). The compose demo sets SLUICE_ENV=development explicitly.
ENV NODE_ENV=production \
    SLUICE_ENV=production \
    SLUICE_HTTP_HOST=0.0.0.0 \
    SLUICE_HTTP_PORT=8080 \
    SLUICE_GRPC_HOST=0.0.0.0 \
    SLUICE_GRPC_PORT=8443 \
    SLUICE_STATE_DIR=/var/lib/sluice

USER 10001:10001
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs", "control-plane"]
# Other commands: `docker run --rm --entrypoint node IMAGE dist/cli.js agent-key generate`,
# `docker run --rm --entrypoint node -e SLUICE_DATABASE_URL=… IMAGE migrate.mjs`.
ENTRYPOINT ["node", "dist/main.js"]
