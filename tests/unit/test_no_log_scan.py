# SPDX-License-Identifier: GPL-3.0-or-later
"""No secret leaks through a missing ``no_log``: a scan of the modules' argument specs, the roles' argument specs and
every task file (roles' tasks and handlers, playbooks/, site.yml; not molecule/ or tests/).

The name rule (:func:`rule_kind`). A name is split into lower-case words on ``_``, ``-``, ``.``, spaces and camelCase
(``__openhands_llm_api_key`` -> ``openhands llm api key``). It marks a SECRET when a word is one of ``SECRET_WORDS``
(password, passwd, passphrase, secret(s), token(s), apikey, credential(s), htpasswd, privkey, privatekey, appkey), or
``key``/``keys`` comes right after one of ``KEY_QUALIFIERS`` (``llm_api_key``, ``relay_keys``, ``ssh_key``; never
``json_keys``, ``item.key``, ``host_key_types``, ``keyring``, ``public_key``). A name that also has a path word
(``PATH_WORDS``: file, path, dir...) names a SECRET FILE instead (``coolify_api_token_file``, ``relay_key_file``), and so
does ``env`` with a path word (``__backups_env_file``). A name with a metadata word (``META_WORDS``: name, id, uuid,
type, bits, size, kind, program, check...) holds no secret (``coolify_api_token_name``, ``backups_s3_access_key_id``).
A role option typed bool, int or float holds no secret whatever its name. A literal path whose last part reads like a
secret file (``.env``, ``restic.env``, ``*.htpasswd``, ``*token*``, ``*password*``, ``id_ed25519``; not ``.pub``) is a
secret file, and so is a role variable defined as such a path. tests/unit/no_log_scan.yml adds what a name cannot say
(free-form maps that may carry credentials, settings.json), each entry with its reason.

What is a secret in a task: a name the rule or no_log_scan.yml marks; a role variable, ``set_fact`` or play/block/task
variable whose value uses a secret; a result registered by a task that reads a secret file; whatever is placed under a
key that marks a secret (``Authorization:``, ``RESTIC_PASSWORD:``, ``api_token:``), whatever its name; an attribute
that marks one (``item.password``); ``lookup('password', ...)``; a ``file``/``template`` lookup of a secret file or of
a template that uses a secret. Every secret keeps its ORIGINS (``__ollama_env_binary`` comes from
``ollama_environment``).

What is not a use (cannot print the value): an operand of a test (``x is defined``, ``x is match(...)``), of
``length``/``count``/``bool``, of ``not``, of ``default(true|false)`` (a flag); the condition of ``a if c else b`` and
``{% if %}``; ``x.keys()``; ``x | map(attribute='name')``; metadata of a result or an entry (``.rc``, ``.status``,
``.stat``, ``.name``, ``.id``...); one named entry of an environment map (``env.OLLAMA_HOST``) unless its name marks a
secret; iterating in ``{% for u in users %}`` (then ``u.name`` is no use and ``u | to_json`` is); an argument to an
option of this collection's own modules that has ``no_log=True`` (the module masks it); an accumulator
(``checks: '{{ checks + [...] }}'``) in the tasks before the ``set_fact`` that first adds a secret to it.

What the scan requires:

* modules (the spec each module's ``main()`` hands to AnsibleModule, captured there; suboptions included): every
  option the rule marks has ``no_log=True``, unless no_log_scan.yml says why not and the option sets ``no_log=False``;
  the options no_log_scan.yml lists as carrying secrets under another name (``headers``, ``env``) have ``no_log=True``.
  plugins/action/ollama_model.py has no spec of its own (it runs the module with the task's arguments).
* role argument specs: ``validate_argument_spec`` does NOT honour ``no_log`` (test_role_argspec_validation_ignores_no_log:
  a value of the wrong type is quoted in the error whatever no_log says). So each secret option is a string, list or
  mapping without ``choices`` (values the validator never quotes: test_role_argspec_errors_never_quote_a_secret feeds
  the real specs hostile values), says ``no_log: true`` (for readers and ansible-doc) and its description sends it to
  the vault.
* tasks and handlers: one that uses a secret in its module arguments, ``args``, ``loop``/``with_*``, ``loop_control``
  (a ``label`` covers nothing), ``vars``, ``environment``, ``when``, ``changed_when``, ``failed_when`` or ``until``; that
  reads a secret file (slurp, command, shell, raw); that renders a template using a secret (``--diff`` shows it); or
  that registers a secret, has ``no_log`` true (its own, else the nearest enclosing block's or play's; an explicit
  ``no_log: false`` wins) or templated, and a templated ``no_log`` must depend on every origin of what the task uses
  (``'{{ openhands_github_token | length > 0 }}'`` does not cover ``openhands_environment``). A secret in a task's name
  is always a leak (no_log does not hide names). A validator's check list (``[{name: var, secret: true}, ...]``, read
  by name with the vars lookup, which no scan can follow) marks every entry naming a secret ``secret: true``.
* files: a copy/template (or htpasswd, keypair, lineinfile, file with a mode...) that writes a secret or to a secret
  file has a literal octal mode with no bit for others and no group write (0600, 0640, 0400, 0440).

Every finding prints as ``path:line: task name: reference (why)``. no_log_scan.yml ``accepted`` takes a finding that is
not a leak (file, task, reference, reason); an entry there that matches nothing fails the test.
"""
from __future__ import annotations

import functools
import importlib
import pathlib
import re
import warnings

import jinja2
import jinja2.nodes as jn
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA_FILE = pathlib.Path(__file__).with_name("no_log_scan.yml")
COLLECTION = "ansible_collections.selfhosted.ai_coding"

# --- the name rule ------------------------------------------------------------------------------------------------

SECRET_WORDS = frozenset({
    "password", "passwords", "passwd", "passphrase", "secret", "secrets", "token", "tokens", "apikey", "credential",
    "credentials", "htpasswd", "privkey", "privatekey", "appkey",
})
KEY_WORDS = frozenset({"key", "keys"})
KEY_QUALIFIERS = frozenset({
    "api", "llm", "relay", "secret", "private", "priv", "ssh", "access", "auth", "signing", "encryption", "master",
    "client", "app", "deploy", "license", "bearer", "session", "webhook", "gpg", "root", "admin", "account", "service",
})
PATH_WORDS = frozenset({"file", "files", "path", "paths", "dir", "dirs", "directory", "filename"})
META_WORDS = frozenset({
    "name", "names", "id", "ids", "uuid", "uuids", "type", "types", "bits", "size", "sizes", "length", "url", "urls",
    "port", "kind", "kinds", "count", "timeout", "mode", "owner", "group", "label", "program", "check", "checks",
    "expiry", "format",
})
# Header names whose value is a credential, whatever the variable in it is called.
SECRET_KEYS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
SECRET_FILE_BASENAME = re.compile(
    r"(?:^|[._-])env(?:$|\.)|htpasswd|token|password|secret|credential|(?:^|[._-])(?:api|llm|relay|private|priv|ssh)[._-]?keys?"
    r"(?:$|[._-])|^id_(?:rsa|ed25519|ecdsa)$|\.key$",
    re.I,
)
# Attributes that say something about a result or an entry but hold none of its content (__probe.rc, users.*.name).
# Not url: a URL may carry credentials (https://user:password@host, ?token=).
META_ATTRS = frozenset({"rc", "status", "changed", "failed", "skipped", "stat", "exists", "mode", "owner", "uid", "gid",
                        "name", "names", "id", "ids", "uuid", "type", "types", "kind", "kinds", "count", "length", "size",
                        "port", "label"})
# One named entry of an environment map (x.OLLAMA_HOST) is a secret only when its name says so, or when it names a URL
# (HTTPS_PROXY=http://user:password@proxy, DATABASE_URL).
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
URL_WORDS = frozenset({"proxy", "url", "uri", "dsn"})
# Filters whose output is a number or a boolean, never the value.
MASK_FILTERS = frozenset({"length", "count", "bool"})
# Attributes a `map(attribute=...)` may project a secret list onto without revealing it.
SAFE_MAP_ATTRS = frozenset({"name", "key", "user", "username"})
# Names that are never a variable of the role (loop items, magic variables).
NOT_ROOTS = frozenset({"item", "hostvars", "vars", "omit", "lookup", "query", "q", "namespace", "range", "dict", "true",
                       "false", "none", "True", "False", "None", "inventory_hostname", "groups", "group_names",
                       "ansible_check_mode", "ansible_facts", "ansible_managed", "playbook_dir", "role_path"})
