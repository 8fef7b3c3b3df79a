# SPDX-License-Identifier: GPL-3.0-or-later
"""The entry points of the backups, coolify, docker_engine and hardening roles under hostile and careless input (issues 13, 14).

Real ``ansible-playbook`` runs against localhost (connection local, no facts) of each role's tasks/validate.yml, the
file every entry point includes first. To keep the run short, every case is a host of one inventory and one run
checks them all (``-v``): a case passes when its host FAILS, with a message that names each variable it broke and
the rule, and no secret of any case appears anywhere in the output. Besides the hand-written cases, the cases are
generated from each role's argument spec (every string, path and list option) and from the hostile values of
tests/unit/properties/hostile.py, so an option added later without a check makes a case fail.

The backups role writes files that bash reads (restic.env is sourced; the scripts carry paths and names): the last
tests render them with values the role accepts but a shell would act on, source restic.env and run the backup
script, the restic wrapper and the failure hook with bash against a stand-in restic, and prove that no command hidden
in a value ran and every value arrived literally.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "properties"))
from hostile import CONTROL, INVISIBLE, SHELL, TRAVERSAL  # noqa: E402  (the shared hostile values)

# One play per role (hosts grouped by role), the role's validate.yml imported statically: loaded once, not per host.
PLAY = [{"name": f"Validate {role}", "hosts": role, "gather_facts": False, "tasks": [{
    "name": "Run the role's validation", "ansible.builtin.import_role": {
        "name": f"selfhosted.ai_coding.{role}", "tasks_from": "validate.yml"}}]} for role in ("backups", "coolify", "docker_engine", "hardening")]

# Distinctive secret values: none of them may appear in the output of any run.
SECRET = {
    "backups_password": "pw-S3CR3T-backups-password",
    "backups_s3_access_key_id": "AKS3CR3TACCESSKEY",
    "backups_s3_secret_access_key": "sk-S3CR3T-secret-key",
    "backups_coolify_db_command_prefix": "env PGPASSWORD=S3CR3T-prefix docker exec -i db",
    "backups_coolify_db_dump_command": "env PGPASSWORD=S3CR3T-dump pg_dump -Fc coolify",
    "backups_on_failure_command": "curl -fsS https://hooks.example.test/S3CR3T-webhook",
    "coolify_root_user_password": "S3CR3T-root-password",
}

BASE = {
    "backups": {
        "backups_repository": "/srv/restic-repo",
        "backups_password": SECRET["backups_password"],
        # accepted: written to a data file that the script reads line by line, never evaluated
        "backups_extra_paths": ["/srv/with space", "/srv/$(not-run)", "/srv/`not-run`;x"],
    },
    "coolify": {
        "docker_engine_install": False,  # the OS check needs facts; this run gathers none
        "coolify_root_user_email": "admin@example.test",
        "coolify_root_user_password": SECRET["coolify_root_user_password"],
    },
    "docker_engine": {},
    "hardening": {
        "hardening_docker_host": True,
        "hardening_sysctl_overrides": {"net.ipv6.conf.all.forwarding": 1, "net/ipv4/conf/eth0.100/rp_filter": 2},
        "hardening_firewall_interface_tcp_ports": [{"interface": "docker0", "ports": [3000, 11434]}],
        "hardening_auditd_extra_rules": ["-w /etc/ai-coding -p wa -k ai-coding", "-a always,exit -F arch=b64 -S mount -k mounts"],
        "hardening_docker_daemon_extra": {"hosts": ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"]},
    },
}

# A valid value for every option whose default is empty or templated (the generated cases start from valid values).
SAMPLE = {
    "backups_repository": "/srv/restic-repo",
    "backups_password": SECRET["backups_password"],
    "backups_s3_access_key_id": SECRET["backups_s3_access_key_id"],
    "backups_s3_secret_access_key": SECRET["backups_s3_secret_access_key"],
    "backups_s3_region": "eu-frankfurt-1",
    "backups_restic_host": "host1",
    "backups_restore_source_host": "host1",
    "backups_coolify_db_command_prefix": SECRET["backups_coolify_db_command_prefix"],
    "backups_coolify_db_dump_command": SECRET["backups_coolify_db_dump_command"],
    "backups_on_failure_command": SECRET["backups_on_failure_command"],
    "backups_restore_stop_services": "coolify.service",
    "backups_extra_paths": "/srv/extra",
    "coolify_root_user_email": "admin@example.test",
    "coolify_root_user_password": SECRET["coolify_root_user_password"],
    "coolify_source_dir": "/srv/coolify-files",
    "coolify_download_base_url": "https://raw.githubusercontent.com/coollabsio/coolify/v4.3.11",
    "docker_engine_packages": "docker.io",
    "docker_engine_daemon_json_mode": "0644",
    "docker_engine_socket_group": "docker",
    "docker_engine_socket_mode": "0660",
    "hardening_ssh_ciphers": "aes256-gcm@openssh.com",
    "hardening_ssh_kex": "curve25519-sha256",
    "hardening_ssh_macs": "hmac-sha2-512-etm@openssh.com",
    "hardening_ssh_allow_users": "alice",
    "hardening_ssh_allow_groups": "admins",
    "hardening_modprobe_blacklist_extra": "usb_storage",
    "hardening_absent_packages_extra": "telnet",
    "hardening_auditd_extra_rules": "-w /etc/ai-coding -p wa -k ai-coding",
    "hardening_fail2ban_ignoreip": "192.0.2.0/24",
    "hardening_firewall_trusted_interfaces": "wg0",
    "hardening_external_interface": "eth0",
}

# Options the generated cases leave out, and why. Each is covered by a hand-written case below or is not free text.
EXEMPT = {
    "hardening_firewall_source_tcp_ports": "a list of mappings; tests/unit/test_hardening_source_ports.py",
    "coolify_version": "checked first by its own task (C01); case version-newline",
    "hardening_host_kind": "choices, checked by the argument spec; tests/unit/test_role_choices.py",
    "hardening_firewall_backend": "choices, checked by the argument spec; tests/unit/test_role_choices.py",
    "hardening_ssh_address_family": "choices, checked by the argument spec; tests/unit/test_role_choices.py",
    "hardening_sysctl_apply": "raw auto/true/false, compared exactly",
    "hardening_auditd_start": "raw auto/true/false, compared exactly",
    "coolify_image_archives": "a list of mappings; cases archives-* (checked by docker_engine under this name)",
    "docker_engine_image_archives": "a list of mappings; cases archives-*",
    "hardening_firewall_interface_tcp_ports": "a list of mappings; cases iface-ports-*",
}
PATHS = {
    "backups": ["backups_config_dir", "backups_state_dir", "backups_coolify_env_file", "backups_coolify_ssh_dir",
                "backups_restore_target", "backups_drill_dir", "backups_openhands_paths", "backups_config_paths",
                "backups_extra_paths", "backups_models_paths"],
    "coolify": ["coolify_api_token_file"],
    "docker_engine": ["docker_engine_daemon_json", "docker_engine_image_cache_dir"],
    "hardening": ["hardening_oracle_rules_file", "hardening_auditd_ollama_paths"],
}
PORT_LISTS = {"hardening_firewall_allowed_tcp_ports", "hardening_docker_published_ports"}
CONTROL_RULE = "it must not hold control or invisible characters"


def options(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def sample(role, name, opt):
    if name in SAMPLE:
        return SAMPLE[name]
    default = opt.get("default")
    if isinstance(default, list):
        default = default[0] if default else None
    if isinstance(default, str) and default and "{{" not in default:
        return default
    raise AssertionError(f"{role}: no valid sample value for {name}; add one to SAMPLE")


def text_options(role):
    """(name, secret) of every free-text option: type str or path, no choices, not exempt."""
    return [(name, bool(opt.get("no_log"))) for name, opt in options(role).items()
            if opt.get("type", "str") in ("str", "path") and not opt.get("choices") and name not in EXEMPT]


def list_options(role):
    return [name for name, opt in options(role).items() if opt.get("type") == "list" and name not in EXEMPT]


def shown(name, value, secret):
    """How the role's message quotes a value: JSON, cut at 100 characters; a secret is never shown."""
    return f"{name} (not shown)" if secret else f"{name} is {json.dumps(value)[:100]}"


