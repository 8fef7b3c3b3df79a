#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, for the Molecule test bed.
#  - installs Debian's docker.io (and iptables) when no dockerd is present;
#  - starts dockerd in the background only when `docker info` fails, and records that it did;
#  - waits until `docker info` works, with a bounded wait and a message naming the step that failed.
# It never stops an engine it did not start: `docker-engine.sh stop` only stops the one it started.
set -euo pipefail

STATE_DIR=${AI_CODING_STATE_DIR:-/var/tmp/ai-coding-testbed}
LOG=${AI_CODING_DOCKERD_LOG:-/var/log/dockerd-ai-coding.log}
PIDFILE=$STATE_DIR/dockerd.pid
WAIT_S=${AI_CODING_DOCKERD_WAIT:-90}

say() { printf 'docker-engine: %s\n' "$*" >&2; }
fail() {
  say "FAILED at step '$1': $2"
  shift 2
  for hint in "$@"; do say "  check: $hint"; done
  exit 1
}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

stop_ours() {
  if [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "stopping the dockerd this script started (pid $(cat "$PIDFILE"))"
    kill "$(cat "$PIDFILE")"
    rm -f "$PIDFILE"
  else
    say "no dockerd started by this script is running; leaving any other engine alone"
  fi
}

[[ ${1:-start} == stop ]] && { stop_ours; exit 0; }

if engine_answers; then
  say "an engine already answers ($(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')); nothing to do"
  exit 0
fi

mkdir -p "$STATE_DIR"

# Step 1: the engine and its tools.
if ! command -v dockerd >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || fail install "dockerd is missing and installing it needs root" "run as root or install docker.io yourself"
  say "installing docker.io and iptables from the Debian archive"
  if ! timeout 600 apt-get update -qq >"$STATE_DIR/apt.log" 2>&1; then
    fail install "apt-get update failed (see $STATE_DIR/apt.log)" "the Debian mirror in /etc/apt/sources.list* is reachable"
  fi
  if ! DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq docker.io iptables >>"$STATE_DIR/apt.log" 2>&1; then
    fail install "apt-get install docker.io iptables failed (see $STATE_DIR/apt.log)" "dpkg is not locked by another apt run"
  fi
fi

# Step 2: start dockerd, unless one is running and merely slow to answer.
if pgrep -x dockerd >/dev/null 2>&1; then
  say "a dockerd process exists but does not answer yet; waiting for it instead of starting another"
else
  say "starting dockerd (log: $LOG)"
  # setsid: the engine must outlive the shell that started it (make, CI step).
  setsid dockerd >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
fi

# Step 3: wait, bounded.
for ((i = 0; i < WAIT_S; i++)); do
  if engine_answers; then
    say "engine answers after ${i}s ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
    exit 0
  fi
  if [[ -f $PIDFILE ]] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    tail -n 15 "$LOG" >&2 || true
    fail start "dockerd exited during start-up (last lines of $LOG above)" \
      "cgroups are mounted (/sys/fs/cgroup)" \
      "the kernel has overlay and iptables/nf_tables support (modprobe overlay; iptables -L)" \
      "nothing else holds /var/run/docker.sock or /var/lib/docker"
  fi
  sleep 1
done
tail -n 15 "$LOG" >&2 || true
fail wait "dockerd did not answer 'docker info' within ${WAIT_S}s" "the log $LOG" "free disk space under /var/lib/docker"
