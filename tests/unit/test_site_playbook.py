# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml as a user runs it: real ansible-playbook runs over the sample inventory.

The preflight cases run ``--tags preflight --check`` with one host on the local connection in an inventory copied
from inventories/sample, so no role runs and nothing on this machine changes; the outcome of each preflight task is
read from the json callback. The OS check (systemd) is not asserted here: the machine running the unit tests may
not run systemd; the Molecule scenarios cover it.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = REPO / "inventories" / "sample"
SECRETS_TASK = "Refuse secrets written in plain text in the inventory"
VARIABLES_TASK = "Assert the variables each host's components require"
VERSION_TASK = "Assert the ansible-core version the collection requires"
COMPONENT_PLAYS = {"hardening": "Harden the hosts", "inference_gateway": "Deploy the inference gateway",
                   "openhands": "Deploy OpenHands", "coolify": "Deploy Coolify",
                   "reverse_proxy": "Put HTTPS, auth and limits", "backups": "Back up the platform"}

pytestmark = pytest.mark.skipif(not shutil.which("ansible-playbook"),
                                reason="ansible-playbook not on PATH (run through tests/testbed/unit.sh)")

HOSTS = """\
all:
  children:
    ai_coding:
      children:
        vps:
          hosts:
            testhost:
              ansible_connection: local
              ansible_python_interpreter: "{{ ansible_playbook_python }}"
    backups:
      hosts:
        testhost:
"""

PROXY = """\
reverse_proxy_domain: example.com
reverse_proxy_acme_email: admin@example.com
reverse_proxy_default_sites:
  - openhands
"""

VAULT_VARS = """\
vault_backups_repository: /var/backups/restic
vault_backups_password: correct-horse-battery-staple
"""


