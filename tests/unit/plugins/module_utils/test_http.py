# Unit tests for plugins/module_utils/_http.py, against a real local HTTP server (tests/fixtures/canned_http.py).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import threading

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _http
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    MAX_ERROR_BODY,
    _header_secrets,
    RequestError,
    iter_lines,
    join_url,
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


def test_secret_headers_are_told_from_the_rest():
    # The rule that decides which header values RequestError masks (redact_headers, which nothing called, is gone).
    headers = {'Authorization': 'Bearer s3cret', 'X-Api-Key': 'k', 'X-Auth-Token': 't', 'Cookie': 'c=1',
               'CF-Access-Client-Secret': 'x', 'Accept': 'application/json', 'User-Agent': 'ua'}
    secrets = _header_secrets(headers)
    assert sorted(secrets) == sorted(['Bearer s3cret', 's3cret', 'k', 't', 'c=1', 'x'])
    assert headers['Authorization'] == 'Bearer s3cret'  # the input is untouched
    assert _header_secrets(None) == []


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


# -- request headers are checked before anything is sent, and never quoted ------------------------------------------

SECRET = 'S3CR3T-token-value'


@pytest.mark.parametrize('value, rule', [
    ('Bearer ' + SECRET + '\nX-Evil: 1', 'a line break or another control character'),
    ('Bearer ' + SECRET + '\r', 'a line break or another control character'),
    (SECRET + '\x00', 'a line break or another control character'),
    (SECRET + '\u0161', 'characters outside latin-1'),
    (SECRET + '\u2028', 'characters outside latin-1'),
])
def test_a_header_value_that_cannot_be_sent_is_named_not_quoted(canned_server, value, rule):
    canned_server.route('GET', '/', canned_server.text('hi'))
    with pytest.raises(RequestError) as caught:
        request('GET', canned_server.url + '/', headers={'X-Token': value}, timeout=5)
    err = caught.value
    assert err.status is None
    assert "request header 'X-Token' has an invalid value" in err.reason and rule in err.reason and 'not shown' in err.reason
    for text in (str(err), err.reason, err.body, err.url, repr(err)):
        assert 'S3CR3T' not in text and 'token-value' not in text
    assert canned_server.count() == 0


def test_a_header_check_also_guards_the_stream(canned_server):
    with pytest.raises(RequestError) as caught:
        next(iter_lines('POST', canned_server.url + '/api/pull', payload={}, headers={'Authorization': SECRET + '\n'}, timeout=5))
    assert 'S3CR3T' not in str(caught.value)
    assert canned_server.count() == 0


@pytest.mark.parametrize('name, value, problem', [
    ('X-Token', 'fine value', None),
    ('X-Token', 'tab\tis fine', None),
    ('X-Count', 3, None),
    ('X-Latin', 'caf\u00e9', None),
    ('X Token', 'v', "header name 'X Token' is not a valid header name"),
    ('X-Token:', 'v', "header name 'X-Token:' is not a valid header name"),
    ('X-Tok\nen', 'v', "header name 'X-Tok\\nen' is not a valid header name"),
    (5, 'v', 'header name of the kind integer'),
    ('X-Token', None, "header 'X-Token' has a value of the wrong kind (a null)"),
    ('X-Token', True, "header 'X-Token' has a value of the wrong kind (a boolean)"),
    ('X-Token', ['a'], "header 'X-Token' has a value of the wrong kind (a list)"),
])
def test_header_problem(name, value, problem):
    found = _http.header_problem(name, value)
    if problem is None:
        assert found is None
    else:
        assert problem in found


# -- URL credentials are masked ---------------------------------------------------------------------------------

@pytest.mark.parametrize('url, shown', [
    ('http://h:1/api', 'http://h:1/api'),
    ('http://user:pa55word@h:1/api', 'http://********@h:1/api'),
    ('https://TOKEN123@h/', 'https://********@h/'),
    ('http://user:pa ss@h/', 'http://********@h/'),
    ('http://user:pa/ss@h/', 'http://********@h/'),
    ('http://h/x?token=abcdef&page=2', 'http://h/x?token=********&page=2'),
    ('http://h/@someone', 'http://h/@someone'),
    ('no url at all', 'no url at all'),
])
def test_redact_url(url, shown):
    assert _http.redact_url(url) == shown


