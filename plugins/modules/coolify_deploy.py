#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: coolify_deploy
short_description: Deploy a Coolify application and wait for the outcome
version_added: 0.1.0
description:
  - Queues a deployment of an application with C(POST /deploy?uuid=...), then polls C(GET /deployments/{uuid}) until
    it ends (V(finished), V(failed), V(cancelled-by-user)) or O(wait_timeout) passes, and returns its status and the
    tail of its log.
  - The application is named by O(uuid), or by O(name) with O(project) and O(environment).
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
    description: Looks the application up and reports that a deployment would be queued, without queuing it.
    support: full
  diff_mode:
    description: Not applicable; a deployment has no before and after state.
    support: none
  idempotent:
    description: Every run queues a new deployment; that is what the module is for.
    support: none
options:
  uuid:
    description:
      - The application's UUID. Mutually exclusive with O(name).
      - Letters, digits, C(-) and C(_) only.
    type: str
  name:
    description:
      - The application's name; needs O(project).
      - One line of at most 255 characters without leading or trailing whitespace (the same for O(project) and
        O(environment)).
    type: str
  project:
    description: The project holding the application named O(name).
    type: str
  environment:
    description: The environment holding the application named O(name).
    type: str
    default: production
  force:
    description: Rebuild without Coolify's build cache.
    type: bool
    default: false
  wait:
    description: Wait for the deployment to end. With V(false) the module returns the queued deployment at once.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the deployment to end, 1 to 86400.
    type: int
    default: 900
  poll_interval:
    description: Seconds between two status requests while waiting, 1 to 3600.
    type: int
    default: 5
  log_lines:
    description: How many of the last lines of the deployment log to return, 0 to 10000.
    type: int
    default: 40
  fail_on_error:
    description: Fail the task when the deployment ends in V(failed) or is cancelled.
    type: bool
    default: true
notes:
  - Every option is checked before the first request; a refused value fails the task with a message that names the
    option, quotes the value (never the token) and states the rule. A boolean is not taken as a number.
seealso:
  - module: selfhosted.ai_coding.coolify_application
  - name: Coolify API
    description: The REST API this module uses (C(/deploy), C(/deployments)).
    link: https://coolify.io/docs/api-reference/authorization
"""

EXAMPLES = r"""
- name: Deploy the demo application and wait
  selfhosted.ai_coding.coolify_deploy:
    api_token_file: /data/coolify/source/.ai-coding-api-token
    project: ai-coding
    name: demo
  register: __deploy

- name: Show how it went
  ansible.builtin.debug:
    msg: "{{ __deploy.status }}: {{ __deploy.log_tail | join('\n') }}"
"""

RETURN = r"""
deployment_uuid:
  description: The deployment's UUID (null in check mode).
  returned: always
  type: str
  sample: "k8wg0os"
application_uuid:
  description: The application's UUID.
  returned: always
  type: str
status:
  description: The deployment's last status (V(queued), V(in_progress), V(finished), V(failed), ...; V(skipped) in check mode).
  returned: always
  type: str
  sample: finished
log_tail:
  description: The last O(log_lines) lines of the deployment log.
  returned: always
  type: list
  elements: str
timed_out:
  description: Whether O(wait_timeout) passed before the deployment ended.
  returned: always
  type: bool
