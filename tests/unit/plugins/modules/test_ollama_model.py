# Unit tests for plugins/modules/ollama_model.py, against a real local HTTP server (tests/fixtures/canned_http.py).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.selfhosted.ai_coding.plugins.modules import ollama_model
from ollama_model_names import BAD_NAMES, GOOD_NAMES


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture(autouse=True)
def module_exits(monkeypatch):
    def exit_json(self, **kwargs):
        kwargs.setdefault('changed', False)
        kwargs['_no_log_values'] = set(self.no_log_values)
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs.update(msg=msg, failed=True)
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)


def run_module(args, check=False, diff=False):
    args = dict(args)
    if check:
        args['_ansible_check_mode'] = True
    if diff:
        args['_ansible_diff'] = True
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as caught:
            ollama_model.main()
    return caught.value.args[0]


def tags(*models):
    return {'models': [{'name': name, 'model': name, 'digest': digest, 'size': size} for name, digest, size in models]}


def pull_ok(total=1000):
    return [{'status': 'pulling manifest'},
            {'status': 'pulling aaa', 'digest': 'sha256:aaa', 'total': total},
            {'status': 'pulling aaa', 'digest': 'sha256:aaa', 'total': total, 'completed': total // 2},
            {'status': 'pulling aaa', 'digest': 'sha256:aaa', 'total': total, 'completed': total},
            {'status': 'verifying sha256 digest'}, {'status': 'writing manifest'}, {'status': 'success'}]


@pytest.fixture
def srv(canned_server):
    canned_server.route('GET', '/api/tags', canned_server.json(tags(('qwen2.5-coder:7b', 'd7b', 4683087332), ('bench/m01:latest', 'd01', 100))))
    return canned_server


def calls(server):
    return [(r.method, r.path) for r in server.requests]


# -- validation before any request -------------------------------------------------------------------------------------

@pytest.fixture
def srv_untouched(canned_server):
    """A server none of the bad-name cases may reach."""
    canned_server.route('GET', '/api/tags', canned_server.json(tags()))
    return canned_server


@pytest.mark.parametrize('name, rule', BAD_NAMES, ids=[repr(n[0])[:40] for n in BAD_NAMES])
@pytest.mark.parametrize('state', ['present', 'absent', 'latest'])
def test_bad_names_fail_before_any_request(srv_untouched, name, rule, state):
    srv = srv_untouched
    result = run_module({'name': name, 'state': state, 'url': srv.url})
    assert result['failed'] is True
    if '\x00' in name and 'embedded null character' in result['msg']:
        # AnsibleModule itself refuses a NUL while logging its arguments to syslog, before our code runs.
        assert srv.count() == 0
        return
    assert result['msg'].startswith('name: Invalid model name ')
    assert rule in result['msg']
    assert srv.count() == 0


def test_one_bad_name_in_a_list_stops_everything(srv):
    result = run_module({'names': ['qwen2.5-coder:7b', 'new:1b', 'evil.example/x/y'], 'url': srv.url})
    assert result['failed'] is True
    assert result['msg'].startswith("names[2]: Invalid model name 'evil.example/x/y'") and 'not in allowed_registries' in result['msg']
    assert srv.count() == 0


@pytest.mark.parametrize('name, allowed, full, short', GOOD_NAMES, ids=[g[0][:40] for g in GOOD_NAMES])
def test_good_names_check_mode_reports_normalised_names(srv, name, allowed, full, short):
    args = {'name': name, 'url': srv.url}
    if allowed is not None:
        args['allowed_registries'] = allowed
    result = run_module(args, check=True)
    assert (result['name'], result['full_name']) == (short, full)
    assert srv.count() == 1


@pytest.mark.parametrize('args, message', [
    ({'name': 'm', 'names': ['m']}, 'mutually exclusive'),
    ({}, 'one of the following is required'),
    ({'name': 'm', 'timeout': 0}, 'timeout is 0: it must be a number greater than 0'),
    ({'name': 'm', 'pull_timeout': -5}, 'pull_timeout is -5: it must be a number greater than 0'),
    ({'name': 'm', 'url': 'ollama:11434'}, "url is 'ollama:11434': a URL must start with http:// or https://"),
])
def test_argument_errors(srv, args, message):
    args.setdefault('url', srv.url)
    result = run_module(args)
    assert result['failed'] is True
    assert message in result['msg']
    assert srv.count() == 0


@pytest.mark.parametrize('args, message', [
    # A string where a list belongs is refused, never split (AnsibleModule would split it at commas).
    ({'name': 'evil.example/ns/m', 'allowed_registries': 'registry.ollama.ai,evil.example'},
     "allowed_registries must be a list, got a string ('registry.ollama.ai,evil.example')"),
    ({'names': 'a:1,b:1'}, "names must be a list, got a string ('a:1,b:1')"),
    ({'names': ['a:1', 5]}, 'names[1] must be a string, got an integer (5)'),
    ({'name': ['m']}, 'name must be a string, got a list'),
    ({'name': 7}, 'name must be a string, got an integer (7)'),
    ({'name': 'm', 'allowed_registries': None}, 'allowed_registries must be a list, got null'),
    ({'name': 'm', 'allowed_registries': ['registry.ollama.ai', '']}, "allowed_registries[1] is '': it must not be empty or blank"),
    ({'name': 'm', 'allowed_registries': ['evil.example/x']}, "allowed_registries[0] is 'evil.example/x': a registry is host or host:port"),
    ({'name': 'm', 'allowed_registries': ['h:99999']}, "allowed_registries[0] is 'h:99999': a registry is host or host:port"),
    ({'name': 'm', 'allowed_registries': ['ev\u0456l.example']}, 'allowed_registries[0] is'),
    # A boolean is not a number of seconds (AnsibleModule would take true as 1).
    ({'name': 'm', 'timeout': True}, 'timeout must be a whole number, got a boolean (true)'),
    ({'name': 'm', 'pull_timeout': False}, 'pull_timeout must be a whole number, got a boolean (false)'),
    ({'name': 'm', 'timeout': '30s'}, "timeout must be a whole number, got a string ('30s')"),
    ({'name': 'm', 'timeout': None}, 'timeout must be a whole number, got null'),
    ({'name': 'm', 'timeout': 86401}, 'timeout is 86401: it must be at most 86400'),
    ({'name': 'm', 'pull_timeout': 7 * 86400 + 1}, 'pull_timeout is 604801: it must be at most 604800'),
    ({'name': 'm', 'insecure': 'maybe'}, "insecure must be true or false, got a string ('maybe')"),
    ({'name': 'm', 'state': 5}, 'value of state must be one of: present, absent, latest, got: 5'),
    ({'name': 'm', 'url': 'http://ollama:11434\r\nX-Evil: 1/'}, 'url is'),
    ({'name': 'm', 'url': 'http://ollama:99999'}, "url is 'http://ollama:99999': "),
    ({'name': 'm', 'url': 'http://oll ama:11434'}, "url is 'http://oll ama:11434': a URL must not hold spaces"),
    ({'name': 'm', 'url': ['http://127.0.0.1:11434']}, 'url must be a string, got a list'),
    ({'name': 'm', 'headers': 'Authorization=Bearer x'}, 'headers must be a mapping, got a string'),
    ({'name': 'm', 'headers': ['Authorization: Bearer x']}, 'headers must be a mapping, got a list'),
    ({'name': 'm', 'headers': {'X Auth': 'v'}}, "headers has the header name 'X Auth'"),
    ({'name': 'm', '_progress_file': '/etc/passwd'}, "_progress_file is '/etc/passwd': it is internal to the action plugin"),
])
def test_hostile_options_are_refused_before_any_request(srv_untouched, args, message):
    args.setdefault('url', srv_untouched.url)
    for check in (False, True):
        result = run_module(args, check=check)
        assert result['failed'] is True
        assert result['msg'].startswith(message), result['msg']
        for word in ('NoneType', '<class', '_Ansible', 'of type', 'dict', 'Traceback'):
            assert word not in result['msg']
    assert srv_untouched.count() == 0


@pytest.mark.parametrize('value', ['Bearer sekrit-123\r\nX-Evil: 1', 'Bearer sekrit-123\n', 'Bearer sekrit-123\x00', 'sekrit-123\u2028'])
def test_a_header_value_with_a_line_break_is_refused_without_showing_it(canned_server, value, capsys):
    from ansible.module_utils.testing import patch_module_args

    canned_server.route('GET', '/api/tags', canned_server.json(tags()))
    with patch_module_args({'name': 'm', 'url': canned_server.url, 'headers': {'Authorization': value}}):
        with pytest.raises(FailJson) as caught:
            ollama_model.main()
    msg = caught.value.args[0]['msg']
    assert msg.startswith('headers.Authorization holds a line break or another control or invisible character')
    assert 'sekrit' not in msg and 'sekrit' not in repr(caught.value.args[0])
    assert canned_server.count() == 0


def test_progress_file_is_never_written_through_a_symlink(tmp_path):
    target = tmp_path / 'victim'
    target.write_text('precious')
    path = tmp_path / 'ollama_model.0123456789abcdef.progress'
    (tmp_path / (path.name + '.tmp')).symlink_to(target)
    writer = ollama_model.ProgressWriter(str(path))
    writer.write({'model': 'm', 'status': 's'})
    assert target.read_text() == 'precious'
    assert json.loads(path.read_text())['model'] == 'm' and not path.is_symlink()
    assert path.stat().st_mode & 0o777 == 0o600


# -- no-op runs: exactly one request ---------------------------------------------------------------------------------------

def test_present_noop_is_one_request(srv):
    result = run_module({'name': 'qwen2.5-coder:7b', 'url': srv.url}, diff=True)
    assert result['changed'] is False
    assert (result['name'], result['digest'], result['size'], result['duration']) == ('qwen2.5-coder:7b', 'd7b', 4683087332, 0.0)
    assert result['diff'] == {'before': {'name': 'qwen2.5-coder:7b', 'state': 'present', 'digest': 'd7b'},
                              'after': {'name': 'qwen2.5-coder:7b', 'state': 'present', 'digest': 'd7b'}}
    assert calls(srv) == [('GET', '/api/tags')]


def test_twenty_declared_models_noop_is_one_request(canned_server):
    installed = [('bench/m%02d:latest' % i, 'digest%02d' % i, i) for i in range(1, 21)]
    canned_server.route('GET', '/api/tags', canned_server.json(tags(*installed)))
    result = run_module({'names': ['bench/m%02d' % i for i in range(1, 21)], 'url': canned_server.url})
    assert result['changed'] is False
    assert [m['digest'] for m in result['models']] == ['digest%02d' % i for i in range(1, 21)]
    assert 'name' not in result and 'digest' not in result
    assert calls(canned_server) == [('GET', '/api/tags')]


def test_absent_noop_is_one_request(srv):
    result = run_module({'name': 'gone:1b', 'state': 'absent', 'url': srv.url})
    assert result['changed'] is False
    assert (result['digest'], result['size']) == ('', 0)
    assert calls(srv) == [('GET', '/api/tags')]


def test_empty_names_sends_nothing(srv):
    result = run_module({'names': [], 'url': srv.url})
    assert (result['changed'], result['models']) == (False, [])
    assert srv.count() == 0


def test_duplicate_spellings_are_managed_once(srv):
    result = run_module({'names': ['qwen2.5-coder:7b', 'library/qwen2.5-coder:7b', 'registry.ollama.ai/library/Qwen2.5-Coder:7b'], 'url': srv.url})
    assert [m['name'] for m in result['models']] == ['qwen2.5-coder:7b']
    assert srv.count() == 1


# -- present -----------------------------------------------------------------------------------------------------------

def test_present_pulls_a_missing_model(srv):
    srv.route('GET', '/api/tags', srv.json(tags()), srv.json(tags(('new:1b', 'dnew', 1234))))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    result = run_module({'name': 'new:1b', 'url': srv.url, 'insecure': True, 'headers': {'Authorization': 'Bearer tok'}}, diff=True)
    assert result['changed'] is True
    assert (result['name'], result['digest'], result['size']) == ('new:1b', 'dnew', 1234)
    assert isinstance(result['duration'], float) and result['duration'] == result['models'][0]['duration']
    assert result['diff'] == {'before': {'name': 'new:1b', 'state': 'absent', 'digest': ''},
                              'after': {'name': 'new:1b', 'state': 'present', 'digest': 'dnew'}}
    assert calls(srv) == [('GET', '/api/tags'), ('POST', '/api/pull'), ('GET', '/api/tags')]
    assert srv.matching('POST', '/api/pull')[0].json == {'model': 'new:1b', 'stream': True, 'insecure': True}
    assert all(r.headers.get('Authorization') == 'Bearer tok' for r in srv.requests)
    assert 'Bearer tok' in result['_no_log_values']


def test_names_pull_only_the_missing_ones_then_list_once(srv):
    srv.route('GET', '/api/tags', srv.json(tags(('qwen2.5-coder:7b', 'd7b', 1))),
              srv.json(tags(('qwen2.5-coder:7b', 'd7b', 1), ('a:1', 'da', 2), ('b:1', 'db', 3))))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    result = run_module({'names': ['a:1', 'qwen2.5-coder:7b', 'b:1'], 'url': srv.url}, diff=True)
    assert result['changed'] is True
    expected = [('a:1', True, 'da'), ('qwen2.5-coder:7b', False, 'd7b'), ('b:1', True, 'db')]
    assert [(m['name'], m['changed'], m['digest']) for m in result['models']] == expected
    assert [r.json['model'] for r in srv.matching('POST', '/api/pull')] == ['a:1', 'b:1']
    assert calls(srv) == [('GET', '/api/tags'), ('POST', '/api/pull'), ('POST', '/api/pull'), ('GET', '/api/tags')]
    assert result['diff']['before']['models'][0] == {'name': 'a:1', 'state': 'absent', 'digest': ''}
    assert result['diff']['after']['models'][2] == {'name': 'b:1', 'state': 'present', 'digest': 'db'}


def test_present_check_mode_predicts_without_pulling(srv):
    result = run_module({'name': 'new:1b', 'url': srv.url}, check=True, diff=True)
    assert result['changed'] is True
    assert result['digest'] == ''
    assert result['diff'] == {'before': {'name': 'new:1b', 'state': 'absent', 'digest': ''},
                              'after': {'name': 'new:1b', 'state': 'present', 'digest': ollama_model.UNKNOWN_DIGEST}}
    assert calls(srv) == [('GET', '/api/tags')]


def test_present_check_mode_on_installed_model_is_no_change(srv):
    result = run_module({'name': 'bench/m01', 'url': srv.url}, check=True)
    assert result['changed'] is False
    assert calls(srv) == [('GET', '/api/tags')]


def test_pull_error_fails_naming_the_url(srv):
    srv.route('POST', '/api/pull', srv.ndjson([{'status': 'pulling manifest'}, {'error': 'pull model manifest: file does not exist'}]))
    result = run_module({'name': 'nope:1', 'url': srv.url})
    assert result['failed'] is True
    assert result['msg'] == 'Ollama at %s reported an error during POST /api/pull: pull model manifest: file does not exist' % srv.url
    assert (result['status'], result['url']) == (200, srv.url + '/api/pull')


def test_failure_after_a_pull_says_what_was_already_pulled(srv):
    srv.route('GET', '/api/tags', srv.json(tags()))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()), srv.ndjson([{'status': 'pulling manifest'}, {'error': 'disk full'}]))
    result = run_module({'names': ['a:1', 'b:1'], 'url': srv.url})
    assert result['failed'] is True
    assert result['msg'] == 'Ollama at %s reported an error during POST /api/pull: disk full (already pulled by this run: a:1)' % srv.url
    assert (result['changed'], result['done']) == (True, ['a:1'])


