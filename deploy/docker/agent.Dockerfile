# syntax=docker/dockerfile:1
# The Sluice agent. Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t sluice/agent:dev .
# Configure it with a YAML file at /etc/sluice/agent.yaml (or SLUICE_AGENT_CONFIG) plus environment
# variables (docs/configuration.md); the agent key comes from SLUICE_AGENT_KEY_FILE.

# The Node line the project builds and tests on (package.json engines: >=20.19). Node 20 reached end
# of life on 2026-04-30 and gets no more security fixes: build with
# --build-arg NODE_IMAGE=node:22-bookworm-slim (or 24) once the tests pass there (docs/deploy.md).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install, compile, and stage the app with only its production dependencies -------------
FROM ${NODE_IMAGE} AS build
ENV CI=true
RUN npm install --global pnpm@12.4.2
WORKDIR /repo
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline
RUN pnpm build
# The same command test/deploy.test.ts stages and runs.
RUN pnpm --filter @sluice/agent deploy --prod --offline /out

# ---- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="sluice-agent" \
      org.opencontainers.image.description="Sluice agent: runs beside the targets, proxies clients, defers every decision to the control plane" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"

# A fixed numeric uid (not the control plane's 10001: a shared volume's private key stays private).
RUN groupadd --system --gid 10002 sluice \
 && useradd --system --uid 10002 --gid 10002 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sluice \
 && install -d -o 10002 -g 10002 -m 0700 /var/lib/sluice-agent

WORKDIR /app
COPY --from=build /out/ ./
COPY deploy/docker/healthcheck.mjs ./

ENV NODE_ENV=production \
    SLUICE_AGENT_CONFIG=/etc/sluice/agent.yaml \
    SLUICE_AGENT_STATE_DIR=/var/lib/sluice-agent

USER 10002:10002
# The ports clients use are the `listen` addresses in the config file (6432 in the examples). The
# admin endpoints (/healthz, /readyz, /metrics) stay on 127.0.0.1:9464 unless SLUICE_AGENT_ADMIN_LISTEN
# says otherwise.
EXPOSE 6432
# Healthy when the agent is ready (control plane link up, recording has room, not draining) and every
# connection's listener accepts TCP.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs", "agent"]
ENTRYPOINT ["node", "dist/main.js"]