SECRET_LOOKUPS = frozenset({"password", "ansible.builtin.password", "community.general.random_string",
                            "community.general.passwordstore", "community.hashi_vault.hashi_vault"})
FILE_LOOKUPS = frozenset({"file", "ansible.builtin.file", "template", "ansible.builtin.template"})
READERS = frozenset({"slurp", "command", "shell", "raw"})
WRITERS = frozenset({"copy", "template", "htpasswd", "openssh_keypair", "openssl_privatekey", "lineinfile",
                     "blockinfile", "ini_file", "get_url", "file"})
WRITE_TARGET_ARGS = ("dest", "path")
# Keywords that are scanned as expressions without braces.
BARE_KEYWORDS = frozenset({"when", "changed_when", "failed_when", "until"})
# Task keywords that cannot print a value (besides no_log itself).
NOT_SCANNED_KEYWORDS = frozenset({"name", "register", "no_log", "tags", "notify", "listen", "block", "rescue", "always"})
TASK_KEYWORDS = frozenset({
    "action", "any_errors_fatal", "args", "async", "become", "become_exe", "become_flags", "become_method", "become_user",
    "changed_when", "check_mode", "collections", "connection", "debugger", "delay", "delegate_facts", "delegate_to",
    "diff", "environment", "failed_when", "ignore_errors", "ignore_unreachable", "local_action", "loop", "loop_control",
    "module_defaults", "name", "no_log", "notify", "poll", "port", "register", "remote_user", "retries", "run_once",
    "tags", "throttle", "timeout", "until", "vars", "when", "block", "rescue", "always", "listen",
})
PLAY_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")


@functools.lru_cache(maxsize=None)
def words(name):
    """The lower-case words of a name: split on non-alphanumerics and on camelCase."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return [w for w in re.split(r"[^A-Za-z0-9]+", name.lower()) if w]


@functools.lru_cache(maxsize=None)
def rule_kind(name):
    """'secret', 'file' or None from the name alone (see the module docstring)."""
    parts = words(name)
    secret = any(p in SECRET_WORDS for p in parts) or any(
        p in KEY_WORDS and i > 0 and parts[i - 1] in KEY_QUALIFIERS for i, p in enumerate(parts))
    if any(p in PATH_WORDS for p in parts):
        return "file" if secret or "env" in parts else None
    if any(p in META_WORDS for p in parts):
        return None
    return "secret" if secret else None


def secret_file_path(text):
    """True when a literal path's last part reads like a file holding secrets."""
    base = str(text).rstrip("/").rsplit("/", 1)[-1]
    if base.endswith(".j2"):
        base = base[:-3]
    return bool(base) and not base.endswith(".pub") and bool(SECRET_FILE_BASENAME.search(base))


def literal_parts(text):
    """The literal words of a (possibly templated) string that look like paths (hold a /), e.g. '/.env' from
    '{{ dir }}/.env'."""
    return [p for p in re.split(r"\{\{.*?\}\}|\{%.*?%\}|\s+", str(text), flags=re.S) if "/" in p]


# --- YAML with line numbers -----------------------------------------------------------------------------------------


class LineDict(dict):
    line = 0


class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


class VaultValue(str):
    """A !vault value: encrypted, so a secret by definition."""


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = LineDict(loader.construct_pairs(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


def _construct_tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        return VaultValue(value) if suffix == "vault" else value
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return _construct_mapping(loader, node)


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
LineLoader.add_multi_constructor("!", _construct_tagged)


def load_yaml(text):
    return yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass


# --- Jinja references ----------------------------------------------------------------------------------------------

JINJA = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])


class Ref:
    """One reference in an expression: a chain like ('__user', 'password'), a lookup ('lookup', plugin, arg) or an
    attribute of an expression ('<expr>', attr). ``masked``: its value cannot reach the output. ``dirname``: only its
    directory is used. ``as_secret``: it is placed under a key that marks a secret."""

    __slots__ = ("chain", "masked", "dirname", "as_secret")

    def __init__(self, chain, masked=False, dirname=False, as_secret=False):
        self.chain, self.masked, self.dirname, self.as_secret = tuple(chain), masked, dirname, as_secret

    @property
    def text(self):
        if self.chain[0] == "lookup":
            return "lookup(%s)" % ", ".join(repr(c) for c in self.chain[1:])
        return ".".join(self.chain)


def _chains(node, subst):
    """The chains ('root', 'attr', ...) a Name/Getattr/Getitem expression stands for: one, or, for a loop variable,
    each chain it iterates plus '*' (none for a variable that holds only keys); False when it is no such expression."""
    attrs = []
    while True:
        if isinstance(node, jn.Getattr):
            attrs.append(node.attr)
            node = node.node
        elif isinstance(node, jn.Getitem):
            arg = node.arg
            attrs.append(str(arg.value) if isinstance(arg, jn.Const) else "*")
            node = node.node
        elif isinstance(node, jn.Name):
            prefixes = subst.get(node.name, [(node.name,)])
            return [(*prefix, *reversed(attrs)) for prefix in prefixes]
        else:
            return False


def _for_targets(node, subst):
    """What the names a for loop binds stand for, and the chains it iterates (False when the scan cannot tell):
    ``for u in users`` binds u to users.*; ``for k, v in x.items()`` binds k to keys only and v to x.*; the same over
    a mapping literal ``{'a': a, 'b': b}.items()`` binds v to a and b."""
    it = node.iter
    items = isinstance(it, jn.Call) and isinstance(it.node, jn.Getattr) and it.node.attr == "items" and not it.args
    base = it.node.node if items else it
    if isinstance(base, jn.Dict) and items:
        sources = []
        for pair in base.items:
            found = _chains(pair.value, subst)
            if found is False:
                return {}, False
            sources += found
        values = sources
    else:
        sources = _chains(base, subst) if isinstance(base, (jn.Name, jn.Getattr, jn.Getitem)) else False
        if sources is False:
            return {}, False
        values = [(*chain, "*") for chain in sources]
    target = node.target
    if isinstance(target, jn.Name) and not items:
        return {target.name: values}, sources
    if items and isinstance(target, jn.Tuple) and len(target.items) == 2 and all(
            isinstance(t, jn.Name) for t in target.items):
        return {target.items[0].name: [], target.items[1].name: values}, sources
    return {}, False


def _walk(node, out, masked=False, dirname=False, as_secret=False, subst=None):
    subst = subst or {}

    def visit(child, m=masked, d=dirname, s=as_secret, sub=None):
        if child is not None:
            _walk(child, out, m, d, s, subst if sub is None else sub)

    if isinstance(node, (jn.Name, jn.Getattr, jn.Getitem)) and not (isinstance(node, jn.Name) and node.ctx != "load"):
        chains = _chains(node, subst)
        if chains is not False:
            out.extend(Ref(chain, masked, dirname, as_secret) for chain in chains)
            item = node
            while isinstance(item, (jn.Getattr, jn.Getitem)):  # non-constant subscripts are references of their own
                if isinstance(item, jn.Getitem) and not isinstance(item.arg, jn.Const):
                    visit(item.arg, s=False)
                item = item.node
            return
        if isinstance(node, jn.Getattr) and rule_kind(node.attr) == "secret":
            out.append(Ref(("<expr>", node.attr), masked, dirname, as_secret))
        if isinstance(node, jn.Getitem):
            visit(node.arg, s=False)
        visit(node.node)
        return
    if isinstance(node, jn.Name):
        return  # a name being assigned
    if isinstance(node, jn.For):
        targets, sources = _for_targets(node, subst)
        if sources is False:
            visit(node.iter)
        else:  # iterating alone prints nothing; what the body does with the items counts
            out.extend(Ref(chain, True, dirname, as_secret) for chain in sources)
        inner = dict(subst, **targets)
        visit(node.test, m=True, sub=inner)
        for child in node.body:
            visit(child, sub=inner)
        for child in node.else_:
            visit(child)
        return
    if isinstance(node, jn.Test):
        visit(node.node, m=True)
        for arg in node.args:
            visit(arg, m=True)
        for kw in node.kwargs:
            visit(kw.value, m=True)
        return
    if isinstance(node, jn.Filter):
        mapped_safe = node.name == "map" and any(
            kw.key == "attribute" and isinstance(kw.value, jn.Const) and kw.value.value in SAFE_MAP_ATTRS
            for kw in node.kwargs)
        flag = node.name in ("default", "d") and node.args and isinstance(node.args[0], jn.Const) and isinstance(
            node.args[0].value, bool)
        visit(node.node, m=masked or node.name in MASK_FILTERS or mapped_safe or flag, d=dirname or node.name == "dirname")
        for arg in node.args:
            visit(arg)
        for kw in node.kwargs:
            visit(kw.value)
        return
    if isinstance(node, jn.Call):
        callee = node.node
        if isinstance(callee, jn.Getattr) and callee.attr == "keys" and not node.args:
            visit(callee.node, m=True)
            return
        if isinstance(callee, jn.Name) and callee.name in ("lookup", "query", "q") and node.args:
            consts = [a.value if isinstance(a, jn.Const) else None for a in node.args[:2]]
            out.append(Ref(("lookup", *consts), masked, dirname, as_secret))
        elif not isinstance(callee, jn.Name):
            visit(callee)
        for arg in node.args:
            visit(arg)
        for kw in node.kwargs:
            visit(kw.value)
        return
    if isinstance(node, jn.CondExpr):
        visit(node.test, m=True)
        visit(node.expr1)
        visit(node.expr2)
        return
    if isinstance(node, jn.If):
        visit(node.test, m=True)
        for child in node.body + node.elif_ + node.else_:
            visit(child)
        return
    if isinstance(node, jn.Not):
        visit(node.node, m=True)
        return
    if isinstance(node, jn.Pair):
        key = node.key.value if isinstance(node.key, jn.Const) else None
        visit(node.key, s=False)
        visit(node.value, s=as_secret or (key is not None and key_marks_secret(key)))
        return
    for child in node.iter_child_nodes():
        visit(child)


