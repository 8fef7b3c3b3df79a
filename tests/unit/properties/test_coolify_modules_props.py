# Property suite for the coolify_* modules: hostile values are refused before any request; valid ones are idempotent.
# SPDX-License-Identifier: GPL-3.0-or-later
"""For each option of coolify_project, coolify_application, coolify_deploy and coolify_info (and the connection options
they share), generated hostile values (control characters, line breaks, invisible and look-alike characters, shell
syntax, traversal, huge and empty values, wrong types, a string where a list or mapping belongs) must fail the module
with a message that names the option, never names a Python type, never quotes a secret, and with no request sent.
Generated valid values must be accepted, and a second run against the same fake Coolify must report no change.

The fake Coolify is the stand-in of tests/fixtures/coolify_standin called in-process behind the client's transport
(every request attempt is counted there, whatever URL it is for), plus what Coolify does that the stand-in leaves out:
Laravel's TrimStrings and ConvertEmptyStringsToNull on every request body, and a generated domain for an application
created without one unless ``autogenerate_domain`` is false. Its state is kept across examples.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import io
import json
import math
import string
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ansible.module_utils.testing import patch_module_args

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _coolify_api
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import RequestError, Response
from ansible_collections.selfhosted.ai_coding.plugins.modules import coolify_application, coolify_deploy, coolify_info, coolify_project
from hostile import (
    CONTROL,
    INVISIBLE,
    _with,
    bad_env_name,
    bad_port,
    bad_url,
    blank_text,
    hostile_text,
    huge_text,
    safe_text,
    str_for_list,
    text_with_control,
    text_with_invisible,
    text_with_newline_injection,
    text_with_traversal,
    valid_env_name,
    valid_port,
    wrong_type_for_int,
    wrong_type_for_str,
)

STANDIN = Path(__file__).resolve().parents[3] / 'tests' / 'fixtures' / 'coolify_standin' / 'standin.py'
TOKEN = '1|' + 'Prop3rtyT0ken' * 3
URL = 'http://coolify.test:8000'
CONN = {'api_url': URL, 'api_token': TOKEN}
PROJECT = 'props'
APP = dict(CONN, project=PROJECT, name='web', git_repository='https://github.com/o/r')
MODULES = [coolify_project, coolify_application, coolify_deploy, coolify_info]
# The smallest valid arguments of each module, to which one hostile option is added.
BASE = {coolify_project: dict(CONN, name='demo'), coolify_application: APP, coolify_deploy: dict(CONN, uuid='abc123'),
        coolify_info: dict(CONN)}
# What a message must never say: Python's names for types, the argument spec's own wording of them.
INTERNAL = ('NoneType', '<class', '_Ansible', 'of type str', 'of type dict', 'of type list', 'of type int', 'of type float',
            'of type bool', 'Traceback')
# Marks the secret values generated below, so a test can tell that none of them reached a message.
SECRET_MARK = 'Sx9Q'
TOKEN_MARK = 'Zq7W'


# -- the fake Coolify -------------------------------------------------------------------------------------------------

def laravel(value):
    """What Coolify's middleware makes of a request body: strings trimmed, empty strings null."""
    if isinstance(value, dict):
        return {k: laravel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [laravel(v) for v in value]
    if isinstance(value, str):
        return value.strip() or None
    return value


class FakeCoolify(object):
    """The stand-in's request handler behind ``_coolify_api.request``/``request_json``; ``sent`` lists every attempt."""

    def __init__(self, store):
        loader = importlib.machinery.SourceFileLoader('coolify_standin_props', str(STANDIN))
        spec = importlib.util.spec_from_loader(loader.name, loader)
        self.standin = importlib.util.module_from_spec(spec)
        loader.exec_module(self.standin)
        self.standin.STORE = str(store)
        self.sent = []
        original = self.standin.create_application

        def create_application(data, source, body):
            app = original(data, source, body)
            if not app.get('fqdn') and body.get('autogenerate_domain', True) is not False:
                app['fqdn'] = 'http://%s.203.0.113.7.sslip.io' % app['uuid']  # Coolify's generateUrl()
            return app

        self.standin.create_application = create_application
        with self.standin.store(write=True) as data:
            data['api_enabled'] = True
            data['users'].append({'id': 0, 'name': 'Root User', 'email': 'root@example.test', 'team_id': 0})
            data['tokens'].append({'id': 1, 'name': 'props', 'tokenable_id': 0, 'abilities': ['root'],
                                   'token': hashlib.sha256(TOKEN.split('|', 1)[1].encode()).hexdigest()})

    def _answer(self, method, url, payload, headers):
        self.sent.append((method, url))
        parts = urlsplit(url)
        body = laravel(json.loads(json.dumps(payload))) if payload is not None else {}
        try:
            status, value = self.standin.handle(method, parts.path, parse_qs(parts.query), body, dict(headers or {}))
        except self.standin.ApiError as exc:
            status, value = exc.status, exc.body
        text = value if isinstance(value, str) else json.dumps(value)
        if status >= 400:
            raise RequestError(status, text, url, method=method)
        return value, text

    def request(self, method, url, payload=None, headers=None, **kwargs):
        return Response(200, {}, self._answer(method, url, payload, headers)[1].encode(), url)

    def request_json(self, method, url, payload=None, headers=None, **kwargs):
        return self._answer(method, url, payload, headers)[0]


def run(main, args):
    """Run a module's main() with ``args``; its JSON result."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())


@pytest.fixture(scope='module')
def coolify(tmp_path_factory):
    fake = FakeCoolify(tmp_path_factory.mktemp('coolify') / 'store.json')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_coolify_api, 'request', fake.request)
        patch.setattr(_coolify_api, 'request_json', fake.request_json)
        assert not run(coolify_project.main, dict(CONN, name=PROJECT)).get('failed')
        yield fake


def assert_refused(coolify, module, args, option, secrets=()):
    before = len(coolify.sent)
    res = run(module.main, args)
    assert res.get('failed'), 'accepted: %r -> %r' % (args.get(option), res)
    msg = res['msg']
    assert option in msg, 'the message does not name %s: %r' % (option, msg)
    assert len(coolify.sent) == before, 'a request was sent for a refused %s: %r' % (option, coolify.sent[before:])
    for word in INTERNAL:
        assert word not in msg, 'the message names an internal type: %r' % msg
    dumped = json.dumps(res)
    for secret in secrets:
        assert secret not in msg and secret not in dumped, 'a secret reached the result: %r' % res
    return msg


# -- strategies -------------------------------------------------------------------------------------------------------

not_none = wrong_type_for_str.filter(lambda v: v is not None)
surrounded = st.tuples(safe_text, st.sampled_from([' ', '\t ', '  '])).flatmap(
    lambda t: st.sampled_from([t[1] + t[0], t[0] + t[1], t[1] + t[0] + t[1]]))
# One line of text that no module option takes: control, invisible and line-breaking characters, blank, huge.
bad_line = st.one_of(hostile_text, huge_text, surrounded)
# Characters outside Coolify's name rule (letters, digits, spaces and - _ . @ / & ( ) # , : +).
name_breakers = ['<', '>', '$', '`', ';', '|', '"', "'", '\\', '*', '?', '!', '~', '=', '%', '[', ']', '{', '}', '^']
bad_name = st.one_of(bad_line, _with(safe_text, name_breakers), st.integers(min_value=256, max_value=400).map(lambda n: 'n' * n))
bad_uuid = st.one_of(bad_line, text_with_traversal, _with(safe_text, name_breakers + ['/', ' ', '.', ':']),
                     st.text(alphabet='abc0123456789', min_size=65, max_size=80), not_none)
repo_breakers = ['$(id)', '`id`', '${IFS}', ';id', '&&id', '|id', '>x', '<x', '"', "'", '\\', '*', '?', '!', '#', ' ', '%20', '^',
                 '=', '+', '[', ']', '\n', '\r\n', '\x00', '\u200b']
bad_repository = st.one_of(
    st.sampled_from(repo_breakers).map(lambda s: 'https://github.com/o/r%s' % s),
    text_with_traversal.map(lambda s: 'https://github.com/%s/r' % s),
    st.sampled_from(['o/r', 'git@github.com:o/r.git', 'https://github.com/o', 'https://github.com/o/r/tree/main',
                     'https://127.0.0.1/o/r', 'https://localhost/o/r', 'https://gitlab.local/o/r', 'ftp://github.com/o/r',
                     'https://github.com:99999/o/r', 'https://github.com/o/r?ref=x', 'https://github.com/o/r#x',
                     'https://user:pw@github.com/o/r', 'https://github.com/o/r/../x', 'https://github.com/./r', '', ' ']),
    hostile_text, huge_text, wrong_type_for_str)
branch_breakers = ['..', '//', '@{', ' ', ':', '~', '^', '?', '*', '[', '\\', '$', ';', '`', '\n', '\x00', '\u200b', '\u0430']
bad_branch = st.one_of(
    _with(st.from_regex(r'\A[a-z][a-z0-9]{1,10}\Z'), branch_breakers),
    st.from_regex(r'\A[a-z][a-z0-9]{0,10}\Z').flatmap(lambda b: st.sampled_from(['/' + b, b + '/', '.' + b, b + '.', b + '.lock'])),
    st.sampled_from(['HEAD', '', ' ', '.', '/']),
    st.one_of(st.integers(), st.floats(allow_nan=True), st.booleans(), st.lists(safe_text, max_size=2),
              st.dictionaries(safe_text, safe_text, max_size=2)),
    hostile_text, huge_text)
bad_ports = st.one_of(
    bad_port,
    st.sampled_from(['3000,', ',3000', '3000 ,3001', '3000, 3001', '03000', '3000,3000', '3000;3001', '3000-3001', '3000:80',
                     '١٢٣', '3000\n', '65535,65536']),
    st.lists(valid_port, min_size=1, max_size=3), st.floats(allow_nan=True).filter(lambda f: not (math.isfinite(f) and f.is_integer())),
    st.dictionaries(safe_text, safe_text, max_size=2), hostile_text)
valid_host = st.from_regex(r'\A[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?){0,2}\.[a-z]{2,6}\Z')
valid_domain = st.tuples(st.sampled_from(['http', 'https']), valid_host, st.one_of(st.none(), valid_port),
                         st.sampled_from(['', '/', '/api', '/a/b'])).map(
    lambda t: '%s://%s%s%s' % (t[0], t[1], '' if t[2] is None else ':%d' % t[2], t[3]))
valid_domains = st.lists(valid_domain, max_size=3, unique_by=lambda d: d.rstrip('/').lower())
bad_domain = st.one_of(
    bad_url, hostile_text, valid_host, safe_text,
    valid_host.flatmap(lambda h: st.sampled_from(['http://localhost', 'https://127.0.0.1', 'http://10.0.0.1:3000', 'https://[::1]/',
                                                  'https://u:p@%s' % h, 'https://%s?x=1' % h, 'https://%s/#top' % h,
                                                  'https://%s,https://b.%s' % (h, h), 'https://%s/a b' % h,
                                                  'https://%s/$(id)' % h, 'https://exa\u0441mple.com/'])),
    st.one_of(st.none(), st.integers(), st.booleans(), st.lists(safe_text, max_size=2), st.dictionaries(safe_text, safe_text, max_size=2)))
# A list of domains with one bad entry at a known position, or a string where the list belongs.
bad_domains = st.one_of(
    st.tuples(valid_domains, bad_domain, st.integers(min_value=0, max_value=3)).map(
        lambda t: (t[0][:t[2]] + [t[1]] + t[0][t[2]:], min(t[2], len(t[0])))),
    valid_domains.filter(bool).flatmap(lambda ds: st.integers(min_value=0, max_value=len(ds) - 1).map(
        lambda i: (ds + [ds[i].upper()], len(ds)))),
    st.one_of(str_for_list, valid_domain, valid_domains.filter(bool).map(','.join)).map(lambda s: (s, None)),
    st.one_of(st.integers(), st.booleans(), st.dictionaries(safe_text, safe_text, max_size=2)).map(lambda v: (v, None)))
secret_text = safe_text.map(lambda s: SECRET_MARK + s)
valid_env_text = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00\r\n'), max_size=40).map(
    lambda s: s.strip())
valid_env = st.dictionaries(valid_env_name, st.one_of(valid_env_text, st.integers(), st.booleans()), max_size=4)
bad_env_value = st.one_of(
    st.tuples(secret_text, st.sampled_from(['\n', '\r', '\r\n', '\x00']), safe_text).map(lambda t: '%s%s%s=x' % t),
    secret_text.map(lambda s: ' ' + s), secret_text.map(lambda s: s + '\t'), st.none(),
    st.lists(secret_text, max_size=2), st.dictionaries(safe_text, secret_text, max_size=2))
bad_env = st.one_of(
    st.tuples(valid_env, valid_env_name, bad_env_value).map(lambda t: dict(t[0], **{t[1]: t[2]})),
    st.tuples(valid_env, bad_env_name).map(lambda t: dict(t[0], **{t[1]: SECRET_MARK})),
    valid_env_name.map(lambda n: n + '=' + SECRET_MARK), str_for_list.map(lambda s: s + '=' + SECRET_MARK),
    st.lists(secret_text, min_size=1, max_size=3), st.integers(), st.booleans())
bad_description = st.one_of(text_with_control, text_with_invisible, text_with_newline_injection, blank_text.filter(bool), huge_text,
                            surrounded, not_none)
token_text = safe_text.map(lambda s: '1|' + TOKEN_MARK + s)
bad_token = st.one_of(
    _with(token_text, CONTROL + INVISIBLE + [' ', '\u00a0', '\u0430', '\u2028', '\u00e9']),
    st.tuples(token_text, st.sampled_from(['\n', '\r\n', '\r']), safe_text).map(lambda t: '%s%sX-Injected: %s' % t),
    blank_text, huge_text.map(lambda s: TOKEN_MARK + s),
    # Wrong types. Ansible masks every no_log value in the result, however short (a token ['_'] would mask each _ of
    # the message), so the items are marked tokens.
    st.lists(token_text, min_size=1, max_size=2), st.dictionaries(token_text, token_text, min_size=1, max_size=2),
    st.integers(min_value=10 ** 6), st.floats(allow_nan=True), st.booleans())
bad_api_url = st.one_of(
    bad_url, hostile_text, not_none,
    valid_host.flatmap(lambda h: st.sampled_from(['http://admin:%s@%s/' % (SECRET_MARK, h), 'http://%s/?token=x' % h,
                                                  'http://%s/#x' % h, 'https://%s:0/' % h])))
# Values the argument spec would turn into an integer silently, or that no count takes.
bad_int = st.one_of(
    wrong_type_for_int.filter(lambda v: not (isinstance(v, float) and math.isfinite(v) and v.is_integer())),
    st.sampled_from(['1_0', ' 8', '8 ', '\u0663', '0x10', '1e3', '']), st.dictionaries(safe_text, safe_text, min_size=1, max_size=2))
ansible_booleans = {'y', 'yes', 'on', '1', 'true', 't', 'n', 'no', 'off', '0', 'false', 'f'}
bad_bool = st.one_of(safe_text.filter(lambda s: s.lower() not in ansible_booleans), st.none(), st.lists(st.booleans(), max_size=2),
                     st.dictionaries(safe_text, st.booleans(), max_size=2), hostile_text,
                     st.tuples(st.sampled_from(sorted(ansible_booleans)), st.sampled_from([' ', '\t', '\n'])).map(
                         lambda t: t[0] + t[1]),
                     st.integers().filter(lambda i: i not in (0, 1)), st.floats(allow_nan=True))
bad_choice = st.one_of(safe_text, st.none(), st.lists(safe_text, min_size=1, max_size=2), st.integers(), hostile_text)


def _examples(*values):
    def decorate(test):
        for value in reversed(values):
            test = example(value=value)(test)
        return test
    return decorate


# -- the connection options, in every module ----------------------------------------------------------------------------

@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
@given(value=bad_api_url)
@_examples('http://coolify.test:99999', 'http://admin:%s@coolify.test:8000' % SECRET_MARK)
def test_api_url_hostile(coolify, module, value):
    assert_refused(coolify, module, dict(BASE[module], api_url=value), 'api_url', secrets=[SECRET_MARK])


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
@given(value=bad_token)
@_examples('1|%stok\nX-Injected: yes' % TOKEN_MARK, '1|%s\u2028x' % TOKEN_MARK)
def test_api_token_hostile(coolify, module, value):
    secrets = [TOKEN_MARK]
    if isinstance(value, str) and value.strip():
        secrets += [value.strip(), value.encode('unicode_escape').decode('ascii')]
    assert_refused(coolify, module, dict(BASE[module], api_token=value), 'api_token', secrets=secrets)


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
@given(value=st.one_of(text_with_control, text_with_invisible, text_with_newline_injection, not_none))
@_examples('/tmp/token\x00')
def test_api_token_file_hostile(coolify, module, value):
    args = {k: v for k, v in BASE[module].items() if k != 'api_token'}
    assert_refused(coolify, module, dict(args, api_token_file=value), 'api_token_file')


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
@given(value=st.one_of(bad_int, st.integers(max_value=0), st.integers(min_value=3601)))
@_examples(True, 10 ** 12, None, float('inf'), 'inf')
def test_timeout_hostile(coolify, module, value):
    assert_refused(coolify, module, dict(BASE[module], timeout=value), 'timeout')


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
@given(value=bad_bool)
@_examples(None, ['yes'])
def test_validate_certs_hostile(coolify, module, value):
    assert_refused(coolify, module, dict(BASE[module], validate_certs=value), 'validate_certs')


# -- coolify_project ----------------------------------------------------------------------------------------------------

@given(value=st.one_of(bad_name, st.none()))
@_examples('demo\nX-Other: 1', '   ', None)
def test_project_name_hostile(coolify, value):
    assert_refused(coolify, coolify_project, dict(BASE[coolify_project], name=value), 'name')


@given(value=bad_description)
@_examples('first line\nsecond line', ' padded')
def test_project_description_hostile(coolify, value):
    assert_refused(coolify, coolify_project, dict(BASE[coolify_project], description=value), 'description')


@given(value=bad_choice)
@_examples(None)
def test_project_state_hostile(coolify, value):
    assert_refused(coolify, coolify_project, dict(BASE[coolify_project], state=value), 'state')


valid_name = st.text(alphabet=string.ascii_letters + string.digits + ' -_.@/&()#,:+' + '\u00e9\u00df\u0436\u65e5\u0430',
                     min_size=1, max_size=40).filter(lambda s: s.strip() == s and s)
valid_description = st.one_of(st.none(), st.just(''), st.text(
    alphabet=st.characters(blacklist_categories=('Cc', 'Cf', 'Cs', 'Zl', 'Zp')), min_size=1, max_size=60).map(
    lambda s: s.strip()))


@given(name=valid_name, description=valid_description)
@example(name='n' * 255, description='d' * 255)
def test_project_valid_is_accepted_and_idempotent(coolify, name, description):
    args = dict(CONN, name=name)
    if description is not None:
        args['description'] = description
    first = run(coolify_project.main, args)
    assert not first.get('failed'), first
    second = run(coolify_project.main, args)
    assert not second.get('failed') and not second['changed'], (first, second)


# -- coolify_application ------------------------------------------------------------------------------------------------

@given(value=st.one_of(bad_name, st.none()))
@_examples('', '   ', 'web\nX')
def test_application_name_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, name=value), 'name')


@pytest.mark.parametrize('option', ['project', 'environment', 'server'])
@given(value=st.one_of(bad_line, st.integers(), st.booleans(), st.lists(safe_text, max_size=2)))
@_examples('production\n', ' padded')
def test_application_lookup_names_hostile(coolify, option, value):
    assert_refused(coolify, coolify_application, dict(APP, **{option: value}), option)


@pytest.mark.parametrize('option', ['github_app_uuid', 'private_key_uuid'])
@given(value=bad_uuid)
@_examples('../../x', 'a/b')
def test_application_uuids_hostile(coolify, option, value):
    assert_refused(coolify, coolify_application, dict(APP, **{option: value}), option)


@given(value=bad_repository)
@_examples('o/r', 'https://github.com/o/r;id', 'https://127.0.0.1/o/r')
def test_application_git_repository_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, git_repository=value), 'git_repository')


@given(value=bad_branch)
@_examples(1.1, 'feature..x', 'a b')
def test_application_git_branch_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, git_branch=value), 'git_branch')


@given(value=bad_ports)
@_examples('0', '3000,70000', True)
def test_application_ports_exposes_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, ports_exposes=value), 'ports_exposes')


@given(value=bad_domains)
@_examples(('https://app.example.com', None), (['https://a.example.com', 'http://localhost'], 1),
           ('https://a.example.com,https://b.example.com', None))
def test_application_domains_hostile(coolify, value):
    domains, position = value
    msg = assert_refused(coolify, coolify_application, dict(APP, domains=domains), 'domains')
    if position is not None:
        assert 'domains[%d]' % position in msg, msg


@given(value=bad_env)
@_examples('A=' + SECRET_MARK, {'A': SECRET_MARK + '\nB=2'}, {'A': None})
def test_application_env_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, env=value), 'env', secrets=[SECRET_MARK])


@given(value=bad_description)
@_examples('one\ntwo')
def test_application_description_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, description=value), 'description')


@pytest.mark.parametrize('option', ['source', 'build_pack', 'state'])
@given(value=bad_choice)
@_examples(None)
def test_application_choices_hostile(coolify, option, value):
    assert_refused(coolify, coolify_application, dict(APP, **{option: value}), option)


@given(value=bad_bool)
@_examples(None, '\t0', 2)
def test_application_purge_env_hostile(coolify, value):
    assert_refused(coolify, coolify_application, dict(APP, purge_env=value), 'purge_env')


@given(build_pack=st.just('dockercompose'), value=st.one_of(
    st.tuples(st.just('domains'), st.one_of(valid_domains, bad_domains.map(lambda t: t[0]))),
    st.tuples(st.just('ports_exposes'), st.lists(valid_port.filter(lambda p: p != 80), min_size=1, max_size=3, unique=True).map(
        lambda ps: ','.join(str(p) for p in ps)))))
@example(build_pack='dockercompose', value=('domains', []))
def test_application_dockercompose_refuses_what_coolify_overrides(coolify, build_pack, value):
    option, given_value = value
    assert_refused(coolify, coolify_application, dict(APP, build_pack=build_pack, **{option: given_value}), option)


valid_branch = st.from_regex(r'\A[A-Za-z0-9][A-Za-z0-9_-]{0,12}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,12}[A-Za-z0-9])?\Z').filter(
    lambda b: b != 'HEAD' and '..' not in b and not b.endswith('.lock'))
valid_repo = st.tuples(st.from_regex(r'\A[A-Za-z0-9][A-Za-z0-9_-]{0,15}\Z'), st.from_regex(r'\A[A-Za-z0-9][A-Za-z0-9_.-]{0,15}\Z'),
                       st.sampled_from(['', '.git', '/'])).filter(lambda t: '..' not in t[1] and not t[1].endswith('.')).map(
    lambda t: 'https://github.com/%s/%s%s' % t)
valid_ports = st.one_of(valid_port, st.lists(valid_port, min_size=1, max_size=3, unique=True).map(
    lambda ps: ','.join(str(p) for p in ps)))


@given(name=valid_name, repo=valid_repo, branch=valid_branch, ports=valid_ports, domains=st.one_of(st.none(), valid_domains),
       env=st.one_of(st.none(), valid_env), description=valid_description, purge=st.booleans())
@example(name='web-empty-domains', repo='https://github.com/o/r', branch='main', ports='3000', domains=[], env=None,
         description=None, purge=False)
@example(name='web-typed', repo='https://github.com/o/r.git', branch='release/1.10', ports=8080, domains=['https://web.example.com/'],
         env={'FLAG': True, 'COUNT': 3, 'EMPTY': ''}, description='', purge=True)
def test_application_valid_is_accepted_and_idempotent(coolify, name, repo, branch, ports, domains, env, description, purge):
    """Regression (first example): with domains [] Coolify generated a domain and every later run removed it again."""
    args = dict(CONN, project=PROJECT, name=name, git_repository=repo, git_branch=branch, ports_exposes=ports, purge_env=purge)
    for key, value in (('domains', domains), ('env', env), ('description', description)):
        if value is not None:
            args[key] = value
    first = run(coolify_application.main, args)
    assert not first.get('failed'), first
    second = run(coolify_application.main, args)
    assert not second.get('failed') and not second['changed'], (first, second)


# -- coolify_deploy -----------------------------------------------------------------------------------------------------

@given(value=bad_uuid)
@_examples('a/../../x', '../x')
def test_deploy_uuid_hostile(coolify, value):
    assert_refused(coolify, coolify_deploy, dict(CONN, uuid=value), 'uuid')


@pytest.mark.parametrize('option', ['name', 'project', 'environment'])
@given(value=st.one_of(bad_line, st.integers(), st.booleans(), st.lists(safe_text, max_size=2)))
@_examples('web\n', ' web')
def test_deploy_lookup_names_hostile(coolify, option, value):
    args = dict(CONN, name='web', project=PROJECT)
    args[option] = value
    assert_refused(coolify, coolify_deploy, args, option)


@pytest.mark.parametrize('option, maximum', [('wait_timeout', 86400), ('poll_interval', 3600), ('log_lines', 10000)])
@given(value=st.one_of(bad_int, st.integers(max_value=-1), st.integers(min_value=86401), st.just(0)))
@_examples(True, 10 ** 12, float('inf'), '1e999999999')
def test_deploy_counts_hostile(coolify, option, maximum, value):
    if value == 0 and option == 'log_lines' and not isinstance(value, bool):
        value = -1  # 0 lines is a valid count
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= maximum:
        value = maximum + 1
    assert_refused(coolify, coolify_deploy, dict(BASE[coolify_deploy], **{option: value}), option)


@pytest.mark.parametrize('option', ['force', 'wait', 'fail_on_error'])
@given(value=bad_bool)
@_examples(None)
def test_deploy_booleans_hostile(coolify, option, value):
    assert_refused(coolify, coolify_deploy, dict(BASE[coolify_deploy], **{option: value}), option)


@given(wait_timeout=st.integers(min_value=1, max_value=86400), poll_interval=st.integers(min_value=1, max_value=3600),
       log_lines=st.integers(min_value=0, max_value=10000), as_text=st.booleans())
@example(wait_timeout=86400, poll_interval=3600, log_lines=0, as_text=True)
def test_deploy_valid_is_accepted(coolify, wait_timeout, poll_interval, log_lines, as_text):
    """coolify_deploy queues a deployment on every run (idempotent: none); in check mode it only looks the application up."""
    run(coolify_application.main, dict(APP, name='deploy-target'))
    counts = dict(wait_timeout=wait_timeout, poll_interval=poll_interval, log_lines=log_lines)
    if as_text:
        counts = {k: str(v) for k, v in counts.items()}
    res = run(coolify_deploy.main, dict(CONN, project=PROJECT, name='deploy-target', _ansible_check_mode=True, **counts))
    assert not res.get('failed') and res['status'] == 'skipped' and res['application_uuid'], res


# -- coolify_info -------------------------------------------------------------------------------------------------------

@given(value=st.one_of(str_for_list, st.sampled_from(['projects', 'projects,servers', 'applications']),
                       st.lists(st.one_of(safe_text, st.integers()), min_size=1, max_size=3).filter(
                           lambda items: any(i not in ('applications', 'projects', 'servers') for i in items)),
                       st.integers(), st.booleans(), st.dictionaries(safe_text, safe_text, max_size=2)))
@_examples('projects', 'projects,servers')
def test_info_gather_hostile(coolify, value):
    assert_refused(coolify, coolify_info, dict(CONN, gather=value), 'gather')


@given(gather=st.lists(st.sampled_from(['applications', 'projects', 'servers']), unique=True),
       suffix=st.sampled_from(['', '/', '/api', '/api/', '/api/v1', '/api/v1/']),
       timeout=st.one_of(st.integers(min_value=1, max_value=3600), st.integers(min_value=1, max_value=3600).map(str)),
       validate_certs=st.one_of(st.booleans(), st.sampled_from(sorted(ansible_booleans)), st.sampled_from([0, 1, 'Yes', 'TRUE'])))
@example(gather=['projects'], suffix='/api/v1/', timeout='30', validate_certs='yes')
def test_info_valid_is_accepted_and_changes_nothing(coolify, gather, suffix, timeout, validate_certs):
    """Valid connection options (the URL's forms, a count written as digits, Ansible's words for booleans) are accepted."""
    args = dict(CONN, api_url=URL + suffix, gather=gather, timeout=timeout, validate_certs=validate_certs)
    first = run(coolify_info.main, args)
    assert not first.get('failed') and not first['changed'], first
    assert sorted(k for k in first if k in ('applications', 'projects', 'servers')) == sorted(gather), first
    second = run(coolify_info.main, args)
    assert not second['changed'] and second.get('projects') == first.get('projects'), (first, second)
