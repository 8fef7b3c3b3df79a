# Unit tests for the coolify_* modules: pure helpers, input validation before any request, and flows against the stand-in.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API flows are checked against Coolify's openapi.yaml in the contract suite; here the modules run against the
Coolify stand-in (tests/fixtures/coolify_standin) called in-process through a fake transport that counts every request,
with what Coolify does on top of it that the stand-in leaves out: Laravel's TrimStrings and ConvertEmptyStringsToNull,
and a generated domain when an application is created without one (unless ``autogenerate_domain`` is false)."""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _coolify_api
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import RequestError, Response
from ansible_collections.selfhosted.ai_coding.plugins.modules import coolify_application, coolify_deploy, coolify_info, coolify_project

STANDIN = Path(__file__).resolve().parents[4] / 'tests' / 'fixtures' / 'coolify_standin' / 'standin.py'
TOKEN = '1|' + 'unit0test0token0' * 2
URL = 'http://coolify.test:8000'


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
    """The stand-in's request handler behind ``_coolify_api.request``/``request_json``; ``sent`` lists every request."""

    def __init__(self, store):
        loader = importlib.machinery.SourceFileLoader('coolify_standin_unit_%d' % id(self), str(STANDIN))
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
            data['tokens'].append({'id': 1, 'name': 'unit', 'tokenable_id': 0, 'abilities': ['root'],
                                   'token': hashlib.sha256(TOKEN.split('|', 1)[1].encode()).hexdigest()})

    def _answer(self, method, url, payload, headers):
        self.sent.append((method, url, payload))
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

    def apps(self):
        with self.standin.store() as data:
            return list(data['applications'])


@pytest.fixture
def coolify(tmp_path, monkeypatch):
    fake = FakeCoolify(tmp_path / 'store.json')
    monkeypatch.setattr(_coolify_api, 'request', fake.request)
    monkeypatch.setattr(_coolify_api, 'request_json', fake.request_json)
    return fake


CONN = {'api_url': URL, 'api_token': TOKEN}
APP = dict(CONN, project='p', name='web', git_repository='https://github.com/o/r')


# -- pure helpers -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('repo', ['https://github.com/Owner/Repo', 'https://github.com/owner/repo.git', 'git@github.com:owner/repo.git',
                                  'owner/repo', 'https://user@github.com/owner/repo/'])
def test_repo_key_normalises(repo):
    assert coolify_application.repo_key(repo) == 'owner/repo'


def test_domain_set_compares_as_sets():
    assert coolify_application.domain_set('https://b.x/, https://a.x') == coolify_application.domain_set(['https://a.x', 'https://b.x'])
    assert coolify_application.domain_set(None) == []


def test_log_tail_reads_coolify_records_and_text():
    logs = json.dumps([{'output': 'one\ntwo', 'hidden': False}, {'output': 'secret', 'hidden': True}, {'output': 'three'}])
    assert coolify_deploy.log_tail(logs, 2) == ['two', 'three']
    assert coolify_deploy.log_tail('a\nb\nc', 1) == ['c']
    assert coolify_deploy.log_tail(None, 5) == [] and coolify_deploy.log_tail('a', 0) == []


# -- refused before any request ---------------------------------------------------------------------------------------

