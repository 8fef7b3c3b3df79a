# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Coolify REST client of this collection (private: the API may change between releases).

Built on :mod:`._http` (``ansible.module_utils.urls.open_url``; nothing beyond the standard library on the host).
Paths follow Coolify's ``openapi.yaml`` (server ``<instance>/api/v1``, bearer auth); the contract test
``tests/integration/contract/test_coolify_contract.py`` checks every request and answer against it.

Public interface::

    read_token(api_token=None, api_token_file=None) -> str            raises CoolifyError
    api_base(api_url) -> 'http://host:8000/api/v1'
    CoolifyClient(api_url, token, timeout=30, validate_certs=True)
        .health() -> str   .version() -> str
        .projects() -> [dict]   .project_by_name(name) -> dict | None   .create_project(name, description)
        .update_project(uuid, fields)   .delete_project(uuid)   .environment(project_uuid, name) -> dict | None
        .servers() -> [dict]   .server_uuid(name=None) -> str
        .applications() -> [dict]   .application(uuid) -> dict | None   .find_application(env_id, name) -> dict | None
        .create_application(source, payload) -> uuid   .update_application(uuid, fields)   .delete_application(uuid)
        .envs(uuid) -> [dict]   .create_env(uuid, payload)   .update_env(uuid, payload)   .delete_env(uuid, env_uuid)
        .deploy(uuid, force=False) -> [dict]   .deployment(uuid) -> dict
    CoolifyError(msg, status=None, url=None)
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlencode

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import (
    RequestError,
    join_url,
    request,
    request_json,
    status_text,
)

DEFAULT_URL = 'http://127.0.0.1:8000'
DEFAULT_TIMEOUT = 30

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


class CoolifyError(Exception):
    """A Coolify API call failed; ``status`` is the HTTP status (``None`` when no answer came)."""

    def __init__(self, msg, status=None, url=None):
        super(CoolifyError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.url = url


def read_token(api_token=None, api_token_file=None):
    """The bearer token: ``api_token`` when given, else the first line of ``api_token_file``."""
    if api_token:
        return to_text(api_token).strip()
    if not api_token_file:
        raise CoolifyError('Give api_token or api_token_file: the Coolify API needs a bearer token')
    try:
        with open(os.path.expanduser(api_token_file), 'rb') as handle:
            token = to_text(handle.read(), errors='surrogate_or_strict').strip()
    except (IOError, OSError) as exc:
        raise CoolifyError('Could not read the Coolify API token file %s: %s' % (api_token_file, exc))
    if not token:
        raise CoolifyError('The Coolify API token file %s is empty' % api_token_file)
    return token.splitlines()[0].strip()


def api_base(api_url):
    """``http://host:8000`` or ``http://host:8000/api/v1`` -> ``http://host:8000/api/v1``."""
    api_url = to_text(api_url or '').strip().rstrip('/')
    if not re.match(r'^https?://[^/\s]+', api_url):
        raise CoolifyError("The Coolify URL '%s' must start with http:// or https:// and name a host" % api_url, url=api_url)
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


class CoolifyClient(object):
    """A client for one Coolify instance.

    :param api_url: ``http(s)://host:port`` of the instance (``/api/v1`` is added when missing).
    :param token: the bearer token (never put into messages).
    """

    def __init__(self, api_url, token, timeout=DEFAULT_TIMEOUT, validate_certs=True):
        self.root = api_base(api_url)
        self.base_url = self.root[:-len('/api/v1')]
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.headers = {'Authorization': 'Bearer %s' % token} if token else {}
        # Every request sent, as (method, path, payload): tests and the contract check read it.
        self.calls = []

    # -- plumbing ------------------------------------------------------------------------------------------------

    def _url(self, path):
        return join_url(self.root, path)

    def _error(self, exc, method, path):
        url = self._url(path)
        if exc.status is None:
            return CoolifyError('Could not connect to Coolify at %s: %s (%s %s)' % (self.base_url, exc.reason, method, url), url=url)
        hint = ''
        if exc.status == 401:
            hint = ' (the API token is missing, wrong or revoked)'
        elif exc.status == 403:
            hint = ' (the token lacks the permission, or the API is disabled in Coolify\'s settings)'
        return CoolifyError('Coolify answered HTTP %s %s for %s %s: %s%s'
                            % (exc.status, status_text(exc.status), method, url, _message(exc), hint), status=exc.status, url=url)

    def _call(self, method, path, payload=None, missing_ok=False, raw=False, auth=True):
        self.calls.append((method, path, payload))
        kwargs = {'headers': self.headers if auth else {}, 'timeout': self.timeout, 'validate_certs': self.validate_certs}
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
            raise CoolifyError('Coolify answered GET %s with something that is not a list: %s' % (self._url(path), to_text(data)[:200]),
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
            raise CoolifyError('Coolify at %s queued no deployment for %s: %s' % (self.base_url, uuid, to_text(data)[:300]),
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
    api_url=dict(type='str', default=DEFAULT_URL),
    api_token=dict(type='str', no_log=True),
    api_token_file=dict(type='path'),
    validate_certs=dict(type='bool', default=True),
    timeout=dict(type='int', default=DEFAULT_TIMEOUT),
)


def client_from_module(module):
    """A :class:`CoolifyClient` from a module's common options; a bad option fails the module before any request."""
    params = module.params
    if params['timeout'] is not None and params['timeout'] <= 0:
        module.fail_json(msg='timeout must be a positive number of seconds, got %s' % params['timeout'])
    try:
        token = read_token(params.get('api_token'), params.get('api_token_file'))
        return CoolifyClient(params['api_url'], token, timeout=params['timeout'], validate_certs=params['validate_certs'])
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, url=exc.url)
