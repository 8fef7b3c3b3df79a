# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Low-level HTTP helpers for the REST clients of this collection (private: the API may change between releases).

Everything goes through :func:`ansible.module_utils.urls.open_url`, so the managed host needs nothing beyond the
Python standard library (no ``requests``). Every call takes an explicit ``timeout``; it is the socket timeout, so it
bounds the connect and each read, not the whole exchange (a stream that keeps sending never times out). Give
:func:`request` a ``total_timeout`` to bound the whole exchange instead (connect, TLS, redirects, headers and body):
at that many seconds a watchdog shuts the exchange's connections down (see :func:`time_limit`), so a server that
trickles its answer a byte at a time, in the headers or in the body, ends at the limit; what was read by then is
never taken for a complete answer. The name lookup is the one step it cannot cut short (the resolver's own timeouts
bound it).

Failures raise :class:`RequestError`: ``status`` is the HTTP status for an answer outside 2xx, and ``None`` when no
answer came (refused connection, DNS failure, TLS failure, timeout, connection dropped mid-stream, a request header
that cannot be sent). Its ``body`` holds the answer's text (capped at :data:`MAX_ERROR_BODY` characters) so a client
can pick the server's own error message out of it.

Secrets never reach a message: request headers are checked before anything is sent and a bad value is named by its
header, never quoted (:func:`header_problem`); the values of secret-looking headers and the credentials of a URL
(``user:password@``, ``?token=...``) are masked in ``RequestError``'s text, reason, body and url. Use
:func:`redact_url` before logging a URL, :func:`scrub` for any other text.

Public interface::

    request(method, url, payload=None, data=None, headers=None, timeout=30, validate_certs=True, ...,
            total_timeout=None, ca_path=None) -> Response
    request_json(method, url, payload=None, ...)  -> decoded JSON value (None for an empty body)
    iter_lines(method, url, payload=None, ..., max_line=MAX_LINE, skip_blank=True) -> iterator of str (NDJSON)
    join_url(base_url, path) -> str
    status_text(status) -> str          e.g. 404 -> 'Not Found'
    redact_url(url) -> str              user:password@ and secret-looking query values replaced by '********'
    url_secrets(url) -> list of str     the secret parts of a URL, for scrub()
    scrub(text, secrets) -> str         every secret (4 characters or more) in text replaced by '********'
    header_problem(name, value) -> str or None   why a request header cannot be sent (the value is never quoted)
    time_limit(seconds) -> TimeLimit    context manager: connections opened in the block are shut down at the limit
    RequestError(status, body, url, reason=None, method=None, timed_out=False, secrets=None)
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
import time
import urllib.error
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import show, type_name

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


def _is_secret_name(name):
    lowered = to_text(name).lower()
    return lowered in SENSITIVE_HEADERS or any(word in lowered for word in SENSITIVE_HEADER_WORDS)


# RFC 9110 5.1 / 5.6.2: a field name is a token.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")  # \Z: $ would let a final line break through
# RFC 9110 5.5: a field value is visible latin-1 text, spaces and tabs; no CR, LF, NUL or other control character.
_FIELD_VALUE_BAD = re.compile('[\x00-\x08\x0a-\x1f\x7f]')


def header_problem(name, value):
    """Why the request header ``name: value`` cannot be sent, or ``None`` when it can.

    The answer names the header and the rule; it never quotes the value, in any form (a header value is often a
    token, and an escaped or partial copy would escape Ansible's masking of secrets).
    """
    if not isinstance(name, str) or not _TOKEN.match(name):
        return ('header name %s is not a valid header name (letters, digits and !#$%%&\'*+-.^_`|~, nothing else)'
                % (show(name) if isinstance(name, str) else 'of the kind %s' % type_name(name)))
    if isinstance(value, bool) or not isinstance(value, (str, bytes, int)):
        return 'header %s has a value of the wrong kind (a %s); a header value is text' % (show(name), type_name(value))
    if isinstance(value, int):
        return None
    if isinstance(value, bytes):
        value = value.decode('latin-1')
    if _FIELD_VALUE_BAD.search(value):
        return ('header %s has an invalid value: it holds a line break or another control character, which cannot be '
                'sent (the value is not shown)' % show(name))
    if any(ord(char) > 255 for char in value):
        return ('header %s has an invalid value: it holds characters outside latin-1, which cannot be sent; '
                'percent- or base64-encode it (the value is not shown)' % show(name))
    return None