# (module, base arguments, the bad ones, words the message must hold). Each was sent to Coolify (or crashed) before.
REFUSED = [
    # The regressions: a blank name went to Coolify, which answered 422.
    (coolify_application, APP, {'name': ''}, ['name', "''", 'empty']),
    (coolify_application, APP, {'name': '   '}, ['name', "'   '", 'empty']),
    (coolify_application, APP, {'name': None}, ['name', 'string', 'null']),
    (coolify_application, APP, {'name': 'web\nX'}, ['name', "'web\\nX'", 'control']),
    (coolify_application, APP, {'name': ' web'}, ['name', 'whitespace']),
    (coolify_application, APP, {'name': 'web<script>'}, ['name', "'<'"]),
    (coolify_application, APP, {'name': 'a' * 256}, ['name', 'at most 255']),
    (coolify_application, APP, {'name': 12}, ['name', 'string', 'integer']),
    (coolify_application, APP, {'project': ''}, ['project', 'empty']),
    (coolify_application, APP, {'environment': 'prod\r\nX'}, ['environment', 'control']),
    (coolify_application, APP, {'server': '\u200blocalhost'}, ['server', 'invisible']),
    (coolify_application, APP, {'git_repository': 'o/r'}, ['git_repository', "'o/r'", 'https://host/owner/repo']),
    (coolify_application, APP, {'git_repository': 'https://github.com/o/r;id'}, ['git_repository', "';'"]),
    (coolify_application, APP, {'git_repository': 'https://github.com/o/r/tree/x'}, ['git_repository', 'owner/repo']),
    (coolify_application, APP, {'git_repository': 'https://127.0.0.1/o/r'}, ['git_repository', 'IP address']),
    (coolify_application, APP, {'git_repository': 'https://github.com/../r'}, ['git_repository', '..']),
    (coolify_application, APP, {'git_repository': 'https://github.com/o/r?x=1'}, ['git_repository', "'?'"]),
    (coolify_application, APP, {'source': 'private-deploy-key', 'private_key_uuid': 'k1', 'git_repository': 'git@github.com:o/r$(id).git'},
     ['git_repository', "'$'"]),
    (coolify_application, APP, {'git_branch': 1.1}, ['git_branch', 'number', '1.1', 'quote']),
    (coolify_application, APP, {'git_branch': 'feature..x'}, ['git_branch', '..']),
    (coolify_application, APP, {'git_branch': 'a b'}, ['git_branch', "' '"]),
    (coolify_application, APP, {'git_branch': 'HEAD'}, ['git_branch', 'HEAD']),
    (coolify_application, APP, {'git_branch': 'x.lock'}, ['git_branch', '.lock']),
    (coolify_application, APP, {'git_branch': '/main'}, ['git_branch', 'start or end']),
    (coolify_application, APP, {'ports_exposes': '3000;4000'}, ['ports_exposes', '3000;4000']),
    (coolify_application, APP, {'ports_exposes': '0'}, ['ports_exposes', "'0'", '1-65535']),
    (coolify_application, APP, {'ports_exposes': '3000,70000'}, ['ports_exposes', 'item 2', "'70000'"]),
    (coolify_application, APP, {'ports_exposes': '3000,3000'}, ['ports_exposes', 'repeats']),
    (coolify_application, APP, {'ports_exposes': True}, ['ports_exposes', 'boolean']),
    (coolify_application, APP, {'domains': ['web.example.com']}, ['domains[0]', 'web.example.com']),
    (coolify_application, APP, {'domains': 'https://web.example.com'}, ['domains', 'list', 'string']),
    (coolify_application, APP, {'domains': 'https://a.example.com,https://b.example.com'}, ['domains', 'list', 'string']),
    (coolify_application, APP, {'domains': ['https://a.example.com', 'http://localhost']}, ['domains[1]', 'localhost']),
    (coolify_application, APP, {'domains': ['https://10.0.0.1']}, ['domains[0]', 'IP address']),
    (coolify_application, APP, {'domains': ['https://u:p@a.example.com']}, ['domains[0]', 'user']),
    (coolify_application, APP, {'domains': ['https://a.example.com?x=1']}, ['domains[0]', 'query']),
    (coolify_application, APP, {'domains': ['https://a.example.com', 'https://A.example.com/']}, ['domains[1]', 'repeats domains[0]']),
    (coolify_application, APP, {'domains': ['https://a.example.com:99999']}, ['domains[0]', 'range']),
    (coolify_application, APP, {'domains': [7]}, ['domains[0]', 'string']),
    (coolify_application, APP, {'build_pack': 'dockercompose', 'domains': ['https://a.example.com']}, ['domains', 'dockercompose']),
    (coolify_application, APP, {'build_pack': 'dockercompose', 'ports_exposes': '3000'}, ['ports_exposes', 'dockercompose']),
    (coolify_application, APP, {'env': {'1BAD': 'x'}}, ['env', '1BAD']),
    (coolify_application, APP, {'env': 'A=1'}, ['env', 'mapping', 'string']),
    (coolify_application, APP, {'env': {'A': None}}, ['env.A', 'null', "''"]),
    (coolify_application, APP, {'env': {'A': ['x']}}, ['env.A', 'list']),
    (coolify_application, APP, {'description': 'one\ntwo'}, ['description', 'control']),
    (coolify_application, APP, {'description': 'x' * 300}, ['description', 'at most 255']),
    (coolify_application, APP, {'github_app_uuid': '../../x'}, ['github_app_uuid', 'UUID']),
    (coolify_application, APP, {'private_key_uuid': 'k 1'}, ['private_key_uuid', 'UUID']),
    (coolify_application, APP, {'state': 'present', 'git_repository': None}, ['git_repository']),
    (coolify_project, CONN, {'name': '  '}, ['name', 'empty']),
    (coolify_project, CONN, {'name': None}, ['name', 'null']),
    (coolify_project, CONN, {'name': 'demo\nX-Other: 1'}, ['name', 'control']),
    (coolify_project, dict(CONN, name='demo'), {'description': ' first'}, ['description', 'whitespace']),
    (coolify_project, dict(CONN, name='demo'), {'description': ['a']}, ['description', 'string', 'list']),
    (coolify_deploy, CONN, {'uuid': 'a/../../x'}, ['uuid', 'UUID']),
    (coolify_deploy, CONN, {'name': 'web\n', 'project': 'p'}, ['name', 'control']),
    (coolify_deploy, dict(CONN, uuid='abc'), {'wait_timeout': True}, ['wait_timeout', 'boolean']),
    (coolify_deploy, dict(CONN, uuid='abc'), {'wait_timeout': 0}, ['wait_timeout', 'greater than 0']),
    (coolify_deploy, dict(CONN, uuid='abc'), {'poll_interval': 10 ** 12}, ['poll_interval', 'at most']),
    (coolify_deploy, dict(CONN, uuid='abc'), {'log_lines': -1}, ['log_lines', '0 to 10000']),
    (coolify_deploy, dict(CONN, uuid='abc'), {'log_lines': {'a': 1}}, ['log_lines', 'integer', 'mapping']),
    (coolify_info, CONN, {'gather': 'projects'}, ['gather', 'list', 'string']),
    (coolify_info, CONN, {'gather': 'projects,servers'}, ['gather', 'list', 'string']),
    # Connection options, the same in every module.
    (coolify_info, CONN, {'api_url': 'ftp://coolify.test/'}, ['api_url', 'http://']),
    (coolify_info, CONN, {'api_url': 'http://coolify.test:99999'}, ['api_url', 'range']),
    (coolify_info, CONN, {'api_url': 'http://coolify.test/?debug=1'}, ['api_url', 'query']),
    (coolify_info, CONN, {'api_url': ['http://coolify.test']}, ['api_url', 'string', 'list']),
    (coolify_info, CONN, {'timeout': True}, ['timeout', 'boolean']),
    (coolify_info, CONN, {'timeout': 0}, ['timeout', 'greater than 0']),
    (coolify_info, CONN, {'timeout': 10 ** 12}, ['timeout', 'at most 3600']),
    (coolify_info, CONN, {'timeout': None}, ['timeout', 'integer', 'null']),
    (coolify_info, CONN, {'validate_certs': 'maybe'}, ['validate_certs', 'boolean', "'maybe'"]),
    (coolify_info, CONN, {'api_token': ''}, ['api_token', 'empty']),
    (coolify_info, CONN, {'api_token': 12345678}, ['api_token', 'string', 'integer']),
    (coolify_info, CONN, {'api_token_file': 'tok\nfile'}, ['api_token_file', 'control']),
]


