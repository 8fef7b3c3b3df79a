# Unit tests for plugins/module_utils/_http.py, against a real local HTTP server (tests/fixtures/canned_http.py).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import threading

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _http
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    MAX_ERROR_BODY,
    REDACTED,
    RequestError,
    iter_lines,
    join_url,
    redact_headers,
    request,
    request_json,
    status_text,
)


@pytest.mark.parametrize('status, expected', [
    (200, 'OK'),
    (404, 'Not Found'),
    (401, 'Unauthorized (missing or wrong credentials)'),
    (502, 'Bad Gateway (the proxy could not reach the service)'),
    (418, "I'm a Teapot"),  # not in our map: http.client's table
    (599, 'HTTP 599'),
    (None, 'no answer'),
    ('abc', 'HTTP abc'),
])
def test_status_text(status, expected):
    assert status_text(status) == expected


def test_redact_headers_hides_secrets_and_keeps_the_rest():
    headers = {'Authorization': 'Bearer s3cret', 'X-Api-Key': 'k', 'X-Auth-Token': 't', 'Cookie': 'c=1',
               'CF-Access-Client-Secret': 'x', 'Accept': 'application/json', 'User-Agent': 'ua'}
    redacted = redact_headers(headers)
    assert redacted == {'Authorization': REDACTED, 'X-Api-Key': REDACTED, 'X-Auth-Token': REDACTED, 'Cookie': REDACTED,
                        'CF-Access-Client-Secret': REDACTED, 'Accept': 'application/json', 'User-Agent': 'ua'}
    assert headers['Authorization'] == 'Bearer s3cret'  # a copy, the input is untouched
    assert redact_headers(None) == {}


@pytest.mark.parametrize('base, path, expected', [
    ('http://h:1', '/api/tags', 'http://h:1/api/tags'),
    ('http://h:1/', '/api/tags', 'http://h:1/api/tags'),
    ('http://h:1/prefix/', 'api/tags', 'http://h:1/prefix/api/tags'),
    ('http://h:1', '', 'http://h:1'),
])
def test_join_url(base, path, expected):
    assert join_url(base, path) == expected


def test_request_json_sends_json_and_headers(canned_server):
    canned_server.route('POST', '/echo', canned_server.json({'ok': True}))
    data = request_json('POST', canned_server.url + '/echo', payload={'model': 'm'}, headers={'Authorization': 'Bearer t'}, timeout=5)
    assert data == {'ok': True}
    (seen,) = canned_server.requests
    assert seen.json == {'model': 'm'}
    assert seen.headers['Content-Type'] == 'application/json'
    assert seen.headers['Authorization'] == 'Bearer t'
    assert seen.headers['Accept'] == 'application/json'


def test_request_returns_status_and_body(canned_server):
    canned_server.route('GET', '/', canned_server.text('Ollama is running', content_type='text/plain'))
    resp = request('GET', canned_server.url + '/', timeout=5)
    assert (resp.status, resp.text) == (200, 'Ollama is running')


def test_request_json_empty_body_is_none(canned_server):
    canned_server.route('DELETE', '/api/delete', canned_server.text('', content_type='application/json'))
    assert request_json('DELETE', canned_server.url + '/api/delete', payload={'model': 'm'}, timeout=5) is None


def test_http_error_carries_status_body_url_and_server_message(canned_server):
    canned_server.route('POST', '/api/show', canned_server.json({'error': "model 'x' not found"}, status=404))
    url = canned_server.url + '/api/show'
    with pytest.raises(RequestError) as caught:
        request_json('POST', url, payload={'model': 'x'}, headers={'Authorization': 'Bearer hidden-token'}, timeout=5)
    err = caught.value
    assert (err.status, err.url, err.method) == (404, url, 'POST')
    assert err.server_message() == "model 'x' not found"
    assert err.json == {'error': "model 'x' not found"}
    assert 'HTTP 404 Not Found from POST %s' % url in str(err)
    assert 'hidden-token' not in str(err)


def test_error_body_is_capped(canned_server):
    canned_server.route('GET', '/big', canned_server.text('<html>' + 'x' * (3 * MAX_ERROR_BODY), status=502))
    with pytest.raises(RequestError) as caught:
        request('GET', canned_server.url + '/big', timeout=5)
    assert caught.value.status == 502
    assert len(caught.value.body) == MAX_ERROR_BODY
    assert caught.value.server_message().startswith('<html>')  # not JSON: the text itself
    assert caught.value.json is None


def test_non_json_answer_to_request_json(canned_server):
    canned_server.route('GET', '/api/tags', canned_server.text('<html>login</html>'))
    with pytest.raises(RequestError) as caught:
        request_json('GET', canned_server.url + '/api/tags', timeout=5)
    assert caught.value.status == 200
    assert 'not JSON' in caught.value.reason and 'text/html' in caught.value.reason
    assert caught.value.body == '<html>login</html>'