def key_marks_secret(key):
    return str(key).lower() in SECRET_KEYS or rule_kind(key) == "secret"


_PARSED = {}


def jinja_refs(text, bare=False):
    """The references in a string: a template (``{{ }}``/``{% %}``) or, with ``bare``, an expression (``when``)."""
    text = str(text)
    if not bare and "{{" not in text and "{%" not in text:
        return []
    source = text if ("{{" in text or "{%" in text) else "{{ %s }}" % text
    key = source
    if key not in _PARSED:
        out = []
        with warnings.catch_warnings():  # Jinja warns about regex escapes in string literals
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = JINJA.parse(source)
        _walk(tree, out)
        _PARSED[key] = out
    return _PARSED[key]


def value_refs(value, bare=False, as_secret=False):
    """References in any YAML value (strings, lists, mappings); a mapping key that marks a secret marks what is under
    it."""
    if isinstance(value, VaultValue):
        return [Ref(("!vault",), as_secret=True)]
    if isinstance(value, str):
        refs = jinja_refs(value, bare=bare)
        if as_secret:
            refs = [Ref(r.chain, r.masked, r.dirname, True) for r in refs]
        return refs
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += value_refs(item, bare=bare, as_secret=as_secret or key_marks_secret(key))
        return out
    if isinstance(value, list):
        return [r for item in value for r in value_refs(item, bare=bare, as_secret=as_secret)]
    return []


def value_literals(value):
    if isinstance(value, str):
        return literal_parts(value)
    if isinstance(value, dict):
        return [p for item in value.values() for p in value_literals(item)]
    if isinstance(value, list):
        return [p for item in value for p in value_literals(item)]
    return []


# --- the allow-list ------------------------------------------------------------------------------------------------


class Data:
    """tests/unit/no_log_scan.yml, with a record of which entries were used."""

    SECTIONS = ("secret", "not_secret", "secret_files", "secret_module_options", "not_secret_module_options")

    def __init__(self, raw):
        raw = raw or {}
        for section in self.SECTIONS:
            setattr(self, section, dict(raw.get(section) or {}))
        self.accepted = list(raw.get("accepted") or [])
        self.used = set()
        # "openhands_mcp_servers.*.env": only that part of the variable is a secret ('*': any key or list index).
        self.secret_paths = {}
        for entry in self.secret:
            if "." in entry:
                root, *rest = entry.split(".")
                self.secret_paths.setdefault(root, []).append((entry, tuple(rest)))

    def kind(self, name):
        if name in self.secret_paths:
            return "secret"  # holds a secret somewhere
        for section, kind in (("not_secret", None), ("secret", "secret"), ("secret_files", "file")):
            if name in getattr(self, section):
                self.used.add((section, name))
                return kind
        return rule_kind(name)

    def path_is_secret(self, chain):
        """None when the variable has no secret parts listed; else whether the chain reaches one (a part of a secret
        part, or something that holds one: the whole variable, users.* for users.*.password)."""
        if chain[0] not in self.secret_paths:
            return None
        found = False
        for entry, rest in self.secret_paths[chain[0]]:
            if all(a == b or "*" in (a, b) for a, b in zip(chain[1:], rest)):
                self.used.add(("secret", entry))
                found = True
        return found

    def accepts(self, finding):
        for index, entry in enumerate(self.accepted):
            if (entry.get("file") == finding.path and entry.get("task") == finding.task
                    and entry.get("ref") == finding.ref):
                self.used.add(("accepted", index))
                return True
        return False

    def unused(self):
        names = [(s, n) for s in self.SECTIONS for n in getattr(self, s) if (s, n) not in self.used]
        names += [("accepted", i) for i in range(len(self.accepted)) if ("accepted", i) not in self.used]
        return names


def load_data():
    return Data(yaml.safe_load(DATA_FILE.read_text()))


class Finding:
    def __init__(self, path, line, task, ref, why):
        self.path, self.line, self.task, self.ref, self.why = path, line, task, ref, why

    def __str__(self):
        return "%s:%s: %s: %s (%s)" % (self.path, self.line, self.task, self.ref, self.why)

    def __repr__(self):
        return "Finding(%s)" % self


# --- task files ----------------------------------------------------------------------------------------------------


def short_module(name):
    return str(name).rsplit(".", 1)[-1]


def task_module(task):
    """(module name as written, its arguments) of a task, or (None, None) for a block."""
    if any(k in task for k in ("block", "rescue", "always")):
        return None, None
    for key in ("action", "local_action"):
        if key in task:
            value = task[key]
            if isinstance(value, dict):
                args = {k: v for k, v in value.items() if k != "module"}
                return value.get("module"), args
            parts = str(value).split(None, 1)
            return parts[0], (parts[1] if len(parts) > 1 else {})
    for key, value in task.items():
        if key not in TASK_KEYWORDS and not key.startswith("with_"):
            return key, value
    return None, None


def no_log_state(node):
    """True (covered), False (explicitly not) or None (not set) for a task, block or play."""
    if "no_log" not in node:
        return None
    value = node["no_log"]
    if isinstance(value, str):
        if "{{" in value:
            return True
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


class File:
    """A task file: its path relative to the repository, its parsed content and where its templates live."""

    def __init__(self, path, data, template_dirs=(), kind="tasks"):
        self.path, self.data, self.template_dirs, self.kind = path, data, list(template_dirs), kind