REFUSED_IDS = ['%s-%s' % (m.__name__.rsplit('.', 1)[-1], sorted(b)[0]) for m, dummy, b, dummy2 in REFUSED]


@pytest.mark.parametrize('module, base, bad, words', REFUSED, ids=REFUSED_IDS)
def test_refused_before_any_request(coolify, run_module, module, base, bad, words):
    res = run_module(module.main, dict(base, **bad))
    assert res.failed, res
    assert all(w in res.result['msg'] for w in words), res
    assert coolify.sent == [], 'a request was sent for a refused value: %s' % coolify.sent
    for internal in ('NoneType', '<class', '_AnsibleTagged', "'dict'", "'str'"):
        assert internal not in res.result['msg'], res


def test_private_sources_need_their_credential(coolify, run_module):
    res = run_module(coolify_application.main, dict(APP, source='private-deploy-key', git_repository='o/r'))
    assert res.failed and 'private_key_uuid' in res.result['msg'] and coolify.sent == []


def test_missing_token_is_refused(coolify, run_module):
    res = run_module(coolify_project.main, {'name': 'x'})
    assert res.failed and 'api_token or api_token_file' in res.result['msg'] and coolify.sent == []


# -- secrets ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('token', ['1|zq9\nX-Injected: yes', '1|zq9\r\nX: y', '1|zq9 en', '1|z\x00q9', '1|zq9\u2028x', '1|zöq9'])
def test_token_that_cannot_be_a_header_is_refused_without_quoting_it(coolify, run_module, token):
    """Before: the request was built and http.client's 'Invalid header value b'Bearer 1|tok\\nX-Injected: yes'' was the
    message, the token escaped so that no_log could not mask it."""
    res = run_module(coolify_info.main, dict(CONN, api_token=token))
    assert res.failed and 'api_token' in res.result['msg'] and 'not shown' in res.result['msg'], res
    assert coolify.sent == []
    dumped = json.dumps(res.result)
    for form in (token.strip(), token.encode('unicode_escape').decode(), repr(token), 'zq9', 'Injected'):
        assert form not in dumped and form not in res.result['msg'], res


