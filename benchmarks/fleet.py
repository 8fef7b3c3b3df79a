# SPDX-License-Identifier: GPL-3.0-or-later
"""Time site.yml's idempotent re-run on converged container hosts: 1 host against 8, with and without the speed-ups.

Prints figures only; it never passes or fails on time (issue 12's goal: 8 hosts <= 2.5 x one host on 2 cores). It exits
non-zero when a run fails (rc != 0) or prints no PLAY RECAP, so a broken set-up is not reported as a measurement.

    source tests/testbed/env.sh       # venv, ANSIBLE_COLLECTIONS_PATH, CACHE_DIR; a Docker engine must answer
    nice -n 19 python benchmarks/fleet.py [--hosts 1,8] [--tags TAGS] [--configs baseline,fast] [--runs 1] [--keep]

It starts max(--hosts) systemd containers fleet-bench-<n> from local/ai-coding-systemd:trixie (AI_CODING_IMAGE_TRIXIE
overrides; tests/testbed/build-images.sh builds it) with the test bed's recipe (molecule/site/molecule.yml: SYS_ADMIN +
NET_ADMIN, host cgroupns, /sys/fs/cgroup rw, tmpfs /run, /run/lock), writes a temporary inventory (connection
community.docker.docker, groups ai_coding + vps, with the variables of molecule/site/molecule.yml's groups all and vps,
read from that file; its secrets are environment lookups, as preflight refuses plain-text secrets), runs the prepare playbooks
(molecule/_shared/wait_for_systemd.yml, and ollama_mirror.yml when Ollama is deployed), converges all hosts once
(timed), then times re-runs of site.yml on the first n hosts (--limit) for each n in --hosts and each configuration:
    baseline    pipelining off, forks 5, implicit gathering (site.yml gathers once, in its preflight), no fact cache
    pipelining  pipelining on, otherwise baseline
    fast        pipelining on, forks max(8, n), gathering smart + jsonfile fact cache
A cached configuration starts each row with an empty cache (facts are then gathered once per host and run, not once per
play); with --runs 2 the second run shows a warm cache. Per row: wall seconds, changed (summed over the hosts), host-tasks
(ok, summed), seconds per host-task; then per configuration the ratio of the largest host count to the smallest.
The containers are removed at the end, also after a failure or Ctrl-C, unless --keep.

Defaults: --tags preflight,hardening,ollama and --configs baseline,fast. The whole site.yml (hardening, Ollama, the
reverse proxy) took 271 s to converge ONE host here (2 cores, load ~7 from other jobs), so 8 hosts would take well over
12 minutes; pass --tags all for the whole playbook, --configs baseline,pipelining,fast for the pipelining-only row.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import yaml

import _collection
from site_rerun import run_playbook

REPO = str(_collection.REPO)
PREFIX = "fleet-bench-"
CONFIGS = ("baseline", "pipelining", "fast")


def inventory_text(names):
    """The inventory: the site scenario's variables for all and vps hosts (molecule/site/molecule.yml, read, not
    copied), every host in ai_coding and vps, reached by the docker connection."""
    with open(os.path.join(REPO, "molecule", "site", "molecule.yml"), encoding="utf-8") as handle:
        group_vars = yaml.safe_load(handle)["provisioner"]["inventory"]["group_vars"]
    hosts = {name: None for name in names}
    return yaml.safe_dump({"all": {
        "vars": dict(group_vars["all"], ansible_connection="community.docker.docker"),
        "children": {"ai_coding": {"hosts": hosts}, "vps": {"vars": group_vars["vps"], "hosts": hosts}},
    }}, sort_keys=False)


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def start_hosts(names, image):
    """Start the systemd containers (leftovers of an earlier run are replaced) and name the proxy's site locally."""
    docker("rm", "-f", *names, check=False)
    for name in names:
        docker("run", "-d", "--name", name, "--hostname", name, "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
               "--cgroupns", "host", "--tmpfs", "/run", "--tmpfs", "/run/lock",
               "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", image, "/lib/systemd/systemd")
    for name in names:  # Docker bind-mounts /etc/hosts: append in place
        docker("exec", name, "sh", "-c",
               "grep -q ollama.site.test /etc/hosts || echo '127.0.0.1 ollama.site.test' >>/etc/hosts")


def playbook(inventory, playbooks, env, limit=None, tags=None):
    """Run ansible-playbook (site_rerun.py's runner); return (seconds, totals)."""
    cmd = ["ansible-playbook", "-i", inventory, *playbooks]
    if limit:
        cmd += ["--limit", ",".join(limit)]
    if tags and tags != "all":
        cmd += ["--tags", tags]
    return run_playbook(cmd, env, who="fleet.py")


