# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for selfhosted.ai_coding.ollama_model: prints the progress of long pulls on the controller.

A pull can take an hour with nothing on screen. So, when a pull may happen (state present or latest, not check
mode, no ``async`` set on the task), this plugin first runs the module normally with the internal option
``_probe``: the module lists the installed models (one ``/api/tags`` request) and, when nothing needs pulling,
finishes as usual; that result is the task's result, so a no-op run costs one module run and one request. When
a pull is due, the probe stops before pulling and the plugin starts the module again the way Ansible runs an
``async`` task (``_execute_module(wrap_async=True)``, i.e. the remote ``async_wrapper``), then polls it with
``ansible.legacy.async_status`` until it finishes. The module writes its latest progress record, as one JSON
object replaced atomically, to a file in the remote async directory (internal option ``_progress_file``); between
polls the plugin reads that file with ``ansible.legacy.slurp`` and prints a line whenever it changed. At the end it
removes the job file and the progress file, and returns the module's own result unchanged (failures included).

This uses only what every ``async`` task uses, so it works wherever ``async`` works. Verified over ssh and local.
Over the community.docker connections (docker, docker_api) an async start returns only once the job has ended (the
same happens to a plain ``async: N`` / ``poll: 0`` task there), so the result is right but no progress line shows.
In check mode, for ``state: absent``, and when the task sets ``async`` itself, the module runs as usual; for
``state: latest`` there is no probe (it always pulls).

The module checks every option itself before any request (its first run, the probe, refuses a bad value); this
plugin only refuses a task that sets the internal options ``_progress_file`` or ``_probe`` itself.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()

# Keys that async_wrapper / async_status add to a module's result.
_ASYNC_KEYS = ('ansible_job_id', 'started', 'finished', 'results_file', 'erased')
# Options only this plugin sets; a task that sets them could point the module's progress file anywhere.
_INTERNAL_OPTIONS = ('_progress_file', '_probe')


def _as_int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _format_bytes(size):
    size = float(size or 0)
    for unit in ('B', 'KB', 'MB', 'GB'):
        if abs(size) < 1000:
            return ('%d %s' if unit == 'B' else '%.1f %s') % (size, unit)
        size /= 1000.0
    return '%.1f TB' % size


