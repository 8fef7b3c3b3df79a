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
    assert run.result['msg'].startswith('settings.log-opts.max-file must be a string, got an integer (3)')
    assert 'quote it: "3"' in run.result['msg']
    assert not daemon.path.exists() and not daemon.path.parent.exists()


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


# --- Files are never followed, never written before the owner, group and mode are known to be good ------------------

SECRET_TARGET = {"proxies": {"https-proxy": "http://alice:s3cr3t-Pa55@proxy.internal:3128"}, "debug": False}


def snapshot(directory):
    """Every entry under ``directory`` with its kind, bytes (files), link target (links) and mode, not following links."""
    seen = {}
    for root, dirs, files in os.walk(str(directory)):
        for entry in dirs + files:
            full = os.path.join(root, entry)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                seen[full] = ('link', os.readlink(full))
            elif stat.S_ISREG(st.st_mode):
                with open(full, 'rb') as fh:
                    seen[full] = ('file', fh.read(), stat.S_IMODE(st.st_mode), st.st_ino)
            else:
                seen[full] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
    return seen


@pytest.fixture
def old_dockerd(monkeypatch):
    """dockerd < 23 (Debian 12): no --validate, so only the module's own checks stand between a value and the file."""
    monkeypatch.setenv('FAKE_DOCKERD_OLD', '1')


def test_symlinked_file_is_refused_unread_and_the_link_kept(daemon, tmp_path, capsys):
    target = tmp_path / 'secrets' / 'daemon.json'
    write(target, json.dumps(SECRET_TARGET))
    os.chmod(target, 0o600)
    daemon.path.parent.mkdir(parents=True)
    daemon.path.symlink_to(target)
    before = snapshot(tmp_path)
    for check in (False, True):
        run = daemon(settings=OURS, check=check, diff=True, _ansible_inject_invocation=True)
        assert run.failed, run
        assert str(daemon.path) in run.result['msg'] and 'symbolic link' in run.result['msg']
        assert 'not follow' in run.result['msg']
        assert 's3cr3t' not in json.dumps(run.result) and 'proxy.internal' not in json.dumps(run.result)
        assert 'config' not in run.result and 'diff' not in run.result
        assert snapshot(tmp_path) == before
    assert os.readlink(daemon.path) == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_dangling_symlink_is_refused_and_nothing_created_at_its_target(daemon, tmp_path):
    daemon.path.parent.mkdir(parents=True)
    daemon.path.symlink_to(tmp_path / 'elsewhere.json')
    run = daemon(settings=OURS)
    assert run.failed and 'symbolic link' in run.result['msg'] and str(daemon.path) in run.result['msg']
    assert not (tmp_path / 'elsewhere.json').exists()
    assert daemon.path.is_symlink()


def test_symlinked_directory_is_refused(daemon, tmp_path):
    real = tmp_path / 'real-docker'
    write(real / 'daemon.json', json.dumps(COOLIFY))
    daemon.path.parent.parent.mkdir(parents=True)
    daemon.path.parent.symlink_to(real)
    before = snapshot(tmp_path)
    run = daemon(settings=OURS)
    assert run.failed, run
    assert str(daemon.path) in run.result['msg'] and 'symbolic link' in run.result['msg']
    assert 'config' not in run.result
    assert snapshot(tmp_path) == before


def test_link_higher_up_the_path_is_resolved(daemon, tmp_path):
    """Snap keeps daemon.json under /var/snap/docker/current (a link to the revision): links above the directory are
    resolved as usual."""
    (tmp_path / 'rev1' / 'config').mkdir(parents=True)
    (tmp_path / 'current').symlink_to(tmp_path / 'rev1')
    path = tmp_path / 'current' / 'config' / 'daemon.json'
    run = daemon(settings=OURS, path=str(path))
    assert not run.failed, run
    assert json.loads((tmp_path / 'rev1' / 'config' / 'daemon.json').read_text()) == OURS


