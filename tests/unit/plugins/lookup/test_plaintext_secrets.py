# SPDX-License-Identifier: GPL-3.0-or-later
"""selfhosted.ai_coding.plaintext_secrets (lookup): which definitions in an inventory's vars files count as plain-text secrets.

The whole plugin runs in real ansible-playbook runs in tests/unit/test_site_playbook.py; here its pieces, on files.
"""
from __future__ import annotations

import pathlib

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.lookup.plaintext_secrets import (
    find_plain_secrets, plain_text, scan_file, secret_options, vars_files)

ROLES = pathlib.Path(__file__).resolve().parents[4] / "roles"
SECRETS = ["backups_password", "inference_gateway_keys", "reverse_proxy_basic_auth_users"]


def test_the_secret_options_are_those_the_roles_argument_specs_mark_no_log():
    names = secret_options(str(ROLES))
    for name in ("backups_password", "backups_s3_secret_access_key", "coolify_root_user_password", "inference_gateway_keys",
                 "openhands_llm_api_key", "openhands_github_token", "reverse_proxy_basic_auth_users"):
        assert name in names
    assert "backups_repository" not in names and "reverse_proxy_domain" not in names


def test_secret_options_of_a_role_directory(tmp_path):
    (tmp_path / "r" / "meta").mkdir(parents=True)
    (tmp_path / "r" / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n      r_token: {type: str, no_log: true}\n      r_port: {type: int}\n")
    assert secret_options(str(tmp_path)) == ["r_token"]
    assert secret_options(str(tmp_path / "missing")) == []


@pytest.mark.parametrize("value, plain", [
    ("hunter2", True),
    (12345678, True),
    ("", False),
    ("   ", False),
    ("{{ vault_backups_password }}", False),
    ("{% if x %}a{% endif %}", False),
    (None, False),
    (True, False),
    ([], False),
    (["a-literal-key"], True),
    ([{"name": "alice", "password": "{{ vault_alice }}"}], False),
    ([{"name": "alice", "password": "plain"}], True),
    ([{"name": "alice-laptop", "key": "k" * 44, "rate_per_minute": 300}], True),
    ([{"name": "alice-laptop", "rate_per_minute": 300}], False),
    ({"OLLAMA_DEBUG": "1"}, False),
    ({"GITHUB_TOKEN": "ghp_x"}, True),
    ({"headers": {"Authorization": "Bearer x"}}, True),
    ({"auth": {"user": "u", "other": "v"}}, True),
])
def test_plain_text(value, plain):
    assert plain_text(value) is plain


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_scan_file_refuses_plain_secrets_and_vault_variables(tmp_path):
    path = write(tmp_path / "vars.yml", "backups_password: s3cret\nvault_x: y\nbackups_repository: /srv/r\nother: z\n")
    assert scan_file(str(path), SECRETS) == [("backups_password", str(path)), ("vault_x", str(path))]


def test_scan_file_accepts_vaulted_files_inline_vault_and_templates(tmp_path):
    whole = write(tmp_path / "a.yml", "$ANSIBLE_VAULT;1.1;AES256\n6162636465\n")
    inline = write(tmp_path / "b.yml", "backups_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n")
    template = write(tmp_path / "c.yml", "backups_password: \"{{ vault_backups_password }}\"\n")
    empty = write(tmp_path / "d.yml", "---\n# only comments\n")
    for path in (whole, inline, template, empty):
        assert scan_file(str(path), SECRETS) == [], path.name


def test_scan_file_treats_unsafe_text_as_plain(tmp_path):
    path = write(tmp_path / "a.yml", "backups_password: !unsafe '{{ not a template }}'\n")
    assert scan_file(str(path), SECRETS) == [("backups_password", str(path))]


def test_scan_file_names_the_file_of_bad_yaml(tmp_path):
    path = write(tmp_path / "bad.yml", "a: [unclosed\n")
    with pytest.raises(Exception, match="bad.yml"):
        scan_file(str(path), SECRETS)


def test_vars_files_reads_group_and_host_vars_but_not_examples(tmp_path):
    inv = tmp_path / "inv"
    write(inv / "hosts.yml", "all: {}\n")
    keep = [write(inv / "group_vars" / "all" / "vault.yml", ""), write(inv / "group_vars" / "web.yaml", ""),
            write(inv / "host_vars" / "h1", ""), write(inv / "host_vars" / "h2.json", "")]
    write(inv / "group_vars" / "all" / "vault.yml.example", "backups_password: example\n")
    write(inv / "group_vars" / "all" / ".hidden.yml", "")
    found = sorted(vars_files(str(inv / "hosts.yml")))
    assert found == sorted(str(p) for p in keep)
    assert sorted(vars_files(str(inv))) == found


def test_find_plain_secrets_reads_each_file_once(tmp_path):
    inv = tmp_path / "inv"
    path = write(inv / "group_vars" / "all.yml", "backups_password: plain\n")
    assert find_plain_secrets([str(inv), str(inv / "hosts.yml")], SECRETS) == [("backups_password", str(path))]
