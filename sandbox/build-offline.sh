#!/usr/bin/env bash
# Build the sandbox image without pulling a base image: debootstrap a minimal
# Debian from the same mirror apt uses here, install the same packages as
# sandbox/Dockerfile, and `docker import` the tree with the same USER, WORKDIR,
# ENV and label. For CI and machines that cannot reach an image registry.
#
#   sandbox/build-offline.sh [--force] [--image NAME]
#
# Idempotent: exits at once when the image already exists, unless --force.
# Needs root (debootstrap, chroot) and a Docker engine.
set -euo pipefail

IMAGE=dropwork-sandbox:latest   # keep in step with SANDBOX_IMAGE in src/sandbox/image.ts
LABEL_VERSION=2                 # keep in step with SANDBOX_IMAGE_VERSION there
SUITE=bookworm
PACKAGES=(python3 python3-pypdf python3-pdfminer python3-openpyxl python3-docx
          python3-reportlab python3-pil poppler-utils qpdf ca-certificates curl)
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --image) IMAGE=$2; shift ;;
    *) echo "usage: $0 [--force] [--image NAME]" >&2; exit 2 ;;
  esac
  shift
done

# An image of an older version (its packages changed since: curl joined in version 2) is rebuilt,
# so a machine that built the sandbox once is not left with one the tests and rules cannot use.
have=$(docker image inspect -f '{{index .Config.Labels "dropwork.sandbox"}}' "$IMAGE" 2>/dev/null || true)
if [ "$FORCE" = 0 ] && [ "$have" = "$LABEL_VERSION" ]; then
  echo "build-offline: $IMAGE (version $LABEL_VERSION) already exists (use --force to rebuild)" >&2
  exit 0
fi
[ -z "$have" ] || [ "$have" = "$LABEL_VERSION" ] || echo "build-offline: $IMAGE is version $have, this dropwork needs $LABEL_VERSION: rebuilding" >&2
[ "$(id -u)" = 0 ] || { echo "build-offline: must run as root (debootstrap, chroot)" >&2; exit 1; }

start=$(date +%s)
command -v debootstrap >/dev/null 2>&1 || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap \
    || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; }
}

# The mirror apt already uses on this machine: the only one we may be able to reach.
mirror_of() { # $1: grep pattern for the suite's archive
  { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
  } | grep -E "$1" | head -n1 || true
}
MIRROR=${DROPWORK_DEBIAN_MIRROR:-$(mirror_of '/debian/?$')}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${DROPWORK_DEBIAN_SECURITY:-$(mirror_of '/debian-security/?$')}

CACHE=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/dropwork
ROOT=$CACHE/sandbox-rootfs
mkdir -p "$CACHE/debs"
unmount_all() {
  for m in var/cache/apt/archives sys proc dev/pts dev; do
    if mountpoint -q "$ROOT/$m" 2>/dev/null; then umount -l "$ROOT/$m" || { echo "build-offline: cannot unmount $ROOT/$m" >&2; return 1; }; fi
  done
}
cleanup() {
  unmount_all || return 1 # never rm -rf through a mount still in place (the host's /dev, the .deb cache)
  rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT
cleanup

elapsed() { echo "$(( $(date +%s) - start ))s"; }
echo "build-offline: debootstrap $SUITE from $MIRROR" >&2
# Two stages, so that dpkg can be told not to fsync every file before it installs anything:
# on a busy disk that is most of debootstrap's time (137 s against 25 s, measured here).
debootstrap --foreign --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" "$ROOT" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
  || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }
mkdir -p "$ROOT/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/dropwork-unsafe-io"  # a tree that breaks half-way is thrown away anyway
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
echo "build-offline: [$(elapsed)] debootstrap --second-stage" >&2
chroot "$ROOT" /debootstrap/debootstrap --second-stage >>"$CACHE/debootstrap.log" 2>&1 \
  || { tail -n 30 "$CACHE/debootstrap.log" >&2; exit 1; }

{ echo "deb $MIRROR $SUITE main"
  echo "deb $MIRROR $SUITE-updates main"
  [ -n "$SECURITY" ] && echo "deb $SECURITY $SUITE-security main"
} >"$ROOT/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The .debs outlive the build here, so a rebuild downloads nothing it already has.
mkdir -p "$CACHE/archives/partial"
mount --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives"

echo "build-offline: [$(elapsed)] apt-get install ${PACKAGES[*]}" >&2
chroot "$ROOT" /bin/sh -ec "
  export DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
  apt-get update -q
  apt-get install -y -q --no-install-recommends ${PACKAGES[*]}
  rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
  groupadd -g 10001 sandbox
  useradd -u 10001 -g 10001 -M -d /tmp -s /bin/sh sandbox
  mkdir -p /workspace/input /workspace/output
" >"$CACHE/chroot-install.log" 2>&1 || { tail -n 30 "$CACHE/chroot-install.log" >&2; exit 1; }
: >"$ROOT/etc/resolv.conf"   # the engine writes its own; leave none of the host's
unmount_all
rm -f "$ROOT"/var/cache/apt/archives/*.deb "$ROOT/etc/dpkg/dpkg.cfg.d/dropwork-unsafe-io"   # debootstrap's own copies

old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
echo "build-offline: [$(elapsed)] docker import as $IMAGE" >&2
tar -C "$ROOT" --numeric-owner -c . | docker import \
  --change 'USER sandbox' \
  --change 'WORKDIR /workspace' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV HOME=/tmp' \
  --change "LABEL dropwork.sandbox=$LABEL_VERSION" \
  --change 'CMD ["/bin/sh"]' \
  - "$IMAGE" >/dev/null

new_id=$(docker image inspect -f '{{.Id}}' "$IMAGE")
# The image this one replaces, unless a container still uses it.
[ -n "$old_id" ] && [ "$old_id" != "$new_id" ] && docker rmi "$old_id" >/dev/null 2>&1 || true
echo "build-offline: $IMAGE $new_id in $(elapsed)" >&2
