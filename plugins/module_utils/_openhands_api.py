# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenHands REST client of this collection (private: the API may change between releases).

Built on :mod:`._http` (``ansible.module_utils.urls.open_url``; nothing beyond the standard library on the host).
Routes and models follow the OpenHands 1.11 app server (``openhands/app_server/app_conversation/``, mounted under
``/api/v1``)::

    POST /api/v1/app-conversations               AppConversationStartRequest -> AppConversationStartTask
    GET  /api/v1/app-conversations/start-tasks?ids=<task id>     -> [AppConversationStartTask | null]
    GET  /api/v1/app-conversations?ids=<conversation id>         -> [AppConversation | null]

A start task goes ``WORKING`` -> ``WAITING_FOR_SANDBOX`` -> ``PREPARING_REPOSITORY`` -> ... -> ``READY`` (then it
carries ``app_conversation_id`` and ``sandbox_id``) or ``ERROR`` (with ``detail``). A conversation's
``execution_status`` is the SDK's ``ConversationExecutionStatus``: ``idle``, ``running``, ``paused``,
``waiting_for_confirmation``, ``finished``, ``error``, ``stuck``, ``deleting`` (``null`` while its sandbox is not
``RUNNING``); ``finished``, ``error`` and ``stuck`` end a run. Ids come back as 32 hex digits (no dashes).

The OSS single-user server needs no credentials; when it runs with ``SESSION_API_KEY`` set, every request must carry
that key in the ``X-Session-API-Key`` header (``api_key``). The key never appears in a result or a message, and
neither does the per-conversation ``session_api_key`` the server returns.

Public interface::

    OpenHandsClient(base_url, timeout=30, api_key=None, validate_certs=True)
        .start_conversation(text) -> start task dict
        .get_start_task(task_id) -> dict | None          .get_conversation(conversation_id) -> dict | None
        .run_conversation(text, timeout=600, poll_interval=2, clock=time.monotonic, sleep=time.sleep) -> dict
    OpenHandsError(msg, status=None, url=None, result=None)
    validate_url(url) -> normalised base URL           raises OpenHandsError
    check_prompt(value, name='prompt') -> str           check_api_key(value, name='api_key') -> str | None
                                                        (raise _validate.InvalidValue)
"""

from __future__ import annotations

import json
import time
import unicodedata
from urllib.parse import urlencode

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import ApiError, check_base_url
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    REDACTED,
    RequestError,
    join_url,
    request_json,
    status_text,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import check_header_value, describe_value
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue, show

DEFAULT_URL = 'http://127.0.0.1:3000'
# Socket timeout of one request (connect and each read); the whole run has its own limit.
DEFAULT_TIMEOUT = 30
DEFAULT_RUN_TIMEOUT = 600
DEFAULT_POLL_INTERVAL = 2.0

API_PREFIX = '/api/v1'
CONVERSATIONS_PATH = '/api/v1/app-conversations'
START_TASKS_PATH = '/api/v1/app-conversations/start-tasks'
API_KEY_HEADER = 'X-Session-API-Key'

# AppConversationStartTaskStatus
TASK_READY = 'READY'
TASK_ERROR = 'ERROR'
TASK_STATUSES = ('WORKING', 'WAITING_FOR_SANDBOX', 'PREPARING_REPOSITORY', 'RUNNING_SETUP_SCRIPT', 'SETTING_UP_GIT_HOOKS',
                 'SETTING_UP_SKILLS', 'STARTING_CONVERSATION', TASK_READY, TASK_ERROR)
# ConversationExecutionStatus: the terminal ones (ConversationExecutionStatus.is_terminal()).
EXEC_FINISHED = 'finished'
EXEC_FAILED = ('error', 'stuck')
EXEC_TERMINAL = (EXEC_FINISHED,) + EXEC_FAILED
# SandboxStatus that means the conversation cannot go on.
SANDBOX_FAILED = ('ERROR',)

# The longest first message accepted, in characters: a task for the agent, not a document.
MAX_PROMPT_LEN = 65536


class OpenHandsError(ApiError):
    """An OpenHands call failed, or a conversation did not finish.

    :ivar status: the HTTP status when the server answered with an error, else ``None``.
    :ivar url: the URL asked, when a request failed.
    :ivar result: what :meth:`OpenHandsClient.run_conversation` knew when it failed (``start_task_id``,
        ``conversation_id``, ``status``, timings ...), else ``{}``.
    """

    def __init__(self, msg, status=None, url=None, result=None):
        super(OpenHandsError, self).__init__(msg, status=status, url=url)
        self.result = dict(result or {})


def validate_url(url):
    """``http(s)://host[:port][/prefix]`` -> the base URL without a trailing ``/`` (a trailing ``/api/v1`` is dropped)."""
    url = check_base_url(url, 'OpenHands', error=OpenHandsError).rstrip('/')
    if url.endswith(API_PREFIX):
        url = url[:-len(API_PREFIX)]
    return url