def test_url_credentials_never_reach_the_error(closed_url):
    url = closed_url.replace('http://', 'http://admin:hunter2-pw@') + '/x?api_key=qs-secret-1'
    with pytest.raises(RequestError) as caught:
        request('GET', url, timeout=5)
    err = caught.value
    for text in (str(err), err.reason, err.url):
        assert 'hunter2-pw' not in text and 'qs-secret-1' not in text
    assert err.url == closed_url.replace('http://', 'http://********@') + '/x?api_key=********'


def test_secret_headers_echoed_by_the_server_are_masked(canned_server):
    canned_server.route('GET', '/echo', lambda rec: canned_server.text('you sent %s' % rec.headers.get('Authorization'), status=400))
    with pytest.raises(RequestError) as caught:
        request('GET', canned_server.url + '/echo', headers={'Authorization': 'Bearer ' + SECRET}, timeout=5)
    assert caught.value.status == 400
    assert 'S3CR3T' not in caught.value.body and 'S3CR3T' not in str(caught.value)
    assert caught.value.body == 'you sent ********'


def test_scrub_leaves_short_values_alone():
    assert _http.scrub('id 1 of abc, key s3cret', ['1', 'abc', 's3cret']) == 'id 1 of abc, key ********'


# -- total_timeout: one deadline for the whole exchange ------------------------------------------------------------

