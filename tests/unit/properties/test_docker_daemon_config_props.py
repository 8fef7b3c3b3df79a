# Property tests (Hypothesis) for the docker_daemon_config module, run on real files in a temporary directory.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile values for every key the module knows are refused naming the key, before the file is read or changed;
hostile files (links, other kinds of file, other encodings) are refused unread; credentials never come back; valid
configurations are written once and then left alone.

dockerd is the test double of tests/fixtures/dockerd in its "older than 23" mode (no --validate, as on Debian 12),
so every refusal here is the module's own.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
import stat
import string
import tempfile

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ansible.module_utils.testing import patch_module_args
from ansible_collections.selfhosted.ai_coding.plugins.modules import docker_daemon_config as ddc
from hostile import (
    huge_text,
    safe_text,
    str_for_list,
    text_with_control,
    text_with_invisible,
    text_with_newline_injection,
    bad_url,
    valid_url,
)

FAKE_DOCKERD = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'dockerd', 'dockerd'))
COOLIFY = {
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "default-address-pools": [{"base": "10.0.0.0/8", "size": 24}],
}
INT64_MAX = 2 ** 63 - 1

# The kind of value each key the module knows takes, as the tests see it (kept apart from the module's table, so a
# key added there without a hostile strategy here fails test_every_known_key_has_strategies).
BOOL = ['live-restore', 'userland-proxy', 'iptables', 'ip6tables', 'ip-forward', 'ip-masq', 'ipv6', 'icc',
        'no-new-privileges', 'selinux-enabled', 'debug', 'experimental', 'tls', 'tlsverify', 'init', 'raw-logs']
INT = {'mtu': (0, 65535), 'max-concurrent-downloads': (0, INT64_MAX), 'max-concurrent-uploads': (0, INT64_MAX),
       'max-download-attempts': (0, INT64_MAX), 'shutdown-timeout': (-1, INT64_MAX), 'oom-score-adjust': (-1000, 1000)}
STR = ['data-root', 'exec-root', 'pidfile', 'storage-driver', 'containerd', 'containerd-namespace',
       'containerd-plugins-namespace', 'log-driver', 'metrics-addr', 'group', 'tlscacert', 'tlscert', 'tlskey',
       'userns-remap', 'seccomp-profile', 'default-runtime', 'default-shm-size', 'cgroup-parent', 'init-path', 'bridge',
       'userland-proxy-path']
CHOICE = {'log-level': ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'],
          'log-format': ['text', 'json'], 'default-cgroupns-mode': ['host', 'private'],
          'default-ipc-mode': ['private', 'shareable']}
STR_LIST = ['storage-opts', 'cdi-spec-dirs', 'labels', 'hosts', 'exec-opts', 'authorization-plugins', 'dns-opts',
            'dns-search', 'insecure-registries', 'allow-nondistributable-artifacts']
IP = ['ip', 'host-gateway-ip', 'default-gateway', 'default-gateway-v6']
CIDR = ['bip', 'fixed-cidr', 'fixed-cidr-v6']
SPECIAL = ['log-opts', 'features', 'proxies', 'runtimes', 'default-ulimits', 'default-address-pools',
           'default-network-opts', 'dns', 'registry-mirrors']


# --- Strategies ---------------------------------------------------------------------------------------------------------

scalar_not_str = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False))
hostile_str = st.one_of(text_with_control, text_with_invisible, text_with_newline_injection, huge_text)
not_a_list = st.one_of(str_for_list, scalar_not_str, st.dictionaries(safe_text, safe_text, min_size=1, max_size=2))
not_a_mapping = st.one_of(safe_text, scalar_not_str, st.lists(safe_text, min_size=1, max_size=2))
not_a_bool = st.one_of(st.integers(), st.floats(allow_nan=False), safe_text,
                       st.sampled_from(['true', 'false', 'yes', 'no', '1', '0', 'True']),
                       st.lists(st.booleans(), max_size=2), st.dictionaries(safe_text, st.booleans(), max_size=1))
not_a_str = st.one_of(scalar_not_str, st.lists(safe_text, max_size=2), st.dictionaries(safe_text, safe_text, max_size=2))
bad_list_of_str = st.one_of(not_a_list, st.lists(hostile_str, min_size=1, max_size=3),
                            st.lists(scalar_not_str, min_size=1, max_size=3),
                            st.lists(st.sampled_from(['', ' ', '\t']), min_size=1, max_size=2))


