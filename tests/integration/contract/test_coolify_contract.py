# Contract suite: every request the Coolify modules send and every answer they accept, checked against Coolify's openapi.yaml.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive the coolify_* modules (their real ``main()``) against the Coolify stand-in, record every HTTP exchange at the
server, and validate each one against Coolify's pinned ``openapi.yaml`` (``tests/testbed/coolify-upstream.sh``) with ``jsonschema``:

- the path and method are an operation of the spec (path templates matched segment by segment);
- the request body validates against the operation's ``requestBody`` schema (``required`` included);
- a 2xx answer's status is one the operation declares, and a JSON answer validates against that status's schema (an
  error status the spec does not list is only reported by the modules, never parsed, so it is not held to a shape).

The spec is OpenAPI 3.1 with some 3.0 ``nullable: true`` left in; ``nullable`` is turned into ``type: [T, 'null']`` and
local ``$ref``s are inlined before validation. Skipped, with a message, when the spec file is absent.
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest

from ansible.module_utils.testing import patch_module_args

yaml = pytest.importorskip('yaml')
jsonschema = pytest.importorskip('jsonschema')

REPO = Path(__file__).resolve().parents[3]
STANDIN = REPO / 'tests' / 'fixtures' / 'coolify_standin' / 'standin.py'


def _spec_path():
    """COOLIFY_OPENAPI, else the pinned version's openapi.yaml that tests/testbed/coolify-upstream.sh puts in .cache
    (from a local copy or the release tag, checked against the sums kept in the repo). Missing is a failure, not a skip."""
    if os.environ.get('COOLIFY_OPENAPI'):
        return Path(os.environ['COOLIFY_OPENAPI'])
    run = subprocess.run(['bash', str(REPO / 'tests' / 'testbed' / 'coolify-upstream.sh')], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        pytest.fail("Coolify's pinned openapi.yaml is not available: %s" % run.stderr.strip(), pytrace=False)
    return Path(run.stdout.strip()) / 'openapi.yaml'


SPEC_PATH = _spec_path()

from ansible_collections.selfhosted.ai_coding.plugins.modules import (  # noqa: E402
    coolify_application,
    coolify_deploy,
    coolify_info,
    coolify_project,
)


# -- the spec ---------------------------------------------------------------------------------------------------------

def _load_spec():
    with open(SPEC_PATH) as handle:
        return yaml.safe_load(handle)


SPEC = _load_spec()


def _resolve(node, depth=0):
    """Inline local $refs and turn OpenAPI 3.0 ``nullable`` into JSON Schema."""
    if depth > 30:
        raise AssertionError('$ref nesting too deep in the spec')
    if isinstance(node, dict):
        if '$ref' in node:
            target = SPEC
            for part in node['$ref'].lstrip('#/').split('/'):
                target = target[part]
            return _resolve(target, depth + 1)
        out = {k: _resolve(v, depth + 1) for k, v in node.items() if k not in ('example', 'examples')}
        if out.pop('nullable', False) and 'type' in out:
            out['type'] = [out['type'], 'null'] if isinstance(out['type'], str) else list(out['type']) + ['null']
        return out
    if isinstance(node, list):
        return [_resolve(v, depth + 1) for v in node]
    return node


def find_operation(method, path):
    """(template, operation) of the spec for a concrete ``/api/v1/...`` path."""
    assert path.startswith('/api/v1/'), path
    rel = path[len('/api/v1'):]
    parts = rel.strip('/').split('/')
    candidates = []
    for template, item in SPEC['paths'].items():
        tparts = template.strip('/').split('/')
        if len(tparts) != len(parts):
            continue
        if all(t == p or (t.startswith('{') and t.endswith('}')) for t, p in zip(tparts, parts)):
            literal = sum(1 for t in tparts if not t.startswith('{'))
            candidates.append((literal, template, item))
    assert candidates, 'no operation in openapi.yaml matches %s %s' % (method, path)
    candidates.sort(key=lambda c: -c[0])
    for dummy, template, item in candidates:
        if method.lower() in item:
            return template, item[method.lower()]
    raise AssertionError('openapi.yaml has %s but not for %s' % ([c[1] for c in candidates], method))


def check_exchange(ex):
    """Validate one recorded exchange; returns the operation's template for the coverage list."""
    template, op = find_operation(ex['method'], ex['path'])
    # Query parameters the operation declares.
    declared = {p['name'] for p in _resolve(op.get('parameters', [])) if p.get('in') == 'query'}
    for key in ex['query']:
        assert key in declared, '%s %s: query parameter %r is not in the spec (%s)' % (ex['method'], template, key, sorted(declared))
    # The request body.
    if ex['body'] is not None:
        content = op.get('requestBody', {}).get('content', {}).get('application/json')
        assert content, '%s %s sends a JSON body but the spec declares none' % (ex['method'], template)
        schema = _resolve(content['schema'])
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(ex['body']), key=str)
        assert not errors, '%s %s request %s: %s' % (ex['method'], template, ex['body'], '; '.join(e.message for e in errors))
        # Properties the spec does not list are refused by Coolify (422 "This field is not allowed").
        if isinstance(schema.get('properties'), dict):
            extra = set(ex['body']) - set(schema['properties'])
            assert not extra, '%s %s sends fields the spec does not list: %s' % (ex['method'], template, sorted(extra))
    # The answer.
    responses = op.get('responses', {})
    status = str(ex['status'])
    if ex['status'] >= 400 and status not in responses:
        # An error the spec does not list (Coolify's code answers 404 for an unknown private key, say): the modules
        # accept no error answer, they report it, so there is no shape to hold it to.
        return '%s %s' % (ex['method'], template)
    assert status in responses, '%s %s answered %s, the spec declares %s' % (ex['method'], template, status, sorted(responses))
    response = _resolve(responses[status])
    content = response.get('content') or {}
    if 'application/json' in content:
        assert ex['content_type'].startswith('application/json'), '%s %s: content type %s' % (ex['method'], template, ex['content_type'])
        schema = content['application/json'].get('schema', {})
        body = json.loads(ex['answer'])
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body), key=str)
        assert not errors, '%s %s answer %s: %s' % (ex['method'], template, ex['answer'][:300], '; '.join(e.message for e in errors[:5]))
    elif 'text/html' in content:
        assert ex['content_type'].startswith('text/html'), '%s %s: content type %s' % (ex['method'], template, ex['content_type'])
    return '%s %s' % (ex['method'], template)