class Trickler(object):
    """A raw socket server that sends a complete, valid HTTP answer one byte every ``interval`` seconds: the status
    line and headers too (``mode='headers'``) or only the body (``mode='body'``). Each read gets a byte well within
    any socket timeout, so only a deadline for the whole exchange ends it."""

    def __init__(self, mode, interval=0.2, size=200, length=True):
        import socket

        self.stop = threading.Event()
        self.accepted = 0
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.url = 'http://127.0.0.1:%d/' % self.sock.getsockname()[1]
        body = b'x' * size
        if length:
            head = b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body)
        else:  # the body ends where the stream ends
            head = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'

        def answer(conn):
            try:
                conn.recv(65536)
                slow = head + body
                if mode == 'body':
                    conn.sendall(head)
                    slow = body
                for byte in slow:
                    if self.stop.wait(interval):
                        break
                    conn.sendall(bytes([byte]))
            except OSError:
                pass
            finally:
                conn.close()

        def serve():
            while not self.stop.is_set():
                try:
                    conn, _addr = self.sock.accept()
                except OSError:
                    continue
                self.accepted += 1
                threading.Thread(target=answer, args=(conn,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.fixture
def trickler():
    servers = []

    def _make(mode, **kwargs):
        servers.append(Trickler(mode, **kwargs))
        return servers[-1]
    yield _make
    for server in servers:
        server.close()


@pytest.mark.parametrize('mode', ['body', 'headers'])
def test_total_timeout_ends_a_trickling_answer(trickler, mode):
    import time

    server = trickler(mode)
    start = time.monotonic()
    with pytest.raises(RequestError) as caught:
        request('GET', server.url, timeout=2, total_timeout=2)
    took = time.monotonic() - start
    assert caught.value.status is None and caught.value.timed_out is True
    assert caught.value.reason == 'timed out: no complete answer within 2 seconds'
    assert took < 6  # generous: the outcome is what is tested, not the timing


def test_total_timeout_without_the_timer_still_bounds_the_body(trickler):
    """Outside the main thread no SIGALRM: the body loop alone gives each read only the time left."""
    import time

    server = trickler('body')
    outcome = {}

    def run():
        start = time.monotonic()
        try:
            request('GET', server.url, timeout=2, total_timeout=2)
        except RequestError as exc:
            outcome['error'] = exc
        outcome['took'] = time.monotonic() - start

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert outcome['error'].timed_out and 'within 2 seconds' in outcome['error'].reason
    assert outcome['took'] < 6


def test_without_total_timeout_the_timeout_is_per_read(trickler):
    """The old meaning of ``timeout`` is kept for the clients that rely on it (a long pull stream): 10 bytes 0.05 s
    apart pass a 1 s socket timeout whatever they take in all."""
    server = trickler('body', interval=0.05, size=10)
    assert request('GET', server.url, timeout=1).body == b'x' * 10


def test_total_timeout_answers_as_usual(canned_server):
    canned_server.route('GET', '/', canned_server.text('fine'))
    canned_server.route('GET', '/missing', canned_server.json({'error': 'nope'}, status=404))
    assert request('GET', canned_server.url + '/', timeout=5, total_timeout=5).text == 'fine'
    with pytest.raises(RequestError) as caught:
        request('GET', canned_server.url + '/missing', timeout=5, total_timeout=5)
    assert (caught.value.status, caught.value.server_message(), caught.value.timed_out) == (404, 'nope', False)


def test_time_limit_shuts_a_blocked_read_down_and_leaves_no_trace():
    """A read blocked on a silent server returns at the limit (end of stream), in the main thread as in any other;
    afterwards socket.create_connection is the real one again."""
    import socket
    import time

    real = socket.create_connection
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)
    outcome = {}

    def run():
        start = time.monotonic()
        with _http.time_limit(0.5) as limit:
            conn = socket.create_connection(silent.getsockname(), timeout=30)
            outcome['read'] = conn.recv(10)
        conn.close()
        outcome['took'] = time.monotonic() - start
        outcome['expired'] = limit.expired and limit.fired

    try:
        for where in ('main', 'thread'):
            if where == 'main':
                run()
            else:
                worker = threading.Thread(target=run)
                worker.start()
                worker.join(30)
            assert outcome == dict(outcome, read=b'', expired=True), where
            assert outcome['took'] < 5
    finally:
        silent.close()
    assert socket.create_connection is real


def test_time_limit_shuts_down_a_connection_opened_after_the_limit():
    import socket
    import time

    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    try:
        with _http.time_limit(0.1) as limit:
            time.sleep(0.3)
            conn = socket.create_connection(server.getsockname(), timeout=30)
            assert conn.recv(10) == b''
        conn.close()
        assert limit.expired
    finally:
        server.close()


def test_time_limit_leaves_other_threads_alone():
    import socket

    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(4)
    seen = {}
    opened = threading.Event()
    release = threading.Event()

    def other():
        conn = socket.create_connection(server.getsockname(), timeout=30)
        opened.set()
        release.wait(10)
        conn.settimeout(0.2)
        try:
            conn.recv(10)
            seen['read'] = 'ended'
        except socket.timeout:
            seen['read'] = 'still open'
        conn.close()

    try:
        with _http.time_limit(0.1):
            worker = threading.Thread(target=other)
            worker.start()
            opened.wait(10)
            import time
            time.sleep(0.3)
        release.set()
        worker.join(10)
        assert seen == {'read': 'still open'}
    finally:
        server.close()


def test_an_answer_cut_by_the_limit_is_never_taken_for_a_whole_one(trickler):
    """A body without Content-Length ends at the end of the stream: the one the watchdog made is not that end."""
    server = trickler('body', length=False)
    with pytest.raises(RequestError) as caught:
        request('GET', server.url, timeout=5, total_timeout=0.5)
    assert caught.value.timed_out


def test_redact_url_leaves_an_ipv6_host_with_an_at_in_the_path_alone():
    assert _http.redact_url('http://[::1]:8080/@user') == 'http://[::1]:8080/@user'
    assert _http.redact_url('http://[::1]/@user') == 'http://[::1]/@user'


def test_header_name_with_a_final_line_break_is_refused():
    # Regression: the token pattern ended in '$', which also matches before a final line break.
    from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import header_problem
    assert header_problem('X-Token\n', 'v') is not None
    assert header_problem('X-Token', 'v') is None
