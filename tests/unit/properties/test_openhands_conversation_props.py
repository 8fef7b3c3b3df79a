# Property suite for openhands_conversation: hostile options are refused before any request; valid ones run alike.
# SPDX-License-Identifier: GPL-3.0-or-later
"""For each option of openhands_conversation, generated hostile values - control characters in the prompt (other than
line breaks and tabs), huge and blank prompts, malformed URLs, a boolean or a non-positive figure for seconds, an
api_key holding a line break, wrong types - must fail the module, in check mode too, with a message that names the
option, never names a Python type and never shows the api_key in any form; and no request may reach the OpenHands
fake. Generated valid options - any free text as the prompt, line breaks, tabs and unicode included - must be
accepted: the prompt reaches the server unchanged, and a second identical run gives the same result (each run starts
one conversation, as documented; check mode sends nothing, run after run).

The fake is tests/fixtures/canned_http.CannedServer (the canned_server fixture) answering as the OpenHands 1.x app
server does (tests/fixtures/openhands_api_fakes.py); the module runs in-process through its main().
"""
from __future__ import annotations

import contextlib
import io
import json
import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from ansible.module_utils.testing import patch_module_args

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._openhands_api import (
    CONVERSATIONS_PATH,
    MAX_PROMPT_LEN,
    START_TASKS_PATH,
)
from ansible_collections.selfhosted.ai_coding.plugins.modules import openhands_conversation
from hostile import (
    CONTROL,
    INVISIBLE,
    bad_url,
    blank_text,
    safe_text,
    text_with_control,
    text_with_newline_injection,
    wrong_type_for_int,
    wrong_type_for_str,
)
from openhands_api_fakes import CONV_ID, SANDBOX_ID, conversation, task

INTERNAL = ('NoneType', '<class', '_Ansible', 'of type', "'dict'", "'list'", 'Traceback')
SECRET_MARK = 'Kp3X'
SYSLOG_NUL = 'Failed to log to syslog (embedded null character)'


@pytest.fixture(autouse=True)
def plain_http_context(monkeypatch):
    """open_url builds a TLS context for every request, loading the system's CA store (about 0.2 s), even for the
    plain http:// servers used here; a bare context keeps hundreds of generated runs fast and changes nothing else."""
    import ssl

    from ansible.module_utils import urls

    monkeypatch.setattr(urls, 'make_context', lambda *args, **kwargs: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))


@pytest.fixture
def openhands(canned_server):
    """A function that resets the canned server to an OpenHands app server whose conversations finish at once."""
    def prime():
        canned_server.reset()
        canned_server.route('POST', CONVERSATIONS_PATH, canned_server.json(task('READY', CONV_ID, SANDBOX_ID)))
        canned_server.route('GET', START_TASKS_PATH, canned_server.json([task('READY', CONV_ID, SANDBOX_ID)]))
        canned_server.route('GET', CONVERSATIONS_PATH, canned_server.json([conversation('finished')]))
        return canned_server
    return prime


def run(args):
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            openhands_conversation.main()
    return json.loads(out.getvalue()), out.getvalue()


def assert_refused(server, args, option, secret=False):
    full = {'url': server.url, 'prompt': 'Reply with done.'}
    full.update(args)
    for check in (True, False):
        result, printed = run(dict(full, _ansible_check_mode=check))
        assert result.get('failed') is True, result
        msg = result['msg']
        if SYSLOG_NUL not in msg:
            assert option in msg, msg
            assert not any(word in msg for word in INTERNAL), msg
        if secret:
            assert SECRET_MARK not in printed
        assert len(msg) < 1000
    assert server.count() == 0


# C0 control characters a prompt may not hold (line breaks and tabs are text), and lone surrogates.
PROMPT_CONTROL = [chr(c) for c in range(32) if chr(c) not in '\n\t']
free_text = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters=''.join(PROMPT_CONTROL)),
                    min_size=1, max_size=400).filter(lambda s: s.strip())
hostile_prompt = st.one_of(
    st.tuples(free_text, st.sampled_from(PROMPT_CONTROL), free_text).map(''.join),
    st.integers(min_value=MAX_PROMPT_LEN + 1, max_value=MAX_PROMPT_LEN + 5000).map(lambda n: 'p' * n),
    blank_text, st.sampled_from(['\n\n\t ', '\u00a0']), wrong_type_for_str,
)


