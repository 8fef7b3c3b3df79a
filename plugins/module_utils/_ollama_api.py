# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Ollama REST client of this collection (private: the API may change between releases).

Built on :mod:`._http` (``ansible.module_utils.urls.open_url``; nothing beyond the standard library on the host).

Public interface::

    validate_model_name(name, allowed_registries=("registry.ollama.ai",), option=None) -> ModelName   raises ModelNameError
    check_registry_host(value, name) -> str     check_allowed_registries(value, name) -> frozenset | None
    check_headers(headers, name='headers') -> {str: str}   check_header_value(value, name) -> str   (raise InvalidValue)
    raw_module_args() -> dict   check_arg_types(raw, argument_spec) -> str | None   relaxed_spec(argument_spec) -> dict
    describe_value(value, secret=False) -> "a string ('x')", 'a list', 'null' (what a message says was given)
    ModelName(host, namespace, model, tag)  .full 'host/ns/model:tag'  .short as /api/tags shows it  .key (compare)
    index_models(models) -> {ModelName.key: /api/tags entry}
    PullProgress()  .update(record)  .completed  .total  .percent  .status  .as_dict()
    OllamaClient(base_url, timeout=30, validate_certs=True, headers=None, ca_path=None)
        .version() -> str            .tags() -> [dict]          .find(name) -> dict | None
        .pull(name, insecure=False, on_progress=None, timeout=None, resolve=True) -> dict
        .delete(name) -> bool        .generate(model, prompt, options=None, stream=False, keep_alive=None) -> str
    OllamaError(msg, status=None, url=None)     an _api.ApiError