def test_truncated_pull_fails(srv):
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()[:-1]))
    result = run_module({'name': 'new:1b', 'url': srv.url})
    assert result['failed'] is True
    assert 'ended before "success"' in result['msg']
    assert srv.count('GET', '/api/tags') == 1


def test_pull_reported_but_not_listed_fails(srv):
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    result = run_module({'name': 'ghost:1', 'url': srv.url})
    assert result['failed'] is True
    assert "reported success pulling 'ghost:1' but /api/tags does not list it" in result['msg']


def test_unreachable_server_fails_naming_the_url(closed_url):
    result = run_module({'name': 'm', 'url': closed_url})
    assert result['failed'] is True
    assert result['msg'].startswith('Could not connect to Ollama at %s: ' % closed_url)


def test_private_registry_when_allowed(srv):
    srv.route('GET', '/api/tags', srv.json(tags(('registry.lan:5000/team/coder:v3', 'dp', 5))))
    result = run_module({'name': 'registry.lan:5000/team/coder:v3', 'url': srv.url, 'allowed_registries': ['registry.ollama.ai', 'registry.lan:5000']})
    assert (result['changed'], result['digest']) == (False, 'dp')


# -- latest ------------------------------------------------------------------------------------------------------------

def test_latest_same_digest_is_not_a_change(srv):
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    result = run_module({'name': 'qwen2.5-coder:7b', 'state': 'latest', 'url': srv.url}, diff=True)
    assert result['changed'] is False
    assert result['digest'] == 'd7b'
    assert result['diff']['before'] == result['diff']['after']
    assert calls(srv) == [('GET', '/api/tags'), ('POST', '/api/pull'), ('GET', '/api/tags')]