def not_an_int(low, high):
    out_of_range = st.integers(max_value=low - 1) | st.integers(min_value=high + 1, max_value=2 ** 70)
    return st.one_of(st.booleans(), st.floats(allow_nan=False), safe_text, st.from_regex(r'\A-?[0-9]{1,6}\Z'),
                     st.lists(st.integers(), max_size=2), out_of_range)


def _not_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return True
    return False


def _not_cidr(text):
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        return True
    return '/' not in text


not_an_ip = st.one_of(not_a_str, hostile_str, safe_text.filter(_not_ip),
                      st.sampled_from(['localhost', '1.1.1', '256.1.1.1', '1.1.1.1/32', '::g', ' 1.1.1.1']))
not_a_cidr = st.one_of(not_a_str, hostile_str, safe_text.filter(_not_cidr),
                       st.sampled_from(['172.17.0.1', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/', '/8']))
bad_pool = st.one_of(
    not_a_mapping,
    st.fixed_dictionaries({'base': not_a_cidr, 'size': st.integers(min_value=8, max_value=32)}),
    st.fixed_dictionaries({'base': st.just('10.0.0.0/8'), 'size': not_an_int(8, 32)}),
    st.sampled_from([{'base': '10.0.0.0/8'}, {'size': 24}, {}, {'base': '10.0.0.0/16', 'size': 8},
                     {'base': '10.0.0.0/8', 'size': 33}]))

HOSTILE = {}
for _key in BOOL:
    HOSTILE[_key] = not_a_bool
for _key, (_low, _high) in INT.items():
    HOSTILE[_key] = not_an_int(_low, _high)
for _key in STR:
    HOSTILE[_key] = st.one_of(not_a_str, hostile_str)
for _key, _choices in CHOICE.items():
    HOSTILE[_key] = st.one_of(not_a_str, hostile_str,
                              safe_text.filter(lambda s, c=tuple(_choices): s.lower() not in c))
for _key in STR_LIST:
    HOSTILE[_key] = bad_list_of_str
for _key in IP:
    HOSTILE[_key] = not_an_ip
for _key in CIDR:
    HOSTILE[_key] = not_a_cidr
HOSTILE.update({
    'dns': st.one_of(bad_list_of_str, st.lists(not_an_ip, min_size=1, max_size=2)),
    'registry-mirrors': st.one_of(bad_list_of_str, st.lists(bad_url, min_size=1, max_size=2)),
    'log-opts': st.one_of(not_a_mapping, st.dictionaries(safe_text, st.one_of(not_a_str, hostile_str), min_size=1,
                                                         max_size=2)),
    'features': st.one_of(not_a_mapping, st.dictionaries(safe_text, not_a_bool, min_size=1, max_size=2)),
    'proxies': st.one_of(not_a_mapping, st.dictionaries(st.sampled_from(['http-proxy', 'https-proxy', 'no-proxy']),
                                                        st.one_of(not_a_str, hostile_str), min_size=1)),
    'runtimes': st.one_of(not_a_mapping, st.dictionaries(safe_text, not_a_mapping, min_size=1, max_size=1),
                          st.dictionaries(safe_text, st.one_of(
                              st.fixed_dictionaries({'path': st.one_of(not_a_str, hostile_str)}),
                              st.fixed_dictionaries({'path': safe_text, 'runtimeArgs': bad_list_of_str})),
                              min_size=1, max_size=1)),
    'default-ulimits': st.one_of(not_a_mapping, st.dictionaries(safe_text, not_a_mapping, min_size=1, max_size=1),
                                 st.dictionaries(safe_text, st.fixed_dictionaries(
                                     {'Name': safe_text, 'Hard': not_an_int(-(2 ** 63), INT64_MAX)}),
                                     min_size=1, max_size=1)),
    'default-address-pools': st.one_of(not_a_list, st.lists(bad_pool, min_size=1, max_size=2)),
    'default-network-opts': st.one_of(not_a_mapping, st.dictionaries(safe_text, not_a_mapping, min_size=1, max_size=1),
                                      st.dictionaries(safe_text, st.dictionaries(safe_text, st.one_of(
                                          not_a_str, hostile_str), min_size=1, max_size=1), min_size=1, max_size=1)),
})
hostile_setting = st.sampled_from(sorted(HOSTILE)).flatmap(lambda k: st.tuples(st.just(k), HOSTILE[k]))

# Valid values, as Docker reads them.
plain_text = st.text(alphabet=st.characters(blacklist_categories=('Cc', 'Cf', 'Cs', 'Zl', 'Zp')), max_size=40)
word = st.text(alphabet=string.ascii_letters + string.digits + '._-=:/', min_size=1, max_size=30)
ip_text = st.ip_addresses().map(str)
cidr_text = st.one_of(
    st.tuples(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32)).map(lambda t: '%s/%d' % t),
    st.tuples(st.ip_addresses(v=6), st.integers(min_value=0, max_value=128)).map(lambda t: '%s/%d' % t))


def _pool(base, extra):
    network = ipaddress.ip_interface(base).network
    return {'base': str(network), 'size': max(1, min(network.max_prefixlen, network.prefixlen + extra))}


VALID = {}
for _key in BOOL:
    VALID[_key] = st.booleans()
for _key, (_low, _high) in INT.items():
    VALID[_key] = st.integers(min_value=_low, max_value=min(_high, 10 ** 6))
for _key in STR:
    VALID[_key] = plain_text
for _key, _choices in CHOICE.items():
    VALID[_key] = st.sampled_from(_choices)
for _key in STR_LIST:
    VALID[_key] = st.lists(word, max_size=3)
for _key in IP:
    VALID[_key] = ip_text
for _key in CIDR:
    VALID[_key] = cidr_text
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                      plain_text)
VALID.update({
    'dns': st.lists(ip_text, max_size=3),
    'registry-mirrors': st.lists(valid_url, max_size=2),
    'log-opts': st.dictionaries(word, st.one_of(st.none(), plain_text), max_size=3),
    'features': st.dictionaries(word, st.booleans(), max_size=3),
    'proxies': st.fixed_dictionaries({}, optional={'http-proxy': valid_url, 'https-proxy': valid_url,
                                                   'no-proxy': word}),
    'runtimes': st.dictionaries(word, st.fixed_dictionaries({'path': word}, optional={
        'runtimeArgs': st.lists(word, max_size=2), 'args': st.lists(json_leaf, max_size=2)}), max_size=2),
    'default-ulimits': st.dictionaries(word, st.fixed_dictionaries({
        'Name': word, 'Hard': st.integers(min_value=-1, max_value=10 ** 6),
        'Soft': st.integers(min_value=-1, max_value=10 ** 6)}), max_size=2),
    'default-address-pools': st.lists(st.builds(_pool, cidr_text, st.integers(min_value=0, max_value=16)),
                                      max_size=3),
    'default-network-opts': st.dictionaries(word, st.dictionaries(word, plain_text, max_size=2), max_size=2),
})
unknown_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                             | st.dictionaries(word, inner, max_size=3), max_leaves=8)
valid_settings = st.tuples(
    st.lists(st.sampled_from(sorted(VALID)), unique=True, max_size=8).flatmap(
        lambda keys: st.fixed_dictionaries({k: VALID[k] for k in keys})),
    st.dictionaries(st.from_regex(r'\Ax-[a-z0-9-]{1,12}\Z'), unknown_value, max_size=2),
).map(lambda t: dict(t[0], **t[1])).filter(bool)