Model names follow Ollama's grammar (``types/model/name.go``): ``[host/][namespace/]model[:tag]``, defaulting to
``registry.ollama.ai/library/<model>:latest``. :func:`validate_model_name` is stricter than Ollama in a few places,
each on purpose: it refuses ``..`` anywhere, a ``host:port`` whose port is not a number, the 4-part names with a
"kind" (``skill``/``agent``/``mcp``) that newer Ollama servers accept (those are not models), and digest references
(``model@sha256:<hex>``), because ``/api/pull`` takes a name and a tag, not a digest (pin a tag and compare the
digest this client reports instead). Whitespace, control and invisible characters (zero-width, bidi) and non-ASCII
look-alikes (Cyrillic ``а``) are refused with the character named. ``allowed_registries`` must be a list: a string is
refused, never split into one-letter hosts. Letters keep their case: Ollama compares names case-insensitively, and so does
:attr:`ModelName.key`.
"""

from __future__ import annotations

import json
import re
import string
import time
import unicodedata
from collections import namedtuple
from collections.abc import Mapping

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import ApiClient, ApiError, check_base_url
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    DEFAULT_TIMEOUT,
    RequestError,
    header_problem,
    iter_lines,
    request_json,
    status_text,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    bad_chars,
    check_str_list,
    check_text,
    a_type_name,
    show,
)

DEFAULT_URL = 'http://127.0.0.1:11434'
DEFAULT_HOST = 'registry.ollama.ai'
DEFAULT_NAMESPACE = 'library'
DEFAULT_TAG = 'latest'
DEFAULT_REGISTRIES = (DEFAULT_HOST,)
# A pull moves gigabytes: its own limit, applied to the whole pull and to each silent gap in its progress stream.
DEFAULT_PULL_TIMEOUT = 3600

MAX_HOST_LEN = 350
MAX_PART_LEN = 80
# The longest possible name: host/namespace/model:tag.
MAX_NAME_LEN = MAX_HOST_LEN + 3 * MAX_PART_LEN + 3

_FIRST_CHARS = frozenset(string.ascii_letters + string.digits + '_')
_PART_CHARS = _FIRST_CHARS | frozenset('.-')
_NAME_CHARS = _PART_CHARS | frozenset(':/')
_PORT_RE = re.compile(r'^[0-9]{1,5}\Z')
_GRAMMAR = "[host/][namespace/]model[:tag]"
_REGISTRY_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[0-9]{1,5})?\Z')
# RFC 9110 field-name (token).
# (\Z, not $: "$" also matches before a final line break.)
MAX_HEADER_VALUE_LEN = 8192
# Quoted values longer than this are cut to their first 60 characters in messages.
QUOTE_LIMIT = 120


class ModelNameError(InvalidValue):
    """A model name broke the grammar; the message names the value and the rule (and the option, when given)."""


class OllamaError(ApiError):
    """Ollama could not be reached, answered with an error, or sent something this client does not understand.

    :ivar status: the HTTP status when Ollama answered (200 for an error reported inside a stream), else ``None``.
    :ivar url: the URL asked.
    """


class ModelName(namedtuple('ModelName', ('host', 'namespace', 'model', 'tag'))):
    """A validated, normalised model name; every part filled in (host lower-cased)."""

    __slots__ = ()

    @property
    def full(self):
        """``host/namespace/model:tag``, e.g. ``registry.ollama.ai/library/qwen2.5-coder:7b``."""
        return '%s/%s/%s:%s' % self

    @property
    def short(self):
        """The name as Ollama shows it in ``/api/tags`` and ``ollama list``.

        ``model:tag`` for the default registry and namespace, ``namespace/model:tag`` for another namespace on the
        default registry, ``host/namespace/model:tag`` for another registry.
        """
        if self.host.lower() != DEFAULT_HOST:
            return self.full
        if self.namespace.lower() != DEFAULT_NAMESPACE:
            return '%s/%s:%s' % (self.namespace, self.model, self.tag)
        return '%s:%s' % (self.model, self.tag)

    @property
    def key(self):
        """The comparison key: Ollama treats names that differ only in letter case as the same model."""
        return self.full.lower()

    def __str__(self):
        return self.short


def _fail(name, rule):
    raise ModelNameError('Invalid model name %s: %s' % (_quote(name), rule))


def _quote(value, limit=QUOTE_LIMIT):
    """Quote a value for a message so control characters show (``'a\\nb'``) and nothing is executed or hidden.

    A value longer than ``limit`` characters is cut to its first 60, so a huge value never fills a message.
    """
    if isinstance(value, (str, bytes)):
        text = to_text(value, errors='surrogate_or_replace')
        if len(text) > limit:
            text = text[:60] + '...'
        return repr(text)
    return show(value)


def _describe_char(char):
    """``'\\u200b'`` -> ``'\\u200b' (U+200B ZERO WIDTH SPACE)``: a character named so a look-alike cannot pass for ASCII."""
    if ' ' < char < '\x7f':
        return repr(char)
    return '%r (U+%04X %s)' % (char, ord(char), unicodedata.name(char, 'unnamed character'))


def _check_part(name, kind, part, limit, two_parts=False):
    if len(part) > limit:
        _fail(name, 'the %s %s is %d characters long; it may have at most %d' % (kind, _quote(part), len(part), limit))
    if part[0] not in _FIRST_CHARS:
        _fail(name, 'the %s %s starts with %r; each part must start with a letter, a digit or "_"' % (kind, _quote(part), part[0]))
    allowed = _PART_CHARS | frozenset(':') if kind == 'registry host' else _PART_CHARS
    hint = ' (a registry host needs the full form host/namespace/model)' if two_parts else ''
    for char in part:
        if char == ':' and ':' not in allowed:
            _fail(name, 'the %s %s contains ":"; ":" may appear only in the registry host (host:port) and before the tag%s'
                  % (kind, _quote(part), hint))
        if char not in allowed:  # pragma: no cover - the whole name was checked against a narrower set already
            _fail(name, 'the %s %s contains %r' % (kind, _quote(part), char))
    if kind == 'namespace' and '.' in part:
        _fail(name, 'the namespace %s contains "."; namespaces may hold only letters, digits, "_" and "-"%s' % (_quote(part), hint))
    if kind == 'registry host' and ':' in part:
        host, _sep, port = part.partition(':')
        if ':' in port or not _PORT_RE.match(port) or not host:
            _fail(name, 'the registry host %s must be host or host:port with a numeric port' % _quote(part))


def check_registry_host(value, name):
    """One entry of ``allowed_registries``: ``host`` or ``host:port``, as the host part of a model name may be.

    :raises InvalidValue: naming ``name`` (e.g. ``allowed_registries[1]``), the value and the rule.
    """
    check_text(value, name, max_len=MAX_HOST_LEN + 6)
    if not _REGISTRY_RE.match(value) or '..' in value or (':' in value and not 1 <= int(value.rpartition(':')[2]) <= 65535):
        raise InvalidValue('%s is %s: a registry is host or host:port - letters, digits, "_", "-" and "." (starting with a '
                           'letter, digit or "_"), then an optional port 1-65535' % (name, _quote(value)))
    return value


def check_allowed_registries(allowed_registries, name='allowed_registries'):
    """``allowed_registries`` checked (a list of registry hosts: a string is refused, never split) and lower-cased.

    ``None`` (allow any host) is passed through: only callers parsing names that Ollama itself listed use it.
    """
    if allowed_registries is None:
        return None
    return frozenset(entry.lower() for entry in check_str_list(allowed_registries, name, item_check=check_registry_host))


def validate_model_name(name, allowed_registries=DEFAULT_REGISTRIES, option=None):
    """Check ``name`` against Ollama's model-name grammar and return it normalised as a :class:`ModelName`.

    :param name: ``[host/][namespace/]model[:tag]``; a missing host, namespace or tag takes Ollama's default
        (``registry.ollama.ai``, ``library``, ``latest``).
    :param allowed_registries: registry hosts a name may point at (a list: a string is refused, not split into
        characters), compared case-insensitively; list a host with its port (``registry.lan:5000``) to allow that
        port. ``None`` allows any host (for parsing names that Ollama itself listed).
    :param option: the option or argument the name came from (``name``, ``names[2]``); the message starts with it.
    :raises ModelNameError: the message names the option, the value and the rule it broke. Nothing is sent anywhere.
    :raises InvalidValue: ``allowed_registries`` is not a list of registry hosts.
    """
    allowed = check_allowed_registries(allowed_registries)
    try:
        model = _parse_model_name(name)
    except ModelNameError as exc:
        if option:
            raise ModelNameError('%s: %s' % (option, exc))
        raise
    if allowed is not None and model.host not in allowed:
        msg = 'Invalid model name %s: the registry host %s is not in allowed_registries (%s)' % (
            _quote(name), _quote(model.host), ', '.join(sorted(allowed)) or 'empty')
        raise ModelNameError('%s: %s' % (option, msg) if option else msg)
    return model


def _parse_model_name(name):
    if not isinstance(name, str):
        raise ModelNameError('Invalid model name %s: a model name must be a string, not %s' % (_quote(name), a_type_name(name)))
    if not name or not name.strip():
        _fail(name, 'the name is empty; expected %s' % _GRAMMAR)
    if len(name) > MAX_NAME_LEN:
        _fail(name, 'the name is %d characters long; a model name has at most %d' % (len(name), MAX_NAME_LEN))
    hidden = set(bad_chars(name))
    for pos, char in enumerate(name):
        if char.isspace() or char in hidden:
            _fail(name, 'it contains whitespace, a control character or an invisible character (%s at position %d); model names '
                        'never do' % (_describe_char(char), pos))
    if '://' in name:
        _fail(name, 'it carries a URL scheme; write %s without "http://" or "https://"' % _GRAMMAR)
    if '@' in name:
        _fail(name, 'digest references ("@sha256:...") are not accepted: /api/pull takes a name and tag; pin a tag and check the '
                    'digest the module returns instead')
    for pos, char in enumerate(name):
        if char not in _NAME_CHARS:
            look = ', a non-ASCII character that may pass for an ASCII one' if ord(char) > 127 else ''
            _fail(name, 'it contains %s at position %d%s; a model name holds only letters, digits, "_", "-" and ".", with "/" '
                        'between the parts of %s and ":" before the tag (or a registry port)' % (_describe_char(char), pos, look, _GRAMMAR))
    if '..' in name:
        _fail(name, 'it contains ".."; a model name is not a path')

    rest, tag = name, None
    if name.rfind(':') > name.rfind('/'):
        rest, _sep, tag = name.rpartition(':')
        if not tag:
            _fail(name, 'it ends with ":" but names no tag; write %s for the default tag "%s", or %s'
                  % (_quote(rest), DEFAULT_TAG, _quote(rest + ':<tag>')))
    parts = rest.split('/')
    if len(parts) > 3:
        _fail(name, 'it has %d "/"-separated parts; at most 3 are allowed: %s' % (len(parts), _GRAMMAR))
    if any(not part for part in parts):
        _fail(name, 'it has an empty part (a leading, trailing or doubled "/"); expected %s' % _GRAMMAR)

    host, namespace = DEFAULT_HOST, DEFAULT_NAMESPACE
    if len(parts) == 3:
        host, namespace, model = parts
        _check_part(name, 'registry host', host, MAX_HOST_LEN)
    elif len(parts) == 2:
        namespace, model = parts
    else:
        model = parts[0]
    if len(parts) > 1:
        _check_part(name, 'namespace', namespace, MAX_PART_LEN, two_parts=len(parts) == 2)
    _check_part(name, 'model', model, MAX_PART_LEN)
    if tag is not None:
        _check_part(name, 'tag', tag, MAX_PART_LEN)
    else:
        tag = DEFAULT_TAG
    return ModelName(host.lower(), namespace, model, tag)


def check_headers(headers, name='headers'):
    """Extra request headers: a mapping of HTTP header names to one-line values; returns ``{name: str}``.

    A value holding a line break (which would add a header of its own choosing) or another control character is
    refused, and the message never shows a value: header values are secrets (tokens, cookies).

    :raises InvalidValue: naming ``name`` and the header.
    """
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidValue('%s must be a mapping of header names to values, got %s' % (name, a_type_name(headers)))
    out = {}
    for key, value in headers.items():
        # The rule itself is the HTTP layer's (_http.header_problem), so a module option and a request agree.
        if not isinstance(key, str) or len(key) > 256 or header_problem(key, '') is not None:
            raise InvalidValue('%s has the header name %s: a header name is letters, digits and !#$%%&\'*+-.^_`|~ (no spaces, '
                               'colons or control characters)' % (name, _quote(key) if isinstance(key, str) else a_type_name(key)))
        out[key] = check_header_value(value, '%s.%s' % (name, key))
    return out


def check_header_value(value, name):
    """One header value (a secret): a string or number, one line, at most 8192 characters; never shown in a message."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidValue('%s must be a string, got %s (the value is not shown: it may be a secret)' % (name, a_type_name(value)))
    text = to_text(value)
    if len(text) > MAX_HEADER_VALUE_LEN:
        raise InvalidValue('%s is %d characters long; a header value may have at most %d (the value is not shown: it may be a '
                           'secret)' % (name, len(text), MAX_HEADER_VALUE_LEN))
    if any(char != '\t' for char in bad_chars(text)) or header_problem('X', text) is not None:
        raise InvalidValue('%s holds a line break or another control or invisible character, or a character outside latin-1; '
                           'a header value must be one line of latin-1 (the value is not shown: it may be a secret)' % name)
    return text