def config_env(base, name, hosts, cache_dir):
    """The environment of one configuration (set explicitly, so a user's ansible.cfg does not blur the rows)."""
    env = dict(base, ANSIBLE_PIPELINING="False", ANSIBLE_FORKS="5", ANSIBLE_GATHERING="implicit",
               ANSIBLE_CACHE_PLUGIN="memory")
    if name in ("pipelining", "fast"):
        env["ANSIBLE_PIPELINING"] = "True"
    if name == "fast":
        env.update(ANSIBLE_FORKS=str(max(8, hosts)), ANSIBLE_GATHERING="smart", ANSIBLE_CACHE_PLUGIN="jsonfile",
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=cache_dir)
    return env


def row(label, seconds, totals):
    per_task = seconds / totals["ok"] if totals["ok"] else 0.0
    return (f"{label:<22} {seconds:8.1f} s  hosts={totals['hosts']}  changed={totals['changed']:<3}"
            f"  host-tasks={totals['ok']:<5} {per_task:6.3f} s/host-task")


def measure(args, names, inventory, base):
    site = [os.path.join(REPO, "site.yml")]
    prepare = [os.path.join(REPO, "molecule", "_shared", "wait_for_systemd.yml")]
    if args.tags == "all" or "ollama" in args.tags.split(","):
        prepare.append(os.path.join(REPO, "molecule", "_shared", "ollama_mirror.yml"))
    seconds, _totals = playbook(inventory, prepare, base)
    print(f"prepare ({len(names)} hosts)        {seconds:8.1f} s")
    converge_env = config_env(base, "pipelining", len(names), None)
    converge_env["ANSIBLE_FORKS"] = str(max(8, len(names)))
    print(row(f"converge ({len(names)} hosts)", *playbook(inventory, site, converge_env, tags=args.tags)), flush=True)
    walls = {}
    for count in args.hosts:
        for name in args.configs:
            for run in range(1, args.runs + 1):
                with tempfile.TemporaryDirectory(prefix="fleet-facts-") as cache_dir:
                    env = config_env(base, name, count, cache_dir)
                    seconds, totals = playbook(inventory, site, env, limit=names[:count], tags=args.tags)
                walls.setdefault((name, count), seconds)
                print(row(f"{name} x{count}" + (f" run {run}" if args.runs > 1 else ""), seconds, totals), flush=True)
    low, high = min(args.hosts), max(args.hosts)
    if low != high:
        for name in args.configs:
            ratio = walls[(name, high)] / walls[(name, low)]
            print(f"{name:<12} {high} hosts / {low} host: {ratio:.2f} x  (goal <= 2.5 x)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="1,8", help="comma-separated host counts (default 1,8)")
    parser.add_argument("--tags", default="preflight,hardening,ollama", help="site.yml tags, or 'all'")
    parser.add_argument("--configs", default="baseline,fast", help=f"of {','.join(CONFIGS)}")
    parser.add_argument("--runs", type=int, default=1, help="timed runs per row (default 1)")
    parser.add_argument("--image", default=os.environ.get("AI_CODING_IMAGE_TRIXIE", "local/ai-coding-systemd:trixie"))
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args(argv)
    args.hosts = sorted({int(n) for n in args.hosts.split(",")})
    args.configs = [c for c in args.configs.split(",") if c]
    if min(args.hosts) < 1 or not set(args.configs) <= set(CONFIGS):
        parser.error(f"--hosts takes positive counts, --configs names of {CONFIGS}")
    print(f"nproc={os.cpu_count()}  loadavg={' '.join(f'{x:.2f}' for x in os.getloadavg())}  tags={args.tags}"
          f"  image={args.image}", flush=True)

    base = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_INJECT_FACTS_AS_VARS="False",
                ANSIBLE_INTERPRETER_PYTHON="auto_silent", ANSIBLE_HOST_KEY_CHECKING="False")
    base.setdefault("ANSIBLE_COLLECTIONS_PATH", str(_collection.collections_path()))
    base.setdefault("REPO_ROOT", REPO)
    base.setdefault("CACHE_DIR", os.path.join(REPO, ".cache"))
    base.setdefault("SITE_TESTBED_PROXY_PASSWORD", "fleet-bench-proxy-password")
    base.setdefault("SITE_TESTBED_BACKUPS_PASSWORD", "fleet-bench-backups-password")

    names = [f"{PREFIX}{n}" for n in range(1, max(args.hosts) + 1)]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up below on kill as well
    try:
        start = time.monotonic()
        start_hosts(names, args.image)
        print(f"containers ({len(names)})         {time.monotonic() - start:8.1f} s", flush=True)
        with tempfile.TemporaryDirectory(prefix="fleet-inventory-") as tmp:
            inventory = os.path.join(tmp, "inventory.yml")
            with open(inventory, "w", encoding="utf-8") as handle:
                handle.write(inventory_text(names))
            measure(args, names, inventory, base)
    finally:
        if not args.keep:
            docker("rm", "-f", *names, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
