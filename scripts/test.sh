#!/usr/bin/env bash
# The whole test suite on a bare machine: installs what the tests need (Debian packages, the
# Docker engine, the sandbox image), builds, and runs every test with real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/setup/system.sh
[ -f scripts/setup/docker.sh ] && bash scripts/setup/docker.sh
[ -f sandbox/build-offline.sh ] && bash sandbox/build-offline.sh
npm run --silent build
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
