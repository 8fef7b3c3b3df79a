# Tests for plugins/action/ollama_model.py: real ansible-playbook runs (local connection) against a canned Ollama.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin starts the module asynchronously and prints pull progress; these runs prove that the lines
appear while the pull is still going, that results and failures come back unchanged, that check mode and no-op
runs stay plain and cheap, and that no job or progress files are left behind."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.action.ollama_model import ActionModule, progress_line

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
ANSIBLE_PLAYBOOK = pathlib.Path(sys.executable).with_name('ansible-playbook')

pytestmark = pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason='ansible-playbook is not installed next to this Python')


def test_progress_line():
    assert progress_line('h', {'model': 'm:latest', 'percent': 42, 'total': 4_700_000_000, 'position': 1, 'count': 1}) == \
        'ollama_model [h]: pulling m:latest: 42% of 4.7 GB'
    assert progress_line('h', {'model': 'a:1', 'percent': None, 'status': 'pulling manifest', 'position': 2, 'count': 3}) == \
        'ollama_model [h]: pulling a:1 (2/3): pulling manifest'
    assert progress_line('h', {'done': True}) is None
    assert progress_line('h', None) is None


@pytest.mark.parametrize('args, expected', [
    ({'name': 'm'}, 3600 + 60 + 60 + ActionModule.LIMIT_SLACK),
    ({'names': ['a', 'b'], 'pull_timeout': '100', 'timeout': 10}, 2 * 120 + 20 + ActionModule.LIMIT_SLACK),
])
def test_time_limit(args, expected):
    assert ActionModule._time_limit(args) == expected


@pytest.fixture
def env(tmp_path):
    collections = tmp_path / 'collections' / 'ansible_collections' / 'selfhosted'
    collections.mkdir(parents=True)
    (collections / 'ai_coding').symlink_to(REPO_ROOT)
    async_dir = tmp_path / 'async'
    environ = dict(os.environ)
    environ.update({
        'ANSIBLE_COLLECTIONS_PATH': str(tmp_path / 'collections'),
        'ANSIBLE_HOME': str(tmp_path / 'home'),
        'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'local_tmp'),
        'ANSIBLE_REMOTE_TMP': str(tmp_path / 'remote_tmp'),
        'ANSIBLE_ASYNC_DIR': str(async_dir),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
        'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default',
        'PYTHONPATH': '',
    })
    return {'environ': environ, 'tmp': tmp_path, 'async_dir': async_dir}


