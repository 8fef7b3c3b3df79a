# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Low-level HTTP helpers for the REST clients of this collection (private: the API may change between releases).

Everything goes through :func:`ansible.module_utils.urls.open_url`, so the managed host needs nothing beyond the
Python standard library (no ``requests``). Every call takes an explicit ``timeout``; it is the socket timeout, so it
bounds the connect and each read, not the whole exchange (a stream that keeps sending never times out).

Failures raise :class:`RequestError`: ``status`` is the HTTP status for an answer outside 2xx, and ``None`` when no
answer came (refused connection, DNS failure, TLS failure, timeout, connection dropped mid-stream). Its ``body`` holds
the answer's text (capped at :data:`MAX_ERROR_BODY` characters) so a client can pick the server's own error message
out of it. Request headers are never put into an exception or a message: use :func:`redact_headers` before logging
them.

Public interface::

    request(method, url, payload=None, data=None, headers=None, timeout=30, validate_certs=True, ...) -> Response
    request_json(method, url, payload=None, ...)  -> decoded JSON value (None for an empty body)
    iter_lines(method, url, payload=None, ..., max_line=MAX_LINE, skip_blank=True) -> iterator of str (NDJSON)
    join_url(base_url, path) -> str
    status_text(status) -> str          e.g. 404 -> 'Not Found'
    redact_headers(headers) -> dict     secret-looking header values replaced by '********'
    RequestError(status, body, url, reason=None, method=None)
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

DEFAULT_TIMEOUT = 30
# The most characters of an error answer kept in RequestError.body (an HTML error page can be large).
MAX_ERROR_BODY = 4096
# The longest line iter_lines() accepts; a longer one means the peer is not speaking NDJSON.
MAX_LINE = 1024 * 1024
REDACTED = '********'

JSON_CONTENT_TYPE = 'application/json'

# Status -> human text, for messages. Codes missing here fall back to http.HTTPStatus, then to 'HTTP <code>'.
STATUS_TEXT = {
    200: 'OK',
    201: 'Created',
    202: 'Accepted',
    204: 'No Content',
    301: 'Moved Permanently',
    302: 'Found',
    304: 'Not Modified',
    307: 'Temporary Redirect',
    308: 'Permanent Redirect',
    400: 'Bad Request',
    401: 'Unauthorized (missing or wrong credentials)',
    403: 'Forbidden (credentials lack the permission)',
    404: 'Not Found',
    405: 'Method Not Allowed',
    408: 'Request Timeout',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Entity (the server rejected a value)',
    429: 'Too Many Requests (rate limited)',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    502: 'Bad Gateway (the proxy could not reach the service)',
    503: 'Service Unavailable',
    504: 'Gateway Timeout (the proxy gave up waiting for the service)',
}

# Header names whose values are secrets. Any name containing one of SENSITIVE_HEADER_WORDS is treated the same.
SENSITIVE_HEADERS = frozenset(('authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key'))
SENSITIVE_HEADER_WORDS = ('token', 'secret', 'password', 'passwd', 'auth', 'key', 'session', 'credential')


def status_text(status):
    """Return a human text for an HTTP status code: ``404`` -> ``'Not Found'``; ``None`` -> ``'no answer'``."""
    if status is None:
        return 'no answer'
    try:
        code = int(status)
    except (TypeError, ValueError):
        return 'HTTP %s' % status
    if code in STATUS_TEXT:
        return STATUS_TEXT[code]
    try:
        return http.client.responses[code]
    except KeyError:
        return 'HTTP %d' % code


def redact_headers(headers):
    """Return a copy of ``headers`` (a mapping, or None) safe to log: secret-looking values become ``'********'``.

    A header is secret when its lower-cased name is in :data:`SENSITIVE_HEADERS` or contains one of
    :data:`SENSITIVE_HEADER_WORDS` (so ``X-Auth-Token``, ``CF-Access-Client-Secret``, ``X-Api-Key`` are hidden).
    """
    redacted = {}
    for name, value in (headers or {}).items():
        lowered = to_text(name).lower()
        if lowered in SENSITIVE_HEADERS or any(word in lowered for word in SENSITIVE_HEADER_WORDS):
            redacted[name] = REDACTED
        else:
            redacted[name] = value
    return redacted


def join_url(base_url, path):
    """Join ``base_url`` (with or without a trailing ``/``) and ``path`` (with or without a leading ``/``)."""
    if not path:
        return base_url
    return base_url.rstrip('/') + '/' + path.lstrip('/')


class RequestError(Exception):
    """An HTTP exchange failed.

    :ivar status: the HTTP status of an answer outside 2xx, or ``None`` when no (complete) answer came.
    :ivar body: the answer's text, at most :data:`MAX_ERROR_BODY` characters (``''`` when there was none).
    :ivar url: the URL asked.
    :ivar reason: for ``status=None`` the cause in words (``'[Errno 111] Connection refused'``, ``'timed out'``);
        for an HTTP status the status text.
    :ivar method: the HTTP method, when known.
    """

    def __init__(self, status, body, url, reason=None, method=None):
        self.status = status
        self.body = body or ''
        self.url = url
        self.method = method
        self.reason = reason if reason is not None else status_text(status)
        super(RequestError, self).__init__(self._describe())

    def _describe(self):
        where = '%s %s' % (self.method, self.url) if self.method else self.url
        if self.status is None:
            return '%s: %s' % (where, self.reason)
        text = 'HTTP %s %s from %s' % (self.status, status_text(self.status), where)
        snippet = self.body.strip()
        if snippet:
            text += ': %s' % (snippet[:300] + ('...' if len(snippet) > 300 else ''))
        return text

    @property
    def json(self):
        """The body decoded as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def server_message(self, key='error'):
        """The server's own message: ``body[key]`` when the body is a JSON object holding that key, else the text."""
        data = self.json
        if isinstance(data, dict) and data.get(key):
            return to_text(data[key])
        return self.body.strip()


