#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ollama_model
short_description: Pull, update or remove models on an Ollama server
version_added: 0.1.0
description:
  - Makes sure models are installed (pulled), up to date, or absent on an Ollama server, through its REST API.
  - Every option is checked before any request is sent, in check mode too, and a refused value fails the task with a
    message naming the option, the value and the rule. Every name is checked against Ollama's model-name grammar and
    O(allowed_registries); a string where a list belongs (O(names), O(allowed_registries)) is refused, never split, and
    a boolean is not taken as a number of seconds. O(url) must be an C(http://) or C(https://) URL naming a host (no
    spaces or control characters, a port 1-65535); O(timeout) must be greater than V(0) and at most V(86400).
  - Idempotent through C(GET /api/tags); a run where nothing changes sends exactly one request, whether one model or
    a list of models in O(names) is declared, and with O(prune) too.
  - With O(prune=true) the declared models are the only ones left installed - every other installed model is removed
    after the declared ones are handled.
  - While a pull runs, the action plugin of this module prints its progress on the controller (percent and size).
    It runs the pull as an C(async) job and polls it, so it needs a connection that can run C(async) tasks (ssh,
    local, ...). With the community.docker connections an C(async) start only returns when the job has ended, so the
    result is the same but no progress lines appear. In check mode, with O(state=absent), when nothing needs
    pulling, or when the task sets C(async) itself, the module runs as usual and prints nothing extra.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
extends_documentation_fragment:
  - selfhosted.ai_coding.ollama
  - selfhosted.ai_coding.api
attributes:
  action:
    description: Has an action plugin that shows the progress of long pulls on the controller.
    support: full
  action_group:
    description: Use C(group/selfhosted.ai_coding.ollama) in C(module_defaults) to set O(url) and the other connection options once.
    support: full
    membership:
      - selfhosted.ai_coding.ollama
  async:
    description: Supports the C(async) keyword (progress lines are then not shown).
    support: full
  check_mode:
    description: Predicts C(changed) without pulling or removing anything (one C(GET /api/tags) request).
    support: full
    details:
      - With O(state=latest) and an installed model the module cannot know whether the registry holds a newer
        digest without pulling, so it predicts a change.
      - With O(prune=true) it lists the models that would be removed in RV(pruned) and removes none.
  diff_mode:
    description: Returns the name, state and digest of each model before and after.
    support: full
    details:
      - With O(prune=true) the diff always holds a list of models (also for O(name)), the pruned ones going from
        V(present) to V(absent).
  idempotent:
    description: A second run with the same options reports no change (except O(state=latest) in check mode).
    support: full
