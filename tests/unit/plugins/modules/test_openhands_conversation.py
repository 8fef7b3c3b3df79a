# Unit tests for plugins/modules/openhands_conversation.py, against a real local HTTP server playing the OpenHands app
# server (tests/fixtures/canned_http.py, through the canned_server fixture); waits are replaced by a fake clock.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _openhands_api
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._openhands_api import CONVERSATIONS_PATH, START_TASKS_PATH
from ansible_collections.selfhosted.ai_coding.plugins.modules import openhands_conversation

from openhands_api_fakes import CONV_ID, SANDBOX_ID, SECRET, TASK_ID, FakeClock, conversation, header, task  # noqa: F401 (tests/fixtures)


@pytest.fixture
def clock(monkeypatch):
    """Make run_conversation's default clock and sleep a fake one (they are bound as defaults at import time)."""
    fake = FakeClock()
    original = _openhands_api.OpenHandsClient.run_conversation

    def run_conversation(self, text, timeout=600, poll_interval=2.0, clock=None, sleep=None):
        return original(self, text, timeout=timeout, poll_interval=poll_interval, clock=fake, sleep=fake.sleep)

    monkeypatch.setattr(_openhands_api.OpenHandsClient, 'run_conversation', run_conversation)
    return fake


@pytest.fixture
def openhands(canned_server, clock):
    def _script(tasks, conversations):
        canned_server.route('POST', CONVERSATIONS_PATH, canned_server.json(task('WORKING')))
        canned_server.route('GET', START_TASKS_PATH, *[canned_server.json([t]) for t in tasks])
        canned_server.route('GET', CONVERSATIONS_PATH, *[canned_server.json([c]) for c in conversations])
        return canned_server
    return _script


@pytest.fixture
def converse(run_module):
    def _run(url, **args):
        args.setdefault('prompt', 'Reply with done.')
        args['url'] = url
        return run_module(openhands_conversation.main, args)
    return _run


def test_happy_path(openhands, converse, clock):
    server = openhands([task('WAITING_FOR_SANDBOX'), task('READY', CONV_ID, SANDBOX_ID)],
                       [conversation('running'), conversation('running'), conversation('finished')])
    run = converse(server.url, poll_interval=1.5)
    assert run.rc == 0 and not run.failed
    result = run.result
    assert result['changed'] is True
    assert {k: result[k] for k in openhands_conversation.RESULT_KEYS} == {
        'conversation_id': CONV_ID, 'start_task_id': TASK_ID, 'status': 'finished', 'ready_s': 3.0, 'finished_s': 6.0, 'sandbox_id': SANDBOX_ID}
    assert result['msg'] == 'conversation %s finished in 6.0 s (ready after 3.0 s)' % CONV_ID
    assert clock.sleeps == [1.5] * 4
    assert server.requests[0].json['initial_message']['content'] == [{'type': 'text', 'text': 'Reply with done.'}]
    assert 'agent-server-secret' not in json.dumps(result)


def test_start_task_error_fails_with_detail(openhands, converse):
    server = openhands([task('ERROR', detail='Docker daemon not reachable')], [])
    run = converse(server.url)
    assert run.failed and run.rc == 1
    assert run.result['msg'] == 'The OpenHands start task %s at %s ended in ERROR after 2.0 s: Docker daemon not reachable' % (TASK_ID, server.url)
    assert run.result['start_task_id'] == TASK_ID and 'conversation_id' not in run.result
    assert run.result['changed'] is True  # the start request went through


@pytest.mark.parametrize('status', ['error', 'stuck'])
def test_failed_execution_status_fails_naming_it(openhands, converse, status):
    server = openhands([task('READY', CONV_ID, SANDBOX_ID)], [conversation(status)])
    run = converse(server.url)
    assert run.failed
    assert "ended with execution status '%s'" % status in run.result['msg']
    assert run.result['status'] == status and run.result['conversation_id'] == CONV_ID and run.result['finished_s'] == 2.0


def test_timeout_names_the_last_status(openhands, converse):
    server = openhands([task('READY', CONV_ID, SANDBOX_ID)], [conversation('running')])
    run = converse(server.url, timeout=7, poll_interval=2)
    assert run.failed
    assert run.result['msg'].startswith('The OpenHands conversation did not finish within 7 seconds at %s' % server.url)
    assert "last status seen: execution status 'running'" in run.result['msg']
    assert run.result['status'] == 'running'


