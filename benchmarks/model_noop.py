# SPDX-License-Identifier: GPL-3.0-or-later
"""Measure the no-op path of selfhosted.ai_coding.ollama_model against 20 `ollama pull` calls. Prints figures only.

What it does, against the Ollama stand-in (tests/fixtures/ollama_standin: `ollama serve` honouring OLLAMA_HOST and
OLLAMA_MODELS, pulling from the fixture registry that make_registry.build_registry() writes and
OLLAMA_STANDIN_REGISTRY names, logging each request it receives as a JSON line to OLLAMA_STANDIN_REQUEST_LOG):

  1. builds the registry (bench/m01 ... bench/m20), starts the stand-in on a free port, pulls the 20 models once;
  2. (a) runs the module's no-op path for the 20 declared models:
         - in-process, `names:` with all 20 (what roles/ollama does): wall time and requests the stand-in received;
         - in-process, 20 runs with one `name:` each (what a loop would do), for comparison;
         - one real `ansible-playbook` task with `names:` (connection local; skipped with --no-playbook);
  3. (b) times 20 `ollama pull bench/mNN` CLI invocations against the same server;
  4. prints the figures and the ratio (b) / (a).

It never passes or fails on time. It exits non-zero only when the set-up breaks or a "no-op" run reported a change.

Usage: .venv/bin/python benchmarks/model_noop.py [--repeat N] [--no-playbook] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

import _collection  # benchmarks/_collection.py, beside this script
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
STANDIN = REPO / 'tests' / 'fixtures' / 'ollama_standin'
MODELS = ['bench/m%02d' % i for i in range(1, 21)]


def collections_path():
    return _collection.collections_path(prefix='model_noop_collections_')


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RequestLog(object):
    """The stand-in's JSON-lines request log; counts what arrived since a mark."""

    def __init__(self, path):
        self.path = path

    def lines(self):
        if not self.path.exists():
            return []
        records = []
        for raw in self.path.read_text().splitlines():
            raw = raw.strip()
            if not raw:
                continue
            try:
                records.append(json.loads(raw))
            except ValueError:
                records.append({'raw': raw})
        return records

    def mark(self):
        return len(self.lines())

    def since(self, mark):
        return self.lines()[mark:]

    @staticmethod
    def path_of(record):
        for key in ('path', 'url', 'uri', 'endpoint'):
            if isinstance(record.get(key), str):
                return record[key].split('?', 1)[0]
        return str(record.get('raw', ''))

    @classmethod
    def describe(cls, records):
        counts = {}
        for record in records:
            key = '%s %s' % (record.get('method', '?'), cls.path_of(record))
            counts[key] = counts.get(key, 0) + 1
        return ', '.join('%d x %s' % (n, key) for key, n in sorted(counts.items())) or 'none'