# --- Helpers ------------------------------------------------------------------------------------------------------------

@pytest.fixture
def run(capsys, monkeypatch, tmp_path):
    """``run(**args) -> result``: the module's main() with ``args``, as Ansible would call it (dockerd < 23)."""
    monkeypatch.setenv('FAKE_DOCKERD_OLD', '1')
    monkeypatch.setenv('FAKE_DOCKERD_LOG', str(tmp_path / 'dockerd.log'))

    def _run(**args):
        args.setdefault('dockerd_path', FAKE_DOCKERD)
        args.setdefault('owner', str(os.getuid()))
        args.setdefault('group', str(os.getgid()))
        capsys.readouterr()
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                ddc.main()
        return json.loads(capsys.readouterr().out)

    _run.tmp_path = tmp_path
    return _run


def fresh_dir(run):
    """A new directory per example (Hypothesis reuses the test's fixtures for all its examples)."""
    return tempfile.mkdtemp(dir=str(run.tmp_path))


def snapshot(directory):
    seen = {}
    for root, dirs, files in os.walk(directory):
        for entry in dirs + files:
            full = os.path.join(root, entry)
            st_ = os.lstat(full)
            if stat.S_ISLNK(st_.st_mode):
                seen[full] = ('link', os.readlink(full))
            elif stat.S_ISREG(st_.st_mode):
                with open(full, 'rb') as fh:
                    seen[full] = ('file', fh.read(), stat.S_IMODE(st_.st_mode), st_.st_ino)
            else:
                seen[full] = (stat.S_IFMT(st_.st_mode), stat.S_IMODE(st_.st_mode))
    return seen


def reference_merge(base, overlay):
    out = dict(base)
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = reference_merge(out[key] if isinstance(out.get(key), dict) else {}, value)
        else:
            out[key] = value
    return out