"""

import json
import time

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import (
    COMMON_ARGS,
    FINAL_STATES,
    CoolifyError,
    CoolifyModule,
    check_count,
    check_lookup_name,
    check_optional_str,
    check_uuid,
    client_from_module,
    fail_invalid,
    given,
)

WAIT_TIMEOUT_MAX = 86400
POLL_INTERVAL_MAX = 3600
LOG_LINES_MAX = 10000


def log_tail(logs, count):
    """Coolify keeps the log as a JSON list of ``{"output": ...}`` records (or plain text): the last ``count`` lines."""
    if not logs:
        return []
    lines = []
    try:
        records = json.loads(logs)
    except (TypeError, ValueError):
        records = None
    if isinstance(records, list):
        for record in records:
            if isinstance(record, dict) and not record.get('hidden'):
                lines.extend(str(record.get('output', '')).splitlines())
    else:
        lines = str(logs).splitlines()
    return lines[-count:] if count > 0 else []


def check_options(module):
    """Every option as the task wrote it, before any request; a bad one raises InvalidValue. Sets the checked values."""
    check_optional_str(module, 'uuid', check_uuid)
    check_optional_str(module, 'name', check_lookup_name)
    check_optional_str(module, 'project', check_lookup_name)
    environment = given(module, 'environment')
    module.params['environment'] = check_lookup_name('production' if environment is None else environment, 'environment')
    check_count(module, 'wait_timeout', maximum=WAIT_TIMEOUT_MAX)
    check_count(module, 'poll_interval', maximum=POLL_INTERVAL_MAX)
    check_count(module, 'log_lines', minimum=0, maximum=LOG_LINES_MAX)


class CoolifyDeploy(object):

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params

    def _application_uuid(self):
        p = self.params
        if p['uuid']:
            if self.client.application(p['uuid']) is None:
                raise CoolifyError('Coolify at %s has no application with UUID %s' % (self.client.base_url, p['uuid']), status=404)
            return p['uuid']
        project = self.client.project_by_name(p['project'])
        if not project:
            raise CoolifyError("Coolify at %s has no project named '%s'" % (self.client.base_url, p['project']))
        environment = self.client.environment(project['uuid'], p['environment'])
        if not environment:
            raise CoolifyError("Project '%s' in Coolify at %s has no environment '%s'" % (p['project'], self.client.base_url, p['environment']))
        app = self.client.find_application(environment['id'], p['name'])
        if not app:
            raise CoolifyError("Coolify at %s has no application '%s' in %s/%s" % (self.client.base_url, p['name'], p['project'], p['environment']))
        return app['uuid']

    def run(self):
        p = self.params
        app_uuid = self._application_uuid()
        result = {'changed': True, 'application_uuid': app_uuid, 'deployment_uuid': None, 'status': 'skipped', 'log_tail': [],
                  'timed_out': False}
        if self.module.check_mode:
            return result
        queued = self.client.deploy(app_uuid, force=p['force'])
        deployment_uuid = queued[0].get('deployment_uuid')
        result['deployment_uuid'] = deployment_uuid
        result['status'] = 'queued'
        if not deployment_uuid:
            raise CoolifyError('Coolify at %s did not queue a deployment of %s: %s' % (self.client.base_url, app_uuid, queued[0].get('message')))
        deadline = time.monotonic() + p['wait_timeout']
        while True:
            deployment = self.client.deployment(deployment_uuid)
            result['status'] = deployment.get('status') or 'unknown'
            result['log_tail'] = log_tail(deployment.get('logs'), p['log_lines'])
            if not p['wait'] or result['status'] in FINAL_STATES:
                break
            if time.monotonic() >= deadline:
                result['timed_out'] = True
                break
            time.sleep(p['poll_interval'])
        if p['fail_on_error'] and (result['timed_out'] or result['status'] in ('failed', 'cancelled-by-user', 'cancelled')):
            what = 'did not end within %s seconds' % p['wait_timeout'] if result['timed_out'] else "ended with status '%s'" % result['status']
            self.module.fail_json(msg='Deployment %s of application %s on Coolify at %s %s' % (deployment_uuid, app_uuid, self.client.base_url, what),
                                  **result)
        return result


def main():
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(
        uuid=dict(type='str'),
        name=dict(type='str'),
        project=dict(type='str'),
        environment=dict(type='str', default='production'),
        force=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=900),
        poll_interval=dict(type='int', default=5),
        log_lines=dict(type='int', default=40),
        fail_on_error=dict(type='bool', default=True),
    )
    module = CoolifyModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[('uuid', 'name')],
        required_one_of=[('uuid', 'name')],
        required_by={'name': ('project',)},
    )
    fail_invalid(module, check_options, module)
    client = client_from_module(module)
    try:
        module.exit_json(**CoolifyDeploy(module, client).run())
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, status=exc.status, url=exc.url)


if __name__ == '__main__':
    main()
