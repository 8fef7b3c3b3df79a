# SPDX-License-Identifier: GPL-3.0-or-later
"""One ansible-playbook run over many cases (each a host of the inventory), for the role rendering tests.

A case playbook records ``case_outcome`` (accepted/refused) and ``case_message`` per host; its last play is
``outcomes_play``, which writes them (and optional more facts) to ``<out_dir>/outcomes.json``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest


def outcomes_play(host, group="all", extra=()):
    """The play that writes {case: [outcome, message, *extra facts]} as JSON, run on one host of the group."""
    columns = ["map(attribute='case_outcome', default='not run')", "map(attribute='case_message', default='')"]
    columns += ["map(attribute='%s', default='')" % name for name in extra]
    values = ["groups['%s'] | map('extract', hostvars) | %s" % (group, c) for c in columns]
    rows = "(%s) | zip(%s)" % (values[0], ", ".join("(%s)" % v for v in values[1:]))
    return {"name": "Write the outcomes", "hosts": host, "gather_facts": False,
            "tasks": [{"name": "Write them as JSON", "ansible.builtin.copy": {
                "dest": "{{ out_dir }}/outcomes.json", "mode": "0600",
                "content": "{{ dict(groups['%s'] | zip(%s)) | to_json }}" % (group, rows)}}]}


def run_cases(tmp, inventory, playbook, cwd, timeout=600, env=None):
    """Runs the playbook once; returns ({case id: (outcome, message, ...)}, ansible output). Fails on a failed run."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    out_dir = tmp / "out"
    inventory_file = tmp / "inventory.json"
    inventory_file.write_text(json.dumps(inventory))
    playbook_file = tmp / "render.yml"
    playbook_file.write_text(json.dumps(playbook, indent=1))  # JSON is YAML
    run_env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_RETRY_FILES_ENABLED": "0",
               **(env or {})}
    result = subprocess.run(["ansible-playbook", "-f", "10", "-i", str(inventory_file), str(playbook_file)],
                            capture_output=True, text=True, env=run_env, check=False, timeout=timeout, cwd=cwd)
    output = result.stdout + result.stderr
    outcomes_file = out_dir / "outcomes.json"
    assert outcomes_file.exists(), "the run wrote no outcomes:\n" + output[-4000:]
    assert result.returncode == 0, output[-4000:]
    return {k: tuple(v) for k, v in json.loads(outcomes_file.read_text()).items()}, output
