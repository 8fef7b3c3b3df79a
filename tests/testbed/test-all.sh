#!/usr/bin/env bash
# `make test`: set up everything the tests need, run every suite and every Molecule scenario, keep going
# after a failure, and end with one line `N passed, N failed` (suites and scenarios counted). Exit non-zero
# if anything failed. The suites and scenarios run in LANES parallel lanes (default 2): a Molecule step waits on
# containers and the network about half of its time, so a second lane uses the CPU the first leaves idle. Each job's
# output is printed whole when it ends (never interleaved); .cache/logs/test-all/ keeps it too. LANES=1 runs them one
# after the other. For day-to-day work only (CI sets none of these): SCENARIOS="a b" limits the Molecule part,
# SKIP_MOLECULE=1 skips it, SKIP_STATIC=1 skips lint, sanity, units and the build check.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/env.sh"
cd "$REPO_ROOT" || exit 2

t0=$(date +%s)
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

jobs=()
if [[ ${SKIP_STATIC:-0} != 1 ]]; then
  jobs+=(unit ansible-lint sanity yamllint galaxy-build ee-create)
fi
if [[ ${SKIP_MOLECULE:-0} != 1 ]]; then
  # The test bed's own smoke scenarios (testbed: systemd, apt, a service; testbed_dind: Docker in Docker from an offline
  # image) are left out: every role scenario does all they do and more, and CI's time is kept for the product. They
  # are the first thing to run when the test bed itself breaks: `make molecule` (SCENARIO=testbed|testbed_dind).
  scenarios=${SCENARIOS:-$(cd molecule && for d in */molecule.yml; do
    d=${d%/molecule.yml}
    [[ $d == _* || $d == testbed || $d == testbed_dind ]] || echo "$d"
  done)}
  for s in $scenarios; do jobs+=("molecule:$s"); done
fi

job() { # name -> runs that job in the foreground
  case $1 in
    yamllint) yamllint --strict . ;;
    ansible-lint) ansible-lint --offline --profile production ;;
    sanity) "$HERE/sanity.sh" ;;
    unit) "$HERE/unit.sh" ;;
    galaxy-build) "$HERE/galaxy-build.sh" ;;
    ee-create) "$HERE/ee-create.sh" ;;
    molecule:*) "$HERE/molecule.sh" "${1#molecule:}" ;;
    *) echo "test-all.sh: no job named '$1'" >&2; return 2 ;;
  esac
}

# The longest jobs start first (by their times in the last CI runs), so that the lanes end together. A scenario not
# listed goes first: it has never been timed and may be long.
order=(site openhands airgap inference_gateway unit hardening backups coolify reverse_proxy hardening_docker
  reverse_proxy_caddy ansible-lint ollama_container sanity galaxy-build ee-create yamllint)
queue=()
for j in "${jobs[@]}"; do
  known=0
  for o in "${order[@]}"; do [[ ${j#molecule:} == "$o" ]] && known=1; done
  [[ $known == 1 ]] || queue+=("$j")
done
for o in "${order[@]}"; do
  for j in "${jobs[@]}"; do [[ ${j#molecule:} == "$o" ]] && queue+=("$j"); done
done

logdir=$CACHE_DIR/logs/test-all
rm -rf "$logdir" && mkdir -p "$logdir"
printf '%s\n' "${queue[@]}" >"$logdir/queue"
: >"$logdir/results"
next() { # -> the next job's name on stdout; fails when the queue is empty
  local j
  exec 9>"$logdir/lock"
  flock 9
  j=$(head -n 1 "$logdir/queue")
  [[ -n $j ]] && sed -i 1d "$logdir/queue"
  exec 9>&-
  [[ -n $j ]] && echo "$j"
}
lane() { # lane number
  local j s rc out
  while j=$(next); do
    out=$logdir/${j//:/_}.log
    s=$(date +%s)
    job "$j" >"$out" 2>&1 </dev/null
    rc=$?
    (
      flock 9
      echo
      echo "##### $j (lane $1, started at +$((s - t0)) s)"
      cat "$out"
      if [[ $rc == 0 ]]; then
        echo "##### $j: PASSED ($(($(date +%s) - s)) s)"
        echo "passed $j" >>"$logdir/results"
      else
        echo "##### $j: FAILED (exit $rc, $(($(date +%s) - s)) s)"
        echo "FAILED $j" >>"$logdir/results"
      fi
    ) 9>"$logdir/print.lock"
  done
}

lanes=${LANES:-2}
[[ $lanes =~ ^[1-9][0-9]*$ ]] || { echo "test-all.sh: LANES='$lanes' must be a whole number of lanes, 1 or more" >&2; exit 2; }
echo "##### ${#queue[@]} jobs in $lanes lanes: ${queue[*]}"
pids=()
for ((i = 1; i <= lanes; i++)); do
  lane "$i" &
  pids+=($!)
done
wait "${pids[@]}"

echo
echo "##### summary after $(($(date +%s) - t0)) s"
npass=0 nfail=0
while read -r what name; do
  if [[ $what == passed ]]; then
    echo "  passed  $name"
    npass=$((npass + 1))
  else
    echo "  FAILED  $name"
    nfail=$((nfail + 1))
  fi
done <"$logdir/results"
echo "$npass passed, $nfail failed"
[[ $nfail == 0 && $npass == "${#queue[@]}" ]]
