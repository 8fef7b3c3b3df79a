# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: selfhosted.ai_coding contributors
"""Filter ``checked_env``: check a free-form environment map before a role writes it anywhere."""

from __future__ import annotations

DOCUMENTATION = r"""
name: checked_env
version_added: 0.2.0
short_description: Check a free-form environment map (names, one-line values, names the role owns)
description:
  - Checks every name against C(^[A-Za-z_][A-Za-z0-9_]*$) and every value for NUL, CR and LF (a value with a line
    break would add a line of its own choosing to a systemd environment file), and refuses names the role sets
    through its own variables (so a guard on a first-class variable cannot be walked around through the map).
  - Returns the map with every value as a string (booleans as C(true)/C(false)); fails with a message that names the
    map, the entry and the rule. A value is never quoted in a message (it may be a secret).
positional: name, reserved
options:
  _input:
    description: The environment map, C(NAME) to value.
    type: dict
    required: true
  name:
    description: The variable's name, for messages.
    type: str
    required: true
  reserved:
    description: Names (case-insensitive) the role owns; the map may not set them.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Render the role's environment from the checked map
  ansible.builtin.set_fact:
    __env: "{{ ollama_environment | selfhosted.ai_coding.checked_env('ollama_environment', ['OLLAMA_HOST']) }}"
"""

RETURN = r"""
_value:
  description: The map with string values.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue, check_env_map


def checked_env(mapping, name, reserved=()):
    try:
        return check_env_map(mapping, name, reserved=list(reserved or ()))
    except InvalidValue as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Environment-map filters."""

    def filters(self):
        return {'checked_env': checked_env}
