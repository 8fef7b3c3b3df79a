# Unit tests for plugins/module_utils/_coolify_api.py: token reading, URL handling, error messages, against canned answers.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import (
    CoolifyClient,
    CoolifyError,
    api_base,
    read_token,
)


@pytest.mark.parametrize('given, want', [
    ('http://h:8000', 'http://h:8000/api/v1'),
    ('http://h:8000/', 'http://h:8000/api/v1'),
    ('https://c.example.com/api', 'https://c.example.com/api/v1'),
    ('https://c.example.com/api/v1/', 'https://c.example.com/api/v1'),
    ('http://h/prefix', 'http://h/prefix/api/v1'),
])
def test_api_base(given, want):
    assert api_base(given) == want


@pytest.mark.parametrize('bad', ['', 'h:8000', 'ftp://h', 'http://', None])
def test_api_base_refuses_bad_urls_naming_them(bad):
    with pytest.raises(CoolifyError, match='must start with http'):
        api_base(bad)


def test_read_token_prefers_the_value_then_the_file(tmp_path):
    token_file = tmp_path / 'token'
    token_file.write_text('3|secret\nignored\n')
    assert read_token('1|abc', str(token_file)) == '1|abc'
    assert read_token(None, str(token_file)) == '3|secret'


def test_read_token_errors_name_the_file(tmp_path):
    with pytest.raises(CoolifyError, match='api_token or api_token_file'):
        read_token(None, None)
    with pytest.raises(CoolifyError, match=re.escape(str(tmp_path / 'missing'))):
        read_token(None, str(tmp_path / 'missing'))
    empty = tmp_path / 'empty'
    empty.write_text('\n')
    with pytest.raises(CoolifyError, match='is empty'):
        read_token(None, str(empty))


class Canned(BaseHTTPRequestHandler):
    """Answers from the server's ``canned`` dict: (method, path) -> (status, content type, body); records headers."""

    def _answer(self):
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        status, ctype, body = self.server.canned.get((self.command, self.path), (404, 'application/json', '{"message": "Not found."}'))
        data = body.encode()
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Canned)
    srv.canned, srv.seen = {}, []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.url = 'http://127.0.0.1:%d' % srv.server_address[1]
    yield srv
    srv.shutdown()
    srv.server_close()


def test_bearer_token_is_sent_and_version_prefix_dropped(server):
    server.canned[('GET', '/api/v1/version')] = (200, 'text/html', 'v4.3.11')
    client = CoolifyClient(server.url, '7|tok')
    assert client.version() == '4.3.11'
    assert server.seen[0][2]['Authorization'] == 'Bearer 7|tok'


def test_health_is_sent_without_the_token(server):
    server.canned[('GET', '/api/v1/health')] = (200, 'text/html', 'OK')
    assert CoolifyClient(server.url, '7|tok').health() == 'OK'
    assert 'Authorization' not in server.seen[0][2]


def test_error_names_url_status_and_coolify_message_without_the_token(server):
    server.canned[('POST', '/api/v1/projects')] = (422, 'application/json', json.dumps(
        {'message': 'Validation failed.', 'errors': {'name': ['The name field is required.']}}))
    with pytest.raises(CoolifyError) as caught:
        CoolifyClient(server.url, '7|secret-token').create_project('')
    msg = caught.value.msg
    assert 'HTTP 422' in msg and server.url + '/api/v1/projects' in msg and 'Validation failed.' in msg
    assert 'name: The name field is required.' in msg and 'secret-token' not in msg
    assert caught.value.status == 422


def test_401_explains_the_token(server):
    server.canned[('GET', '/api/v1/projects')] = (401, 'application/json', '{"message": "Unauthenticated."}')
    with pytest.raises(CoolifyError, match=r'HTTP 401 .*Unauthenticated\. \(the API token is missing, wrong or revoked\)'):
        CoolifyClient(server.url, 'x').projects()


def test_no_answer_names_the_instance():
    with pytest.raises(CoolifyError, match=r'Could not connect to Coolify at http://127\.0\.0\.1:9: .*\(GET http://127\.0\.0\.1:9/api/v1/projects\)'):
        CoolifyClient('http://127.0.0.1:9', 'x', timeout=2).projects()