def test_latest_new_digest_is_a_change(srv):
    srv.route('GET', '/api/tags', srv.json(tags(('qwen2.5-coder:7b', 'old', 1))), srv.json(tags(('qwen2.5-coder:7b', 'new', 2))))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    result = run_module({'name': 'qwen2.5-coder:7b', 'state': 'latest', 'url': srv.url}, diff=True)
    assert result['changed'] is True
    assert (result['digest'], result['size']) == ('new', 2)
    assert (result['diff']['before']['digest'], result['diff']['after']['digest']) == ('old', 'new')


def test_latest_missing_model_is_a_change(srv):
    srv.route('GET', '/api/tags', srv.json(tags()), srv.json(tags(('m:latest', 'dm', 2))))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    assert run_module({'name': 'm', 'state': 'latest', 'url': srv.url})['changed'] is True


def test_latest_check_mode_predicts_a_change_without_pulling(srv):
    result = run_module({'name': 'qwen2.5-coder:7b', 'state': 'latest', 'url': srv.url}, check=True)
    assert result['changed'] is True
    assert result['digest'] == 'd7b'
    assert calls(srv) == [('GET', '/api/tags')]


# -- absent ------------------------------------------------------------------------------------------------------------

def test_absent_removes(srv):
    srv.route('DELETE', '/api/delete', srv.text('', content_type='application/json'))
    result = run_module({'name': 'bench/m01', 'state': 'absent', 'url': srv.url}, diff=True)
    assert result['changed'] is True
    assert (result['digest'], result['size']) == ('', 0)
    assert result['diff'] == {'before': {'name': 'bench/m01:latest', 'state': 'present', 'digest': 'd01'},
                              'after': {'name': 'bench/m01:latest', 'state': 'absent', 'digest': ''}}
    assert srv.matching('DELETE', '/api/delete')[0].json == {'model': 'bench/m01:latest'}
    assert calls(srv) == [('GET', '/api/tags'), ('DELETE', '/api/delete')]


