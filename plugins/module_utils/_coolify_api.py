# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Coolify REST client of this collection (private: the API may change between releases).

Built on :mod:`._http` (``ansible.module_utils.urls.open_url``; nothing beyond the standard library on the host).
Paths follow Coolify's ``openapi.yaml`` (server ``<instance>/api/v1``, bearer auth); the contract test
``tests/integration/contract/test_coolify_contract.py`` checks every request and answer against it.

Public interface::

    read_token(api_token=None, api_token_file=None) -> str            raises CoolifyError (never quoting the token)
    check_token(token, name) -> str                                    raises InvalidValue (never quoting the token)
    api_base(api_url) -> 'http://host:8000/api/v1'
    CoolifyClient(api_url, token, timeout=30, validate_certs=True, ca_path=None)
        .health() -> str   .version() -> str
        .projects() -> [dict]   .project_by_name(name) -> dict | None   .create_project(name, description)
        .update_project(uuid, fields)   .delete_project(uuid)   .environment(project_uuid, name) -> dict | None
        .servers() -> [dict]   .server_uuid(name=None) -> str
        .applications() -> [dict]   .application(uuid) -> dict | None   .find_application(env_id, name) -> dict | None
        .create_application(source, payload) -> uuid   .update_application(uuid, fields)   .delete_application(uuid)
        .envs(uuid) -> [dict]   .create_env(uuid, payload)   .update_env(uuid, payload)   .delete_env(uuid, env_uuid)
        .deploy(uuid, force=False) -> [dict]   .deployment(uuid) -> dict
    CoolifyError(msg, status=None, url=None)     an _api.ApiError

    Module plumbing (the options of the selfhosted.ai_coding.coolify doc fragment):
    COMMON_ARGS; CoolifyModule(AnsibleModule) (type errors in the user's words; int and bool options checked as written)
    given(module, name) -> the value as the task wrote it   was_given(module, name) -> bool
    client_from_module(module) -> CoolifyClient (connection options checked first, the token added to no_log values)
    check_name / check_lookup_name / check_description / check_uuid (value, name) -> value    raise InvalidValue
    check_count(module, name, minimum=1, maximum=None) -> int   check_optional_str(module, name, check) -> value or None
    fail_invalid(module, check, *args) -> check(*args), or fail_json with the InvalidValue's text

Secrets: the token is checked (one word of visible ASCII) before it reaches a header, never quoted in a message, and
scrubbed from every error this client raises (server answers that echo it included). The client keeps no request it sent.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import (
    ApiClient,
    ApiError,
    check_base_url,
    check_ca_path,
    check_timeout,
    connection_spec,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    DEFAULT_TIMEOUT,
    RequestError,
    request,
    request_json,
    status_text,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    check_text,
    check_url,
    show,
    type_name,
)

DEFAULT_URL = 'http://127.0.0.1:8000'

# The create endpoints, by the kind of repository the application builds from.
SOURCES = {
    'public': '/applications/public',
    'private-github-app': '/applications/private-github-app',
    'private-deploy-key': '/applications/private-deploy-key',
}
# What each source needs beyond the common fields (openapi.yaml `required:`).
SOURCE_KEYS = {
    'public': (),
    'private-github-app': ('github_app_uuid',),
    'private-deploy-key': ('private_key_uuid',),
}
BUILD_PACKS = ('nixpacks', 'railpack', 'static', 'dockerfile', 'dockercompose')
# Deployment states Coolify writes into application_deployment_queues.status that end a deployment.
FINAL_STATES = ('finished', 'failed', 'cancelled-by-user', 'cancelled')

REDACTED = '********'
# The longest token accepted (Sanctum's are `<id>|` + 40 characters, plus an optional prefix and checksum).
TOKEN_MAX = 1024
# The most bytes read from api_token_file (its first line is the token).
TOKEN_FILE_MAX = 64 * 1024
# Longest name and description Coolify stores (`string|max:255`; the columns are varchar(255)).
NAME_MAX = 255
# Punctuation Coolify's own name rule allows besides letters, marks, digits and spaces (ValidationPatterns::NAME_PATTERN).
NAME_PUNCTUATION = '-_.@/&()#,:+'
# A Coolify resource UUID (cuid2 such as `cg0s4c8`, or an RFC 4122 UUID for older resources).
UUID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$')


def a_or_an(word):
    """``'an integer'``, ``'a string'``."""
    return ('an %s' if word[:1] in 'aeiou' else 'a %s') % word


class CoolifyError(ApiError):
    """A Coolify API call failed; ``status`` is the HTTP status (``None`` when no answer came)."""


def _describe_char(ch):
    """A character of a secret, described without showing the secret: ``U+000A (a control character)``."""
    if ch == ' ':
        return 'a space'
    kind = 'a control or invisible character' if unicodedata.category(ch) in ('Cc', 'Cf', 'Zl', 'Zp', 'Cs') else 'not ASCII'
    if ch.isspace():
        kind = 'a whitespace character'
    return 'U+%04X (%s)' % (ord(ch), kind)


def check_token(token, name):
    """A bearer token: one word of visible ASCII (``!`` to ``~``), nothing around it.

    Every message names ``name`` and says what is wrong, never the token: it is a secret, and an escaped copy of it
    (``\\n`` for a newline) would not be masked by Ansible's ``no_log``.
    """
    if not isinstance(token, str):
        raise InvalidValue('%s must be a string, got %s (the value is not shown: it is a secret)' % (name, a_or_an(type_name(token))))
    if not token.strip():
        raise InvalidValue('%s is empty or blank: give the Coolify API token' % name)
    if len(token) > TOKEN_MAX:
        raise InvalidValue('%s is %d characters long: a Coolify API token is at most %d (the value is not shown: it is a secret)'
                           % (name, len(token), TOKEN_MAX))
    for position, ch in enumerate(token, 1):
        if not '!' <= ch <= '~':
            raise InvalidValue('%s holds %s at position %d: a token is one word of visible ASCII characters, without spaces, '
                               'line breaks or control characters (the value is not shown: it is a secret)'
                               % (name, _describe_char(ch), position))
    return token


def read_token(api_token=None, api_token_file=None):
    """The bearer token: ``api_token`` when given, else the first line of ``api_token_file``; checked by :func:`check_token`."""
    try:
        if api_token is not None:
            return check_token(api_token, 'api_token')
        if not api_token_file:
            raise CoolifyError('Give api_token or api_token_file: the Coolify API needs a bearer token')
        try:
            with open(os.path.expanduser(api_token_file), 'rb') as handle:
                raw = handle.read(TOKEN_FILE_MAX)
        except (IOError, OSError) as exc:
            raise CoolifyError('Could not read the Coolify API token file %s: %s' % (api_token_file, exc))
        try:
            text = raw.decode('utf-8')
        except UnicodeDecodeError:
            raise CoolifyError('The Coolify API token file %s is not UTF-8 text: its first line must be the token' % api_token_file)
        text = text.lstrip('\ufeff')
        if not text.strip():
            raise CoolifyError('The Coolify API token file %s is empty' % api_token_file)
        # The first line without its line ending, split at LF only: any other line or paragraph separator, and any
        # whitespace around the token, is refused by check_token, not split at or removed.
        return check_token(text.split('\n', 1)[0].rstrip('\r'), 'the first line of the Coolify API token file %s' % api_token_file)
    except InvalidValue as exc:
        raise CoolifyError(str(exc))


def api_base(api_url):
    """``http://host:8000`` or ``http://host:8000/api/v1`` -> ``http://host:8000/api/v1``."""
    api_url = check_base_url(to_text(api_url or '').strip().rstrip('/'), 'Coolify', error=CoolifyError)
    if api_url.endswith('/api/v1'):
        return api_url
    if api_url.endswith('/api'):
        return api_url + '/v1'
    return api_url + '/api/v1'


def _message(exc):
    """Coolify's own words from an error answer: ``message`` plus any validation ``errors``."""
    data = exc.json
    if isinstance(data, dict):
        text = to_text(data.get('message') or data.get('error') or '')
        errors = data.get('errors')
        if isinstance(errors, dict) and errors:
            text += ' ' + '; '.join('%s: %s' % (k, ', '.join(to_text(m) for m in (v if isinstance(v, list) else [v])))
                                    for k, v in sorted(errors.items()))
        if text.strip():
            return text.strip()
    body = ' '.join(exc.body.split())
    return body[:300] if body else status_text(exc.status)


class CoolifyClient(ApiClient):
    """A client for one Coolify instance.

    :param api_url: ``http(s)://host:port`` of the instance (``/api/v1`` is added when missing).
    :param token: the bearer token (never put into messages).
    :param ca_path: a PEM file of CA certificates to verify an ``https`` instance with, instead of the system's.
    """

    def __init__(self, api_url, token, timeout=DEFAULT_TIMEOUT, validate_certs=True, ca_path=None):
        root = api_base(api_url)
        if token:
            try:
                token = check_token(token, 'The Coolify API token')
            except InvalidValue as exc:
                raise CoolifyError(str(exc))
        super(CoolifyClient, self).__init__(root, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path,
                                            headers={'Authorization': 'Bearer %s' % token} if token else {})
        self.base_url = root[:-len('/api/v1')]
        self._secrets = [token] if token else []

    # -- plumbing ------------------------------------------------------------------------------------------------

    def _scrub(self, text):
        """``text`` with every form of the token (as sent, JSON- or URL-escaped) replaced by ********.

        A token shorter than 4 characters is left alone (it would mask letters all over the message; no real token is).
        """
        text = to_text(text, errors='surrogate_or_replace')
        for secret in (s for s in self._secrets if len(s) >= 4):
            for form in set((secret, json.dumps(secret)[1:-1], quote(secret, safe=''), quote(secret), 'Bearer %s' % secret)):
                if form:
                    text = text.replace(form, REDACTED)
        return text

    def _fail(self, msg, status=None, url=None):
        return CoolifyError(self._scrub(msg), status=status, url=url)

    def _error(self, exc, method, path):
        url = self._url(path)
        if exc.status is None:
            return self._fail('Could not connect to Coolify at %s: %s (%s %s)' % (self.base_url, exc.reason, method, url), url=url)
        hint = ''
        if exc.status == 401:
            hint = ' (the API token is missing, wrong or revoked)'
        elif exc.status == 403:
            hint = ' (the token lacks the permission, or the API is disabled in Coolify\'s settings)'
        return self._fail('Coolify answered HTTP %s %s for %s %s: %s%s'
                          % (exc.status, status_text(exc.status), method, url, _message(exc), hint), status=exc.status, url=url)

    def _call(self, method, path, payload=None, missing_ok=False, raw=False, auth=True):
        kwargs = self._kwargs(headers=None if auth else {})
        try:
            if raw:
                return request(method, self._url(path), payload=payload, **kwargs).text
            return request_json(method, self._url(path), payload=payload, **kwargs)
        except RequestError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise self._error(exc, method, path)

    def _list(self, path):
        data = self._call('GET', path)
        if not isinstance(data, list):
            raise self._fail('Coolify answered GET %s with something that is not a list: %s' % (self._url(path), to_text(data)[:200]),
                             url=self._url(path))
        return data

    # -- instance ------------------------------------------------------------------------------------------------

    def health(self):
        """``GET /health`` (no token needed) -> ``'OK'``."""
        return self._call('GET', '/health', raw=True, auth=False).strip()

    def version(self):
        """``GET /version`` -> the version text, ``v`` prefix removed (``'4.3.11'``)."""
        text = self._call('GET', '/version', raw=True).strip().strip('"')
        return text[1:] if text.startswith('v') else text

    def servers(self):
        return self._list('/servers')

    def server_uuid(self, name=None):
        """The UUID of the server called ``name``, or of the first server (``localhost`` on a fresh instance)."""
        servers = self.servers()
        for server in servers:
            if name is None or server.get('name') == name:
                return server['uuid']
        raise CoolifyError('Coolify at %s has no server%s (servers: %s)'
                           % (self.base_url, " named '%s'" % name if name else '', ', '.join(s.get('name', '?') for s in servers) or 'none'),
                           url=self._url('/servers'))

    # -- projects ------------------------------------------------------------------------------------------------

    def projects(self):
        return self._list('/projects')

    def project_by_name(self, name):
        """The project called ``name`` (full details from ``GET /projects/{uuid}``), or ``None``."""
        matches = [p for p in self.projects() if p.get('name') == name]
        if len(matches) > 1:
            raise CoolifyError("Coolify at %s has %d projects named '%s' (UUIDs %s): rename all but one"
                               % (self.base_url, len(matches), name, ', '.join(p.get('uuid', '?') for p in matches)))
        if not matches:
            return None
        return self._call('GET', '/projects/%s' % quote(matches[0]['uuid'], safe=''), missing_ok=True)

    def create_project(self, name, description=None):
        payload = {'name': name}
        if description is not None:
            payload['description'] = description
        data = self._call('POST', '/projects', payload)
        return data['uuid']

    def update_project(self, uuid, fields):
        return self._call('PATCH', '/projects/%s' % quote(uuid, safe=''), fields)

    def delete_project(self, uuid):
        return self._call('DELETE', '/projects/%s' % quote(uuid, safe=''))

    def environment(self, project_uuid, name):
        """``GET /projects/{uuid}/{environment}`` -> the environment, or ``None`` when it does not exist."""
        return self._call('GET', '/projects/%s/%s' % (quote(project_uuid, safe=''), quote(name, safe='')), missing_ok=True)

    # -- applications --------------------------------------------------------------------------------------------

    def applications(self):
        return self._list('/applications')

    def application(self, uuid):
        return self._call('GET', '/applications/%s' % quote(uuid, safe=''), missing_ok=True)

    def find_application(self, environment_id, name):
        matches = [a for a in self.applications() if a.get('name') == name and a.get('environment_id') == environment_id]
        if len(matches) > 1:
            raise CoolifyError("Coolify at %s has %d applications named '%s' in one environment (UUIDs %s)"
                               % (self.base_url, len(matches), name, ', '.join(a.get('uuid', '?') for a in matches)))
        return self.application(matches[0]['uuid']) if matches else None

    def create_application(self, source, payload):
        if source not in SOURCES:
            raise CoolifyError("Unknown application source '%s': use one of %s" % (source, ', '.join(sorted(SOURCES))))
        return self._call('POST', SOURCES[source], payload)['uuid']

    def update_application(self, uuid, fields):
        return self._call('PATCH', '/applications/%s' % quote(uuid, safe=''), fields)

    def delete_application(self, uuid):
        return self._call('DELETE', '/applications/%s?%s' % (quote(uuid, safe=''), urlencode({'delete_volumes': 'true'})))

    def envs(self, uuid):
        return self._list('/applications/%s/envs' % quote(uuid, safe=''))

    def create_env(self, uuid, payload):
        return self._call('POST', '/applications/%s/envs' % quote(uuid, safe=''), payload)

    def update_env(self, uuid, payload):
        return self._call('PATCH', '/applications/%s/envs' % quote(uuid, safe=''), payload)

    def delete_env(self, uuid, env_uuid):
        return self._call('DELETE', '/applications/%s/envs/%s' % (quote(uuid, safe=''), quote(env_uuid, safe='')))

    # -- deployments ---------------------------------------------------------------------------------------------

    def deploy(self, uuid, force=False):
        """``POST /deploy?uuid=...`` -> the queued deployments (``deployment_uuid``, ``resource_uuid``, ``message``)."""
        query = {'uuid': uuid}
        if force:
            query['force'] = 'true'
        data = self._call('POST', '/deploy?%s' % urlencode(query))
        deployments = data.get('deployments') if isinstance(data, dict) else None
        if not isinstance(deployments, list) or not deployments:
            raise self._fail('Coolify at %s queued no deployment for %s: %s' % (self.base_url, uuid, to_text(data)[:300]),
                             url=self._url('/deploy'))
        return deployments

    def deployment(self, uuid):
        data = self._call('GET', '/deployments/%s' % quote(uuid, safe=''), missing_ok=True)
        if data is None:
            raise CoolifyError('Coolify at %s does not know deployment %s' % (self.base_url, uuid), status=404,
                               url=self._url('/deployments/%s' % uuid))
        return data


# -- module plumbing (the options of the selfhosted.ai_coding.coolify doc fragment) ----------------------------------

COMMON_ARGS = dict(
    api_url=connection_spec('api_url', DEFAULT_URL)['api_url'],
    api_token=dict(type='str', no_log=True),
    api_token_file=dict(type='path'),
)
COMMON_ARGS.update((name, spec) for name, spec in connection_spec('api_url', DEFAULT_URL).items() if name != 'api_url')
# The longest socket timeout accepted, in seconds (a larger one overflows the platform's time_t).
TIMEOUT_MAX = 3600

# What the argument spec's own type error says, and how to say what it wanted in the user's words.
_ARGSPEC_TYPE_ERROR = re.compile(r"^argument '([^']+)' is of type \S+ and we were unable to convert to (\w+)")
_WANTED = {'str': 'a string', 'path': 'a path (a string)', 'int': 'an integer', 'float': 'a number',
           'bool': 'a boolean (true or false)', 'list': 'a list', 'dict': 'a mapping'}
# The strings the argument spec takes as booleans (written exactly so: no surrounding whitespace).
BOOLEAN_WORDS = frozenset(('y', 'yes', 'on', '1', 'true', 't', 'n', 'no', 'off', '0', 'false', 'f'))


def _early_problem(kind, value, name, secret):
    """What is wrong with an ``int`` or ``bool`` option as the task wrote it, for values the argument spec would convert
    silently (True as 1, '1_0' as 10, ' 8' as 8, 2.5e0 as an error but '1e3' as 1000) or crash on (.inf, '1e999999999')."""
    shown = ' (the value is not shown: it is a secret)' if secret else ' (%s)' % show(value)
    if kind == 'int':
        if isinstance(value, bool):
            return '%s must be an integer, got a boolean%s' % (name, shown)
        if isinstance(value, str) and not re.match(r'^[+-]?[0-9]{1,18}$', value):
            return '%s must be an integer, got a string%s: write the digits only' % (name, shown)
        if isinstance(value, float) and not (math.isfinite(value) and abs(value) < 1e18 and value.is_integer()):
            return '%s must be an integer, got a number%s' % (name, shown)
    elif kind == 'bool':
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return None
        if isinstance(value, str) and value.lower() in BOOLEAN_WORDS:
            return None
        if value is not None:
            return '%s must be a boolean (true or false), got %s%s' % (name, a_or_an(type_name(value)), shown)
    return None


class CoolifyModule(AnsibleModule):
    """The modules' AnsibleModule: an argument-spec type error names what the task wrote (a string, a list, a mapping)
    instead of Python's classes (``<class 'dict'>``, ``NoneType``), and never quotes the value of a ``no_log`` option.

    Integer and boolean options are checked as the task wrote them before the argument spec converts them: a boolean is
    not a number, a string is digits only, a float must be a whole number, and a boolean is true, false or one of
    Ansible's words for them (``yes``, ``no``, ``on``, ``off``, ``1``, ``0``...), written without whitespace.
    """

    def __init__(self, *args, **kwargs):
        self._selfhosted_early = None
        super(CoolifyModule, self).__init__(*args, **kwargs)
        if self._selfhosted_early:
            self.fail_json(msg=self._selfhosted_early)

    def _load_params(self):
        super(CoolifyModule, self)._load_params()
        for name, spec in self.argument_spec.items():
            if not isinstance(self.params, dict) or name not in self.params:
                continue
            problem = _early_problem(spec.get('type'), self.params[name], name, bool(spec.get('no_log')))
            if problem:
                self._selfhosted_early = self._selfhosted_early or problem
                # Hand the argument spec a value it can convert (the default); the module fails before it is used.
                if spec.get('default') is not None:
                    self.params[name] = spec['default']
                else:
                    del self.params[name]

    def fail_json(self, msg, **kwargs):
        match = _ARGSPEC_TYPE_ERROR.match(to_text(msg))
        if match:
            name, wanted = match.group(1), match.group(2)
            raw = _raw_params(self).get(name)
            secret = bool((self.argument_spec.get(name) or {}).get('no_log'))
            msg = '%s must be %s, got %s%s' % (name, _WANTED.get(wanted, a_or_an(wanted)), a_or_an(type_name(raw)),
                                               ' (the value is not shown: it is a secret)' if secret else ' (%s)' % show(raw))
        super(CoolifyModule, self).fail_json(msg=msg, **kwargs)

    def _log_invocation(self):
        # Ansible logs the options to syslog before the module runs, and fails with "Failed to log to syslog (embedded
        # null character)" for a NUL in any of them, naming none: name the option here first.
        for name in sorted(self.params):
            where = _nul_at(self.params[name], name)
            if where:
                secret = bool((self.argument_spec.get(name) or {}).get('no_log'))
                self.fail_json(msg='%s holds a NUL character (\\x00)%s: no option takes one'
                               % (where, ' (the value is not shown: it is a secret)' if secret else ''))
        super(CoolifyModule, self)._log_invocation()


def _nul_at(value, label):
    """``label`` (``domains[2]``, ``env.NAME``) of the first string holding a NUL in ``value``, or None."""
    if isinstance(value, str):
        return label if '\x00' in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _nul_at(key, '%s (a name in it)' % label) or _nul_at(item, '%s.%s' % (label, key))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            found = _nul_at(item, '%s[%d]' % (label, position))
            if found:
                return found
    return None


def _raw_params(module):
    """The module's options as the task wrote them, before the argument spec converted them."""
    cached = getattr(module, '_selfhosted_raw_params', None)
    if cached is None:
        try:
            from ansible.module_utils.basic import _load_params
            cached = _load_params()
        except Exception:  # not run as a module (a unit test calling a function): nothing more to read than params
            cached = {}
        if not isinstance(cached, Mapping):
            cached = {}
        module._selfhosted_raw_params = cached
    return cached


def given(module, name):
    """The value of option ``name`` as the task wrote it (``5``, not the ``'5'`` that ``type='str'`` made of it; ``'a=1'``,
    not the mapping ``type='dict'`` made of it), or the converted value (the default) when the task gave nothing."""
    raw = _raw_params(module)
    if name in raw:
        return raw[name]
    return module.params.get(name)


def was_given(module, name):
    """Whether the task gave option ``name`` at all (a default is not "given")."""
    return name in _raw_params(module)


def fail_invalid(module, check, *args):
    """``check(*args)``, or fail the module with the :class:`InvalidValue`'s text (before any request)."""
    try:
        return check(*args)
    except InvalidValue as exc:
        module.fail_json(msg=str(exc))


def _no_surrounding_space(value, name):
    if value != value.strip():
        raise InvalidValue('%s is %s: it must not start or end with whitespace (Coolify trims it, so the next run would '
                           'see a different value)' % (name, show(value)))
    return value


def check_lookup_name(value, name):
    """The name of something that must already exist (project, environment, server): one line of at most 255 characters."""
    check_text(value, name, max_len=NAME_MAX)
    return _no_surrounding_space(value, name)


def check_name(value, name):
    """A name this collection creates in Coolify: Coolify's own name rule (letters, marks and digits of any script,
    spaces and ``- _ . @ / & ( ) # , : +``), at most 255 characters, not blank, no surrounding whitespace."""
    check_lookup_name(value, name)
    for ch in value:
        if not (ch == ' ' or ch in NAME_PUNCTUATION or unicodedata.category(ch)[0] in 'LMN'):
            raise InvalidValue('%s is %s: %s is not allowed; a Coolify name holds letters, digits, spaces and %s only'
                               % (name, show(value), show(ch), ' '.join(NAME_PUNCTUATION)))
    return value


def check_description(value, name):
    """A description: one line of at most 255 characters, no surrounding whitespace; the empty string clears it."""
    check_text(value, name, allow_empty=True, max_len=NAME_MAX)
    return _no_surrounding_space(value, name)


def check_uuid(value, name):
    """A Coolify resource UUID: letters, digits, ``-`` and ``_``, at most 64 characters (no ``/``, ``..``, spaces)."""
    check_text(value, name, max_len=64)
    if not UUID_RE.match(value):
        raise InvalidValue('%s is %s: a Coolify UUID holds letters, digits, - and _ only (like cg0s4c8)' % (name, show(value)))
    return value


def check_count(module, name, minimum=1, maximum=None):
    """An integer option within ``minimum``..``maximum``. :class:`CoolifyModule` has refused what the task wrote if it was
    not an integer (a boolean, ``'1_0'``, ``1.5``); ``null`` stands for "not given": the option's default."""
    value = module.params.get(name)
    if given(module, name) is None or value is None:
        value = module.argument_spec.get(name, {}).get('default')
    elif isinstance(value, bool):
        raise InvalidValue('%s must be an integer, got a boolean (%s)' % (name, show(value)))
    if minimum > 0:
        value = int(check_timeout(value, name, maximum=maximum))
    elif value < minimum or (maximum is not None and value > maximum):
        raise InvalidValue('%s is %s: it must be an integer from %d to %s' % (name, show(value), minimum, maximum))
    module.params[name] = value
    return value


def check_optional_str(module, name, check):
    """``check(value, name)`` for a string option the task gave; ``None`` (not given) passes. Sets the checked value.

    A null stays null: the argument spec makes ``''`` of it, which would clear a description instead of leaving it.
    """
    value = given(module, name)
    if value is None:
        module.params[name] = None
        return None
    value = check(value, name)
    module.params[name] = value
    return value


def check_api_url(value, name='api_url'):
    """The URL of a Coolify instance: http(s), a host, an optional port and path; no credentials, query or fragment.

    A user or password in the URL is refused without quoting the URL (it is a secret, and would be in every message).
    """
    if isinstance(value, str) and '@' in re.split(r'[/?#]', value.split('://', 1)[-1], 1)[0]:
        raise InvalidValue('%s holds a user name or password before @ in its host part (not shown: it may be a secret): '
                           'give the URL as http(s)://host:port and the token in api_token or api_token_file' % name)
    check_url(value, name)
    if '?' in value or '#' in value:
        raise InvalidValue('%s is %s: the URL of a Coolify instance has no query (?) or fragment (#)' % (name, show(value)))
    return value


def check_connection_options(module):
    """api_url, api_token, api_token_file and timeout as the task wrote them; the first bad one raises InvalidValue."""
    url = given(module, 'api_url')
    module.params['api_url'] = check_api_url(DEFAULT_URL if url is None else url)  # null: the default
    token = given(module, 'api_token')
    if token is not None:
        module.params['api_token'] = check_token(token, 'api_token')
    token_file = given(module, 'api_token_file')
    if token_file is not None:
        check_text(token_file, 'api_token_file')
    check_count(module, 'timeout', maximum=TIMEOUT_MAX)
    check_ca_path(module.params.get('ca_path'))


def client_from_module(module):
    """A :class:`CoolifyClient` from a module's common options; a bad option fails the module before any request.

    The token (from ``api_token`` or read from ``api_token_file``) is added to the module's ``no_log`` values, so Ansible
    masks it in anything the module returns.
    """
    fail_invalid(module, check_connection_options, module)
    params = module.params
    try:
        token = read_token(params.get('api_token'), params.get('api_token_file'))
        module.no_log_values.add(token)
        return CoolifyClient(params['api_url'], token, timeout=params['timeout'], validate_certs=params['validate_certs'],
                             ca_path=params.get('ca_path'))
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, url=exc.url)
