# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: selfhosted.ai_coding contributors
"""Filter ``input_problems``: the roles' one engine for checking a table of variables by kind before anything changes."""

from __future__ import annotations

DOCUMENTATION = r"""
name: input_problems
version_added: 0.2.0
short_description: Check role variables against a table of rules and return what breaks them
description:
  - Takes a table of checks, one per variable, and the variables' values (in the same order), and returns one message
    per value that breaks a rule, each naming the variable (list entries by position), the value as JSON (cut at 100
    characters; a secret is never shown) and the rule. An empty list means every value passed.
  - The roles call it first in C(tasks/validate.yml), so that nothing changes when a value is bad. Role argument specs
    do not convert values (a string given for a list stays a string, and a loop over it would take it character by
    character), so the types are checked here too.
  - "Per value, in order: control or invisible characters (a line break would add a line of its own choosing to a
    config file); for O(kind=port) or O(kind=number), a whole number in range (a boolean is not a number); for
    O(kind=mapping), a mapping; otherwise a string, not blank unless C(empty), at most 4096 characters; for
    O(kind=path), absolute and without C(..); C(notroot): not C(/) itself; C(shell): only characters a shell reads
    literally; C(re): the value matches it, else C(rule) is the message."
positional: values
options:
  _input:
    description:
      - The checks, each a mapping with C(name) (the variable) and optionally C(kind) (C(text), C(path), C(port),
        C(number), C(mapping); default C(text)), C(list) (the variable is a list of such values), C(secret) (never
        shown), C(empty) (may be empty), C(re) and C(rule), C(shell), C(notroot), C(min) and C(max) (for C(number)).
    type: list
    elements: dict
    required: true
  values:
    description: The values of the variables, in the order of the checks (for example C(query('ansible.builtin.vars', *names))).
    type: list
    elements: raw
    required: true
"""

EXAMPLES = r"""
- name: Find the values that break a rule of their kind
  vars:
    __checks:
      - {name: backups_config_dir, kind: path, shell: true, notroot: true}
      - {name: backups_password, secret: true}
  ansible.builtin.set_fact:
    __problems: "{{ __checks | selfhosted.ai_coding.input_problems(query('ansible.builtin.vars', *(__checks | map(attribute='name')))) }}"
"""

RETURN = r"""
_value:
  description: One message per value that breaks a rule; empty when all pass.
  type: list
  elements: str
"""

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    SHELL_SAFE_PATH_RE,
    a_type_name,
    bad_chars,
    type_name,
)

MAX_TEXT = 4096
KINDS = ('text', 'path', 'port', 'number', 'mapping')


def _json(value):
    try:
        text = json.dumps(value, ensure_ascii=True, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = '<%s>' % type_name(value)
    return text[:100]


def _is_list(value):
    return isinstance(value, (list, tuple))


def _whole_number(value, digits):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^[0-9]{1,%d}\Z' % digits, value):
        return int(value)
    return None


def _problem(check, value):
    """The rule ``value`` breaks under ``check``, or None."""
    kind = check.get('kind', 'text')
    if isinstance(value, str) and bad_chars(value):
        return 'it must not hold control or invisible characters (a line break, a tab...)' + (
            ' (rule: %s)' % check['rule'] if check.get('rule') else '')
    if kind == 'port':
        number = _whole_number(value, 5)
        if number is None or not 1 <= number <= 65535:
            return 'it must be a port number 1-65535'
        return None
    if kind == 'number':
        low, high = check.get('min', 1), check.get('max', 999999)
        number = _whole_number(value, 6)
        if number is None or not low <= number <= high:
            return 'it must be a whole number from %s to %s' % (low, high)
        return None
    if kind == 'mapping':
        return None if isinstance(value, Mapping) else 'it must be a mapping, not %s' % a_type_name(value)
    if not isinstance(value, str):
        return 'it must be a string, not %s' % a_type_name(value)
    if not value.strip() and not check.get('empty', False):
        return 'it must not be empty or blank'
    if len(value) > MAX_TEXT:
        return 'it must be at most %d characters' % MAX_TEXT
    if kind == 'path' and value and not value.startswith('/'):
        return 'it must be an absolute path (starting with /)'
    if kind == 'path' and re.search(r'(^|/)\.\.(/|\Z)', value):
        return 'a path must not hold .. components'
    if check.get('notroot') and re.match(r'^/+\Z', value):
        return 'it must be a directory below /, not / itself'
    if check.get('shell') and value and not SHELL_SAFE_PATH_RE.match(value):
        return 'bash reads this path (a file it sources or a script), so it may hold only letters, digits and _ . / @ % + = : , -'
    if check.get('re') and not re.match(check['re'], value):
        return check.get('rule', 'it must match %s' % check['re'])
    return None


def input_problems(checks, values):
    if not _is_list(checks) or not _is_list(values) or len(checks) != len(values):
        raise AnsibleFilterError('input_problems: takes a list of checks and a list of as many values')
    problems = []
    for check, value in zip(checks, values):
        if not isinstance(check, Mapping) or not isinstance(check.get('name'), str) or check.get('kind', 'text') not in KINDS:
            raise AnsibleFilterError('input_problems: each check needs a name and a kind among %s' % ', '.join(KINDS))
        name, secret = check['name'], bool(check.get('secret', False))
        if check.get('list', False):
            if not _is_list(value):
                problems.append('%s must be a list, got %s%s (rule: a YAML list, one entry per item; a string is not split on '
                                'commas)' % (name, a_type_name(value), '' if secret else ' (%s)' % _json(value)))
                continue
            items = [('%s[%d]' % (name, i), item) for i, item in enumerate(value)]
        else:
            items = [(name, value)]
        for label, item in items:
            rule = _problem(check, item)
            if rule:
                problems.append('%s%s: %s' % (label, ' (not shown)' if secret else ' is %s' % _json(item), rule))
    return problems


class FilterModule(object):
    """The roles' input-check filter."""

    def filters(self):
        return {'input_problems': input_problems}