def test_absent_check_mode_predicts_without_deleting(srv):
    result = run_module({'names': ['bench/m01', 'qwen2.5-coder:7b', 'other:1'], 'state': 'absent', 'url': srv.url}, check=True, diff=True)
    assert result['changed'] is True
    assert [m['changed'] for m in result['models']] == [True, True, False]
    assert [m['state'] for m in result['diff']['after']['models']] == ['absent'] * 3
    assert calls(srv) == [('GET', '/api/tags')]


def test_absent_race_with_404_is_no_change(srv):
    srv.route('DELETE', '/api/delete', srv.json({'error': "model 'bench/m01:latest' not found"}, status=404))
    result = run_module({'name': 'bench/m01', 'state': 'absent', 'url': srv.url})
    assert result['changed'] is False


def test_absent_server_error(srv):
    srv.route('DELETE', '/api/delete', srv.json({'error': 'permission denied'}, status=500))
    result = run_module({'name': 'bench/m01', 'state': 'absent', 'url': srv.url})
    assert result['msg'] == 'Ollama at %s answered 500 for /api/delete: permission denied' % srv.url


# -- prune -------------------------------------------------------------------------------------------------------------

@pytest.fixture
def srv_prune(canned_server):
    """Two declared models installed under Ollama's spellings, and two undeclared ones, one on a registry host that
    no task may pull from."""
    canned_server.route('GET', '/api/tags', canned_server.json(tags(
        ('qwen2.5:latest', 'dq', 1), ('old:7b', 'dold', 2), ('team/coder:v3', 'dc', 3),
        ('registry.lan:5000/team/stale:v1', 'dstale', 4))))
    canned_server.route('DELETE', '/api/delete', canned_server.text('', content_type='application/json'))
    return canned_server