@pytest.mark.parametrize('kind', ['directory', 'fifo', 'device', 'hardlink'])
def test_not_a_regular_file_is_refused(daemon, tmp_path, kind):
    daemon.path.parent.mkdir(parents=True)
    if kind == 'directory':
        daemon.path.mkdir()
        words = 'a directory'
    elif kind == 'fifo':
        os.mkfifo(str(daemon.path))
        words = 'FIFO'
    elif kind == 'device':
        if os.geteuid() != 0:
            pytest.skip('creating a device node needs root')
        os.mknod(str(daemon.path), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        words = 'character device'
    else:
        other = tmp_path / 'other.json'
        write(other, json.dumps(COOLIFY))
        os.link(str(other), str(daemon.path))
        words = '2 hard links'
    before = snapshot(tmp_path)
    run = daemon(settings=OURS)
    assert run.failed, run
    assert str(daemon.path) in run.result['msg'] and words in run.result['msg']
    assert snapshot(tmp_path) == before


def test_world_writable_directory_is_refused(daemon, tmp_path):
    write(daemon.path, json.dumps(COOLIFY))
    os.chmod(daemon.path.parent, 0o777)
    before = snapshot(tmp_path)
    run = daemon(settings=OURS)
    assert run.failed and str(daemon.path.parent) in run.result['msg'] and '0777' in run.result['msg']
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize('option, value, words', [
    ('owner', 'no-such-user-xyz', "owner is 'no-such-user-xyz': there is no such user"),
    ('group', 'no-such-group-xyz', "group is 'no-such-group-xyz': there is no such group"),
    ('owner', 'root\nx', 'control'),
    ('mode', '0666', '0644 or stricter'),
    ('mode', '0777', '0644 or stricter'),
    ('mode', '0664', '0644 or stricter'),
    ('mode', '0744', '0644 or stricter'),
    ('mode', '4644', '0644 or stricter'),
    ('mode', '0244', 'owner must be able to read'),
    ('mode', 'u=rw,go=r', 'octal mode'),
    ('mode', 'rw-r--r--', 'octal mode'),
    ('mode', '', 'octal mode'),
    ('mode', 644, 'quote the mode'),
    ('mode', True, 'octal mode'),
])
def test_bad_owner_group_or_mode_is_refused_before_anything_is_written(daemon, tmp_path, option, value, words):
    write(daemon.path, json.dumps(COOLIFY))
    os.chmod(daemon.path, 0o640)
    before = snapshot(tmp_path)
    run = daemon(settings=OURS, **{option: value})
    assert run.failed, run
    assert words in run.result['msg'] and run.result['msg'].startswith(option)
    assert 'nothing was changed' in run.result['msg']
    assert snapshot(tmp_path) == before
    assert daemon.log.exists() is False, 'dockerd ran although an option was wrong'


def test_bad_owner_creates_neither_file_nor_directory(daemon):
    run = daemon(settings=OURS, owner='no-such-user-xyz')
    assert run.failed
    assert not daemon.path.parent.exists()


@pytest.mark.parametrize('mode, expected', [('0600', 0o600), ('640', 0o640), ('0o644', 0o644), (420, 0o644),
                                            ('0444', 0o444)])
def test_mode_is_applied_to_new_and_existing_files(daemon, mode, expected):
    run = daemon(settings=OURS, mode=mode)
    assert not run.failed, run
    assert stat.S_IMODE(daemon.path.stat().st_mode) == expected
    assert not daemon(settings=OURS, mode=mode).result['changed']
    os.chmod(daemon.path, 0o644 if expected != 0o644 else 0o600)
    run = daemon(settings=OURS, mode=mode)
    assert run.result['changed'] and run.result['changed_keys'] == []
    assert stat.S_IMODE(daemon.path.stat().st_mode) == expected


def test_mode_change_in_check_mode_is_reported_not_made(daemon):
    write(daemon.path, json.dumps(OURS))
    os.chmod(daemon.path, 0o600)
    run = daemon(settings=OURS, check=True)
    assert run.result['changed']
    assert stat.S_IMODE(daemon.path.stat().st_mode) == 0o600


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(daemon, tmp_path, monkeypatch):
    write(daemon.path, json.dumps(COOLIFY))
    before = snapshot(tmp_path)

    def broken_fsync(fd):
        raise OSError(5, 'Input/output error')

    monkeypatch.setattr(os, 'fsync', broken_fsync)
    run = daemon(settings=OURS, backup=True)
    assert run.failed, run
    assert str(daemon.path) in run.result['msg'] and 'old file was kept' in run.result['msg']
    after = snapshot(tmp_path)
    after.pop(str(daemon.log), None)
    before.pop(str(daemon.log), None)
    assert after == before


def test_write_replaces_the_file_atomically(daemon):
    write(daemon.path, json.dumps(COOLIFY))
    inode = daemon.path.stat().st_ino
    run = daemon(settings=OURS)
    assert run.result['changed']
    assert daemon.path.stat().st_ino != inode, 'the file was rewritten in place instead of renamed over'
    assert sorted(os.listdir(daemon.path.parent)) == ['daemon.json']


def test_backup_is_no_looser_than_the_old_file(daemon, old_dockerd):
    write(daemon.path, json.dumps(SECRET_TARGET))
    os.chmod(daemon.path, 0o600)
    run = daemon(settings=OURS, backup=True)
    assert not run.failed, run
    backup = run.result['backup_file']
    assert os.path.dirname(backup) == str(daemon.path.parent)
    assert json.loads(open(backup).read()) == SECRET_TARGET
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600


# --- Files in another encoding, invalid JSON, not an object: refused naming the file --------------------------------

@pytest.mark.parametrize('content, words', [
    (json.dumps(COOLIFY).encode('utf-16'), 'UTF-16'),
    (json.dumps(COOLIFY).encode('utf-16-le'), 'NUL'),
    (json.dumps(COOLIFY).encode('utf-32'), 'UTF-32'),
    ('{"data-root": "/srv/d\u00f6cker"}'.encode('latin-1'), 'byte 0xf6 at offset 21 is not UTF-8'),
    (b'{"debug": true}\xff', 'not UTF-8'),
    (b'{"live-restore": true,,}', 'not valid JSON'),
    (b'{"mtu": NaN}', 'NaN is not a JSON value'),
    (b'["live-restore"]', 'found a list'),
    (b'"live-restore"', 'found a string'),
    (b'1500', 'found an integer'),
    (b'null', 'found a null'),
    (b'[' * 200 + b']' * 200, 'levels deep'),
    (b'[' * 100000 + b']' * 100000, 'levels deep'),
])
def test_unreadable_content_is_refused_naming_the_file(daemon, tmp_path, content, words):
    daemon.path.parent.mkdir(parents=True)
    daemon.path.write_bytes(content)
    os.chmod(daemon.path, 0o640)
    before = snapshot(tmp_path)
    run = daemon(settings=OURS)
    assert run.failed, run
    assert str(daemon.path) in run.result['msg'] and words in run.result['msg'], run.result['msg']
    assert 'nothing was changed' in run.result['msg']
    assert 'codec' not in run.result['msg']
    assert snapshot(tmp_path) == before


def test_utf8_byte_order_mark_is_accepted(daemon):
    daemon.path.parent.mkdir(parents=True)
    daemon.path.write_bytes(b'\xef\xbb\xbf' + json.dumps(COOLIFY).encode())
    run = daemon(settings=OURS)
    assert not run.failed, run
    assert daemon.path.read_bytes()[:1] == b'{'
    assert json.loads(daemon.path.read_text())['default-address-pools'] == COOLIFY['default-address-pools']


def test_oversized_file_is_not_read(daemon, tmp_path):
    daemon.path.parent.mkdir(parents=True)
    daemon.path.write_bytes(b'{"labels": ["' + b'a' * (2 * 1024 * 1024) + b'"]}')
    before = snapshot(tmp_path)
    run = daemon(settings=OURS)
    assert run.failed and str(daemon.path) in run.result['msg'] and 'bytes' in run.result['msg']
    assert snapshot(tmp_path) == before


# --- Credentials are never returned or printed -------------------------------------------------------------------------

PASSWORD = 'Hunter2-s3cr3t'


def test_proxy_credentials_are_hidden_in_config_diff_and_invocation(daemon, old_dockerd):
    proxies = {"http-proxy": "http://alice:%s@proxy.internal:3128" % PASSWORD,
               "https-proxy": "alice:%s@proxy.internal:3128" % PASSWORD, "no-proxy": "localhost"}
    run = daemon(settings={"proxies": proxies}, diff=True, _ansible_inject_invocation=True)
    assert not run.failed, run
    assert PASSWORD not in json.dumps(run.result) and 'alice' not in json.dumps(run.result)
    assert run.result['config']['proxies'] == {"http-proxy": "http://********@proxy.internal:3128",
                                               "https-proxy": "********@proxy.internal:3128", "no-proxy": "localhost"}
    assert '"http-proxy": "http://********@proxy.internal:3128"' in run.result['diff']['after']
    assert json.loads(daemon.path.read_text())['proxies'] == proxies
    again = daemon(settings={"proxies": proxies}, diff=True)
    assert not again.result['changed'] and PASSWORD not in json.dumps(again.result)


def test_secrets_already_in_the_file_are_hidden(daemon, old_dockerd):
    existing = {"log-driver": "splunk",
                "log-opts": {"splunk-token": PASSWORD, "splunk-url": "https://splunk.internal:8088",
                             "loki-url": "https://bob:%s@logs.internal/loki/api/v1/push" % PASSWORD},
                "x-registry": {"auths": {"reg.internal": {"auth": PASSWORD, "email": "a@b"}}},
                "authorization-plugins": ["authz-broker"]}
    write(daemon.path, json.dumps(existing))
    run = daemon(settings={"debug": True}, diff=True, _ansible_inject_invocation=True)
    assert not run.failed, run
    assert PASSWORD not in json.dumps(run.result)
    config = run.result['config']
    assert config['log-opts'] == {"splunk-token": "********", "splunk-url": "https://splunk.internal:8088",
                                  "loki-url": "https://********@logs.internal/loki/api/v1/push"}
    assert config['x-registry'] == {"auths": {"reg.internal": {"auth": "********", "email": "********"}}}
    assert config['authorization-plugins'] == ["authz-broker"]
    assert json.loads(daemon.path.read_text())['log-opts']['splunk-token'] == PASSWORD


def test_secrets_stay_hidden_on_the_error_path(daemon, old_dockerd):
    bad = "http://alice:%s@proxy.internal:3128\n" % PASSWORD
    run = daemon(settings={"proxies": {"https-proxy": bad}}, _ansible_inject_invocation=True)
    assert run.failed
    assert 'settings.proxies.https-proxy' in run.result['msg'] and 'control' in run.result['msg']
    assert PASSWORD not in json.dumps(run.result)
    run = daemon(settings={"log-opts": {"splunk-token": [PASSWORD + 'x' * 200]}})
    assert run.failed and 'settings.log-opts.splunk-token' in run.result['msg']
    assert PASSWORD not in json.dumps(run.result)


def test_a_parser_message_quoting_part_of_a_password_is_hidden(daemon, old_dockerd):
    """urllib's "Port could not be cast to integer value as '...'" quotes the password up to a raw #."""
    run = daemon(settings={"registry-mirrors": ["https://docker:%s#x@mirror.internal" % PASSWORD]},
                 _ansible_inject_invocation=True)
    assert run.failed and 'settings.registry-mirrors[0]' in run.result['msg'], run
    assert PASSWORD not in json.dumps(run.result)


def test_a_proxy_user_name_is_not_masked_elsewhere(daemon, old_dockerd):
    """Only the password goes to the values Ansible masks: a user called docker leaves /etc/docker readable."""
    run = daemon(settings={"proxies": {"https-proxy": "http://docker:%s@proxy:3128" % PASSWORD}}, diff=True)
    assert not run.failed, run
    assert run.result['diff']['after_header'] == str(daemon.path)
    assert PASSWORD not in json.dumps(run.result)


def test_a_file_holding_a_secret_next_to_a_bad_value_hides_it(daemon, old_dockerd):
    write(daemon.path, json.dumps({"proxies": {"https-proxy": 7}, "log-opts": {"splunk-token": PASSWORD}}))
    run = daemon(settings={"debug": True})
    assert run.failed and 'proxies.https-proxy must be a string' in run.result['msg']
    assert PASSWORD not in json.dumps(run.result)


def test_dockerd_messages_are_masked():
    msg = docker_daemon_config.redact_message(
        'invalid mirror: "https://bob:%s@mirror" and %s' % (PASSWORD, PASSWORD), {PASSWORD: '********'})
    assert PASSWORD not in msg and 'bob' not in msg and 'https://********@mirror' in msg


# --- JSON types of the keys Docker documents, with or without dockerd --validate ---------------------------------------

BAD_VALUES = [
    # (key, value, words the message must hold)
    ('live-restore', 'true', 'must be a boolean (true or false), got a string'),
    ('live-restore', 1, 'must be a boolean (true or false), got an integer (1)'),
    ('icc', 'no', 'write true or false without quotes'),
    ('userland-proxy', None, None),
    ('iptables', 0, 'must be a boolean'),
    ('ip6tables', [True], 'must be a boolean'),
    ('ip-forward', 'yes', 'must be a boolean'),
    ('ip-masq', 1.0, 'must be a boolean'),
    ('ipv6', {'on': True}, 'must be a boolean'),
    ('no-new-privileges', 'true', 'must be a boolean'),
    ('selinux-enabled', 1, 'must be a boolean'),
    ('debug', 'false', 'must be a boolean'),
    ('experimental', 0, 'must be a boolean'),
    ('tls', 'true', 'must be a boolean'),
    ('tlsverify', 1, 'must be a boolean'),
    ('mtu', True, 'must be an integer, got a boolean (true)'),
    ('mtu', '1500', "must be an integer, got a string ('1500'); write the number without quotes"),
    ('mtu', 1500.5, 'must be an integer, got a number'),
    ('mtu', 70000, 'from 0 to 65535'),
    ('max-concurrent-downloads', False, 'must be an integer, got a boolean'),
    ('max-concurrent-uploads', '3', 'must be an integer'),
    ('max-download-attempts', -2, 'must be an integer from 0'),
    ('shutdown-timeout', '15s', 'must be an integer'),
    ('shutdown-timeout', 2 ** 64, 'must be an integer from -1'),
    ('dns', '1.1.1.1', "must be a list of strings, got a string ('1.1.1.1'); write a one-item list"),
    ('dns', ['1.1.1.1', 'dns.google'], "settings.dns[1] is 'dns.google': it must be an IPv4 or IPv6 address"),
    ('dns', [8888], 'settings.dns[0] must be a string'),
    ('dns-search', 'example.com', 'must be a list of strings, got a string'),
    ('dns-opts', 'ndots:2', 'must be a list of strings'),
    ('insecure-registries', 'registry.local:5000', 'must be a list of strings, got a string'),
    ('registry-mirrors', 'https://mirror.gcr.io', 'must be a list of strings, got a string'),
    ('registry-mirrors', ['mirror.gcr.io'], 'a URL must start with http:// or https://'),
    ('registry-mirrors', ['https://mirror.internal/?x=1'], 'no query or fragment'),
    ('registry-mirrors', ['https://bob:pw@mirror.internal'], 'may not hold a user name or password'),
    ('storage-opts', 'overlay2.size=10G', 'must be a list of strings'),
    ('exec-opts', 'native.cgroupdriver=systemd', 'must be a list of strings'),
    ('hosts', 'unix:///var/run/docker.sock', 'must be a list of strings'),
    ('authorization-plugins', 'authz', 'must be a list of strings'),
    ('labels', {'a': 'b'}, 'must be a list of strings, got a mapping'),
    ('data-root', 5, 'must be a string, got an integer'),
    ('data-root', '/var/lib/docker\n/evil', 'control'),
    ('data-root', '/' + 'a' * 5000, 'at most 4096 characters'),
    ('exec-root', ['/run/docker'], 'must be a string, got a list'),
    ('log-driver', True, 'must be a string, got a boolean'),
    ('storage-driver', 2, 'must be a string'),
    ('userns-remap', False, 'must be a string'),
    ('seccomp-profile', {}, 'must be a string'),
    ('default-runtime', 1, 'must be a string'),
    ('cgroup-parent', None, None),
    ('containerd', 0, 'must be a string'),
    ('metrics-addr', 9323, 'must be a string'),
    ('default-shm-size', 67108864, 'must be a string'),
    ('group', 999, 'must be a string'),
    ('bridge', False, 'must be a string'),
    ('tlscacert', 1, 'must be a string'),
    ('tlscert', [], 'must be a string'),
    ('tlskey', True, 'must be a string'),
    ('log-level', 'verbose', 'it must be one of trace, debug'),
    ('log-level', 3, 'must be a string'),
    ('default-cgroupns-mode', 'shared', 'one of host, private'),
    ('log-opts', 'max-size=10m', 'must be a mapping (a JSON object), got a string'),
    ('log-opts', {'max-size': 10}, 'settings.log-opts.max-size must be a string, got an integer (10); quote it'),
    ('log-opts', {'max-file': True}, 'settings.log-opts.max-file must be a string, got a boolean'),
    ('log-opts', {'tag': 'a\r\nb'}, 'control'),
    ('features', {'buildkit': 'true'}, 'settings.features.buildkit must be a boolean'),
    ('features', ['buildkit'], 'must be a mapping'),
    ('runtimes', {'nvidia': 'nvidia-container-runtime'}, 'settings.runtimes.nvidia must be a mapping'),
    ('runtimes', {'nvidia': {'path': 5}}, 'settings.runtimes.nvidia.path must be a string'),
    ('runtimes', {'nvidia': {'path': 'x', 'runtimeArgs': '--debug'}}, 'runtimeArgs must be a list of strings'),
    ('default-address-pools', {'base': '10.0.0.0/8', 'size': 24}, 'must be a list of mappings with base and size'),
    ('default-address-pools', [{'base': '10.0.0.0/8', 'size': '24'}], "settings.default-address-pools[0].size must be an integer, got a string ('24')"),
    ('default-address-pools', [{'base': '10.0.0.0', 'size': 24}], 'CIDR'),
    ('default-address-pools', [{'base': '10.0.0.0/8'}], 'has no size'),
    ('default-address-pools', [{'base': '10.0.0.0/16', 'size': 8}], 'from the prefix length of base (16) to 32'),
    ('default-address-pools', ['10.0.0.0/8'], 'must be a mapping'),
    ('default-ulimits', {'nofile': {'Name': 'nofile', 'Hard': '64000', 'Soft': 64000}}, 'nofile.Hard must be an integer'),
    ('default-ulimits', 'nofile=64000', 'must be a mapping'),
    ('proxies', 'http://proxy:3128', 'must be a mapping'),
    ('proxies', {'no-proxy': ['localhost']}, 'settings.proxies.no-proxy must be a string, got a list'),
    ('ip', 'localhost', 'IPv4 or IPv6 address'),
    ('ip', 127001, 'must be a string'),
    ('bip', '172.17.0.1', 'CIDR'),
    ('fixed-cidr', ['172.17.0.0/16'], 'must be a string'),
    ('max-download-attempts', 5.0, 'must be an integer, got a number'),
    ('some-new-option', float('nan'), 'JSON has no NaN or infinity'),
    ('MTU', '1500', 'must be an integer'),
    ('Live-Restore', 'true', 'must be a boolean'),
]


@pytest.mark.parametrize('key, value, words', [b for b in BAD_VALUES if b[2] is not None],
                         ids=['%s=%r' % (b[0], b[1])[:60] for b in BAD_VALUES if b[2] is not None])
def test_wrong_json_type_is_refused_without_dockerd_validate(daemon, tmp_path, old_dockerd, key, value, words):
    write(daemon.path, json.dumps(COOLIFY))
    os.chmod(daemon.path, 0o640)
    before = snapshot(tmp_path)
    run = daemon(settings={key: value})
    assert run.failed, run
    msg = run.result['msg']
    assert ('settings.' + key) in msg and words in msg, msg
    assert 'nothing was changed' in msg
    assert 'dict' not in msg and '_Ansible' not in msg
    assert snapshot(tmp_path) == before


GOOD = {
    "data-root": "/srv/docker", "exec-root": "/run/docker", "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"}, "log-level": "warn", "storage-driver": "overlay2",
    "storage-opts": ["overlay2.override_kernel_check=true"], "live-restore": True, "userland-proxy": False,
    "iptables": True, "ip6tables": True, "ip-forward": True, "ip-masq": True, "ipv6": False, "icc": False,
    "ip": "127.0.0.1", "bip": "172.26.0.1/16", "fixed-cidr": "172.26.0.0/17", "fixed-cidr-v6": "fd00::/80",
    "default-address-pools": [{"base": "10.0.0.0/8", "size": 24}, {"base": "fd00:1::/48", "size": 64}],
    "dns": ["1.1.1.1", "2606:4700:4700::1111"], "dns-search": ["example.com"], "dns-opts": ["ndots:2"], "mtu": 1450,
    "userns-remap": "", "no-new-privileges": True, "selinux-enabled": False, "seccomp-profile": "builtin",
    "default-runtime": "runc",
    "runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"},
                 "crun": {"path": "/usr/bin/crun", "runtimeArgs": ["--debug"]}},
    "registry-mirrors": ["https://mirror.gcr.io"], "insecure-registries": ["10.1.0.0/16"],
    "features": {"buildkit": True, "containerd-snapshotter": False}, "max-concurrent-downloads": 3,
    "max-concurrent-uploads": 5, "max-download-attempts": 5, "shutdown-timeout": 15, "debug": False,
    "experimental": False, "hosts": ["unix:///var/run/docker.sock"], "tls": False, "tlsverify": False,
    "tlscacert": "/etc/docker/ca.pem", "tlscert": "/etc/docker/cert.pem", "tlskey": "/etc/docker/key.pem",
    "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}}, "cgroup-parent": "docker.slice",
    "exec-opts": ["native.cgroupdriver=systemd"], "containerd": "/run/containerd/containerd.sock",
    "metrics-addr": "127.0.0.1:9323", "proxies": {"http-proxy": "http://proxy:3128", "no-proxy": "localhost"},
    "default-shm-size": "64M", "group": "docker", "bridge": "", "authorization-plugins": [],
    "default-cgroupns-mode": "private", "log-format": "json", "some-future-option": {"any": [1, "two", None]},
}


