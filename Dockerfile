# One image for the API, the worker and the migration job (docker-compose.yml picks the command).
#
#   docker build -t lead-lifecycle-engine .
#   docker run lead-lifecycle-engine                               # API (default)
#   docker run lead-lifecycle-engine node dist/worker/main.js      # worker
#   docker run lead-lifecycle-engine node dist/scripts/db-migrate.js
#   docker run -e OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 lead-lifecycle-engine   # with traces (README, Beyond one machine)

# --- build: dependencies, Prisma client, TypeScript -> dist/ -----------------------------------
FROM node:20-bookworm-slim AS build
# openssl: Prisma detects the platform's OpenSSL to pick its schema engine build.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app

COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: npm 11 leaves other platforms' optional binaries out of the
# lockfile, which `npm ci` then rejects as out of sync. The lockfile still pins every version.
RUN npm install --no-audit --no-fund
# Fetch Prisma's schema engine now (`prisma migrate deploy` needs it), so the runtime image
# never has to download into its read-only node_modules.
RUN npx --no-install prisma version

COPY . .
# Generates the Prisma client into generated/prisma (compiled along with the rest below).
RUN bash scripts/prisma-generate.sh
# rootDir '.', outDir 'dist': api/main.ts -> dist/api/main.js, worker/main.ts -> dist/worker/main.js,
# scripts/db-migrate.ts -> dist/scripts/db-migrate.js (`npm run build` is the same). Then the workflow bundles (plain and traced)
# into dist/.data/workflow-bundles: the worker loads its bundle from there and never runs webpack
# itself (worker/bundle.ts: that kept ~160 MiB resident for the worker's life).
RUN npx tsc -p tsconfig.build.json && node dist/worker/bundle-cli.js --all

# --- runtime ------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    CHECKPOINT_DISABLE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    API_HOST=0.0.0.0 \
    API_PORT=3000 \
    NODE_OPTIONS=--max-old-space-size=768 \
    MALLOC_ARENA_MAX=2
# The heap limit is the worker's (worker/sandbox.ts, WORKER_HEAP_MIB: its cache of 1,000 leads fits
# well inside); the API needs far less and is bounded by it too. Each process has its container.
# MALLOC_ARENA_MAX: two glibc malloc arenas instead of one per thread (worker/sandbox.ts, WORKER_ENV).
WORKDIR /app

# node_modules keeps the dev dependencies: the migration job runs the `prisma` CLI.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/prisma.config.ts /app/package.json ./
# scripts/lib/migrate.ts (MIGRATOR=builtin, or the fallback of MIGRATOR=auto) finds the migrations
# upwards from its own file: dist/scripts/lib -> /app/prisma/migrations.

# The official image's unprivileged user.
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
