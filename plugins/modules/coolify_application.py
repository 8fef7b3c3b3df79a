#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: coolify_application
short_description: Create, update or delete a Coolify application built from a Git repository
version_added: 0.1.0
description:
  - Makes sure an application of the given O(name) exists in a project's environment, built from a public GitHub
    repository (C(POST /applications/public)), a private one through a GitHub App (C(/applications/private-github-app))
    or through a deploy key (C(/applications/private-deploy-key)); or that it is absent.
  - Updates the repository, branch, build pack, exposed ports, domains and description of an existing application
    with C(PATCH /applications/{uuid}), and its environment variables through C(/applications/{uuid}/envs).
  - The module does not deploy; use M(selfhosted.ai_coding.coolify_deploy) after it.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
extends_documentation_fragment:
  - selfhosted.ai_coding.coolify
attributes:
  action_group:
    description: Use C(group/selfhosted.ai_coding.coolify) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - selfhosted.ai_coding.coolify
  check_mode:
    description: Reads the application and predicts the change without writing.
    support: full
  diff_mode:
    description: Returns the managed fields before and after; environment variable values are never shown, only their keys.
    support: full
  idempotent:
    description: A second run with the same options reports no change.
    support: full
options:
  name:
    description: The application's name, unique within the environment.
    type: str
    required: true
  project:
    description: Name of the project (see M(selfhosted.ai_coding.coolify_project)); it must exist.
    type: str
    required: true
  environment:
    description: Name of the project's environment; Coolify creates V(production) with every project.
    type: str
    default: production
  server:
    description: Name of the Coolify server to deploy on; the first server (V(localhost) on a fresh instance) when not given.
    type: str
  source:
    description:
      - Where the repository is read from. V(public) needs no credentials, V(private-github-app) needs
        O(github_app_uuid), V(private-deploy-key) needs O(private_key_uuid).
      - Used only when the application is created.
    type: str
    choices: [public, private-github-app, private-deploy-key]
    default: public
  github_app_uuid:
    description: UUID of the GitHub App registered in Coolify, for O(source=private-github-app).
    type: str
  private_key_uuid:
    description: UUID of the private key registered in Coolify (C(/security/keys)), for O(source=private-deploy-key).
    type: str
  git_repository:
    description:
      - The repository, V(https://github.com/owner/repo) for V(public), V(owner/repo) or
        V(git@github.com:owner/repo.git) for the private sources. Required with O(state=present).
      - Compared without scheme, host and C(.git) suffix, as Coolify stores it.
    type: str
  git_branch:
    description: The branch to build.
    type: str
    default: main
  build_pack:
    description: How Coolify builds the application.
    type: str
    choices: [nixpacks, railpack, static, dockerfile, dockercompose]
    default: nixpacks
  ports_exposes:
    description: The ports the application listens on inside its container, comma separated (V(3000) or V(3000,3001)).
    type: str
    default: "3000"
  domains:
    description:
      - The application's URLs, for example V(https://app.example.com). Compared as a set.
      - Left as they are when not given; V([]) removes them.
    type: list
    elements: str
  description:
    description: The application's description; left as it is when not given.
    type: str
  env:
    description:
      - Environment variables, name to value. Values are treated as secrets (never logged or shown in the diff).
      - Variables not listed are kept unless O(purge_env=true).
    type: dict
  purge_env:
    description: Delete the application's environment variables that O(env) does not list.
    type: bool
    default: false
  state:
    description: V(present) creates or updates the application, V(absent) deletes it (with its volumes).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: selfhosted.ai_coding.coolify_project
  - module: selfhosted.ai_coding.coolify_deploy
  - name: Coolify API
    description: The REST API this module uses (C(/applications)).
    link: https://coolify.io/docs/api-reference/authorization
"""

EXAMPLES = r"""
- name: Declare the demo application from a public repository
  selfhosted.ai_coding.coolify_application:
    api_token_file: /data/coolify/source/.ai-coding-api-token
    project: ai-coding
    name: demo
    git_repository: https://github.com/coollabsio/coolify-examples
    git_branch: main
    build_pack: nixpacks
    ports_exposes: "3000"
    domains:
      - https://demo.example.com
    env:
      NODE_ENV: production

- name: Declare an application from a private repository through a deploy key
  selfhosted.ai_coding.coolify_application:
    api_token_file: /data/coolify/source/.ai-coding-api-token
    project: ai-coding
    name: internal
    source: private-deploy-key
    private_key_uuid: "{{ deploy_key_uuid }}"
    git_repository: git@github.com:example/internal.git
"""

RETURN = r"""
application:
  description: The managed fields after the run (empty when absent; UUID null for one created in check mode).
  returned: always
  type: dict
  sample:
    uuid: "cg0s4c8"
    name: demo
    git_repository: coollabsio/coolify-examples
    git_branch: main
    build_pack: nixpacks
    ports_exposes: "3000"
    domains: ["https://demo.example.com"]
    env_keys: ["NODE_ENV"]
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import (
    BUILD_PACKS,
    COMMON_ARGS,
    SOURCE_KEYS,
    SOURCES,
    CoolifyError,
    client_from_module,
)

# Option -> field in Coolify's Application model (what GET /applications/{uuid} returns).
FIELDS = ('description', 'git_repository', 'git_branch', 'build_pack', 'ports_exposes')


def repo_key(repo):
    """``https://github.com/Owner/Repo.git``, ``git@github.com:owner/repo`` and ``owner/repo`` -> ``owner/repo``."""
    repo = (repo or '').strip()
    repo = re.sub(r'^[a-z+]+://(?:[^@/]+@)?[^/]+/', '', repo)
    repo = re.sub(r'^[^@/:]+@[^:/]+:', '', repo)
    repo = re.sub(r'\.git$', '', repo.rstrip('/'))
    return repo.lower()


def domain_set(value):
    if isinstance(value, list):
        items = value
    else:
        items = (value or '').split(',')
    return sorted(set(d.strip().rstrip('/') for d in items if d and d.strip()))


def _view(app, env):
    if not app:
        return {}
    view = {'uuid': app.get('uuid'), 'name': app.get('name')}
    for field in FIELDS:
        view[field] = app.get(field)
    view['domains'] = domain_set(app.get('fqdn'))
    view['env_keys'] = sorted(env)
    return view


class CoolifyApplication(object):

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check = module.check_mode

    def _current_env(self, uuid):
        """The application's (non-preview) variables: key -> (env uuid, value)."""
        found = {}
        for var in self.client.envs(uuid):
            if var.get('is_preview'):
                continue
            found[var.get('key')] = (var.get('uuid'), var.get('value'))
        return found

    def _wanted_fields(self, current):
        """The PATCH body for ``current`` (only the fields that differ)."""
        p = self.params
        fields = {}
        if p['description'] is not None and (current.get('description') or '') != p['description']:
            fields['description'] = p['description']
        if repo_key(current.get('git_repository')) != repo_key(p['git_repository']):
            fields['git_repository'] = p['git_repository']
        for key in ('git_branch', 'build_pack', 'ports_exposes'):
            if (current.get(key) or '') != p[key]:
                fields[key] = p[key]
        if p['domains'] is not None and domain_set(current.get('fqdn')) != domain_set(p['domains']):
            fields['domains'] = ','.join(p['domains'])
        return fields

    def _sync_env(self, uuid, current_env):
        """Create, update and (with purge_env) delete variables; returns whether anything differs."""
        wanted = self.params['env'] or {}
        changed = False
        for key in sorted(wanted):
            value = '' if wanted[key] is None else str(wanted[key])
            if key not in current_env:
                changed = True
                if not self.check:
                    self.client.create_env(uuid, {'key': key, 'value': value})
            elif current_env[key][1] != value:
                changed = True
                if not self.check:
                    self.client.update_env(uuid, {'key': key, 'value': value})
        if self.params['purge_env']:
            for key in sorted(set(current_env) - set(wanted)):
                changed = True
                if not self.check:
                    self.client.delete_env(uuid, current_env[key][0])
        return changed

    def _after_env_keys(self, current_env):
        keys = set(self.params['env'] or {})
        if not self.params['purge_env']:
            keys |= set(current_env)
        return sorted(keys)

    def _create_payload(self, project, environment):
        p = self.params
        payload = {
            'project_uuid': project['uuid'],
            'server_uuid': self.client.server_uuid(p['server']),
            'environment_name': p['environment'],
            'git_repository': p['git_repository'],
            'git_branch': p['git_branch'],
            'build_pack': p['build_pack'],
            'ports_exposes': p['ports_exposes'],
            'name': p['name'],
            'instant_deploy': False,
        }
        if environment.get('uuid'):
            payload['environment_uuid'] = environment['uuid']
        if p['description'] is not None:
            payload['description'] = p['description']
        if p['domains']:
            payload['domains'] = ','.join(p['domains'])
        for key in SOURCE_KEYS[p['source']]:
            payload[key] = p[key]
        return payload

    def run(self):
        p = self.params
        project = self.client.project_by_name(p['project'])
        environment = self.client.environment(project['uuid'], p['environment']) if project else None
        if project and environment is None:
            raise CoolifyError("Project '%s' in Coolify at %s has no environment '%s'" % (p['project'], self.client.base_url, p['environment']))
        if not project and not (self.check and p['state'] == 'present'):
            if p['state'] == 'absent':
                return self._result(False, {}, {})
            raise CoolifyError("Coolify at %s has no project named '%s': create it first (selfhosted.ai_coding.coolify_project)"
                               % (self.client.base_url, p['project']))
        current = self.client.find_application(environment['id'], p['name']) if environment else None
        current_env = self._current_env(current['uuid']) if current else {}
        before = _view(current, current_env)

        if p['state'] == 'absent':
            if not current:
                return self._result(False, before, {})
            if not self.check:
                self.client.delete_application(current['uuid'])
            return self._result(True, before, {})

        if not current:
            after = {'uuid': None, 'name': p['name'], 'description': p['description'], 'git_repository': p['git_repository'],
                     'git_branch': p['git_branch'], 'build_pack': p['build_pack'], 'ports_exposes': p['ports_exposes'],
                     'domains': domain_set(p['domains'] or []), 'env_keys': sorted(p['env'] or {})}
            if not self.check:
                uuid = self.client.create_application(p['source'], self._create_payload(project, environment))
                after['uuid'] = uuid
                self._sync_env(uuid, {})
            return self._result(True, before, after)

        fields = self._wanted_fields(current)
        if fields and not self.check:
            self.client.update_application(current['uuid'], fields)
        env_changed = self._sync_env(current['uuid'], current_env)
        after = dict(before)
        for key, value in fields.items():
            if key == 'domains':
                after['domains'] = domain_set(value)
            else:
                after[key] = value
        after['env_keys'] = self._after_env_keys(current_env)
        return self._result(bool(fields) or env_changed, before, after)

    def _result(self, changed, before, after):
        result = {'changed': changed, 'application': after}
        if self.module._diff:
            result['diff'] = {'before': before, 'after': after}
        return result


def main():
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(
        name=dict(type='str', required=True),
        project=dict(type='str', required=True),
        environment=dict(type='str', default='production'),
        server=dict(type='str'),
        source=dict(type='str', choices=sorted(SOURCES), default='public'),
        github_app_uuid=dict(type='str'),
        private_key_uuid=dict(type='str', no_log=False),  # a UUID naming the key in Coolify, not the key
        git_repository=dict(type='str'),
        git_branch=dict(type='str', default='main'),
        build_pack=dict(type='str', choices=list(BUILD_PACKS), default='nixpacks'),
        ports_exposes=dict(type='str', default='3000'),
        domains=dict(type='list', elements='str'),
        description=dict(type='str'),
        env=dict(type='dict', no_log=True),
        purge_env=dict(type='bool', default=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ('state', 'present', ('git_repository',)),
            ('source', 'private-github-app', ('github_app_uuid',)),
            ('source', 'private-deploy-key', ('private_key_uuid',)),
        ],
    )
    p = module.params
    if not re.match(r'^[0-9]+(,[0-9]+)*$', p['ports_exposes'] or ''):
        module.fail_json(msg="ports_exposes must be port numbers separated by commas (like '3000' or '3000,3001'), got '%s'" % p['ports_exposes'])
    for domain in p['domains'] or []:
        if not re.match(r'^https?://[^/\s,]+(/\S*)?$', domain):
            module.fail_json(msg="each of domains must be a URL starting with http:// or https:// without commas, got '%s'" % domain)
    for key in p['env'] or {}:
        if not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', key):
            module.fail_json(msg="env names must be letters, digits and _ and not start with a digit, got '%s'" % key)
    client = client_from_module(module)
    try:
        module.exit_json(**CoolifyApplication(module, client).run())
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, status=exc.status, url=exc.url)


if __name__ == '__main__':
    main()