def test_every_known_key_takes_its_documented_type(daemon, old_dockerd):
    run = daemon(settings=GOOD)
    assert not run.failed, run
    assert json.loads(daemon.path.read_text()) == GOOD
    assert not daemon(settings=GOOD).result['changed']


def test_bad_value_already_in_the_file_is_reported_when_writing(daemon, tmp_path, old_dockerd):
    write(daemon.path, json.dumps(dict(COOLIFY, mtu="1500")))
    before = snapshot(tmp_path)
    run = daemon(settings=OURS)
    assert run.failed, run
    assert str(daemon.path) in run.result['msg']
    assert "mtu must be an integer, got a string ('1500')" in run.result['msg']
    assert snapshot(tmp_path) == before


def test_bad_value_in_the_file_is_left_alone_when_nothing_changes(daemon, old_dockerd):
    write(daemon.path, json.dumps(dict(OURS, mtu="1500")))
    os.chmod(daemon.path, 0o644)
    run = daemon(settings=OURS)
    assert not run.failed and not run.result['changed'], run


def test_nested_null_deletes_even_where_the_file_has_no_object(daemon):
    run = daemon(settings={"log-opts": {"max-size": None, "max-file": "3"}})
    assert not run.failed, run
    assert json.loads(daemon.path.read_text()) == {"log-opts": {"max-file": "3"}}
    assert not daemon(settings={"log-opts": {"max-size": None, "max-file": "3"}}).result['changed']


@pytest.mark.parametrize('settings, remove, words', [
    ({" icc": False}, [], 'surrounding spaces'),
    ({"": False}, [], 'settings key'),
    ({"ic\nc": False}, [], 'control'),
    ({}, ["icc\x00"], 'remove item'),
])
def test_bad_keys_are_refused(daemon, settings, remove, words):
    run = daemon(settings=settings, remove=remove)
    assert run.failed and words in run.result['msg'], run
    assert not daemon.path.exists()


def test_relative_path_is_refused(daemon):
    run = daemon(settings=OURS, path='daemon.json')
    assert run.failed and "path is 'daemon.json'" in run.result['msg']
