# Unit tests for plugins/module_utils/_openhands_api.py: the client against a real local HTTP server
# (tests/fixtures/canned_http.CannedServer) playing the OpenHands 1.11 app server, with an injected clock.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._openhands_api import (
    CONVERSATIONS_PATH,
    MAX_PROMPT_LEN,
    START_TASKS_PATH,
    OpenHandsClient,
    OpenHandsError,
    check_prompt,
    validate_url,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue

from openhands_api_fakes import CONV_ID, SANDBOX_ID, SECRET, TASK_ID, FakeClock, conversation, header, task  # noqa: F401 (tests/fixtures)


@pytest.fixture
def server(canned_server):
    return canned_server


def script(server, tasks, conversations, post=None):
    """POST answers ``post`` (default: the first of ``tasks``); the GETs answer the lists in turn (last repeats)."""
    server.route('POST', CONVERSATIONS_PATH, server.json(post if post is not None else task('WORKING')))
    server.route('GET', START_TASKS_PATH, *[server.json([t]) for t in tasks])
    server.route('GET', CONVERSATIONS_PATH, *[server.json([c]) for c in conversations])


def run(server, clock=None, **kwargs):
    clock = clock or FakeClock()
    kwargs.setdefault('timeout', 600)
    kwargs.setdefault('poll_interval', 2)
    client = OpenHandsClient(server.url, api_key=kwargs.pop('api_key', None))
    return client, client.run_conversation('Reply with done.', clock=clock, sleep=clock.sleep, **kwargs)


# -- URL and plumbing -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('url, base', [
    ('http://127.0.0.1:3000', 'http://127.0.0.1:3000'),
    ('http://127.0.0.1:3000/', 'http://127.0.0.1:3000'),
    ('https://oh.example.org/openhands/api/v1/', 'https://oh.example.org/openhands'),
])
def test_validate_url(url, base):
    assert validate_url(url) == base


@pytest.mark.parametrize('url', ['127.0.0.1:3000', 'ftp://host', 'http://', '', None, 'http:// host'])
def test_client_refuses_a_bad_url(url):
    with pytest.raises(OpenHandsError, match='must start with http:// or https:// and name a host'):
        OpenHandsClient(url)


def test_start_conversation_sends_the_message_with_run(server):
    server.route('POST', CONVERSATIONS_PATH, server.json(task('WORKING')))
    started = OpenHandsClient(server.url + '/').start_conversation('Reply with done.')
    assert started['id'] == TASK_ID and started['status'] == 'WORKING'
    assert server.requests[0].json == {'initial_message': {'role': 'user', 'content': [{'type': 'text', 'text': 'Reply with done.'}], 'run': True}}
    assert header(server.requests[0], 'X-Session-API-Key') is None


def test_batch_gets_send_the_id_and_unwrap_the_list(server):
    server.route('GET', START_TASKS_PATH, server.json([task('READY', CONV_ID)]), server.json([None]))
    server.route('GET', CONVERSATIONS_PATH, server.json([conversation('running')]), server.json([]))
    client = OpenHandsClient(server.url)
    assert client.get_start_task(TASK_ID)['app_conversation_id'] == CONV_ID
    assert client.get_start_task(TASK_ID) is None  # the server's "null for any missing"
    assert client.get_conversation(CONV_ID)['execution_status'] == 'running'
    assert client.get_conversation(CONV_ID) is None
    sent = [(r.method, r.path + '?' + r.query) for r in server.requests]
    assert sent[0] == ('GET', START_TASKS_PATH + '?ids=' + TASK_ID)
    assert sent[2] == ('GET', CONVERSATIONS_PATH + '?ids=' + CONV_ID)


def test_an_answer_that_is_not_a_list_is_reported(server):
    server.route('GET', CONVERSATIONS_PATH, server.json({'items': []}))
    with pytest.raises(OpenHandsError, match='with something that is not a list'):
        OpenHandsClient(server.url).get_conversation(CONV_ID)


def test_http_error_names_server_route_and_detail(server):
    server.route('POST', CONVERSATIONS_PATH, server.json({'detail': 'LLM settings missing'}, status=400))
    with pytest.raises(OpenHandsError) as caught:
        OpenHandsClient(server.url).start_conversation('x')
    assert str(caught.value) == 'OpenHands at %s answered HTTP 400 Bad Request for POST %s: LLM settings missing' % (server.url, CONVERSATIONS_PATH)
    assert caught.value.status == 400


def test_unreachable_server_names_the_url(closed_url):
    with pytest.raises(OpenHandsError) as caught:
        OpenHandsClient(closed_url).run_conversation('x', clock=FakeClock(), sleep=FakeClock().sleep)
    message = str(caught.value)
    assert message.startswith('Could not start an OpenHands conversation: Could not connect to OpenHands at %s: ' % closed_url)
    assert 'refused' in message.lower()
    assert caught.value.result['start_task_id'] is None