class Response(object):
    """A complete answer: ``status`` (int), ``headers`` (a case-insensitive message object), ``body`` (bytes), ``url``."""

    def __init__(self, status, headers, body, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def text(self):
        return to_text(self.body, errors='surrogate_or_replace')

    def json(self):
        """Decode the body as JSON; an empty body gives ``None``; a body that is not JSON raises ``ValueError``."""
        if not self.body or not self.body.strip():
            return None
        return json.loads(self.text)


def _connection_reason(exc, timeout=None):
    """Words for an exception raised before or while reading an answer."""
    timed_out = 'timed out' if timeout is None else 'timed out: no answer within %s seconds' % timeout
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return timed_out
        return to_native(reason)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return timed_out
    if isinstance(exc, http.client.IncompleteRead):
        return 'connection closed before the answer was complete'
    if isinstance(exc, http.client.RemoteDisconnected):
        return 'connection closed without an answer'
    text = to_native(exc)
    return text or type(exc).__name__


# Everything open_url and reading an answer can raise when there is no (complete) HTTP answer.
_NO_ANSWER_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, UrlsConnectionError, ssl.CertificateError, ValueError)


def _read_error_body(exc):
    try:
        raw = exc.read()
    except Exception:  # the error answer's body is best effort: the status alone still says what happened
        raw = b''
    return to_text(raw or b'', errors='surrogate_or_replace')[:MAX_ERROR_BODY]


def _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects, unix_socket):
    send_headers = {'Accept': JSON_CONTENT_TYPE}
    if payload is not None:
        if data is not None:
            raise ValueError('give either payload (JSON) or data (bytes), not both')
        data = json.dumps(payload).encode('utf-8')
        send_headers['Content-Type'] = JSON_CONTENT_TYPE
    send_headers.update(headers or {})
    try:
        return open_url(
            url,
            data=data,
            headers=send_headers,
            method=method,
            timeout=timeout,
            validate_certs=validate_certs,
            use_proxy=use_proxy,
            follow_redirects=follow_redirects,
            unix_socket=unix_socket,
            http_agent='selfhosted.ai_coding',
        )
    except urllib.error.HTTPError as exc:
        raise RequestError(exc.code, _read_error_body(exc), url, method=method)
    except _NO_ANSWER_ERRORS as exc:
        raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method)


def request(method, url, payload=None, data=None, headers=None, timeout=DEFAULT_TIMEOUT, validate_certs=True,
            use_proxy=True, follow_redirects='urllib2', unix_socket=None):
    """Send one request and read the whole answer.

    :param method: ``'GET'``, ``'POST'``, ``'DELETE'``, ...
    :param payload: a value to send as a JSON body (sets ``Content-Type: application/json``), or None.
    :param data: raw bytes to send instead of ``payload``.
    :param headers: extra request headers (they win over the defaults ``Accept``/``Content-Type``).
    :param timeout: socket timeout in seconds (connect and each read).
    :returns: :class:`Response` for a 2xx answer (and for 1xx/3xx ones open_url hands back).
    :raises RequestError: status set for an answer outside 2xx, ``None`` when no complete answer came.
    """
    resp = _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects, unix_socket)
    try:
        body = resp.read()
    except _NO_ANSWER_ERRORS as exc:
        raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method)
    finally:
        resp.close()
    status = getattr(resp, 'status', None) or resp.getcode()
    return Response(status, resp.headers, body, url)


def request_json(method, url, payload=None, **kwargs):
    """Like :func:`request`, then decode the answer as JSON (``None`` for an empty body).

    An answer that is not JSON (an HTML login page from a proxy, say) raises :class:`RequestError` with the
    answer's status and text, so the caller's message shows what came back instead.
    """
    resp = request(method, url, payload=payload, **kwargs)
    try:
        return resp.json()
    except ValueError:
        raise RequestError(resp.status, resp.text[:MAX_ERROR_BODY], url, method=method,
                           reason='the answer is not JSON (content type %s)' % resp.headers.get('Content-Type', 'unknown'))


def iter_lines(method, url, payload=None, data=None, headers=None, timeout=DEFAULT_TIMEOUT, validate_certs=True,
               use_proxy=True, follow_redirects='urllib2', unix_socket=None, max_line=MAX_LINE, skip_blank=True):
    """Send one request and yield the answer line by line as text, for streamed NDJSON.

    Lines are yielded as they arrive (``\\r``/``\\n`` stripped), so a caller can act on each progress record while
    the stream is still open. Blank lines (keep-alives) are skipped unless ``skip_blank=False``. The connection is
    closed when the iterator is exhausted, closed, or garbage collected.

    Nothing is sent until the first ``next()``. A non-2xx status raises :class:`RequestError` at that point; a
    connection lost mid-stream or a line longer than ``max_line`` bytes raises it (status ``None``) where it happens.
    A stream that simply ends yields no further lines: whether that was complete is for the caller to judge.
    """
    resp = _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects, unix_socket)
    try:
        while True:
            try:
                raw = resp.readline(max_line + 1)
            except _NO_ANSWER_ERRORS as exc:
                raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method)
            if not raw:
                return
            if len(raw) > max_line and not raw.endswith(b'\n'):
                raise RequestError(None, '', url, method=method,
                                   reason='a line of the answer is longer than %d bytes: the server is not streaming NDJSON' % max_line)
            line = to_text(raw, errors='surrogate_or_replace').rstrip('\r\n')
            if skip_blank and not line.strip():
                continue
            yield line
    finally:
        resp.close()