def progress_line(host, progress):
    """One human line for a progress record the module wrote, or ``None`` when there is nothing to show."""
    if not isinstance(progress, dict) or not progress.get('model'):
        return None
    which = progress['model']
    if _as_int(progress.get('count'), 1) > 1:
        which += ' (%s/%s)' % (progress.get('position'), progress.get('count'))
    percent = progress.get('percent')
    if percent is None:
        what = progress.get('status') or 'starting'
    else:
        what = '%s%% of %s' % (percent, _format_bytes(progress.get('total')))
    return 'ollama_model [%s]: pulling %s: %s' % (host, which, what)


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    # Seconds between polls: quick at first (a no-op run finishes in well under a second), then every 2 s.
    POLL_INTERVALS = (0.1, 0.2, 0.3, 0.5, 1.0, 1.0, 2.0)
    # Slack on top of the module's own time limits before the poll loop gives up on its own.
    LIMIT_SLACK = 60

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        internal = [option for option in _INTERNAL_OPTIONS if option in args]
        if internal:
            # Refused before the module runs: nothing is sent to Ollama.
            result.update(failed=True, changed=False,
                          msg='%s %s internal to the ollama_model action plugin; remove %s from the task'
                              % (' and '.join(internal), 'is' if len(internal) == 1 else 'are', 'it' if len(internal) == 1 else 'them'))
            return result
        state = args.get('state', 'present')
        if self._task.async_val or self._task.check_mode or state == 'absent':
            return merge_hash(result, self._run_plain(task_vars))
        if state == 'present':
            probe = self._execute_module(module_name=self._task.action, module_args=dict(args, _probe=True), task_vars=task_vars)
            if probe.get('failed') or not (probe.get('probe') or {}).get('needs_pull'):
                self._remove_tmp_path(self._connection._shell.tmpdir)
                return merge_hash(result, self._clean_result(probe, 0))
        return merge_hash(result, self._run_with_progress(task_vars))

    def _run_plain(self, task_vars):
        """What ansible.builtin.normal does."""
        wrap_async = self._task.async_val
        result = self._execute_module(task_vars=task_vars, wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    @classmethod
    def _time_limit(cls, args):
        """Seconds async_wrapper lets the module run: every pull at its limit, plus the small requests."""
        count = len(args.get('names') or []) if args.get('name') is None else 1
        pull_timeout = _as_int(args.get('pull_timeout'), 3600)
        timeout = _as_int(args.get('timeout'), 30)
        return max(count, 1) * (pull_timeout + 2 * timeout) + 2 * timeout + cls.LIMIT_SLACK

    def _run_with_progress(self, task_vars):
        host = (task_vars or {}).get('inventory_hostname', '?')
        async_dir = self.get_shell_option('async_dir', default='~/.ansible_async')
        progress_name = 'ollama_model.%s.progress' % secrets.token_hex(8)
        module_args = dict(self._task.args)
        # Unexpanded: the module expands "~" itself (type=path) as the user it runs as, the same user whose async
        # directory async_wrapper uses; the plugin learns the expanded directory from the job's results_file.
        module_args['_progress_file'] = self._connection._shell.join_path(async_dir, progress_name)
        limit = self._time_limit(module_args)

        # async_wrapper removes this directory when the module ends; if it never starts, it is ours to remove.
        if self._connection._shell.tmpdir is None:
            self._make_tmp_path()
        async_tmp = self._connection._shell.tmpdir
        remove_async_tmp = self._should_remove_tmp_path(async_tmp)

        saved_async = self._task.async_val
        self._task.async_val = limit
        try:
            started = self._execute_module(module_name=self._task.action, module_args=module_args, task_vars=task_vars, wrap_async=True)
        finally:
            self._task.async_val = saved_async

        jid = started.get('ansible_job_id')
        results_file = started.get('results_file')
        if started.get('failed') or not jid or not results_file:
            if remove_async_tmp:
                self._remove_tmp_path(async_tmp, force=True)
            started['changed'] = False
            started['failed'] = True
            started.setdefault('msg', 'Could not start the ollama_model module asynchronously')
            return self._clean_result(started, limit)

        job_dir = results_file.rsplit('/', 1)[0]
        progress_path = self._connection._shell.join_path(job_dir, progress_name)
        try:
            final = self._poll(jid, job_dir, progress_path, host, limit, task_vars)
        finally:
            self._cleanup_job(results_file, progress_path)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return self._clean_result(final, limit)

    def _poll(self, jid, job_dir, progress_path, host, limit, task_vars):
        deadline = time.monotonic() + limit + self.LIMIT_SLACK
        shown = None
        attempt = 0
        while True:
            time.sleep(self.POLL_INTERVALS[min(attempt, len(self.POLL_INTERVALS) - 1)])
            attempt += 1
            status = self._execute_module(module_name='ansible.legacy.async_status', module_args={'jid': jid, '_async_dir': job_dir},
                                          task_vars=task_vars)
            if status.get('finished') or (status.get('failed') and not status.get('started')):
                return status
            line = progress_line(host, self._read_progress(progress_path, task_vars))
            if line and line != shown:
                display.display(line)
                shown = line
            if time.monotonic() > deadline:
                return {'failed': True, 'msg': 'Gave up waiting for the ollama_model job %s after %d seconds; it may still be running' % (jid, limit)}

    def _read_progress(self, path, task_vars):
        """The module's latest progress record, or ``None`` (not written yet, unreadable: progress is best effort)."""
        try:
            slurped = self._execute_module(module_name='ansible.legacy.slurp', module_args={'src': path}, task_vars=task_vars)
        except Exception as exc:  # progress display must never fail the task
            display.vvv('ollama_model: could not read progress from %s: %s' % (path, exc))
            return None
        if slurped.get('failed') or 'content' not in slurped:
            return None
        try:
            return json.loads(to_text(base64.b64decode(slurped['content'])))
        except (TypeError, ValueError):
            return None

    def _cleanup_job(self, results_file, progress_path):
        shell = self._connection._shell
        paths = ' '.join(shell.quote(p) for p in (results_file, progress_path, progress_path + '.tmp'))
        try:
            self._low_level_execute_command('rm -f %s %s' % (paths, shell._SHELL_REDIRECT_ALLNULL), sudoable=True)
        except Exception as exc:  # leftovers in the async directory are harmless; never mask the module's result
            display.warning('ollama_model: could not remove the job files %s: %s' % (paths, exc))

    @staticmethod
    def _clean_result(final, limit):
        result = dict((key, value) for key, value in final.items() if key not in _ASYNC_KEYS)
        invocation = result.get('invocation')
        if isinstance(invocation, dict) and isinstance(invocation.get('module_args'), dict):
            invocation['module_args'].pop('_progress_file', None)
            invocation['module_args'].pop('_probe', None)
        if result.get('failed') and result.get('msg') == 'Timeout exceeded':
            result['msg'] = 'The ollama_model module did not finish within %d seconds (pull_timeout per model plus margin) and was stopped' % limit
        return result