def test_prune_removes_undeclared_models_on_any_registry(srv_prune):
    srv = srv_prune
    # Declared under other spellings than /api/tags shows them: the module's normalisation keeps both.
    result = run_module({'names': ['registry.ollama.ai/library/Qwen2.5', 'team/coder:v3'], 'prune': True, 'url': srv.url}, diff=True)
    assert result['changed'] is True
    assert result['pruned'] == ['old:7b', 'registry.lan:5000/team/stale:v1']
    assert [r.json['model'] for r in srv.matching('DELETE', '/api/delete')] == ['old:7b', 'registry.lan:5000/team/stale:v1']
    assert calls(srv) == [('GET', '/api/tags'), ('DELETE', '/api/delete'), ('DELETE', '/api/delete')]
    assert [(m['name'], m['full_name'], m['state'], m['changed']) for m in result['models']] == [
        ('Qwen2.5:latest', 'registry.ollama.ai/library/Qwen2.5:latest', 'present', False),
        ('team/coder:v3', 'registry.ollama.ai/team/coder:v3', 'present', False),
        ('old:7b', 'registry.ollama.ai/library/old:7b', 'absent', True),
        ('registry.lan:5000/team/stale:v1', 'registry.lan:5000/team/stale:v1', 'absent', True)]
    assert all('_before' not in m for m in result['models'])
    assert result['diff']['before']['models'][2:] == [{'name': 'old:7b', 'state': 'present', 'digest': 'dold'},
                                                      {'name': 'registry.lan:5000/team/stale:v1', 'state': 'present', 'digest': 'dstale'}]
    assert result['diff']['after']['models'][2:] == [{'name': 'old:7b', 'state': 'absent', 'digest': ''},
                                                     {'name': 'registry.lan:5000/team/stale:v1', 'state': 'absent', 'digest': ''}]
    assert result['diff']['before']['models'][:2] == result['diff']['after']['models'][:2]