# -- the stand-in, recording ------------------------------------------------------------------------------------------

def _load_standin(store):
    os.environ['COOLIFY_STANDIN_STORE'] = str(store)
    os.environ['COOLIFY_STANDIN_DEPLOY_STEP'] = '0.2'
    loader = importlib.machinery.SourceFileLoader('coolify_standin_%d' % id(store), str(STANDIN))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture
def coolify(tmp_path, monkeypatch):
    """A stand-in Coolify on a loopback port with a root user and a token made by the role's tinker program."""
    standin = _load_standin(tmp_path / 'store.json')
    exchanges = []

    server = standin.make_api_server('127.0.0.1', 0)
    server.recorder = exchanges.append
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv('ROOT_USER_EMAIL', 'root@example.com')
    monkeypatch.setenv('ROOT_USER_PASSWORD', 'not-a-real-password')
    monkeypatch.setenv('AI_CODING_TOKEN_NAME', 'ai-coding')
    monkeypatch.setenv('AI_CODING_TOKEN_SECRET', 'S' * 40)
    program = yaml.safe_load((REPO / 'roles' / 'coolify' / 'vars' / 'main.yml').read_text())['__coolify_token_program']
    out = []
    monkeypatch.setattr('builtins.print', lambda *a, **k: out.append(' '.join(str(x) for x in a)))
    standin.run_php(['artisan', 'tinker', '--execute', program])
    monkeypatch.undo()
    token_id = re.search(r'AI_CODING_TOKEN_ID=(\d+)', '\n'.join(out)).group(1)
    yield {'url': 'http://127.0.0.1:%d' % server.server_address[1], 'token': '%s|%s' % (token_id, 'S' * 40), 'exchanges': exchanges,
           'standin': standin}
    server.shutdown()
    server.server_close()


