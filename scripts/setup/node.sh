#!/usr/bin/env bash
# Puts a supported Node.js (>= 22.22) first on PATH for development and CI. Source it:
#   source scripts/setup/node.sh
# When the machine's own node is new enough it changes nothing. Otherwise it installs Node 24
# from the npm registry (the node-linux-<arch> package carries the binary and its headers) into
# a cache folder outside the repository, so later runs reuse it, and points npm at its headers
# so native modules build against the Node that runs them.
# DROPWORK_NODE_MAJOR=22 picks another major (the suite is also run on 22).

_dropwork_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=22)?0:1)'
}

_dropwork_node_setup() {
  local want="${DROPWORK_NODE_MAJOR:-}"
  if [ -z "$want" ] && _dropwork_node_ok; then return 0; fi
  want="${want:-24}"
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "node.sh: no Node.js package for $(uname -m); install Node.js 22.22 or newer" >&2; return 1 ;;
  esac
  local dir="${DROPWORK_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dropwork-dev/node-$want}"
  local pkg="$dir/node_modules/node-linux-$arch"
  if [ ! -x "$pkg/bin/node" ]; then
    echo "node.sh: installing Node.js $want from the npm registry into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node-linux-$arch@$want" >&2 || return 1
  fi
  export PATH="$pkg/bin:$PATH"
  export npm_config_nodedir="$pkg"
  hash -r
  echo "node.sh: using Node.js $(node -v) ($pkg/bin/node)" >&2
}

_dropwork_node_setup
