#!/usr/bin/env bash
# Install bubblewrap (the sandbox fallback when no Docker engine answers) and
# util-linux's prlimit (per-command resource limits). Idempotent: a no-op when
# both are already there.
set -euo pipefail

if command -v bwrap >/dev/null 2>&1 && command -v prlimit >/dev/null 2>&1; then
  exit 0
fi

pkgs=(bubblewrap util-linux)
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" \
  || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"; }

# bwrap needs unprivileged user namespaces or root; say so early rather than at the first job.
if ! bwrap --ro-bind / / --unshare-all --die-with-parent true 2>/dev/null; then
  echo "bubblewrap.sh: bwrap is installed but cannot create a sandbox here (user namespaces off?)" >&2
  exit 1
fi
