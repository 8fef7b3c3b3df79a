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
    check, the value and the rule.
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
    description: The checks to run, in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: A name for the report, unique within O(checks).
        type: str
        required: true
      type:
        description: The kind of check; each takes only its own options below.
        type: str
        required: true
        choices: [http, tcp, systemd, docker, ollama]
      url:
        description:
          - For V(http) (required), the URL to ask, V(http://...) or V(https://...). Redirects are followed.
          - For V(ollama), the base URL of the Ollama API; defaults to the top-level O(url).
        type: str
      method:
        description: V(http) only. The HTTP method; V(GET) when not given.
        type: str
        choices: [GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH]
      status:
        description:
          - V(http) only. The HTTP status, or list of statuses, that count as healthy (each 100 to 599); V(200) when not
            given. A status outside 2xx (V(401) from a login-protected app, say) may be listed too.
        type: raw
      json_keys:
        description:
          - V(http) only. Keys that must exist in the JSON body. A dotted path goes into nested objects, and a number
            picks a list element (V(data.items.0.id)).
        type: list
        elements: str
      body_contains:
        description: V(http) only. Text the body must contain (case-sensitive).
        type: str
      headers:
        description:
          - V(http) and V(ollama). Request headers (an auth proxy's token, say). Their values are secrets and are never shown.
          - For V(ollama) checks the top-level O(headers) apply when this is not given; V(http) checks never get them.
        type: dict
      validate_certs:
        description: V(http) and V(ollama). Verify TLS certificates; defaults to the top-level O(validate_certs).
        type: bool
      host:
        description: V(tcp) only, required. Host name or IP address to connect to.
        type: str
      port:
        description: V(tcp) only, required. TCP port, 1 to 65535.
        type: int
      unit:
        description: V(systemd) only, required. The unit; healthy when C(systemctl is-active) says C(active).
        type: str
      container:
        description:
          - V(docker) only, required. Container name or ID.
          - Healthy when its healthcheck says C(healthy), or, for a container without healthcheck, when it is
            C(running); the detail says which of the two applied.
        type: str
      min_version:
        description: V(ollama) only. The lowest acceptable Ollama version, for example V(0.17.1).
        type: str
      models:
        description: V(ollama) only. Models that must be installed (C(GET /api/tags)), in any name form Ollama accepts.
        type: list
        elements: str
      generate:
        description:
          - V(ollama) only. Run a smoke test - C(POST /api/generate) with a one-line prompt, at most 16 tokens, which
            must return non-empty text. The first generation loads the model, so give this check a generous O(checks[].timeout).
          - Defaults to V(false).
        type: bool
      generate_model:
        description: V(ollama) only. The model for O(checks[].generate); defaults to the first of O(checks[].models).
        type: str
      timeout:
        description: V(http), V(tcp) and V(ollama). Seconds this check may take per attempt; defaults to the top-level O(timeout).
        type: float
  retries:
    description: How many more times a failed check is run (so at most O(retries) + 1 attempts). V(0) runs each check once.
    type: int
    default: 3
  delay:
    description: Seconds to wait before running the failed checks again.
    type: float
    default: 2
  timeout:
    description: Seconds a V(http), V(tcp) or V(ollama) check may take per attempt, unless the check sets its own.
    type: float
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
  headers:
    description:
      - Extra headers for V(ollama) checks that give no O(checks[].headers), for an authenticating proxy in front of
        Ollama. The values are secrets; they are never logged or shown.
    type: dict
notes:
  - C(systemctl is-active) and C(docker inspect) run through the module's command runner, which has no time limit;
    bound the task with the C(timeout) keyword if the Docker daemon may hang.
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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import RequestError, request, status_text
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    DEFAULT_URL,
    ModelNameError,
    OllamaClient,
    OllamaError,
    index_models,
    validate_model_name,
)

CHECK_TYPES = ('http', 'tcp', 'systemd', 'docker', 'ollama')
HTTP_METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
# The options each type takes besides name and type.
TYPE_OPTIONS = {
    'http': ('url', 'method', 'status', 'json_keys', 'body_contains', 'headers', 'validate_certs', 'timeout'),
    'tcp': ('host', 'port', 'timeout'),
    'systemd': ('unit',),
    'docker': ('container',),
    'ollama': ('url', 'min_version', 'models', 'generate', 'generate_model', 'headers', 'validate_certs', 'timeout'),
}
REQUIRED = {'http': ('url',), 'tcp': ('host', 'port'), 'systemd': ('unit',), 'docker': ('container',), 'ollama': ()}

GENERATE_PROMPT = 'Reply with the single word: ok'
GENERATE_OPTIONS = {'num_predict': 16, 'temperature': 0}

_URL = re.compile(r'^https?://[^/\s?#]+', re.IGNORECASE)
# systemd.unit(5): unit names are made of ASCII letters, digits, ":", "-", "_", ".", "\" and "@" for templates.
_UNIT = re.compile(r'^[A-Za-z0-9:_.\\@-]+$')
# Docker container names ([a-zA-Z0-9][a-zA-Z0-9_.-]+, optionally with the leading "/" inspect shows) and IDs.
_CONTAINER = re.compile(r'^/?[A-Za-z0-9][A-Za-z0-9_.-]*$')
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


class Check(object):
    """One validated check: its options resolved against the top-level defaults."""

    def __init__(self, position, raw, defaults):
        self.position = position
        self.name = raw.get('name')
        self.label = 'checks[%d]' % position + (' (name %r)' % self.name if self.name else '')
        if not self.name or not to_text(self.name).strip():
            self.fail('name is empty; every check needs a name for the report')
        self.type = raw.get('type')
        if self.type not in CHECK_TYPES:
            self.fail('type %r is not one of %s' % (self.type, _join(CHECK_TYPES)))
        given = sorted(key for key, value in raw.items() if value is not None and key not in ('name', 'type'))
        foreign = [key for key in given if key not in TYPE_OPTIONS[self.type]]
        if foreign:
            self.fail('%s %s not apply to type %s, which takes %s'
                      % (_join(foreign), 'does' if len(foreign) == 1 else 'do', self.type, _join(TYPE_OPTIONS[self.type])))
        missing = [key for key in REQUIRED[self.type] if raw.get(key) in (None, '')]
        if missing:
            self.fail('type %s needs %s' % (self.type, _join(missing)))
        self.raw = raw
        self.timeout = raw.get('timeout') if raw.get('timeout') is not None else defaults['timeout']
        if self.timeout <= 0:
            self.fail('timeout %r must be more than 0 seconds' % self.timeout)
        self.validate_certs = raw['validate_certs'] if raw.get('validate_certs') is not None else defaults['validate_certs']
        getattr(self, '_validate_' + self.type)(raw, defaults)

    def fail(self, rule):
        raise CheckError('%s: %s' % (self.label, rule))

    def _url(self, url):
        url = to_text(url).strip()
        if not _URL.match(url):
            self.fail('url %r must start with http:// or https:// and name a host' % url)
        return url

    def _validate_http(self, raw, defaults):
        self.url = self._url(raw['url'])
        self.method = (raw.get('method') or 'GET').upper()
        self.headers = raw.get('headers') or {}
        status = raw.get('status')
        statuses = status if isinstance(status, list) else [200 if status is None else status]
        self.statuses = []
        for value in statuses:
            try:
                code = int(to_text(value).strip()) if not isinstance(value, bool) else None
            except ValueError:
                code = None
            if code is None or not 100 <= code <= 599:
                self.fail('status %r must be an HTTP status from 100 to 599, or a list of them' % (value,))
            self.statuses.append(code)
        if not self.statuses:
            self.fail('status is an empty list; give at least one HTTP status')
        self.json_keys = list(raw.get('json_keys') or [])
        for key in self.json_keys:
            if not key or '' in key.split('.'):
                self.fail('json_keys entry %r is not a key or a dotted path (a.b.0.c)' % key)
        self.body_contains = raw.get('body_contains')
        if self.body_contains == '':
            self.fail('body_contains is empty; every body contains the empty text, so leave it out')
        if self.method == 'HEAD' and (self.json_keys or self.body_contains is not None):
            self.fail('method HEAD gets no body, so json_keys and body_contains cannot be checked; use GET')

    def _validate_tcp(self, raw, defaults):
        self.host = to_text(raw['host']).strip()
        if not self.host or any(char.isspace() for char in self.host):
            self.fail('host %r must be a host name or an IP address' % raw['host'])
        self.port = raw['port']
        if not 1 <= self.port <= 65535:
            self.fail('port %r is outside 1-65535' % self.port)

    def _validate_systemd(self, raw, defaults):
        self.unit = to_text(raw['unit']).strip()
        if not _UNIT.match(self.unit) or self.unit.startswith('-'):
            self.fail('unit %r is not a systemd unit name (letters, digits and ":-_.\\@", not starting with "-")' % raw['unit'])

    def _validate_docker(self, raw, defaults):
        self.container = to_text(raw['container']).strip()
        if not _CONTAINER.match(self.container):
            self.fail('container %r is not a container name or ID (a letter or digit, then letters, digits, "_", "." or "-")'
                      % raw['container'])

    def _validate_ollama(self, raw, defaults):
        self.url = self._url(raw.get('url') or defaults['url'])
        self.headers = raw['headers'] if raw.get('headers') is not None else (defaults.get('headers') or {})
        self.min_version = raw.get('min_version')
        if self.min_version is not None and version_key(self.min_version) is None:
            self.fail('min_version %r is not a version such as 0.17.1' % self.min_version)
        self.models = [self._model(name, 'models') for name in raw.get('models') or []]
        self.generate = bool(raw.get('generate'))
        self.generate_model = None
        if raw.get('generate_model') is not None:
            if not self.generate:
                self.fail('generate_model is set but generate is not true; set generate: true to run the smoke test')
            self.generate_model = self._model(raw['generate_model'], 'generate_model')
        elif self.generate:
            if not self.models:
                self.fail('generate needs a model: set generate_model or list one in models')
            self.generate_model = self.models[0]

    def _model(self, name, option):
        try:
            return validate_model_name(name, allowed_registries=None)
        except ModelNameError as exc:
            self.fail('%s: %s' % (option, to_native(exc)))


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
        return {'name': check.name, 'type': check.type, 'ok': bool(ok), 'detail': detail, 'elapsed_ms': elapsed, 'attempts': attempt}

    # -- the checks: each returns (ok, detail) ------------------------------------------------------------------

    def check_http(self, check):
        try:
            resp = request(check.method, check.url, headers=check.headers, timeout=check.timeout, validate_certs=check.validate_certs)
            status, body = resp.status, resp.text
        except RequestError as exc:
            if exc.status is None:
                return False, 'no answer from %s: %s' % (check.url, exc.reason)
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
        where = '%s:%d' % (check.host, check.port)
        try:
            conn = socket.create_connection((check.host, check.port), timeout=check.timeout)
        except socket.gaierror as exc:
            return False, 'cannot resolve %s: %s' % (check.host, exc.strerror or exc)
        except socket.timeout:
            return False, 'no answer from %s within %s seconds' % (where, check.timeout)
        except ConnectionRefusedError:
            return False, 'connection to %s refused' % where
        except OSError as exc:
            return False, 'cannot connect to %s: %s' % (where, exc.strerror or exc)
        conn.close()
        return True, 'connected to %s' % where

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
        client = OllamaClient(check.url, timeout=check.timeout, validate_certs=check.validate_certs, headers=check.headers)
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


def validate(params):
    """Validate the top-level options and every check; return the Check objects. Raises CheckError."""
    if params['retries'] < 0:
        raise CheckError('retries %r must be 0 or more' % params['retries'])
    if params['delay'] < 0:
        raise CheckError('delay %r must be 0 or more seconds' % params['delay'])
    if params['timeout'] <= 0:
        raise CheckError('timeout %r must be more than 0 seconds' % params['timeout'])
    if not params['checks']:
        raise CheckError('checks is empty; give at least one check')
    defaults = dict((key, params[key]) for key in ('timeout', 'validate_certs', 'url', 'headers'))
    checks, seen = [], {}
    for position, raw in enumerate(params['checks']):
        check = Check(position, raw, defaults)
        if check.name in seen:
            check.fail('the name %r is already used by checks[%d]; names must be unique' % (check.name, seen[check.name]))
        seen[check.name] = position
        checks.append(check)
    return checks


def main():
    check_options = dict(
        name=dict(type='str', required=True),
        type=dict(type='str', required=True, choices=list(CHECK_TYPES)),
        url=dict(type='str'),
        method=dict(type='str', choices=list(HTTP_METHODS)),
        status=dict(type='raw'),
        json_keys=dict(type='list', elements='str', no_log=False),
        body_contains=dict(type='str'),
        headers=dict(type='dict', no_log=True),
        validate_certs=dict(type='bool'),
        host=dict(type='str'),
        port=dict(type='int'),
        unit=dict(type='str'),
        container=dict(type='str'),
        min_version=dict(type='str'),
        models=dict(type='list', elements='str'),
        generate=dict(type='bool'),
        generate_model=dict(type='str'),
        timeout=dict(type='float'),
    )
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type='list', elements='dict', required=True, options=check_options),
            retries=dict(type='int', default=3),
            delay=dict(type='float', default=2),
            timeout=dict(type='float', default=10),
            fail_on_error=dict(type='bool', default=True),
            url=dict(type='str', default=DEFAULT_URL),
            validate_certs=dict(type='bool', default=True),
            headers=dict(type='dict', no_log=True),
        ),
        supports_check_mode=True,
    )
    try:
        checks = validate(module.params)
    except CheckError as exc:
        module.fail_json(msg=to_native(exc), changed=False)

    results = HealthChecker(module, checks, module.params['retries'], module.params['delay']).run()
    ok = all(result['ok'] for result in results)
    outcome = dict(changed=False, ok=ok, checks=results, msg=summary(results))
    if not ok and module.params['fail_on_error']:
        module.fail_json(**outcome)
    module.exit_json(**outcome)


if __name__ == '__main__':
    main()