def test_duplicate_project_names_are_refused(server):
    server.canned[('GET', '/api/v1/projects')] = (200, 'application/json', json.dumps([{'uuid': 'a', 'name': 'x'}, {'uuid': 'b', 'name': 'x'}]))
    with pytest.raises(CoolifyError, match="2 projects named 'x'"):
        CoolifyClient(server.url, 't').project_by_name('x')


def test_a_list_endpoint_answering_an_object_is_an_error(server):
    server.canned[('GET', '/api/v1/servers')] = (200, 'application/json', '{"message": "odd"}')
    with pytest.raises(CoolifyError, match='not a list'):
        CoolifyClient(server.url, 't').servers()


def test_server_uuid_by_name_or_first(server):
    servers = [{'uuid': 's0', 'name': 'localhost'}, {'uuid': 's1', 'name': 'b'}]
    server.canned[('GET', '/api/v1/servers')] = (200, 'application/json', json.dumps(servers))
    client = CoolifyClient(server.url, 't')
    assert client.server_uuid() == 's0' and client.server_uuid('b') == 's1'
    with pytest.raises(CoolifyError, match="no server named 'c'.*localhost, b"):
        client.server_uuid('c')


def test_deploy_without_deployments_is_an_error(server):
    server.canned[('POST', '/api/v1/deploy?uuid=a')] = (200, 'application/json', '{"deployments": []}')
    with pytest.raises(CoolifyError, match='queued no deployment'):
        CoolifyClient(server.url, 't').deploy('a')


# -- secrets: the token never reaches a header it could break or a message; the client keeps no payload ------------

@pytest.mark.parametrize('token', ['7|abc\nX-Injected: 1', '7|abc def', '7|ab\x00c', '7|abc\u200b', '7|ab\u0441'])
def test_a_token_that_cannot_be_a_header_is_refused_before_any_request(server, token):
    with pytest.raises(CoolifyError) as caught:
        CoolifyClient(server.url, token).projects()
    msg = caught.value.msg
    assert 'not shown' in msg and 'abc' not in msg and 'Injected' not in msg
    assert server.seen == []


def test_read_token_refuses_blank_and_names_the_file_not_the_token(tmp_path):
    with pytest.raises(CoolifyError, match='api_token is empty or blank'):
        read_token('  ', None)
    bad = tmp_path / 'token'
    bad.write_bytes(b'3|zqx\tret\n')
    with pytest.raises(CoolifyError) as caught:
        read_token(None, str(bad))
    assert str(bad) in caught.value.msg and 'U+0009' in caught.value.msg and 'zqx' not in caught.value.msg
    bad.write_bytes(b'\xff\xfe3|secret\n')
    with pytest.raises(CoolifyError, match='not UTF-8'):
        read_token(None, str(bad))
    bad.write_bytes(b'3|secret\xe2\x80\xa8other\n')  # a Unicode line separator is refused, not split at
    with pytest.raises(CoolifyError, match='U\\+2028'):
        read_token(None, str(bad))


def test_an_error_answer_echoing_the_token_is_scrubbed(server):
    token = '7|very-secret-token-value'
    server.canned[('GET', '/api/v1/projects')] = (502, 'text/html', '<pre>Authorization: Bearer %s</pre> %s %s' % (
        token, token.replace('|', '%7C'), json.dumps(token)))
    with pytest.raises(CoolifyError) as caught:
        CoolifyClient(server.url, token).projects()
    assert 'HTTP 502' in caught.value.msg and 'very-secret' not in caught.value.msg, caught.value.msg


def test_the_client_keeps_no_environment_values(server):
    # (CoolifyClient.calls, which kept every payload for tests, is gone: the value reaches the server and nothing else.)
    server.canned[('POST', '/api/v1/applications/a/envs')] = (201, 'application/json', '{"uuid": "e"}')
    client = CoolifyClient(server.url, '7|tok')
    client.create_env('a', {'key': 'API_KEY', 'value': 's3cr3t'})
    assert [(method, path) for method, path, _headers in server.seen] == [('POST', '/api/v1/applications/a/envs')]
    assert 's3cr3t' not in repr(vars(client))