# -- module arguments as the task wrote them -------------------------------------------------------------------------
# Shared by every module of this collection that has an argument spec (a candidate for _validate).
#
# AnsibleModule converts what a task wrote before a module sees it: a string given for a list is split at commas, a
# boolean is taken as the number 1, a list given for a string becomes its text; and what it cannot convert it refuses
# with words of its own ("is of type NoneType", "<class 'list'> cannot be converted to a dict"). So the shape of each
# value is checked first, on the arguments as written; a module whose arguments break a rule is started with every
# option of type raw (no conversion; no_log, defaults and choices kept), only to fail with this module's message.

_TYPE_WORDS = {'str': 'a string', 'path': 'a path (a string)', 'list': 'a list', 'dict': 'a mapping',
               'int': 'a whole number', 'float': 'a number', 'bool': 'true or false'}
_BOOL_WORDS = frozenset(('yes', 'no', 'on', 'off', 'true', 'false', 'y', 'n', 't', 'f', '1', '0'))
_INT_TEXT_RE = re.compile(r'^\s*[+-]?[0-9]{1,18}\s*\Z')
_FLOAT_TEXT_RE = re.compile(r'^\s*[+-]?([0-9]{1,18}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?\s*\Z')


def raw_module_args():
    """The module's arguments exactly as the task wrote them (before AnsibleModule converts them); ``{}`` when
    they cannot be read (ansible-core's sanity tests read the argument spec with no arguments at all)."""
    try:
        from ansible.module_utils.basic import _load_params  # meant for modules that read their own arguments
        raw = _load_params()
    except Exception:  # nothing to read: AnsibleModule reports that itself
        return {}
    return raw if isinstance(raw, Mapping) else {}