def test_prune_after_pulling_the_declared_models(srv_prune):
    srv = srv_prune
    srv.route('GET', '/api/tags', srv.json(tags(('old:7b', 'dold', 2))), srv.json(tags(('old:7b', 'dold', 2), ('new:1b', 'dnew', 5))))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok()))
    result = run_module({'name': 'new:1b', 'prune': True, 'url': srv.url}, diff=True)
    assert calls(srv) == [('GET', '/api/tags'), ('POST', '/api/pull'), ('GET', '/api/tags'), ('DELETE', '/api/delete')]
    assert (result['changed'], result['pruned'], result['name'], result['digest']) == (True, ['old:7b'], 'new:1b', 'dnew')
    # With prune the diff is a list for one name too: the pulled model, then the pruned one.
    assert result['diff']['after'] == {'models': [{'name': 'new:1b', 'state': 'present', 'digest': 'dnew'},
                                                  {'name': 'old:7b', 'state': 'absent', 'digest': ''}]}


def test_prune_check_mode_predicts_and_removes_nothing(srv_prune):
    srv = srv_prune
    result = run_module({'names': ['qwen2.5', 'team/coder:v3'], 'prune': True, 'url': srv.url}, check=True, diff=True)
    assert result['changed'] is True
    assert result['pruned'] == ['old:7b', 'registry.lan:5000/team/stale:v1']
    assert [m['changed'] for m in result['models']] == [False, False, True, True]
    assert [m['state'] for m in result['diff']['after']['models']] == ['present', 'present', 'absent', 'absent']
    assert calls(srv) == [('GET', '/api/tags')]


def test_prune_with_nothing_to_prune_is_one_request(srv_prune):
    srv = srv_prune
    names = ['qwen2.5', 'library/old:7b', 'registry.ollama.ai/team/coder:v3', 'registry.lan:5000/team/stale:v1']
    result = run_module({'names': names, 'prune': True, 'url': srv.url, 'allowed_registries': ['registry.ollama.ai', 'registry.lan:5000']},
                        diff=True)
    assert (result['changed'], result['pruned']) == (False, [])
    assert result['diff']['before'] == result['diff']['after']
    assert calls(srv) == [('GET', '/api/tags')]


def test_prune_with_no_declared_model_removes_every_model(srv_prune):
    srv = srv_prune
    result = run_module({'names': [], 'prune': True, 'url': srv.url})
    assert result['pruned'] == ['qwen2.5:latest', 'old:7b', 'team/coder:v3', 'registry.lan:5000/team/stale:v1']
    assert srv.count('DELETE', '/api/delete') == 4