def test_every_known_key_has_strategies():
    assert sorted(HOSTILE) == sorted(ddc.KNOWN_KEYS) == sorted(VALID)
    assert sorted(BOOL + list(INT) + STR + list(CHOICE) + STR_LIST + IP + CIDR + SPECIAL) == sorted(ddc.KNOWN_KEYS)


# --- Properties ---------------------------------------------------------------------------------------------------------

@given(case=hostile_setting)
@example(case=('mtu', True))                                    # bool for int: written, dockerd then refused to start
@example(case=('insecure-registries', 'registry.local:5000'))   # string for list: written as a string
@example(case=('live-restore', 'true'))                         # string for bool
@example(case=('log-opts', {'max-file': 3}))                    # number in log-opts
def test_hostile_value_of_a_known_key_is_refused_before_the_file_changes(run, case):
    key, value = case
    directory = fresh_dir(run)
    path = os.path.join(directory, 'daemon.json')
    with open(path, 'w') as fh:
        json.dump(COOLIFY, fh)
    os.chmod(path, 0o640)
    before = snapshot(directory)

    result = run(path=path, settings={key: value})

    assert result.get('failed'), result
    msg = result['msg']
    assert ('settings.%s' % key) in msg, msg
    if not isinstance(value, (list, dict)):
        assert ddc.show(value) in msg, msg
    assert 'nothing was changed' in msg
    said = msg.replace(ddc.show(value), '') if isinstance(value, str) else msg
    assert '_Ansible' not in said and 'dict' not in said
    assert snapshot(directory) == before
    assert not os.path.exists(str(run.tmp_path / 'dockerd.log')), 'dockerd ran for a refused value'