def describe_value(value, secret=False):
    """``'an integer (5)'``, ``"a string ('x')"``, ``'a list'``, ``'null'``: what a message says was given - the type in
    words, then the value as written unless it is a container (or a secret, never shown)."""
    if value is None or secret or not isinstance(value, (str, bytes, bytearray, bool, int, float)):
        return a_type_name(value)
    return '%s (%s)' % (a_type_name(value), show(value))


def _has_shape(value, kind):
    if kind in ('str', 'path'):
        return isinstance(value, str)
    if kind == 'list':
        return isinstance(value, (list, tuple))
    if kind == 'dict':
        return isinstance(value, Mapping)
    if kind == 'bool':
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in _BOOL_WORDS) or (
            type(value) in (int, float) and value in (0, 1))
    if isinstance(value, bool):
        return False  # a boolean is not a number, whatever Python thinks
    if isinstance(value, int) and abs(value) >= 10 ** 18:
        return False  # no figure here has 19 digits; a float cannot even hold some (AnsibleModule would raise OverflowError)
    if kind == 'int':
        return (isinstance(value, int) or (isinstance(value, float) and value.is_integer())
                or (isinstance(value, str) and bool(_INT_TEXT_RE.match(value))))
    if kind == 'float':
        return isinstance(value, (int, float)) or (isinstance(value, str) and bool(_FLOAT_TEXT_RE.match(value)))
    return True