def playbook(env, body, *extra, on_line=None):
    path = env['tmp'] / 'play.yml'
    path.write_text(body)
    cmd = [str(ANSIBLE_PLAYBOOK), '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable, str(path)]
    proc = subprocess.Popen(cmd + list(extra), env=env['environ'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in proc.stdout:
        output.append(line)
        if on_line is not None:
            on_line(line)
    proc.wait(timeout=300)
    return proc.returncode, ''.join(output)


def leftovers(env):
    """Job and progress files left in the async directory (async_wrapper's own tmp dir is not our business)."""
    return sorted(p.name for p in env['async_dir'].glob('*')) if env['async_dir'].exists() else []


def test_playbook_run(env, canned_server):
    """One ansible-playbook run (each costs seconds): pull with progress, no-op, check mode, user async, failure, absent."""
    srv = canned_server
    installed = {}
    gate = threading.Event()
    stream = srv.ndjson([{'status': 'pulling manifest'},
                         {'status': 'pulling 6a07', 'digest': 'sha256:6a07', 'total': 4_000_000_000},
                         {'status': 'pulling 6a07', 'digest': 'sha256:6a07', 'total': 4_000_000_000, 'completed': 2_000_000_000},
                         gate,  # held here until the controller has printed the 50% line
                         {'status': 'pulling 6a07', 'digest': 'sha256:6a07', 'total': 4_000_000_000, 'completed': 4_000_000_000},
                         {'status': 'verifying sha256 digest'}, {'status': 'writing manifest'}, {'status': 'success'}])
    stream.gate_timeout = 120

    def pull(request):
        if request.json['model'] == 'nope:1':
            return srv.ndjson([{'status': 'pulling manifest'}, {'error': 'pull model manifest: file does not exist'}])
        installed[request.json['model']] = {'name': request.json['model'], 'digest': 'd1', 'size': 4_000_000_000}
        return stream

    def delete(request):
        installed.pop(request.json['model'], None)
        return srv.text('', content_type='application/json')

    srv.route('GET', '/api/tags', lambda request: srv.json({'models': list(installed.values())}))
    srv.route('POST', '/api/pull', pull)
    srv.route('DELETE', '/api/delete', delete)
    seen = {}

    def on_line(line):
        if 'ollama_model [localhost]: pulling m:latest: 50% of 4.0 GB' in line and not gate.is_set():
            seen['pull_requests'] = srv.count('POST', '/api/pull')
            gate.set()

    results = env['tmp'] / 'results.json'
    rc, out = playbook(env, """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/selfhosted.ai_coding.ollama:
      url: "%(url)s"
  tasks:
    - name: Pull
      selfhosted.ai_coding.ollama_model: {name: m, headers: {Authorization: Bearer sekrit}}
      register: pulled
    - name: No-op
      selfhosted.ai_coding.ollama_model: {name: "library/m:latest"}
      register: noop
    - name: Check mode
      selfhosted.ai_coding.ollama_model: {names: [a, b]}
      check_mode: true
      diff: true
      register: checked
    - name: Async set by the user
      selfhosted.ai_coding.ollama_model: {name: m}
      async: 60
      poll: 1
      register: user_async
    - name: Failure
      selfhosted.ai_coding.ollama_model: {name: "nope:1"}
      register: failed_pull
      ignore_errors: true
    - name: Remove
      selfhosted.ai_coding.ollama_model: {name: m, state: absent}
      register: removed
    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'pulled': pulled, 'noop': noop, 'checked': checked, 'user_async': user_async, 'failed_pull': failed_pull,
                      'removed': removed} | to_json }}"
        dest: "%(results)s"
""" % {'url': srv.url, 'results': results}, on_line=on_line)
    assert rc == 0, out
    assert stream.gates_timed_out == 0, 'no 50% progress line was printed while the pull was held open:\n' + out
    assert seen['pull_requests'] == 1
    data = json.loads(results.read_text())

    pulled = data['pulled']
    assert pulled['changed'] is True and pulled['failed'] is False
    assert (pulled['name'], pulled['digest'], pulled['size']) == ('m:latest', 'd1', 4_000_000_000)
    assert pulled['duration'] > 0
    for key in ('ansible_job_id', 'started', 'finished', 'results_file'):
        assert key not in pulled
    assert '_progress_file' not in pulled.get('invocation', {}).get('module_args', {})
    assert '_probe' not in pulled.get('invocation', {}).get('module_args', {})
    assert 'probe' not in data['noop']
    assert 'sekrit' not in out and 'sekrit' not in results.read_text()

    assert data['noop']['changed'] is False and data['noop']['digest'] == 'd1'
    assert data['checked']['changed'] is True
    assert [m['name'] for m in data['checked']['models']] == ['a:latest', 'b:latest']
    assert '(unknown until pulled)' in out  # the check-mode diff was shown
    assert 'pulling a:latest' not in out
    assert data['user_async']['changed'] is False and data['user_async']['digest'] == 'd1'
    assert data['user_async']['ansible_job_id']  # the executor's own async handling, untouched

    failed = data['failed_pull']
    assert failed['failed'] is True
    assert failed['msg'] == 'Ollama at %s reported an error during POST /api/pull: pull model manifest: file does not exist' % srv.url
    assert 'fatal: [localhost]: FAILED!' in out
    assert data['removed']['changed'] is True

    assert [(r.method, r.path) for r in srv.requests] == [
        ('GET', '/api/tags'), ('GET', '/api/tags'), ('POST', '/api/pull'), ('GET', '/api/tags'),  # pull: probe, then the async run
        ('GET', '/api/tags'),  # no-op: the probe's one request is the whole run
        ('GET', '/api/tags'),  # check mode: no pull
        ('GET', '/api/tags'),  # user async, no-op
        ('GET', '/api/tags'), ('GET', '/api/tags'), ('POST', '/api/pull'),  # failure: probe, then the async run
        ('GET', '/api/tags'), ('DELETE', '/api/delete'),  # absent
    ]
    # Our job and progress files are gone; the user's own async job file is the user's (async_status cleanup).
    assert [name for name in leftovers(env) if user_async_jid(data) not in name] == []


def user_async_jid(data):
    return data['user_async'].get('ansible_job_id', '<none>')


def test_hostile_options_are_refused_through_a_real_run(env, canned_server):
    """The internal options are the plugin's own; a string where a list belongs and a boolean for seconds are refused
    as the task wrote them (through the controller's templating and the module's own argument handling): no request."""
    results = env['tmp'] / 'results.json'
    rc, out = playbook(env, """
- hosts: localhost
  gather_facts: false
  vars:
    registries: registry.ollama.ai,evil.example
  tasks:
    - name: Internal option set by the task
      selfhosted.ai_coding.ollama_model: {name: m, url: "%(url)s", _progress_file: /etc/passwd}
      register: internal
      ignore_errors: true
    - name: A string where a list belongs
      selfhosted.ai_coding.ollama_model: {name: evil.example/ns/m, url: "%(url)s", allowed_registries: "{{ registries }}"}
      register: registries_string
      ignore_errors: true
    - name: A boolean for seconds (state latest runs without a probe)
      selfhosted.ai_coding.ollama_model: {name: m, url: "%(url)s", timeout: true, state: latest}
      register: timeout_bool
      ignore_errors: true
    - name: A header value with a line break
      selfhosted.ai_coding.ollama_model: {name: m, url: "%(url)s", headers: {Authorization: "Bearer sekrit-9\\r\\nX-Evil: 1"}}
      register: header_crlf
      ignore_errors: true
    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'internal': internal, 'registries_string': registries_string, 'timeout_bool': timeout_bool,
                      'header_crlf': header_crlf} | to_json }}"
        dest: "%(results)s"
""" % {'url': canned_server.url, 'results': results})
    assert rc == 0, out
    data = json.loads(results.read_text())
    assert data['internal']['msg'] == '_progress_file is internal to the ollama_model action plugin; remove it from the task'
    assert data['registries_string']['msg'] == "allowed_registries must be a list, got a string ('registry.ollama.ai,evil.example')"
    assert data['timeout_bool']['msg'] == 'timeout must be a whole number, got a boolean (true)'
    assert data['header_crlf']['msg'].startswith('headers.Authorization holds a line break')
    assert all(data[key]['failed'] is True for key in data)
    assert 'sekrit' not in out and 'sekrit' not in results.read_text()
    assert canned_server.count() == 0
