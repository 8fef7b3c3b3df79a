# SPDX-License-Identifier: GPL-3.0-or-later
"""Time OpenHands' agent loop: N conversations in a row through the collection's OpenHands client. Prints figures only.

What it does, against a running OpenHands 1.x app server (the platform's, or the test bed's with the Ollama stand-in
as its LLM):

  1. runs --runs conversations one after another, each with --message, through OpenHandsClient.run_conversation()
     (plugins/module_utils/_openhands_api.py, the code the openhands_conversation module runs): POST
     /api/v1/app-conversations, poll the start task until READY, poll the conversation until it ends;
  2. the first run is "cold" (its sandbox container has to start), the later ones "warm" (OpenHands may reuse the
     sandbox; the sandbox column shows whether it did);
  3. with --llm-log or --llm-log-cmd, counts the LLM requests each conversation made: the lines of the Ollama
     stand-in's request log (JSON lines with keys path, model, stream, tools ...) with path /v1/chat/completions
     added while that conversation ran;
  4. prints a table (run, cold/warm, POST->READY s, POST->finished s, LLM requests, sandbox) and the min/median
     of each column.

It never passes or fails on time. It exits 1 only when a conversation fails (after running the others), 2 when
the arguments or the LLM log are unusable.

Usage: .venv/bin/python benchmarks/agent_loop.py --url http://127.0.0.1:3000 [--message TEXT] [--runs N]
           [--llm-log PATH | --llm-log-cmd 'docker exec ollama cat /root/.ollama/requests.log']
           [--timeout S] [--poll-interval S] [--api-key KEY (or OPENHANDS_API_KEY)]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import statistics
import subprocess
import sys
import _collection  # benchmarks/_collection.py, beside this script

REPO = pathlib.Path(__file__).resolve().parents[1]
CHAT_PATH = '/v1/chat/completions'
DEFAULT_MESSAGE = 'Reply with the single word done, then finish.'


def collections_path():
    return _collection.collections_path(prefix='agent_loop_collections_')


class LlmLog(object):
    """The Ollama stand-in's JSON-lines request log, read from a file or from a command's output (``docker exec``)."""

    def __init__(self, path=None, command=None):
        self.path = path
        self.command = command

    def text(self):
        if self.path:
            try:
                return pathlib.Path(self.path).read_text(errors='replace')
            except FileNotFoundError:
                return ''  # nothing logged yet
        done = subprocess.run(self.command, shell=True, capture_output=True, text=True, check=False, timeout=60)
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()[-500:]
            raise RuntimeError('--llm-log-cmd %s failed (rc %d): %s' % (shlex.quote(self.command), done.returncode, output))
        return done.stdout

    def lines(self):
        return [line for line in self.text().splitlines() if line.strip()]

    def mark(self):
        return self.lines()

    @staticmethod
    def is_chat(line):
        try:
            record = json.loads(line)
        except ValueError:
            return False
        path = record.get('path') if isinstance(record, dict) else None
        return isinstance(path, str) and path.split('?', 1)[0].rstrip('/') == CHAT_PATH

    def chat_requests_since(self, before):
        """Chat-completion lines added since ``before`` (the lines a mark() returned); a log that was rotated or
        truncated meanwhile is counted from its start."""
        now = self.lines()
        added = now[len(before):] if now[:len(before)] == before else now
        return sum(1 for line in added if self.is_chat(line))


def fmt(value, spec='%.1f'):
    return '-' if value is None else spec % value


def summary_row(label, values, spec='%.1f'):
    values = [v for v in values if v is not None]
    if not values:
        return '  %-22s %s' % (label, 'no figures')
    figures = (label, fmt(min(values), spec), fmt(statistics.median(values), spec), fmt(max(values), spec), len(values))
    return '  %-22s min %8s   median %8s   max %8s   (n=%d)' % figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--url', default='http://127.0.0.1:3000', help='base URL of the OpenHands app server (default %(default)s)')
    parser.add_argument('--message', default=DEFAULT_MESSAGE, help='the first user message of each conversation (default: %(default)r)')
    parser.add_argument('--runs', type=int, default=3, help='conversations to run one after another (default %(default)s)')
    logs = parser.add_mutually_exclusive_group()
    logs.add_argument('--llm-log', metavar='PATH', help="the Ollama stand-in's request log (JSON lines), to count LLM requests per run")
    logs.add_argument('--llm-log-cmd', metavar='CMD', help="a shell command printing that log, e.g. 'docker exec ollama cat /root/.ollama/requests.log'")
    parser.add_argument('--timeout', type=float, default=900, help='seconds one conversation may take (default %(default)s)')
    parser.add_argument('--poll-interval', type=float, default=1.0, help='seconds between status polls (default %(default)s)')
    parser.add_argument('--api-key', default=os.environ.get('OPENHANDS_API_KEY'),
                        help="the server's SESSION_API_KEY, if it has one (default: $OPENHANDS_API_KEY)")
    opts = parser.parse_args()
    if opts.runs < 1 or opts.timeout <= 0 or opts.poll_interval <= 0 or not opts.message.strip():
        parser.error('--runs must be at least 1, --timeout and --poll-interval positive, --message non-empty')

    sys.path.insert(0, str(collections_path()))
    from ansible_collections.selfhosted.ai_coding.plugins.module_utils._openhands_api import OpenHandsClient, OpenHandsError

    try:
        client = OpenHandsClient(opts.url, timeout=min(30, opts.timeout), api_key=opts.api_key)
    except OpenHandsError as exc:
        parser.error(exc.msg)
    llm_log = LlmLog(opts.llm_log, opts.llm_log_cmd) if (opts.llm_log or opts.llm_log_cmd) else None
    if llm_log is not None:
        try:
            llm_log.mark()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print('agent_loop: cannot read the LLM request log: %s' % exc, file=sys.stderr)
            return 2

    print('OpenHands agent-loop benchmark against %s: %d conversation(s), message %r' % (client.base_url, opts.runs, opts.message))
    rows, failures = [], []
    for number in range(1, opts.runs + 1):
        kind = 'cold' if number == 1 else 'warm'
        before = llm_log.mark() if llm_log is not None else None
        try:
            outcome = client.run_conversation(opts.message, timeout=opts.timeout, poll_interval=opts.poll_interval)
            error = None
        except OpenHandsError as exc:
            outcome, error = exc.result, exc.msg
        llm = None
        if llm_log is not None:
            try:
                llm = llm_log.chat_requests_since(before)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                print('agent_loop: run %d: cannot read the LLM request log: %s' % (number, exc), file=sys.stderr)
        row = {'run': number, 'kind': kind, 'ready_s': outcome.get('ready_s'), 'finished_s': outcome.get('finished_s'), 'llm': llm,
               'sandbox': outcome.get('sandbox_id'), 'conversation': outcome.get('conversation_id'), 'status': outcome.get('status'), 'error': error}
        rows.append(row)
        if error:
            failures.append(row)
            print('  run %d (%s) FAILED: %s' % (number, kind, error), file=sys.stderr)
        sys.stdout.flush()

    layout = '%-4s %-5s %14s %17s %13s  %-10s %-34s %s'
    header = layout % ('run', 'kind', 'POST->READY s', 'POST->finished s', 'LLM requests', 'status', 'conversation', 'sandbox')
    print(header)
    print('-' * len(header))
    previous_sandbox = None
    for row in rows:
        sandbox = row['sandbox'] or '-'
        if row['kind'] == 'warm' and row['sandbox'] and previous_sandbox and row['sandbox'] != previous_sandbox:
            sandbox += ' (new)'
        previous_sandbox = row['sandbox'] or previous_sandbox
        llm = '-' if row['llm'] is None else row['llm']
        status = 'FAILED' if row['error'] else (row['status'] or '-')
        print(layout % (row['run'], row['kind'], fmt(row['ready_s']), fmt(row['finished_s']), llm, status, row['conversation'] or '-', sandbox))
    print('summary (successful runs):')
    ok = [row for row in rows if not row['error']]
    warm = [row for row in ok if row['kind'] == 'warm']
    print(summary_row('POST->READY s, all', [r['ready_s'] for r in ok]))
    print(summary_row('POST->finished s, all', [r['finished_s'] for r in ok]))
    if warm:
        print(summary_row('POST->READY s, warm', [r['ready_s'] for r in warm]))
        print(summary_row('POST->finished s, warm', [r['finished_s'] for r in warm]))
    if llm_log is not None:
        print(summary_row('LLM requests per run', [r['llm'] for r in ok], spec='%g'))
    if failures:
        print('%d of %d conversation(s) failed: %s' % (len(failures), len(rows), '; '.join('run %d: %s' % (r['run'], r['error']) for r in failures)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
