# Every `choices:` option of every role entry point refuses a value outside its choices, naming the variable, the value
# and the allowed values, through the same argument-spec check Ansible runs as the first task of the role (before any
# change). The roles' validate.yml no longer repeats these checks; their former cases live here.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def choice_options():
    """(role, entry point, option, choices) for every option with choices, read from meta/argument_specs.yml."""
    found = []
    for spec_file in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        specs = yaml.safe_load(spec_file.read_text())["argument_specs"]
        for entry, spec in specs.items():
            for name, option in (spec.get("options") or {}).items():
                if "choices" in option:
                    found.append((spec_file.parts[-3], entry, name, option["choices"]))
    return found


CHOICES = choice_options()
# Beside an unknown word: a known choice with a trailing newline (compared exactly, never trimmed) and with other case.
BAD_VALUES = [lambda c: "not-a-choice", lambda c: str(c[0]) + "\n", lambda c: str(c[0]).upper() + "X"]


def test_the_roles_declare_choices():
    # the options whose checks moved here from validate.yml
    names = {case[2] for case in CHOICES}
    assert {"hardening_host_kind", "hardening_firewall_backend", "hardening_ssh_address_family", "ollama_install_method",
            "ollama_gpu", "openhands_ollama_mode", "reverse_proxy_backend", "reverse_proxy_tls_mode",
            "reverse_proxy_acme_key_type", "backups_coolify_db_dump"} <= names


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """One ansible-playbook run: each case is a host whose variables hold one bad value; the role entry point's own
    argument spec is checked for it by ansible.builtin.validate_argument_spec, as Ansible does when the role starts."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    tmp = tmp_path_factory.mktemp("choices")
    hosts = {}
    for i, (role, entry, name, choices) in enumerate(CHOICES):
        for j, bad in enumerate(BAD_VALUES):
            value = bad(choices)
            # the other required options of the entry point, with a valid value, so that only the choice is wrong
            spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"][entry]
            required = {k: (o.get("choices") or ["x"])[0] if o.get("type", "str") == "str" else [] for k, o in
                        (spec.get("options") or {}).items() if o.get("required") and k != name}
            hosts[f"case_{i}_{j}"] = {"spec_file": str(ROOT / "roles" / role / "meta" / "argument_specs.yml"),
                                      "entry": entry, "option": name, "bad_value": value, **required, name: value}
    (tmp / "inventory.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    playbook = [{"name": "Check each case against its role's argument spec", "hosts": "all", "connection": "local",
                 "gather_facts": False, "tasks": [{"name": "Validate", "block": [
                     {"name": "Validate the arguments as the role's start does",
                      "ansible.builtin.validate_argument_spec": {
                          "argument_spec": "{{ (lookup('ansible.builtin.file', spec_file) | from_yaml).argument_specs[entry].options }}"}},
                     {"name": "Record the acceptance", "ansible.builtin.set_fact": {"case_outcome": "accepted"}}],
                     "rescue": [{"name": "Record the refusal", "ansible.builtin.set_fact": {
                         "case_outcome": "refused",
                         "case_message": "{{ ansible_failed_result.msg | default('') }} "
                                         "{{ ansible_failed_result.argument_errors | default([]) | join(' ') }}"}}]}]},
                {"name": "Write the outcomes", "hosts": "localhost", "connection": "local", "gather_facts": False,
                 "tasks": [{"name": "Write them", "ansible.builtin.copy": {
                     "dest": str(tmp / "outcomes.json"), "mode": "0600",
                     "content": "{{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars)"
                                " | map(attribute='case_outcome', default='not run') | zip(groups['all']"
                                " | map('extract', hostvars) | map(attribute='case_message', default='')))) | to_json }}"}}]}]
    (tmp / "play.yml").write_text(yaml.safe_dump(playbook))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(["ansible-playbook", "-i", str(tmp / "inventory.json"), str(tmp / "play.yml"),
                          "-e", f"ansible_python_interpreter={sys.executable}"],
                         capture_output=True, text=True, env=env, check=False, timeout=600)
    assert (tmp / "outcomes.json").exists(), run.stdout[-3000:] + run.stderr[-2000:]
    return hosts, json.loads((tmp / "outcomes.json").read_text())


@pytest.mark.parametrize("index", range(len(CHOICES)), ids=[f"{case[0]}:{case[2]}" for case in CHOICES])
def test_a_value_outside_the_choices_is_refused_naming_it_and_the_choices(outcomes, index):
    hosts, result = outcomes
    role, entry, name, choices = CHOICES[index]
    for j in range(len(BAD_VALUES)):
        case = f"case_{index}_{j}"
        outcome, message = result[case]
        assert outcome == "refused", f"{role} ({entry}) accepted {name}={hosts[case]['bad_value']!r}"
        assert f"value of {name} must be one of: {', '.join(map(str, choices))}" in message, message
        assert f"got: {hosts[case]['bad_value']}" in message, message