def run(main, args, capsys):
    capsys.readouterr()
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            main()
    return json.loads(capsys.readouterr().out)


# -- the tests --------------------------------------------------------------------------------------------------------

def test_modules_lifecycle_follows_the_spec(coolify, capsys):
    conn = {'api_url': coolify['url'], 'api_token': coolify['token'], '_ansible_diff': True}
    # project: check mode create, create, idempotent, update, ...
    res = run(coolify_project.main, dict(conn, name='demo', description='one', _ansible_check_mode=True), capsys)
    assert res['changed'] and res['project']['uuid'] is None and res['diff']['before'] == {}
    res = run(coolify_project.main, dict(conn, name='demo', description='one'), capsys)
    assert res['changed'] and res['project']['uuid']
    project_uuid = res['project']['uuid']
    res = run(coolify_project.main, dict(conn, name='demo', description='one'), capsys)
    assert not res['changed'], res
    res = run(coolify_project.main, dict(conn, name='demo', description='two', _ansible_check_mode=True), capsys)
    assert res['changed'] and res['diff']['after']['description'] == 'two'
    res = run(coolify_project.main, dict(conn, name='demo', description='two'), capsys)
    assert res['changed'] and res['project'] == {'uuid': project_uuid, 'name': 'demo', 'description': 'two'}

    app = dict(conn, project='demo', name='web', git_repository='https://github.com/coollabsio/coolify-examples', git_branch='main',
               build_pack='nixpacks', ports_exposes='3000', domains=['http://web.example.test'], env={'NODE_ENV': 'production'})
    res = run(coolify_application.main, dict(app, _ansible_check_mode=True), capsys)
    assert res['changed'] and res['application']['uuid'] is None
    res = run(coolify_application.main, app, capsys)
    assert res['changed'] and res['application']['uuid'], res
    app_uuid = res['application']['uuid']
    res = run(coolify_application.main, app, capsys)
    assert not res['changed'], res
    changed = dict(app, git_branch='next', env={'NODE_ENV': 'staging', 'EXTRA': '1'}, domains=['http://web2.example.test'])
    res = run(coolify_application.main, dict(changed, _ansible_check_mode=True), capsys)
    assert res['changed'] and res['diff']['before']['git_branch'] == 'main' and res['diff']['after']['git_branch'] == 'next'
    assert 'staging' not in json.dumps(res), 'an env value leaked into the result'
    res = run(coolify_application.main, changed, capsys)
    assert res['changed'] and res['application']['env_keys'] == ['EXTRA', 'NODE_ENV']
    res = run(coolify_application.main, dict(changed, env={'NODE_ENV': 'staging'}, purge_env=True), capsys)
    assert res['changed'] and res['application']['env_keys'] == ['NODE_ENV']
    res = run(coolify_application.main, dict(changed, env={'NODE_ENV': 'staging'}, purge_env=True), capsys)
    assert not res['changed'], res

    res = run(coolify_deploy.main, dict(conn, project='demo', name='web', poll_interval=1, wait_timeout=30), capsys)
    assert res['status'] == 'finished' and res['deployment_uuid'] and res['application_uuid'] == app_uuid, res
    assert any('Rolling update completed' in line for line in res['log_tail'])

    res = run(coolify_info.main, conn, capsys)
    assert res['health'] == 'OK' and res['version'] == coolify['standin'].VERSION
    assert [p['name'] for p in res['projects']] == ['demo'] and [a['uuid'] for a in res['applications']] == [app_uuid]
    assert [s['name'] for s in res['servers']] == ['localhost']

    # A project holding an application cannot be deleted: Coolify's message, the URL and the status are in the error.
    res = run(coolify_project.main, dict(conn, name='demo', state='absent'), capsys)
    assert res['failed'] and 'HTTP 400' in res['msg'] and '/api/v1/projects/%s' % project_uuid in res['msg'] and 'has resources' in res['msg']
    res = run(coolify_application.main, dict(app, state='absent'), capsys)
    assert res['changed'] and res['diff']['after'] == {}
    res = run(coolify_application.main, dict(app, state='absent'), capsys)
    assert not res['changed']
    res = run(coolify_project.main, dict(conn, name='demo', state='absent', _ansible_check_mode=True), capsys)
    assert res['changed']
    res = run(coolify_project.main, dict(conn, name='demo', state='absent'), capsys)
    assert res['changed'] and res['project'] == {}
    res = run(coolify_project.main, dict(conn, name='demo', state='absent'), capsys)
    assert not res['changed']

    covered = sorted(set(check_exchange(ex) for ex in coolify['exchanges'] if ex['path'].startswith('/api/v1/')))
    for wanted in ('GET /projects', 'POST /projects', 'PATCH /projects/{uuid}', 'DELETE /projects/{uuid}', 'GET /projects/{uuid}',
                   'GET /projects/{uuid}/{environment_name_or_uuid}', 'POST /applications/public', 'GET /applications',
                   'GET /applications/{uuid}', 'PATCH /applications/{uuid}', 'DELETE /applications/{uuid}', 'GET /applications/{uuid}/envs',
                   'POST /applications/{uuid}/envs', 'PATCH /applications/{uuid}/envs', 'DELETE /applications/{uuid}/envs/{env_uuid}',
                   'POST /deploy', 'GET /deployments/{uuid}', 'GET /version', 'GET /health', 'GET /servers'):
        assert wanted in covered, '%s was not exercised (covered: %s)' % (wanted, covered)