class Scan:
    """The scan of a set of task files, role variables and templates against the rule and the allow-list.

    Every secret carries its ORIGINS: the names (or lookups, or files) it comes from, e.g. ``__ollama_env_binary`` comes
    from ``ollama_environment``. A templated ``no_log`` covers a use only when its expression depends on every origin
    of what the task uses (``no_log: "{{ ollama_environment | length > 0 }}"`` covers ``__ollama_env_binary``;
    ``no_log: "{{ openhands_github_token | length > 0 }}"`` does not cover ``openhands_environment``)."""

    def __init__(self, files, data, role_vars=None, module_specs=None, argspec_types=None):
        self.files = files
        self.data = data
        self.role_vars = role_vars or {}          # name -> value (vars/main.yml, defaults/main.yml, play vars)
        self.module_specs = module_specs or {}    # short module name -> argument_spec
        self.argspec_types = argspec_types or {}  # role option -> type
        self.tainted = {}                         # name found to hold a secret -> its origins
        self.file_vars = set()                    # names found to hold the path of a secret file
        self.registered = set()
        self.findings = []
        self.stats = dict(tasks=0, secret_uses=0, covered=0)
        self._task_refs = {}
        self._templates = {}
        self._template_dirs = ()
        self.set_at = {}       # name tainted by a set_fact -> (file, task index) of the first such set_fact
        self.position = None   # (file, task index) of the task being checked

    # -- what a name holds ------------------------------------------------------------------------------------------

    def kind(self, name):
        if name in self.tainted and not self.before_set_fact(name):
            return "secret"
        if name in self.file_vars and name not in self.registered:
            return "file"
        if self.argspec_types.get(name) in ("bool", "int", "float", "path"):
            return "file" if self.argspec_types[name] == "path" and rule_kind(name) == "file" else None
        kind = self.data.kind(name)
        if kind == "file" and name in self.registered:
            return None
        return kind

    def origins(self, ref, local=None):
        """The origins of a reference (empty when it is no secret use)."""
        local = local or {}
        if ref.masked:
            return frozenset()
        chain = ref.chain
        if chain[0] == "!vault":
            return frozenset({"!vault"})
        if chain[0] == "lookup":
            plugin, arg = (chain[1:] + (None, None))[:2]
            if plugin in SECRET_LOOKUPS:
                return frozenset({ref.text})
            if plugin in FILE_LOOKUPS and arg:
                if secret_file_path(arg):
                    return frozenset({ref.text})
                return self.template_origins(arg, local)
            if plugin in ("env", "ansible.builtin.env") and arg and rule_kind(arg) == "secret":
                return frozenset({ref.text})
            return frozenset()
        if any(a in META_ATTRS for a in chain[1:]):
            return frozenset()  # __probe.rc, users.*.name
        if any(ENV_NAME.match(a) and rule_kind(a) != "secret" and not URL_WORDS & set(words(a)) for a in chain[1:]):
            return frozenset()
        root = chain[0]
        if root != "<expr>":
            if root in local:
                return local[root]
            if root in self.tainted and not self.before_set_fact(root):
                return self.tainted[root]
            in_part = self.data.path_is_secret(chain)
            if in_part or ref.as_secret or (in_part is None and self.kind(root) == "secret"):
                return frozenset({root})
        for i, attr in enumerate(chain[1:], 1):
            if attr != "*" and rule_kind(attr) == "secret":
                return frozenset({".".join(chain[:i + 1])})
        return frozenset({ref.text}) if ref.as_secret else frozenset()

    def before_set_fact(self, name):
        """True for a task that runs before the set_fact that first put a secret into ``name`` (same file, earlier:
        an accumulator like ``checks: '{{ checks + [...] }}'`` holds no secret until the step that adds one)."""
        where = self.set_at.get(name)
        return bool(where and self.position and where[0] == self.position[0] and self.position[1] < where[1])

    def ref_is_secret(self, ref, local=None):
        return bool(self.origins(ref, local))

    def ref_is_file(self, ref):
        return (not ref.dirname and len(ref.chain) == 1 and ref.chain[0] not in ("<expr>", "lookup", "!vault")
                and self.kind(ref.chain[0]) == "file")

    def taint(self, name, origins):
        if origins and not origins <= self.tainted.get(name, frozenset()):
            self.tainted[name] = self.tainted.get(name, frozenset()) | origins

    # -- templates ---------------------------------------------------------------------------------------------------

    def template_text(self, src):
        for directory in self._template_dirs:
            candidate = pathlib.Path(directory) / src
            if candidate not in self._templates:
                self._templates[candidate] = candidate.read_text() if candidate.is_file() else None
            if self._templates[candidate] is not None:
                return self._templates[candidate]
        return None

    def template_origins(self, src, local=None):
        """What a template's text uses; a template named like a secret file (restic.env.j2) is one by itself."""
        text = self.template_text(src)
        found = frozenset().union(*(self.origins(r, local) for r in jinja_refs(text))) if text else frozenset()
        return found or (frozenset({"template " + src}) if secret_file_path(src) else frozenset())

    # -- walking -----------------------------------------------------------------------------------------------------

    def iter_tasks(self, items, stack):
        """(task, stack of enclosing blocks and plays) for every task in a list, blocks opened."""
        for item in items or []:
            if not isinstance(item, dict):
                continue
            if "hosts" in item or "import_playbook" in item:
                for key in PLAY_TASK_LISTS:
                    yield from self.iter_tasks(item.get(key), stack + [item])
                continue
            if any(k in item for k in ("block", "rescue", "always")):
                yield item, stack
                for key in ("block", "rescue", "always"):
                    yield from self.iter_tasks(item.get(key), stack + [item])
                continue
            yield item, stack

    def iter_all(self):
        """(file, task, stack) over every file; ``self.position`` follows."""
        for file in self.files:
            self._template_dirs = file.template_dirs
            for index, (task, stack) in enumerate(self.iter_tasks(file.data if isinstance(file.data, list) else [], [])):
                self.position = (file.path, index)
                yield file, task, stack
        self.position = None

    @staticmethod
    def coverage(task, stack):
        """(covered, the no_log expression when it is templated) from the task or the nearest block or play."""
        for node in [task] + list(reversed(stack)):
            state = no_log_state(node)
            if state is not None:
                value = node["no_log"]
                return state, (value if isinstance(value, str) and "{{" in value else None)
        return False, None

    def local_secrets(self, task, stack):
        """Play, block and task vars whose values reference a secret -> their origins."""
        local = {}
        for node in list(stack) + [task]:
            variables = node.get("vars") or {}
            if not isinstance(variables, dict):
                continue
            changed = True
            while changed:
                changed = False
                for name, value in variables.items():
                    found = frozenset().union(*(self.origins(r, local) for r in value_refs(value)))
                    if found and not found <= local.get(name, frozenset()):
                        local[name] = local.get(name, frozenset()) | found
                        changed = True
        return local

    def task_refs(self, task):
        """(where, ref) for every reference a task makes outside its name."""
        key = id(task)
        if key not in self._task_refs:
            self._task_refs[key] = (task, self._task_refs_uncached(task))
        return self._task_refs[key][1]

    def _task_refs_uncached(self, task):
        module, args = task_module(task)
        own_spec = self.module_specs.get(short_module(module)) if module else None
        out = []
        for key, value in task.items():
            if key in NOT_SCANNED_KEYWORDS:
                continue
            if key == module:
                if isinstance(args, dict):
                    for arg, arg_value in args.items():
                        if own_spec and (own_spec.get(arg) or {}).get("no_log"):
                            continue  # the module masks it
                        bare = short_module(module) == "debug" and arg == "var"
                        out += [("%s.%s" % (short_module(module), arg), r)
                                for r in value_refs(arg_value, bare=bare, as_secret=key_marks_secret(arg))]
                else:
                    out += [(short_module(module), r) for r in value_refs(args)]
                continue
            if key == "loop_control" and isinstance(value, dict):
                out += [("loop_control.%s" % k, r) for k, v in value.items() for r in value_refs(v)]
                continue
            out += [(key, r) for r in value_refs(value, bare=key in BARE_KEYWORDS)]
        return out

    def template_sources(self, task):
        """Literal template sources of a template task (``src: x.j2`` or ``src: '{{ item.src }}'`` over a literal
        loop)."""
        module, args = task_module(task)
        if short_module(module or "") != "template" or not isinstance(args, dict) or not args.get("src"):
            return []
        src = str(args["src"])
        match = re.fullmatch(r"\{\{\s*item\.(\w+)\s*\}\}", src)
        if match:
            loop = task.get("loop") or task.get("with_items") or []
            return [i[match.group(1)] for i in loop if isinstance(i, dict) and isinstance(i.get(match.group(1)), str)
                    and "{{" not in i[match.group(1)]] if isinstance(loop, list) else []
        return [] if "{{" in src else [src]

    def secret_file_read(self, task):
        """The origins of a secret file a reader task (slurp, command, shell, raw) reads, else an empty set."""
        module, args = task_module(task)
        if short_module(module or "") not in READERS:
            return frozenset()
        scope = [args, task.get("loop"), task.get("args")] + [v for k, v in task.items() if k.startswith("with_")]
        found = {r.chain[0] for v in scope for r in value_refs(v) if self.ref_is_file(r)}
        found |= {p for v in scope for p in value_literals(v) if secret_file_path(p)}
        return frozenset(found)

    # -- taint: a fixpoint over role variables, set_fact, register and secret-marked keys -------------------------

    def propagate(self):
        for _file, task, _stack in self.iter_all():
            if task.get("register"):
                self.registered.add(task["register"])
        for name, value in self.role_vars.items():  # a path variable defined as '.../restic.env'
            if isinstance(value, str) and rule_kind(name) != "secret" and any(
                    secret_file_path(p) for p in literal_parts(value)[-1:]):
                self.file_vars.add(name)
        while True:
            before = dict(self.tainted)
            for name, value in self.role_vars.items():
                if isinstance(value, VaultValue):
                    self.taint(name, frozenset({name}))
                else:
                    self.taint(name, frozenset().union(*(self.origins(r) for r in value_refs(value))))
            for _file, task, stack in self.iter_all():
                local = self.local_secrets(task, stack)
                module, args = task_module(task)
                for _where, ref in self.task_refs(task):  # whatever sits under a secret-marked key is a secret
                    root = ref.chain[0]
                    if ref.as_secret and root not in NOT_ROOTS | {"<expr>", "lookup", "!vault"} and root not in local:
                        self.taint(root, self.origins(ref, local))
                if short_module(module or "") == "set_fact" and isinstance(args, dict):
                    for name, value in args.items():
                        if name != "cacheable":
                            found = frozenset().union(*(self.origins(r, local) for r in value_refs(value)))
                            if found and name not in self.tainted:
                                self.set_at[name] = self.position
                            self.taint(name, found)
                if task.get("register"):
                    self.taint(task["register"], self.secret_file_read(task))
            if self.tainted == before:
                return

    # -- the checks --------------------------------------------------------------------------------------------------

    def run(self):
        self.propagate()
        for file, task, stack in self.iter_all():
            self.check_task(file, task, stack)
        return self.findings

    def add(self, file, task, ref, why):
        finding = Finding(file.path, getattr(task, "line", 0), task.get("name", "(unnamed)"), ref, why)
        if not self.data.accepts(finding):
            self.findings.append(finding)

    def check_task(self, file, task, stack):
        self.stats["tasks"] += 1
        local = self.local_secrets(task, stack)
        is_block = any(k in task for k in ("block", "rescue", "always"))
        # A task name is printed whatever no_log says.
        for ref in jinja_refs(task.get("name", "")):
            if self.ref_is_secret(ref, local):
                self.add(file, task, ref.text, "in the task name, which no_log does not hide")
        uses = []  # (what, why, origins)
        for where, ref in self.task_refs(task):
            if is_block and where == "vars":
                continue  # block vars are only a context for the tasks inside
            found = self.origins(ref, local)
            if found:
                uses.append((ref.text, "in %s" % where, found))
        module, _args = task_module(task)
        read = self.secret_file_read(task)
        if read:
            uses.append(("%s of %s" % (short_module(module), ", ".join(sorted(read))), "reads a secret file", read))
        secret_templates = []
        for src in self.template_sources(task):
            found = self.template_origins(src, local)
            if found:
                secret_templates.append(src)
                uses.append(("template %s" % src, "renders a secret (shown by --diff)", found))
        register = task.get("register")
        if register and register in self.tainted:
            uses.append((register, "registers it", self.tainted[register]))
        if uses:
            self.stats["secret_uses"] += len(uses)
            covered, expression = self.coverage(task, stack)
            if covered and expression is not None:
                depends = set()
                for ref in jinja_refs(expression):
                    depends |= {ref.chain[0]} | set(self.tainted.get(ref.chain[0], ()))
                uncovered = sorted({o for _t, _w, found in uses for o in found} - depends)
                if uncovered:
                    self.add(file, task, ", ".join(uncovered), "no_log is %r, which does not depend on it" % expression)
            elif covered:
                self.stats["covered"] += 1
            else:
                seen = set()
                for text, why, _found in uses:
                    if (text, why) not in seen:
                        seen.add((text, why))
                        self.add(file, task, text, why + ", without no_log")
        self.check_mode(file, task, local, secret_templates)
        self.check_checklists(file, task)

    def check_checklists(self, file, task):
        """The roles' validators walk a list of checks ({name: var, secret: true, ...}), read each variable by name
        and print its value unless the entry says ``secret: true``. The scan cannot follow a lookup by name, so it
        checks the list: every entry naming a secret is marked."""
        for value in (task.get("vars") or {}).values() if isinstance(task.get("vars"), dict) else []:
            if not (isinstance(value, list) and value and all(isinstance(e, dict) and "name" in e for e in value)
                    and any("secret" in e for e in value)):
                continue
            for entry in value:
                if self.kind(str(entry["name"])) == "secret" and entry.get("secret") is not True:
                    self.add(file, task, str(entry["name"]), "a check-list entry for a secret without secret: true; "
                                                             "the validator prints its value")

    def check_mode(self, file, task, local, secret_templates):
        module, args = task_module(task)
        short = short_module(module or "")
        if short not in WRITERS or not isinstance(args, dict):
            return
        target = next((args[k] for k in WRITE_TARGET_ARGS if k in args), None)
        target_refs = value_refs(target) if target is not None else []
        to_secret_file = any(self.ref_is_file(r) for r in target_refs) or (
            target is not None and any(secret_file_path(p) for p in value_literals(target)[-1:]))
        holds_secret = bool(secret_templates) or any(self.ref_is_secret(r, local) for r in value_refs(args.get("content")))
        if short == "file":
            if not to_secret_file or "mode" not in args or args.get("state") == "directory":
                return
        elif not (to_secret_file or holds_secret):
            return
        mode = args.get("mode")
        why = "writes a secret" if holds_secret else "writes a secret file"
        if mode is None:
            self.add(file, task, "mode", "%s with no mode (the umask decides, usually 0644)" % why)
            return
        try:
            bits = mode if isinstance(mode, int) else int(str(mode), 8)
        except ValueError:
            self.add(file, task, "mode", "%s with mode %r, which is not a literal octal mode" % (why, mode))
            return
        if bits & 0o007 or bits & 0o020:
            self.add(file, task, "mode", "%s with mode %s: others may read it or the group may write it (0600 or 0640)"
                     % (why, oct(bits).replace("0o", "0")))