def check_arg_types(raw, argument_spec):
    """The first argument whose value, as written, is not of its option's type: a message naming the option, the value
    (never one of a ``no_log`` option) and the type in words; ``None`` when every value has its option's shape.

    Strings are never split into lists, booleans never taken as numbers, and null is refused for an option that has a
    default or is required (AnsibleModule would refuse it with Python's type names).
    """
    for option, spec in argument_spec.items():
        if option not in raw:
            continue
        value = raw[option]
        kind = spec.get('type', 'str')
        secret = bool(spec.get('no_log'))
        if value is None:
            if spec.get('default') is not None or spec.get('required'):
                return '%s must be %s, got null' % (option, _TYPE_WORDS.get(kind, 'set'))
            continue
        if kind not in _TYPE_WORDS:
            continue
        if kind in ('int', 'float') and isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 18:
            return '%s must be a number of at most 18 digits, got %s' % (option, describe_value(value, secret))
        if not _has_shape(value, kind):
            return '%s must be %s, got %s' % (option, _TYPE_WORDS[kind], describe_value(value, secret))
        if kind == 'list' and spec.get('elements') == 'str':
            for position, item in enumerate(value):
                if not isinstance(item, str):
                    return '%s[%d] must be a string, got %s' % (option, position, describe_value(item, secret))
    return None