def start_standin(workdir, port):
    sys.path.insert(0, str(STANDIN))
    import make_registry  # tests/fixtures/ollama_standin/make_registry.py

    registry = workdir / 'registry'
    make_registry.build_registry(registry)
    env = dict(os.environ)
    env.update({
        'OLLAMA_HOST': '127.0.0.1:%d' % port,
        'OLLAMA_MODELS': str(workdir / 'models'),
        'OLLAMA_STANDIN_REGISTRY': str(registry),
        'OLLAMA_STANDIN_REQUEST_LOG': str(workdir / 'requests.jsonl'),
    })
    log = open(workdir / 'serve.log', 'w')
    proc = subprocess.Popen([str(STANDIN / 'ollama'), 'serve'], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = 'http://127.0.0.1:%d' % port
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit('the stand-in exited with %s; see %s' % (proc.returncode, workdir / 'serve.log'))
        try:
            urllib.request.urlopen(url + '/api/version', timeout=1).read()
            return proc, url, env
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit('the stand-in did not answer on %s within 30 s; see %s' % (url, workdir / 'serve.log'))


def run_module_in_process(args):
    """Run ollama_model's main() as Ansible would, in this process; return (result, seconds)."""
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.selfhosted.ai_coding.plugins.modules import ollama_model

    out = io.StringIO()
    started = time.perf_counter()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            ollama_model.main()
        except SystemExit:
            pass
    elapsed = time.perf_counter() - started
    return json.loads(out.getvalue()), elapsed


def run_playbook(url, workdir, collections):
    playbook = workdir / 'noop.yml'
    playbook.write_text("""- hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the 20 declared models
      selfhosted.ai_coding.ollama_model:
        names: %s
        url: %s
      register: noop
    - name: Fail if the no-op run changed anything
      ansible.builtin.assert:
        that: noop is not changed
""" % (json.dumps(MODELS), url))
    env = dict(os.environ)
    env.update({'ANSIBLE_COLLECTIONS_PATH': str(collections), 'ANSIBLE_HOME': str(workdir / 'ansible-home'), 'ANSIBLE_LOCALHOST_WARNING': '0',
                'ANSIBLE_CALLBACKS_ENABLED': 'ansible.builtin.default'})
    ansible_playbook = pathlib.Path(sys.executable).with_name('ansible-playbook')
    started = time.perf_counter()
    proc = subprocess.run([str(ansible_playbook), '-i', 'localhost,', '-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable,
                           str(playbook)], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit('ansible-playbook failed (rc %d):\n%s\n%s' % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--repeat', type=int, default=5, help='in-process no-op runs to time (the median is printed)')
    parser.add_argument('--no-playbook', action='store_true', help='skip the ansible-playbook measurement')
    parser.add_argument('--keep', action='store_true', help='keep the scratch directory')
    opts = parser.parse_args()

    if not (STANDIN / 'ollama').exists() or not (STANDIN / 'make_registry.py').exists():
        raise SystemExit('the Ollama stand-in is missing: %s/{ollama,make_registry.py}' % STANDIN)
    collections = collections_path()
    sys.path.insert(0, str(collections))

    workdir = pathlib.Path(tempfile.mkdtemp(prefix='model_noop_'))
    proc = None
    try:
        proc, url, env = start_standin(workdir, free_port())
        log = RequestLog(workdir / 'requests.jsonl')

        from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import OllamaClient

        client = OllamaClient(url, timeout=60)
        started = time.perf_counter()
        for name in MODELS:
            client.pull(name, resolve=False)
        setup_pull = time.perf_counter() - started
        installed = {m['name'] for m in client.tags()}
        missing = [m for m in MODELS if m + ':latest' not in installed]
        if missing:
            raise SystemExit('the stand-in does not list %s after pulling them' % ', '.join(missing))

        # (a) the module's no-op path, 20 names in one run.
        times, requests = [], []
        for _run in range(max(opts.repeat, 1)):
            mark = log.mark()
            result, elapsed = run_module_in_process({'names': MODELS, 'url': url})
            if result.get('failed') or result.get('changed'):
                raise SystemExit('the no-op run failed or changed something: %s' % json.dumps(result)[:2000])
            times.append(elapsed)
            requests.append(log.since(mark))
        noop_names = sorted(times)[len(times) // 2]

        # For comparison: 20 runs with one name each, as a loop would make them.
        mark = log.mark()
        loop_total = 0.0
        for name in MODELS:
            result, elapsed = run_module_in_process({'name': name, 'url': url})
            if result.get('failed') or result.get('changed'):
                raise SystemExit('the no-op run of %s failed or changed something: %s' % (name, json.dumps(result)[:2000]))
            loop_total += elapsed
        loop_requests = log.since(mark)

        playbook_time, playbook_requests = None, None
        if not opts.no_playbook:
            mark = log.mark()
            playbook_time = run_playbook(url, workdir, collections)
            playbook_requests = log.since(mark)

        # (b) 20 `ollama pull` CLI invocations, models already present.
        mark = log.mark()
        started = time.perf_counter()
        for name in MODELS:
            done = subprocess.run([str(STANDIN / 'ollama'), 'pull', name], env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit('`ollama pull %s` failed (rc %d): %s' % (name, done.returncode, (done.stderr or done.stdout)[-1000:]))
        cli_total = time.perf_counter() - started
        cli_requests = log.since(mark)

        print('ollama_model no-op benchmark against the Ollama stand-in at %s (20 models: %s .. %s)' % (url, MODELS[0], MODELS[-1]))
        print('  set-up: first pull of the 20 models through the client              %8.3f s' % setup_pull)
        print('(a) module no-op, names: [20 models], in process (median of %d)        %8.3f s   requests per run: %s'
              % (len(times), noop_names, ' | '.join(sorted(set(RequestLog.describe(r) for r in requests)))))
        print('    module no-op, 20 runs with one name each, in process (total)     %8.3f s   requests: %s'
              % (loop_total, RequestLog.describe(loop_requests)))
        if playbook_time is not None:
            print('    ansible-playbook, one task with names: [20 models] (wall)        %8.3f s   requests: %s'
                  % (playbook_time, RequestLog.describe(playbook_requests)))
        print('(b) 20 x `ollama pull` CLI against the stand-in (total)               %8.3f s   requests: %s'
              % (cli_total, RequestLog.describe(cli_requests)))
        print('ratio (b) / (a) in process:      %8.1f x' % (cli_total / noop_names if noop_names else float('inf')))
        if playbook_time:
            print('ratio (b) / (a) ansible-playbook: %7.2f x' % (cli_total / playbook_time))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if opts.keep:
            print('scratch directory kept: %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