# -- the whole flow ---------------------------------------------------------------------------------------------------

def test_happy_path_records_timings_from_the_clock(server):
    script(server,
           tasks=[task('WAITING_FOR_SANDBOX'), task('STARTING_CONVERSATION', sandbox_id=SANDBOX_ID), task('READY', CONV_ID, SANDBOX_ID)],
           conversations=[conversation(None, 'STARTING'), conversation('idle'), conversation('running'), conversation('running'),
                          conversation('finished')])
    clock = FakeClock()
    client, result = run(server, clock=clock, poll_interval=2.5)
    # POST at t=0; 3 start-task polls, each after a 2.5 s wait -> READY at 7.5 s; then 5 conversation polls with 4
    # waits in between -> finished at 17.5 s.
    assert result == {'start_task_id': TASK_ID, 'conversation_id': CONV_ID, 'sandbox_id': SANDBOX_ID, 'status': 'finished',
                      'start_task_status': 'READY', 'ready_s': 7.5, 'finished_s': 17.5, 'polls': 8}
    assert clock.sleeps == [2.5] * 7
    assert [r.method for r in server.requests] == ['POST'] + ['GET'] * 8
    assert server.count('GET', START_TASKS_PATH) == 3 and server.count('GET', CONVERSATIONS_PATH) == 5
    assert 'agent-server-secret' not in repr(result)


def test_post_that_answers_ready_skips_the_task_polls(server):
    script(server, tasks=[], conversations=[conversation('finished')], post=task('READY', CONV_ID, SANDBOX_ID))
    _client, result = run(server)
    assert (result['ready_s'], result['finished_s'], result['polls']) == (0.0, 0.0, 1)
    assert server.count('GET', START_TASKS_PATH) == 0


def test_start_task_error_reports_its_detail(server):
    script(server, tasks=[task('WAITING_FOR_SANDBOX'), task('ERROR', detail='Sandbox failed to start: image not found')], conversations=[])
    with pytest.raises(OpenHandsError) as caught:
        run(server)
    message = str(caught.value)
    assert message == ('The OpenHands start task %s at %s ended in ERROR after 4.0 s: Sandbox failed to start: image not found'
                       % (TASK_ID, server.url))
    assert caught.value.result['start_task_status'] == 'ERROR'
    assert caught.value.result['conversation_id'] is None
    assert server.count('GET', CONVERSATIONS_PATH) == 0


def test_start_task_error_without_detail(server):
    script(server, tasks=[task('ERROR')], conversations=[])
    with pytest.raises(OpenHandsError, match='ended in ERROR after 2.0 s: no detail given'):
        run(server)


@pytest.mark.parametrize('status', ['error', 'stuck'])
def test_failed_execution_statuses_are_named(server, status):
    script(server, tasks=[task('READY', CONV_ID, SANDBOX_ID)], conversations=[conversation('running'), conversation(status)])
    with pytest.raises(OpenHandsError) as caught:
        run(server)
    message = str(caught.value)
    assert "ended with execution status '%s' after 4.0 s" % status in message
    assert CONV_ID in message and server.url in message
    assert caught.value.result['status'] == status
    assert caught.value.result['ready_s'] == 2.0 and caught.value.result['finished_s'] == 4.0


def test_sandbox_error_fails_at_once(server):
    script(server, tasks=[task('READY', CONV_ID, SANDBOX_ID)], conversations=[conversation(None, 'ERROR')])
    with pytest.raises(OpenHandsError, match='The sandbox %s of the OpenHands conversation %s .* went to status ERROR' % (SANDBOX_ID, CONV_ID)):
        run(server)


def test_timeout_while_starting_names_the_last_task_status(server):
    script(server, tasks=[task('WORKING'), task('WAITING_FOR_SANDBOX')], conversations=[])
    clock = FakeClock()
    with pytest.raises(OpenHandsError) as caught:
        run(server, clock=clock, timeout=10, poll_interval=3)
    message = str(caught.value)
    assert message.startswith('The OpenHands conversation did not finish within 10 seconds at %s (start task %s; '
                              "last status seen: start task status 'WAITING_FOR_SANDBOX')" % (server.url, TASK_ID))
    assert clock.sleeps == [3, 3, 3, 1]  # the last wait is cut to the time left
    assert caught.value.result['ready_s'] is None