def test_prune_false_leaves_undeclared_models(srv_prune):
    result = run_module({'names': ['qwen2.5'], 'url': srv_prune.url})
    assert result['changed'] is False and 'pruned' not in result
    assert calls(srv_prune) == [('GET', '/api/tags')]


def test_prune_race_with_404_is_no_change(srv_prune):
    srv = srv_prune
    srv.route('GET', '/api/tags', srv.json(tags(('old:7b', 'dold', 2))))
    srv.route('DELETE', '/api/delete', srv.json({'error': "model 'old:7b' not found"}, status=404))
    result = run_module({'names': [], 'prune': True, 'url': srv.url})
    assert (result['changed'], result['pruned'], result['models'][0]['changed']) == (False, [], False)


def test_prune_failure_says_what_was_already_removed(srv_prune):
    srv = srv_prune
    srv.route('DELETE', '/api/delete', srv.text('', content_type='application/json'), srv.json({'error': 'permission denied'}, status=500))
    result = run_module({'names': ['qwen2.5', 'team/coder:v3'], 'prune': True, 'url': srv.url})
    assert result['failed'] is True
    assert result['msg'] == 'Ollama at %s answered 500 for /api/delete: permission denied (already removed by prune: old:7b)' % srv.url
    assert (result['changed'], result['done']) == (True, ['old:7b'])


@pytest.mark.parametrize('check', [False, True])
def test_prune_with_state_absent_is_refused_before_any_request(srv_prune, check):
    result = run_module({'names': ['old:7b'], 'state': 'absent', 'prune': True, 'url': srv_prune.url}, check=check)
    assert result['failed'] is True
    assert result['msg'].startswith('prune is true with state=absent: prune removes the installed models that are not declared, '
                                    'so it works only with state=present or state=latest')
    assert srv_prune.count() == 0


def test_prune_must_be_a_boolean(srv_untouched):
    result = run_module({'names': [], 'prune': 'everything', 'url': srv_untouched.url})
    assert result['msg'] == "prune must be true or false, got a string ('everything')"
    assert srv_untouched.count() == 0


def test_probe_with_prune_and_nothing_to_pull_prunes_in_the_probe_run(srv_prune):
    srv = srv_prune
    result = run_module({'names': ['qwen2.5', 'team/coder:v3'], 'prune': True, 'url': srv.url, '_probe': True})
    assert 'probe' not in result and result['pruned'] == ['old:7b', 'registry.lan:5000/team/stale:v1']


def test_probe_with_prune_and_a_pull_due_removes_nothing_yet(srv_prune):
    srv = srv_prune
    result = run_module({'names': ['new:1b'], 'prune': True, 'url': srv.url, '_probe': True})
    assert result['probe'] == {'needs_pull': ['new:1b']}
    assert calls(srv) == [('GET', '/api/tags')]


# -- progress file for the action plugin -----------------------------------------------------------------------------------

def test_progress_records_are_written_for_the_action(srv, tmp_path, monkeypatch):
    written = []
    real_write = ollama_model.ProgressWriter.write

    def spy(self, record, force=False):
        written.append(dict(record))
        return real_write(self, record, force=True)

    monkeypatch.setattr(ollama_model.ProgressWriter, 'write', spy)
    srv.route('GET', '/api/tags', srv.json(tags()), srv.json(tags(('a:1', 'da', 1), ('b:1', 'db', 1))))
    srv.route('POST', '/api/pull', srv.ndjson(pull_ok(total=2000)))
    progress_file = tmp_path / 'async' / 'ollama_model.0123456789abcdef.progress'
    result = run_module({'names': ['a:1', 'b:1'], 'url': srv.url, '_progress_file': str(progress_file)})
    assert result['changed'] is True
    assert {'model': 'a:1', 'position': 1, 'count': 2, 'status': 'pulling aaa', 'completed': 1000, 'total': 2000, 'percent': 50} in written
    assert {'model': 'b:1', 'position': 2, 'count': 2, 'status': 'success', 'completed': 2000, 'total': 2000, 'percent': 100} in written
    assert json.loads(progress_file.read_text()) == {'done': True}
    assert not (tmp_path / 'async' / 'ollama_model.0123456789abcdef.progress.tmp').exists()
    assert progress_file.stat().st_mode & 0o777 == 0o600