# --- the repository ------------------------------------------------------------------------------------------------


def repo_task_files():
    files = []
    for role in sorted((ROOT / "roles").iterdir()):
        for sub in ("tasks", "handlers"):
            for path in sorted((role / sub).glob("*.yml")):
                files.append(File(str(path.relative_to(ROOT)), load_yaml(path.read_text()), [role / "templates"]))
    # The task files playbooks include (health checks, update snapshot and rollback, ...) are scanned as tasks.
    for path in sorted((ROOT / "playbooks" / "tasks").glob("*.yml")):
        files.append(File(str(path.relative_to(ROOT)), load_yaml(path.read_text()), [ROOT / "playbooks" / "templates"]))
    for path in sorted((ROOT / "playbooks").glob("*.yml")) + [ROOT / "site.yml"]:
        files.append(File(str(path.relative_to(ROOT)), load_yaml(path.read_text()),
                          [path.parent / "templates", ROOT / "playbooks" / "templates"], kind="playbook"))
    return files


def repo_role_vars(files):
    values = {}
    for role in sorted((ROOT / "roles").iterdir()):
        for sub in ("defaults", "vars"):
            path = role / sub / "main.yml"
            if path.is_file():
                values.update(load_yaml(path.read_text()) or {})
    for file in files:
        if file.kind == "playbook":
            for play in file.data or []:
                if isinstance(play, dict) and isinstance(play.get("vars"), dict):
                    values.update(play["vars"])
    return values


