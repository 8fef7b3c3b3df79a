#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: service_health
short_description: Check that the services of the AI coding platform answer (HTTP, TCP, systemd, Docker, Ollama)
version_added: 0.1.0
description:
  - Runs a list of health checks on the managed host and reports each one - whether it passed, why, how long it took
    and how many attempts it needed - then fails, naming the failed checks, unless O(fail_on_error=false).
  - "Check types: V(http) (status, JSON keys, body text), V(tcp) (a port accepts connections), V(systemd) (a unit is
    active), V(docker) (a container is healthy, or running when it has no healthcheck) and V(ollama) (the API answers,
    its version, installed models, and optionally a short generation)."
  - Every check is validated before anything is sent or run; a bad check fails the task with a message naming the
    check (its position in O(checks) and its name), the option, the value and the rule, and no check runs. URLs are
    refused with spaces, control or invisible characters, a port that is not a number from 1 to 65535, no host, or
    another scheme than C(http)/C(https); a boolean is not a port, a timeout or a count. Header values, and the
    user name and password of a URL, are never shown in a message.
  - O(checks[].timeout) bounds each attempt as a whole, not each read - see O(checks[].timeout).
  - Checks run one after another. After a round, the failed checks wait O(delay) seconds and run again, up to
    O(retries) more times; checks that passed are not run again.
  - Pass RV(checks) to the P(selfhosted.ai_coding.health_table#filter) filter for an aligned text table.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Only reads, so it runs the checks in check mode too (an V(ollama) check with O(checks[].generate) still loads the model).
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  idempotent:
    description: Never changes anything and always reports C(changed=false).
    support: full
  action_group:
    description: Use C(group/selfhosted.ai_coding.ollama) in C(module_defaults) to set O(url), O(timeout), O(validate_certs) and O(headers) once.
    support: full
    membership:
      - selfhosted.ai_coding.ollama
options:
  checks:
    description:
      - The checks to run, in this order.
      - The module checks every option of every check itself (the argument spec takes them as they come, hence
        C(raw) below), so that each refusal names the check by its position and name, and a boolean is never taken
        for a number, nor a string for a list. The kind each option wants is said first in its description.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - A string, required. A name for the report, unique within O(checks); one line, at most 200 characters.
        type: raw
      type:
        description:
          - A string, required. The kind of check, one of V(http), V(tcp), V(systemd), V(docker) and V(ollama); each
            takes only its own options below.
        type: raw
      url:
        description:
          - A string. For V(http) (required), the URL to ask, V(http://...) or V(https://...). Redirects are followed.
          - For V(ollama), the base URL of the Ollama API; defaults to the top-level O(url).
          - Refused with a space, a control or invisible character, a port that is not a number from 1 to 65535, or no
            host. Credentials in it (V(https://user:password@host/)) answer a server's basic-auth challenge and are never
            shown in a message or a detail.
        type: raw
      method:
        description:
          - A string. V(http) only. The HTTP method - V(GET), V(HEAD), V(POST), V(PUT), V(DELETE), V(OPTIONS) or
            V(PATCH), in upper or lower case; V(GET) when not given.
        type: raw
      status:
        description:
          - An integer or a list of integers (a string of three digits is taken too). V(http) only. The HTTP status, or
            list of statuses, that count as healthy (each 100 to 599); V(200) when not given. A status outside 2xx
            (V(401) from a login-protected app, say) may be listed too.
        type: raw
      json_keys:
        description:
          - A list of strings (a single string is refused, not split). V(http) only. Keys that must exist in the JSON
            body. A dotted path goes into nested objects, and a number picks a list element (V(data.items.0.id)).
        type: raw
      body_contains:
        description: A string, one line. V(http) only. Text the body must contain (case-sensitive).
        type: raw
      headers:
        description:
          - A mapping. V(http) and V(ollama). Request headers (an auth proxy's token, say). Their values are secrets
            and are never shown.
          - Each name must be an HTTP token (letters, digits and C(!#$%&'*+-.^_`|~)); each value a string or a number, one
            line of latin-1 text (no line break or other control character). A bad value is refused before anything is
            sent, naming the header, never quoting the value.
          - For V(ollama) checks the top-level O(headers) apply when this is not given; V(http) checks never get them.
        type: raw
      validate_certs:
        description:
          - A boolean. V(http) and V(ollama). Verify TLS certificates; defaults to the top-level O(validate_certs).
        type: raw
      ca_path:
        description:
          - A string. V(http) and V(ollama). The PEM file of CA certificates (or the server's own self-signed
            certificate) to verify an V(https://) URL with, instead of the system's; defaults to the top-level
            O(ca_path). An absolute path of a readable file on the managed host.
        type: raw
      host:
        description: A string. V(tcp) only, required. Host name or IP address to connect to.
        type: raw
      port:
        description:
          - An integer (or a string of digits; a boolean is refused). V(tcp) only, required. TCP port, 1 to 65535.
        type: raw
      unit:
        description: A string. V(systemd) only, required. The unit; healthy when C(systemctl is-active) says C(active).
        type: raw
      container:
        description:
          - A string. V(docker) only, required. Container name or ID.
          - Healthy when its healthcheck says C(healthy), or, for a container without healthcheck, when it is
            C(running); the detail says which of the two applied.
        type: raw
      min_version:
        description:
          - A string. V(ollama) only. The lowest acceptable Ollama version, for example V(0.17.1).
          - Quote a two-part version (V("0.10")); a bare number with a fraction is refused, as YAML reads C(0.10) as
            C(0.1).
        type: raw
      models:
        description:
          - A list of strings (a single string is refused, not split). V(ollama) only. Models that must be installed
            (C(GET /api/tags)), in any name form Ollama accepts.
        type: raw
      generate:
        description:
          - A boolean. V(ollama) only. Run a smoke test - C(POST /api/generate) with a one-line prompt, at most 16
            tokens, which must return non-empty text. The first generation loads the model, so give this check a
            generous O(checks[].timeout).
          - Defaults to V(false).
        type: raw
      generate_model:
        description:
          - A string. V(ollama) only. The model for O(checks[].generate); defaults to the first of O(checks[].models).
        type: raw
      timeout:
        description:
          - A number (or a string holding one; a boolean is refused). V(http), V(tcp) and V(ollama). Seconds one
            attempt of this check may take in all, more than 0 and at most 3600; defaults to the top-level O(timeout).
          - It bounds the whole attempt, not each read - for V(http) the connect, TLS, redirects, headers and the whole
            body; for V(ollama) all its requests together (version, tags and the generation); for V(tcp) the name
            lookup and the connect. A server that trickles its answer a byte at a time fails the check at the limit,
            with C(timed out) in its detail.
        type: raw
  retries:
    description:
      - How many more times a failed check is run (so at most O(retries) + 1 attempts). V(0) runs each check once.
      - A whole number from 0 to 1000 (or a string of digits); a boolean is refused.
    type: raw
    default: 3
  delay:
    description:
      - Seconds to wait before running the failed checks again.
      - A number from 0 to 3600 (or a string holding one); a boolean is refused.
    type: raw
    default: 2
  timeout:
    description:
      - Seconds one attempt of a V(http), V(tcp) or V(ollama) check may take in all (not per read), unless the check
        sets its own; see O(checks[].timeout).
      - A number more than 0 and at most 3600 (or a string holding one); a boolean is refused.
    type: raw
    default: 10
  fail_on_error:
    description:
      - Fail the task when a check fails. With V(false) the task succeeds and RV(ok) says whether all checks passed.
    type: bool
    default: true
  url:
    description:
      - Base URL of the Ollama API for V(ollama) checks that give no O(checks[].url).
      - Shared with the other modules of the C(group/selfhosted.ai_coding.ollama) action group.
    type: str
    default: http://127.0.0.1:11434
  validate_certs:
    description: Verify TLS certificates for V(http) and V(ollama) checks that do not say otherwise.
    type: bool
    default: true
  ca_path:
    description:
      - The PEM file of CA certificates to verify V(https://) URLs with, for V(http) and V(ollama) checks that give no
        O(checks[].ca_path); the system's CAs when not given. An absolute path of a readable file on the managed host.
    type: path
  headers:
    description:
      - Extra headers for V(ollama) checks that give no O(checks[].headers), for an authenticating proxy in front of
        Ollama. The values are secrets; they are never logged or shown.
      - A mapping, with names and values as for O(checks[].headers).
    type: raw
notes:
  - C(systemctl is-active) and C(docker inspect) run through the module's command runner, which has no time limit;
    bound the task with the C(timeout) keyword if the Docker daemon may hang.
  - The limit of O(checks[].timeout) is kept with an interval timer (C(SIGALRM)) that interrupts a blocked connect or
    read. Were a timer already running in the module's process, an V(http) check would still read its body against
    the limit (each read gets only the time left), but its connect and headers would be bounded per read only.
  - Versions are compared number by number (C(0.17.10) is newer than C(0.17.9)); a pre-release (C(0.18.0-rc1)) is
    older than its release. A development build reporting C(0.0.0) fails any O(checks[].min_version).
seealso:
  - module: ansible.builtin.uri
    description: One HTTP request, with C(until)/C(retries) in the task.
  - module: ansible.builtin.wait_for
    description: Wait for a port or a file.
  - module: selfhosted.ai_coding.ollama_model
    description: Install the models an V(ollama) check expects.
  - plugin: selfhosted.ai_coding.health_table
    plugin_type: filter
    description: Print RV(checks) as an aligned table.
"""

EXAMPLES = r"""
- name: Check the whole platform
  selfhosted.ai_coding.service_health:
    checks:
      - name: ollama
        type: ollama
        min_version: 0.17.1
        models: [qwen2.5-coder:7b]
        generate: true
        timeout: 120
      - name: ollama-unit
        type: systemd
        unit: ollama.service
      - name: openhands
        type: http
        url: http://127.0.0.1:3000/
        body_contains: OpenHands
      - name: coolify-api
        type: http
        url: http://127.0.0.1:8000/api/health
        status: [200, 401]
      - name: coolify-db
        type: docker
        container: coolify-db
      - name: ssh
        type: tcp
        host: 127.0.0.1
        port: 22
  register: health

- name: Show the report
  ansible.builtin.debug:
    msg: "{{ health.checks | selfhosted.ai_coding.health_table }}"

- name: Report without failing, then decide
  selfhosted.ai_coding.service_health:
    retries: 10
    delay: 3
    fail_on_error: false
    checks:
      - name: reverse-proxy
        type: http
        url: https://ai.example.org/healthz
        json_keys: [status, checks.db]
  register: proxy_health

- name: Check Ollama behind an authenticating proxy, URL and token set once for the play
  hosts: ai
  module_defaults:
    group/selfhosted.ai_coding.ollama:
      url: https://ollama.example.org
      headers:
        Authorization: "Bearer {{ ollama_proxy_token }}"
  tasks:
    - name: Check Ollama
      selfhosted.ai_coding.service_health:
        checks:
          - name: ollama
            type: ollama
"""

RETURN = r"""
ok:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: false
msg:
  description: A summary, naming the failed checks and why.
  returned: always
  type: str
  sample: "1 of 3 health checks failed: openhands (http): HTTP 502 Bad Gateway, expected 200"
checks:
  description: One entry per check, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The check's name.
      type: str
      returned: always
      sample: ollama
    type:
      description: The check's type.
      type: str
      returned: always
      sample: ollama
    ok:
      description: Whether the check passed (on its last attempt).
      type: bool
      returned: always
      sample: true
    detail:
      description: What the last attempt found, in words.
      type: str
      returned: always
      sample: "version 0.17.4; models present: qwen2.5-coder:7b; generate with qwen2.5-coder:7b answered 2 characters"
    elapsed_ms:
      description: Milliseconds the last attempt took.
      type: int
      returned: always
      sample: 842
    attempts:
      description: How many times the check ran.
      type: int
      returned: always
      sample: 1
"""

import json
import re
import socket
import time
from collections.abc import Mapping

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import check_ca_path, check_timeout
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    RequestError,
    header_problem,
    redact_url,
    request,
    scrub,
    status_text,
    time_limit,
    url_secrets,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    DEFAULT_URL,
    ModelNameError,
    OllamaClient,
    OllamaError,
    index_models,
    validate_model_name,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    HOST_RE,
    InvalidValue,
    bad_chars,
    check_port,
    check_str_list,
    check_text,
    check_url,
    show,
    type_name,
)

CHECK_TYPES = ('http', 'tcp', 'systemd', 'docker', 'ollama')
HTTP_METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
# The options each type takes besides name and type.
TYPE_OPTIONS = {
    'http': ('url', 'method', 'status', 'json_keys', 'body_contains', 'headers', 'validate_certs', 'ca_path', 'timeout'),
    'tcp': ('host', 'port', 'timeout'),
    'systemd': ('unit',),
    'docker': ('container',),
    'ollama': ('url', 'min_version', 'models', 'generate', 'generate_model', 'headers', 'validate_certs', 'ca_path', 'timeout'),
}
CHECK_OPTIONS = ('name', 'type', 'url', 'method', 'status', 'json_keys', 'body_contains', 'headers', 'validate_certs', 'ca_path', 'host',
                 'port', 'unit', 'container', 'min_version', 'models', 'generate', 'generate_model', 'timeout')
REQUIRED = {'http': ('url',), 'tcp': ('host', 'port'), 'systemd': ('unit',), 'docker': ('container',), 'ollama': ()}

# Sane upper bounds: a check attempt longer than an hour, or more than a thousand retries, is a typo.
MAX_TIMEOUT = 3600
MAX_DELAY = 3600
MAX_RETRIES = 1000
MAX_NAME_LEN = 200

GENERATE_PROMPT = 'Reply with the single word: ok'
GENERATE_OPTIONS = {'num_predict': 16, 'temperature': 0}

# A number of seconds or a count written as text ("10", "2.5"), as a templated value may arrive.
_NUMBER_TEXT = re.compile(r'^[0-9]{1,9}(\.[0-9]{1,9})?$')
# systemd.unit(5): unit names are made of ASCII letters, digits, ":", "-", "_", ".", "\" and "@" for templates.
_UNIT = re.compile(r'^[A-Za-z0-9:_.\\@-]+$')
# Docker container names ([a-zA-Z0-9][a-zA-Z0-9_.-]+, optionally with the leading "/" inspect shows) and IDs.
_CONTAINER = re.compile(r'^/?[A-Za-z0-9][A-Za-z0-9_.-]*$')
# A bare IPv6 address, as socket.create_connection takes it.
_IPV6 = re.compile(r'^[0-9A-Fa-f:.]+$')
_VERSION = re.compile(r'^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$')


class CheckError(ValueError):
    """A check broke a rule; the message names the check, the value and the rule."""


def version_key(text):
    """A sortable key for a version string, or None when it does not start with a number.

    Numbers compare as numbers (``0.17.10`` > ``0.17.9``), missing parts count as 0 (``0.17`` == ``0.17.0``), and a
    pre-release suffix starting with ``-`` (``0.18.0-rc1``) sorts before the release. Anything after ``+`` (build
    metadata) is ignored. Small on purpose instead of LooseVersion, which raises TypeError on ``0.18.0-rc1`` vs
    ``0.18.0`` under Python 3.
    """
    match = _VERSION.match(to_text(text or ''))
    if not match:
        return None
    numbers = [int(part) for part in match.group(1).split('.')]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    suffix = match.group(2).split('+', 1)[0]
    return (tuple(numbers), 0 if suffix.startswith('-') else 1, suffix)


def json_has_path(data, path):
    """Whether ``path`` (``a.b.0.c``) exists in ``data``: dict keys by name, list elements by index."""
    node = data
    for part in path.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _snippet(text, limit=120):
    text = ' '.join(to_text(text, errors='surrogate_or_replace').split())
    return text if len(text) <= limit else text[:limit] + '...'


def _join(items):
    return ', '.join(items)


def _seconds(value):
    return '%g' % value


def check_seconds(value, name, maximum, allow_zero=False):
    """A number of seconds up to ``maximum``: a number, or text holding one (``"2.5"``, as a templated value may
    arrive); a boolean is not a number. More than 0 (via _api.check_timeout) unless ``allow_zero``."""
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        value = float(value)
    if not allow_zero:
        return check_timeout(value, name, maximum=maximum)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValue('%s must be a number of seconds from 0 to %s, got a %s (%s)' % (name, maximum, type_name(value), show(value)))
    if not 0 <= value <= maximum:  # NaN fails this too
        raise InvalidValue('%s is %s: it must be a number of seconds from 0 to %s' % (name, show(value), maximum))
    return value


def check_count(value, name, maximum):
    """A whole number from 0 to ``maximum`` (``retries``); text holding one is taken, a boolean is not a number."""
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) < 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue('%s must be a whole number from 0 to %d, got a %s (%s)' % (name, maximum, type_name(value), show(value)))
    if not 0 <= value <= maximum:
        raise InvalidValue('%s is %s: it must be a whole number from 0 to %d' % (name, show(value), maximum))
    return value


def check_bool(value, name):
    """A boolean as Ansible reads one (true/false, yes/no, on/off, 1/0); text with a control character is refused,
    not stripped to a boolean ("yes\n")."""
    if isinstance(value, str):
        check_text(value, name, max_len=8)
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise InvalidValue('%s must be true or false, got a %s (%s)' % (name, type_name(value), show(value)))


def check_headers(value, name):
    """Request headers: a mapping of header names (tokens) to one-line latin-1 values; a value is never shown."""
    if not isinstance(value, Mapping):
        raise InvalidValue('%s must be a mapping of header names to values, got a %s' % (name, type_name(value)))
    out = {}
    for key, item in value.items():
        problem = header_problem(key, item)
        if problem:
            raise InvalidValue('%s: %s' % (name, problem))
        out[key] = item if isinstance(item, str) else to_text(item)
    return out


def check_url_masked(value, name):
    """_validate.check_url, with the credentials of the URL (``user:password@``, ``?token=``) never in the message."""
    try:
        return check_url(value, name)
    except InvalidValue:
        masked = redact_url(value) if isinstance(value, str) else value
        if masked == value:
            raise
    check_url(masked, name)  # a refusal of the masked URL quotes the masked URL
    raise InvalidValue('%s is %s: its user name or password is not valid in a URL (spaces, control characters, "/", "?", '
                       '"#" and "@" must be percent-encoded); it is not shown' % (name, show(masked)))


def secret_strings(value):
    """Every non-blank scalar in ``value`` (a header map), as text: what a check's detail must never show."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from secret_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from secret_strings(item)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = to_text(value)
        if text.strip():
            yield text


class Check(object):
    """One validated check: its options resolved against the top-level defaults."""

    def __init__(self, position, raw, defaults):
        self.position = position
        self.label = 'checks[%d]' % position
        name, url = raw.get('name'), raw.get('url')
        if isinstance(name, str) and name.strip() and len(name) <= MAX_NAME_LEN and not bad_chars(name):
            self.label += ' (name %s)' % show(name)
        elif isinstance(url, str):
            self.label += ' (url %s)' % show(redact_url(url))
        if name is None or name == '':
            self.fail('name is missing; every check needs a name for the report')
        self.name = self._valid(check_text, name, 'name', max_len=MAX_NAME_LEN)
        self.type = raw.get('type')
        if self.type is None:
            self.fail('type is missing; it must be one of %s' % _join(CHECK_TYPES))
        if self.type not in CHECK_TYPES:
            self.fail('type is %s: it must be one of %s' % (show(self.type), _join(CHECK_TYPES)))
        given = sorted(key for key, value in raw.items() if value is not None and key not in ('name', 'type'))
        foreign = [key for key in given if key not in TYPE_OPTIONS[self.type]]
        if foreign:
            self.fail('%s %s not apply to type %s, which takes %s'
                      % (_join(foreign), 'does' if len(foreign) == 1 else 'do', self.type, _join(TYPE_OPTIONS[self.type])))
        missing = [key for key in REQUIRED[self.type] if raw.get(key) in (None, '')]
        if missing:
            self.fail('type %s needs %s' % (self.type, _join(missing)))
        self.raw = raw
        if raw.get('timeout') is not None:
            self.timeout = self._valid(check_seconds, raw['timeout'], 'timeout', maximum=MAX_TIMEOUT)
        else:
            self.timeout = defaults['timeout']
        if raw.get('validate_certs') is not None:
            self.validate_certs = self._valid(check_bool, raw['validate_certs'], 'validate_certs')
        else:
            self.validate_certs = defaults['validate_certs']
        if raw.get('ca_path') is not None:
            self.ca_path = self._valid(check_ca_path, raw['ca_path'], 'ca_path')
        else:
            self.ca_path = defaults['ca_path']
        self.headers = {}
        getattr(self, '_validate_' + self.type)(raw, defaults)
        # Text never shown in a detail: the header values and the URL's credentials.
        self.secrets = list(secret_strings(self.headers)) + url_secrets(getattr(self, 'url', None))

    def fail(self, rule):
        raise CheckError('%s: %s' % (self.label, rule))

    def _valid(self, checker, value, option, **kwargs):
        """``checker(value, option, **kwargs)`` (a _validate-style check); its refusal fails the check, naming it."""
        try:
            return checker(value, option, **kwargs)
        except InvalidValue as exc:
            self.fail(to_native(exc))

    def _validate_http(self, raw, defaults):
        self.url = self._valid(check_url_masked, raw['url'], 'url')
        method = raw.get('method')
        if method is None:
            self.method = 'GET'
        elif not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            self.fail('method is %s: it must be one of %s' % (show(method), _join(HTTP_METHODS)))
        else:
            self.method = method.upper()
        if raw.get('headers') is not None:
            self.headers = self._valid(check_headers, raw['headers'], 'headers')
        status = raw.get('status')
        statuses = status if isinstance(status, list) else [200 if status is None else status]
        self.statuses = []
        for value in statuses:
            code = None
            if isinstance(value, int) and not isinstance(value, bool):
                code = value
            elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 3:
                code = int(value)
            if code is None or not 100 <= code <= 599:
                self.fail('status %s must be an HTTP status from 100 to 599, or a list of them' % show(value))
            self.statuses.append(code)
        if not self.statuses:
            self.fail('status is an empty list; give at least one HTTP status')
        self.json_keys = []
        if raw.get('json_keys') is not None:
            self.json_keys = self._valid(check_str_list, raw['json_keys'], 'json_keys')
        for key in self.json_keys:
            if '' in key.split('.'):
                self.fail('json_keys entry %s is not a key or a dotted path (a.b.0.c)' % show(key))
        self.body_contains = None
        if raw.get('body_contains') is not None:
            if raw['body_contains'] == '':
                self.fail('body_contains is empty; every body contains the empty text, so leave it out')
            self.body_contains = self._valid(check_text, raw['body_contains'], 'body_contains')
        if self.method == 'HEAD' and (self.json_keys or self.body_contains is not None):
            self.fail('method HEAD gets no body, so json_keys and body_contains cannot be checked; use GET')

    def _validate_tcp(self, raw, defaults):
        host = self._valid(check_text, raw['host'], 'host', max_len=255)
        bare = host[1:-1] if host.startswith('[') and host.endswith(']') else host
        if not (HOST_RE.match(host) or (':' in bare and _IPV6.match(bare))):
            self.fail('host is %s: it must be a host name or an IP address (letters, digits, dots, dashes, or an IPv6 address)'
                      % show(host))
        self.host = bare
        self.port = self._valid(check_port, raw['port'], 'port')

    def _validate_systemd(self, raw, defaults):
        self.unit = self._valid(check_text, raw['unit'], 'unit', max_len=256)
        if not _UNIT.match(self.unit) or self.unit.startswith('-'):
            self.fail('unit %s is not a systemd unit name (letters, digits and ":-_.\\@", not starting with "-")' % show(self.unit))

    def _validate_docker(self, raw, defaults):
        self.container = self._valid(check_text, raw['container'], 'container', max_len=256)
        if not _CONTAINER.match(self.container):
            self.fail('container %s is not a container name or ID (a letter or digit, then letters, digits, "_", "." or "-")'
                      % show(self.container))

    def _validate_ollama(self, raw, defaults):
        if raw.get('url') is not None:
            self.url = self._valid(check_url_masked, raw['url'], 'url')
        else:
            self.url = defaults['url']
        if raw.get('headers') is not None:
            self.headers = self._valid(check_headers, raw['headers'], 'headers')
        else:
            self.headers = defaults.get('headers') or {}
        self.min_version = raw.get('min_version')
        if self.min_version is not None:
            if isinstance(self.min_version, float):
                self.fail('min_version is %s, a number: quote the version (min_version: "%s"), as YAML reads 0.10 as 0.1'
                          % (show(self.min_version), self.min_version))
            if isinstance(self.min_version, int) and not isinstance(self.min_version, bool):
                self.min_version = str(self.min_version)
            self._valid(check_text, self.min_version, 'min_version', max_len=64)
            if version_key(self.min_version) is None:
                self.fail('min_version %s is not a version such as 0.17.1' % show(self.min_version))
        self.models = []
        if raw.get('models') is not None:
            self.models = self._valid(check_str_list, raw['models'], 'models', item_check=self._model)
        self.generate = False
        if raw.get('generate') is not None:
            self.generate = self._valid(check_bool, raw['generate'], 'generate')
        self.generate_model = None
        if raw.get('generate_model') is not None:
            if not self.generate:
                self.fail('generate_model is set but generate is not true; set generate: true to run the smoke test')
            self._valid(check_text, raw['generate_model'], 'generate_model')
            self.generate_model = self._valid(self._model, raw['generate_model'], 'generate_model')
        elif self.generate:
            if not self.models:
                self.fail('generate needs a model: set generate_model or list one in models')
            self.generate_model = self.models[0]

    def _model(self, name, option):
        try:
            return validate_model_name(name, allowed_registries=None)
        except ModelNameError as exc:
            text = to_native(exc)
            raise InvalidValue(text if text.startswith(option + ':') else '%s: %s' % (option, text))


class HealthChecker(object):
    """Runs validated checks with retries and builds the report."""

    def __init__(self, module, checks, retries, delay):
        self.module = module
        self.checks = checks
        self.retries = retries
        self.delay = delay

    @staticmethod
    def pause(seconds):
        time.sleep(seconds)

    def run(self):
        results = [None] * len(self.checks)
        pending = list(range(len(self.checks)))
        for attempt in range(1, self.retries + 2):
            for position in pending:
                results[position] = self.run_one(self.checks[position], attempt)
            pending = [position for position in pending if not results[position]['ok']]
            if not pending or attempt > self.retries:
                break
            self.pause(self.delay)
        return results

    def run_one(self, check, attempt):
        start = time.monotonic()
        try:
            ok, detail = getattr(self, 'check_' + check.type)(check)
        except Exception as exc:  # one broken check must not hide the report of the others
            ok, detail = False, 'the check itself failed: %s: %s' % (type(exc).__name__, to_native(exc))
        elapsed = int(round((time.monotonic() - start) * 1000))
        detail = scrub(detail, check.secrets)
        return {'name': check.name, 'type': check.type, 'ok': bool(ok), 'detail': detail, 'elapsed_ms': elapsed, 'attempts': attempt}

    # -- the checks: each returns (ok, detail) ------------------------------------------------------------------

    def check_http(self, check):
        try:
            resp = request(check.method, check.url, headers=check.headers, timeout=check.timeout, total_timeout=check.timeout,
                           validate_certs=check.validate_certs, ca_path=check.ca_path)
            status, body = resp.status, resp.text
        except RequestError as exc:
            if exc.status is None and exc.timed_out:
                return False, 'timed out: no complete answer from %s within %s seconds' % (redact_url(check.url), _seconds(check.timeout))
            if exc.status is None:
                return False, 'no answer from %s: %s' % (redact_url(check.url), exc.reason)
            status, body = exc.status, exc.body
        said = 'HTTP %s %s' % (status, status_text(status))
        if status not in check.statuses:
            text = _snippet(body)
            return False, '%s, expected %s%s' % (said, ' or '.join(str(code) for code in check.statuses), (': %s' % text) if text else '')
        if check.body_contains is not None and check.body_contains not in body:
            return False, '%s, but the body does not contain %r' % (said, check.body_contains)
        if check.json_keys:
            try:
                data = json.loads(body)
            except ValueError:
                return False, '%s, but the body is not JSON: %s' % (said, _snippet(body, 60) or 'empty')
            missing = [key for key in check.json_keys if not json_has_path(data, key)]
            if missing:
                return False, '%s, but the JSON lacks %s' % (said, _join(missing))
            said += ', JSON has %s' % _join(check.json_keys)
        if check.body_contains is not None:
            said += ', body contains %r' % check.body_contains
        return True, said

    def check_tcp(self, check):
        """Connect to each address of the host in turn, all of them within ``check.timeout`` together."""
        where = ('[%s]:%d' if ':' in check.host else '%s:%d') % (check.host, check.port)
        deadline = time.monotonic() + check.timeout
        try:
            addresses = socket.getaddrinfo(check.host, check.port, 0, socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return False, 'cannot resolve %s: %s' % (check.host, exc.strerror or exc)
        error = None
        for family, kind, proto, _name, address in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                error = socket.timeout()
                break
            conn = socket.socket(family, kind, proto)
            try:
                conn.settimeout(left)
                conn.connect(address)
            except OSError as exc:
                error = exc
                continue
            finally:
                conn.close()
            return True, 'connected to %s' % where
        if isinstance(error, socket.timeout):
            return False, 'no answer from %s within %s seconds' % (where, _seconds(check.timeout))
        if isinstance(error, ConnectionRefusedError):
            return False, 'connection to %s refused' % where
        return False, 'cannot connect to %s: %s' % (where, getattr(error, 'strerror', None) or error or 'no address')

    def _command(self, name):
        return self.module.get_bin_path(name)

    def check_systemd(self, check):
        systemctl = self._command('systemctl')
        if not systemctl:
            return False, 'systemctl is not installed on this host'
        rc, out, err = self.module.run_command([systemctl, 'is-active', check.unit])
        state = (out or '').strip().splitlines()[0] if (out or '').strip() else ''
        if rc == 0 and state == 'active':
            return True, 'active'
        return False, 'systemctl is-active %s says %s' % (check.unit, state or _snippet(err) or 'nothing (exit %d)' % rc)

    def check_docker(self, check):
        docker = self._command('docker')
        if not docker:
            return False, 'docker is not installed on this host'
        rc, out, err = self.module.run_command([docker, 'inspect', '--type', 'container', '--format', '{{json .State}}', check.container])
        if rc != 0:
            return False, 'docker inspect %s failed: %s' % (check.container, _snippet(err or out) or 'exit %d' % rc)
        try:
            state = json.loads(out)
        except ValueError:
            return False, 'docker inspect %s printed something that is not JSON: %s' % (check.container, _snippet(out, 60))
        if not isinstance(state, dict):
            return False, 'docker inspect %s printed no container state' % check.container
        status = to_text(state.get('Status') or 'unknown')
        health = state.get('Health') if isinstance(state.get('Health'), dict) else None
        if health and health.get('Status'):
            verdict = to_text(health['Status'])
            if verdict == 'healthy':
                return True, 'healthy (healthcheck)'
            log = health.get('Log') or []
            last = log[-1] if log and isinstance(log[-1], dict) else {}
            probe = _snippet(last.get('Output') or '', 100)
            return False, '%s (healthcheck, container %s)%s' % (verdict, status, ('; last probe: %s' % probe) if probe else '')
        if status == 'running':
            return True, 'running (no healthcheck)'
        detail = '%s (no healthcheck)' % status
        if status == 'exited':
            detail += ', exit code %s' % state.get('ExitCode')
        if state.get('Error'):
            detail += ': %s' % _snippet(state['Error'], 100)
        return False, detail

    def check_ollama(self, check):
        """The whole check - version, tags and the generation - must end within ``check.timeout``: at the limit its
        connections are shut down (_http.time_limit), and a check that failed then is reported as timed out."""
        with time_limit(check.timeout) as limit:
            ok, detail = self._ollama(check)
        if not ok and limit.expired:
            return False, 'timed out: Ollama at %s did not answer the whole check within %s seconds' % (
                redact_url(check.url), _seconds(check.timeout))
        return ok, detail

    def _ollama(self, check):
        client = OllamaClient(check.url, timeout=check.timeout, validate_certs=check.validate_certs, headers=check.headers,
                              ca_path=check.ca_path)
        try:
            version = client.version()
            parts = ['version %s' % version]
            if check.min_version is not None:
                have, want = version_key(version), version_key(check.min_version)
                if have is None:
                    return False, 'Ollama reports version %r, which cannot be compared with min_version %s' % (version, check.min_version)
                if have < want:
                    return False, 'version %s is older than min_version %s' % (version, check.min_version)
            wanted = list(check.models)
            if check.generate_model is not None and check.generate_model.key not in [model.key for model in wanted]:
                wanted.append(check.generate_model)
            if wanted:
                installed = index_models(client.tags())
                missing = [model.short for model in wanted if model.key not in installed]
                if missing:
                    return False, '%s; missing model(s): %s (installed: %s)' % (
                        parts[0], _join(missing), _join(sorted(entry.get('name') or '?' for entry in installed.values())) or 'none')
                parts.append('models present: %s' % _join(model.short for model in wanted))
            if check.generate:
                text = client.generate(check.generate_model.short, GENERATE_PROMPT, options=dict(GENERATE_OPTIONS))
                if not text.strip():
                    return False, '%s; generate with %s returned empty text' % ('; '.join(parts), check.generate_model.short)
                parts.append('generate with %s answered %d characters' % (check.generate_model.short, len(text.strip())))
        except OllamaError as exc:
            return False, to_native(exc.msg)
        return True, '; '.join(parts)


def summary(results):
    failed = [result for result in results if not result['ok']]
    if not failed:
        return 'all %d health checks passed' % len(results)
    return '%d of %d health checks failed: %s' % (
        len(failed), len(results), '; '.join('%s (%s): %s' % (result['name'], result['type'], result['detail']) for result in failed))


def _top(checker, value, option, **kwargs):
    try:
        return checker(value, option, **kwargs)
    except InvalidValue as exc:
        raise CheckError(to_native(exc))


def validate(params):
    """Validate the top-level options and every check, before any check runs.

    :returns: ``(checks, retries, delay)``, the checks as :class:`Check` objects.
    :raises CheckError: naming the option (and the check, by position and name) and the rule.
    """
    retries = _top(check_count, params['retries'], 'retries', maximum=MAX_RETRIES)
    delay = _top(check_seconds, params['delay'], 'delay', maximum=MAX_DELAY, allow_zero=True)
    defaults = {
        'timeout': _top(check_seconds, params['timeout'], 'timeout', maximum=MAX_TIMEOUT),
        'validate_certs': params['validate_certs'],
        'ca_path': _top(check_ca_path, params['ca_path'], 'ca_path') if params['ca_path'] is not None else None,
        'url': _top(check_url_masked, params['url'], 'url'),
        'headers': _top(check_headers, params['headers'], 'headers') if params['headers'] is not None else None,
    }
    if not params['checks']:
        raise CheckError('checks is empty; give at least one check')
    checks, seen = [], {}
    for position, raw in enumerate(params['checks']):
        check = Check(position, raw, defaults)
        if check.name in seen:
            check.fail('the name %s is already used by checks[%d]; names must be unique' % (show(check.name), seen[check.name]))
        seen[check.name] = position
        checks.append(check)
    return checks, retries, delay


def main():
    # Every option of a check is taken as it comes (raw) and checked by Check, so that each refusal names the check
    # (position and name), the option and the rule, and a boolean is never taken for a port or a number of seconds,
    # nor a string for a list. The spec still lists them, so that Ansible masks the header values (no_log) in every
    # output and log, a refusal included.
    check_options = dict((option, dict(type='raw')) for option in CHECK_OPTIONS)
    check_options['headers'] = dict(type='raw', no_log=True)
    check_options['json_keys'] = dict(type='raw', no_log=False)
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type='list', elements='dict', required=True, options=check_options),
            retries=dict(type='raw', default=3),
            delay=dict(type='raw', default=2),
            timeout=dict(type='raw', default=10),
            fail_on_error=dict(type='bool', default=True),
            url=dict(type='str', default=DEFAULT_URL),
            validate_certs=dict(type='bool', default=True),
            ca_path=dict(type='path'),
            headers=dict(type='raw', no_log=True),
        ),
        supports_check_mode=True,
    )
    # The credentials of every URL (no_log cannot say "the password part of this string").
    for raw in module.params['checks']:
        module.no_log_values.update(secret for secret in url_secrets(raw.get('url')) if len(secret) >= 4)
    module.no_log_values.update(secret for secret in url_secrets(module.params['url']) if len(secret) >= 4)
    try:
        checks, retries, delay = validate(module.params)
    except CheckError as exc:
        module.fail_json(msg=to_native(exc), changed=False)

    results = HealthChecker(module, checks, retries, delay).run()
    ok = all(result['ok'] for result in results)
    outcome = dict(changed=False, ok=ok, checks=results, msg=summary(results))
    if not ok and module.params['fail_on_error']:
        module.fail_json(**outcome)
    module.exit_json(**outcome)


if __name__ == '__main__':
    main()
