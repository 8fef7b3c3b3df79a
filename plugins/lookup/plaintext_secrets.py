# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: plaintext_secrets
short_description: Find secrets written in plain text in the inventory's group_vars and host_vars
version_added: 0.1.0
description:
  - Reads, on the controller, every file under C(group_vars/) and C(host_vars/) beside each inventory source and returns
    each secret variable defined there in plain text, with its file. site.yml's preflight refuses the run when the list
    is not empty.
  - "Secret variables: every option that a role of this collection marks C(no_log) in its argument specs
    (C(roles/*/meta/argument_specs.yml), read at each call), every C(vault_*) variable, and O(extra_variables)."
  - "Accepted: a file encrypted as a whole with C(ansible-vault) (it starts with C($ANSIBLE_VAULT)), an inline C(!vault)
    value (C(ansible-vault encrypt_string)), a Jinja expression that names another variable
    (C(backups_password: '{{ vault_backups_password }}')), and an empty value. Anything else is a plain-text secret."
  - In a list or mapping (C(reverse_proxy_basic_auth_users), C(inference_gateway_keys)) only the values under keys that
    name a secret (password, key, token, secret, credential, auth, cookie) count; a user's name is not a secret.
  - It reads the source files rather than the variables because a whole file encrypted with C(ansible-vault) decrypts
    to plain values, which C(is ansible.builtin.vault_encrypted) cannot tell from a plain file.
  - Files with other extensions (C(vault.yml.example)) and hidden files are not read, as Ansible does not read them.
    Variables given with C(-e), in a playbook or inline in the inventory file itself are not looked at.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
options:
  _terms:
    description:
      - Inventory sources (directories or files) whose C(group_vars/) and C(host_vars/) are read; for a file, those
        beside it. Paths that do not exist (a host list such as C(localhost,)) are skipped.
      - None given, the magic variable C(ansible_inventory_sources), i.e. every C(-i).
    type: list
    elements: path
    required: false
  roles_dir:
    description:
      - The directory of the roles whose argument specs name the secret options.
      - By default the C(roles/) directory of this collection.
    type: path
  extra_variables:
    description: More variable names to treat as secrets.
    type: list
    elements: str
    default: []
seealso:
  - name: Encrypting content with Ansible Vault
    description: C(ansible-vault create) and C(encrypt_string).
    link: https://docs.ansible.com/ansible/latest/vault_guide/vault_encrypting_content.html
"""

EXAMPLES = r"""
- name: Refuse plain-text secrets in the inventory, before anything changes
  vars:
    __found: "{{ lookup('selfhosted.ai_coding.plaintext_secrets', wantlist=True) }}"
  ansible.builtin.assert:
    that: __found | length == 0
    fail_msg: "Secrets in plain text: {{ __found | map(attribute='variable') | join(', ') }}"
  run_once: true

- name: List them, treating our own role's password as a secret too
  ansible.builtin.debug:
    msg: "{{ query('selfhosted.ai_coding.plaintext_secrets', 'inventories/prod', extra_variables=['myapp_admin_password']) }}"
"""

RETURN = r"""
_list:
  description: One entry per secret defined in plain text, in file order; empty when there is none.
  type: list
  elements: dict
  contains:
    variable:
      description: The variable's name.
      type: str
      sample: backups_password
    file:
      description: The file that defines it (an absolute path).
      type: str
      sample: /srv/ai-coding/inventories/prod/group_vars/backups/backups.yml
"""

import os
import re

import yaml

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

SPECS_FILE = "argument_specs.yml"

VAULT_HEADER = "$ANSIBLE_VAULT"
VARS_DIRS = ("group_vars", "host_vars")
VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")
# Inside a list or mapping, the leaves under such a key hold the secret (a user's password, a gateway key, a header).
SECRET_KEY = re.compile(r"pass|secret|token|key|credential|auth|cookie", re.IGNORECASE)
TEMPLATE = re.compile(r"{{|{%")


class _Tagged:
    """A value YAML tagged (``!vault``, ``!unsafe``): ``vault`` tells which."""

    def __init__(self, vault):
        self.vault = vault


class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader that keeps ``!vault`` values opaque and marks ``!unsafe`` ones (their text is literal, never templated)."""


_Loader.add_constructor("!vault", lambda loader, node: _Tagged(vault=True))
_Loader.add_constructor("!unsafe", lambda loader, node: _Tagged(vault=False))


def secret_options(roles_dir):
    """The options every role's argument specs mark ``no_log``, sorted; read from roles/*/meta/."""
    names = set()
    for role in sorted(os.listdir(roles_dir)) if os.path.isdir(roles_dir) else []:
        path = os.path.join(roles_dir, role, "meta", SPECS_FILE)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            specs = (yaml.safe_load(handle) or {}).get("argument_specs") or {}
        for entry in specs.values():
            for name, spec in ((entry or {}).get("options") or {}).items():
                if (spec or {}).get("no_log"):
                    names.add(name)
    return sorted(names)


def is_secret_name(name, secrets):
    """A role's secret option, or a name of the vault_ convention."""
    return name in secrets or name.startswith("vault_")


def plain_text(value, secret=None):
    """True when the value holds a literal secret: a non-empty string (or a number) that is neither a Jinja expression
    nor ``!vault``. ``secret`` None (a secret variable's own value): a scalar is the secret, and in a list or mapping
    only what is under a key naming a secret counts (a user's name is plain, its password is not). True: all of it."""
    if isinstance(value, dict):
        return any(plain_text(v, True if SECRET_KEY.search(str(k)) else bool(secret)) for k, v in value.items())
    if isinstance(value, list):
        return any(plain_text(v, secret) for v in value)
    if secret is False:
        return False
    if isinstance(value, _Tagged):
        return not value.vault
    if isinstance(value, str):
        return value.strip() != "" and not TEMPLATE.search(value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def vars_files(source):
    """The group_vars and host_vars files of one inventory source (a directory, or the directory of a file)."""
    base = source if os.path.isdir(source) else os.path.dirname(source)
    for sub in VARS_DIRS:
        top = os.path.join(base, sub)
        if not os.path.isdir(top):
            continue
        for root, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and os.path.splitext(name)[1] in VARS_SUFFIXES:
                    yield os.path.join(root, name)


def scan_file(path, secrets):
    """[(variable, path)] for each secret defined in plain text in one vars file."""
    with open(path, "rb") as handle:
        raw = handle.read()
    text = to_text(raw, errors="surrogate_or_strict")
    if text.lstrip().startswith(VAULT_HEADER):
        return []
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise AnsibleLookupError("Could not read %s as YAML to look for plain-text secrets: %s" % (path, exc)) from exc
    if not isinstance(data, dict):
        return []
    return [(name, path) for name, value in data.items()
            if isinstance(name, str) and is_secret_name(name, secrets) and plain_text(value)]


def find_plain_secrets(sources, secrets):
    """Every (variable, file) defined in plain text across the inventory sources, in a stable order."""
    found = []
    seen = set()
    for source in sources:
        for path in vars_files(source):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            found.extend(scan_file(path, secrets))
    return found


class LookupModule(LookupBase):
    """Reads the inventory files on the controller; changes nothing."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        sources = list(terms) if terms else list((variables or {}).get("ansible_inventory_sources") or [])
        roles_dir = self.get_option("roles_dir") or os.path.join(os.path.dirname(__file__), "..", "..", "roles")
        roles_dir = os.path.realpath(os.path.expanduser(str(roles_dir)))
        if not os.path.isdir(roles_dir):
            raise AnsibleLookupError("roles_dir %s is not a directory: the roles' argument specs name the secrets" % roles_dir)
        secrets = sorted(set(secret_options(roles_dir)) | {str(n) for n in self.get_option("extra_variables") or []})
        sources = [os.path.realpath(os.path.expanduser(str(s))) for s in sources if os.path.exists(str(s))]
        return [{"variable": name, "file": path} for name, path in find_plain_secrets(sources, secrets)]