def test_token_file_is_checked_and_named(coolify, run_module, tmp_path):
    bad = tmp_path / 'bad'
    bad.write_bytes(b'1|tok\x1bX\n')
    res = run_module(coolify_info.main, {'api_url': URL, 'api_token_file': str(bad)})
    assert res.failed and str(bad) in res.result['msg'] and 'U+001B' in res.result['msg'] and '1|tok' not in res.result['msg']
    latin = tmp_path / 'latin'
    latin.write_bytes(b'1|t\xe9k\n')
    res = run_module(coolify_info.main, {'api_url': URL, 'api_token_file': str(latin)})
    assert res.failed and str(latin) in res.result['msg'] and 'UTF-8' in res.result['msg'], res
    assert coolify.sent == []
    good = tmp_path / 'good'
    good.write_text(TOKEN + '\nsecond line\n')
    res = run_module(coolify_info.main, {'api_url': URL, 'api_token_file': str(good)})
    assert not res.failed and res.result['health'] == 'OK', res


def test_api_url_with_credentials_is_refused_without_quoting_them(coolify, run_module):
    res = run_module(coolify_info.main, dict(CONN, api_url='http://admin:hunter2@coolify.test:8000'))
    assert res.failed and 'api_url' in res.result['msg'] and 'hunter2' not in json.dumps(res.result), res
    assert coolify.sent == []


def test_env_value_is_never_quoted(coolify, run_module):
    for value in ('s3cr3t\nOTHER=1', 's3cr3t\x00', ' s3cr3t'):
        res = run_module(coolify_application.main, dict(APP, env={'API_KEY': value}))
        assert res.failed and 'env.API_KEY' in res.result['msg'], res
        for form in ('s3cr3t', value.encode('unicode_escape').decode()):
            assert form not in json.dumps(res.result), res
    res = run_module(coolify_application.main, dict(APP, env='API_KEY=s3cr3t\nX=1'))
    assert res.failed and 's3cr3t' not in json.dumps(res.result), res
    assert coolify.sent == []


def test_argspec_type_errors_name_what_the_user_wrote(coolify, run_module):
    res = run_module(coolify_application.main, dict(APP, env=['A=1']))
    assert res.failed and res.result['msg'].startswith('env must be a mapping, got a list (the value is not shown'), res
    res = run_module(coolify_application.main, dict(APP, domains={'a': 1}))
    assert res.failed and res.result['msg'] == 'domains must be a list, got a mapping (a mapping)', res
    res = run_module(coolify_application.main, dict(APP, purge_env=None))
    assert res.failed and res.result['msg'] == 'purge_env must be a boolean (true or false), got a null (null)', res