def test_timeout_while_running_names_the_last_execution_status(server):
    script(server, tasks=[task('READY', CONV_ID, SANDBOX_ID)], conversations=[conversation('running')])
    with pytest.raises(OpenHandsError) as caught:
        run(server, timeout=9, poll_interval=2)
    message = str(caught.value)
    assert "within 9 seconds at %s (conversation %s; last status seen: execution status 'running')" % (server.url, CONV_ID) in message
    assert caught.value.result['conversation_id'] == CONV_ID and caught.value.result['status'] == 'running'


def test_timeout_waiting_for_confirmation_gives_a_hint(server):
    script(server, tasks=[task('READY', CONV_ID)], conversations=[conversation('waiting_for_confirmation')])
    with pytest.raises(OpenHandsError, match="execution status 'waiting_for_confirmation'.*turn confirmation mode off"):
        run(server, timeout=5)


def test_timeout_before_any_execution_status(server):
    script(server, tasks=[task('READY', CONV_ID)], conversations=[conversation(None, 'STARTING')])
    with pytest.raises(OpenHandsError, match="last status seen: sandbox status 'STARTING', no execution status"):
        run(server, timeout=5)


def test_a_forgotten_start_task_is_reported(server):
    server.route('POST', CONVERSATIONS_PATH, server.json(task('WORKING')))
    server.route('GET', START_TASKS_PATH, server.json([None]))
    with pytest.raises(OpenHandsError, match='no longer knows the start task %s' % TASK_ID):
        run(server)


def test_a_failing_poll_names_what_was_polled(server):
    script(server, tasks=[task('READY', CONV_ID)], conversations=[])
    server.route('GET', CONVERSATIONS_PATH, server.text('<html>Bad Gateway</html>', status=502))
    with pytest.raises(OpenHandsError) as caught:
        run(server)
    assert str(caught.value).startswith('Lost track of the OpenHands conversation %s: OpenHands at %s answered HTTP 502' % (CONV_ID, server.url))
    assert caught.value.status == 502


# -- the session API key --------------------------------------------------------------------------------------------

def test_api_key_is_sent_as_header_and_never_shown(server):
    script(server, tasks=[task('READY', CONV_ID, SANDBOX_ID)], conversations=[conversation('finished')])
    client, result = run(server, api_key=SECRET)
    assert [header(r, 'X-Session-API-Key') for r in server.requests] == [SECRET] * 3
    assert SECRET not in repr(result) and SECRET not in repr(client)


def test_api_key_never_in_error_messages_even_when_echoed(server):
    server.route('POST', CONVERSATIONS_PATH, server.json({'detail': 'bad key %s' % SECRET}, status=401))
    with pytest.raises(OpenHandsError) as caught:
        run(server, api_key=SECRET)
    message = str(caught.value)
    assert SECRET not in message and SECRET not in repr(caught.value.result)
    assert 'bad key ********' in message and "does not match the server's SESSION_API_KEY" in message


def test_missing_api_key_hint(server):
    server.route('POST', CONVERSATIONS_PATH, server.json({'detail': 'Unauthorized'}, status=401))
    with pytest.raises(OpenHandsError, match='the server runs with SESSION_API_KEY: give api_key'):
        run(server)


@pytest.mark.parametrize('key', ['sess\r\nX-Evil: 1', 'sess\n', 'sess\x00key'])
def test_an_api_key_with_a_line_break_is_refused_before_any_request_and_never_shown(server, key):
    """Before: http.client refused the header while sending, and the message quoted it escaped (past _scrub and no_log)."""
    with pytest.raises(OpenHandsError) as caught:
        OpenHandsClient(server.url, api_key=key).start_conversation('hi')
    assert 'sess' not in str(caught.value) and 'api_key holds a line break' in str(caught.value)
    assert server.count() == 0


@pytest.mark.parametrize('prompt, words', [
    ('', 'must not be empty or blank'),
    (' \n\t', 'must not be empty or blank'),
    ('a\x00', 'the control character \\x00 at position 1'),
    ('a\rb', 'the control character \\r at position 1'),
    ('\x1b[2J', 'the control character \\x1b at position 0'),
    ('a\ud800', 'the control character \\ud800 at position 1'),
    ('x' * (MAX_PROMPT_LEN + 1), 'it is %d characters long' % (MAX_PROMPT_LEN + 1)),
    (5, 'prompt must be a string, got an integer (5)'),
])
def test_check_prompt_refuses(prompt, words):
    with pytest.raises(InvalidValue) as caught:
        check_prompt(prompt)
    assert words in str(caught.value) and str(caught.value).startswith('prompt ')
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize('prompt', ['hi', 'line one\nline two\n\tindented', 'caf\u00e9 \u4e2d\u6587 \U0001f600', 'x' * MAX_PROMPT_LEN,
                                    'zero\u200bwidth and \u202e bidi are text'])
def test_check_prompt_keeps_free_text_unchanged(prompt):
    assert check_prompt(prompt) == prompt