@given(prompt=hostile_prompt)
@example(prompt='Reply\x1b[2J with done.')  # was sent: an escape sequence for whoever reads the conversation
@example(prompt='a\rb')
def test_hostile_prompts_are_refused(openhands, prompt):
    assert_refused(openhands(), {'prompt': prompt}, 'prompt')


@given(url=st.one_of(bad_url, text_with_control, blank_text, wrong_type_for_str,
                     st.tuples(st.sampled_from(['http://127.0.0.1:3000/']), text_with_newline_injection).map(''.join)))
@example(url='http://127.0.0.1:99999/')
@example(url='http://open hands:3000/')  # was accepted when the space came after the host
def test_hostile_urls_are_refused(openhands, url):
    assert_refused(openhands(), {'url': url}, 'url')


def _valid_seconds(value, maximum, whole):
    """Whether ``value`` is a valid number of seconds after all (a generated float or text may happen to be one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return False
    return 0 < number <= maximum and (not whole or number.is_integer())


@given(option=st.sampled_from(['timeout', 'poll_interval']),
       value=st.one_of(wrong_type_for_int, st.integers(max_value=0), st.floats(max_value=0), st.integers(min_value=86401),
                       st.sampled_from([float('nan'), float('inf'), float('-inf')]),
                       st.sampled_from(['', '10m', 'nan', 'inf', '-1'])))
@example(option='timeout', value=True)  # was taken as 1 second
@example(option='poll_interval', value=False)
def test_seconds_are_positive_numbers(openhands, option, value):
    maximum = 86400 if option == 'timeout' else 3600
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        value = maximum + 1
    assume(not _valid_seconds(value, maximum, whole=option == 'timeout'))
    assert_refused(openhands(), {option: value}, option)


@given(key=st.one_of(
    text_with_newline_injection,
    st.tuples(safe_text, st.sampled_from([c for c in CONTROL + INVISIBLE if c != '\t']), safe_text).map(''.join),
    st.integers(min_value=9000, max_value=20000).map(lambda n: 'k' * n),
).map(lambda s: SECRET_MARK + s) | st.lists(safe_text.map(lambda s: SECRET_MARK + s), min_size=1, max_size=2))
@example(key=SECRET_MARK + 'sess\r\nX-Evil: 1')  # was quoted escaped in the message, past no_log masking
def test_hostile_api_keys_are_refused_and_never_shown(openhands, key):
    assert_refused(openhands(), {'api_key': key}, 'api_key', secret=True)


# (The timeout also bounds each request, as its socket timeout: a generated 1 s could fail a loaded test machine.
# A generated api_key carries a mark: AnsibleModule masks a no_log value wherever it appears, even as "finished".)
@given(prompt=free_text, url_path=st.sampled_from(['', '/', '/api/v1', '/api/v1/']), timeout=st.integers(min_value=30, max_value=86400),
       poll_interval=st.floats(min_value=0.001, max_value=3600), api_key=st.one_of(st.none(), st.text(
           alphabet=string.ascii_letters + string.digits + '-_.', min_size=8, max_size=64).map(lambda k: SECRET_MARK + k)))
@example(prompt='Fix it:\n\tdef f(): return 1/0\n\u00e9\u4e2d \u202e', url_path='', timeout=600, poll_interval=2.0, api_key=None)
def test_valid_options_run_a_conversation_alike_every_time(openhands, prompt, url_path, timeout, poll_interval, api_key):
    server = openhands()
    args = {'url': server.url + url_path, 'prompt': prompt, 'timeout': timeout, 'poll_interval': poll_interval}
    if api_key is not None:
        args['api_key'] = api_key
    checked = run(dict(args, _ansible_check_mode=True))[0]
    assert checked == dict(checked, changed=False, msg='check mode: no conversation started')
    assert server.count() == 0
    results = []
    for unused_round in range(2):
        result, printed = run(args)
        assert result.get('failed') is not True, result
        assert (result['changed'], result['status'], result['conversation_id']) == (True, 'finished', CONV_ID)
        if api_key is not None:
            assert api_key not in printed
        assert 0 <= result['ready_s'] <= result['finished_s']
        results.append({key: result[key] for key in openhands_conversation.RESULT_KEYS if not key.endswith('_s')})
    assert results[0] == results[1]
    sent = [r.json['initial_message']['content'][0]['text'] for r in server.matching('POST', CONVERSATIONS_PATH)]
    assert sent == [prompt, prompt]
