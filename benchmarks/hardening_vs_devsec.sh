#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmark: selfhosted.ai_coding.hardening against devsec.hardening (os_hardening + ssh_hardening), each on its own
# fresh container of the same image (local/ai-coding-systemd:bookworm, systemd as PID 1, NET_ADMIN for the firewall).
# For each: converge time, re-run time (and what the re-run still changed), and how many of the 22 S/K checks of
# molecule/hardening/tasks/sk_checks.yml hold afterwards - the file the Molecule verify step asserts with, here in
# counting mode (a failed check is recorded and the next one runs), so both sides are measured by the same checks.
#
# devsec.hardening is used when ansible-galaxy finds it on ANSIBLE_COLLECTIONS_PATH (it is not installed by the test
# bed and Galaxy is unreachable here); without it the comparison is skipped and our figures are still printed.
# devsec's os_hardening runs with os_auditd_enabled: false (auditd cannot run in a container); everything else is its
# defaults, as ours are. The figures are printed only: nothing here passes or fails on time.
#
# Usage: [ANSIBLE_COLLECTIONS_PATH=<dir with ansible_collections/devsec/hardening>] benchmarks/hardening_vs_devsec.sh
#        (from anywhere; needs the test bed: make venv images)
# Environment: AI_CODING_IMAGE_BOOKWORM (image), BENCH_KEEP=1 (keep the containers and the work directory)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# env.sh sets ANSIBLE_COLLECTIONS_PATH for the checkout; directories the caller put there (devsec.hardening) are kept
# after it (last, where nothing is ever installed into them).
CALLER_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-}
# env.sh (the venv, ANSIBLE_HOME and the collections path, as for make) is linted on its own.
# shellcheck source=/dev/null
source "$REPO_ROOT/tests/testbed/env.sh"
export ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_COLLECTIONS_PATH${CALLER_COLLECTIONS_PATH:+:$CALLER_COLLECTIONS_PATH}

IMAGE=${AI_CODING_IMAGE_BOOKWORM:-local/ai-coding-systemd:bookworm}
CHECKS=$REPO_ROOT/molecule/hardening/tasks/sk_checks.yml
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hardening-bench.XXXXXX")
CONTAINERS=()

say() { printf 'hardening_vs_devsec: %s\n' "$*" >&2; }

