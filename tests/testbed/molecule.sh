#!/usr/bin/env bash
# Run one Molecule scenario the way CI does:
#   destroy (leftovers) → syntax → create → prepare → converge → idempotence → check (must report 0 changed)
#   → verify → destroy (always, also after a failure).
# Molecule's own `check` recreates the instances and never fails on changes; the converged host must report
# changed=0 in check mode, so this runner runs converge with --check on the converged instances and reads the recap.
# The scenario's molecule.yml is merged over molecule/_shared/base.yml, and over base-dind.yml too when its first
# line is `# molecule-base: dind`. Usage: molecule.sh SCENARIO
set -uo pipefail
source "$(dirname "$0")/env.sh"
scenario=${1:?usage: molecule.sh SCENARIO}
cd "$REPO_ROOT" || exit 2
[[ -f molecule/$scenario/molecule.yml ]] || { echo "molecule.sh: no scenario molecule/$scenario/molecule.yml" >&2; exit 2; }

# A scenario that names AI_CODING_COOLIFY_UPSTREAM gets Coolify's pinned upstream files (checked against the repo's sums).
if grep -q AI_CODING_COOLIFY_UPSTREAM "molecule/$scenario"/*.yml; then
  AI_CODING_COOLIFY_UPSTREAM=$("$REPO_ROOT/tests/testbed/coolify-upstream.sh") || exit 1
  export AI_CODING_COOLIFY_UPSTREAM
fi

bases=(--base-config "$REPO_ROOT/molecule/_shared/base.yml")
if head -n 3 "molecule/$scenario/molecule.yml" | grep -q '^# molecule-base: dind'; then
  bases+=(--base-config "$REPO_ROOT/molecule/_shared/base-dind.yml")
fi
logdir=$CACHE_DIR/logs/molecule
mkdir -p "$logdir"
log=$logdir/$scenario.log
: >"$log"

steplog() { # step [args] -> the log file of that step, e.g. testbed.converge----check.log for `converge -- --check`
  local name="$*"
  name=${name// /}
  echo "$logdir/$scenario.$name.log"
}

mol() { # step [args after --]
  local step=$1 s rc
  shift
  s=$(date +%s)
  echo "=== molecule $step -s $scenario $*" | tee -a "$log"
  molecule "${bases[@]}" "$step" -s "$scenario" "$@" 2>&1 | tee -a "$log" >"$(steplog "$step" "$@")"
  rc=${PIPESTATUS[0]}
  echo "=== molecule $step -s $scenario $*: exit $rc after $(($(date +%s) - s)) s" | tee -a "$log"
  return "$rc"
}

# A Docker-in-Docker instance's inner engine may hold paused containers (OpenHands pauses older sandboxes): their
# processes sit in a frozen cgroup, and `docker rm -f` of the instance then never gets their exit and leaves it behind
# (the next run could not create it). Unpause them inside each instance of this scenario before destroying it.
unpause_inner() {
  local name
  for name in $(docker ps --format '{{.Names}}' | grep -E "^${scenario}(-|$)" || true); do
    docker exec "$name" sh -c 'command -v docker >/dev/null && docker ps -q --filter status=paused | xargs -r docker unpause' \
      >/dev/null 2>&1 || true
  done
}

finish() {
  unpause_inner
  mol destroy >/dev/null 2>&1 || true
}
trap finish EXIT

unpause_inner
mol destroy >/dev/null 2>&1 || true
for step in syntax create prepare converge idempotence; do
  mol "$step" || { echo "molecule.sh: scenario '$scenario' failed at step '$step' (log: $log)" >&2; exit 1; }
done
# `molecule check` would destroy and recreate the instances first; run converge in check mode on the
# converged instances instead.
mol converge -- --check || { echo "molecule.sh: scenario '$scenario' failed at step 'check' (log: $log)" >&2; exit 1; }
checklog=$(steplog converge -- --check)
sed -i 's/\x1b\[[0-9;]*m//g' "$checklog" 2>/dev/null # colour codes would split the recap fields
# The recap must be there (a missing log or recap is a failure, not a pass) and every host must say changed=0.
if ! grep -Eq '^[^ ]+ +: ok=[0-9]+ +changed=' "$checklog"; then
  echo "molecule.sh: scenario '$scenario': no PLAY RECAP in $checklog, cannot tell whether check mode changed anything" >&2
  exit 1
fi
if grep -Eq 'changed=[1-9]' "$checklog"; then
  grep -E 'changed=[1-9]' "$checklog" >&2
  echo "molecule.sh: scenario '$scenario': check mode on the converged host reported changes (must be 0)" >&2
  exit 1
fi
mol verify || { echo "molecule.sh: scenario '$scenario' failed at step 'verify' (log: $log)" >&2; exit 1; }
echo "molecule.sh: scenario '$scenario' passed"