def url_secrets(url):
    """The secret parts of ``url``: its ``user:password`` and the password alone (or the user alone when there is no
    password: ``https://TOKEN@host``), and the values of secret-looking query parameters (``?token=...``)."""
    if not isinstance(url, str):
        return []
    secrets = []
    userinfo = _userinfo(url)
    if userinfo:
        secrets.append(userinfo)
        password = userinfo.partition(':')[2]
        if password:
            secrets.append(password)
    try:
        query = urlsplit(url).query
    except ValueError:
        query = ''
    for key, value in parse_qsl(query, keep_blank_values=False):
        if value and _is_secret_name(key):
            secrets.append(value)
    return secrets


def _userinfo(url):
    """The ``user:password`` part of ``url`` (without the ``@``), or ``''``.

    Found conservatively: a URL whose password holds an unencoded ``/``, ``?`` or ``#`` still has it found (the part
    before the first such character then looks like ``user:pass`` with a port that is not a number).
    """
    start = url.find('://')
    if start < 0:
        return ''
    start += 3
    rest = url[start:]
    end = len(rest)
    for char in '/?#':
        found = rest.find(char)
        if 0 <= found < end:
            end = found
    authority = rest[:end]
    if '@' in authority:
        return authority.rsplit('@', 1)[0]
    host_port = authority.rsplit(':', 1)
    if not authority.startswith('[') and len(host_port) == 2 and not host_port[1].isdigit() and '@' in rest[end:]:
        return rest[:end + rest[end:].index('@')]
    return ''


def redact_url(url):
    """``url`` safe to show: its ``user:password@`` becomes ``********@`` and secret-looking query values ``********``."""
    if not isinstance(url, str):
        return url
    userinfo = _userinfo(url)
    if userinfo:
        start = url.find('://') + 3
        url = url[:start] + REDACTED + url[start + len(userinfo):]
    return scrub(url, url_secrets(url))