options:
  name:
    description:
      - One model, C([host/][namespace/]model[:tag]), for example V(qwen2.5-coder:7b), V(library/llama3.2),
        V(registry.ollama.ai/library/llama3.2:1b) or V(hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M).
      - A missing host is V(registry.ollama.ai), a missing namespace V(library), a missing tag V(latest).
      - Each part is 1 to 80 characters (the host up to 350), starts with a letter, digit or V(_) and holds only
        letters, digits, V(_), V(-) and V(.); a namespace holds no V(.); V(:) appears only as C(host:port) and
        before the tag. Also refused, stricter than Ollama itself - V(..), digest references (C(model@sha256:...)),
        URL schemes and names of 4 or more parts.
      - Whitespace, control characters, invisible characters (zero-width, bidi) and non-ASCII look-alikes of letters
        are refused with the character named.
      - Mutually exclusive with O(names); one of them is required.
    type: str
  names:
    description:
      - Several models, each as in O(name), managed by one task with one C(GET /api/tags) request when nothing
        needs to change (a loop over O(name) sends one request per model).
      - Duplicates (after normalisation) are managed once.
      - Must be a list; a string is refused (write a one-item list). Every entry is checked before any request.
      - An empty list does nothing and sends no request, unless O(prune=true) - then every installed model is removed.
    type: list
    elements: str
  state:
    description:
      - V(present) pulls a model that is not installed and leaves an installed one alone.
      - V(latest) pulls every time and reports a change only when the model's digest changed (or it was missing).
      - V(absent) removes an installed model.
    type: str
    choices: [present, absent, latest]
    default: present
  prune:
    description:
      - Also remove every installed model (as C(GET /api/tags) lists it) that is not declared in O(name) or O(names),
        after the declared models are pulled. Names are compared after normalisation, so V(qwen2.5) keeps
        C(registry.ollama.ai/library/qwen2.5:latest).
      - Installed models on any registry host are removed, also on hosts not in O(allowed_registries) - that list
        guards what a task may pull, and prune pulls nothing.
      - With O(names=[]) every installed model is removed.
      - Only with O(state=present) or O(state=latest); with O(state=absent) the task is refused before any request.
    type: bool
    default: false
    version_added: 0.2.0
  pull_timeout:
    description:
      - Seconds one pull may take, from the request to Ollama's C(success) record. It is also the longest silence
        allowed in the pull's progress stream (Ollama sends nothing while it verifies a large layer).
      - O(timeout) applies to every other request.
      - Greater than V(0), at most V(604800) (a week).
    type: int
    default: 3600
  insecure:
    description:
      - Let Ollama pull from a registry over plain HTTP or with an unverified certificate (Ollama's C(insecure) flag).
    type: bool
    default: false
  allowed_registries:
    description:
      - Registry hosts that model names may point at, compared case-insensitively. List C(host:port) to allow a
        registry on a port.
      - A name whose host is not listed is refused before any request.
      - Must be a list of C(host) or C(host:port) entries; a string is refused (it is never split into one-letter
        hosts), and so is V(null).
    type: list
    elements: str
    default: [registry.ollama.ai]
  _progress_file:
    description:
      - Internal, set by the action plugin; do not set it in a playbook.
      - File the module replaces with its latest pull progress (one JSON object, mode 0600, never through a symlink)
        for the controller to show. The action plugin refuses a task that sets it; the module accepts only the name the
        plugin gives it (C(ollama_model.<16 hex digits>.progress)).
    type: path
  _probe:
    description:
      - Internal, set by the action plugin; do not set it in a playbook.
      - When a pull would be needed, return C(probe.needs_pull) instead of pulling, so the action plugin can run the
        pull asynchronously and show its progress. When nothing needs pulling, the run is complete as usual.
      - The action plugin refuses a task that sets it.
    type: bool
    default: false
notes:
  - Ollama has no authentication of its own; keep O(url) on loopback or behind an authenticating proxy (see O(headers)).
  - The returned RV(digest) is the manifest digest that C(GET /api/tags) and C(ollama list) show.
seealso:
  - module: selfhosted.ai_coding.service_health
    description: Check that Ollama and the other services of the platform answer.
  - name: Ollama API
    description: The REST API this module uses (C(/api/tags), C(/api/pull), C(/api/delete)).
    link: https://github.com/ollama/ollama/blob/main/docs/api.md
  - name: Ollama model library
    description: The models that the default registry serves.
    link: https://ollama.com/library
"""

EXAMPLES = r"""
- name: Install a coding model
  selfhosted.ai_coding.ollama_model:
    name: qwen2.5-coder:7b

- name: Install the declared models with one API request when all are present
  selfhosted.ai_coding.ollama_model:
    names:
      - qwen2.5-coder:7b
      - deepseek-coder-v2:16b
    pull_timeout: 7200

- name: Keep a model at the newest digest of its tag
  selfhosted.ai_coding.ollama_model:
    name: llama3.2:1b
    state: latest
  register: llama

- name: Pull from a private registry on a port (named in allowed_registries)
  selfhosted.ai_coding.ollama_model:
    name: registry.lan:5000/team/coder:v3
    allowed_registries:
      - registry.ollama.ai
      - registry.lan:5000

- name: Remove a model through an authenticating reverse proxy
  selfhosted.ai_coding.ollama_model:
    name: codellama:7b
    state: absent
    url: https://ollama.example.org
    headers:
      Authorization: "Bearer {{ ollama_proxy_token }}"

- name: Keep exactly these models installed, removing every other one (any registry)
  selfhosted.ai_coding.ollama_model:
    names:
      - qwen2.5-coder:7b
      - nomic-embed-text
    prune: true
  register: ollama_models

- name: Show what prune removed
  ansible.builtin.debug:
    msg: "Removed {{ ollama_models.pruned | join(', ') or 'nothing' }}"

- name: Set the URL once for every Ollama task of a block
  module_defaults:
    group/selfhosted.ai_coding.ollama:
      url: http://127.0.0.1:11434
      timeout: 60
  block:
    - name: Install the embedding model
      selfhosted.ai_coding.ollama_model:
        name: nomic-embed-text
"""

RETURN = r"""
name:
  description: The model's name as Ollama shows it in C(/api/tags) (C(model:tag) for library models).
  returned: when O(name) is given
  type: str
  sample: qwen2.5-coder:7b
full_name:
  description: The model's fully qualified name.
  returned: when O(name) is given
  type: str
  sample: registry.ollama.ai/library/qwen2.5-coder:7b
digest:
  description:
    - The manifest digest of the installed model after the run; empty when the model is absent, or when check mode
      predicts a pull.
  returned: when O(name) is given
  type: str
  sample: dae161e27b0e90dd1856c8bb3209201fd6736d8eb66298e75ed87571486f4364
size:
  description: Size of the installed model in bytes after the run; V(0) when it is absent.
  returned: when O(name) is given
  type: int
  sample: 4683087332
duration:
  description: Seconds spent pulling (all pulls together for O(names)); V(0) when nothing was pulled.
  returned: always
  type: float
  sample: 93.412
models:
  description:
    - One entry per declared model, in the order declared, then one per model that O(prune) removed (or would remove
      in check mode), in the order C(/api/tags) listed them.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name as Ollama shows it.
      type: str
      returned: always
      sample: qwen2.5-coder:7b
    full_name:
      description: Fully qualified name.
      type: str
      returned: always
      sample: registry.ollama.ai/library/qwen2.5-coder:7b
    state:
      description: V(present) or V(absent), after the run (predicted in check mode).
      type: str
      returned: always
      sample: present
    changed:
      description: Whether this model was (or in check mode would be) pulled to a new digest or removed.
      type: bool
      returned: always
      sample: true
    digest:
      description: Manifest digest after the run, empty when absent or unknown.
      type: str
      returned: always
      sample: dae161e27b0e90dd1856c8bb3209201fd6736d8eb66298e75ed87571486f4364
    size:
      description: Size in bytes after the run, V(0) when absent or unknown.
      type: int
      returned: always
      sample: 4683087332
    duration:
      description: Seconds this model's pull took, V(0) without a pull.
      type: float
      returned: always
      sample: 93.412
pruned:
  description:
    - The installed models that O(prune) removed (in check mode, would remove), as C(/api/tags) listed them.
  returned: when O(prune=true)
  type: list
  elements: str
  sample: [codellama:7b, registry.lan:5000/team/old-coder:v1]
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import check_ca_path, check_timeout, connection_spec
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    DEFAULT_PULL_TIMEOUT,
    DEFAULT_REGISTRIES,
    DEFAULT_URL,
    OllamaClient,
    OllamaError,
    PullProgress,
    check_allowed_registries,
    check_arg_types,
    check_headers,
    index_models,
    raw_module_args,
    relaxed_spec,
    validate_model_name,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    check_url,
    show,
)