def test_client_keeps_no_secret_values(coolify):
    # (CoolifyClient.calls and its redact_payload are gone: the values reach the stand-in, and the client keeps none.)
    client = _coolify_api.CoolifyClient(URL, TOKEN)
    with pytest.raises(_coolify_api.CoolifyError):
        client.create_env('missing', {'key': 'A', 'value': 's3cr3t', 'nested': [{'http_basic_auth_password': 'pw'}]})
    assert coolify.sent[0][2]['value'] == 's3cr3t'
    assert 's3cr3t' not in repr(vars(client)) and "'pw'" not in repr(vars(client))


# -- flows against the stand-in ---------------------------------------------------------------------------------------

def _project(run_module, name='p'):
    res = run_module(coolify_project.main, dict(CONN, name=name))
    assert not res.failed, res


def test_empty_domains_are_not_generated_and_the_second_run_changes_nothing(coolify, run_module):
    """Regression: with domains: [] Coolify generated a domain (the module did not send autogenerate_domain: false), and
    every later run removed it again."""
    _project(run_module)
    res = run_module(coolify_application.main, dict(APP, domains=[]))
    assert res.result['changed'] and not res.failed, res
    create = [body for method, url, body in coolify.sent if method == 'POST' and url.endswith('/applications/public')]
    assert create and create[0]['autogenerate_domain'] is False and 'domains' not in create[0]
    assert coolify.apps()[0]['fqdn'] is None
    res = run_module(coolify_application.main, dict(APP, domains=[]))
    assert not res.failed and not res.result['changed'], res


def test_domains_not_given_leave_coolifys_generated_one_alone(coolify, run_module):
    _project(run_module)
    res = run_module(coolify_application.main, APP)
    assert res.result['changed'] and coolify.apps()[0]['fqdn'].endswith('.sslip.io')
    res = run_module(coolify_application.main, APP)
    assert not res.result['changed'], res


def test_a_port_given_as_a_number_and_values_coolify_would_trim_are_idempotent(coolify, run_module):
    _project(run_module)
    args = dict(APP, ports_exposes=8080, env={'FLAG': True, 'COUNT': 3, 'EMPTY': ''}, description='',
                domains=['https://web.example.com/'])
    res = run_module(coolify_application.main, args)
    assert res.result['changed'] and res.result['application']['ports_exposes'] == '8080', res
    envs = [(method, body) for method, url, body in coolify.sent if url.endswith('/envs') and method == 'POST']
    assert sorted(body['value'] for dummy, body in envs) == ['', '3', 'true']
    res = run_module(coolify_application.main, args)
    assert not res.failed and not res.result['changed'], res


def test_dockercompose_leaves_ports_and_domains_to_coolify(coolify, run_module):
    _project(run_module)
    args = dict(APP, build_pack='dockercompose')
    res = run_module(coolify_application.main, args)
    assert res.result['changed'] and not res.failed, res
    create = [body for method, url, body in coolify.sent if method == 'POST' and url.endswith('/applications/public')][0]
    assert 'ports_exposes' not in create and 'domains' not in create
    with coolify.standin.store(write=True) as data:
        data['applications'][0]['ports_exposes'] = '80'  # what Coolify stores for a compose application
    res = run_module(coolify_application.main, dict(args, ports_exposes='80'))
    assert not res.failed and not res.result['changed'], res


def test_a_server_answer_echoing_the_token_is_scrubbed(coolify, run_module, monkeypatch):
    def echo(method, url, payload=None, headers=None, **kwargs):
        raise RequestError(500, json.dumps({'message': 'debug: header was %s' % headers['Authorization']}), url, method=method)

    monkeypatch.setattr(_coolify_api, 'request', echo)
    monkeypatch.setattr(_coolify_api, 'request_json', echo)
    res = run_module(coolify_project.main, dict(CONN, name='p'))
    assert res.failed and 'HTTP 500' in res.result['msg'] and TOKEN not in json.dumps(res.result), res
    assert TOKEN.split('|')[1] not in json.dumps(res.result)


def test_a_null_description_leaves_it_alone(coolify, run_module):
    """The argument spec turns description: null into '', which cleared the description before."""
    res = run_module(coolify_project.main, dict(CONN, name='p', description='kept'))
    assert res.result['changed'], res
    res = run_module(coolify_project.main, dict(CONN, name='p', description=None))
    assert not res.failed and not res.result['changed'] and res.result['project']['description'] == 'kept', res
