# SPDX-License-Identifier: GPL-3.0-or-later
"""Time site.yml's first converge against its idempotent re-run on the same hosts, and count what each changed.

Prints figures only; it never passes or fails on time. It exits non-zero when a run fails (rc != 0) or prints no
PLAY RECAP, so a broken set-up is not reported as a measurement.

    python benchmarks/site_rerun.py -i INVENTORY [--runs 1] [--skip-first] [-- EXTRA ansible-playbook ARGS]

INVENTORY: fresh hosts (the first run is the converge). On the test bed, the `site` scenario's instances:
    source tests/testbed/env.sh
    molecule --base-config molecule/_shared/base.yml create -s site && molecule ... prepare -s site
    python benchmarks/site_rerun.py -i ~/.cache/molecule/.../site/inventory      (the scenario's ephemeral inventory)
--skip-first: the hosts are converged already; only the re-runs are timed.
Per run it prints: wall seconds, the recap's ok/changed/failed summed over the hosts, the tasks run (ok+changed),
seconds per task; then re-run / first as a percentage (issue 12's goal: <= 25 % with 0 changed).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


def run_playbook(cmd, env=None, who="site_rerun.py"):
    """Run one ansible-playbook command line; return (seconds, {'hosts', 'ok', 'changed', 'failed'}) from its recap.
    SystemExit when it fails or prints no recap (benchmarks/fleet.py uses it too)."""
    env = dict(env if env is not None else os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    seconds = time.monotonic() - start
    recap = RECAP.findall(proc.stdout)
    if proc.returncode != 0 or not recap:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"{who}: {' '.join(cmd)} failed (rc {proc.returncode}, recap lines {len(recap)})")
    totals = {"hosts": len(recap), "ok": 0, "changed": 0, "failed": 0}
    for _host, ok, changed, _unreachable, failed in recap:
        totals["ok"] += int(ok)
        totals["changed"] += int(changed)
        totals["failed"] += int(failed)
    return seconds, totals


def run_site(inventory, extra):
    """Run site.yml once; return (seconds, totals)."""
    return run_playbook(["ansible-playbook", "-i", inventory, os.path.join(REPO, "site.yml"), *extra])


def line(label, seconds, totals):
    tasks = totals["ok"]  # Ansible counts a changed task in ok as well
    per_task = seconds / tasks if tasks else 0.0
    return (f"{label:<12} {seconds:8.1f} s  hosts={totals['hosts']}  ok={totals['ok']}  changed={totals['changed']}"
            f"  failed={totals['failed']}  {per_task:5.2f} s/task")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--inventory", required=True)
    parser.add_argument("--runs", type=int, default=1, help="idempotent re-runs to time (default 1)")
    parser.add_argument("--skip-first", action="store_true", help="the hosts are converged already")
    parser.add_argument("extra", nargs="*", help="more ansible-playbook arguments (after --)")
    args = parser.parse_args(argv)
    first = None
    if not args.skip_first:
        first = run_site(args.inventory, args.extra)
        print(line("converge", *first))
    for n in range(1, args.runs + 1):
        seconds, totals = run_site(args.inventory, args.extra)
        print(line(f"re-run {n}", seconds, totals))
        if first:
            print(f"{'':12} re-run / first converge: {100.0 * seconds / first[0]:.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