@functools.lru_cache(maxsize=None)
def role_argspec_files():
    """(path, {entry point: spec}) of every role."""
    return tuple((path, load_yaml(path.read_text())["argument_specs"])
                 for path in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")))


def role_argspecs():
    """(role, entry point, dotted option name, option spec) for every option of every role, suboptions included."""
    out = []

    def walk(role, entry, options, prefix):
        for name, spec in (options or {}).items():
            out.append((role, entry, prefix + name, spec or {}))
            walk(role, entry, (spec or {}).get("options"), prefix + name + ".")

    for path, specs in role_argspec_files():
        for entry, spec in specs.items():
            walk(path.parts[-3], entry, spec.get("options"), "")
    return out


def argspec_types():
    return {name: spec.get("type", "str") for _role, _entry, name, spec in role_argspecs() if "." not in name}


class _Captured(BaseException):
    def __init__(self, kwargs):
        super().__init__("captured")
        self.kwargs = kwargs


def module_names():
    return sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")


def capture_argument_spec(name, monkeypatch):
    """The argument_spec a module's main() hands to AnsibleModule (the call is stopped there)."""
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args

    def fake_init(self, *args, **kwargs):
        raise _Captured(kwargs if not args else dict(kwargs, argument_spec=args[0]))

    module = importlib.import_module("%s.plugins.modules.%s" % (COLLECTION, name))
    with monkeypatch.context() as patch, patch_module_args({}):  # empty arguments, as a module may read them first
        patch.setattr(basic.AnsibleModule, "__init__", fake_init)
        try:
            module.main()
        except _Captured as captured:
            return captured.kwargs["argument_spec"]
        except SystemExit as exc:
            raise AssertionError("%s: main() exited (%s) before it created an AnsibleModule" % (name, exc.code))
    raise AssertionError("%s: main() never created an AnsibleModule" % name)


def iter_options(spec, prefix=""):
    for name, option in (spec or {}).items():
        yield prefix + name, name, option or {}
        yield from iter_options((option or {}).get("options"), prefix + name + ".")


CAPTURE_ERRORS = {}


@pytest.fixture(scope="module")
def module_specs():
    """Each module's spec; a module whose main() cannot be reached is kept in CAPTURE_ERRORS (and fails the spec
    test) rather than stopping the task scan."""
    specs = {}
    monkeypatch = pytest.MonkeyPatch()
    try:
        for name in module_names():
            try:
                specs[name] = capture_argument_spec(name, monkeypatch)
            except Exception as exc:  # a broken module must not hide the rest of the scan
                CAPTURE_ERRORS[name] = "%s: %s" % (type(exc).__name__, exc)
    finally:
        monkeypatch.undo()
    return specs


def module_spec_findings(specs, data):
    problems = []
    for module, spec in sorted(specs.items()):
        for dotted, name, option in iter_options(spec):
            where = "plugins/modules/%s.py: %s" % (module, dotted)
            kind = rule_kind(name)
            listed_not = "%s.%s" % (module, dotted) in data.not_secret_module_options
            if listed_not:
                data.used.add(("not_secret_module_options", "%s.%s" % (module, dotted)))
            if name in data.secret_module_options:
                data.used.add(("secret_module_options", name))
                if option.get("no_log") is not True:
                    problems.append("%s: carries a secret (%s) but has no no_log=True"
                                    % (where, data.secret_module_options[name]))
            elif kind == "secret" and not listed_not and option.get("no_log") is not True:
                problems.append("%s: the name marks a secret but no_log is %r" % (where, option.get("no_log")))
            elif kind == "secret" and listed_not and option.get("no_log") is not False:
                problems.append("%s: no_log_scan.yml says it is not a secret; set no_log=False to say so" % where)
    return problems


# --- the tests: the repository -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_scan(module_specs):
    data = load_data()
    files = repo_task_files()
    scan = Scan(files, data, repo_role_vars(files), module_specs, argspec_types())
    scan.run()
    return scan


def test_module_argument_specs_mark_secrets_no_log(module_specs, repo_scan):
    problems = ["plugins/modules/%s.py: the argument spec could not be read: %s" % item
                for item in sorted(CAPTURE_ERRORS.items())]
    problems += module_spec_findings(module_specs, repo_scan.data)
    assert not problems, "module options that can carry a secret without no_log:\n" + "\n".join(problems)


def test_module_spec_capture_sees_every_module(module_specs):
    """The capture is real: every module yields a spec, and the ones known to take a secret show it."""
    assert not CAPTURE_ERRORS and set(module_specs) == set(module_names()) and len(module_specs) >= 9, CAPTURE_ERRORS
    assert module_specs["openhands_conversation"]["api_key"]["no_log"] is True
    assert module_specs["coolify_info"]["api_token"]["no_log"] is True
    assert module_specs["service_health"]["headers"]["no_log"] is True


def test_action_plugins_take_no_options_of_their_own():
    """An action plugin with an argument spec of its own would need the same scan. plugins/action/ollama_model.py runs
    the ollama_model module with the task's arguments, so the module's spec (scanned above) is the one that counts."""
    for path in sorted((ROOT / "plugins" / "action").glob("*.py")):
        text = path.read_text()
        assert "validate_argument_spec" not in text and "argument_spec" not in text, (
            "%s validates an argument spec of its own: add it to test_no_log_scan.py" % path.relative_to(ROOT))
        assert (ROOT / "plugins" / "modules" / path.name).is_file(), "%s has no module of the same name" % path.name


def test_role_argspec_secret_options(repo_scan):
    data = repo_scan.data
    problems = []
    for role, entry, name, spec in role_argspecs():
        leaf = name.rsplit(".", 1)[-1]
        kind = data.kind(name) if "." not in name else rule_kind(leaf)
        if kind != "secret" or spec.get("type", "str") in ("bool", "int", "float", "path"):
            continue
        where = "roles/%s/meta/argument_specs.yml: %s: %s" % (role, entry, name)
        if spec.get("no_log") is not True:
            problems.append("%s: no no_log: true" % where)
        if spec.get("choices"):
            problems.append("%s: has choices, so a wrong value is quoted in the validation error" % where)
        if spec.get("type", "str") not in ("str", "list", "dict", "raw"):
            problems.append("%s: type %s; a value of the wrong type is quoted in the validation error" % (where, spec["type"]))
        description = " ".join(spec.get("description") if isinstance(spec.get("description"), list)
                               else [str(spec.get("description") or "")])
        if "." not in name and "vault" not in description.lower():
            problems.append("%s: the description does not send it to the vault" % where)
    assert not problems, "role options holding a secret:\n" + "\n".join(problems)


MARKER = "SeCrEt-MaRkEr-8c1f"


def test_role_argspec_errors_never_quote_a_secret():
    """The outcome: feed each secret option of the real role specs hostile values (wrong types, strays) and check that
    validate_argument_spec's messages never contain the value."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    data = load_data()
    # The marker only in values: a stray key's name may be quoted ("Supported parameters include"), and is no secret.
    hostile = [MARKER, 8131, [MARKER], {"stray": MARKER}, [{"name": "alice", "password": MARKER, "stray": MARKER}],
               [{"password": MARKER}], [MARKER + ":" + MARKER], MARKER + "=" + MARKER, 3.5, True, None]
    tried = 0
    for path, specs in role_argspec_files():
        for entry, spec in specs.items():
            options = spec.get("options") or {}
            for name, option in options.items():
                if data.kind(name) != "secret" or option.get("type", "str") in ("bool", "int", "float", "path"):
                    continue
                for value in hostile:
                    result = ArgumentSpecValidator(options).validate({name: value}, validate_role_argument_spec=True)
                    tried += 1
                    for message in result.error_messages:
                        assert MARKER not in message and "8131" not in message, (
                            "%s %s: %s=%r is quoted: %s" % (path.relative_to(ROOT), entry, name, value, message))
    assert tried >= 5 * len(hostile)


def test_role_argspec_validation_ignores_no_log():
    """Why the role check above asks for types and descriptions: Ansible's role validation quotes a no_log value."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = {"x_password": {"type": "int", "no_log": True}}
    result = ArgumentSpecValidator(spec).validate({"x_password": MARKER}, validate_role_argument_spec=True)
    assert any(MARKER in m for m in result.error_messages), result.error_messages


def test_tasks_that_handle_secrets_have_no_log(repo_scan):
    findings = [f for f in repo_scan.findings if f.ref != "mode"]
    assert not findings, "tasks that handle a secret without no_log (%d):\n%s" % (
        len(findings), "\n".join(str(f) for f in findings))


def test_files_holding_secrets_are_not_world_readable(repo_scan):
    findings = [f for f in repo_scan.findings if f.ref == "mode"]
    assert not findings, "files holding secrets with a loose mode (%d):\n%s" % (
        len(findings), "\n".join(str(f) for f in findings))


def test_the_scan_sees_the_secrets_it_must(repo_scan):
    """The scan cannot pass by finding nothing: it walked the tasks and met the secrets the collection handles."""
    assert repo_scan.stats["tasks"] > 300, repo_scan.stats
    assert repo_scan.stats["secret_uses"] >= 30, repo_scan.stats
    for name in ("backups_password", "openhands_llm_api_key", "__openhands_llm_api_key", "__coolify_token_secret",
                 "__backups_repository_env"):
        assert repo_scan.kind(name) == "secret", name
    for name in ("__coolify_token_file", "__openhands_relay_keys", "__reverse_proxy_htpasswd"):
        assert name in repo_scan.tainted, name  # registered from a read of a secret file
    for name in ("coolify_api_token_file", "__backups_env_file", "reverse_proxy_htpasswd_path"):
        assert repo_scan.kind(name) == "file", name
    assert "ollama_environment" in repo_scan.tainted["__ollama_env_binary"]  # origins follow derived variables
    assert repo_scan.kind("coolify_api_token_bootstrap") is None  # a bool, whatever its name


def test_every_allow_list_entry_is_used(repo_scan, module_specs):
    module_spec_findings(module_specs, repo_scan.data)
    for _role, _entry, name, _spec in role_argspecs():
        repo_scan.data.kind(name)
    unused = repo_scan.data.unused()
    assert not unused, "entries of %s that match nothing (remove them): %s" % (DATA_FILE.name, unused)


# --- the tests: the scanner on small synthetic cases ---------------------------------------------------------------


@pytest.mark.parametrize("name, kind", [
    ("backups_password", "secret"), ("openhands_llm_api_key", "secret"), ("__openhands_relay_keys", "secret"),
    ("api-key", "secret"), ("apiKey", "secret"), ("GITHUB_TOKEN", "secret"), ("provider_tokens", "secret"),
    ("coolify_api_token_file", "file"), ("__backups_password_file", "file"), ("__backups_env_file", "file"),
    ("reverse_proxy_htpasswd_path", "file"), ("coolify_api_token_name", None), ("backups_s3_access_key_id", None),
    ("json_keys", None), ("key", None), ("keys", None), ("hardening_ssh_host_key_types", None), ("keyring", None),
    ("public_key", None), ("key_file", None), ("proxy_pass", None), ("bypass", None), ("__coolify_secret_kinds", None),
    ("passed", None), ("authorized_keys", None), ("ssl_certificate_key", None),
])
def test_name_rule(name, kind):
    assert rule_kind(name) == kind


@pytest.mark.parametrize("path, secret", [
    ("/data/coolify/source/.env", True), ("/etc/ollama/ollama.env", True), ("restic.env.j2", True),
    ("/etc/ai-coding/reverse-proxy.htpasswd", True), ("/data/coolify/source/.ai-coding-api-token", True),
    ("/root/.ssh/id_ed25519", True), ("/root/.ssh/id_ed25519.pub", False), ("/etc/environment.d", False),
    ("sha256sum.txt", False), ("/etc/docker/daemon.json", False), ("paths.j2", False),
])
def test_secret_file_path(path, secret):
    assert secret_file_path(path) is secret


def synthetic(tasks_yaml, role_vars=None, data=None, templates=None, tmp_path=None):
    files = [File("roles/x/tasks/main.yml", load_yaml(tasks_yaml), [tmp_path] if tmp_path else [])]
    if templates and tmp_path:
        for name, text in templates.items():
            (tmp_path / name).write_text(text)
    scan = Scan(files, Data(data or {}), role_vars or {},
                module_specs={"openhands_conversation": {"api_key": {"no_log": True}}})
    return [str(f) for f in scan.run()], scan


LEAKS = {
    "module argument": """
- name: Call the API
  ansible.builtin.uri:
    url: http://x
    headers:
      Authorization: "Bearer {{ x_api_token }}"
""",
    "loop over users, label set": """
- name: Add users
  community.general.htpasswd:
    path: /etc/x.htpasswd
    name: "{{ item.name }}"
    password: "{{ item.password }}"
    mode: "0640"
  loop: "{{ x_users }}"
  loop_control:
    label: "{{ item.name }}"
""",
    "assert fail_msg": """
- name: Check the key
  ansible.builtin.assert:
    that: x_llm_key | length > 10
    fail_msg: "x_llm_key {{ x_llm_key }} is too short"
""",
    "slurp of a key file": """
- name: Read the key
  ansible.builtin.slurp:
    src: "{{ x_relay_key_file }}"
  register: x_relay_content
""",
    "command cat of a .env": """
- name: Show the env
  ansible.builtin.command: cat /etc/x/app.env
  register: x_env
""",
    "registered read used later": """
- name: Read the key
  ansible.builtin.slurp:
    src: "{{ x_relay_key_file }}"
  register: x_blob
  no_log: true
- name: Use it
  ansible.builtin.set_fact:
    x_value: "{{ x_blob.content | b64decode }}"
""",
    "set_fact of a generated password": """
- name: Make one
  ansible.builtin.set_fact:
    x_made: "{{ lookup('ansible.builtin.password', '/dev/null', length=20) }}"
""",
    "secret through a role variable": """
- name: Run restic
  ansible.builtin.command:
    argv: [restic, snapshots]
  environment: "{{ x_env_map }}"
""",
    "debug of a derived task var": """
- name: Show
  vars:
    x_header: "Bearer {{ x_github_token }}"
  ansible.builtin.debug:
    msg: "{{ x_header }}"
""",
    "block with no_log false inside": """
- name: Outer
  no_log: true
  block:
    - name: Inner
      ansible.builtin.debug:
        msg: "{{ x_password }}"
      no_log: false
""",
    "value under a secret key names the secret": """
- name: Start
  community.docker.docker_container:
    name: x
    env:
      DB_PASSWORD: "{{ x_db }}"
- name: Print it elsewhere
  ansible.builtin.debug:
    var: x_db
""",
    "secret in the task name": """
- name: "Set the password to {{ x_password }}"
  ansible.builtin.debug:
    msg: hidden
  no_log: true
""",
    "templated no_log that does not depend on the secret": """
- name: Run it
  community.docker.docker_container:
    name: x
    env: "{{ x_env_map }}"
  no_log: "{{ x_github_token | length > 0 }}"
""",
    "a check-list entry for a secret without secret: true": """
- name: Check every value
  vars:
    __checks:
      - {name: x_repository}
      - {name: x_password}
      - {name: x_hook, secret: true}
  ansible.builtin.assert:
    that: true
""",
    "an item of a secret list printed from a Jinja loop": """
- name: Report
  ansible.builtin.debug:
    msg: "{% for u in x_users %}{{ u | to_json }}{% endfor %}"
""",
    "a value of a secret map printed from a Jinja loop": """
- name: Report
  ansible.builtin.debug:
    msg: "{% for k, v in x_env_map.items() %}{{ k }}={{ v }} {% endfor %}"
""",
    "a secret part of a server printed": """
- name: Report
  ansible.builtin.debug:
    msg: "{% for name, s in x_servers.items() %}{{ name }}: {{ s.env | to_json }}{% endfor %}"
""",
    "a server printed whole": """
- name: Report
  ansible.builtin.debug:
    msg: "{% for name, s in x_servers.items() %}{{ s }}{% endfor %}"
""",
    "a value of a mapping literal's items printed": """
- name: Report
  ansible.builtin.debug:
    msg: "{% for name, v in {'a': x_plain, 'b': x_password}.items() %}{{ name }}={{ v }}{% endfor %}"
""",
    "a proxy entry of a secret environment map": """
- name: Show the proxy
  ansible.builtin.debug:
    msg: "proxy {{ x_env_map.HTTPS_PROXY }}"
""",
    "a template named like a secret file": """
- name: Write it
  ansible.builtin.template:
    src: app.env.j2
    dest: /etc/x/app.conf
    mode: "0600"
""",
}


SYNTHETIC_DATA = {"secret": {"x_users": "passwords", "x_servers.*.env": "tokens"}}
SYNTHETIC_VARS = {"x_env_map": {"RESTIC_PASSWORD": "{{ x_pw }}"}, "x_env_derived": "{{ x_env_map | combine({'A': 1}) }}"}


# What each leak above must be reported as (a part of the finding's text).
LEAK_FINDINGS = {
    "module argument": "Call the API: x_api_token (in uri.headers, without no_log)",
    "loop over users, label set": "Add users: x_users (in loop, without no_log)",
    "assert fail_msg": "Check the key: x_llm_key (in assert.fail_msg, without no_log)",
    "slurp of a key file": "Read the key: slurp of x_relay_key_file (reads a secret file, without no_log)",
    "command cat of a .env": "Show the env: command of /etc/x/app.env (reads a secret file",
    "registered read used later": ":7: Use it: x_blob.content (in set_fact.x_value, without no_log)",
    "set_fact of a generated password": "Make one: lookup('ansible.builtin.password', '/dev/null')",
    "secret through a role variable": "Run restic: x_env_map (in environment, without no_log)",
    "debug of a derived task var": "Show: x_header (in debug.msg, without no_log)",
    "block with no_log false inside": ":5: Inner: x_password (in debug.msg, without no_log)",
    "value under a secret key names the secret": ":7: Print it elsewhere: x_db (in debug.var, without no_log)",
    "secret in the task name": "x_password (in the task name, which no_log does not hide)",
    "templated no_log that does not depend on the secret": "Run it: x_pw (no_log is '{{ x_github_token | length > 0 }}'",
    "a check-list entry for a secret without secret: true": "Check every value: x_password (a check-list entry",
    "an item of a secret list printed from a Jinja loop": "Report: x_users.* (in debug.msg, without no_log)",
    "a value of a secret map printed from a Jinja loop": "Report: x_env_map.* (in debug.msg, without no_log)",
    "a template named like a secret file": "Write it: template app.env.j2 (renders a secret",
    "a proxy entry of a secret environment map": "Show the proxy: x_env_map.HTTPS_PROXY (in debug.msg, without no_log)",
    "a secret part of a server printed": "Report: x_servers.*.env (in debug.msg, without no_log)",
    "a server printed whole": "Report: x_servers.* (in debug.msg, without no_log)",
    "a value of a mapping literal's items printed": "Report: x_password (in debug.msg, without no_log)",
}


def test_every_leak_case_has_its_finding():
    assert sorted(LEAKS) == sorted(LEAK_FINDINGS)


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_scanner_catches_a_leak(case, tmp_path):
    findings, _scan = synthetic(LEAKS[case], role_vars=SYNTHETIC_VARS, data=SYNTHETIC_DATA,
                                templates={"app.env.j2": "A=1\n"}, tmp_path=tmp_path)
    assert any(LEAK_FINDINGS[case] in f for f in findings), "the scanner missed %s: %s" % (case, findings)


COVERED = {
    "task no_log": """
- name: Call the API
  ansible.builtin.uri:
    url: http://x
    headers:
      Authorization: "Bearer {{ x_api_token }}"
  no_log: true
""",
    "block no_log": """
- name: Secret block
  no_log: true
  block:
    - name: Inner
      ansible.builtin.debug:
        msg: "{{ x_password }}"
""",
    "templated no_log": """
- name: Maybe
  ansible.builtin.debug:
    msg: "{{ x_password }}"
  no_log: "{{ x_password | length > 0 }}"
""",
    "tests, lengths and conditions only": """
- name: Check
  ansible.builtin.assert:
    that:
      - x_password is defined
      - x_password | length > 0
      - x_users | map(attribute='name') | list | length > 0
      - x_env_map.keys() | list | length > 0
    fail_msg: "x_password must be set ({{ 'given' if x_password | length > 0 else 'empty' }})"
  when: x_token_blob.content is defined and x_token_blob.rc == 0
""",
    "own module option masked": """
- name: Talk to OpenHands
  selfhosted.ai_coding.openhands_conversation:
    api_key: "{{ x_llm_api_key }}"
""",
    "mapping keys and path words": """
- name: Write nothing secret
  ansible.builtin.file:
    path: "{{ x_token_file | dirname }}"
    state: directory
    mode: "0755"
- name: Name only
  ansible.builtin.debug:
    msg: "{{ x_api_token_name }} {{ x_key_types }} {{ item.key }}"
  loop: "{{ {'a': 1} | dict2items }}"
""",
    "a Jinja loop that prints only names and tests the rest": """
- name: Report
  ansible.builtin.assert:
    that: true
    fail_msg: >-
      {% for u in x_users %}{{ u.name }}{{ ' has no password' if u.password is not defined else '' }}{% endfor %}
      {% for k, v in x_env_map.items() %}{{ k }} {% endfor %}
""",
    "a flag named secret": """
- name: Check every value
  vars:
    __checks:
      - {name: x_password, secret: true}
    __problems: "{% for c in __checks %}{{ c.name }}{{ ' (not shown)' if c.secret | default(false) else '' }}{% endfor %}"
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems }}"
""",
    "an accumulator before the secret is added": """
- name: Start the list
  ansible.builtin.set_fact:
    x_checks: "{{ [] }}"
- name: Add a plain check
  ansible.builtin.set_fact:
    x_checks: "{{ x_checks + [{'url': 'http://a'}] }}"
- name: Add the check that logs in
  ansible.builtin.set_fact:
    x_checks: "{{ x_checks + [{'headers': {'Authorization': 'Basic ' ~ x_basic}}] }}"
  no_log: true
""",
    "one named entry of a secret environment map": """
- name: Check the bind address
  ansible.builtin.assert:
    that: x_env_map.OLLAMA_HOST is match('^127')
    fail_msg: "OLLAMA_HOST is {{ x_env_map.OLLAMA_HOST }}"
""",
    "templated no_log that depends on the secret's source": """
- name: Run it
  community.docker.docker_container:
    name: x
    env: "{{ x_env_derived }}"
  no_log: "{{ x_env_map | length > 0 }}"
""",
    "plain parts of a server with secret parts": """
- name: Report
  ansible.builtin.assert:
    that: true
    fail_msg: >-
      {% for name, s in x_servers.items() %}{{ name }} {{ s.transport | to_json }} {{ s.command }}
      {{ 'env is no mapping' if s.env is not mapping else '' }}{% for k, v in s.env.items() %}{{ k }}{% endfor %}{% endfor %}
""",
    "a mapping literal's items tested only": """
- name: Report
  ansible.builtin.assert:
    that: true
    fail_msg: "{% for name, v in {'a': x_env_map, 'b': x_servers}.items() if v is not mapping %}{{ name }}{% endfor %}"
""",
    "a secret file written 0600": """
- name: Write the key
  ansible.builtin.copy:
    content: "{{ x_api_key }}"
    dest: /etc/x/api.key
    mode: "0600"
  no_log: true
""",
}


@pytest.mark.parametrize("case", sorted(COVERED))
def test_scanner_accepts_covered_use(case):
    findings, _scan = synthetic(COVERED[case], role_vars=SYNTHETIC_VARS, data=SYNTHETIC_DATA)
    assert not findings, findings


def test_scanner_reports_place_task_and_reference():
    findings, _scan = synthetic(LEAKS["assert fail_msg"])
    assert findings == ["roles/x/tasks/main.yml:2: Check the key: x_llm_key (in assert.fail_msg, without no_log)"]


def test_scanner_checks_modes(tmp_path):
    tasks = """
- name: World-readable env
  ansible.builtin.template:
    src: app.env.j2
    dest: /etc/x/app.env
    mode: "0644"
- name: No mode
  ansible.builtin.copy:
    content: "{{ x_password }}"
    dest: /etc/x/pw
  no_log: true
- name: Templated mode
  ansible.builtin.copy:
    content: "{{ x_password }}"
    dest: /etc/x/pw2
    mode: "{{ x_mode }}"
  no_log: true
- name: Secret in the template text
  ansible.builtin.template:
    src: conf.j2
    dest: /etc/x/conf
    mode: "0600"
- name: Good
  ansible.builtin.copy:
    content: "{{ x_password }}"
    dest: /etc/x/pw3
    mode: "0640"
  no_log: true
"""
    findings, _scan = synthetic(tasks, templates={"conf.j2": "pw={{ x_password }}\n", "app.env.j2": "A=1\n"},
                                tmp_path=tmp_path)
    text = "\n".join(findings)
    assert "World-readable env: mode" in text and "0644" in text
    assert "No mode: mode" in text and "Templated mode: mode" in text
    assert "Secret in the template text: template conf.j2 (renders a secret" in text
    assert "Good" not in text


def test_accepted_entry_silences_one_finding():
    data = {"accepted": [{"file": "roles/x/tasks/main.yml", "task": "Check the key", "ref": "x_llm_key",
                          "reason": "synthetic"}]}
    findings, scan = synthetic(LEAKS["assert fail_msg"], data=data)
    assert findings == [] and scan.data.unused() == []