cleanup() {
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    say "kept: containers ${CONTAINERS[*]:-none}, work directory $WORK"
    return
  fi
  local c
  for c in "${CONTAINERS[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

command -v ansible-playbook >/dev/null || { say "ansible-playbook not found: run make venv first"; exit 2; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || { say "image $IMAGE not found: run make images first"; exit 2; }

start_host() { # name: a fresh systemd container of $IMAGE, booted
  local name=$1 state=""
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --hostname "$name" --cap-add SYS_ADMIN --cap-add NET_ADMIN --cgroupns host \
    --tmpfs /run --tmpfs /run/lock -v /sys/fs/cgroup:/sys/fs/cgroup:rw "$IMAGE" /lib/systemd/systemd >/dev/null
  CONTAINERS+=("$name")
  for _ in $(seq 120); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && return 0
    sleep 0.5
  done
  say "$name did not finish booting (systemd says '$state')"
  return 1
}

prepare_host() { # name: what Ansible's apt modules need on any Debian host (python3-apt), not timed, same for both
  docker exec "$1" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-apt' \
    >"$WORK/$1-prepare.log" 2>&1 || { say "$1: installing python3-apt failed:"; tail -n 5 "$WORK/$1-prepare.log" >&2; return 1; }
}

write_inventory() { # name -> inventory file
  cat >"$WORK/inventory-$1.yml" <<EOF
all:
  hosts:
    $1:
      ansible_connection: community.docker.docker
      ansible_python_interpreter: auto_silent
EOF
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

run_playbook() { # label log playbook inventory -> rc; output in the log
  local rc=0
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$4" "$3" >"$2" 2>&1 || rc=$?
  return "$rc"
}

recap_changed() { # log -> the changed= count of the play recap
  sed -n 's/.* changed=\([0-9]*\).*/\1/p' "$1" | tail -n 1
}

# The plays, written here so that the benchmark measures exactly the roles and the shared checks.
cat >"$WORK/converge-ours.yml" <<'EOF'
- name: Converge the hardening role with its defaults (a vps host, nftables)
  hosts: all
  gather_facts: true
  roles:
    - role: selfhosted.ai_coding.hardening
EOF
cat >"$WORK/converge-devsec.yml" <<'EOF'
- name: Converge devsec.hardening os_hardening and ssh_hardening with their defaults
  hosts: all
  gather_facts: true
  roles:
    - role: devsec.hardening.os_hardening
      vars:
        os_auditd_enabled: false   # auditd cannot run in a container
    - role: devsec.hardening.ssh_hardening
EOF
for side in ours devsec; do
  role=selfhosted.ai_coding.hardening
  [[ $side == devsec ]] && role=devsec.hardening.ssh_hardening
  cat >"$WORK/checks-$side.yml" <<EOF
- name: Count the S/K checks that hold
  hosts: all
  gather_facts: true
  tasks:
    - name: Run the shared S01-S14 and K01-K08 checks in counting mode
      ansible.builtin.include_tasks: $CHECKS
      vars:
        sk_count_only: true
        sk_s14_role: $role

    - name: Hand the count to the benchmark
      ansible.builtin.copy:
        content: "{{ sk_summary | to_json }}"
        dest: $WORK/summary-$side.json
        mode: "0644"
      delegate_to: localhost
EOF
done

measure() { # side converge-playbook -> prints one block of figures
  local side=$1 playbook=$2 host="bench-hardening-$1-$$" t0 t1 t2 rc1=0 rc2=0
  start_host "$host"
  prepare_host "$host"
  write_inventory "$host"
  local inv="$WORK/inventory-$host.yml"
  t0=$(now)
  run_playbook "$side converge" "$WORK/$side-converge.log" "$playbook" "$inv" || rc1=$?
  t1=$(now)
  run_playbook "$side re-run" "$WORK/$side-rerun.log" "$playbook" "$inv" || rc2=$?
  t2=$(now)
  run_playbook "$side checks" "$WORK/$side-checks.log" "$WORK/checks-$side.yml" "$inv" || true
  local summary="$WORK/summary-$side.json" passed="?" total=22 failed="?" na="-"
  if [[ -s $summary ]]; then
    read -r passed total failed na < <(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["passed"], s["total"], ",".join(s["failed_ids"]) or "-", ",".join(s["skipped_ids"]) or "-")' "$summary")
  fi
  printf '%-8s converge %6ss (rc %s, changed %s)   re-run %6ss (rc %s, changed %s)   S/K checks passed %s/%s   failed: %s   n/a: %s\n' \
    "$side" "$(elapsed "$t0" "$t1")" "$rc1" "$(recap_changed "$WORK/$side-converge.log")" \
    "$(elapsed "$t1" "$t2")" "$rc2" "$(recap_changed "$WORK/$side-rerun.log")" "$passed" "$total" "$failed" "$na"
  if [[ -s $summary ]]; then # why each failed check failed, in the check's own words
    python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
for i, m in zip(s["failed_ids"], s["failed_msgs"]):
    print("           %s: %s" % (i, " ".join(str(m).split())[:230]))' "$summary"
  fi
  if [[ $rc1 -ne 0 || $rc2 -ne 0 ]]; then
    say "$side: a run failed; last lines of its log:"
    tail -n 15 "$WORK/$side-$([[ $rc1 -ne 0 ]] && echo converge || echo rerun).log" >&2
  fi
}

echo "hardening_vs_devsec: image $IMAGE, $(nproc) CPUs, $(ansible --version | sed -n 1p)"
echo "(each side on a fresh container with python3-apt preinstalled, untimed: devsec's package_facts needs it and our"
echo " role would otherwise install it in its timed run; times are wall-clock seconds including apt downloads from the"
echo " Debian archive; printed, never judged)"
measure ours "$WORK/converge-ours.yml"
if ansible-galaxy collection list devsec.hardening 2>/dev/null | grep -q '^devsec\.hardening '; then
  measure devsec "$WORK/converge-devsec.yml"
else
  echo "devsec   skipped: devsec.hardening is not on ANSIBLE_COLLECTIONS_PATH ($ANSIBLE_COLLECTIONS_PATH)."
  echo "         Galaxy is unreachable here; install it elsewhere (ansible-galaxy collection install devsec.hardening),"
  echo "         or from a tarball with --offline, into a directory on that path, and run this again to compare."
fi
