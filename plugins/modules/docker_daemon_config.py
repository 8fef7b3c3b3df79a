#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: docker_daemon_config
short_description: Merge settings into Docker's daemon.json without losing the keys other tools wrote
version_added: 0.1.0
description:
  - Reads the Docker daemon configuration file, merges O(settings) into it and writes it back as C(root:root 0644),
    atomically. Keys that O(settings) does not name are kept, so the Coolify installer's keys (log options, address
    pools), an NVIDIA runtime entry and the hardening role's keys live side by side in one file.
  - Nested objects are merged key by key (C(log-opts) keeps C(max-size) when only C(max-file) is given); lists and
    scalars are replaced. A value of V(null) in O(settings), at the top or inside a nested object, or a key in
    O(remove), deletes that key.
  - Every value in O(settings) for a key Docker documents (the daemon options this collection and its users set, such
    as V(live-restore), V(log-opts), V(default-address-pools), V(dns), V(mtu), V(runtimes), V(proxies)) is checked for
    its JSON type before anything is read or written, whether or not C(dockerd --validate) is available. A string
    where a list belongs, a boolean where an integer belongs, an integer where a boolean or a string belongs, control
    characters or values over 4096 characters are refused with a message that names the key, quotes the value and
    states the type Docker expects. Addresses (V(ip), V(dns)), CIDRs (V(bip), the V(base) of an address pool) and
    choices (V(log-level)) are checked as dockerd checks them; a registry mirror must be an C(http) or C(https) URL
    without query, fragment or credentials, which dockerd refuses in a mirror. Keys the module does not know are
    passed through unchecked (Docker adds options); C(dockerd --validate) still refuses those it does not know.
  - When the content would change, the merged result is checked the same way, so a wrong value already in the file is
    reported (naming the file and the key) instead of being written back and failing C(dockerd) at its next start.
  - When the content would change and O(validate=true), the merged file is first checked with
    C(dockerd --validate --config-file), if the installed C(dockerd) has that option (Docker 23 and later). A file
    Docker would refuse is never written; the task fails with C(dockerd)'s message and the old file stays.
  - The file is never followed. If O(path), or the directory that holds it, is a symbolic link, or O(path) is not a
    regular file (a directory, a FIFO, a device) or has more than one hard link, the task fails naming the file and
    nothing is read or changed. Links higher up the path (such as Snap's C(/var/snap/docker/current)) are resolved as
    usual.
  - A file that is not UTF-8 (a UTF-8 byte order mark is accepted and dropped on the next write), not valid JSON, or
    not a JSON object fails the task with a message naming the file and what is wrong, and is left untouched.
  - O(owner), O(group) and O(mode) are checked before anything is written. The new content is written to a temporary
    file in the same directory, given its owner, group and mode, flushed to disk and renamed over the old file, so the
    old file stays whole when anything fails.
  - A file whose parsed content already equals the merged result is not rewritten, whatever its formatting, so
    Docker is not restarted for whitespace.
  - RV(restart_required) tells whether a changed key needs a restart of C(dockerd) (most do) or only a reload
    (C(SIGHUP)); Docker's documentation lists the options that can be reconfigured live.
  - Values that can hold credentials are never returned or printed as they are, see RV(config).
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Computes the merged file, validates it and reports the change and diff without writing.
    support: full
  diff_mode:
    description: Shows the file before and after, as sorted, indented JSON, with credentials hidden as in RV(config).
    support: full
  idempotent:
    description: A second run with the same options reports C(changed=false).
    support: full
options:
  path:
    description:
      - The daemon configuration file, an absolute path.
      - Neither the file nor its directory may be a symbolic link; a missing directory is created (C(0755)).
    type: path
    default: /etc/docker/daemon.json
  settings:
    description:
      - Keys to set, as Docker spells them (V(live-restore), V(log-opts), V(default-address-pools)).
      - Nested objects are merged recursively; other values replace the old ones. V(null) removes the key.
      - Values of the keys Docker documents must have the JSON type Docker reads (V(true) for a boolean, not V("true");
        a list for V(dns), even of one address; strings in V(log-opts), V(max-file="3") not V(3)).
    type: dict
    default: {}
  remove:
    description: Top-level keys to delete if present.
    type: list
    elements: str
    default: []
  validate:
    description: Check the merged file with C(dockerd --validate) before writing it, when C(dockerd) supports it.
    type: bool
    default: true
  dockerd_path:
    description: The C(dockerd) binary used for validation; searched in C(PATH) when not given.
    type: path
  owner:
    description:
      - Owner of the file (CIS Docker 3.17), a user name or a numeric id. It must exist on the host.
      - V(null) keeps the owner the file has (a new file belongs to the user the module runs as).
    type: str
    default: root
  group:
    description:
      - Group of the file (CIS Docker 3.17), a group name or a numeric id. It must exist on the host.
      - V(null) keeps the group the file has.
    type: str
    default: root
  mode:
    description:
      - Mode of the file, in octal (V("0644"), V("0600")). CIS Docker 3.18 asks for C(0644) or stricter, and the module
        refuses anything looser (writable by the group or others, executable, set-id bits) and a mode the owner
        cannot read.
      - A number is taken as YAML reads an unquoted C(0644) (that is, 420); quote the mode to be safe.
    type: raw
    default: "0644"
  backup:
    description:
      - Keep a timestamped copy of the old file next to it when the content changes.
      - The copy keeps the old file's owner and group, with a mode no looser than the old file's or O(mode).
    type: bool
    default: false
notes:
  - Validation is skipped, and RV(validated) is V(false), when C(dockerd) is absent (Docker not installed yet) or
    older than 23.0 (no C(--validate)), as with C(dockerd) of Debian 12. The JSON is still parsed, checked to be an
    object, and the values of the keys Docker documents are still checked for their types.
  - Ansible logs a module's arguments on the managed host (syslog or journal) unless the task sets C(no_log). Set
    C(no_log) on a task whose O(settings) hold credentials (a proxy URL with a password); the module hides them in
    what it returns either way.
seealso:
  - name: Docker daemon configuration file
    description: The options dockerd reads from daemon.json and the ones that can be reloaded without a restart.
    link: https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file
"""

EXAMPLES = r"""
- name: Harden the Docker daemon, keeping what Coolify's installer wrote
  selfhosted.ai_coding.docker_daemon_config:
    settings:
      live-restore: true
      no-new-privileges: true
      icc: false
      userland-proxy: false
      log-driver: json-file
      log-opts:
        max-size: 10m
        max-file: "3"
  register: daemon_json
  notify: Restart docker

- name: Drop an insecure registry someone added
  selfhosted.ai_coding.docker_daemon_config:
    remove:
      - insecure-registries

- name: Send the daemon's pulls through a proxy that needs a password (hidden in the result; no_log keeps it out of logs)
  selfhosted.ai_coding.docker_daemon_config:
    settings:
      proxies:
        https-proxy: "http://{{ proxy_user }}:{{ proxy_password }}@proxy.internal:3128"
        no-proxy: localhost,127.0.0.1
  no_log: true
"""

RETURN = r"""
config:
  description:
    - The merged configuration (what the file holds after the task, or would hold in check mode).
    - Values that can hold credentials are hidden as C(********) here, in the diff and in messages, never returned as
      they are. Hidden are the user and password of every C(scheme://user:password@host) URL (also without a scheme
      under a key ending in C(proxy), such as the C(http-proxy) and C(https-proxy) of C(proxies)), and every value
      under a key whose name marks a secret (containing C(password), C(passwd), C(passphrase), C(secret), C(token),
      C(credential), C(api-key), C(access-key), C(private-key), C(cookie), C(bearer), or the word C(auth) or C(auths),
      as registry credentials use), however deep.
  returned: success
  type: dict
  sample: {"live-restore": true, "log-opts": {"max-file": "3", "max-size": "10m"},
           "proxies": {"https-proxy": "http://********@proxy.internal:3128"}}
changed_keys:
  description: Top-level keys whose value was added, changed or removed, sorted.
  returned: success
  type: list
  elements: str
  sample: [icc, live-restore]
restart_required:
  description: V(true) when a changed key is not one dockerd reloads on C(SIGHUP), so the daemon must be restarted.
  returned: success
  type: bool
validated:
  description: Whether C(dockerd --validate) checked the merged file.
  returned: success
  type: bool
backup_file:
  description: The copy of the old file, when O(backup=true) and the file changed.
  returned: changed and backup requested
  type: str
"""

import errno
import grp
import ipaddress
import json
import math
import os
import pwd
import re
import stat
import tempfile
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    check_abs_path,
    check_str_list,
    check_text,
    check_url,
    show,
    type_name,
)

# dockerd reloads these on SIGHUP (docs: "Configuration reload behavior"); any other changed key needs a restart.
RELOADABLE_KEYS = frozenset(
    [
        "debug",
        "labels",
        "live-restore",
        "max-concurrent-downloads",
        "max-concurrent-uploads",
        "max-download-attempts",
        "default-runtime",
        "runtimes",
        "authorization-plugins",
        "insecure-registries",
        "registry-mirrors",
        "shutdown-timeout",
        "features",
        "default-shm-size",
    ]
)

# A daemon.json is a few hundred bytes; anything this large is not one, and is not read into memory.
MAX_FILE_BYTES = 1024 * 1024
# The longest string accepted for a key the module knows (PATH_MAX; longer is a mistake or an attack).
MAX_TEXT = 4096
# The loosest mode accepted (CIS Docker 3.18: 0644 or stricter); the owner must be able to read the file.
LOOSEST_MODE = 0o644
MASK = "********"
# Lists and objects nested deeper than this are no daemon configuration (and would exhaust the recursion limit).
MAX_DEPTH = 64

# Key names that mark a value as a credential, at any depth ("authorization-plugins" is not one: "auth" must be a word).
SECRET_NAME_RE = re.compile(
    r"passw|passphrase|secret|token|credential|private[-_]?key|api[-_]?key|access[-_]?key|cookie|bearer"
    r"|(?:^|[^a-z])auths?(?:$|[^a-z])",
    re.IGNORECASE,
)
# Keys holding a proxy address, which Go also reads without a scheme (user:password@host:port).
PROXY_NAME_RE = re.compile(r"(?:^|[-_])proxy$", re.IGNORECASE)
SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


class ConfigError(Exception):
    """The existing file or the requested settings cannot be used; the message says what to fix."""


# ---------------------------------------------------------------------------------------------------------------------
# JSON type checks for the keys Docker documents. Each check takes (value, name, nulls) and raises InvalidValue whose
# text names the key (``name``), quotes the value and states the type; ``nulls`` lets a nested null through (in
# settings it deletes the nested key). Docker's Go types decide: a JSON string never unmarshals into a Go bool or int,
# a number never into a string, and a one-string "list" is a string.


def _an(word):
    return "an" if word[:1] in "aeiou" else "a"


def _wrong_type(name, value, expected, hint=""):
    kind = type_name(value)
    return InvalidValue("%s must be %s, got %s %s (%s)%s" % (name, expected, _an(kind), kind, show(value), hint))


def _string(value, name, nulls=False):
    if not isinstance(value, str):
        raise _wrong_type(name, value, "a string")
    check_text(value, name, allow_empty=True, max_len=MAX_TEXT)


def _boolean(value, name, nulls=False):
    if not isinstance(value, bool):
        hint = ""
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "on", "off"):
            hint = "; write true or false without quotes"
        raise _wrong_type(name, value, "a boolean (true or false)", hint)


def _integer(low, high):
    def check(value, name, nulls=False):
        if isinstance(value, bool) or not isinstance(value, int):
            hint = "; write the number without quotes" if isinstance(value, str) and value.strip().lstrip("-").isdigit() else ""
            raise _wrong_type(name, value, "an integer", hint)
        if not low <= value <= high:
            raise InvalidValue("%s is %s: it must be an integer from %d to %d" % (name, show(value), low, high))

    return check


def _choice(*choices):
    def check(value, name, nulls=False):
        _string(value, name)
        if value.lower() not in choices:
            raise InvalidValue("%s is %s: it must be one of %s" % (name, show(value), ", ".join(choices)))

    return check


def _ip(value, name, nulls=False):
    _string(value, name)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise InvalidValue("%s is %s: it must be an IPv4 or IPv6 address" % (name, show(value)))
    return value


def _cidr(value, name, nulls=False):
    _string(value, name)
    try:
        if "/" not in value:
            raise ValueError(value)
        return ipaddress.ip_interface(value)
    except ValueError:
        raise InvalidValue("%s is %s: it must be an address with a prefix length (CIDR), such as '10.0.0.0/8'"
                           % (name, show(value)))


def _str_list(value, name, nulls=False):
    check_str_list(value, name)


def _ip_list(value, name, nulls=False):
    check_str_list(value, name, item_check=_ip)


def _mirror(value, name):
    """A registry mirror: an http(s) URL without query, fragment or credentials, which dockerd refuses in a mirror."""
    check_url(value, name)
    parts = urlsplit(value)
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise InvalidValue("%s is %s: a registry mirror URL has no query or fragment (? or #)" % (name, show(value)))
    if "@" in parts.netloc:
        raise InvalidValue("%s is %s: a registry mirror URL may not hold a user name or password (dockerd refuses "
                           "it; log in to the mirror with docker login instead)" % (name, show(value)))
    return value


def _mirror_list(value, name, nulls=False):
    check_str_list(value, name, item_check=_mirror)


def _mapping(value, name):
    if not isinstance(value, Mapping):
        raise _wrong_type(name, value, "a mapping (a JSON object)")
    for key in value:
        check_text(key, "a key of %s" % name, max_len=MAX_TEXT)


def _map_of(check_value, hint_numbers=""):
    """A mapping whose every value passes ``check_value``."""

    def check(value, name, nulls=False):
        _mapping(value, name)
        for key, item in value.items():
            if item is None and nulls:
                continue
            label = "%s.%s" % (name, key)
            if hint_numbers and isinstance(item, (int, float)) and not isinstance(item, bool):
                raise _wrong_type(label, item, "a string", hint_numbers % (item,))
            check_value(item, label, nulls)

    return check


def _object(fields, required=()):
    """A mapping with known ``fields`` (name -> check; other keys pass: Go ignores them) and ``required`` ones."""

    def check(value, name, nulls=False):
        _mapping(value, name)
        for field in required:
            if value.get(field) is None:
                raise InvalidValue("%s has no %s: it must be a mapping with %s" % (name, field, " and ".join(required)))
        for key, item in value.items():
            # Go's encoding/json matches field names case-insensitively ("Hard" and "hard" both set Ulimit.Hard).
            field = fields.get(key, fields.get(key.lower()))
            if field is None or (item is None and nulls):
                continue
            field(item, "%s.%s" % (name, key), nulls)

    return check


def _address_pools(value, name, nulls=False):
    if isinstance(value, (str, Mapping)) or not isinstance(value, list):
        raise _wrong_type(name, value, "a list of mappings with base and size")
    for index, pool in enumerate(value):
        label = "%s[%d]" % (name, index)
        _object({"base": _cidr, "size": _integer(1, 128)}, required=("base", "size"))(pool, label)
        network = _cidr(pool["base"], "%s.base" % label).network
        if not network.prefixlen <= pool["size"] <= network.max_prefixlen:
            raise InvalidValue("%s.size is %s: it must be from the prefix length of base (%d) to %d"
                               % (label, show(pool["size"]), network.prefixlen, network.max_prefixlen))


INT64 = (-(2 ** 63), 2 ** 63 - 1)

# Docker's daemon.json options (https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file) that this
# collection, Coolify's installer, the NVIDIA toolkit or operators set, with the JSON type dockerd reads each as.
KNOWN_KEYS = {
    # storage and paths
    "data-root": _string,
    "exec-root": _string,
    "pidfile": _string,
    "storage-driver": _string,
    "storage-opts": _str_list,
    "containerd": _string,
    "containerd-namespace": _string,
    "containerd-plugins-namespace": _string,
    "cdi-spec-dirs": _str_list,
    # logging
    "log-driver": _string,
    "log-opts": _map_of(_string, hint_numbers="; quote it: \"%s\" (dockerd refuses numbers there)"),
    "log-level": _choice("trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"),
    "log-format": _choice("text", "json"),
    "raw-logs": _boolean,
    "debug": _boolean,
    "experimental": _boolean,
    "metrics-addr": _string,
    # daemon behaviour
    "live-restore": _boolean,
    "shutdown-timeout": _integer(-1, INT64[1]),
    "max-concurrent-downloads": _integer(0, INT64[1]),
    "max-concurrent-uploads": _integer(0, INT64[1]),
    "max-download-attempts": _integer(0, INT64[1]),
    "features": _map_of(_boolean),
    "labels": _str_list,
    "hosts": _str_list,
    "group": _string,
    "tls": _boolean,
    "tlsverify": _boolean,
    "tlscacert": _string,
    "tlscert": _string,
    "tlskey": _string,
    "oom-score-adjust": _integer(-1000, 1000),
    "proxies": _object({"http-proxy": _string, "https-proxy": _string, "no-proxy": _string}),
    # container defaults and security
    "userns-remap": _string,
    "no-new-privileges": _boolean,
    "selinux-enabled": _boolean,
    "seccomp-profile": _string,
    "default-runtime": _string,
    "runtimes": _map_of(_object({"path": _string, "runtimeArgs": _str_list, "runtimeType": _string,
                                 "options": lambda v, n, nulls=False: _mapping(v, n)})),
    "default-ulimits": _map_of(_object({"name": _string, "hard": _integer(*INT64), "soft": _integer(*INT64)})),
    "default-shm-size": _string,
    "default-cgroupns-mode": _choice("host", "private"),
    "default-ipc-mode": _choice("private", "shareable"),
    "cgroup-parent": _string,
    "exec-opts": _str_list,
    "authorization-plugins": _str_list,
    "init": _boolean,
    "init-path": _string,
    # networking
    "bridge": _string,
    "bip": _cidr,
    "fixed-cidr": _cidr,
    "fixed-cidr-v6": _cidr,
    "default-gateway": _ip,
    "default-gateway-v6": _ip,
    "default-address-pools": _address_pools,
    "default-network-opts": _map_of(_map_of(_string)),
    "ip": _ip,
    "host-gateway-ip": _ip,
    "icc": _boolean,
    "iptables": _boolean,
    "ip6tables": _boolean,
    "ip-forward": _boolean,
    "ip-masq": _boolean,
    "ipv6": _boolean,
    "mtu": _integer(0, 65535),
    "userland-proxy": _boolean,
    "userland-proxy-path": _string,
    "dns": _ip_list,
    "dns-opts": _str_list,
    "dns-search": _str_list,
    # registries
    "registry-mirrors": _mirror_list,
    "insecure-registries": _str_list,
    "allow-nondistributable-artifacts": _str_list,
}


def check_json_value(value, name):
    """Anything JSON can hold: no NaN or infinity (dockerd would not parse the file at all)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue("%s is %s: JSON has no NaN or infinity" % (name, show(value)))
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_json_value(item, "%s.%s" % (name, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_json_value(item, "%s[%d]" % (name, index))
    elif not (value is None or isinstance(value, (str, bool, int, float))):
        raise InvalidValue("%s must be a JSON value (string, number, boolean, list, mapping or null), got %s %s"
                           % (name, _an(type_name(value)), type_name(value)))


def check_known(config, prefix, nulls):
    """Check each key of ``config`` that Docker documents; raise InvalidValue naming ``prefix`` + the key."""
    for key in sorted(config):
        value = config[key]
        if value is None:
            continue
        check_json_value(value, prefix + key)
        # Go's encoding/json fills a field from a key in any case ("MTU" sets mtu), so the check does not care either.
        check = KNOWN_KEYS.get(key, KNOWN_KEYS.get(str(key).lower()))
        if check is not None:
            check(value, prefix + key, nulls)


def check_settings(settings, remove):
    """Reject settings that cannot be a daemon.json key or value before anything is read or written."""
    if not isinstance(settings, Mapping):
        raise InvalidValue("settings must be a mapping of daemon.json keys, got %s %s"
                           % (_an(type_name(settings)), type_name(settings)))
    if too_deep(settings):
        raise InvalidValue("settings nests lists or mappings more than %d levels deep, which no daemon option does"
                           % MAX_DEPTH)
    for key in list(settings) + list(remove):
        check_text(key, "settings key" if key in settings else "remove item", max_len=MAX_TEXT)
        if key != key.strip():
            raise InvalidValue("daemon.json key %s is not allowed: keys must be without surrounding spaces" % show(key))
    check_known(settings, "settings.", nulls=True)
    both = sorted(set(settings) & set(remove))
    if both:
        raise InvalidValue("key(s) %s are both in settings and in remove: name each key in one of them" % ", ".join(both))


# ---------------------------------------------------------------------------------------------------------------------
# Credentials: hidden in what the module returns and prints.


def hide_userinfo(text, userinfo=None):
    """``text`` with the user:password of each ``scheme://user:password@host`` hidden (to the last @ of the word, so
    a password holding / or @ is hidden whole); the hidden parts are appended to ``userinfo``.

    A scan, not a regular expression: a pattern for this backtracks quadratically on a long hostile string."""
    out = []
    for word in re.split(r"(\s+)", text):
        start = 0
        at = word.rfind("@")
        while True:
            sep = word.find("://", start)
            if sep < 0 or at <= sep + 3:
                break
            begin = sep
            while begin > 0 and sep - begin < 32 and word[begin - 1] in SCHEME_CHARS:
                begin -= 1
            while begin < sep and not word[begin].isalpha():
                begin += 1
            if begin < sep:
                if userinfo is not None:
                    userinfo.append(word[sep + 3:at])
                word = word[:sep + 3] + MASK + word[at:]
                break
            start = sep + 3
        out.append(word)
    return "".join(out)


def _hide_string(text, proxy, found=None):
    """``text`` with the user:password@ of a URL hidden; the hidden parts go to ``found`` as well (a parser's message,
    such as urllib's "Port could not be cast to integer value as 'pass'", can quote a piece of them)."""
    userinfo = []
    hidden = hide_userinfo(text, userinfo)
    if proxy and hidden == text and "://" not in text and "@" in text:
        userinfo.append(text[:text.rindex("@")])
        hidden = MASK + text[text.rindex("@"):]
    if found is not None:
        for part in userinfo:
            # user:password hides the password's pieces; a lone token (https://TOKEN@host) is the secret itself.
            password = part.split(":", 1)[1] if ":" in part else part
            for piece in [part] + re.split(r"[:/?#@\[\]]", password):
                if len(piece) >= 4:
                    found[piece] = MASK
    return hidden


def redact(value, secret=False, proxy=False, found=None):
    """``value`` with credentials replaced by MASK; the original strings that were hidden are added to ``found``."""
    if isinstance(value, Mapping):
        return dict((key, redact(item, secret or bool(SECRET_NAME_RE.search(str(key))),
                                 bool(PROXY_NAME_RE.search(str(key))), found))
                    for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [redact(item, secret, proxy, found) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if secret and isinstance(value, (str, int, float)):
        if found is not None and isinstance(value, str) and value:
            found[value] = MASK
        return MASK if value != "" else value
    if isinstance(value, str):
        hidden = _hide_string(value, proxy, found)
        if hidden != value and found is not None:
            found[value] = hidden
        return hidden
    return value


def redact_message(message, secrets):
    """``message`` with each secret string (as written, and as _validate.show quotes it) replaced by its hidden form."""
    for text in sorted(secrets, key=len, reverse=True):
        message = message.replace(show(text), show(secrets[text]))
        for form in (text, show(text)[1:-1]):
            if len(form) >= 4:
                message = message.replace(form, secrets[text])
    return hide_userinfo(message)


# ---------------------------------------------------------------------------------------------------------------------
# Reading, merging, writing.


def merge(base, overlay):
    """Return ``base`` with ``overlay`` merged in: dicts recursively, anything else replaced, None deletes.

    A nested null deletes its key also where ``base`` has no object there yet (it is never written as null)."""
    result = dict(base)
    for key, value in overlay.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):
            result[key] = merge(result[key] if isinstance(result.get(key), dict) else {}, value)
        else:
            result[key] = value
    return result


def decode(path, data):
    """The file's text; another encoding fails naming the file (dockerd reads UTF-8)."""
    for bom, encoding in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                          (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise ConfigError("%s is encoded as %s (it starts with a byte order mark); dockerd reads daemon.json as "
                              "UTF-8. Save it as UTF-8, then run again; nothing was changed." % (path, encoding))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if b"\x00" in data:
            hint = "it holds NUL bytes, as UTF-16 or UTF-32 text does"
        else:
            hint = "byte 0x%02x at offset %d is not UTF-8" % (bytearray(data[exc.start:exc.start + 1])[0], exc.start)
        raise ConfigError("%s is not UTF-8 text (%s); dockerd reads daemon.json as UTF-8. Save it as UTF-8, then run "
                          "again; nothing was changed." % (path, hint))


def too_deep(value, limit=MAX_DEPTH):
    """True when ``value`` nests lists and mappings deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (Mapping, list, tuple)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, Mapping) else item))
    return False


def _no_constant(name):
    raise ValueError("%s is not a JSON value" % name)


def parse_existing(path, text):
    """Parse the current file; empty or missing means an empty configuration."""
    if text is None or not text.strip():
        return {}
    if "\x00" in text:
        raise ConfigError("%s holds NUL characters, as UTF-16 or UTF-32 text without a byte order mark does; dockerd "
                          "reads daemon.json as UTF-8. Save it as UTF-8, then run again; nothing was changed." % path)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        data = _MISSING
    except ValueError as exc:
        raise ConfigError(
            "%s is not valid JSON (%s); dockerd would refuse it too. Fix or remove the file, then run again: "
            "nothing was changed." % (path, exc)
        )
    if data is _MISSING or too_deep(data):
        raise ConfigError("%s nests lists or objects more than %d levels deep, which no daemon configuration does; "
                          "nothing was changed." % (path, MAX_DEPTH))
    if not isinstance(data, dict):
        raise ConfigError(
            "%s must hold a JSON object ({...}), found %s %s; nothing was changed."
            % (path, _an(type_name(data)), type_name(data))
        )
    return data


def render(config):
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def changed_top_level(before, after):
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k, _MISSING) != after.get(k, _MISSING))


_MISSING = object()

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _kind(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def open_directory(path, directory):
    """An O_NOFOLLOW descriptor of the file's directory, or None when it does not exist yet."""
    try:
        st = os.lstat(directory)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise ConfigError("cannot inspect %s, the directory of %s: %s; nothing was changed." % (directory, path, exc.strerror))
    if stat.S_ISLNK(st.st_mode):
        raise ConfigError("%s is in %s, which is a symbolic link: the module does not follow links to daemon.json "
                          "(rule: neither the file nor its directory may be a link). Use the real directory as path; "
                          "nothing was read or changed." % (path, directory))
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError("%s cannot be used: %s is %s, not a directory; nothing was changed."
                          % (path, directory, _kind(st.st_mode)))
    if st.st_mode & stat.S_IWOTH and not st.st_mode & stat.S_ISVTX:
        raise ConfigError("%s is in %s, which every user may write to (mode %04o): anyone could replace the file. "
                          "Make the directory writable by root only; nothing was changed."
                          % (path, directory, stat.S_IMODE(st.st_mode)))
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError("cannot open %s, the directory of %s: %s; nothing was changed." % (directory, path, exc.strerror))


def read_existing(path, dir_fd, name):
    """(bytes, stat) of the file, or (None, None) when missing. Links and other kinds of file are refused unread."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        raise ConfigError("cannot inspect %s: %s; nothing was changed." % (path, exc.strerror))
    if stat.S_ISLNK(st.st_mode):
        raise ConfigError("%s is a symbolic link: the module does not follow links (rule: daemon.json must be a "
                          "regular file, so its content and its owner and mode are the ones Docker reads). Replace "
                          "the link with the file itself, or point path at the real file; nothing was read or changed."
                          % path)
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError("%s is %s, not a regular file (rule: daemon.json must be a regular file); nothing was read "
                          "or changed." % (path, _kind(st.st_mode)))
    if st.st_nlink > 1:
        raise ConfigError("%s has %d hard links (rule: daemon.json must be a file of its own; a rewrite would split the "
                          "links and the other names would keep the old content). Remove the other links; nothing "
                          "was changed." % (path, st.st_nlink))
    if st.st_size > MAX_FILE_BYTES:
        raise ConfigError("%s is %d bytes, more than the %d a daemon configuration can sensibly hold; it was not read "
                          "and nothing was changed." % (path, st.st_size, MAX_FILE_BYTES))
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError("%s became a symbolic link while it was read; nothing was read or changed." % path)
        raise ConfigError("cannot read %s: %s; nothing was changed." % (path, exc.strerror))
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(now.st_mode):
            raise ConfigError("%s was replaced while it was read; run again. Nothing was changed." % path)
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ConfigError("%s grew past %d bytes while it was read; nothing was changed." % (path, MAX_FILE_BYTES))
            chunks.append(chunk)
    except OSError as exc:
        raise ConfigError("cannot read %s: %s; nothing was changed." % (path, exc.strerror))
    finally:
        os.close(fd)
    return b"".join(chunks), now


def parse_mode(value):
    """The requested mode as an int; refused when it does not parse or is looser than 0644."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _wrong_type("mode", value, "an octal mode as a string, such as '0644'")
    if isinstance(value, str):
        match = re.match(r"^(?:0[oO]?)?([0-7]{3,4})$", value.strip())
        if not match:
            raise InvalidValue("mode is %s: it must be an octal mode such as '0644' or '0600' (symbolic modes such as "
                               "u=rw are not accepted here)" % show(value))
        mode = int(match.group(1), 8)
    else:
        mode = value
        if not 0 <= mode <= 0o7777 or mode & ~LOOSEST_MODE:
            raise InvalidValue("mode is the number %d (%s in octal), not a mode this file may have: an unquoted number "
                               "is read as decimal; quote the mode, such as mode: '0644' (rule: 0644 or stricter)"
                               % (value, oct(value).replace("o", "")))
    if mode & ~LOOSEST_MODE:
        raise InvalidValue("mode is %s (%04o): daemon.json decides what dockerd runs as root, so it must be 0644 or "
                           "stricter (no write for group or others, no execute or set-id bits; CIS Docker 3.18)"
                           % (show(value), mode))
    if not mode & stat.S_IRUSR:
        raise InvalidValue("mode is %s (%04o): the owner must be able to read the file (0600, 0640 or 0644)"
                           % (show(value), mode))
    return mode


def resolve_id(value, option):
    """The uid or gid that ``value`` names (a name or a number); None keeps the file's."""
    if value is None:
        return None
    check_text(value, option, max_len=256)
    if re.match(r"^[0-9]+$", value):
        return int(value)
    try:
        if option == "owner":
            return pwd.getpwnam(value).pw_uid
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise InvalidValue("%s is %s: there is no such %s on this host" % (option, show(value),
                                                                           "user" if option == "owner" else "group"))


def dockerd_validates(module, dockerd):
    """True when this dockerd has --validate (added in Docker 23.0)."""
    rc, out, err = module.run_command([dockerd, "--help"])
    return "--validate" in (out or "") + (err or "")


def validate_with_dockerd(module, dockerd, content, directory):
    fd, tmp = tempfile.mkstemp(prefix=".daemon.json.validate.", dir=directory if os.path.isdir(directory) else None)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(to_bytes(content))
        rc, out, err = module.run_command([dockerd, "--validate", "--config-file", tmp])
    finally:
        os.unlink(tmp)
    if rc != 0:
        message = " ".join(((err or "") + " " + (out or "")).split()) or "exit code %d" % rc
        raise ConfigError("dockerd refused the merged configuration: %s; the old file was kept." % message)


def write_file(module, path, dir_fd, name, content, uid, gid, mode, old_stat, backup):
    """Write ``content`` atomically (temp file in the directory, owner/group/mode, fsync, rename); return the backup."""
    backup_path = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if backup and old_stat is not None:
        backup_name = "%s.%s.%s" % (name, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))
        fd = os.open(backup_name, flags, 0o600, dir_fd=dir_fd)
        try:
            os.write(fd, backup)
            os.fchown(fd, old_stat.st_uid, old_stat.st_gid)
            os.fchmod(fd, stat.S_IMODE(old_stat.st_mode) & mode & LOOSEST_MODE)
            os.fsync(fd)
        except OSError:
            os.close(fd)
            os.unlink(backup_name, dir_fd=dir_fd)
            raise
        os.close(fd)
        backup_path = os.path.join(os.path.dirname(path), backup_name)
    tmp = None
    for attempt in range(100):
        candidate = ".%s.%d.%d.tmp" % (name, os.getpid(), attempt)
        try:
            fd = os.open(candidate, flags, 0o600, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise
        tmp = candidate
        break
    if tmp is None:
        raise OSError(errno.EEXIST, "no free temporary name in the directory")
    try:
        try:
            data = to_bytes(content)
            while data:
                data = data[os.write(fd, data):]
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        if old_stat is not None and module.selinux_enabled():
            context = module.selinux_context(path)
            module.set_context_if_different(os.path.join(os.path.dirname(path), tmp), context, False)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        tmp = None
        os.fsync(dir_fd)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
    return backup_path


def fix_attributes(dir_fd, name, uid, gid, mode):
    """Give the existing file (never a link: O_NOFOLLOW) its owner, group and mode."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), dir_fd=dir_fd)
    try:
        os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/docker/daemon.json"),
            settings=dict(type="dict", default={}),
            remove=dict(type="list", elements="str", default=[]),
            validate=dict(type="bool", default=True),
            dockerd_path=dict(type="path"),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
            mode=dict(type="raw", default="0644"),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    settings = module.params["settings"] or {}
    remove = module.params["remove"] or []
    result = dict(changed=False, validated=False, restart_required=False, changed_keys=[])
    secrets = {}
    if not too_deep(settings):
        redact(settings, found=secrets)
    dir_fd = None

    def fail(message):
        module.no_log_values.update(text for text in secrets if len(text) >= 3)
        module.fail_json(msg=redact_message(to_native(message), secrets), **result)

    try:
        # Everything the user gave is checked before the file is looked at.
        check_abs_path(path, "path")
        directory, name = os.path.split(path)
        if not name or name in (".", ".."):
            raise InvalidValue("path is %s: it must name a file, not a directory" % show(path))
        check_settings(settings, remove)
        uid = resolve_id(module.params["owner"], "owner")
        gid = resolve_id(module.params["group"], "group")
        mode = parse_mode(module.params["mode"])

        dir_fd = open_directory(path, directory)
        data, old_stat = read_existing(path, dir_fd, name) if dir_fd is not None else (None, None)
        text = decode(path, data) if data is not None else None
        before = parse_existing(path, text)
        redact(before, found=secrets)
        after = merge(before, settings)
        for key in remove:
            after.pop(key, None)

        content_changed = after != before or text is None
        keys = changed_top_level(before, after)
        result.update(config=redact(after), changed_keys=keys)
        result["restart_required"] = any(k not in RELOADABLE_KEYS for k in keys)

        if content_changed:
            try:
                check_known(after, "", nulls=False)
            except InvalidValue as exc:
                raise ConfigError("%s holds a value dockerd would refuse: %s. Fix the file, or set the key with settings "
                                  "(or delete it with remove), then run again; nothing was changed." % (path, exc))
        if content_changed and module.params["validate"]:
            dockerd = module.params["dockerd_path"] or module.get_bin_path("dockerd")
            if module.params["dockerd_path"] and not (os.path.isfile(dockerd) and os.access(dockerd, os.X_OK)):
                raise ConfigError("dockerd_path %s is not an executable file" % dockerd)
            if dockerd and dockerd_validates(module, dockerd):
                validate_with_dockerd(module, dockerd, render(after), directory)
                result["validated"] = True

        # Owner, group and mode: what would change, and whether this user may change it, before any write.
        euid = os.geteuid()
        new_uid = uid if uid is not None else (old_stat.st_uid if old_stat else euid)
        new_gid = gid if gid is not None else (old_stat.st_gid if old_stat else os.getegid())
        attributes_changed = old_stat is not None and (
            (old_stat.st_uid, old_stat.st_gid, stat.S_IMODE(old_stat.st_mode)) != (new_uid, new_gid, mode))
        if euid != 0 and (content_changed or attributes_changed):
            if new_uid != euid:
                raise ConfigError("%s cannot be given to owner %s: only root can give a file away (use become: true); "
                                  "nothing was changed." % (path, module.params["owner"] or new_uid))
            if new_gid not in os.getgroups() and new_gid != os.getegid():
                raise ConfigError("%s cannot be given to group %s: this user is not in it (use become: true); "
                                  "nothing was changed." % (path, module.params["group"] or new_gid))
    except InvalidValue as exc:
        if dir_fd is not None:
            os.close(dir_fd)
        fail("%s; nothing was changed." % exc)
    except ConfigError as exc:
        if dir_fd is not None:
            os.close(dir_fd)
        fail(exc)
    except OSError as exc:
        if dir_fd is not None:
            os.close(dir_fd)
        fail("%s: %s; nothing was changed." % (path, exc.strerror or exc))

    if content_changed:
        result["changed"] = True
        if module._diff:
            result["diff"] = dict(
                before=render(redact(before)) if text is not None else "",
                after=render(redact(after)),
                before_header=path,
                after_header=path,
            )
    if attributes_changed:
        result["changed"] = True

    if not module.check_mode and result["changed"]:
        try:
            if dir_fd is None:
                os.makedirs(directory, 0o755)
                dir_fd = open_directory(path, directory)
            if content_changed:
                result["backup_file"] = write_file(module, path, dir_fd, name, render(after), new_uid, new_gid, mode,
                                                   old_stat, data if module.params["backup"] else None)
                if result["backup_file"] is None:
                    del result["backup_file"]
            else:
                fix_attributes(dir_fd, name, new_uid, new_gid, mode)
        except (OSError, ConfigError) as exc:
            fail("cannot write %s: %s; the old file was kept." % (path, getattr(exc, "strerror", None) or exc))
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
    elif dir_fd is not None:
        os.close(dir_fd)
    module.no_log_values.update(text for text in secrets if len(text) >= 3)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