# Shown in diff mode for a digest that only a pull would reveal.
UNKNOWN_DIGEST = '(unknown until pulled)'
# Upper bounds of the time options, in seconds: a day for one request, a week for one pull.
MAX_TIMEOUT = 86400
MAX_PULL_TIMEOUT = 7 * 86400
# The only progress file names the action plugin hands the module (its async directory, a random name).
PROGRESS_FILE_RE = re.compile(r'^ollama_model\.[0-9a-f]{16}\.progress\Z')


def check_options(params):
    """Check every option's value before any request; returns the checked headers. Raises InvalidValue naming the
    option. (The shape of each value - a list, a number, a string - was checked before AnsibleModule converted it.)"""
    if params.get('prune') and params['state'] == 'absent':
        raise InvalidValue('prune is true with state=absent: prune removes the installed models that are not declared, '
                           'so it works only with state=present or state=latest (to remove the named models, drop prune)')
    check_url(params['url'], 'url')
    for option, maximum in (('timeout', MAX_TIMEOUT), ('pull_timeout', MAX_PULL_TIMEOUT)):
        check_timeout(params[option], option, maximum=maximum)
    check_ca_path(params.get('ca_path'))
    headers = check_headers(params['headers'], 'headers')
    check_allowed_registries(params['allowed_registries'], 'allowed_registries')
    progress_file = params.get('_progress_file')
    if progress_file is not None and not PROGRESS_FILE_RE.match(os.path.basename(progress_file)):
        raise InvalidValue('_progress_file is %s: it is internal to the action plugin, which names it '
                           'ollama_model.<16 hex digits>.progress; do not set it in a task' % show(progress_file))
    return headers


