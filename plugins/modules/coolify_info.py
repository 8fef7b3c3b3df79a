#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: coolify_info
short_description: Read a Coolify instance's version, health, projects, applications and servers
version_added: 0.1.0
description:
  - Reads C(GET /health), C(/version), C(/projects), C(/applications) and C(/servers) of a Coolify instance.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
extends_documentation_fragment:
  - selfhosted.ai_coding.coolify
  - selfhosted.ai_coding.api
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  idempotent:
    description: Only reads.
    support: full
  action_group:
    description: Use C(group/selfhosted.ai_coding.coolify) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - selfhosted.ai_coding.coolify
options:
  gather:
    description:
      - What to read besides health and version.
      - A list is required; a single string is refused rather than split at commas.
    type: list
    elements: str
    choices: [applications, projects, servers]
    default: [applications, projects, servers]
seealso:
  - module: selfhosted.ai_coding.coolify_project
  - module: selfhosted.ai_coding.coolify_application
"""

EXAMPLES = r"""
- name: Read the instance
  selfhosted.ai_coding.coolify_info:
    api_token_file: /data/coolify/source/.ai-coding-api-token
  register: __coolify

- name: Show the version
  ansible.builtin.debug:
    msg: "Coolify {{ __coolify.version }}, {{ __coolify.projects | length }} projects"
"""

RETURN = r"""
health:
  description: What C(/api/v1/health) answered.
  returned: always
  type: str
  sample: OK
version:
  description: The instance's version, without a C(v) prefix.
  returned: always
  type: str
  sample: 4.3.11
projects:
  description: The projects (C(uuid), C(name), C(description)).
  returned: when projects are gathered
  type: list
  elements: dict
applications:
  description: The applications (C(uuid), C(name), C(fqdn), C(status), C(git_repository), C(git_branch), C(environment_id)).
  returned: when applications are gathered
  type: list
  elements: dict
servers:
  description: The servers (C(uuid), C(name), C(ip), C(user), C(port)).
  returned: when servers are gathered
  type: list
  elements: dict
"""

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import (
    COMMON_ARGS,
    CoolifyError,
    CoolifyModule,
    client_from_module,
    fail_invalid,
    given,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import check_str_list

KEEP = {
    'projects': ('uuid', 'name', 'description'),
    'applications': ('uuid', 'name', 'fqdn', 'status', 'git_repository', 'git_branch', 'build_pack', 'environment_id'),
    'servers': ('uuid', 'name', 'ip', 'user', 'port'),
}


def main():
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(
        gather=dict(type='list', elements='str', choices=sorted(KEEP), default=sorted(KEEP)),
    )
    module = CoolifyModule(argument_spec=argument_spec, supports_check_mode=True)
    # A string where the list belongs is refused (the argument spec would split 'projects,servers' at the comma).
    fail_invalid(module, check_str_list, given(module, 'gather'), 'gather')
    client = client_from_module(module)
    try:
        result = {'changed': False, 'health': client.health(), 'version': client.version()}
        for what in module.params['gather']:
            items = getattr(client, what)()
            result[what] = [dict((k, item.get(k)) for k in KEEP[what]) for item in items]
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, status=exc.status, url=exc.url)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
