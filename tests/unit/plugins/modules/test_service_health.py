# Unit tests for plugins/modules/service_health.py. HTTP and Ollama checks talk to a real HTTP server on 127.0.0.1
# (tests/fixtures/canned_http.py, through the canned_server fixture), TCP checks to real loopback sockets; systemctl
# and docker are replaced by a stand-in for AnsibleModule.run_command (FakeCommands below).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json
import socket
import time

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.selfhosted.ai_coding.plugins.modules import service_health
from ansible_collections.selfhosted.ai_coding.plugins.modules.service_health import json_has_path, version_key


@pytest.fixture
def pauses(monkeypatch):
    """Record the waits between rounds instead of sleeping."""
    waited = []
    monkeypatch.setattr(service_health.HealthChecker, 'pause', staticmethod(waited.append))
    return waited


@pytest.fixture
def health(run_module, pauses):
    def _run(checks, **args):
        args.setdefault('retries', 0)
        args['checks'] = checks
        return run_module(service_health.main, args)
    return _run


def by_name(run):
    return dict((check['name'], check) for check in run.result['checks'])


@pytest.fixture
def listening_port():
    """A TCP port on 127.0.0.1 that accepts connections."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- pure helpers ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('older, newer', [
    ('0.17.1', '0.17.2'),
    ('0.17.9', '0.17.10'),
    ('0.18.0-rc1', '0.18.0'),
    ('0.9', '0.17.1'),
    ('v0.5.7', '0.6'),
    ('0.0.0', '0.1.0'),
])
def test_version_order(older, newer):
    assert version_key(older) < version_key(newer)


@pytest.mark.parametrize('left, right', [('0.17', '0.17.0'), ('0.17.1+build.5', '0.17.1'), ('v1.2.3', '1.2.3')])
def test_version_equal(left, right):
    assert version_key(left) == version_key(right)


@pytest.mark.parametrize('text', ['', 'latest', 'dev-build', None])
def test_version_unparseable(text):
    assert version_key(text) is None


@pytest.mark.parametrize('path, present', [
    ('status', True), ('db.ok', True), ('items.1.id', True), ('items.2.id', False), ('db.missing', False),
    ('status.deeper', False), ('items.x', False), ('null', True),
])
def test_json_has_path(path, present):
    data = {'status': 'ok', 'db': {'ok': True}, 'items': [{'id': 1}, {'id': 2}], 'null': None}
    assert json_has_path(data, path) is present


# -- validation, before any I/O ---------------------------------------------------------------------------------

@pytest.mark.parametrize('check, rule', [
    ({'name': 'web', 'type': 'http'}, "checks[1] (name 'web'): type http needs url"),
    ({'name': 'web', 'type': 'http', 'url': 'localhost:8080/'}, "url is 'localhost:8080/': a URL must start with http:// or https://"),
    # Malformed URLs that passed before: a space, CR/LF, a tab or an invisible character in the host; a port out of
    # range or not a number; no host.
    ({'name': 'web', 'type': 'http', 'url': 'http://exa mple.org/'}, "url is 'http://exa mple.org/': a URL must not hold spaces"),
    ({'name': 'web', 'type': 'http', 'url': 'http://example.org\r\nX-Injected: 1/'}, "url is 'http://example.org\\r\\nX-Injected: 1/'"),
    ({'name': 'web', 'type': 'http', 'url': 'http://exa\u200bmple.org/'}, 'control or invisible characters (found \\u200b)'),
    ({'name': 'web', 'type': 'http', 'url': 'http://example.org:99999/'}, "url is 'http://example.org:99999/': it is not a valid URL (Port"),
    ({'name': 'web', 'type': 'http', 'url': 'http://example.org:x/'}, "url is 'http://example.org:x/': it is not a valid URL (Port"),
    ({'name': 'web', 'type': 'http', 'url': 'http:///path'}, 'the URL needs a host name or address'),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'status': 700}, 'status 700 must be an HTTP status from 100 to 599'),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'status': ['200', 'ok']}, "status 'ok' must be an HTTP status"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'status': True}, 'status true must be an HTTP status'),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'status': []}, 'status is an empty list'),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'method': 'HEAD', 'body_contains': 'x'}, 'method HEAD gets no body'),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'method': 'FETCH'}, "method is 'FETCH': it must be one of GET, HEAD"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'json_keys': ['a..b']}, "json_keys entry 'a..b' is not a key"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'json_keys': 'status'}, "json_keys must be a list of strings, got a string ('status')"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'body_contains': 'ok\nX'}, "body_contains is 'ok\\nX': it must not hold control"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'headers': 'X-A: 1'}, 'headers must be a mapping of header names to values'),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'headers': {'X A': 'abc-def-1'}}, "headers: header name 'X A' is not a valid header name"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'headers': {'X-A': ['abc-def-1']}}, "headers: header 'X-A' has a value of the wrong kind (a list)"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'validate_certs': 'maybe'}, "validate_certs must be true or false, got a string ('maybe')"),
    ({'name': 'web', 'type': 'http', 'url': 'http://x/', 'port': 80}, 'port does not apply to type http, which takes url, method'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1'}, 'type tcp needs port'),
    ({'name': 'db', 'type': 'tcp', 'port': 5432}, 'type tcp needs host'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 0}, 'port is 0: a port is a number 1-65535'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 70000}, 'port is 70000: a port is a number 1-65535'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 'x'}, "checks[1] (name 'db'): port is 'x': a port is a number 1-65535"),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': True}, "checks[1] (name 'db'): port must be a port number 1-65535, got a boolean"),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 22.5}, 'port must be a port number 1-65535, got a number (22.5)'),
    ({'name': 'db', 'type': 'tcp', 'host': 'db host', 'port': 5432}, "host is 'db host': it must be a host name or an IP address"),
    ({'name': 'db', 'type': 'tcp', 'host': 'db\nhost', 'port': 5432}, "host is 'db\\nhost': it must not hold control"),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 1, 'timeout': 0}, 'timeout is 0: it must be a number greater than 0'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 1, 'timeout': True}, 'timeout must be a number greater than 0, got a boolean'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 1, 'timeout': 86400}, 'timeout is 86400: it must be at most 3600'),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 1, 'timeout': 'soon'}, "timeout must be a number greater than 0, got a string ('soon')"),
    ({'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': 1, 'url': 'http://x', 'unit': 'a'}, 'unit, url do not apply to type tcp'),
    ({'name': 'u', 'type': 'systemd', 'unit': '--all'}, "unit '--all' is not a systemd unit name"),
    ({'name': 'u', 'type': 'systemd', 'unit': 'a b.service'}, "unit 'a b.service' is not a systemd unit name"),
    ({'name': 'u', 'type': 'systemd', 'unit': 'ollama\n.service'}, "unit is 'ollama\\n.service': it must not hold control"),
    ({'name': 'u', 'type': 'systemd', 'unit': 'x', 'timeout': 5}, 'timeout does not apply to type systemd'),
    ({'name': 'c', 'type': 'docker', 'container': '-f'}, "container '-f' is not a container name"),
    ({'name': 'c', 'type': 'docker', 'container': 'coolify\u200b'}, "container is 'coolify\\u200b': it must not hold control or invisible"),
    ({'name': 'o', 'type': 'ollama', 'min_version': 'latest'}, "min_version 'latest' is not a version"),
    ({'name': 'o', 'type': 'ollama', 'min_version': 0.1}, 'min_version is 0.1, a number: quote the version'),
    ({'name': 'o', 'type': 'ollama', 'models': ['qwen2.5-coder:7b', 'bad name']}, "models[1]: Invalid model name 'bad name'"),
    ({'name': 'o', 'type': 'ollama', 'models': 'qwen2.5-coder:7b'}, 'models must be a list of strings, got a string'),
    ({'name': 'o', 'type': 'ollama', 'generate': True}, 'generate needs a model: set generate_model or list one in models'),
    ({'name': 'o', 'type': 'ollama', 'generate': 'maybe'}, "generate must be true or false, got a string ('maybe')"),
    ({'name': 'o', 'type': 'ollama', 'generate_model': 'llama3.2:1b'}, 'generate_model is set but generate is not true'),
    ({'name': 'o', 'type': 'ollama', 'generate': True, 'generate_model': 'llama 3'}, "generate_model: Invalid model name 'llama 3'"),
    ({'name': 'o', 'type': 'ollama', 'url': 'ftp://x'}, "url is 'ftp://x': a URL must start with http://"),
    ({'name': 'first', 'type': 'tcp', 'host': '127.0.0.1', 'port': 22}, "the name 'first' is already used by checks[0]"),
    ({'name': ' ', 'type': 'tcp', 'host': '127.0.0.1', 'port': 22}, "checks[1]: name is ' ': it must not be empty or blank"),
    ({'name': 'a\nb', 'type': 'tcp', 'host': '127.0.0.1', 'port': 22}, "checks[1]: name is 'a\\nb': it must not hold control"),
    ({'name': ['x'], 'type': 'tcp', 'host': '127.0.0.1', 'port': 22}, 'checks[1]: name must be a string, got a list'),
    ({'type': 'http', 'url': 'http://x/'}, "checks[1] (url 'http://x/'): name is missing"),
    ({'name': 'x', 'type': 5}, "checks[1] (name 'x'): type is 5: it must be one of http, tcp, systemd, docker, ollama"),
])
def test_bad_check_is_refused_before_any_request(health, canned_server, check, rule):
    """The bad check comes second: the first, valid one must not have been run (no request reached its server)."""
    canned_server.route('GET', '/', canned_server.text('hello'))
    run = health([{'name': 'first', 'type': 'http', 'url': canned_server.url + '/'}, check])
    assert run.failed
    assert rule in run.result['msg']
    assert run.result['msg'].startswith('checks[1]')
    assert canned_server.count() == 0
    assert 'checks' not in run.result


def test_an_invalid_later_check_means_no_request_to_the_earlier_checks_server(health, canned_server, listening_port):
    canned_server.route('GET', '/health', canned_server.text('up'))
    run = health([{'name': 'web', 'type': 'http', 'url': canned_server.url + '/health'},
                  {'name': 'ssh', 'type': 'tcp', 'host': '127.0.0.1', 'port': listening_port},
                  {'name': 'api', 'type': 'http', 'url': 'http://api .example.org/'}])
    assert run.failed
    assert run.result['msg'] == "checks[2] (name 'api'): url is 'http://api .example.org/': a URL must not hold spaces"
    assert canned_server.count() == 0


def test_an_unknown_option_is_refused_before_any_request(health, canned_server):
    canned_server.route('GET', '/', canned_server.text('hello'))
    run = health([{'name': 'first', 'type': 'http', 'url': canned_server.url + '/'},
                  {'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'prot': 5432}])
    assert run.failed and 'checks.prot' in run.result['msg']
    assert canned_server.count() == 0


def test_a_boolean_port_is_refused_not_taken_as_port_1(health, monkeypatch):
    connects = []
    monkeypatch.setattr(service_health.socket, 'getaddrinfo', lambda *a, **k: connects.append(a) or [])
    run = health([{'name': 'ssh', 'type': 'tcp', 'host': '127.0.0.1', 'port': True}])
    assert run.failed
    assert run.result['msg'] == "checks[0] (name 'ssh'): port must be a port number 1-65535, got a boolean (true)"
    assert connects == []


def test_a_port_as_a_string_of_digits_is_taken(health, listening_port):
    run = health([{'name': 'ssh', 'type': 'tcp', 'host': '127.0.0.1', 'port': str(listening_port)}])
    assert not run.failed, run.result
    assert run.result['checks'][0]['detail'] == 'connected to 127.0.0.1:%d' % listening_port


@pytest.mark.parametrize('args, rule', [
    ({'retries': -1}, 'retries is -1: it must be a whole number from 0 to 1000'),
    ({'retries': True}, 'retries must be a whole number from 0 to 1000, got a boolean (true)'),
    ({'retries': 'x'}, "retries must be a whole number from 0 to 1000, got a string ('x')"),
    ({'retries': 1.5}, 'retries must be a whole number from 0 to 1000, got a number (1.5)'),
    ({'delay': -2}, 'delay is -2: it must be a number of seconds from 0 to 3600'),
    ({'delay': False}, 'delay must be a number of seconds from 0 to 3600, got a boolean (false)'),
    ({'timeout': 0}, 'timeout is 0: it must be a number greater than 0'),
    ({'timeout': True}, 'timeout must be a number greater than 0, got a boolean (true)'),
    ({'timeout': float('nan')}, 'timeout must be a number greater than 0, got a number (nan)'),
    ({'url': 'http://ollama host:11434'}, "url is 'http://ollama host:11434': a URL must not hold spaces"),
])
def test_bad_top_level_options(health, canned_server, args, rule):
    canned_server.route('GET', '/', canned_server.text('hello'))
    run = health([{'name': 'web', 'type': 'http', 'url': canned_server.url + '/'}], **args)
    assert run.failed and rule in run.result['msg'], run.result
    assert canned_server.count() == 0


def test_numbers_as_text_are_taken(health, canned_server, pauses):
    """A templated value may arrive as text ("3"); it is read as the number it holds."""
    canned_server.route('GET', '/', canned_server.text('no', status=503))
    run = health([{'name': 'web', 'type': 'http', 'url': canned_server.url + '/', 'timeout': '5'}],
                 retries='2', delay='0.5', timeout='7.5', fail_on_error=False)
    assert run.result['checks'][0]['attempts'] == 3
    assert pauses == [0.5, 0.5]


def test_unknown_type_is_refused(health):
    run = health([{'name': 'x', 'type': 'ping'}])
    assert run.failed
    assert run.result['msg'] == "checks[0] (name 'x'): type is 'ping': it must be one of http, tcp, systemd, docker, ollama"


def test_empty_checks_refused(health):
    run = health([])
    assert run.failed and run.result['msg'] == 'checks is empty; give at least one check'


def test_messages_never_name_internal_types(health):
    for check in ({'name': 'x', 'type': 'tcp', 'host': {'a': 1}, 'port': 1}, {'name': 'x', 'type': 'tcp', 'host': 'h', 'port': None, 'timeout': [1]},
                  {'name': 'x', 'type': 'http', 'url': 5}):
        msg = health([check]).result['msg']
        for internal in ('dict', 'NoneType', "<class", 'int)', 'str)', '_Ansible'):
            assert internal not in msg, msg


# -- secrets: header values and URL credentials -------------------------------------------------------------------

SECRET_A, SECRET_B = 'S3CR3T-first-half', 'S3CR3T-second-half'


@pytest.mark.parametrize('value', [
    SECRET_A + '\n' + SECRET_B,          # a line break: would add a header of its own choosing
    SECRET_A + '\r\nX-Evil: ' + SECRET_B,
    SECRET_A + '\x00' + SECRET_B,
    SECRET_A + '\u0161' + SECRET_B,      # outside latin-1: http.client would refuse it with the character quoted
    SECRET_A + '\u2028' + SECRET_B,
])
@pytest.mark.parametrize('where', ['check', 'top'])
def test_a_header_value_that_cannot_be_sent_is_named_never_quoted(health, canned_server, value, where):
    canned_server.route('GET', '/api/version', canned_server.json({'version': '0.17.4'}))
    if where == 'check':
        run = health([{'name': 'proxy', 'type': 'http', 'url': canned_server.url + '/api/version', 'headers': {'X-Token': value}}])
    else:
        run = health([{'name': 'ollama', 'type': 'ollama', 'url': canned_server.url}], headers={'X-Token': value})
    assert run.failed
    assert "header 'X-Token' has an invalid value" in run.result['msg']
    assert 'not shown' in run.result['msg']
    text = json.dumps(run.result)
    for part in (SECRET_A, SECRET_B, 'first-half', 'second-half', 'S3CR3T'):
        assert part not in text
    assert canned_server.count() == 0


def test_header_values_and_url_credentials_are_masked_in_details(health, canned_server):
    # A server that echoes what it got (an error page quoting the request, say).
    def echo(recorded):
        return canned_server.text('denied for %s / %s' % (recorded.headers.get('X-Probe'), recorded.headers.get('Authorization')), status=403)
    canned_server.route('GET', '/echo', echo)
    url = canned_server.url.replace('http://', 'http://admin:hunter2-pass@') + '/echo?token=qs-secret-value'
    run = health([{'name': 'echo', 'type': 'http', 'url': url, 'headers': {'X-Probe': 'probe-secret-value'}}], fail_on_error=False)
    check = run.result['checks'][0]
    assert check['ok'] is False and check['detail'].startswith('HTTP 403')
    text = json.dumps(run.result)
    for secret in ('probe-secret-value', 'hunter2-pass', 'qs-secret-value'):
        assert secret not in text
    assert canned_server.count('GET', '/echo') == 1


def test_url_credentials_are_masked_when_the_url_is_refused(health):
    run = health([{'name': 'web', 'type': 'http', 'url': 'http://admin:hunter2 pass@exa mple.org/'}])
    assert run.failed
    assert 'hunter2' not in json.dumps(run.result)
    assert "checks[0] (name 'web'): url is 'http://********@exa mple.org/'" in run.result['msg']


def test_url_credentials_are_masked_when_nothing_answers(health, closed_url):
    url = closed_url.replace('http://', 'http://admin:hunter2-pass@') + '/'
    run = health([{'name': 'down', 'type': 'http', 'url': url}], fail_on_error=False)
    assert 'refused' in run.result['checks'][0]['detail'].lower()
    assert 'hunter2' not in json.dumps(run.result)
    assert '********@127.0.0.1' in run.result['checks'][0]['detail']


# -- one deadline per attempt -------------------------------------------------------------------------------------

class Trickler(object):
    """A real HTTP server (http.server in a thread) that sends its answer one byte at a time, ``interval`` seconds
    apart: in the body (``mode='body'``) or already in the status line and headers (``mode='headers'``)."""

    def __init__(self, mode, interval=0.25, size=200):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests = 0
        self.stop = threading.Event()
        trickler = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_GET(self):
                trickler.requests += 1
                body = b'x' * size
                head = b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n' % len(body)
                slow = head + body if mode == 'headers' else body
                try:
                    if mode == 'body':
                        self.wfile.write(head)
                        self.wfile.flush()
                    for byte in slow:
                        if trickler.stop.wait(interval):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()
        self.url = 'http://127.0.0.1:%d/' % self.httpd.server_address[1]

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def trickler():
    servers = []

    def _make(mode):
        servers.append(Trickler(mode))
        return servers[-1]
    yield _make
    for server in servers:
        server.close()


@pytest.mark.parametrize('mode', ['body', 'headers'])
def test_a_trickling_server_fails_the_check_at_its_timeout(health, trickler, mode):
    """200 bytes, one every 0.25 s, is 50 s of answer: each read gets a byte well within the timeout, so only a
    deadline for the whole attempt ends it. The bound on the time is generous: the outcome is what is tested."""
    server = trickler(mode)
    start = time.monotonic()
    run = health([{'name': 'slowpoke', 'type': 'http', 'url': server.url, 'timeout': 2}])
    took = time.monotonic() - start
    assert run.failed
    check = run.result['checks'][0]
    assert check['ok'] is False
    assert check['detail'] == 'timed out: no complete answer from %s within 2 seconds' % server.url
    assert run.result['msg'] == '1 of 1 health checks failed: slowpoke (http): ' + check['detail']
    assert took < 6
    assert server.requests == 1


def test_the_ollama_check_has_one_deadline_for_all_its_requests(health, canned_server):
    """Each answer comes within the timeout, all three together do not."""
    canned_server.route('GET', '/api/version', canned_server.json({'version': '0.17.4'}, delay=0.6))
    canned_server.route('GET', '/api/tags', canned_server.json(TAGS, delay=0.6))
    canned_server.route('POST', '/api/generate', canned_server.json(GENERATED, delay=0.6))
    start = time.monotonic()
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': canned_server.url, 'models': ['qwen2.5-coder:7b'], 'generate': True,
                   'timeout': 1}], fail_on_error=False)
    check = run.result['checks'][0]
    assert check['ok'] is False
    assert check['detail'] == 'timed out: Ollama at %s did not answer the whole check within 1 seconds' % canned_server.url
    assert time.monotonic() - start < 3
    assert canned_server.count('POST', '/api/generate') <= 1


def test_nothing_is_left_behind_after_a_timed_out_run(health, trickler):
    server = trickler('body')
    real = socket.create_connection
    health([{'name': 'slowpoke', 'type': 'http', 'url': server.url, 'timeout': 0.5}], fail_on_error=False)
    assert socket.create_connection is real


def test_a_tcp_check_has_one_deadline_for_all_the_addresses(health, monkeypatch):
    """A name with four addresses that all leave the connect hanging (a listener whose accept queue is full drops the
    SYN): the check ends at its timeout, not at four times it."""
    full = socket.socket()
    full.bind(('127.0.0.1', 0))
    full.listen(0)
    fillers = []
    try:
        for _filler in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(full.getsockname())
            fillers.append(filler)
        address = [(socket.AF_INET, socket.SOCK_STREAM, 6, '', full.getsockname())] * 4
        monkeypatch.setattr(service_health.socket, 'getaddrinfo', lambda *args, **kwargs: address)
        start = time.monotonic()
        run = health([{'name': 'db', 'type': 'tcp', 'host': 'db.example', 'port': 9, 'timeout': 0.5}], fail_on_error=False)
        took = time.monotonic() - start
    finally:
        for filler in fillers:
            filler.close()
        full.close()
    assert run.result['checks'][0]['detail'] == 'no answer from db.example:9 within 0.5 seconds'
    assert took < 1.5


# -- http ----------------------------------------------------------------------------------------------------------

def test_http_ok_with_json_keys_and_body(health, canned_server):
    canned_server.route('GET', '/api/health', canned_server.json({'status': 'ok', 'db': {'ok': True}, 'items': [{'id': 1}]}))
    run = health([{'name': 'api', 'type': 'http', 'url': canned_server.url + '/api/health', 'json_keys': ['status', 'db.ok', 'items.0.id'],
                   'body_contains': '"status": "ok"'}])
    assert not run.failed, run.result
    check = run.result['checks'][0]
    assert check == {'name': 'api', 'type': 'http', 'ok': True, 'elapsed_ms': check['elapsed_ms'], 'attempts': 1,
                     'detail': 'HTTP 200 OK, JSON has status, db.ok, items.0.id, body contains \'"status": "ok"\''}
    assert run.result['ok'] is True and run.result['changed'] is False
    assert run.result['msg'] == 'all 1 health checks passed'


def test_http_wrong_status_fails_the_task_naming_the_check(health, canned_server):
    canned_server.route('GET', '/', canned_server.text('<html>upstream down</html>', status=502))
    run = health([{'name': 'openhands', 'type': 'http', 'url': canned_server.url + '/'}])
    assert run.failed
    assert run.result['ok'] is False
    check = run.result['checks'][0]
    assert check['ok'] is False
    assert check['detail'] == 'HTTP 502 Bad Gateway (the proxy could not reach the service), expected 200: <html>upstream down</html>'
    assert run.result['msg'] == '1 of 1 health checks failed: openhands (http): ' + check['detail']


def test_http_listed_non_2xx_status_is_healthy(health, canned_server):
    canned_server.route('GET', '/api/health', canned_server.json({'message': 'Unauthenticated.'}, status=401))
    run = health([{'name': 'coolify', 'type': 'http', 'url': canned_server.url + '/api/health', 'status': [200, 401],
                   'body_contains': 'Unauthenticated'}])
    assert not run.failed, run.result
    assert run.result['checks'][0]['detail'].startswith('HTTP 401 Unauthorized')


def test_http_missing_json_key(health, canned_server):
    canned_server.route('GET', '/h', canned_server.json({'status': 'ok', 'db': {}}))
    run = health([{'name': 'h', 'type': 'http', 'url': canned_server.url + '/h', 'json_keys': ['status', 'db.ok', 'cache']}],
                 fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'HTTP 200 OK, but the JSON lacks db.ok, cache'


def test_http_body_not_json(health, canned_server):
    canned_server.route('GET', '/h', canned_server.text('<html>login</html>'))
    run = health([{'name': 'h', 'type': 'http', 'url': canned_server.url + '/h', 'json_keys': ['status']}], fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'HTTP 200 OK, but the body is not JSON: <html>login</html>'


def test_http_body_text_missing(health, canned_server):
    canned_server.route('GET', '/', canned_server.text('<title>Welcome to nginx!</title>'))
    run = health([{'name': 'ui', 'type': 'http', 'url': canned_server.url + '/', 'body_contains': 'OpenHands'}], fail_on_error=False)
    assert run.result['checks'][0]['ok'] is False
    assert run.result['checks'][0]['detail'] == "HTTP 200 OK, but the body does not contain 'OpenHands'"


def test_http_method_and_headers_are_sent(health, canned_server):
    canned_server.route('HEAD', '/ping', canned_server.text(''))
    run = health([{'name': 'p', 'type': 'http', 'url': canned_server.url + '/ping', 'method': 'HEAD', 'headers': {'X-Probe': 's3cret-value'}}])
    assert not run.failed, run.result
    assert canned_server.matching('HEAD', '/ping')[0].headers.get('X-Probe') == 's3cret-value'
    assert 's3cret-value' not in json.dumps(run.result)


def test_http_no_answer(health, closed_url):
    run = health([{'name': 'down', 'type': 'http', 'url': closed_url + '/'}], fail_on_error=False)
    check = run.result['checks'][0]
    assert check['ok'] is False
    assert check['detail'].startswith('no answer from %s/: ' % closed_url)
    assert 'refused' in check['detail'].lower()


def test_http_timeout_and_elapsed(health, canned_server):
    canned_server.route('GET', '/slow', canned_server.text('late', delay=1.5))
    canned_server.route('GET', '/ok', canned_server.text('fine', delay=0.2))
    run = health([{'name': 'slow', 'type': 'http', 'url': canned_server.url + '/slow', 'timeout': 0.3},
                  {'name': 'ok', 'type': 'http', 'url': canned_server.url + '/ok'}], fail_on_error=False)
    checks = by_name(run)
    assert checks['slow']['ok'] is False and 'timed out' in checks['slow']['detail']
    assert checks['slow']['elapsed_ms'] < 1400
    assert checks['ok']['ok'] is True and checks['ok']['elapsed_ms'] >= 190


# -- retries -------------------------------------------------------------------------------------------------------

def test_retries_are_counted_and_passed_checks_are_not_rerun(health, canned_server, listening_port, pauses):
    canned_server.route('GET', '/flaky', canned_server.text('starting', status=503), canned_server.text('starting', status=503),
                        canned_server.text('up'))
    canned_server.route('GET', '/steady', canned_server.text('up'))
    run = health([{'name': 'flaky', 'type': 'http', 'url': canned_server.url + '/flaky'},
                  {'name': 'steady', 'type': 'http', 'url': canned_server.url + '/steady'},
                  {'name': 'port', 'type': 'tcp', 'host': '127.0.0.1', 'port': listening_port}], retries=3, delay=0.5)
    assert not run.failed, run.result
    checks = by_name(run)
    assert (checks['flaky']['ok'], checks['flaky']['attempts']) == (True, 3)
    assert (checks['steady']['attempts'], checks['port']['attempts']) == (1, 1)
    assert canned_server.count('GET', '/flaky') == 3
    assert canned_server.count('GET', '/steady') == 1
    assert pauses == [0.5, 0.5]


def test_retries_run_out(health, canned_server, pauses):
    canned_server.route('GET', '/down', canned_server.text('no', status=503))
    run = health([{'name': 'down', 'type': 'http', 'url': canned_server.url + '/down'}], retries=2, delay=1)
    assert run.failed
    assert run.result['checks'][0]['attempts'] == 3
    assert canned_server.count('GET', '/down') == 3
    assert pauses == [1.0, 1.0]


def test_no_retries_no_pause(health, canned_server, pauses):
    canned_server.route('GET', '/down', canned_server.text('no', status=500))
    run = health([{'name': 'down', 'type': 'http', 'url': canned_server.url + '/down'}], retries=0)
    assert run.result['checks'][0]['attempts'] == 1 and pauses == []


def test_fail_on_error_false_reports_without_failing(health, canned_server, closed_port):
    canned_server.route('GET', '/', canned_server.text('up'))
    run = health([{'name': 'web', 'type': 'http', 'url': canned_server.url + '/'},
                  {'name': 'db', 'type': 'tcp', 'host': '127.0.0.1', 'port': closed_port}], fail_on_error=False)
    assert not run.failed
    assert run.result['ok'] is False
    assert [check['ok'] for check in run.result['checks']] == [True, False]
    assert run.result['msg'].startswith('1 of 2 health checks failed: db (tcp): connection to 127.0.0.1:%d refused' % closed_port)


# -- tcp -------------------------------------------------------------------------------------------------------------

def test_tcp_open_and_closed(health, listening_port, closed_port):
    run = health([{'name': 'open', 'type': 'tcp', 'host': '127.0.0.1', 'port': listening_port},
                  {'name': 'closed', 'type': 'tcp', 'host': '127.0.0.1', 'port': closed_port}], fail_on_error=False)
    checks = by_name(run)
    assert checks['open'] == dict(checks['open'], ok=True, detail='connected to 127.0.0.1:%d' % listening_port)
    assert checks['closed'] == dict(checks['closed'], ok=False, detail='connection to 127.0.0.1:%d refused' % closed_port)


def test_tcp_unresolvable_host(health):
    run = health([{'name': 'dns', 'type': 'tcp', 'host': 'no-such-host.invalid', 'port': 80}], fail_on_error=False)
    assert run.result['checks'][0]['detail'].startswith('cannot resolve no-such-host.invalid')


def test_a_crashing_check_is_reported_not_raised(health, monkeypatch, listening_port):
    def boom(self, check):
        raise RuntimeError('kaput')
    monkeypatch.setattr(service_health.HealthChecker, 'check_tcp', boom)
    run = health([{'name': 'x', 'type': 'tcp', 'host': '127.0.0.1', 'port': listening_port}], fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'the check itself failed: RuntimeError: kaput'


# -- systemd and docker through a stand-in run_command ------------------------------------------------------------

class FakeCommands(object):
    """Stands in for AnsibleModule.run_command and get_bin_path: answers per command from a table, records calls."""

    def __init__(self, answers, installed=('systemctl', 'docker')):
        self.answers = answers
        self.installed = installed
        self.calls = []

    def install(self, monkeypatch):
        fake = self

        def run_command(module, args, **kwargs):
            fake.calls.append(list(args))
            return fake.answers[args[-1]]

        def get_bin_path(module, name, required=False, opt_dirs=None):
            return '/usr/bin/' + name if name in fake.installed else None

        monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', get_bin_path)
        return self


def test_systemd(health, monkeypatch):
    fake = FakeCommands({
        'ollama.service': (0, 'active\n', ''),
        'coolify.service': (3, 'failed\n', ''),
        'missing.service': (4, 'inactive\n', ''),
    }).install(monkeypatch)
    run = health([{'name': 'ollama', 'type': 'systemd', 'unit': 'ollama.service'},
                  {'name': 'coolify', 'type': 'systemd', 'unit': 'coolify.service'},
                  {'name': 'missing', 'type': 'systemd', 'unit': 'missing.service'}], fail_on_error=False)
    checks = by_name(run)
    assert (checks['ollama']['ok'], checks['ollama']['detail']) == (True, 'active')
    assert (checks['coolify']['ok'], checks['coolify']['detail']) == (False, 'systemctl is-active coolify.service says failed')
    assert checks['missing']['detail'] == 'systemctl is-active missing.service says inactive'
    assert fake.calls[0] == ['/usr/bin/systemctl', 'is-active', 'ollama.service']


def test_systemd_retries_an_activating_unit(health, monkeypatch, pauses):
    answers = iter([(3, 'activating\n', ''), (0, 'active\n', '')])
    FakeCommands({}).install(monkeypatch)
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda module, args, **kw: next(answers))
    run = health([{'name': 'ollama', 'type': 'systemd', 'unit': 'ollama.service'}], retries=3, delay=2)
    assert not run.failed
    assert run.result['checks'][0]['attempts'] == 2 and pauses == [2.0]


def test_systemctl_not_installed(health, monkeypatch):
    FakeCommands({}, installed=()).install(monkeypatch)
    run = health([{'name': 'u', 'type': 'systemd', 'unit': 'ollama.service'}], fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'systemctl is not installed on this host'


# `docker inspect --type container --format '{{json .State}}' <name>` as Docker 24-27 prints it.
STATE_HEALTHY = {'Status': 'running', 'Running': True, 'Paused': False, 'Restarting': False, 'OOMKilled': False, 'Dead': False,
                 'Pid': 4242, 'ExitCode': 0, 'Error': '', 'StartedAt': '2025-05-02T09:12:44.120942612Z',
                 'FinishedAt': '0001-01-01T00:00:00Z',
                 'Health': {'Status': 'healthy', 'FailingStreak': 0,
                            'Log': [{'Start': '2025-05-02T09:13:14.2Z', 'End': '2025-05-02T09:13:14.3Z', 'ExitCode': 0, 'Output': ''}]}}
STATE_UNHEALTHY = dict(STATE_HEALTHY, Health={'Status': 'unhealthy', 'FailingStreak': 3, 'Log': [
    {'Start': '2025-05-02T09:14:14.2Z', 'End': '2025-05-02T09:14:19.2Z', 'ExitCode': 1,
     'Output': 'pg_isready: /var/run/postgresql:5432 - no response\n'}]})
STATE_RUNNING = dict((key, value) for key, value in STATE_HEALTHY.items() if key != 'Health')
STATE_EXITED = dict(STATE_RUNNING, Status='exited', Running=False, Pid=0, ExitCode=137, FinishedAt='2025-05-02T10:00:00Z')


def test_docker(health, monkeypatch):
    fake = FakeCommands({
        'coolify-db': (0, json.dumps(STATE_HEALTHY) + '\n', ''),
        'coolify-redis': (0, json.dumps(STATE_UNHEALTHY) + '\n', ''),
        'openhands': (0, json.dumps(STATE_RUNNING) + '\n', ''),
        'sandbox': (0, json.dumps(STATE_EXITED) + '\n', ''),
        'ghost': (1, '', 'Error: No such container: ghost\n'),
    }).install(monkeypatch)
    run = health([{'name': name, 'type': 'docker', 'container': name}
                  for name in ('coolify-db', 'coolify-redis', 'openhands', 'sandbox', 'ghost')], fail_on_error=False)
    checks = by_name(run)
    assert (checks['coolify-db']['ok'], checks['coolify-db']['detail']) == (True, 'healthy (healthcheck)')
    assert checks['coolify-redis']['ok'] is False
    assert checks['coolify-redis']['detail'] == ('unhealthy (healthcheck, container running); last probe: '
                                                 'pg_isready: /var/run/postgresql:5432 - no response')
    assert (checks['openhands']['ok'], checks['openhands']['detail']) == (True, 'running (no healthcheck)')
    assert (checks['sandbox']['ok'], checks['sandbox']['detail']) == (False, 'exited (no healthcheck), exit code 137')
    assert (checks['ghost']['ok'], checks['ghost']['detail']) == (False, 'docker inspect ghost failed: Error: No such container: ghost')
    assert fake.calls[0] == ['/usr/bin/docker', 'inspect', '--type', 'container', '--format', '{{json .State}}', 'coolify-db']


def test_docker_starting_healthcheck_is_retried(health, monkeypatch, pauses):
    starting = dict(STATE_HEALTHY, Health={'Status': 'starting', 'FailingStreak': 0, 'Log': []})
    answers = iter([(0, json.dumps(starting), ''), (0, json.dumps(STATE_HEALTHY), '')])
    FakeCommands({}).install(monkeypatch)
    monkeypatch.setattr(AnsibleModule, 'run_command', lambda module, args, **kw: next(answers))
    run = health([{'name': 'db', 'type': 'docker', 'container': 'coolify-db'}], retries=5)
    assert not run.failed
    assert run.result['checks'][0]['attempts'] == 2


def test_docker_not_installed(health, monkeypatch):
    FakeCommands({}, installed=('systemctl',)).install(monkeypatch)
    run = health([{'name': 'c', 'type': 'docker', 'container': 'x'}], fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'docker is not installed on this host'


# -- ollama, against a local HTTP server ---------------------------------------------------------------------------

TAGS = {'models': [
    {'name': 'qwen2.5-coder:7b', 'model': 'qwen2.5-coder:7b', 'modified_at': '2025-05-01T10:00:00Z', 'size': 4683087332,
     'digest': 'dae161e27b0e90dd1856c8bb3209201fd6736d8eb66298e75ed87571486f4364',
     'details': {'format': 'gguf', 'family': 'qwen2', 'parameter_size': '7.6B', 'quantization_level': 'Q4_K_M'}},
    {'name': 'nomic-embed-text:latest', 'model': 'nomic-embed-text:latest', 'size': 274302450, 'digest': '0a109f422b47'},
]}
GENERATED = {'model': 'qwen2.5-coder:7b', 'created_at': '2025-05-02T09:00:00Z', 'response': 'ok', 'done': True, 'done_reason': 'stop',
             'total_duration': 512000000, 'eval_count': 2}


@pytest.fixture
def ollama(canned_server):
    canned_server.route('GET', '/api/version', canned_server.json({'version': '0.17.4'}))
    canned_server.route('GET', '/api/tags', canned_server.json(TAGS))
    canned_server.route('POST', '/api/generate', canned_server.json(GENERATED))
    return canned_server


def test_ollama_all_good_with_generate(health, ollama):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url, 'min_version': '0.17.1',
                   'models': ['qwen2.5-coder:7b', 'registry.ollama.ai/library/nomic-embed-text'], 'generate': True}])
    assert not run.failed, run.result
    assert run.result['checks'][0]['detail'] == ('version 0.17.4; models present: qwen2.5-coder:7b, nomic-embed-text:latest; '
                                                 'generate with qwen2.5-coder:7b answered 2 characters')
    sent = ollama.matching('POST', '/api/generate')[0].json
    assert sent['model'] == 'qwen2.5-coder:7b' and sent['stream'] is False
    assert sent['options'] == {'num_predict': 16, 'temperature': 0} and sent['prompt']


def test_ollama_version_only_sends_one_request(health, ollama):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url}])
    assert run.result['checks'][0]['detail'] == 'version 0.17.4'
    assert ollama.count() == 1


def test_ollama_too_old(health, ollama):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url, 'min_version': '0.17.10'}], fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'version 0.17.4 is older than min_version 0.17.10'


def test_ollama_missing_model(health, ollama):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url, 'models': ['qwen2.5-coder:32b', 'qwen2.5-coder:7b']}],
                 fail_on_error=False)
    assert run.result['checks'][0]['ok'] is False
    assert run.result['checks'][0]['detail'] == ('version 0.17.4; missing model(s): qwen2.5-coder:32b '
                                                 '(installed: nomic-embed-text:latest, qwen2.5-coder:7b)')
    assert ollama.count('POST', '/api/generate') == 0


def test_ollama_generate_model_must_be_installed(health, ollama):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url, 'generate': True, 'generate_model': 'llama3.2:1b'}],
                 fail_on_error=False)
    assert 'missing model(s): llama3.2:1b' in run.result['checks'][0]['detail']


def test_ollama_empty_generation(health, ollama):
    ollama.route('POST', '/api/generate', ollama.json(dict(GENERATED, response='  ')))
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url, 'models': ['qwen2.5-coder:7b'], 'generate': True}],
                 fail_on_error=False)
    assert run.result['checks'][0]['detail'] == 'version 0.17.4; models present: qwen2.5-coder:7b; generate with qwen2.5-coder:7b returned empty text'


def test_ollama_generate_error(health, ollama):
    ollama.route('POST', '/api/generate', ollama.json({'error': 'model requires more system memory (21.5 GiB) than is available (7.6 GiB)'},
                                                      status=500))
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url, 'models': ['qwen2.5-coder:7b'], 'generate': True}],
                 fail_on_error=False)
    assert 'requires more system memory' in run.result['checks'][0]['detail']


def test_ollama_down(health, closed_url):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': closed_url}], fail_on_error=False)
    assert run.result['checks'][0]['detail'].startswith('Could not connect to Ollama at %s' % closed_url)


def test_ollama_uses_top_level_url_and_headers_but_http_checks_do_not(health, ollama):
    ollama.route('GET', '/other', ollama.text('fine'))
    run = health([{'name': 'ollama', 'type': 'ollama'}, {'name': 'other', 'type': 'http', 'url': ollama.url + '/other'}],
                 url=ollama.url, headers={'Authorization': 'Bearer t0ken-value'})
    assert not run.failed, run.result
    assert ollama.matching('GET', '/api/version')[0].headers.get('Authorization') == 'Bearer t0ken-value'
    assert 'Authorization' not in ollama.matching('GET', '/other')[0].headers
    assert 't0ken-value' not in json.dumps(run.result)


def test_check_mode_still_checks(health, ollama):
    run = health([{'name': 'ollama', 'type': 'ollama', 'url': ollama.url}], _ansible_check_mode=True)
    assert not run.failed and run.result['changed'] is False
    assert ollama.count('GET', '/api/version') == 1


# -- ca_path: a self-signed HTTPS server on loopback, verified with its own certificate ----------------------------

@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for 127.0.0.1 (no CA flag, as the reverse proxy's
    self-signed mode issues them); yields (url, certificate path)."""
    import datetime
    import http.server
    import ipaddress
    import ssl
    import threading

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            body = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_path), str(key_path))
    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'https://127.0.0.1:%d/alive' % server.server_address[1], str(cert_path)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize('where', ['check', 'top'])