def check_prompt(value, name='prompt'):
    """A first user message: free text, so any printable character, line breaks (LF) and tabs are kept as written.

    Refused: a value that is not a string, empty or blank, longer than :data:`MAX_PROMPT_LEN`, or holding NUL, another
    C0 control character (CR, ESC, ...) or a lone surrogate (not text at all).

    :raises InvalidValue: naming ``name``, the value (escaped and cut) and the rule.
    """
    if not isinstance(value, str):
        raise InvalidValue('%s must be a string, got %s' % (name, describe_value(value)))
    if not value.strip():
        raise InvalidValue('%s is %s: it must not be empty or blank (it is the first user message of the conversation)'
                           % (name, show(value)))
    if len(value) > MAX_PROMPT_LEN:
        raise InvalidValue('%s is %s: it is %d characters long; a prompt may have at most %d'
                           % (name, show(value), len(value), MAX_PROMPT_LEN))
    for pos, char in enumerate(value):
        if (char < ' ' and char not in '\n\t') or unicodedata.category(char) == 'Cs':
            raise InvalidValue('%s is %s: it holds the control character %s at position %d; a prompt may hold line breaks '
                               '(\\n) and tabs but no other control character (NUL, CR, ESC, ...)'
                               % (name, show(value), char.encode('unicode_escape', 'backslashreplace').decode('ascii'), pos))
    return value


def check_api_key(value, name='api_key'):
    """The server's SESSION_API_KEY, sent as a header: one line, never shown in a message. ``None``/empty: no key."""
    if value is None or value == '':
        return None
    return check_header_value(value, name)


def _snippet(text, limit=300):
    text = ' '.join(to_text(text, errors='surrogate_or_replace').split())
    return text if len(text) <= limit else text[:limit] + '...'


def _first(data):
    """The single entry of a batch-get answer (``[obj | null]``); ``None`` for ``[null]`` or ``[]``."""
    if isinstance(data, list):
        return data[0] if data else None
    return data


def _hex_id(value):
    return to_text(value) if value is not None else None