def scrub(text, secrets):
    """``text`` with every one of ``secrets`` (those of 4 characters or more) replaced by ``'********'``.

    Shorter values are left alone: masking every ``1`` or ``ab`` would garble a message and protect nothing.
    """
    if not text:
        return text
    for secret in sorted(set(to_text(s) for s in secrets or () if s is not None), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _header_secrets(headers):
    """The values of the secret-looking ``headers``, and for ``Bearer xyz`` also ``xyz`` (a server may echo it)."""
    secrets = []
    for name, value in (headers or {}).items():
        if not _is_secret_name(name) or not isinstance(value, (str, bytes)):
            continue
        value = to_text(value, errors='surrogate_or_replace')
        secrets.append(value)
        words = value.split()
        if len(words) > 1:
            secrets.extend(words[1:])
    return secrets


def _seconds(value):
    return '%g' % value


def _shutdown_fd(fd):
    """Shut the connection on socket ``fd`` down (both ways), so a blocked connect, read or TLS handshake on it
    returns at once; the descriptor itself stays open and owned by its socket object."""
    try:
        sock = socket.socket(fileno=fd)
    except (OSError, ValueError):  # closed meanwhile, or no socket
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.detach()


class TimeLimit(object):
    """The limit of a :func:`time_limit` block: ``seconds``, ``deadline`` (``time.monotonic()``), ``remaining()``,
    ``expired`` (the time is up) and ``fired`` (the watchdog shut the block's connections down)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.fired = False
        self._fds = []
        self._lock = threading.Lock()
        self._active = True
        self._timer = threading.Timer(max(float(seconds), 0.0), self._fire)
        self._timer.daemon = True

    def remaining(self):
        return max(0.0, self.deadline - time.monotonic())

    @property
    def expired(self):
        return self.fired or time.monotonic() >= self.deadline

    def track(self, sock):
        """Shut ``sock`` down at the limit (at once when the limit is already past)."""
        try:
            fd = sock.fileno()
        except (OSError, AttributeError):
            return
        with self._lock:
            if not self._active or fd < 0:
                return
            self._fds.append(fd)
            if self.fired:
                _shutdown_fd(fd)

    def _fire(self):
        with self._lock:
            if not self._active:
                return
            self.fired = True
            for fd in self._fds:
                _shutdown_fd(fd)

    def _start(self):
        self._timer.start()

    def _stop(self):
        with self._lock:
            self._active = False
        self._timer.cancel()


# The limits active in each thread (innermost last); the connections a thread opens are tracked by all of them.
_local = threading.local()
_patch_lock = threading.Lock()
_patch_users = [0]
_create_connection = [socket.create_connection]


def _tracking_create_connection(*args, **kwargs):
    """socket.create_connection, while a time_limit is active: the connection is handed to this thread's limits."""
    sock = _create_connection[0](*args, **kwargs)
    for limit in getattr(_local, 'limits', ()):
        limit.track(sock)
    return sock


@contextmanager
def time_limit(seconds):
    """Bound the network I/O of the block to ``seconds`` in all; yields its :class:`TimeLimit`.

    Every connection the block opens through ``socket.create_connection`` (which http.client, urllib and so
    ``open_url`` use, redirects and proxies included) is shut down when the limit runs out: a blocked read or TLS
    handshake returns at once (with end of stream or a connection error) and a connection opened later is shut down
    as soon as it is made. Nothing is raised asynchronously: the code in the block sees an ordinary connection error,
    and tells a timeout from a real failure by ``limit.expired``. Works in any thread. While a limit is active,
    ``socket.create_connection`` is wrapped (the wrapper only looks at limits of the calling thread).
    """
    limit = TimeLimit(seconds)
    with _patch_lock:
        if _patch_users[0] == 0 and socket.create_connection is not _tracking_create_connection:
            _create_connection[0] = socket.create_connection
            socket.create_connection = _tracking_create_connection
        _patch_users[0] += 1
    limits = getattr(_local, 'limits', None)
    if limits is None:
        limits = _local.limits = []
    limits.append(limit)
    limit._start()
    try:
        yield limit
    finally:
        limit._stop()
        limits.remove(limit)
        with _patch_lock:
            _patch_users[0] -= 1
            if _patch_users[0] == 0 and socket.create_connection is _tracking_create_connection:
                socket.create_connection = _create_connection[0]


def join_url(base_url, path):
    """Join ``base_url`` (with or without a trailing ``/``) and ``path`` (with or without a leading ``/``)."""
    if not path:
        return base_url
    return base_url.rstrip('/') + '/' + path.lstrip('/')


class RequestError(Exception):
    """An HTTP exchange failed.

    :ivar status: the HTTP status of an answer outside 2xx, or ``None`` when no (complete) answer came.
    :ivar body: the answer's text, at most :data:`MAX_ERROR_BODY` characters (``''`` when there was none).
    :ivar url: the URL asked, with its credentials masked (:func:`redact_url`).
    :ivar reason: for ``status=None`` the cause in words (``'[Errno 111] Connection refused'``, ``'timed out'``);
        for an HTTP status the status text.
    :ivar method: the HTTP method, when known.
    :ivar timed_out: whether the exchange ran out of time (a ``timeout`` or ``total_timeout``).

    ``secrets`` (optional): more text to mask in the body and the reason, besides the URL's credentials.
    """

    def __init__(self, status, body, url, reason=None, method=None, timed_out=False, secrets=None):
        secrets = list(secrets or ()) + url_secrets(url)
        self.status = status
        self.body = scrub(body or '', secrets)
        self.url = redact_url(url)
        self.method = method
        self.reason = scrub(reason, secrets) if reason is not None else status_text(status)
        self.timed_out = bool(timed_out)
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


def _is_timeout(exc):
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason
    return isinstance(exc, (socket.timeout, TimeoutError))


def _connection_reason(exc, timeout=None):
    """Words for an exception raised before or while reading an answer."""
    if _is_timeout(exc):
        return 'timed out' if timeout is None else 'timed out: no answer within %s seconds' % timeout
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return to_native(exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return 'connection closed before the answer was complete'
    if isinstance(exc, http.client.RemoteDisconnected):
        return 'connection closed without an answer'
    text = to_native(exc)
    return text or type(exc).__name__


def _total_timeout_reason(total_timeout):
    return 'timed out: no complete answer within %s seconds' % _seconds(total_timeout)


# Everything open_url and reading an answer can raise when there is no (complete) HTTP answer.
_NO_ANSWER_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, UrlsConnectionError, ssl.CertificateError, ValueError)


class _DeadlinePassed(Exception):
    """The body loop of a request with a ``total_timeout`` found the time used up."""


def _read_until(resp, deadline, limit=None):
    """Read the body of ``resp`` chunk by chunk until the end, ``limit`` bytes, or ``deadline`` (then
    :class:`_DeadlinePassed`). ``read1`` returns what one read of the socket gave, so the deadline is looked at
    between the bytes of a trickle too; a read blocked at the deadline is ended by :func:`time_limit`'s watchdog."""
    reader = getattr(resp, 'read1', None) or resp.read
    chunks, size = [], 0
    while limit is None or size < limit:
        if time.monotonic() >= deadline:
            raise _DeadlinePassed()
        chunk = reader(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b''.join(chunks)


def _read_error_body(exc, deadline=None):
    try:
        if deadline is None:
            raw = exc.read()
        else:
            raw = _read_until(getattr(exc, 'fp', None) or exc, deadline, limit=4 * MAX_ERROR_BODY)
    except Exception:  # the error answer's body is best effort: the status alone still says what happened
        raw = b''
    return to_text(raw or b'', errors='surrogate_or_replace')[:MAX_ERROR_BODY]


def _check_headers(method, url, headers):
    """Refuse, before anything is sent, a request header that http.client would refuse (or send split)."""
    for name, value in (headers or {}).items():
        problem = header_problem(name, value)
        if problem:
            raise RequestError(None, '', url, reason='request %s' % problem, method=method)


def _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects, unix_socket, deadline=None,
          ca_path=None):
    _check_headers(method, url, headers)
    secrets = _header_secrets(headers)
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
            ca_path=ca_path,
            http_agent='selfhosted.ai_coding',
        )
    except urllib.error.HTTPError as exc:
        raise RequestError(exc.code, _read_error_body(exc, deadline), url, method=method, secrets=secrets)
    except _NO_ANSWER_ERRORS as exc:
        raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method, timed_out=_is_timeout(exc),
                           secrets=secrets)


