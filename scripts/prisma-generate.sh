#!/usr/bin/env bash
# `prisma generate` without network: the CLI insists on locating its native schema engine even
# though generate never runs it, so point it at any existing file unless one is configured.
set -euo pipefail
cd "$(dirname "$0")/.."
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$PWD/package.json}"
exec npx --no-install prisma generate