def test_wrong_token_is_refused_with_url_and_status(coolify, capsys):
    res = run(coolify_info.main, {'api_url': coolify['url'], 'api_token': '1|wrong'}, capsys)
    assert res['failed'] and 'HTTP 401' in res['msg'] and coolify['url'] + '/api/v1/version' in res['msg'] and 'Unauthenticated' in res['msg']
    for ex in coolify['exchanges']:
        check_exchange(ex)


def test_private_sources_send_what_the_spec_requires(coolify, capsys):
    conn = {'api_url': coolify['url'], 'api_token': coolify['token']}
    run(coolify_project.main, dict(conn, name='p'), capsys)
    for source, extra in (('private-deploy-key', {'private_key_uuid': 'k1'}), ('private-github-app', {'github_app_uuid': 'g1'})):
        res = run(coolify_application.main, dict(conn, **extra, project='p', name='x', source=source, git_repository='git@github.com:o/r.git'), capsys)
        # The stand-in has no key nor GitHub App registered: Coolify's 404 message comes back with the endpoint.
        assert res['failed'] and 'HTTP 404' in res['msg'] and '/api/v1/applications/%s' % source in res['msg'], res
    for ex in coolify['exchanges']:
        check_exchange(ex)


def test_checker_rejects_a_request_the_spec_forbids():
    """The checker itself can fail: a create without git_branch, and an unknown field, are caught."""
    bad = {'method': 'POST', 'path': '/api/v1/applications/public', 'query': {}, 'status': 201, 'answer': '{"uuid": "x"}',
           'content_type': 'application/json', 'body': {'project_uuid': 'a', 'server_uuid': 'b', 'environment_name': 'production',
                                                        'environment_uuid': 'c', 'git_repository': 'o/r', 'build_pack': 'nixpacks'}}
    with pytest.raises(AssertionError, match='git_branch'):
        check_exchange(bad)
    typo = copy.deepcopy(bad)
    typo['body'].update(git_branch='main', git_brnch='main')
    with pytest.raises(AssertionError, match='git_brnch'):
        check_exchange(typo)
    wrong_status = dict(bad, body=None, method='GET', path='/api/v1/projects', status=204, answer='')
    with pytest.raises(AssertionError, match='204'):
        check_exchange(wrong_status)