class OpenHandsClient(object):
    """A client for one OpenHands app server.

    :param base_url: ``http(s)://host:port`` of the app server (a path prefix behind a proxy is kept).
    :param timeout: socket timeout in seconds for each request (the connect and each read).
    :param api_key: the server's ``SESSION_API_KEY``, sent as ``X-Session-API-Key``; never put into messages.
    :param validate_certs: verify the TLS certificate of an ``https`` URL.
    """

    def __init__(self, base_url=DEFAULT_URL, timeout=DEFAULT_TIMEOUT, api_key=None, validate_certs=True):
        self.base_url = validate_url(base_url)
        self.timeout = timeout
        self.validate_certs = validate_certs
        try:
            self._api_key = check_api_key(api_key)
        except InvalidValue as exc:
            raise OpenHandsError(str(exc), url=self.base_url)
        self.headers = {API_KEY_HEADER: self._api_key} if self._api_key else {}

    def __repr__(self):
        return 'OpenHandsClient(%r, timeout=%r, api_key=%s)' % (self.base_url, self.timeout, REDACTED if self._api_key else None)

    # -- plumbing ------------------------------------------------------------------------------------------------

    def _scrub(self, text):
        """``text`` with the API key replaced, should a server or proxy ever echo it back."""
        text = to_text(text)
        if self._api_key and self._api_key in text:
            text = text.replace(self._api_key, REDACTED)
        return text

    def _error(self, exc, method, path):
        url = join_url(self.base_url, path)
        if exc.status is None:
            msg = 'Could not connect to OpenHands at %s: %s (%s %s)' % (self.base_url, exc.reason, method, path)
            return OpenHandsError(self._scrub(msg), url=url)
        detail = exc.server_message('detail')
        detail = _snippet(detail) if detail else status_text(exc.status)
        hint = ''
        if exc.status == 401:
            hint = (' (the server runs with SESSION_API_KEY: give api_key)' if not self._api_key
                    else ' (api_key does not match the server\'s SESSION_API_KEY)')
        elif exc.status == 403:
            hint = ' (an auth proxy in front of OpenHands, or the server\'s auth, refused the request)'
        msg = 'OpenHands at %s answered HTTP %s %s for %s %s: %s%s' % (self.base_url, exc.status, status_text(exc.status), method, path, detail, hint)
        return OpenHandsError(self._scrub(msg), status=exc.status, url=url)

    def _json(self, method, path, payload=None):
        try:
            return request_json(method, join_url(self.base_url, path), payload=payload, headers=self.headers,
                                timeout=self.timeout, validate_certs=self.validate_certs)
        except RequestError as exc:
            raise self._error(exc, method, path)

    def _unexpected(self, method, path, what, data):
        return OpenHandsError(self._scrub('OpenHands at %s answered %s %s with %s: %s (is it OpenHands 1.x, and not something '
                                          'else such as a login page, answering?)' % (self.base_url, method, path, what, _snippet(json.dumps(data), 200))),
                              url=join_url(self.base_url, path))

    def _batch_get(self, path, item_id):
        full = '%s?%s' % (path, urlencode({'ids': to_text(item_id)}))
        data = self._json('GET', full)
        if not isinstance(data, list):
            raise self._unexpected('GET', full, 'something that is not a list', data)
        entry = _first(data)
        if entry is not None and not isinstance(entry, dict):
            raise self._unexpected('GET', full, 'a list entry that is not an object', data)
        return entry

    # -- endpoints -----------------------------------------------------------------------------------------------

    def start_conversation(self, text):
        """``POST /api/v1/app-conversations`` with ``text`` as the first user message (``run: true``).

        :returns: the start task (``id``, ``status``, ``detail``, ``app_conversation_id``, ``sandbox_id`` ...).
        """
        payload = {'initial_message': {'role': 'user', 'content': [{'type': 'text', 'text': to_text(text)}], 'run': True}}
        data = self._json('POST', CONVERSATIONS_PATH, payload)
        if not isinstance(data, dict) or not data.get('id'):
            raise self._unexpected('POST', CONVERSATIONS_PATH, 'something that is not a start task', data)
        return data

    def get_start_task(self, task_id):
        """``GET /api/v1/app-conversations/start-tasks?ids=<task_id>`` -> the start task, or ``None`` when unknown."""
        return self._batch_get(START_TASKS_PATH, task_id)

    def get_conversation(self, conversation_id):
        """``GET /api/v1/app-conversations?ids=<conversation_id>`` -> the conversation, or ``None`` when unknown."""
        return self._batch_get(CONVERSATIONS_PATH, conversation_id)

    # -- the whole flow --------------------------------------------------------------------------------------------

    def run_conversation(self, text, timeout=DEFAULT_RUN_TIMEOUT, poll_interval=DEFAULT_POLL_INTERVAL, clock=time.monotonic, sleep=time.sleep):
        """Start a conversation with ``text``, wait until its start task is ``READY``, then until it ends.

        :param timeout: seconds the whole run may take, counted from the POST.
        :param poll_interval: seconds between two polls.
        :param clock: a monotonic clock (seconds); injected by tests.
        :param sleep: waits that many seconds; injected by tests.
        :returns: ``{'start_task_id', 'conversation_id', 'sandbox_id', 'status', 'ready_s', 'finished_s', 'polls'}``:
            ``status`` the final ``execution_status`` (``finished``), ``ready_s`` the seconds from the POST to
            ``READY``, ``finished_s`` from the POST to the final status (rounded to ms), ``polls`` the GETs sent.
        :raises OpenHandsError: with ``result`` filled as far as the run got, when the start task reports
            ``ERROR`` (its ``detail`` is in the message), the conversation ends ``error`` or ``stuck``, its sandbox
            goes to ``ERROR``, a request fails, or ``timeout`` passes (the message names the last status seen).
        """
        result = {'start_task_id': None, 'conversation_id': None, 'sandbox_id': None, 'status': None,
                  'start_task_status': None, 'ready_s': None, 'finished_s': None, 'polls': 0}
        started = clock()

        def elapsed():
            return round(clock() - started, 3)

        def fail(msg, exc=None):
            if exc is not None:
                return OpenHandsError(self._scrub(msg), status=exc.status, url=exc.url, result=result)
            return OpenHandsError(self._scrub(msg), result=result)

        def wait_or_time_out(last_seen):
            remaining = timeout - (clock() - started)
            if remaining <= 0:
                hint = ''
                if last_seen == "execution status 'waiting_for_confirmation'":
                    hint = ' (the agent waits for a user to confirm an action: turn confirmation mode off for unattended runs)'
                elif last_seen == "execution status 'paused'":
                    hint = ' (someone paused it)'
                where = ('conversation %s' % result['conversation_id']) if result['conversation_id'] else ('start task %s' % result['start_task_id'])
                raise fail('The OpenHands conversation did not finish within %s seconds at %s (%s; last status seen: %s)%s'
                           % (timeout, self.base_url, where, last_seen, hint))
            sleep(min(poll_interval, remaining))

        # 1. start it
        try:
            task = self.start_conversation(text)
        except OpenHandsError as exc:
            raise fail('Could not start an OpenHands conversation: %s' % exc.msg, exc)
        result['start_task_id'] = _hex_id(task.get('id'))

        # 2. wait for the start task to be READY (the POST's own answer may already say so)
        while True:
            status = to_text(task.get('status') or 'unknown')
            result['start_task_status'] = status
            if task.get('sandbox_id'):
                result['sandbox_id'] = to_text(task['sandbox_id'])
            if status == TASK_READY and task.get('app_conversation_id'):
                result['ready_s'] = elapsed()
                result['conversation_id'] = _hex_id(task['app_conversation_id'])
                break
            if status == TASK_ERROR:
                detail = to_text(task.get('detail') or 'no detail given')
                raise fail('The OpenHands start task %s at %s ended in ERROR after %.1f s: %s'
                           % (result['start_task_id'], self.base_url, elapsed(), _snippet(detail, 1000)))
            wait_or_time_out("start task status '%s'" % status)
            result['polls'] += 1
            try:
                found = self.get_start_task(result['start_task_id'])
            except OpenHandsError as exc:
                raise fail('Lost track of the OpenHands start task %s: %s' % (result['start_task_id'], exc.msg), exc)
            if found is None:
                raise fail('OpenHands at %s no longer knows the start task %s (last status %s): was the server restarted?'
                           % (self.base_url, result['start_task_id'], status))
            task = found

        # 3. wait for the conversation to end (READY only means the agent was handed the message)
        last_seen = 'none yet'
        while True:
            result['polls'] += 1
            try:
                conversation = self.get_conversation(result['conversation_id'])
            except OpenHandsError as exc:
                raise fail('Lost track of the OpenHands conversation %s: %s' % (result['conversation_id'], exc.msg), exc)
            if conversation is None:
                last_seen = 'conversation not listed yet'
            else:
                if conversation.get('sandbox_id'):
                    result['sandbox_id'] = to_text(conversation['sandbox_id'])
                execution = conversation.get('execution_status')
                sandbox = to_text(conversation.get('sandbox_status') or 'unknown')
                result['status'] = to_text(execution) if execution is not None else None
                if execution is None:
                    last_seen = "sandbox status '%s', no execution status" % sandbox
                else:
                    last_seen = "execution status '%s'" % execution
                if execution in EXEC_TERMINAL:
                    finished_s = elapsed()
                    result['finished_s'] = finished_s
                    if execution == EXEC_FINISHED:
                        return result
                    raise fail('The OpenHands conversation %s at %s ended with execution status \'%s\' after %.1f s%s'
                               % (result['conversation_id'], self.base_url, execution, finished_s,
                                  ' (the agent detected it was stuck in a loop)' if execution == 'stuck' else ''))
                if sandbox in SANDBOX_FAILED:
                    raise fail('The sandbox %s of the OpenHands conversation %s at %s went to status %s after %.1f s (last execution status: %s)'
                               % (result['sandbox_id'] or '?', result['conversation_id'], self.base_url, sandbox, elapsed(),
                                  to_text(execution) if execution is not None else 'none'))
            wait_or_time_out(last_seen)