def test_progress_writer_writes_only_what_the_controller_would_show_differently(tmp_path):
    path = tmp_path / 'p.json'
    writer = ollama_model.ProgressWriter(str(path))
    writer.write({'model': 'm', 'status': 'pulling x', 'percent': 1, 'total': 10, 'completed': 1})
    writer.write({'model': 'm', 'status': 'pulling x', 'percent': 1, 'total': 10, 'completed': 2})  # same shown figure: skipped
    assert json.loads(path.read_text())['completed'] == 1
    writer.write({'model': 'm', 'status': 'pulling x', 'percent': 2, 'total': 10, 'completed': 3})  # new percent: written at once
    assert json.loads(path.read_text())['percent'] == 2
    writer.write({'model': 'm', 'status': 'verifying sha256 digest', 'percent': 2, 'total': 10})  # new status: written
    assert json.loads(path.read_text())['status'] == 'verifying sha256 digest'
    writer.write({'model': 'm', 'status': 'verifying sha256 digest', 'percent': 2, 'total': 10, 'x': 1}, force=True)
    assert json.loads(path.read_text())['x'] == 1
    assert [p.name for p in tmp_path.iterdir()] == ['p.json']


def test_progress_writer_failure_is_silent(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    writer = ollama_model.ProgressWriter(str(blocker / 'sub' / 'p.json'))
    writer.write({'model': 'm', 'status': 's'})  # the parent is a file: cannot be created
    assert writer.path is None
    writer.write({'model': 'm', 'status': 't'})  # and stays off


def test_documentation_matches_the_argument_spec():
    import yaml

    doc = yaml.safe_load(ollama_model.DOCUMENTATION)
    assert doc['version_added'] == '0.1.0'
    assert set(doc['attributes']) >= {'check_mode', 'diff_mode', 'idempotent'}
    assert doc['attributes']['check_mode']['support'] == 'full'
    assert set(doc['options']) == {'name', 'names', 'state', 'prune', 'pull_timeout', 'insecure', 'allowed_registries', '_progress_file', '_probe'}
    # ca_path (new) is documented once for every API module, in the api fragment.
    assert doc['extends_documentation_fragment'] == ['selfhosted.ai_coding.ollama', 'selfhosted.ai_coding.api']
    yaml.safe_load(ollama_model.EXAMPLES)
    returned = yaml.safe_load(ollama_model.RETURN)
    assert set(returned) == {'name', 'full_name', 'digest', 'size', 'duration', 'models', 'pruned'}


# -- the action plugin's probe ----------------------------------------------------------------------------------------------

def test_probe_without_work_is_the_final_result(srv):
    result = run_module({'names': ['qwen2.5-coder:7b', 'bench/m01'], 'url': srv.url, '_probe': True})
    assert result['changed'] is False and 'probe' not in result
    assert [m['digest'] for m in result['models']] == ['d7b', 'd01']
    assert calls(srv) == [('GET', '/api/tags')]


def test_probe_stops_before_pulling(srv):
    result = run_module({'names': ['qwen2.5-coder:7b', 'new:1b'], 'url': srv.url, '_probe': True})
    assert result == {'changed': False, 'probe': {'needs_pull': ['new:1b']}, '_no_log_values': set()}
    assert calls(srv) == [('GET', '/api/tags')]


def test_probe_is_ignored_in_check_mode(srv):
    result = run_module({'name': 'new:1b', 'url': srv.url, '_probe': True}, check=True)
    assert result['changed'] is True and 'probe' not in result


def test_doc_fragment_parses_and_matches_the_argument_spec():
    import yaml

    from ansible_collections.selfhosted.ai_coding.plugins.doc_fragments.ollama import ModuleDocFragment

    options = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    assert set(options) == {'url', 'timeout', 'validate_certs', 'headers'}
    from ansible_collections.selfhosted.ai_coding.plugins.doc_fragments import api
    shared = yaml.safe_load(api.ModuleDocFragment.DOCUMENTATION)['options']
    assert set(shared) == {'ca_path'} and shared['ca_path']['type'] == ollama_model.argument_spec()['ca_path']['type']
    assert options['url']['default'] == 'http://127.0.0.1:11434'
    assert options['timeout']['default'] == 30
