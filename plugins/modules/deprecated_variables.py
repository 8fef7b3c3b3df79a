#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: deprecated_variables
short_description: Warn, as Ansible's deprecation warnings do, about role variables that were renamed
version_added: 0.2.0
description:
  - Emits one C([DEPRECATION WARNING]) per renamed role variable the inventory still sets, naming the variable that
    replaces it and the release that drops the old name. The roles call it where they map an old name to its new one,
    so the old name keeps working for one release and says so.
  - The warnings obey C(deprecation_warnings=False) like every other deprecation. The module changes nothing.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Only warns; runs in check mode exactly as without it.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  idempotent:
    description: Always reports C(changed=false).
    support: full
options:
  variables:
    description:
      - The renamed variables the caller found set, each a mapping with C(name) (the old name) and C(replacement)
        (the new name, or a sentence saying what replaces it).
    type: list
    elements: dict
    required: true
  removed_in:
    description: The collection release that drops the old names.
    type: str
    default: 0.3.0
seealso:
  - module: selfhosted.ai_coding.docker_daemon_config
"""

EXAMPLES = r"""
- name: Warn about the old names still set
  selfhosted.ai_coding.deprecated_variables:
    variables: >-
      {{ [{'name': 'ollama_container_manage_docker', 'replacement': 'docker_engine_install'}]
         if ollama_container_manage_docker is defined else [] }}
"""

RETURN = r"""
deprecated:
  description: The old names warned about, in order.
  returned: always
  type: list
  elements: str
  sample: [ollama_container_manage_docker]
"""

import re

from ansible.module_utils.basic import AnsibleModule

NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,127}\Z')


class Deprecations:
    """Check the table of renamed variables, then warn once per entry."""

    def __init__(self, module):
        self.module = module

    def problems(self):
        bad = []
        for index, item in enumerate(self.module.params['variables']):
            name, replacement = item.get('name'), item.get('replacement')
            if not isinstance(name, str) or not NAME_RE.match(name):
                bad.append(f"variables[{index}].name is {name!r}: it must be a variable name (letters, digits, _)")
            if not isinstance(replacement, str) or not replacement.strip() or '\n' in replacement:
                bad.append(f"variables[{index}].replacement is {replacement!r}: it must be one non-empty line")
        if not re.match(r'^[0-9]+\.[0-9]+\.[0-9]+\Z', self.module.params['removed_in']):
            bad.append(f"removed_in is {self.module.params['removed_in']!r}: it must be a release number X.Y.Z")
        return bad

    def run(self):
        bad = self.problems()
        if bad:
            self.module.fail_json(msg='; '.join(bad))
        names = []
        for item in self.module.params['variables']:
            self.module.deprecate(
                f"The role variable {item['name']} is deprecated: use {item['replacement']} (its value was used for it)",
                version=self.module.params['removed_in'], collection_name='selfhosted.ai_coding')
            names.append(item['name'])
        self.module.exit_json(changed=False, deprecated=names)


def main():
    module = AnsibleModule(
        argument_spec={
            'variables': {'type': 'list', 'elements': 'dict', 'required': True},
            'removed_in': {'type': 'str', 'default': '0.3.0'},
        },
        supports_check_mode=True,
    )
    Deprecations(module).run()


if __name__ == '__main__':
    main()
