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
  - selfhosted.ai_coding.api
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
    description:
      - The application's name, unique within the environment.
      - Coolify's own name rule applies, checked before any request - letters and digits of any script, spaces and
        the punctuation C(-_.@/&#,:+) and parentheses, at most 255 characters, not blank, no leading or trailing whitespace.
    type: str
    required: true
  project:
    description:
      - Name of the project (see M(selfhosted.ai_coding.coolify_project)); it must exist.
      - One line of at most 255 characters without leading or trailing whitespace.
    type: str
    required: true
  environment:
    description:
      - Name of the project's environment; Coolify creates V(production) with every project.
      - Checked as O(project) is.
    type: str
    default: production
  server:
    description:
      - Name of the Coolify server to deploy on; the first server (V(localhost) on a fresh instance) when not given.
      - Checked as O(project) is.
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
    description:
      - UUID of the GitHub App registered in Coolify, for O(source=private-github-app).
      - Letters, digits, C(-) and C(_) only.
    type: str
  private_key_uuid:
    description:
      - UUID of the private key registered in Coolify (C(/security/keys)), for O(source=private-deploy-key).
      - Letters, digits, C(-) and C(_) only. It names the key; it is not the key.
    type: str
  git_repository:
    description:
      - The repository. Required with O(state=present).
      - For O(source=public) it is V(https://host/owner/repo) (or with C(.git)); Coolify keeps only the C(owner/repo)
        part, so a longer path, an IP address, V(localhost) or a C(.local) host, a query or a fragment is refused.
      - For the private sources V(owner/repo), V(git@github.com:owner/repo.git), V(ssh://git@host/owner/repo.git),
        V(https://host/owner/repo) or V(git://host/owner/repo).
      - Letters, digits and C(- _ . / @ ~ :) only (no shell characters, no spaces, no C(..)).
      - Compared without scheme, host and C(.git) suffix, as Coolify stores it.
    type: str
  git_branch:
    description:
      - The branch to build.
      - Git's and Coolify's rule, checked before any request - letters, digits and C(- _ / .), not starting or ending
        with C(/) or C(.), no C(..) or C(//), not V(HEAD), not ending in C(.lock); at most 255 characters. A number
        is refused (YAML reads C(1.10) as C(1.1)); quote it.
    type: str
    default: main
  build_pack:
    description: How Coolify builds the application.
    type: str
    choices: [nixpacks, railpack, static, dockerfile, dockercompose]
    default: nixpacks
  ports_exposes:
    description:
      - The ports the application listens on inside its container, comma separated without spaces (V(3000) or
        V(3000,3001)); one port may be given as a number. Each is 1-65535, without leading zeros, listed once.
      - Not used with O(build_pack=dockercompose) (Coolify reads the ports from the compose file and stores V(80));
        giving another value with it is refused.
    type: str
    default: "3000"
  domains:
    description:
      - The application's URLs, for example V(https://app.example.com). Compared as a set.
      - Left as they are when not given; V([]) removes them. When the application is created with V([]), the module
        asks Coolify not to generate a domain (C(autogenerate_domain=false)); when O(domains) is not given at all,
        Coolify generates one as it does by default.
      - Each is V(http://) or V(https://), a host name with a dot and a top-level domain of letters (Coolify refuses an
        IP address or a bare name), an optional port and path; no user, query, fragment, comma or space; listed once.
      - A list is required; a single string is refused rather than split at commas (Ansible would split
        V(https://a.example.com,https://b.example.com) into two items silently, and a one-item string is a likely typo
        for a list).
      - Not used with O(build_pack=dockercompose) (Coolify sets the domains of a compose application per service).
    type: list
    elements: str
  description:
    description:
      - The application's description; left as it is when not given, V("") clears it.
      - One line of at most 255 characters without leading or trailing whitespace.
    type: str
  env:
    description:
      - Environment variables, name to value. Values are treated as secrets (never logged, shown in the diff, or quoted
        in an error).
      - Names match C(^[A-Za-z_][A-Za-z0-9_]*$) (at most 255 characters). A value is a string, a number or a boolean
        (V(true) and V(false) are sent as those words); it is one line (no CR, LF or NUL) without leading or trailing
        whitespace (Coolify trims it). A null value is refused; write V("") for an empty one.
      - A mapping is required; a string such as V(A=1 B=2) is refused rather than parsed.
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
notes:
  - Every option is checked before the first request; a refused value fails the task with a message that names the
    option, quotes the value (never an environment value or the token) and states the rule.
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

import ipaddress
import re
import string
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import Resource
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import (
    BUILD_PACKS,
    COMMON_ARGS,
    NAME_MAX,
    SOURCE_KEYS,
    SOURCES,
    CoolifyError,
    CoolifyModule,
    a_or_an,
    check_description,
    check_lookup_name,
    check_name,
    check_optional_str,
    check_uuid,
    client_from_module,
    fail_invalid,
    given,
    was_given,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    check_env_name,
    check_env_value,
    check_port,
    check_str_list,
    check_text,
    check_url,
    show,
    type_name,
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


# -- checks, one per kind of value: each returns the value to use or raises InvalidValue naming option, value and rule --

REPO_CHARS = frozenset(string.ascii_letters + string.digits + '-_./@~:')
HOST_LABEL = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
# What Coolify accepts as a domain's host: DNS labels, at least one dot, a top-level domain of letters.
DOMAIN_HOST_RE = re.compile(r'^(?:%s\.)+[A-Za-z]{2,63}$' % HOST_LABEL)
GIT_HOST_RE = re.compile(r'^(?:%s\.)*%s$' % (HOST_LABEL, HOST_LABEL))
REPO_PART = r'[A-Za-z0-9_.~-]+'
PUBLIC_REPO_RE = re.compile(r'^https?://(?P<host>[^/:]+)(?::(?P<port>[0-9]{1,5}))?/%s/%s/?$' % (REPO_PART, REPO_PART))
PRIVATE_REPO_RES = (
    re.compile(r'^%s/%s$' % (REPO_PART, REPO_PART)),                                                   # owner/repo
    re.compile(r'^[A-Za-z0-9_.-]+@(?P<host>[^/:@]+):[A-Za-z0-9_.~/-]+$'),                             # git@host:owner/repo
    re.compile(r'^(?:ssh|git|https?)://(?:[A-Za-z0-9_.-]+@)?(?P<host>[^/:@]+)(?::(?P<port>[0-9]{1,5}))?/[A-Za-z0-9_.~/-]+$'),
)
BRANCH_CHARS = frozenset(string.ascii_letters + string.digits + '-_/.')
INTERNAL_HOSTS = ('localhost', 'localhost.localdomain')
ENV_VALUE_SECRET = '(the value is not shown: env values are secrets)'


def check_git_repository(value, name, source):
    check_text(value, name, max_len=1024)
    for ch in value:
        if ch not in REPO_CHARS:
            raise InvalidValue('%s is %s: %s is not allowed; a repository URL holds letters, digits and - _ . / @ ~ : only'
                               % (name, show(value), show(ch)))
    if '..' in value or any(part == '.' for part in re.split(r'[/:]', value)):
        raise InvalidValue('%s is %s: it must not hold .. or a . path part' % (name, show(value)))
    if source == 'public':
        match = PUBLIC_REPO_RE.match(value)
        if not match:
            raise InvalidValue('%s is %s: a public repository is https://host/owner/repo (Coolify keeps only the owner/repo '
                               'part of the URL, so nothing else may follow it)' % (name, show(value)))
    else:
        match = None
        for pattern in PRIVATE_REPO_RES:
            match = pattern.match(value)
            if match:
                break
        if not match:
            raise InvalidValue('%s is %s: give owner/repo, git@host:owner/repo.git, ssh://git@host/owner/repo.git or '
                               'https://host/owner/repo' % (name, show(value)))
    host = match.groupdict().get('host')
    if host is not None:
        if not GIT_HOST_RE.match(host):
            raise InvalidValue('%s is %s: %s is not a host name' % (name, show(value), show(host)))
        if source == 'public':
            try:
                ipaddress.ip_address(host)
                is_ip = True
            except ValueError:
                is_ip = False
            if is_ip or host.lower() in INTERNAL_HOSTS or host.lower().endswith('.local'):
                raise InvalidValue('%s is %s: Coolify refuses a public repository on an IP address, localhost or a .local '
                                   'host; give its host name' % (name, show(value)))
    port = match.groupdict().get('port')
    if port is not None and not 1 <= int(port) <= 65535:
        raise InvalidValue('%s is %s: the port must be a number 1-65535' % (name, show(value)))
    return value


def check_git_branch(value, name):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise InvalidValue('%s must be a string, got a number (%s): quote it (YAML reads 1.10 as the number 1.1)'
                           % (name, show(value)))
    check_text(value, name, max_len=NAME_MAX)
    for ch in value:
        if ch not in BRANCH_CHARS:
            raise InvalidValue('%s is %s: %s is not allowed; a branch holds letters, digits and - _ / . only'
                               % (name, show(value), show(ch)))
    if '..' in value or '//' in value:
        raise InvalidValue('%s is %s: a branch must not hold .. or //' % (name, show(value)))
    if value[0] in '/.' or value[-1] in '/.':
        raise InvalidValue('%s is %s: a branch must not start or end with / or .' % (name, show(value)))
    if value == 'HEAD' or value.endswith('.lock'):
        raise InvalidValue("%s is %s: a branch must not be HEAD or end in .lock" % (name, show(value)))
    return value


def check_ports_exposes(value, name):
    """``'3000'``, ``'3000,3001'`` or the number 3000 -> ``'3000'``/``'3000,3001'``; each port 1-65535, once."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(check_port(value, name))
    if not isinstance(value, str):
        raise InvalidValue("%s must be port numbers separated by commas ('3000' or '3000,3001') or one port number, "
                           "got %s (%s)" % (name, a_or_an(type_name(value)), show(value)))
    check_text(value, name, max_len=1024)
    seen = []
    for position, part in enumerate(value.split(','), 1):
        if not re.match(r'^[1-9][0-9]{0,4}$', part) or int(part) > 65535:
            raise InvalidValue("%s is %s: item %d (%s) is not a port number 1-65535; write port numbers separated by commas, "
                               "without spaces or leading zeros ('3000,3001')" % (name, show(value), position, show(part)))
        if part in seen:
            raise InvalidValue('%s is %s: item %d (%s) repeats item %d' % (name, show(value), position, part, seen.index(part) + 1))
        seen.append(part)
    return value


def check_domain(value, name):
    check_url(value, name)
    if ',' in value:
        raise InvalidValue('%s is %s: Coolify separates domains with commas; give each domain as its own list item'
                           % (name, show(value)))
    parts = urlsplit(value)
    if '@' in parts.netloc:
        raise InvalidValue('%s is %s: a domain has no user or password' % (name, show(value)))
    if '?' in value or '#' in value:
        raise InvalidValue('%s is %s: a domain has no query (?) or fragment (#)' % (name, show(value)))
    host = re.sub(r':[0-9]*$', '', parts.netloc)
    if not DOMAIN_HOST_RE.match(host):
        raise InvalidValue('%s is %s: Coolify needs a host name with a dot and a top-level domain of letters (like '
                           'app.example.com); an IP address, localhost or a bare name is refused' % (name, show(value)))
    if not re.match(r'^[A-Za-z0-9._~/-]*$', parts.path):
        raise InvalidValue('%s is %s: a domain\'s path holds letters, digits and . _ ~ / - only' % (name, show(value)))
    return value


def check_domains(value, name):
    """A list of domain URLs; a string is refused (never split at commas or into characters); each listed once."""
    domains = check_str_list(value, name, item_check=check_domain)
    seen = {}
    for position, domain in enumerate(domains):
        key = domain.rstrip('/').lower()
        if key in seen:
            raise InvalidValue('%s[%d] is %s: it repeats %s[%d]' % (name, position, show(domain), name, seen[key]))
        seen[key] = position
    return domains


def check_env(value, name):
    """NAME: value pairs as Coolify stores them; no message ever holds a value (they are secrets)."""
    if not isinstance(value, Mapping):
        raise InvalidValue('%s must be a mapping of NAME: value, got %s %s' % (name, a_or_an(type_name(value)), ENV_VALUE_SECRET))
    out = {}
    for key, item in value.items():
        check_env_name(key, name)
        label = '%s.%s' % (name, key)
        if len(key) > NAME_MAX:
            raise InvalidValue('%s: a variable name is at most %d characters' % (label, NAME_MAX))
        if item is None or isinstance(item, (Mapping, list, tuple, set, bytes, bytearray)):
            raise InvalidValue("%s must be a string, number or boolean, got %s%s" % (
                label, a_or_an(type_name(item)), "; write '' for an empty value" if item is None else ''))
        try:
            text = check_env_value(item, label)
        except InvalidValue:
            raise InvalidValue('%s holds a line break or NUL (CR, LF or NUL): a variable set by this module is one line %s'
                               % (label, ENV_VALUE_SECRET))
        if text != text.strip():
            raise InvalidValue('%s starts or ends with whitespace, which Coolify trims (the next run would see a different '
                               'value) %s' % (label, ENV_VALUE_SECRET))
        out[key] = text
    return out


def check_options(module):
    """Every option as the task wrote it, before any request; a bad one raises InvalidValue. Sets the checked values."""
    p = module.params
    p['name'] = check_name(given(module, 'name'), 'name')
    p['project'] = check_lookup_name(given(module, 'project'), 'project')
    environment = given(module, 'environment')
    p['environment'] = check_lookup_name('production' if environment is None else environment, 'environment')
    check_optional_str(module, 'server', check_lookup_name)
    check_optional_str(module, 'github_app_uuid', check_uuid)
    check_optional_str(module, 'private_key_uuid', check_uuid)
    repository = given(module, 'git_repository')
    if repository is not None:
        p['git_repository'] = check_git_repository(repository, 'git_repository', p['source'])
    elif p['state'] == 'present':
        raise InvalidValue('git_repository is null: it is required with state=present')
    branch = given(module, 'git_branch')
    p['git_branch'] = check_git_branch('main' if branch is None else branch, 'git_branch')
    ports = given(module, 'ports_exposes')
    p['ports_exposes'] = check_ports_exposes('3000' if ports is None else ports, 'ports_exposes')
    check_optional_str(module, 'description', check_description)
    domains = given(module, 'domains')
    p['domains'] = None if domains is None else check_domains(domains, 'domains')
    env = given(module, 'env')
    p['env'] = None if env is None else check_env(env, 'env')
    if p['build_pack'] == 'dockercompose':
        if p['domains'] is not None:
            raise InvalidValue('domains is given with build_pack=dockercompose: Coolify sets the domains of a compose '
                               'application per service, which this module does not manage; leave domains out')
        if was_given(module, 'ports_exposes') and p['ports_exposes'] != '80':
            raise InvalidValue("ports_exposes is %s with build_pack=dockercompose: Coolify reads the ports from the compose "
                               "file and stores '80'; leave ports_exposes out" % show(p['ports_exposes']))
        p['ports_exposes'] = None  # not managed: Coolify's '80' stays


def _view(app, env):
    if not app:
        return {}
    view = {'uuid': app.get('uuid'), 'name': app.get('name')}
    for field in FIELDS:
        view[field] = app.get(field)
    view['domains'] = domain_set(app.get('fqdn'))
    view['env_keys'] = sorted(env)
    return view


class CoolifyApplication(Resource):
    """The application ``name`` in a project's environment, with its variables (``_api.Resource`` runs the flow)."""

    result_key = 'application'

    def __init__(self, module, client):
        super(CoolifyApplication, self).__init__(module, client)
        self.project = self.environment = None
        self.current_env = {}

    def read(self):
        p = self.params
        project = self.client.project_by_name(p['project'])
        environment = self.client.environment(project['uuid'], p['environment']) if project else None
        if project and environment is None:
            raise CoolifyError("Project '%s' in Coolify at %s has no environment '%s'" % (p['project'], self.client.base_url, p['environment']))
        if not project and not (self.check and p['state'] == 'present'):
            if p['state'] == 'absent':
                return None
            raise CoolifyError("Coolify at %s has no project named '%s': create it first (selfhosted.ai_coding.coolify_project)"
                               % (self.client.base_url, p['project']))
        self.project, self.environment = project, environment
        current = self.client.find_application(environment['id'], p['name']) if environment else None
        self.current_env = self._current_env(current['uuid']) if current else {}
        return current

    def view(self, current):
        return _view(current, self.current_env)

    def planned(self):
        p = self.params
        return {'uuid': None, 'name': p['name'], 'description': p['description'], 'git_repository': p['git_repository'],
                'git_branch': p['git_branch'], 'build_pack': p['build_pack'], 'ports_exposes': p['ports_exposes'],
                'domains': domain_set(p['domains'] or []), 'env_keys': sorted(p['env'] or {})}

    def create(self, planned):
        uuid = self.client.create_application(self.params['source'], self._create_payload(self.project, self.environment))
        self._apply_env(uuid, self._env_changes({}))
        return dict(planned, uuid=uuid)

    def changes(self, current):
        fields = self._wanted_fields(current)
        env = self._env_changes(self.current_env)
        return dict(fields=fields, env=env) if fields or env else {}

    def update(self, current, changes):
        if changes['fields']:
            self.client.update_application(current['uuid'], changes['fields'])
        self._apply_env(current['uuid'], changes['env'])

    def updated(self, before, changes):
        after = dict(before)
        for key, value in changes.get('fields', {}).items():
            if key == 'domains':
                after['domains'] = domain_set(value)
            else:
                after[key] = value
        after['env_keys'] = self._after_env_keys(self.current_env)
        return after

    def delete(self, current):
        self.client.delete_application(current['uuid'])

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
            if p[key] is not None and (current.get(key) or '') != p[key]:
                fields[key] = p[key]
        if p['domains'] is not None and domain_set(current.get('fqdn')) != domain_set(p['domains']):
            fields['domains'] = ','.join(p['domains'])
        return fields

    def _env_changes(self, current_env):
        """The variables to create, update and (with purge_env) delete, in that order: ``[(verb, argument)]``."""
        wanted = self.params['env'] or {}
        todo = []
        for key in sorted(wanted):
            value = wanted[key]  # checked: one line of text
            if key not in current_env:
                todo.append(('create', {'key': key, 'value': value}))
            elif (current_env[key][1] or '') != value:  # Coolify answers null for a value stored as ''
                todo.append(('update', {'key': key, 'value': value}))
        if self.params['purge_env']:
            todo.extend(('delete', current_env[key][0]) for key in sorted(set(current_env) - set(wanted)))
        return todo

    def _apply_env(self, uuid, todo):
        verbs = {'create': self.client.create_env, 'update': self.client.update_env, 'delete': self.client.delete_env}
        for verb, argument in todo:
            verbs[verb](uuid, argument)

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
            'name': p['name'],
            'instant_deploy': False,
        }
        if p['ports_exposes'] is not None:
            payload['ports_exposes'] = p['ports_exposes']
        if environment.get('uuid'):
            payload['environment_uuid'] = environment['uuid']
        if p['description'] is not None:
            payload['description'] = p['description']
        if p['domains']:
            payload['domains'] = ','.join(p['domains'])
        if p['domains'] is not None:
            # Given, even as []: Coolify must not generate a domain of its own (it would, for an empty list, and the next
            # run would remove it again).
            payload['autogenerate_domain'] = False
        for key in SOURCE_KEYS[p['source']]:
            payload[key] = p[key]
        return payload


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
    module = CoolifyModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ('state', 'present', ('git_repository',)),
            ('source', 'private-github-app', ('github_app_uuid',)),
            ('source', 'private-deploy-key', ('private_key_uuid',)),
        ],
    )
    fail_invalid(module, check_options, module)
    client = client_from_module(module)
    try:
        module.exit_json(**CoolifyApplication(module, client).run())
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, status=exc.status, url=exc.url)


if __name__ == '__main__':
    main()
