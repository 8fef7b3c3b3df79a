#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: the wall time of the restore drill (playbooks/backup_drill.yml) and of a full restore
# (playbooks/restore.yml) against the Molecule scenario `backups` (Debian 13, real restic and PostgreSQL, the stand-in
# Coolify/OpenHands data of molecule/backups/prepare.yml). The seed target is a recovery within 15 minutes without
# model downloads; the figures are printed only, nothing here passes or fails on time.
#
# Uses the scenario's container when it is running (e.g. after `molecule converge -s backups`), else creates,
# prepares and converges its own and destroys it at the end (BENCH_KEEP=1 keeps it). Takes a fresh backup through
# the role's systemd service first, so that the drill has a snapshot of the current data.
# Usage: benchmarks/restore_drill.sh [--no-restore]    (needs the test bed: make venv engine images)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=/dev/null
source "$REPO_ROOT/tests/testbed/env.sh"
cd "$REPO_ROOT"

SCENARIO=backups
INSTANCE=backups-trixie
RESTORE=1
[[ ${1:-} == --no-restore ]] && RESTORE=0
bases=(--base-config "$REPO_ROOT/molecule/_shared/base.yml")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/restore-drill-bench.XXXXXX")
OWN=0

cleanup() {
  if ((OWN)) && [[ ${BENCH_KEEP:-0} != 1 ]]; then
    molecule "${bases[@]}" destroy -s "$SCENARIO" >"$WORK/destroy.log" 2>&1 || true
  fi
  [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

if [[ $(docker inspect -f '{{.State.Running}}' "$INSTANCE" 2>/dev/null) != true ]]; then
  OWN=1
  echo "restore-drill: no running $INSTANCE; creating the scenario's own (create, prepare, converge)" >&2
  for step in create prepare converge; do
    molecule "${bases[@]}" "$step" -s "$SCENARIO" >"$WORK/$step.log" 2>&1 ||
      { echo "restore-drill: molecule $step failed (log: $WORK/$step.log)" >&2; BENCH_KEEP=1; exit 1; }
  done
fi

# The scenario's variables, as its inventory gives them.
"$VENV/bin/python" - "$REPO_ROOT/molecule/$SCENARIO/molecule.yml" "$WORK/vars.yml" <<'PY'
import sys, yaml
conf = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump(conf["provisioner"]["inventory"]["group_vars"]["all"], open(sys.argv[2], "w"))
PY

echo "restore-drill: taking a fresh backup through ai-coding-backup.service" >&2
docker exec "$INSTANCE" systemctl start ai-coding-backup.service
files=$(docker exec "$INSTANCE" sh -c 'wc -l < /var/lib/ai-coding-backups/staging/manifest.sha256')
bytes=$(docker exec "$INSTANCE" /usr/local/sbin/ai-coding-restic stats latest --no-lock --json | "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["total_size"])')

play() { # playbook -> seconds (wall time of ansible-playbook, connection setup included)
  local start end
  start=$(date +%s.%N)
  ansible-playbook -i "$INSTANCE," -c community.docker.docker -e "@$WORK/vars.yml" -e backups_restore_hosts=all \
    "$REPO_ROOT/playbooks/$1" >"$WORK/$1.log" 2>&1 || { echo "restore-drill: $1 failed (log kept: $WORK/$1.log)" >&2; BENCH_KEEP=1; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

drill_s=$(play backup_drill.yml)
inner=$(grep -o 'passed in [0-9.]* s' "$WORK/backup_drill.yml.log" | head -1 || true)
printf 'restore drill (playbooks/backup_drill.yml): %.1f s wall (%s inside the play), %s files, %s bytes backed up\n' \
  "$drill_s" "${inner#passed in }" "$files" "$bytes"
if ((RESTORE)); then
  restore_s=$(play restore.yml)
  printf 'full restore (playbooks/restore.yml, in place, pg_restore --clean): %.1f s wall\n' "$restore_s"
fi
echo "seed target: recovery within 900 s without model downloads (printed for comparison only)"