def request(method, url, payload=None, data=None, headers=None, timeout=DEFAULT_TIMEOUT, validate_certs=True,
            use_proxy=True, follow_redirects='urllib2', unix_socket=None, total_timeout=None, ca_path=None):
    """Send one request and read the whole answer.

    :param method: ``'GET'``, ``'POST'``, ``'DELETE'``, ...
    :param payload: a value to send as a JSON body (sets ``Content-Type: application/json``), or None.
    :param data: raw bytes to send instead of ``payload``.
    :param headers: extra request headers (they win over the defaults ``Accept``/``Content-Type``). Each is checked
        before anything is sent (:func:`header_problem`); a bad one raises :class:`RequestError` naming the header.
    :param timeout: socket timeout in seconds (connect and each read).
    :param ca_path: a PEM file of CA certificates to verify an https server with, instead of the system's.
    :param total_timeout: seconds the whole exchange may take - connect, TLS, redirects, headers and body - or None
        for no such limit. When it runs out: :class:`RequestError` with ``status=None``, ``timed_out=True`` and the
        reason ``'timed out: no complete answer within N seconds'``. See the module docstring for how it is enforced.
    :returns: :class:`Response` for a 2xx answer (and for 1xx/3xx ones open_url hands back).
    :raises RequestError: status set for an answer outside 2xx, ``None`` when no complete answer came.
    """
    if total_timeout is None:
        resp = _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects, unix_socket,
                     ca_path=ca_path)
        try:
            body = resp.read()
        except _NO_ANSWER_ERRORS as exc:
            raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method, timed_out=_is_timeout(exc),
                               secrets=_header_secrets(headers))
        finally:
            resp.close()
        status = getattr(resp, 'status', None) or resp.getcode()
        return Response(status, resp.headers, body, url)

    secrets = _header_secrets(headers)
    timeout = total_timeout if timeout is None else min(timeout, total_timeout)

    def timed_out():
        return RequestError(None, '', url, reason=_total_timeout_reason(total_timeout), method=method, timed_out=True)

    resp = None
    try:
        with time_limit(total_timeout) as limit:
            try:
                resp = _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects,
                             unix_socket, deadline=limit.deadline, ca_path=ca_path)
                body = _read_until(resp, limit.deadline)
            except _DeadlinePassed:
                raise timed_out()
            except RequestError as exc:
                # A connection the watchdog shut down fails like any other: the limit tells what happened.
                if limit.fired or (exc.status is None and (exc.timed_out or limit.expired)):
                    raise timed_out()
                raise
            except _NO_ANSWER_ERRORS as exc:
                if _is_timeout(exc) or limit.expired:
                    raise timed_out()
                raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method, secrets=secrets)
            if limit.fired:
                # The watchdog ended the answer: what was read is not the whole of it.
                raise timed_out()
    finally:
        if resp is not None:
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
        raise RequestError(resp.status, resp.text[:MAX_ERROR_BODY], url, method=method, secrets=_header_secrets(kwargs.get('headers')),
                           reason='the answer is not JSON (content type %s)' % resp.headers.get('Content-Type', 'unknown'))


