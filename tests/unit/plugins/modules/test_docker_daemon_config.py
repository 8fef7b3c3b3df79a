# Unit tests for the docker_daemon_config module: merge semantics, idempotence, validation before writing, check/diff.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import grp
import json
import os
import pwd
import stat

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.modules import docker_daemon_config

FAKE_DOCKERD = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'fixtures', 'dockerd', 'dockerd')

# What Coolify's installer writes (scripts/install.sh, step 4).
COOLIFY = {
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "default-address-pools": [{"base": "10.0.0.0/8", "size": 24}],
}
OURS = {"live-restore": True, "no-new-privileges": True, "icc": False, "userland-proxy": False,
        "log-opts": {"max-size": "10m", "max-file": "3"}}


@pytest.fixture
def daemon(run_module, tmp_path, monkeypatch):
    log = tmp_path / 'dockerd.log'
    monkeypatch.setenv('FAKE_DOCKERD_LOG', str(log))
    path = tmp_path / 'etc' / 'docker' / 'daemon.json'
    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name

    def _run(check=False, diff=False, **args):
        args.setdefault('path', str(path))
        args.setdefault('dockerd_path', os.path.abspath(FAKE_DOCKERD))
        args.setdefault('owner', me)
        args.setdefault('group', group)
        if check:
            args['_ansible_check_mode'] = True
        if diff:
            args['_ansible_diff'] = True
        return run_module(docker_daemon_config.main, args)

    _run.path = path
    _run.log = log
    return _run


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def test_creates_missing_file_and_directory_0644(daemon):
    run = daemon(settings=OURS)
    assert not run.failed, run
    assert run.result['changed']
    assert json.loads(daemon.path.read_text()) == OURS
    assert stat.S_IMODE(daemon.path.stat().st_mode) == 0o644
    assert run.result['validated'] is True
    assert run.result['restart_required'] is True


def test_keeps_coolify_keys_and_adds_ours(daemon):
    write(daemon.path, json.dumps(COOLIFY))
    run = daemon(settings=OURS)
    cfg = json.loads(daemon.path.read_text())
    assert cfg['default-address-pools'] == COOLIFY['default-address-pools']
    assert cfg['log-driver'] == 'json-file'
    assert cfg['log-opts'] == {"max-size": "10m", "max-file": "3"}
    assert cfg['live-restore'] is True and cfg['icc'] is False
    assert run.result['changed_keys'] == ['icc', 'live-restore', 'no-new-privileges', 'userland-proxy']


def test_nested_dicts_merge_and_lists_replace(daemon):
    write(daemon.path, json.dumps({"log-opts": {"max-size": "50m", "labels": "a"}, "dns": ["1.1.1.1", "8.8.8.8"]}))
    run = daemon(settings={"log-opts": {"max-size": "10m"}, "dns": ["9.9.9.9"]})
    assert not run.failed, run
    cfg = json.loads(daemon.path.read_text())
    assert cfg == {"log-opts": {"max-size": "10m", "labels": "a"}, "dns": ["9.9.9.9"]}


def test_second_run_is_unchanged_and_does_not_validate_again(daemon):
    daemon(settings=OURS)
    calls = daemon.log.read_text()
    run = daemon(settings=OURS)
    assert not run.result['changed'], run
    assert run.result['changed_keys'] == []
    assert daemon.log.read_text() == calls


def test_equal_content_in_another_format_is_not_rewritten(daemon):
    text = json.dumps(dict(COOLIFY, **OURS), separators=(',', ':'))
    write(daemon.path, text)
    os.chmod(daemon.path, 0o644)
    run = daemon(settings=OURS)
    assert not run.result['changed'], run
    assert daemon.path.read_text() == text


def test_wrong_mode_alone_is_a_change(daemon):
    write(daemon.path, json.dumps(OURS))
    os.chmod(daemon.path, 0o666)
    run = daemon(settings=OURS)
    assert run.result['changed']
    assert stat.S_IMODE(daemon.path.stat().st_mode) == 0o644


