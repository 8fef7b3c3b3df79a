# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: selfhosted.ai_coding contributors
"""Filter ``ollama_model_name``: validate and normalise an Ollama model name with the collection's one grammar check."""

from __future__ import annotations

DOCUMENTATION = r"""
name: ollama_model_name
version_added: 0.1.0
short_description: Validate an Ollama model name and return it as Ollama lists it
description:
  - Checks a model name against Ollama's name grammar (the same check M(selfhosted.ai_coding.ollama_model) makes before any
    request) and returns the normalised name as C(/api/tags) shows it, for example C(qwen2.5-coder:latest) for C(qwen2.5-coder).
  - Fails with a message that names the argument, the value and the rule it broke, so a role can refuse bad input before
    anything changes. Whitespace, control and invisible characters and non-ASCII look-alikes are refused, the character named.
positional: allowed_registries
options:
  _input:
    description: The model name, C([host/][namespace/]model[:tag]).
    type: str
    required: true
  allowed_registries:
    description:
      - Registry hosts a name may point at, C(host) or C(host:port).
      - Must be a list; a string is refused (it is never split into one-letter hosts), and so is V(null).
    type: list
    elements: str
    default: [registry.ollama.ai]
  form:
    description: C(short) as Ollama lists it, or C(full) as C(host/namespace/model:tag).
    type: str
    choices: [short, full]
    default: short
"""

EXAMPLES = r"""
- name: Refuse a bad declared model before installing anything
  ansible.builtin.assert:
    that: ollama_models | map('selfhosted.ai_coding.ollama_model_name') | list | length >= 0

- name: Normalise
  ansible.builtin.debug:
    msg: "{{ 'qwen2.5-coder' | selfhosted.ai_coding.ollama_model_name }}"   # qwen2.5-coder:latest
"""

RETURN = r"""
_value:
  description: The normalised model name.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    DEFAULT_REGISTRIES,
    validate_model_name,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue, check_str_list, show


def ollama_model_name(name, allowed_registries=DEFAULT_REGISTRIES, form='short'):
    """Return ``name`` normalised; raise AnsibleFilterError naming the argument, the value and the rule when it is invalid."""
    try:
        if form not in ('short', 'full'):
            raise InvalidValue("form is %s: it must be 'short' or 'full'" % show(form))
        # A string is refused, never split into one-letter hosts; null (which would allow any host) too.
        check_str_list(allowed_registries, 'allowed_registries')
        parsed = validate_model_name(name, allowed_registries=allowed_registries)
    except InvalidValue as exc:
        raise AnsibleFilterError('ollama_model_name: %s' % exc)
    return parsed.short if form == 'short' else parsed.full


class FilterModule(object):
    """Ollama model-name filters."""

    def filters(self):
        return {'ollama_model_name': ollama_model_name}
