# SPDX-License-Identifier: GPL-3.0-or-later
"""The health checks each component role records for what it deployed (roles/common, tasks_from health_record.yml)
and what playbooks/verify.yml reads back (tasks_from health_read.yml).

One ``ansible-playbook`` run, connection local, no facts: each host of the inventory is a case. It loads the roles'
own defaults and vars (the OS family's file for hardening, as the role's facts.yml does), records the checks through
the common role into a directory of its own, reads them back and writes what it read. The live table (every check
green on two hosts, after a rollback too) is proven in molecule/site.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import stat
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]

COMMON = {"ollama_models": ["qwen2.5-coder:7b"], "reverse_proxy_default_sites": ["ollama", "openhands"],
          "reverse_proxy_domain": "example.test"}
CASES = {
    "debian": {"os": "Debian", "extra": COMMON},
    "redhat": {"os": "RedHat", "extra": COMMON},
    "selfsigned": {"os": "Debian", "extra": {**COMMON, "reverse_proxy_tls_mode": "selfsigned"}},
    "provided": {"os": "Debian", "extra": {**COMMON, "reverse_proxy_tls_mode": "provided"}},
    "container": {"os": "Debian", "extra": {**COMMON, "ollama_install_method": "container", "ollama_container_published_port": 11500,
                                            "hardening_fail2ban": False, "reverse_proxy_default_sites": ["openhands"]}},
}


def include_vars(role, name):
    return {"name": "Load %s %s" % (role, name), "ansible.builtin.include_vars": str(ROOT / "roles" / role / name)}


def record(component):
    return {"name": "Record %s" % component, "ansible.builtin.include_role": {
        "name": "selfhosted.ai_coding.common", "tasks_from": "health_record.yml"},
        "vars": {"common_health_component": component, "common_health_checks": "{{ __%s_health_checks }}" % component,
                 "__common_health_dir": "{{ out_dir }}/{{ inventory_hostname }}"}}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    tmp = tmp_path_factory.mktemp("health")
    # The roles' defaults as inventory variables (include_vars would override the case's values), then their vars.
    defaults = {}
    for role in ("hardening", "ollama", "reverse_proxy"):
        defaults.update(yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()))
    inventory = {"all": {"hosts": {name: {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                          "case_os": case["os"], **case["extra"]} for name, case in CASES.items()},
                         "vars": {**defaults, "out_dir": str(tmp)}}}
    tasks = [include_vars(role, "vars/main.yml") for role in ("hardening", "ollama", "reverse_proxy")]
    tasks.append({"name": "Load the OS family's hardening vars", "ansible.builtin.include_vars":
                  str(ROOT / "roles" / "hardening" / "vars") + "/{{ case_os }}.yml"})
    # Recorded out of the table's order: the reader puts them in it.
    tasks += [record("reverse_proxy"), record("ollama"), record("hardening")]
    tasks.append({"name": "Read them back", "ansible.builtin.include_role": {
        "name": "selfhosted.ai_coding.common", "tasks_from": "health_read.yml"},
        "vars": {"__common_health_dir": "{{ out_dir }}/{{ inventory_hostname }}"}})
    tasks.append({"name": "Write what was read", "ansible.builtin.copy": {
        "dest": "{{ out_dir }}/{{ inventory_hostname }}.read.json", "content": "{{ common_health_recorded | to_json }}",
        "mode": "0600"}})
    playbook = [{"name": "Record and read", "hosts": "all", "gather_facts": False, "tasks": tasks}]
    (tmp / "inventory.json").write_text(json.dumps(inventory))
    (tmp / "play.yml").write_text(json.dumps(playbook))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0"}
    result = subprocess.run(["ansible-playbook", "-i", str(tmp / "inventory.json"), str(tmp / "play.yml")],
                            capture_output=True, text=True, env=env, check=False, timeout=600, cwd=ROOT)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return tmp


def read(tmp, host):
    return json.loads((tmp / ("%s.read.json" % host)).read_text())


def by_name(checks):
    return {c["name"]: c for c in checks}


def test_sshd_unit_follows_the_os_family(run):
    assert by_name(read(run, "debian"))["sshd"] == {"name": "sshd", "type": "systemd", "unit": "ssh"}
    assert by_name(read(run, "redhat"))["sshd"] == {"name": "sshd", "type": "systemd", "unit": "sshd"}


def test_read_back_in_the_table_order(run):
    names = [c["name"] for c in read(run, "debian")]
    assert names == ["sshd", "fail2ban", "ollama service", "ollama api", "proxy ollama, no login", "proxy ollama, login",
                     "proxy ollama, /api/delete", "proxy openhands, no login"]
    files = sorted(p.name for p in (run / "debian").iterdir())
    assert files == ["10-hardening.json", "20-ollama.json", "50-reverse_proxy.json"]


def test_ollama_check_uses_the_roles_url_and_version_floor(run):
    floor = yaml.safe_load((ROOT / "roles/ollama/vars/main.yml").read_text())["__ollama_version_floor"]
    api = by_name(read(run, "debian"))["ollama api"]
    assert api == {"name": "ollama api", "type": "ollama", "url": "http://127.0.0.1:11434", "min_version": floor,
                   "models": ["qwen2.5-coder:7b"]}
    checks = by_name(read(run, "container"))
    assert checks["ollama container"] == {"name": "ollama container", "type": "docker", "container": "ollama"}
    assert checks["ollama api"]["url"] == "http://127.0.0.1:11500"
    assert "ollama service" not in checks and "fail2ban" not in checks


def test_login_is_marked_never_written(run):
    checks = by_name(read(run, "debian"))
    assert checks["proxy ollama, login"]["login"] is True and "headers" not in checks["proxy ollama, login"]
    assert "login" not in checks["proxy ollama, no login"]
    assert checks["proxy ollama, login"]["url"] == "https://ollama.example.test/api/version"
    assert [c["name"] for c in read(run, "container") if c["name"].startswith("proxy")] == ["proxy openhands, no login"]
    for path in (run / "debian").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        assert "Authorization" not in path.read_text() and "password" not in path.read_text()


def test_proxy_checks_verify_tls_with_what_the_mode_gives(run):
    tls_dir = yaml.safe_load((ROOT / "roles/reverse_proxy/defaults/main.yml").read_text())["reverse_proxy_tls_dir"]
    acme = by_name(read(run, "debian"))
    assert acme["proxy ollama, login"]["validate_certs"] is True and "ca_path" not in acme["proxy ollama, login"]
    own = by_name(read(run, "selfsigned"))
    assert own["proxy ollama, login"]["validate_certs"] is True
    assert own["proxy ollama, login"]["ca_path"] == tls_dir + "/ollama.crt"
    assert own["proxy openhands, no login"]["ca_path"] == tls_dir + "/openhands.crt"
    provided = by_name(read(run, "provided"))
    assert provided["proxy ollama, no login"]["validate_certs"] is False and "ca_path" not in provided["proxy ollama, no login"]