def test_null_and_remove_delete_keys(daemon):
    write(daemon.path, json.dumps({"insecure-registries": ["reg:5000"], "experimental": True, "icc": True}))
    run = daemon(settings={"experimental": None, "icc": False}, remove=['insecure-registries'])
    assert json.loads(daemon.path.read_text()) == {"icc": False}
    assert run.result['changed_keys'] == ['experimental', 'icc', 'insecure-registries']


def test_invalid_json_fails_and_keeps_the_file(daemon):
    write(daemon.path, '{"live-restore": true,,}')
    run = daemon(settings=OURS)
    assert run.failed
    assert str(daemon.path) in run.result['msg'] and 'not valid JSON' in run.result['msg']
    assert daemon.path.read_text() == '{"live-restore": true,,}'


def test_non_object_json_fails(daemon):
    write(daemon.path, '["live-restore"]')
    run = daemon(settings=OURS)
    assert run.failed and 'JSON object' in run.result['msg']


def test_dockerd_refusal_keeps_the_old_file(daemon):
    write(daemon.path, json.dumps(COOLIFY))
    before = daemon.path.read_text()
    run = daemon(settings={"no-such-option": True})
    assert run.failed
    assert 'dockerd refused' in run.result['msg'] and 'no-such-option' in run.result['msg']
    assert daemon.path.read_text() == before
    assert [p for p in os.listdir(daemon.path.parent) if p != 'daemon.json'] == []


def test_old_dockerd_skips_validation(daemon, monkeypatch):
    monkeypatch.setenv('FAKE_DOCKERD_OLD', '1')
    run = daemon(settings={"no-such-option": True})
    assert not run.failed
    assert run.result['validated'] is False


def test_missing_explicit_dockerd_is_an_error(daemon, tmp_path):
    run = daemon(settings=OURS, dockerd_path=str(tmp_path / 'absent'))
    assert run.failed and str(tmp_path / 'absent') in run.result['msg']
    assert not daemon.path.exists()


def test_dockerd_not_installed_skips_validation(daemon, monkeypatch, tmp_path):
    monkeypatch.setenv('PATH', str(tmp_path))
    run = daemon(settings=OURS, dockerd_path=None)
    assert not run.failed, run
    assert run.result['validated'] is False
    assert json.loads(daemon.path.read_text()) == OURS


def test_numeric_log_opt_is_refused_before_reading(daemon):
    run = daemon(settings={"log-opts": {"max-file": 3}})
    assert run.failed
    assert 'max-file=3' in run.result['msg'] and 'must be a string' in run.result['msg']
    assert not daemon.path.exists()


def test_key_in_settings_and_remove_is_refused(daemon):
    run = daemon(settings={"icc": False}, remove=['icc'])
    assert run.failed and 'icc' in run.result['msg']


def test_check_mode_reports_and_writes_nothing(daemon):
    write(daemon.path, json.dumps(COOLIFY))
    before = daemon.path.read_text()
    run = daemon(settings=OURS, check=True, diff=True)
    assert run.result['changed']
    assert daemon.path.read_text() == before
    assert '"live-restore": true' in run.result['diff']['after']
    assert '"live-restore"' not in run.result['diff']['before']


def test_only_reloadable_keys_need_no_restart(daemon):
    write(daemon.path, json.dumps(OURS))
    os.chmod(daemon.path, 0o644)
    run = daemon(settings={"live-restore": False, "debug": True})
    assert run.result['changed']
    assert run.result['restart_required'] is False
    run = daemon(settings={"icc": True})
    assert run.result['restart_required'] is True


def test_backup_keeps_the_old_content(daemon):
    write(daemon.path, json.dumps(COOLIFY))
    run = daemon(settings=OURS, backup=True)
    assert json.loads(open(run.result['backup_file']).read()) == COOLIFY