def relaxed_spec(argument_spec):
    """``argument_spec`` with every option of type raw (no conversion), for a module that only fails: its no_log,
    defaults, choices and required flags stay."""
    relaxed = {}
    for option, spec in argument_spec.items():
        spec = dict(spec, type='raw')
        spec.pop('elements', None)
        relaxed[option] = spec
    return relaxed


def model_key(name):
    """The comparison key of a name Ollama listed (any registry); a name outside the grammar is compared as it is."""
    if isinstance(name, ModelName):
        return name.key
    try:
        return validate_model_name(name, allowed_registries=None).key
    except ModelNameError:
        return to_text(name).lower()


def index_models(models):
    """Map :attr:`ModelName.key` -> entry for the entries of an ``/api/tags`` (or ``/api/ps``) answer."""
    index = {}
    for entry in models or []:
        if not isinstance(entry, dict):
            continue
        listed = entry.get('name') or entry.get('model')
        if listed:
            index[model_key(listed)] = entry
    return index


class PullProgress(object):
    """Adds up the progress records of an ``/api/pull`` stream into one figure.

    Ollama reports each layer as ``{"status": "pulling <digest>", "digest", "total", "completed"}``; ``completed``
    is absent until the first bytes arrive, and layers appear one after another, so ``total`` grows as the pull
    goes on.
    """

    def __init__(self):
        self.layers = {}
        self.status = ''

    def update(self, record):
        self.status = to_text(record.get('status') or self.status)
        digest = record.get('digest')
        if digest:
            total = _as_int(record.get('total'))
            completed = _as_int(record.get('completed'))
            old_completed, old_total = self.layers.get(digest, (0, 0))
            total = total if total is not None else old_total
            completed = completed if completed is not None else old_completed
            if total:
                completed = min(completed, total)
            self.layers[digest] = (completed, total)
        return self

    @property
    def completed(self):
        return sum(layer[0] for layer in self.layers.values())

    @property
    def total(self):
        return sum(layer[1] for layer in self.layers.values())

    @property
    def percent(self):
        """Whole percent of the bytes announced so far, or ``None`` before any layer announced its size."""
        total = self.total
        if not total:
            return None
        return int(100 * self.completed // total)

    def as_dict(self):
        return {'status': self.status, 'completed': self.completed, 'total': self.total, 'percent': self.percent}


def _as_int(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _snippet(text, limit=200):
    text = ' '.join(to_text(text, errors='surrogate_or_replace').split())
    return text if len(text) <= limit else text[:limit] + '...'


class OllamaClient(ApiClient):
    """A client for one Ollama server.

    :param base_url: ``http(s)://host:port`` of the Ollama API (a path prefix behind a proxy is kept).
    :param timeout: socket timeout in seconds for every request except a pull (see :meth:`pull`).
    :param validate_certs: verify the TLS certificate of an ``https`` URL.
    :param headers: extra headers sent with every request (an auth proxy's token, say); never put into messages.
        Checked by :func:`check_headers` (a value with a line break raises OllamaError, without the value).
    :param ca_path: a PEM file of CA certificates to verify an ``https`` URL with, instead of the system's.
    """

    def __init__(self, base_url=DEFAULT_URL, timeout=DEFAULT_TIMEOUT, validate_certs=True, headers=None, ca_path=None):
        base_url = check_base_url(base_url, 'Ollama', error=OllamaError, quote=_quote).rstrip('/')
        try:
            headers = check_headers(headers)
        except InvalidValue as exc:
            raise OllamaError(str(exc), url=base_url)
        super(OllamaClient, self).__init__(base_url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path, headers=headers)
        self.base_url = base_url

    # -- plumbing ------------------------------------------------------------------------------------------------

    def _error(self, exc, method, path, midstream=False):
        """Turn a RequestError into an OllamaError whose message names the URL and the path."""
        if exc.status is None:
            if midstream:
                msg = 'Lost the connection to Ollama at %s during %s %s: %s' % (self.base_url, method, path, exc.reason)
            else:
                msg = 'Could not connect to Ollama at %s: %s (%s %s)' % (self.base_url, exc.reason, method, path)
            return OllamaError(msg, status=None, url=exc.url)
        detail = exc.server_message()
        detail = _snippet(detail) if detail else status_text(exc.status)
        if exc.status in (401, 403, 407):
            detail += ' (check the headers option: an auth proxy in front of Ollama refused the request)'
        return OllamaError('Ollama at %s answered %s for %s: %s' % (self.base_url, exc.status, path, detail), status=exc.status, url=exc.url)

    def _json(self, method, path, payload=None, timeout=None):
        try:
            return request_json(method, self._url(path), payload=payload, **self._kwargs(timeout))
        except RequestError as exc:
            raise self._error(exc, method, path)

    def _stream(self, method, path, payload, timeout=None):
        """Yield the decoded JSON objects of an NDJSON answer; an ``{"error": ...}`` line raises OllamaError."""
        lines = iter_lines(method, self._url(path), payload=payload, **self._kwargs(timeout))
        started = False
        try:
            for line in lines:
                started = True
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    raise OllamaError('Ollama at %s sent a line that is not a JSON object during %s %s: %s (is something else, a proxy or a '
                                      'login page, answering in its place?)' % (self.base_url, method, path, _quote(_snippet(line, 120))),
                                      status=200, url=self._url(path))
                if record.get('error'):
                    raise OllamaError('Ollama at %s reported an error during %s %s: %s' % (self.base_url, method, path, to_text(record['error'])),
                                      status=200, url=self._url(path))
                yield record
        except RequestError as exc:
            raise self._error(exc, method, path, midstream=started)
        finally:
            lines.close()

    @staticmethod
    def _name(name):
        if isinstance(name, ModelName):
            return name.short
        return to_text(name)

    # -- endpoints -----------------------------------------------------------------------------------------------

    def version(self):
        """``GET /api/version`` -> the server's version string."""
        data = self._json('GET', '/api/version')
        if not isinstance(data, dict) or 'version' not in data:
            raise OllamaError('Ollama at %s answered /api/version without a version: %s' % (self.base_url, _snippet(json.dumps(data))),
                              url=self._url('/api/version'))
        return to_text(data['version'])

    def _model_list(self, path):
        data = self._json('GET', path)
        models = data.get('models') if isinstance(data, dict) else None
        if models is None and isinstance(data, dict) and 'models' in data:
            return []  # Ollama sends "models": null on some versions when nothing is installed
        if not isinstance(models, list):
            raise OllamaError('Ollama at %s answered %s with something that is not a model list: %s'
                              % (self.base_url, path, _snippet(json.dumps(data))), url=self._url(path))
        return models

    def tags(self):
        """``GET /api/tags`` -> the installed models, as Ollama lists them (``name``, ``digest``, ``size``, ...)."""
        return self._model_list('/api/tags')

    def find(self, name):
        """The ``/api/tags`` entry of ``name`` (a str, any registry, or a ModelName), or ``None``. One request."""
        key = model_key(name)
        return index_models(self.tags()).get(key)

    def delete(self, name):
        """``DELETE /api/delete`` -> ``True`` when removed, ``False`` when Ollama did not have it (404)."""
        try:
            request_json('DELETE', self._url('/api/delete'), payload={'model': self._name(name)}, **self._kwargs())
        except RequestError as exc:
            if exc.status == 404:
                return False
            raise self._error(exc, 'DELETE', '/api/delete')
        return True

    def pull(self, name, insecure=False, on_progress=None, timeout=None, resolve=True):
        """``POST /api/pull`` and follow its NDJSON progress stream line by line until ``success``.

        :param on_progress: called with each progress record (a dict) as it arrives.
        :param timeout: seconds the whole pull may take, also the longest silence allowed between two records
            (Ollama is silent while it verifies a large layer); default :data:`DEFAULT_PULL_TIMEOUT`.
        :param resolve: look the model up in ``/api/tags`` afterwards (one more request) to report its digest and
            size; with ``False`` they are ``None`` (a caller pulling many models lists them once at the end).
        :returns: ``{'name', 'digest', 'size', 'duration'}``, ``duration`` in seconds.
        :raises OllamaError: on an ``{"error": ...}`` record (Ollama keeps HTTP 200 mid-stream), a line that is not
            JSON, a stream that ends without ``success``, a lost connection, or the time limit.
        """
        timeout = timeout or DEFAULT_PULL_TIMEOUT
        shown = self._name(name)
        payload = {'model': shown, 'stream': True}
        if insecure:
            payload['insecure'] = True
        start = time.monotonic()
        last = None
        success = False
        records = self._stream('POST', '/api/pull', payload, timeout=timeout)
        try:
            for record in records:
                last = record
                if on_progress is not None:
                    on_progress(record)
                if record.get('status') == 'success':
                    success = True
                    break
                if time.monotonic() - start > timeout:
                    raise OllamaError('The pull of %s from Ollama at %s did not finish within %s seconds (last status: %s)'
                                      % (_quote(shown), self.base_url, timeout, _quote(record.get('status', ''))),
                                      url=self._url('/api/pull'))
        finally:
            records.close()
        duration = time.monotonic() - start
        if not success:
            raise OllamaError('The pull stream of %s from Ollama at %s ended before "success" (last status: %s): the pull is incomplete'
                              % (_quote(shown), self.base_url, _quote((last or {}).get('status', 'nothing received'))),
                              status=200, url=self._url('/api/pull'))
        result = {'name': shown, 'digest': None, 'size': None, 'duration': duration}
        if resolve:
            entry = self.find(name)
            if entry is None:
                raise OllamaError('Ollama at %s reported success pulling %s but /api/tags does not list it' % (self.base_url, _quote(shown)),
                                  url=self._url('/api/tags'))
            result['digest'] = entry.get('digest')
            result['size'] = entry.get('size')
        return result

    def generate(self, model, prompt, options=None, stream=False, keep_alive=None):
        """``POST /api/generate`` -> the generated text (the streamed chunks joined when ``stream=True``)."""
        payload = {'model': self._name(model), 'prompt': prompt, 'stream': bool(stream)}
        if options:
            payload['options'] = options
        if keep_alive is not None:
            payload['keep_alive'] = keep_alive
        if not stream:
            data = self._json('POST', '/api/generate', payload)
            if not isinstance(data, dict) or 'response' not in data:
                raise OllamaError('Ollama at %s answered /api/generate without a response: %s' % (self.base_url, _snippet(json.dumps(data))),
                                  url=self._url('/api/generate'))
            return to_text(data['response'])
        chunks = []
        done = False
        records = self._stream('POST', '/api/generate', payload)
        try:
            for record in records:
                chunks.append(to_text(record.get('response') or ''))
                if record.get('done'):
                    done = True
                    break
        finally:
            records.close()
        if not done:
            raise OllamaError('The /api/generate stream from Ollama at %s ended before "done": the answer is incomplete' % self.base_url,
                              status=200, url=self._url('/api/generate'))
        return ''.join(chunks)
