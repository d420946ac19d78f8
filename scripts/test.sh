#!/usr/bin/env bash
# The whole test suite on a bare machine: installs what the tests need (Debian packages, the
# Docker engine, the sandbox image), builds, and runs every test with real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/setup/system.sh
bash scripts/setup/docker.sh
bash scripts/setup/bubblewrap.sh
bash sandbox/build-offline.sh
npm run --silent build
npx tsc -p tsconfig.json --noEmit
mkdir -p .test-artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-artifacts/vitest.json "$@" || status=$?
# One plain closing line, "N passed, N failed, N skipped", for whoever reads the log.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".test-artifacts/vitest.json", "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit $status
