#!/usr/bin/env bash
# `make test`: set up everything the tests need, run every suite and every Molecule scenario, keep going
# after a failure, and end with one line `N passed, N failed` (suites and scenarios counted). Exit non-zero
# if anything failed. For day-to-day work only (CI sets none of these): SCENARIOS="a b" limits the Molecule part,
# SKIP_MOLECULE=1 skips it, SKIP_STATIC=1 skips lint, sanity, units and the build check.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/env.sh"
cd "$REPO_ROOT" || exit 2

passed=() failed=()
t0=$(date +%s)
run() { # name command...
  local name=$1 s rc
  shift
  s=$(date +%s)
  echo
  echo "##### $name"
  "$@"
  rc=$?
  if [[ $rc == 0 ]]; then
    passed+=("$name")
    echo "##### $name: PASSED ($(($(date +%s) - s)) s)"
  else
    failed+=("$name")
    echo "##### $name: FAILED (exit $rc, $(($(date +%s) - s)) s)"
  fi
}
setup() { # name command... — a setup step that the rest cannot do without
  echo "##### setup: $1"
  local name=$1
  shift
  if ! "$@"; then
    echo "##### setup step '$name' failed: nothing else can run"
    echo "0 passed, 1 failed"
    exit 1
  fi
}

setup venv "$HERE/venv.sh"
setup docker-engine "$HERE/docker-engine.sh"
setup images "$HERE/build-images.sh"
# awx.awx is not in the pinned `ansible` package: the lint of playbooks/awx_apply.yml and the AWX definitions' test need it
setup awx-collection python "$HERE/awx_collection.py"

if [[ ${SKIP_STATIC:-0} != 1 ]]; then
  run yamllint yamllint --strict .
  run ansible-lint ansible-lint --offline --profile production
  run sanity "$HERE/sanity.sh"
  run unit "$HERE/unit.sh"
  run galaxy-build "$HERE/galaxy-build.sh"
  run ee-create "$HERE/ee-create.sh"
fi

if [[ ${SKIP_MOLECULE:-0} != 1 ]]; then
  # The test bed's own smoke scenarios (testbed: systemd, apt, a service; testbed_dind: Docker in Docker from an offline
  # image) are left out: every role scenario does all they do and more, and CI's time is kept for the product. They
  # are the first thing to run when the test bed itself breaks: `make molecule` (SCENARIO=testbed|testbed_dind).
  scenarios=${SCENARIOS:-$(cd molecule && for d in */molecule.yml; do
    d=${d%/molecule.yml}
    [[ $d == _* || $d == testbed || $d == testbed_dind ]] || echo "$d"
  done)}
  for s in $scenarios; do
    run "molecule:$s" "$HERE/molecule.sh" "$s"
  done
fi

echo
echo "##### summary after $(($(date +%s) - t0)) s"
for n in "${passed[@]}"; do echo "  passed  $n"; done
for n in "${failed[@]}"; do echo "  FAILED  $n"; done
echo "${#passed[@]} passed, ${#failed[@]} failed"
[[ ${#failed[@]} == 0 ]]