def _env(tmp):
    return {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-tmp"), "ANSIBLE_DEPRECATION_WARNINGS": "0"}


def _run(tmp, *args, json_out=False):
    env = _env(tmp)
    if json_out:
        env.update(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    return subprocess.run(["ansible-playbook", "site.yml", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture(name="inventory")
def fixture_inventory(tmp_path):
    """inventories/sample with one local host in vps and backups, its domain and e-mail filled in, no secrets yet."""
    inv = tmp_path / "inv"
    shutil.copytree(SAMPLE, inv)
    (inv / "hosts.yml").write_text(HOSTS)
    (inv / "group_vars" / "all" / "reverse_proxy.yml").write_text(PROXY)
    return inv


@pytest.fixture(name="vault_password")
def fixture_vault_password(tmp_path):
    path = tmp_path / "vault-pass"
    path.write_text("test-vault-password\n")
    path.chmod(0o600)
    return path


def preflight(tmp, inventory, *extra):
    """Runs the preflight only; returns {task name: (status, msg)} for testhost."""
    return preflight_run(tmp, inventory, *extra)[0]


def preflight_run(tmp, inventory, *extra):
    """Runs the preflight only; returns ({task name: (status, msg)} for testhost, the run)."""
    result = _run(tmp, "-i", str(inventory), "--tags", "preflight", "--check", *extra, json_out=True)
    try:
        report = json.loads(result.stdout[result.stdout.index("{"):])
    except ValueError:
        pytest.fail("no json report:\n" + result.stdout[-3000:] + result.stderr[-3000:])
    tasks = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            host = task["hosts"].get("testhost")
            if host is not None:
                status = "failed" if host.get("failed") else "skipped" if host.get("skipped") else "ok"
                tasks[task["task"]["name"]] = (status, host.get("msg", ""))
    return tasks, result


def outcome(tasks, prefix):
    found = [v for k, v in tasks.items() if k.startswith(prefix)]
    assert found, "task %r did not run; ran: %s" % (prefix, list(tasks))
    return found[0]


def vault_encrypt(path, password_file):
    subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", str(password_file), str(path)],
                   check=True, capture_output=True, text=True)


def test_syntax_check_with_the_sample_inventory(tmp_path):
    result = _run(tmp_path, "-i", "inventories/sample", "--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sample_inventory_has_every_host_kind_and_component_group():
    hosts = (SAMPLE / "hosts.yml").read_text()
    for group in ("vps", "oracle", "airgapped", "openhands", "coolify", "backups", "inference_nodes", "inference_gateway"):
        assert re.search(r"^\s+%s:" % group, hosts, re.M), group
    # The example hosts are there, commented out: the sample itself has none.
    assert "#   vps-1:" in hosts and "#   oci-a1:" in hosts and "#   gpu-node-1:" in hosts


def test_vault_example_names_every_vault_variable_the_sample_refers_to():
    example = (SAMPLE / "group_vars" / "all" / "vault.yml.example").read_text()
    assert "ansible-vault create" in example
    referred = set()
    for path in (SAMPLE / "group_vars").rglob("*.yml"):
        referred |= set(re.findall(r"{{\s*(vault_[a-z0-9_]+)", path.read_text()))
    assert referred, "the sample refers to no vault variable"
    for name in sorted(referred):
        assert re.search(r"^#?\s*%s:" % name, example, re.M), "%s is not in vault.yml.example" % name


def test_tags_ollama_lists_only_the_preflight_and_the_ollama_part(tmp_path, inventory):
    result = _run(tmp_path, "-i", str(inventory), "--list-tasks", "--tags", "ollama")
    assert result.returncode == 0, result.stdout + result.stderr
    plays = re.split(r"\n\s*play #\d+ \([^)]*\): ", result.stdout)[1:]
    listed = {}
    for play in plays:
        name, _sep, body = play.partition("\t")
        listed[name] = [line.strip().split("\t")[0] for line in body.splitlines()[2:] if line.strip()]
    ollama = [tasks for name, tasks in listed.items() if name.startswith("Deploy Ollama")][0]
    assert any(t.startswith("selfhosted.ai_coding.ollama : Install Ollama") for t in ollama), ollama
    assert any(t.startswith("Set an inference node's models") for t in ollama), ollama
    preflight = [t for name, tasks in listed.items() if name.startswith("Check ") for t in tasks]
    assert any(t.startswith(SECRETS_TASK) for t in preflight), preflight
    for component, play_name in COMPONENT_PLAYS.items():
        tasks = [t for name, ts in listed.items() if name.startswith(play_name) for t in ts]
        # Ansible itself tags a role's argument-spec validation `always`; it checks, it changes nothing.
        assert all(t.startswith("selfhosted.ai_coding.%s : Validating arguments" % component) for t in tasks), tasks


def test_tags_inference_gateway_keeps_the_node_placement_pre_task(tmp_path, inventory):
    result = _run(tmp_path, "-i", str(inventory), "--list-tasks", "--tags", "inference_gateway")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Set an inference node's models from the gateway's placement" in result.stdout
    assert "selfhosted.ai_coding.ollama : Install Ollama" not in result.stdout


def test_refuses_a_plaintext_secret_in_group_vars(tmp_path, inventory):
    plain = inventory / "group_vars" / "all" / "vault.yml"
    plain.write_text(VAULT_VARS)
    (inventory / "group_vars" / "backups" / "password.yml").write_text("backups_password: hunter2-plaintext\n")
    tasks, result = preflight_run(tmp_path, inventory)
    status, msg = outcome(tasks, SECRETS_TASK)
    assert status == "failed", msg
    assert "vault_backups_password in %s" % plain.resolve() in msg
    assert "backups_password in %s" % (inventory / "group_vars" / "backups" / "password.yml").resolve() in msg
    assert "vault_backups_repository" in msg and "ansible-vault" in msg
    assert "hunter2-plaintext" not in result.stdout + result.stderr
    # Refused before anything else: the play stops there.
    assert VARIABLES_TASK not in tasks


def test_refuses_a_plaintext_password_in_a_list_of_users_not_the_names(tmp_path, inventory):
    (inventory / "group_vars" / "all" / "users.yml").write_text(
        "reverse_proxy_basic_auth_users:\n  - name: alice\n    password: plain-pass\n")
    tasks = preflight(tmp_path, inventory)
    status, msg = outcome(tasks, SECRETS_TASK)
    assert status == "failed" and "reverse_proxy_basic_auth_users in " in msg, msg
    (inventory / "group_vars" / "all" / "users.yml").write_text(
        "reverse_proxy_basic_auth_users:\n  - name: alice\n    password: \"{{ vault_alice_password }}\"\n")
    tasks = preflight(tmp_path, inventory)
    assert outcome(tasks, SECRETS_TASK)[0] == "ok"


def test_passes_with_the_secrets_in_a_vaulted_file(tmp_path, inventory, vault_password):
    vault = inventory / "group_vars" / "all" / "vault.yml"
    vault.write_text(VAULT_VARS)
    vault_encrypt(vault, vault_password)
    assert vault.read_text().startswith("$ANSIBLE_VAULT")
    tasks, result = preflight_run(tmp_path, inventory, "--vault-password-file", str(vault_password))
    assert outcome(tasks, VERSION_TASK)[0] == "ok"
    assert outcome(tasks, SECRETS_TASK)[0] == "ok", result.stdout[-2000:]
    status, msg = outcome(tasks, VARIABLES_TASK)
    assert status == "ok", msg


def test_passes_with_an_inline_vault_value(tmp_path, inventory, vault_password):
    encrypted = subprocess.run(
        ["ansible-vault", "encrypt_string", "--vault-password-file", str(vault_password), "--name", "backups_password",
         "correct-horse-battery-staple"], check=True, capture_output=True, text=True).stdout
    (inventory / "group_vars" / "backups" / "backups.yml").write_text(
        "backups_repository: /var/backups/restic\n" + encrypted)
    tasks, result = preflight_run(tmp_path, inventory, "--vault-password-file", str(vault_password))
    assert outcome(tasks, SECRETS_TASK)[0] == "ok", result.stdout[-2000:]
    status, msg = outcome(tasks, VARIABLES_TASK)
    assert status == "ok", msg


def test_refuses_a_missing_required_variable(tmp_path, inventory):
    # The sample's backups.yml refers to vault_backups_password, which no vault defines here.
    tasks = preflight(tmp_path, inventory)
    assert outcome(tasks, SECRETS_TASK)[0] == "ok"
    status, msg = outcome(tasks, VARIABLES_TASK)
    assert status == "failed"
    assert "backups_password is empty or undefined" in msg and "backups_repository is empty or undefined" in msg, msg
    assert "testhost" in msg


def test_refuses_an_empty_domain_when_the_proxy_publishes_sites(tmp_path, inventory, vault_password):
    vault = inventory / "group_vars" / "all" / "vault.yml"
    vault.write_text(VAULT_VARS)
    vault_encrypt(vault, vault_password)
    (inventory / "group_vars" / "all" / "reverse_proxy.yml").write_text(PROXY.replace("example.com\n", '""\n', 1))
    tasks = preflight(tmp_path, inventory, "--vault-password-file", str(vault_password))
    status, msg = outcome(tasks, VARIABLES_TASK)
    assert status == "failed" and 'reverse_proxy_domain is empty: the reverse proxy publishes ["openhands"]' in msg, msg


@pytest.mark.parametrize("proxy, expected", [
    ("reverse_proxy_acme_email: admin@example.com\nreverse_proxy_default_sites: []\n",
     "reverse_proxy_tls_mode is acme but no DNS name is set"),
    ("reverse_proxy_acme_email: admin@example.com\nreverse_proxy_domain: localhost\n",
     'reverse_proxy_tls_mode is acme but "openhands.localhost" is not a public DNS name'),
    ("reverse_proxy_domain: example.com\nreverse_proxy_acme_email: ''\n",
     "reverse_proxy_acme_email is empty: with reverse_proxy_tls_mode acme"),
], ids=["no-dns-name", "localhost", "no-email"])
def test_refuses_an_acme_setup_without_what_acme_needs(tmp_path, inventory, vault_password, proxy, expected):
    vault = inventory / "group_vars" / "all" / "vault.yml"
    vault.write_text(VAULT_VARS)
    vault_encrypt(vault, vault_password)
    (inventory / "group_vars" / "all" / "reverse_proxy.yml").write_text(proxy)
    tasks = preflight(tmp_path, inventory, "--vault-password-file", str(vault_password))
    status, msg = outcome(tasks, VARIABLES_TASK)
    assert status == "failed" and expected in msg, msg


def test_selfsigned_needs_no_acme_email(tmp_path, inventory, vault_password):
    vault = inventory / "group_vars" / "all" / "vault.yml"
    vault.write_text(VAULT_VARS)
    vault_encrypt(vault, vault_password)
    (inventory / "group_vars" / "all" / "reverse_proxy.yml").write_text(
        "reverse_proxy_domain: lab.test\nreverse_proxy_tls_mode: selfsigned\n")
    tasks = preflight(tmp_path, inventory, "--vault-password-file", str(vault_password))
    status, msg = outcome(tasks, VARIABLES_TASK)
    assert status == "ok", msg


@pytest.mark.parametrize("component", sorted(COMPONENT_PLAYS))
def test_each_component_tag_selects_its_play(tmp_path, inventory, component):
    result = _run(tmp_path, "-i", str(inventory), "--list-tasks", "--tags", component)
    assert result.returncode == 0, result.stdout + result.stderr
    role_tasks = re.findall(r"selfhosted\.ai_coding\.%s : (?!Validating arguments)" % component, result.stdout)
    assert role_tasks, result.stdout
    assert "selfhosted.ai_coding.ollama : Install Ollama" not in result.stdout