def iter_lines(method, url, payload=None, data=None, headers=None, timeout=DEFAULT_TIMEOUT, validate_certs=True,
               use_proxy=True, follow_redirects='urllib2', unix_socket=None, max_line=MAX_LINE, skip_blank=True, ca_path=None):
    """Send one request and yield the answer line by line as text, for streamed NDJSON.

    Lines are yielded as they arrive (``\\r``/``\\n`` stripped), so a caller can act on each progress record while
    the stream is still open. Blank lines (keep-alives) are skipped unless ``skip_blank=False``. The connection is
    closed when the iterator is exhausted, closed, or garbage collected.

    Nothing is sent until the first ``next()``. A non-2xx status raises :class:`RequestError` at that point; a
    connection lost mid-stream or a line longer than ``max_line`` bytes raises it (status ``None``) where it happens.
    A stream that simply ends yields no further lines: whether that was complete is for the caller to judge.
    """
    resp = _open(method, url, payload, data, headers, timeout, validate_certs, use_proxy, follow_redirects, unix_socket,
                 ca_path=ca_path)
    try:
        while True:
            try:
                raw = resp.readline(max_line + 1)
            except _NO_ANSWER_ERRORS as exc:
                raise RequestError(None, '', url, reason=_connection_reason(exc, timeout), method=method, timed_out=_is_timeout(exc))
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
