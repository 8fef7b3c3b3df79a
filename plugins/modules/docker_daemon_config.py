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
    scalars are replaced. A value of V(null) in O(settings), or a key in O(remove), deletes that key.
  - When the content would change and O(validate=true), the merged file is first checked with
    C(dockerd --validate --config-file), if the installed C(dockerd) has that option (Docker 23 and later). A file
    Docker would refuse is never written; the task fails with C(dockerd)'s message and the old file stays.
  - A file that is not valid JSON, or not a JSON object, fails the task with the parse error and is left untouched.
  - A file whose parsed content already equals the merged result is not rewritten, whatever its formatting, so
    Docker is not restarted for whitespace.
  - RV(restart_required) tells whether a changed key needs a restart of C(dockerd) (most do) or only a reload
    (C(SIGHUP)); Docker's documentation lists the options that can be reconfigured live.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Computes the merged file, validates it and reports the change and diff without writing.
    support: full
  diff_mode:
    description: Shows the file before and after, as sorted, indented JSON.
    support: full
  idempotent:
    description: A second run with the same options reports C(changed=false).
    support: full
options:
  path:
    description: The daemon configuration file.
    type: path
    default: /etc/docker/daemon.json
  settings:
    description:
      - Keys to set, as Docker spells them (V(live-restore), V(log-opts), V(default-address-pools)).
      - Nested objects are merged recursively; other values replace the old ones. V(null) removes the key.
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
    description: Owner of the file (CIS Docker 3.17).
    type: str
    default: root
  group:
    description: Group of the file (CIS Docker 3.17).
    type: str
    default: root
  mode:
    description: Mode of the file (CIS Docker 3.18 asks for 0644 or stricter).
    type: str
    default: "0644"
  backup:
    description: Keep a timestamped copy of the old file next to it when the content changes.
    type: bool
    default: false
notes:
  - Validation is skipped, and RV(validated) is V(false), when C(dockerd) is absent (Docker not installed yet) or
    older than 23.0 (no C(--validate)). The JSON is still parsed and checked to be an object.
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
"""

RETURN = r"""
config:
  description: The merged configuration (what the file holds after the task, or would hold in check mode).
  returned: success
  type: dict
  sample: {"live-restore": true, "log-opts": {"max-file": "3", "max-size": "10m"}}
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

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

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


class ConfigError(Exception):
    """The existing file or the requested settings cannot be used; the message says what to fix."""


def merge(base, overlay):
    """Return ``base`` with ``overlay`` merged in: dicts recursively, anything else replaced, None deletes."""
    result = dict(base)
    for key, value in overlay.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def parse_existing(path, text):
    """Parse the current file; empty or missing means an empty configuration."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            "%s is not valid JSON (%s); dockerd would refuse it too. Fix or remove the file, then run again: "
            "nothing was changed." % (path, exc)
        )
    if not isinstance(data, dict):
        raise ConfigError(
            "%s must hold a JSON object ({...}), found a JSON %s; nothing was changed." % (path, type(data).__name__)
        )
    return data


def check_settings(settings, remove):
    """Reject settings that cannot be a daemon.json key before anything is read or written."""
    for key in list(settings) + list(remove):
        if not isinstance(key, str) or not key.strip() or key != key.strip():
            raise ConfigError("daemon.json key %r is not allowed: keys must be non-empty and without surrounding spaces" % (key,))
    log_opts = settings.get("log-opts")
    if log_opts is not None:
        if not isinstance(log_opts, dict):
            raise ConfigError("log-opts must be a mapping of option names to strings, got %r" % (log_opts,))
        for name, value in log_opts.items():
            if value is not None and not isinstance(value, str):
                raise ConfigError(
                    "log-opts %s=%r must be a string (quote it: \"%s\"); dockerd refuses numbers there" % (name, value, value)
                )
    both = sorted(set(settings) & set(remove))
    if both:
        raise ConfigError("key(s) %s are both in settings and in remove: name each key in one of them" % ", ".join(both))


def render(config):
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def changed_top_level(before, after):
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k, _MISSING) != after.get(k, _MISSING))


_MISSING = object()


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
            mode=dict(type="str", default="0644"),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    settings = module.params["settings"] or {}
    remove = module.params["remove"] or []
    result = dict(changed=False, validated=False, restart_required=False, changed_keys=[])

    try:
        check_settings(settings, remove)
        text = None
        if os.path.exists(path):
            if not os.path.isfile(path):
                raise ConfigError("%s exists but is not a regular file; nothing was changed." % path)
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8")
        before = parse_existing(path, text)
        after = merge(before, settings)
        for key in remove:
            after.pop(key, None)

        content_changed = after != before or text is None
        keys = changed_top_level(before, after)
        result.update(config=after, changed_keys=keys)
        result["restart_required"] = any(k not in RELOADABLE_KEYS for k in keys)

        if content_changed and module.params["validate"]:
            dockerd = module.params["dockerd_path"] or module.get_bin_path("dockerd")
            if module.params["dockerd_path"] and not os.access(dockerd, os.X_OK):
                raise ConfigError("dockerd_path %s is not an executable file" % dockerd)
            if dockerd and dockerd_validates(module, dockerd):
                validate_with_dockerd(module, dockerd, render(after), os.path.dirname(path))
                result["validated"] = True
    except (ConfigError, UnicodeDecodeError, OSError) as exc:
        module.fail_json(msg=to_native(exc), **result)

    if content_changed:
        result["changed"] = True
        if module._diff:
            result["diff"] = dict(
                before=render(before) if text is not None else "",
                after=render(after),
                before_header=path,
                after_header=path,
            )
        if not module.check_mode:
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            if module.params["backup"] and text is not None:
                result["backup_file"] = module.backup_local(path)
            fd, tmp = tempfile.mkstemp(prefix=".daemon.json.", dir=directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(to_bytes(render(after)))
            os.chmod(tmp, 0o644)
            module.atomic_move(tmp, path)

    # D02: root:root 0644 whatever wrote the file before.
    if os.path.exists(path):
        changed = result["changed"]
        changed = module.set_owner_if_different(path, module.params["owner"], changed)
        changed = module.set_group_if_different(path, module.params["group"], changed)
        changed = module.set_mode_if_different(path, module.params["mode"], changed)
        result["changed"] = changed
    module.exit_json(**result)


if __name__ == "__main__":
    main()