@pytest.mark.parametrize('args, words', [
    ({'url': '127.0.0.1:3000'}, "url is '127.0.0.1:3000': a URL must start with http:// or https://"),
    ({'url': 'ftp://host:3000'}, "url is 'ftp://host:3000': a URL must start with http:// or https://"),
    ({'url': 'http://'}, "url is 'http://': the URL needs a host name"),
    ({'url': 'http://[::1'}, "url is 'http://[::1': it is not a valid URL"),
    ({'url': 'http://host:99999/'}, "url is 'http://host:99999/': "),
    ({'url': 'http://ho st/'}, 'a URL must not hold spaces'),
    ({'url': True}, 'url must be a string, got a boolean'),
    ({'prompt': ''}, "prompt is '': it must not be empty or blank"),
    ({'prompt': '  \n '}, "prompt is '  \\n ': it must not be empty or blank"),
    ({'prompt': 'a\x07b'}, 'control character \\x07 at position 1'),
    ({'prompt': 'a\r\nb'}, 'control character \\r at position 1'),
    ({'prompt': 'a\x1b[2Jb'}, 'control character \\x1b at position 1'),
    ({'prompt': 'x' * 65537}, 'it is 65537 characters long; a prompt may have at most 65536'),
    ({'prompt': ['hi']}, 'prompt must be a string, got a list'),
    ({'prompt': None}, 'prompt must be a string, got null'),
    ({'timeout': '10m'}, "timeout must be a whole number, got a string ('10m')"),
    ({'validate_certs': 'maybe'}, "validate_certs must be true or false, got a string ('maybe')"),
    ({'api_key': ['sekrit-api-key']}, 'api_key must be a string, got a list'),
    ({'api_key': 12345678}, 'api_key must be a string, got an integer'),
    ({'timeout': 0}, 'timeout is 0: it must be a number greater than 0'),
    ({'timeout': -5}, 'timeout is -5: it must be a number greater than 0'),
    ({'timeout': True}, 'timeout must be a whole number, got a boolean (true)'),
    ({'timeout': 86401}, 'timeout is 86401: it must be at most 86400'),
    ({'poll_interval': 0}, 'poll_interval is 0.0: it must be a number greater than 0'),
    ({'poll_interval': -0.5}, 'poll_interval is -0.5: it must be a number greater than 0'),
    ({'poll_interval': False}, 'poll_interval must be a number, got a boolean (false)'),
    ({'poll_interval': float('nan')}, 'poll_interval must be a number greater than 0, got a number (nan)'),
    ({'api_key': 'k\r\nX-Evil: 1'}, 'api_key holds a line break'),
])
def test_bad_options_fail_before_any_request(canned_server, run_module, args, words):
    full = {'url': canned_server.url, 'prompt': 'hi'}
    full.update(args)
    run = run_module(openhands_conversation.main, full)
    assert run.failed
    assert words in run.result['msg']
    assert canned_server.count() == 0


def test_nul_in_the_prompt_is_refused_before_any_request(canned_server, run_module):
    run = run_module(openhands_conversation.main, {'url': canned_server.url, 'prompt': 'a\x00b'})
    assert run.failed
    # AnsibleModule refuses a NUL itself while it logs its arguments to syslog, before the module's own check runs.
    assert 'control character \\x00 at position 1' in run.result['msg'] or 'embedded null character' in run.result['msg']
    assert canned_server.count() == 0


def test_prompt_keeps_line_breaks_tabs_and_any_printable_text(openhands, converse):
    prompt = 'Fix the bug:\n\tdef f(): return 1/0\nUnicode is fine: \u00e9\u4e2d\u200b \U0001f600 \u202e'
    server = openhands([task('READY', CONV_ID, SANDBOX_ID)], [conversation('finished')])
    run = converse(server.url, prompt=prompt)
    assert not run.failed, run.result
    assert server.requests[0].json['initial_message']['content'] == [{'type': 'text', 'text': prompt}]


def test_check_mode_sends_nothing(canned_server, run_module):
    run = run_module(openhands_conversation.main, {'url': canned_server.url, 'prompt': 'hi', '_ansible_check_mode': True})
    assert not run.failed
    assert run.result['changed'] is False
    assert run.result['msg'] == 'check mode: no conversation started'
    assert canned_server.count() == 0


def test_check_mode_still_validates(canned_server, run_module):
    run = run_module(openhands_conversation.main, {'url': canned_server.url, 'prompt': 'hi', 'timeout': 0, '_ansible_check_mode': True})
    assert run.failed and run.result['msg'] == 'timeout is 0: it must be a number greater than 0'


def test_api_key_is_sent_and_never_returned(openhands, converse):
    server = openhands([task('READY', CONV_ID, SANDBOX_ID)], [conversation('finished')])
    run = converse(server.url, api_key=SECRET)
    assert not run.failed
    assert all(header(r, 'X-Session-API-Key') == SECRET for r in server.requests) and server.count() == 3
    assert SECRET not in json.dumps(run.result)


def test_api_key_never_in_a_failure(canned_server, converse, clock):
    canned_server.route('POST', CONVERSATIONS_PATH, canned_server.json({'detail': 'key %s refused' % SECRET}, status=401))
    run = converse(canned_server.url, api_key=SECRET)
    assert run.failed and run.result['http_status'] == 401
    assert SECRET not in json.dumps(run.result)
    assert 'changed' not in run.result or run.result['changed'] is False


def test_unreachable_server(closed_url, converse, clock):
    run = converse(closed_url)
    assert run.failed
    assert run.result['msg'].startswith('Could not start an OpenHands conversation: Could not connect to OpenHands at %s' % closed_url)