def generated_cases():
    """Per role: every free-text option with a line break, with each control and invisible character, as a relative
    path and with .. (paths), every list option given as a string and with a line break in an item."""
    cases = []
    for role in BASE:
        texts = text_options(role)
        spec = options(role)
        # one host: every text option at once with a line break that would add a line of its own
        values, expect = {}, []
        for name, secret in texts:
            value = sample(role, name, spec[name]) + "\nINJECTED_LINE=1"
            values[name] = value
            expect.append(f"{shown(name, value, secret)}: {CONTROL_RULE}")
        cases.append((role, "every-text-option-newline", values, expect))
        # the control and invisible characters spread over the text options and an item of each list option, on as
        # many hosts as it takes to use every character at least once per role
        chars = [c for c in CONTROL + INVISIBLE if c != "\n"]
        slots = texts + [(name, False) for name in list_options(role)]
        for host in range(-(-len(chars) // len(slots))):
            values, expect = {}, []
            for i, (name, secret) in enumerate(slots):
                char = chars[(i + host * len(slots)) % len(chars)]
                is_list = spec[name].get("type") == "list"
                value = "443" if name in PORT_LISTS else sample(role, name, spec[name])
                value = value[:2] + char + value[2:]
                values[name] = [value] if is_list else value
                expect.append(f"{shown(name + ('[0]' if is_list else ''), value, secret)}: {CONTROL_RULE}")
            cases.append((role, f"control-characters-{host}", values, expect))
        # every list option given as one string (Ansible's argument spec would split it on commas; a loop over it
        # would take it character by character); roles whose only lists are exempt (coolify) have no such case
        if not list_options(role):
            continue
        values, expect = {}, []
        for name in list_options(role):
            value = "80,443" if name in PORT_LISTS else f"{sample(role, name, spec[name])},{sample(role, name, spec[name])}"
            values[name] = value
            expect.append(f"{name} must be a list, got a string")
        cases.append((role, "every-list-option-a-string", values, expect))
        # a line break in an item of every list option (port lists: the item is not a port)
        values, expect = {}, []
        for name in list_options(role):
            item = ("443" if name in PORT_LISTS else sample(role, name, spec[name])) + "\nINJECTED_LINE=1"
            values[name] = [item]
            expect.append(f"{shown(name + '[0]', item, False)}: {CONTROL_RULE}")
        cases.append((role, "every-list-item-newline", values, expect))
        # paths: relative, and with .. in several places
        values = {name: (["srv/relative"] if spec[name].get("type") == "list" else "srv/relative") for name in PATHS[role]}
        cases.append((role, "every-path-relative", values,
                      [f"{name}{'[0]' if spec[name].get('type') == 'list' else ''} is \"srv/relative\": it must be an absolute path"
                       for name in PATHS[role]]))
        values, expect = {}, []
        for i, name in enumerate(PATHS[role]):
            fragment = [t for t in TRAVERSAL if ".." in t][i % 5]
            value = "/srv/" + fragment.strip("/") + "/x"
            is_list = spec[name].get("type") == "list"
            values[name] = [value] if is_list else value
            expect.append(f"{name}{'[0]' if is_list else ''} is {json.dumps(value)}: a path must not hold .. components")
        cases.append((role, "every-path-traversal", values, expect))
    # backups: the directories bash reads from restic.env and the scripts, with each piece of shell syntax
    for i, fragment in enumerate(SHELL):
        values = {"backups_config_dir": f"/etc/ai-coding/b{fragment}", "backups_state_dir": f"/var/lib/b{fragment}x"}
        cases.append(("backups", f"shell-syntax-in-sourced-paths-{i}", values,
                      [f"{n} is {json.dumps(v)}: bash reads this path" for n, v in values.items()]))
    return cases


# (role, id, variables, substrings the failure message must hold). Each id that ends in "-regression" was accepted
# before issue 13's fix (checked against the previous commit of the roles).
HAND = [
    # backups
    ("backups", "state-dir-command-substitution-regression", {"backups_state_dir": "/var/lib/ai$(touch /tmp/pwned)"},
     ['backups_state_dir is "/var/lib/ai$(touch /tmp/pwned)": bash reads this path']),
    ("backups", "config-dir-backquote-regression", {"backups_config_dir": "/etc/`id`"},
     ['backups_config_dir is "/etc/`id`": bash reads this path']),
    ("backups", "check-day-trailing-newline-regression", {"backups_check_full_day": "7\n"},
     ['backups_check_full_day="7\\n" (day of the month 1-28']),
    ("backups", "retention-boolean", {"backups_keep_daily": True, "backups_keep_weekly": 0, "backups_keep_monthly": 0},
     ["backups_keep_daily=true", "integers >= 0"]),
    ("backups", "password-line-break-regression", {"backups_password": SECRET["backups_password"] + "\nsecond line"},
     [f"backups_password (not shown): {CONTROL_RULE}"]),
    ("backups", "password-trailing-space", {"backups_password": SECRET["backups_password"] + " "},
     ["backups_password (not shown): it must be one line without leading or trailing spaces"]),
    ("backups", "password-not-a-string", {"backups_password": ["S3CR3T-in-a-list"]},
     ["backups_password (not shown) are both required"]),
    ("backups", "restic-tag-comma-regression", {"backups_restic_tag": "a,b"},
     ['backups_restic_tag is "a,b": a restic tag: letters, digits']),
    ("backups", "db-container-option-regression", {"backups_coolify_db_container": "--privileged"},
     ['backups_coolify_db_container is "--privileged": a Docker container name']),
    ("backups", "snapshot-not-hex-regression", {"backups_restore_snapshot": "latest; id"},
     ['backups_restore_snapshot is "latest; id": latest or the start of a snapshot ID']),
    ("backups", "stop-services-string-regression", {"backups_restore_stop_services": "coolify.service"},
     ["backups_restore_stop_services must be a list, got a string"]),
    ("backups", "config-dir-root", {"backups_config_dir": "/"},
     ['backups_config_dir is "/": it must be a directory below /, not / itself']),
    ("backups", "env-file-quote", {"backups_repository": "/srv/it's"},
     ["backups_repository holds whitespace, a quote"]),
    ("backups", "s3-secret-line-break",
     {"backups_repository": "s3:https://s3.example.test/bucket", "backups_s3_access_key_id": SECRET["backups_s3_access_key_id"],
      "backups_s3_secret_access_key": SECRET["backups_s3_secret_access_key"] + "\nAWS_ACCESS_KEY_ID=evil"},
     [f"backups_s3_secret_access_key (not shown): {CONTROL_RULE}"]),
    # coolify
    ("coolify", "bind-everywhere-regression", {"coolify_bind_address": "0.0.0.0"},
     ["coolify_bind_address=0.0.0.0 publishes Coolify", "rule: an address in 127.0.0.0/8", "coolify_allow_non_loopback: true"]),
    ("coolify", "bind-lan-address-regression", {"coolify_bind_address": "192.0.2.10"},
     ["coolify_bind_address=192.0.2.10 publishes Coolify", "coolify_allow_non_loopback: true"]),
    ("coolify", "bind-trailing-newline-regression", {"coolify_bind_address": "127.0.0.1\n"},
     [f'coolify_bind_address is "127.0.0.1\\n": {CONTROL_RULE}']),
    ("coolify", "version-newline-regression", {"coolify_version": "4.3.11\n"},
     ['coolify_version "4.3.11\\n" is refused', "X.Y.Z"]),
    ("coolify", "port-boolean-regression", {"coolify_app_port": True}, ["coolify_app_port is true: it must be a port number 1-65535"]),
    ("coolify", "port-newline-regression", {"coolify_realtime_port": "6001\n"},
     [f'coolify_realtime_port is "6001\\n": {CONTROL_RULE}']),
    ("coolify", "port-text", {"coolify_realtime_port": "6001abc"},
     ['coolify_realtime_port is "6001abc": it must be a port number 1-65535']),
    ("coolify", "port-out-of-range", {"coolify_terminal_port": 70000}, ["coolify_terminal_port is 70000: it must be a port number 1-65535"]),
    ("coolify", "ports-not-distinct", {"coolify_realtime_port": 8000}, ["three distinct ports"]),
    ("coolify", "root-password-dotenv-syntax-regression",
     {"coolify_root_user_password": SECRET["coolify_root_user_password"] + " $HOME#x"},
     ["coolify_root_user_password (not shown): it must hold no spaces, quotes, backquotes, $"]),
    ("coolify", "root-username-space-regression", {"coolify_root_username": "Admin User"},
     ['coolify_root_username is "Admin User": 1 to 64 letters']),
    ("coolify", "registry-quote-regression", {"coolify_registry_url": 'docker.io"x'},
     ['coolify_registry_url is "docker.io\\"x": a registry host[:port][/path]']),
    ("coolify", "download-url-not-http-regression", {"coolify_download_base_url": "file:///etc"},
     ['coolify_download_base_url is "file:///etc": an http:// or https:// URL']),
    ("coolify", "email-missing", {"coolify_root_user_email": ""}, ["coolify_root_user_email \"\" must be an e-mail address"]),
    # the renamed coolify_docker_packages still works (mapped to docker_engine_packages, deprecated) and is still refused
    ("coolify", "packages-string-regression", {"coolify_docker_packages": "docker.io,docker-cli"},
     ["docker_engine_packages must be a list, got a string"]),
    ("coolify", "archives-a-string", {"coolify_image_archives": "coolify.tar"},
     ["coolify_image_archives must be a list of {image: name:tag, archive: controller path}"]),
    ("coolify", "archives-item-not-a-mapping", {"coolify_image_archives": ["coolify.tar"]},
     ['coolify_image_archives[0] is "coolify.tar": it must be a mapping']),
    ("coolify", "archives-image-newline", {"coolify_image_archives": [{"image": "x:1\nrm", "archive": "/a.tar"}]},
     ['coolify_image_archives[0].image is "x:1\\nrm": it must be an image reference']),
    ("coolify", "pool-size-boolean", {"coolify_docker_address_pool_size": True},
     ["coolify_docker_address_pool_size is true: it must be a whole number from 8 to 30"]),
    ("coolify", "health-timeout-zero", {"coolify_health_timeout": 0},
     ["coolify_health_timeout is 0: it must be a whole number from 1 to 86400"]),
    # docker_engine (the coolify cases above reach the same checks through the coolify role)
    ("docker_engine", "packages-string", {"docker_engine_packages": "docker.io,docker-cli"},
     ["docker_engine_packages must be a list, got a string"]),
    ("docker_engine", "archives-a-string", {"docker_engine_image_archives": "coolify.tar"},
     ["docker_engine_image_archives must be a list of {image: name:tag, archive: controller path}"]),
    ("docker_engine", "archives-item-not-a-mapping", {"docker_engine_image_archives": ["coolify.tar"]},
     ['docker_engine_image_archives[0] is "coolify.tar": it must be a mapping']),
    ("docker_engine", "archives-image-newline", {"docker_engine_image_archives": [{"image": "x:1\nrm", "archive": "/a.tar"}]},
     ['docker_engine_image_archives[0].image is "x:1\\nrm": it must be an image reference']),
    ("docker_engine", "archives-archive-newline", {"docker_engine_image_archives": [{"image": "x:1", "archive": "/a.tar\nrm"}]},
     ['docker_engine_image_archives[0].archive is "/a.tar\\nrm": it must be the path of a docker save archive']),
    ("docker_engine", "settings-a-string", {"docker_engine_daemon_settings": "icc=false"},
     ['docker_engine_daemon_settings is "icc=false": it must be a mapping']),
    ("docker_engine", "mode-not-octal", {"docker_engine_daemon_json_mode": "644"},
     ['docker_engine_daemon_json_mode is "644": four octal digits']),
    ("docker_engine", "timeout-zero", {"docker_engine_image_timeout": 0},
     ["docker_engine_image_timeout is 0: it must be a whole number from 1 to 86400"]),
    # hardening
    ("hardening", "allowed-ports-a-string-regression", {"hardening_firewall_allowed_tcp_ports": "443"},
     ['hardening_firewall_allowed_tcp_ports must be a list, got a string ("443")']),
    ("hardening", "port-out-of-range", {"hardening_firewall_allowed_tcp_ports": [80, 70000]},
     ["hardening_firewall_allowed_tcp_ports[1] is 70000: it must be a port number 1-65535"]),
    ("hardening", "ssh-port-boolean", {"hardening_ssh_port": True}, ["hardening_ssh_port is true: it must be a port number 1-65535"]),
    ("hardening", "allow-users-directive-injection-regression", {"hardening_ssh_allow_users": ["alice\n", "Match", "all"]},
     [f'hardening_ssh_allow_users[0] is "alice\\n": {CONTROL_RULE}']),
    ("hardening", "listen-address-trailing-newline-regression", {"hardening_ssh_listen_addresses": ["0.0.0.0\n"]},
     [f'hardening_ssh_listen_addresses[0] is "0.0.0.0\\n": {CONTROL_RULE}']),
    ("hardening", "sysctl-forwarding-slash-spelling-regression", {"hardening_sysctl_overrides": {"net/ipv4/ip_forward": 1}},
     ['hardening_sysctl_overrides key "net/ipv4/ip_forward": forwarding (sysctl-01) is set by hardening_docker_host']),
    ("hardening", "sysctl-forwarding-regression", {"hardening_docker_host": False, "hardening_sysctl_overrides": {"net.ipv4.conf.all.forwarding": 1}},
     ['hardening_sysctl_overrides key "net.ipv4.conf.all.forwarding": forwarding (sysctl-01) is set by hardening_docker_host']),
    ("hardening", "sysctl-modules-disabled-regression", {"hardening_sysctl_overrides": {"kernel.modules_disabled": 1}},
     ['hardening_sysctl_overrides key "kernel.modules_disabled": kernel.modules_disabled is never written']),
    ("hardening", "sysctl-undo-ipv6-ra-regression",
     {"hardening_sysctl_ipv6_ra": True, "hardening_sysctl_overrides": {"net.ipv6.conf.all.accept_ra": 2}},
     ['hardening_sysctl_overrides key "net.ipv6.conf.all.accept_ra": controls 20-28 are set by hardening_sysctl_ipv6_ra']),
    ("hardening", "sysctl-baseline-slash-spelling", {"hardening_sysctl_overrides": {"kernel/sysrq": 1}},
     ['hardening_sysctl_overrides key "kernel/sysrq": write it as kernel.sysrq']),
    ("hardening", "sysctl-value-carriage-return-regression", {"hardening_sysctl_overrides": {"kernel.sysrq": "0\rkernel.randomize_va_space = 0"}},
     ['hardening_sysctl_overrides kernel.sysrq is "0\\rkernel.randomize_va_space = 0" (rule: a single non-empty value on one line']),
    ("hardening", "sysctl-value-newline", {"hardening_sysctl_overrides": {"kernel.sysrq": "0\nkernel.randomize_va_space = 0"}},
     ['hardening_sysctl_overrides kernel.sysrq is "0\\nkernel.randomize_va_space = 0" (rule: a single non-empty value on one line']),
    ("hardening", "sysctl-value-boolean", {"hardening_sysctl_overrides": {"kernel.sysrq": False}},
     ["hardening_sysctl_overrides kernel.sysrq is false (rule: a single non-empty value"]),
    ("hardening", "sysctl-key-newline-regression", {"hardening_sysctl_overrides": {"kernel.sysrq\n": 1}},
     ['hardening_sysctl_overrides key "kernel.sysrq\\n" (rule: a sysctl name']),
    ("hardening", "sysctl-overrides-a-list", {"hardening_sysctl_overrides": ["kernel.sysrq=1"]},
     ['hardening_sysctl_overrides is ["kernel.sysrq=1"]: it must be a mapping, not a list']),
    ("hardening", "audit-rules-lock-regression", {"hardening_auditd_extra_rules": ["-w /x -p wa", "-e 2"]},
     ['hardening_auditd_extra_rules[1] is "-e 2": it would delete (-D, -d, -W), go before (-A) or lock (-e)']),
    ("hardening", "audit-rules-delete-all-regression", {"hardening_auditd_extra_rules": ["-D"]},
     ['hardening_auditd_extra_rules[0] is "-D": it would delete']),
    ("hardening", "audit-rules-prepend-never-regression", {"hardening_auditd_extra_rules": ["-A never,exit -F path=/etc/shadow"]},
     ['hardening_auditd_extra_rules[0] is "-A never,exit -F path=/etc/shadow": it would delete']),
    ("hardening", "iface-ports-a-string-regression", {"hardening_firewall_interface_tcp_ports": [{"interface": "docker0", "ports": "3000"}]},
     ['hardening_firewall_interface_tcp_ports[0].ports is "3000" (rule: a non-empty YAML list of TCP ports']),
    ("hardening", "iface-ports-boolean-regression", {"hardening_firewall_interface_tcp_ports": [{"interface": "docker0", "ports": [3000, True]}]},
     ["hardening_firewall_interface_tcp_ports[0].ports[1] is true: it must be a port number 1-65535"]),
    ("hardening", "iface-ports-a-string", {"hardening_firewall_interface_tcp_ports": "docker0:3000"},
     ["hardening_firewall_interface_tcp_ports must be a list, got a string"]),
    ("hardening", "iface-ports-not-a-mapping", {"hardening_firewall_interface_tcp_ports": ["docker0:3000"]},
     ['hardening_firewall_interface_tcp_ports[0] is "docker0:3000": it must be a mapping, not a string']),
    ("hardening", "iface-ports-interface-newline-regression",
     {"hardening_firewall_interface_tcp_ports": [{"interface": "docker0\n", "ports": [3000]}]},
     ['hardening_firewall_interface_tcp_ports[0].interface is "docker0\\n" (rule: an interface name']),
    ("hardening", "daemon-insecure-registry-early", {"hardening_docker_daemon_extra": {"insecure-registries": ["registry.example.test:5000"]}},
     ["insecure-registries=['registry.example.test:5000'] (rule CIS 2.5", "before anything changed"]),
    ("hardening", "daemon-tcp-api-everywhere-regression", {"hardening_docker_daemon_extra": {"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]}},
     ["listens beyond loopback without tlsverify (rule CIS 2.6"]),
    ("hardening", "daemon-key-control-character", {"hardening_docker_daemon_extra": {"icc\n": False}},
     ['daemon.json key "icc\\n" in hardening_docker_daemon_settings or hardening_docker_daemon_extra']),
    ("hardening", "daemon-extra-a-string", {"hardening_docker_daemon_extra": "icc=false"},
     ['hardening_docker_daemon_extra is "icc=false": it must be a mapping, not a string']),
    ("hardening", "fail2ban-time-newline-regression", {"hardening_fail2ban_bantime": "1h\n"},
     [f'hardening_fail2ban_bantime is "1h\\n": {CONTROL_RULE}']),
    ("hardening", "maxretry-boolean", {"hardening_fail2ban_maxretry": True}, ["hardening_fail2ban_maxretry=True (rule: an integer >= 1)"]),
]

# Valid variants: accepted (a hostile-looking value the role lets through must be one that is inert where it goes).
VALID = [
    ("backups", "baseline", {}),
    ("coolify", "baseline", {}),
    ("coolify", "bind-everywhere-with-allow-flag", {"coolify_bind_address": "0.0.0.0", "coolify_allow_non_loopback": True}),
    ("coolify", "bind-loopback-other", {"coolify_bind_address": "127.0.0.2", "coolify_app_port": "8001"}),
    ("coolify", "renamed-docker-variables", {"coolify_manage_docker": False, "coolify_docker_packages": ["docker.io"]}),
    ("docker_engine", "baseline", {}),
    ("docker_engine", "every-option", {"docker_engine_packages": ["docker.io", "python3-docker=7.1.0-1"],
                                       "docker_engine_daemon_settings": {"ip": "127.0.0.1"}, "docker_engine_daemon_json_mode": "0600",
                                       "docker_engine_socket_group": "docker", "docker_engine_socket_mode": "0660",
                                       "docker_engine_image_archives": [{"image": "ghcr.io/coollabsio/coolify:4.3.11", "archive": "/srv/c.tar"}]}),
    ("hardening", "baseline", {}),
    ("hardening", "daemon-tcp-api-with-tls", {"hardening_docker_daemon_extra": {"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": True}}),
]


CASES = list(HAND) + generated_cases()
CASE_IDS = [f"{case[0]}:{case[1]}" for case in CASES]
VALID_IDS = [f"{case[0]}:{case[1]}" for case in VALID]


def host_name(role, case_id, prefix):
    return f"{prefix}-{role}-{case_id}"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Run every case (refused and valid) as a host of one inventory, with -v; return each host's failure message
    (None when it passed) and the whole output."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (source tests/testbed/env.sh)")
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not available on the controller (the backups role checks its schedule with it)")
    tmp = tmp_path_factory.mktemp("role-input")
    hosts, groups = {}, {role: {"hosts": {}} for role in BASE}
    for role, case_id, variables, _expect in CASES:
        groups[role]["hosts"][host_name(role, case_id, "bad")] = {**BASE[role], **variables}
    for role, case_id, variables in VALID:
        groups[role]["hosts"][host_name(role, case_id, "ok")] = {**BASE[role], **variables}
    for group in groups.values():
        hosts.update(group["hosts"])
    inventory = tmp / "inventory.json"
    inventory.write_text(json.dumps({"all": {"vars": {"ansible_connection": "local",
                                                      "ansible_python_interpreter": sys.executable},
                                             "children": groups}}))
    playbook = tmp / "validate.yml"
    playbook.write_text(yaml.safe_dump(PLAY))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_HOST_KEY_CHECKING": "0"}
    result = subprocess.run(["ansible-playbook", "-v", "-i", str(inventory), "-f", str(min(16, 2 * (os.cpu_count() or 2))), str(playbook)],
                            capture_output=True, text=True, env=env, check=False, timeout=600)
    output = result.stdout + result.stderr
    messages = {name: None for name in hosts}
    for line in result.stdout.splitlines():
        match = re.match(r"^(?:fatal: \[([^\]]+)\]: FAILED!|failed: \[([^\]]+)\] \(item=.*?\)) => (\{.*\})$", line)
        if match:
            messages[match.group(1) or match.group(2)] = json.loads(match.group(3)).get("msg", "")
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", result.stdout, re.M))
    assert set(recap) == set(hosts), output[-3000:]
    return {"messages": messages, "failed": {h: int(n) > 0 for h, n in recap.items()}, "output": output}


@pytest.mark.parametrize(("role", "case_id", "variables"), VALID, ids=VALID_IDS)
def test_valid_settings_pass(batch, role, case_id, variables):
    host = host_name(role, case_id, "ok")
    assert not batch["failed"][host], batch["messages"][host]


@pytest.mark.parametrize(("role", "case_id", "variables", "expect"), CASES, ids=CASE_IDS)
def test_hostile_input_is_refused_naming_the_variable_and_the_rule(batch, role, case_id, variables, expect):
    host = host_name(role, case_id, "bad")
    message = batch["messages"][host]
    assert batch["failed"][host] and message, f"{role} accepted {variables!r}"
    missing = [e for e in expect if e not in message]
    assert not missing, f"not in the message: {missing}\nmessage: {message}"
    assert "_AnsibleTagged" not in message and "dict object" not in message, message


def test_no_secret_appears_in_the_output(batch):
    """Every secret value of every case holds S3CR3T (no other value does): none may reach the -v output."""
    output = batch["output"]
    leaked = [line for line in output.splitlines() if "S3CR3T" in line]
    assert not leaked, f"leaked in the -v output: {leaked[:3]}"


def test_every_text_and_list_option_is_covered():
    """An option added to a role's argument spec is generated into the cases, or exempted here with a reason."""
    generated = generated_cases()
    for role in BASE:
        covered = {name for case in generated if case[0] == role for name in case[2]}
        for name, opt in options(role).items():
            if opt.get("type", "str") in ("str", "path", "list") and not opt.get("choices"):
                assert name in EXEMPT or name in covered, f"{role}: {name} is in no generated case"


# --- backups: what bash reads ------------------------------------------------------------------------------------

RENDER_PLAY = [{"name": "Render", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
    {"name": "Validate (the values below must be accepted)", "ansible.builtin.include_role": {
        "name": "selfhosted.ai_coding.backups", "tasks_from": "validate.yml", "public": True}},
    {"name": "Render what bash reads", "ansible.builtin.template": {
        "src": "{{ repo }}/roles/backups/templates/{{ item.src }}", "dest": "{{ item.dest }}", "mode": "0700"},
     "loop": [{"src": "restic.env.j2", "dest": "{{ __backups_env_file }}"},
              {"src": "paths.j2", "dest": "{{ __backups_paths_file }}"},
              {"src": "ai-coding-backup.sh.j2", "dest": "{{ bin }}/ai-coding-backup"},
              {"src": "ai-coding-restic.sh.j2", "dest": "{{ bin }}/ai-coding-restic"},
              {"src": "ai-coding-backup-failed.sh.j2", "dest": "{{ bin }}/ai-coding-backup-failed"}],
     "no_log": True}]}]

STUB_RESTIC = """#!/bin/bash
# stand-in restic: records its arguments (NUL-separated, one call a line) and the repository settings it was given
{ printf '%s\\0' "$@"; printf '\\n'; } >>"$STUB_LOG"
printf '%s\\n' "$RESTIC_REPOSITORY" "$RESTIC_PASSWORD_FILE" "$RESTIC_CACHE_DIR" "${AWS_ACCESS_KEY_ID-}" "${AWS_SECRET_ACCESS_KEY-}" >"$STUB_ENV"
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not shutil.which("ansible-playbook") or not shutil.which("bash"):
        pytest.skip("ansible-playbook or bash not on PATH (source tests/testbed/env.sh)")
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not available on the controller")
    tmp = tmp_path_factory.mktemp("backups-bash")
    canary = tmp / "canary"
    canary.mkdir()
    # Values the role accepts, each of which runs a command (creating a file in canary/) if bash evaluates it.
    data = tmp / "data"
    hostile_paths = [f"{data}/$(touch {canary}/p1)", f"{data}/a b;touch {canary}/p2", f"{data}/`touch {canary}/p3`",
                     f"{data}/x'y\"z&|<>(){{}}*?~!#", f"{data}/-rf"]
    for p in hostile_paths:
        os.makedirs(p, exist_ok=True)
        (pathlib.Path(p) / "file").write_text(p)
    variables = {
        "repo": str(ROOT),
        "bin": str(tmp / "bin"),
        # the punctuation the shell-safe rule keeps, in the directories bash reads
        "backups_config_dir": f"{tmp}/c@f%g+h=i:j,k",
        "backups_state_dir": f"{tmp}/s,t=u:v@w%x+y",
        "backups_repository": f"{tmp}/repo;touch>{canary}/r1|touch>{canary}/r2&touch>{canary}/r3",
        "backups_password": SECRET["backups_password"],
        "backups_s3_access_key_id": f"AK;touch>{canary}/k1",
        "backups_s3_secret_access_key": f"sk&&touch>{canary}/k2",
        "backups_openhands_paths": hostile_paths[:2],
        "backups_config_paths": hostile_paths[2:],
        "backups_extra_paths": [],
        "backups_coolify_env_file": f"{data}/coolify.env(absent)",
        "backups_coolify_ssh_dir": f"{data}/ssh dir;touch {canary}/s1",
        "backups_coolify_db_dump": "none",
        "backups_restic_host": "h@1:2+3",
        "backups_restic_tag": "t=1:2@3+4",
        "backups_on_failure_command": f"touch {tmp}/hook-ran",
    }
    (tmp / "bin").mkdir()
    os.makedirs(variables["backups_config_dir"])
    (tmp / "vars.json").write_text(json.dumps(variables))
    (tmp / "render.yml").write_text(yaml.safe_dump(RENDER_PLAY))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "default"}
    result = subprocess.run(["ansible-playbook", "-v", "-i", "localhost,", str(tmp / "render.yml"), "-e", f"@{tmp / 'vars.json'}",
                             "-e", f"ansible_python_interpreter={sys.executable}"],
                            capture_output=True, text=True, env=env, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert SECRET["backups_password"] not in result.stdout + result.stderr
    stub_dir = tmp / "stub"
    stub_dir.mkdir()
    stub = stub_dir / "restic"
    stub.write_text(STUB_RESTIC)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return {"tmp": tmp, "canary": canary, "vars": variables, "paths": hostile_paths, "stub_dir": stub_dir}


def bash_env(rendered):
    tmp = rendered["tmp"]
    return {"PATH": f"{rendered['stub_dir']}:/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp), "LC_ALL": "C",
            "STUB_LOG": str(tmp / "restic-calls"), "STUB_ENV": str(tmp / "restic-env")}


def test_restic_env_sourced_by_bash_runs_nothing_and_keeps_every_value(rendered):
    v = rendered["vars"]
    env_file = f"{v['backups_config_dir']}/restic.env"
    result = subprocess.run(["bash", "-c", 'set -a; . "$1"; set +a; printf "%s\\n" "$RESTIC_REPOSITORY" "$RESTIC_PASSWORD_FILE" '
                             '"$RESTIC_CACHE_DIR" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"', "bash", env_file],
                            capture_output=True, text=True, env=bash_env(rendered), check=False, cwd=rendered["tmp"])
    assert result.returncode == 0, result.stderr
    assert list(rendered["canary"].iterdir()) == [], "a command in a value ran"
    assert result.stdout.splitlines() == [v["backups_repository"], f"{v['backups_config_dir']}/restic.password",
                                          f"{v['backups_state_dir']}/cache", v["backups_s3_access_key_id"],
                                          v["backups_s3_secret_access_key"]]


def test_backup_script_runs_nothing_hidden_in_paths_and_backs_them_up_literally(rendered):
    tmp, v = rendered["tmp"], rendered["vars"]
    result = subprocess.run(["bash", str(tmp / "bin" / "ai-coding-backup"), "run"], capture_output=True, text=True,
                            env=bash_env(rendered), check=False, cwd=tmp)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(rendered["canary"].iterdir()) == [], "a command in a value ran"
    calls = [line.split("\0")[:-1] for line in (tmp / "restic-calls").read_text().splitlines() if line]
    backup = next(c for c in calls if c[0] == "backup")
    staging = f"{v['backups_state_dir']}/staging"
    assert backup == ["backup", "--host", v["backups_restic_host"], "--tag", v["backups_restic_tag"],
                      "--exclude", v["backups_config_dir"], *rendered["paths"], staging]
    assert "skipping" in result.stderr and v["backups_coolify_ssh_dir"] in result.stderr  # absent: skipped, by name
    assert (tmp / "restic-env").read_text().splitlines()[0] == v["backups_repository"]
    manifest = pathlib.Path(f"{staging}/manifest.sha256").read_text()
    assert all(f"{p}/file" in manifest for p in rendered["paths"] if "\\" not in p)
    assert pathlib.Path(f"{v['backups_state_dir']}/last-success").exists()


def test_restic_wrapper_and_failure_hook_run_only_what_they_should(rendered):
    tmp, v = rendered["tmp"], rendered["vars"]
    env = bash_env(rendered)
    result = subprocess.run(["bash", str(tmp / "bin" / "ai-coding-restic"), "snapshots", "--json"], capture_output=True,
                            text=True, env=env, check=False, cwd=tmp)
    assert result.returncode == 0, result.stderr
    assert (tmp / "restic-env").read_text().splitlines()[0] == v["backups_repository"]
    # the failure hook runs the operator's command (shell by design) and nothing else
    subprocess.run(["bash", str(tmp / "bin" / "ai-coding-backup-failed")], capture_output=True, text=True, env=env,
                   check=False, cwd=tmp)
    assert (tmp / "hook-ran").exists()
    assert list(rendered["canary"].iterdir()) == [], "a command in a value ran"