def test_connection_refused_has_no_status(closed_url):
    with pytest.raises(RequestError) as caught:
        request('GET', closed_url + '/api/version', timeout=5)
    assert caught.value.status is None
    assert 'refused' in caught.value.reason.lower()
    assert closed_url in str(caught.value)


def test_timeout_names_the_limit(canned_server):
    canned_server.route('GET', '/slow', canned_server.json({}, delay=2.0))
    with pytest.raises(RequestError) as caught:
        request('GET', canned_server.url + '/slow', timeout=0.3)
    assert caught.value.status is None
    assert caught.value.reason == 'timed out: no answer within 0.3 seconds'


def test_unsupported_url_is_a_request_error():
    with pytest.raises(RequestError) as caught:
        request('GET', 'gopher://example/', timeout=1)
    assert caught.value.status is None


def test_payload_and_data_are_exclusive():
    with pytest.raises(ValueError):
        request('POST', 'http://127.0.0.1:1/', payload={}, data=b'x')


def test_iter_lines_streams_and_skips_keepalives(canned_server):
    canned_server.route('POST', '/s', canned_server.ndjson(['{"a": 1}', '', '   ', '{"a": 2}\r', '{"a": 3}']))
    assert list(iter_lines('POST', canned_server.url + '/s', payload={}, timeout=5)) == ['{"a": 1}', '{"a": 2}', '{"a": 3}']


def test_iter_lines_keeps_blank_lines_on_request(canned_server):
    canned_server.route('POST', '/s', canned_server.ndjson(['a', '', 'b']))
    assert list(iter_lines('POST', canned_server.url + '/s', payload={}, timeout=5, skip_blank=False)) == ['a', '', 'b']


def test_iter_lines_without_chunked_encoding(canned_server):
    canned_server.route('GET', '/s', canned_server.ndjson(['a', 'b'], chunked=False))
    assert list(iter_lines('GET', canned_server.url + '/s', timeout=5)) == ['a', 'b']


def test_iter_lines_yields_before_the_stream_ends(canned_server):
    gate = threading.Event()
    answer = canned_server.ndjson(['first', gate, 'second'])
    canned_server.route('GET', '/s', answer)
    lines = iter_lines('GET', canned_server.url + '/s', timeout=30)
    # The server holds the stream open at the gate until this test sets it: had the client waited for the end of
    # the stream before yielding, next() would only return after the gate timed out.
    assert next(lines) == 'first'
    gate.set()
    assert list(lines) == ['second']
    assert answer.gates_timed_out == 0


def test_iter_lines_is_lazy(canned_server):
    canned_server.route('GET', '/s', canned_server.ndjson(['a']))
    lines = iter_lines('GET', canned_server.url + '/s', timeout=5)
    assert canned_server.count() == 0
    assert list(lines) == ['a']
    assert canned_server.count() == 1


def test_iter_lines_raises_http_status_on_first_next(canned_server):
    canned_server.route('POST', '/api/pull', canned_server.json({'error': 'invalid model name'}, status=400))
    with pytest.raises(RequestError) as caught:
        next(iter_lines('POST', canned_server.url + '/api/pull', payload={}, timeout=5))
    assert caught.value.status == 400
    assert caught.value.server_message() == 'invalid model name'


def test_iter_lines_refuses_an_endless_line(canned_server):
    canned_server.route('GET', '/s', canned_server.ndjson(['x' * 5000]))
    with pytest.raises(RequestError) as caught:
        list(iter_lines('GET', canned_server.url + '/s', timeout=5, max_line=1000))
    assert caught.value.status is None
    assert 'longer than 1000 bytes' in caught.value.reason


def test_iter_lines_connection_lost_midstream(monkeypatch, canned_server):
    import http.client

    canned_server.route('GET', '/s', canned_server.ndjson(['a', 'b']))
    real_readline = http.client.HTTPResponse.readline
    calls = []

    def flaky_readline(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise http.client.IncompleteRead(b'')
        return real_readline(self, *args)

    monkeypatch.setattr(http.client.HTTPResponse, 'readline', flaky_readline)
    lines = iter_lines('GET', canned_server.url + '/s', timeout=5)
    assert next(lines) == 'a'
    with pytest.raises(RequestError) as caught:
        next(lines)
    assert caught.value.status is None
    assert caught.value.reason == 'connection closed before the answer was complete'


def test_module_has_no_requests_dependency():
    import inspect

    source = inspect.getsource(_http)
    assert 'import requests' not in source
    assert 'open_url' in source