def argument_spec():
    spec = dict(
        name=dict(type='str'),
        names=dict(type='list', elements='str'),
        state=dict(type='str', default='present', choices=['present', 'absent', 'latest']),
        prune=dict(type='bool', default=False),
    )
    spec.update(connection_spec('url', DEFAULT_URL))
    spec.update(
        pull_timeout=dict(type='int', default=DEFAULT_PULL_TIMEOUT),
        headers=dict(type='dict', no_log=True),
        insecure=dict(type='bool', default=False),
        allowed_registries=dict(type='list', elements='str', default=list(DEFAULT_REGISTRIES)),
        # Internal, set by the action plugin (not for playbooks): where it reads the pull progress, and a
        # first synchronous run that stops before pulling anything.
        _progress_file=dict(type='path'),
        _probe=dict(type='bool', default=False),
    )
    return spec


class ProgressWriter(object):
    """Writes the latest pull progress as one JSON object to a file the action plugin reads (best effort).

    A record is written only when what the controller shows changes (model, status, whole percent, total), so a
    stream of byte counts costs at most about a hundred small writes per layer, and the file always holds the
    latest figure even when Ollama then goes quiet. The file is replaced atomically, so a reader never sees half a
    record. Any error turns the writer off: progress display must never fail a pull.
    """

    def __init__(self, path):
        self.path = path
        self._last_shown = None

    def write(self, record, force=False):
        if not self.path:
            return
        shown = (record.get('model'), record.get('status'), record.get('percent'), record.get('total'), record.get('done'))
        if not force and shown == self._last_shown:
            return
        try:
            parent = os.path.dirname(self.path)
            if parent and not os.path.isdir(parent):
                os.makedirs(parent, 0o700)
            tmp = self.path + '.tmp'
            if os.path.lexists(tmp):
                os.unlink(tmp)
            # A new file only (never through a link someone left in its place), readable by this user alone.
            handle = os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600), 'w')
            with handle:
                json.dump(record, handle)
            os.replace(tmp, self.path)
        except (OSError, TypeError, ValueError):
            self.path = None
            return
        self._last_shown = shown