def test_https_verified_with_the_servers_own_certificate(health, tls_server, where):
    url, cert = tls_server
    check = {'name': 'proxy', 'type': 'http', 'url': url, 'json_keys': ['status']}
    args = {}
    if where == 'check':
        check['ca_path'] = cert
    else:
        args['ca_path'] = cert
    run = health([check], **args)
    assert not run.failed, run.result
    assert by_name(run)['proxy']['ok'] is True


def test_https_with_an_unknown_self_signed_certificate_fails_the_check(health, tls_server):
    url, _cert = tls_server
    run = health([{'name': 'proxy', 'type': 'http', 'url': url}], fail_on_error=False)
    check = by_name(run)['proxy']
    assert check['ok'] is False and 'certificate' in check['detail'].lower(), check


def test_ca_path_must_be_a_readable_file(health, tmp_path, canned_server):
    missing = str(tmp_path / 'no-such-ca.pem')
    run = health([{'name': 'proxy', 'type': 'http', 'url': canned_server.url + '/', 'ca_path': missing}])
    # The value is shown cut at 80 characters (pytest's tmp_path may be longer): compare the start and the rule.
    assert run.failed and "ca_path is '%s" % str(missing)[:60] in run.result['msg'], run.result
    assert "': it must be a readable file" in run.result['msg'], run.result
    assert canned_server.requests == []
    run = health([{'name': 'proxy', 'type': 'http', 'url': canned_server.url + '/'}], ca_path='relative/ca.pem')
    assert run.failed and 'ca_path' in run.result['msg'], run.result


def test_ca_path_does_not_apply_to_tcp(health, listening_port, tmp_path):
    ca = tmp_path / 'ca.pem'
    ca.write_text('x')
    run = health([{'name': 'port', 'type': 'tcp', 'host': '127.0.0.1', 'port': listening_port, 'ca_path': str(ca)}])
    assert run.failed and 'ca_path does not apply to type tcp' in run.result['msg'], run.result
