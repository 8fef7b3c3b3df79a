#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: coolify_project
short_description: Create, update or delete a Coolify project by name
version_added: 0.1.0
description:
  - Makes sure a project of the given O(name) exists in Coolify with the given O(description), or is absent.
  - Projects are found by name (C(GET /projects)); two projects of one name are refused rather than guessed between.
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
    description: Reads the project and predicts the change without writing.
    support: full
  diff_mode:
    description: Returns the project's name and description before and after.
    support: full
  idempotent:
    description: A second run with the same options reports no change.
    support: full
options:
  name:
    description:
      - The project's name, unique among the projects the token can see.
      - Coolify's own name rule applies, checked before any request - letters and digits of any script, spaces and
        the punctuation C(-_.@/&#,:+) and parentheses, at most 255 characters, not blank, no leading or trailing whitespace (Coolify
        trims it, and the next run would not find the project by the name given).
    type: str
    required: true
  description:
    description:
      - The project's description. Left as it is when not given; V("") clears it.
      - One line of at most 255 characters without leading or trailing whitespace.
    type: str
  state:
    description:
      - V(present) creates or updates the project, V(absent) deletes it (Coolify refuses to delete a project that
        still holds resources; the module reports Coolify's message).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Every option is checked before the first request; a refused value fails the task with a message that names the
    option, quotes the value (never the token) and states the rule.
seealso:
  - module: selfhosted.ai_coding.coolify_application
  - module: selfhosted.ai_coding.coolify_info
  - name: Coolify API
    description: The REST API this module uses (C(/projects)).
    link: https://coolify.io/docs/api-reference/authorization
"""

EXAMPLES = r"""
- name: Make sure the project exists
  selfhosted.ai_coding.coolify_project:
    api_url: http://127.0.0.1:8000
    api_token_file: /data/coolify/source/.ai-coding-api-token
    name: ai-coding
    description: Apps built by the AI coding agents

- name: Delete the project
  selfhosted.ai_coding.coolify_project:
    api_token_file: /data/coolify/source/.ai-coding-api-token
    name: scratch
    state: absent
"""

RETURN = r"""
project:
  description: The project after the run (empty when absent; in check mode the predicted state, UUID null for a new one).
  returned: always
  type: dict
  sample: {"uuid": "og888os", "name": "ai-coding", "description": "Apps built by the AI coding agents"}
"""

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import Resource
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import (
    COMMON_ARGS,
    CoolifyError,
    CoolifyModule,
    check_description,
    check_name,
    check_optional_str,
    client_from_module,
    fail_invalid,
    given,
)


def check_options(module):
    """name and description as the task wrote them, before any request; a bad one raises InvalidValue."""
    module.params['name'] = check_name(given(module, 'name'), 'name')
    check_optional_str(module, 'description', check_description)


def _view(project):
    if not project:
        return {}
    return {'uuid': project.get('uuid'), 'name': project.get('name'), 'description': project.get('description')}


class CoolifyProject(Resource):
    """The project called ``name``: created, its description updated, or deleted (``_api.Resource`` runs the flow)."""

    result_key = 'project'

    def read(self):
        return self.client.project_by_name(self.params['name'])

    def view(self, current):
        return _view(current)

    def planned(self):
        return {'uuid': None, 'name': self.params['name'], 'description': self.params['description']}

    def create(self, planned):
        return dict(planned, uuid=self.client.create_project(self.params['name'], self.params['description']))

    def changes(self, current):
        wanted = self.params['description']
        if wanted is not None and (current.get('description') or '') != wanted:
            return {'description': wanted}
        return {}

    def update(self, current, changes):
        self.client.update_project(current['uuid'], dict({'name': self.params['name']}, **changes))

    def delete(self, current):
        self.client.delete_project(current['uuid'])


def main():
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(
        name=dict(type='str', required=True),
        description=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    )
    module = CoolifyModule(argument_spec=argument_spec, supports_check_mode=True)
    fail_invalid(module, check_options, module)
    client = client_from_module(module)
    try:
        module.exit_json(**CoolifyProject(module, client).run())
    except CoolifyError as exc:
        module.fail_json(msg=exc.msg, status=exc.status, url=exc.url)


if __name__ == '__main__':
    main()