class OllamaModel(object):
    """Decides and applies the changes for the declared models; one ``/api/tags`` request when nothing changes."""

    def __init__(self, module, client=None):
        self.module = module
        self.client = client
        self.params = module.params
        self.state = self.params['state']
        self.prune = bool(self.params.get('prune'))
        self.check_mode = module.check_mode
        self.progress = ProgressWriter(self.params.get('_progress_file'))
        # Models already pulled or removed by this run, and removed by prune, reported when a later one fails.
        self.done = []
        self.pruned = []

    def execute(self):
        """Check the options and every name, then talk to Ollama; returns the module result."""
        headers = check_options(self.params)
        if self.params.get('name') is None and self.params.get('names') is None:
            # The task gave name or names as null: say so, rather than do nothing.
            raise InvalidValue('name or names must be given a value, got null')
        models = self.declared()
        if not models and not self.prune:
            return {'changed': False, 'models': [], 'duration': 0.0}
        if self.client is None:
            self.client = OllamaClient(self.params['url'], timeout=self.params['timeout'], validate_certs=self.params['validate_certs'],
                                       headers=headers, ca_path=self.params.get('ca_path'))
        return self.run(models)

    def declared(self):
        """Validate every declared name before any request; duplicates (after normalisation) are dropped."""
        if self.params.get('name') is not None:
            declared = [('name', self.params['name'])]
        else:
            declared = [('names[%d]' % i, name) for i, name in enumerate(self.params.get('names') or [])]
        allowed = self.params['allowed_registries']
        seen, models = set(), []
        for option, name in declared:
            model = validate_model_name(name, allowed_registries=allowed, option=option)
            if model.key not in seen:
                seen.add(model.key)
                models.append(model)
        return models

    @staticmethod
    def _entry(model, state, digest='', size=0, changed=False, duration=0.0):
        return {
            'name': model.short,
            'full_name': model.full,
            'state': state,
            'changed': changed,
            'digest': digest or '',
            'size': int(size or 0),
            'duration': round(duration, 3),
        }

    def run(self, models):
        before = index_models(self.client.tags())
        if self.state == 'absent':
            results = [self._remove(model, before.get(model.key)) for model in models]
        else:
            if self.params.get('_probe') and not self.check_mode:
                missing = [model.short for model in models if self.state == 'latest' or model.key not in before]
                if missing:
                    # The action plugin asked first: a pull is due, so it will run the module again asynchronously.
                    return {'changed': False, 'probe': {'needs_pull': missing}}
            results = self._install(models, before)
            if self.prune:
                results.extend(self._prune(models, before))
        return self._result(models, before, results)

    def _prune(self, models, before):
        """Remove every model the first /api/tags listed that is not declared (any registry: nothing is pulled)."""
        declared = set(model.key for model in models)
        results = []
        for key, installed in before.items():
            if key in declared:
                continue
            listed = to_text(installed.get('name') or installed.get('model'))
            changed = True if self.check_mode else self.client.delete(listed)
            if changed:
                self.pruned.append(listed)
            results.append({'name': listed, 'full_name': self._full_name(listed), 'state': 'absent', 'changed': changed,
                            'digest': '', 'size': 0, 'duration': 0.0, '_before': installed})
        return results

    @staticmethod
    def _full_name(listed):
        """The fully qualified name of a model Ollama listed (any registry); as listed when outside the grammar."""
        try:
            return validate_model_name(listed, allowed_registries=None).full
        except InvalidValue:
            return listed

    def _remove(self, model, installed):
        if installed is None:
            return self._entry(model, 'absent')
        changed = True if self.check_mode else self.client.delete(model)
        if changed and not self.check_mode:
            self.done.append(model.short)
        return self._entry(model, 'absent', changed=changed)

    def _install(self, models, before):
        to_pull = [model for model in models if self.state == 'latest' or model.key not in before]
        pull_keys = set(model.key for model in to_pull)
        durations = {}
        if to_pull and not self.check_mode:
            for position, model in enumerate(to_pull, start=1):
                durations[model.key] = self._pull(model, position, len(to_pull))
                self.done.append(model.short)
            self.progress.write({'done': True}, force=True)
            after = index_models(self.client.tags())
        else:
            after = before

        results = []
        for model in models:
            old, new = before.get(model.key), after.get(model.key)
            pulled = model.key in durations
            if self.check_mode and model.key in pull_keys:
                # A missing model would be pulled; an installed one under state=latest may move to a new digest.
                digest = (old or {}).get('digest', '')
                results.append(self._entry(model, 'present', digest=digest, size=(old or {}).get('size'), changed=True))
                continue
            if new is None:
                raise OllamaError('Ollama at %s reported success pulling %r but /api/tags does not list it' % (self.client.base_url, model.short),
                                  url=self.client.base_url + '/api/tags')
            changed = old is None or (pulled and old.get('digest') != new.get('digest'))
            results.append(self._entry(model, 'present', digest=new.get('digest'), size=new.get('size'), changed=changed,
                                       duration=durations.get(model.key, 0.0)))
        return results

    def _pull(self, model, position, count):
        tally = PullProgress()

        def on_progress(record):
            tally.update(record)
            report = tally.as_dict()
            report.update({'model': model.short, 'position': position, 'count': count})
            self.progress.write(report)

        self.progress.write({'model': model.short, 'position': position, 'count': count, 'status': 'starting', 'percent': None}, force=True)
        pulled = self.client.pull(model, insecure=self.params['insecure'], on_progress=on_progress,
                                  timeout=self.params['pull_timeout'], resolve=False)
        return pulled['duration']

    def _result(self, models, before, results):
        changed = any(entry['changed'] for entry in results)
        diff = self._diff(models, before, results) if self.module._diff else None
        results = [dict((key, value) for key, value in entry.items() if key != '_before') for entry in results]
        result = {
            'changed': changed,
            'models': results,
            'duration': round(sum(entry['duration'] for entry in results), 3),
        }
        if self.params.get('name') is not None:
            single = results[0]
            result.update({key: single[key] for key in ('name', 'full_name', 'digest', 'size')})
        if self.prune:
            result['pruned'] = list(self.pruned)
        if diff is not None:
            result['diff'] = diff
        return result

    def _diff(self, models, before, results):
        old_states, new_states = [], []
        for model, entry in zip(models, results):
            installed = before.get(model.key)
            old_states.append({'name': model.short, 'state': 'present' if installed else 'absent',
                               'digest': (installed or {}).get('digest', '')})
            digest = entry['digest']
            if self.check_mode and entry['changed'] and entry['state'] == 'present':
                digest = UNKNOWN_DIGEST
            new_states.append({'name': model.short, 'state': entry['state'], 'digest': digest})
        # The models prune removed (or would remove) follow the declared ones.
        for entry in results[len(models):]:
            old_states.append({'name': entry['name'], 'state': 'present', 'digest': entry['_before'].get('digest', '')})
            new_states.append({'name': entry['name'], 'state': 'absent', 'digest': ''})
        if self.params.get('name') is not None and not self.prune:
            return {'before': old_states[0], 'after': new_states[0]}
        return {'before': {'models': old_states}, 'after': {'models': new_states}}

    def done_message(self):
        """What this run already changed, for the message of a failure that came after."""
        parts = []
        if self.done:
            parts.append('%s by this run: %s' % ('removed' if self.state == 'absent' else 'pulled', ', '.join(self.done)))
        if self.pruned:
            parts.append('removed by prune: %s' % ', '.join(self.pruned))
        return ' (already %s)' % '; '.join(parts) if parts else ''


def main():
    # The shape of every value (a string where a list belongs, a boolean for seconds) is checked as the task wrote it.
    problem = check_arg_types(raw_module_args(), argument_spec())
    module = AnsibleModule(
        argument_spec=relaxed_spec(argument_spec()) if problem else argument_spec(),
        mutually_exclusive=[('name', 'names')],
        required_one_of=[('name', 'names')],
        supports_check_mode=True,
    )
    if problem:
        module.fail_json(msg=problem)
    manager = OllamaModel(module)
    try:
        result = manager.execute()
    except InvalidValue as exc:
        module.fail_json(msg=str(exc))
    except OllamaError as exc:
        done = manager.done + manager.pruned
        module.fail_json(msg=exc.msg + manager.done_message(), status=exc.status, url=exc.url, changed=bool(done), done=done)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