def json_writable(value):
    """Whether ``value`` can stand in a JSON file (no NaN or infinity), as a hand-edited daemon.json could hold it."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(json_writable(v) for v in value.values())
    if isinstance(value, list):
        return all(json_writable(v) for v in value)
    return True


@given(case=hostile_setting.filter(lambda c: json_writable(c[1])))
@example(case=('mtu', '1500'))
@example(case=('dns', '1.1.1.1'))
def test_hostile_value_already_in_the_file_is_not_written_back(run, case):
    key, value = case
    directory = fresh_dir(run)
    path = os.path.join(directory, 'daemon.json')
    with open(path, 'w') as fh:
        json.dump(dict(COOLIFY, **{key: value}), fh)
    os.chmod(path, 0o644)
    before = snapshot(directory)

    result = run(path=path, settings={'x-touched-by-test': True})

    assert result.get('failed'), result
    assert path in result['msg'] and key in result['msg'], result['msg']
    assert snapshot(directory) == before


FILE_KINDS = ['symlink', 'dangling-symlink', 'symlinked-dir', 'directory', 'fifo', 'hardlink', 'utf-16', 'utf-32',
              'utf-16-no-bom', 'latin-1', 'bytes', 'not-an-object']


secret_text = st.text(alphabet=string.ascii_letters + string.digits, min_size=12, max_size=40)


@given(kind=st.sampled_from(FILE_KINDS), secret=secret_text, noise=st.binary(max_size=64), check=st.booleans())
@example(kind='symlink', secret='s3cr3tPassw0rd', noise=b'', check=False)  # followed: target returned and replaced
@example(kind='latin-1', secret='s3cr3tPassw0rd', noise=b'', check=False)  # bare codec error naming no file
def test_hostile_file_is_refused_unread_and_left_as_it_is(run, kind, secret, noise, check):
    directory = fresh_dir(run)
    docker = os.path.join(directory, 'docker')
    path = os.path.join(docker, 'daemon.json')
    content = {"proxies": {"https-proxy": "http://u:%s@proxy:3128" % secret}, "data-root": "/srv/d\u00f6cker-" + secret}
    secret_file = os.path.join(directory, 'secret.json')
    with open(secret_file, 'w') as fh:
        json.dump(content, fh)
    os.chmod(secret_file, 0o600)
    os.mkdir(docker)
    if kind == 'symlink':
        os.symlink(secret_file, path)
    elif kind == 'dangling-symlink':
        os.symlink(os.path.join(directory, 'absent.json'), path)
    elif kind == 'symlinked-dir':
        os.rmdir(docker)
        os.mkdir(os.path.join(directory, 'real'))
        os.link(secret_file, os.path.join(directory, 'real', 'daemon.json'))
        os.symlink(os.path.join(directory, 'real'), docker)
    elif kind == 'directory':
        os.mkdir(path)
    elif kind == 'fifo':
        os.mkfifo(path)
    elif kind == 'hardlink':
        os.link(secret_file, path)
    else:
        text = json.dumps(content, ensure_ascii=False)
        data = {'utf-16': text.encode('utf-16'), 'utf-32': text.encode('utf-32'),
                'utf-16-no-bom': text.encode('utf-16-le'), 'latin-1': text.encode('latin-1'),
                'bytes': b'{' + noise + secret.encode() + b'\xff',
                'not-an-object': json.dumps([content]).encode()}[kind]
        with open(path, 'wb') as fh:
            fh.write(data)
    before = snapshot(directory)

    result = run(path=path, settings={'live-restore': True}, _ansible_check_mode=check, _ansible_diff=True)

    assert result.get('failed'), result
    assert path in result['msg'], result['msg']
    assert 'codec' not in result['msg'] and 'Traceback' not in result['msg']
    assert secret not in json.dumps(result, ensure_ascii=False)
    assert 'config' not in result and 'diff' not in result
    assert snapshot(directory) == before


@given(settings=valid_settings, base=st.sampled_from([None, {}, COOLIFY, {"live-restore": False, "dns": ["9.9.9.9"]}]))
@example(settings={'log-opts': {'max-size': None, 'max-file': '3'}}, base=None)  # wrote null; never idempotent
def test_valid_settings_are_written_once_then_left_alone(run, settings, base):
    directory = fresh_dir(run)
    path = os.path.join(directory, 'docker', 'daemon.json')
    if base is not None:
        os.mkdir(os.path.dirname(path))
        with open(path, 'w') as fh:
            json.dump(base, fh)
        os.chmod(path, 0o644)
    expected = reference_merge(base or {}, settings)

    first = run(path=path, settings=settings)

    assert not first.get('failed'), first
    assert first['changed'] == (base is None or expected != base)
    with open(path, 'rb') as fh:
        assert json.loads(fh.read().decode('utf-8')) == expected
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert first['config'] == ddc.redact(expected)

    second = run(path=path, settings=settings)

    assert not second.get('failed'), second
    assert not second['changed'] and second['changed_keys'] == []
    assert sorted(os.listdir(os.path.dirname(path))) == ['daemon.json']


# Passwords with the characters URLs make special; every piece between them starts with PW, so a piece found in the
# output is a leak, never a word the output holds anyway (such as 'docker' in a path).
password = st.lists(st.tuples(st.sampled_from(list('!#$%&*+,-.;=?@^_~/:')),
                              st.text(alphabet=string.ascii_letters + string.digits, min_size=4, max_size=10)),
                    min_size=1, max_size=4).map(lambda parts: 'PW' + ''.join(sep + 'PW' + word for sep, word in parts))


@given(pw=password, user=st.from_regex(r'\A[a-z]{1,10}\Z'), where=st.sampled_from(
    ['http-proxy', 'https-proxy', 'schemeless', 'mirror', 'token']), fail=st.booleans())
@example(pw='PWp@ss/word', user='alice', where='http-proxy', fail=False)  # returned as written in config and diff
@example(pw='PW00000#', user='a', where='mirror', fail=False)  # urllib's message quoted 'PW00000' (found by Hypothesis)
@example(pw='PW@PW0000#PW0000', user='a', where='mirror', fail=False)  # host PW0000 + fragment passed check_url
def test_credentials_never_come_back(run, pw, user, where, fail):
    directory = fresh_dir(run)
    path = os.path.join(directory, 'daemon.json')
    url = 'http://%s:%s@proxy.internal:3128' % (user, pw)
    settings = {
        'http-proxy': {'proxies': {'http-proxy': url}},
        'https-proxy': {'proxies': {'https-proxy': url, 'no-proxy': 'localhost'}},
        'schemeless': {'proxies': {'https-proxy': '%s:%s@proxy.internal:3128' % (user, pw)}},
        'mirror': {'registry-mirrors': ['https://%s:%s@mirror.internal' % (user, pw)]},
        'token': {'log-opts': {'splunk-token': pw}},
    }[where]
    if fail:
        settings['mtu'] = '1500'

    # dockerd refuses credentials in a mirror URL, so the module does too; the message (which may quote urllib's
    # error, holding a piece of the password) must hide them all the same.
    malformed = where == 'mirror'

    result = run(path=path, settings=settings, _ansible_diff=True, _ansible_inject_invocation=True)

    assert bool(result.get('failed')) == bool(fail or malformed), result
    out = json.dumps(result, ensure_ascii=False)
    assert pw not in out
    for piece in re.split(r'[:/?#@]', pw):
        assert len(piece) < 6 or piece not in out, piece
    if not result.get('failed'):
        with open(path) as fh:
            assert pw in fh.read()
