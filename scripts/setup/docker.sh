#!/usr/bin/env bash
# Make a Docker engine answer on this machine: install docker.io if dockerd is
# missing, start dockerd if `docker info` does not answer, wait until it does.
# Idempotent and fast (one `docker info`) when the engine already runs.
# Root on Debian 12; no systemd needed (CI machines have none).
set -euo pipefail

LOG=${DROPWORK_DOCKERD_LOG:-/var/log/dropwork-dockerd.log}
WAIT_S=${DROPWORK_DOCKERD_WAIT_S:-60}

engine_answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  exit 0
fi

apt_install() {
  # The package list may be stale or empty on a fresh machine: update once and retry.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
    || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; }
}

if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker.sh: installing docker.io" >&2
  # A policy-rc.d that says "no" stops the package's init scripts from trying to
  # start a service manager this machine may not have; we start dockerd below.
  policy=/usr/sbin/policy-rc.d
  had_policy=0; [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  # iptables: dockerd sets up its bridge with it; docker.io only Recommends it.
  apt_install docker.io iptables ca-certificates || { [ "$had_policy" = 1 ] || rm -f "$policy"; exit 1; }
  [ "$had_policy" = 1 ] || rm -f "$policy"
fi

if engine_answers; then exit 0; fi

# A stale pid file from a killed dockerd makes a new one refuse to start.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  args=()
  # overlay2 needs overlayfs in the kernel; without it fall back to vfs (slow, but works).
  if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
    args+=(--storage-driver=vfs)
  fi
  # Some kernels lack the netfilter modules dockerd's bridge needs; sandbox
  # containers run with NetworkMode none, so a daemon without iptables is fine.
  if ! iptables -L >/dev/null 2>&1; then
    args+=(--iptables=false --ip6tables=false)
  fi
  echo "docker.sh: starting dockerd ${args[*]:-} (log: $LOG)" >&2
  nohup dockerd "${args[@]}" >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$WAIT_S"); do
  if engine_answers; then
    echo "docker.sh: engine answers ($(docker info --format '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))" >&2
    exit 0
  fi
  sleep 1
done

echo "docker.sh: dockerd did not answer within ${WAIT_S}s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
