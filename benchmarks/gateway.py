# SPDX-License-Identifier: GPL-3.0-or-later
r"""Load driver and benchmark for the inference gateway (roles/inference_gateway). Prints figures only.

Streams OpenAI chat completions (``POST <base>/v1/chat/completions``, ``stream: true``) with http.client and parses
the Server-Sent Events itself, so it times each request precisely: time to the response headers, to the first token
(the first ``data:`` event carrying content) and to ``data: [DONE]``. Python 3.9+, standard library only (it also runs
inside the test-bed containers, whose python3 has nothing else).

Each request ends in one of three outcomes:
  ok     HTTP 200 and the stream ended with ``data: [DONE]``;
  cut    HTTP 200 received (the response had started streaming) but the stream broke before ``[DONE]``;
  error  no HTTP 200: a connection failure, a timeout before the headers, or any other status.
A gateway that retries and redispatches correctly turns a node failure into cut streams on that node only, never into
errors. Where the answer carries an ``X-Standin-Node`` header (the Ollama stand-in, tests/fixtures/ollama_standin,
names the node that served it) requests are counted per node; real Ollama sends no such header (node: null).

Sub-commands:
  load    N concurrent streams for --duration seconds (or --requests in all); optionally runs --kill-command after
          --kill-after seconds (e.g. a `docker exec` that kills one node's server). Prints one JSON object: counts,
          outcomes, statuses, per-node counts and cut streams per node, TTFT/total p50/p99, the kill's timestamps,
          and with --records every request (start, end, node, status, outcome). Molecule's verify asserts on it.
  levels  for each of --levels (default 1,8,16) concurrent streams, each stream sends --per-stream requests;
          prints JSON: per level the TTFT and total p50/p99 and the outcomes.
  bench   the benchmark: `levels` direct to one node (--node) and through the gateway (each --gateway), then a
          table of p50/p99 per level and target, the gateway's overhead over the direct path, per-node shares of
          the gateway's requests, and (with --kill-command) a kill test under load: errors and cut streams.
          --via CMD runs all traffic through CMD (e.g. `docker exec -i inference_gateway-gw`): this script is
          piped to `CMD python3 -`, so a node that admits only the gateway host can be measured directly from there;
          --kill-command still runs here.

It never passes or fails on time: `load` exits 0 whenever it could run (verify judges its JSON); `bench` exits 1 only
when a measurement could not run at all, 2 on bad arguments.

Against the Molecule scenario's converged containers (molecule/inference_gateway: gateway 172.28.111.10, nodes .11-.13,
keys in its molecule.yml; verify once, which leaves Pebble's issuing root in the gateway at /etc/pebble/issuer-root.pem):

  source tests/testbed/env.sh
  molecule --base-config molecule/_shared/base.yml converge -s inference_gateway
  molecule --base-config molecule/_shared/base.yml verify -s inference_gateway
  GATEWAY_KEY=testbed-only-gateway-key-alice-0123456789abcdef python benchmarks/gateway.py bench \
      --via 'docker exec -i inference_gateway-gw' --model qwen2.5-coder:1.5b \
      --node http://172.28.111.11:11434 --gateway http://127.0.0.1:11500 \
      --gateway https://llm.example.test --resolve llm.example.test:127.0.0.1 --cacert /etc/pebble/issuer-root.pem \
      --kill-command "docker exec inference_gateway-n3 sh -c 'kill -9 \$(systemctl show -p MainPID --value ollama)'"

The nodes' firewall admits only the gateway's address, so the direct path is measured from the gateway host (--via);
from the controller only the TLS site is reachable: --gateway https://llm.example.test
--resolve llm.example.test:172.28.111.10 --cacert <a copy of that root>. `molecule destroy -s inference_gateway` ends it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

DEFAULT_PROMPT = 'Write a Python function that adds two numbers.'
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Target(object):
    """An OpenAI-compatible base URL (with or without /v1), its key, CA file and an optional fixed address."""

    def __init__(self, url, key=None, cafile=None, resolve=None, timeout=120.0):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise ValueError('%r is not an http:// or https:// URL' % url)
        self.url = url
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if self.scheme == 'https' else 80)
        base = parts.path.rstrip('/')
        self.path = (base if base.endswith('/v1') else base + '/v1') + '/chat/completions'
        self.key = key
        self.address = (resolve or {}).get(self.host, self.host)
        self.timeout = timeout
        self.context = None
        if self.scheme == 'https':
            self.context = ssl.create_default_context(cafile=cafile)  # verification stays on

    def connect(self):
        """A connection to the fixed address (if any); SNI, certificate name and Host stay the URL's host."""
        return _Connection(self)


class _Connection(http.client.HTTPConnection):
    def __init__(self, target):
        http.client.HTTPConnection.__init__(self, target.host, target.port, timeout=target.timeout)
        self._target = target

    def connect(self):
        sock = socket.create_connection((self._target.address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._target.context is not None:
            sock = self._target.context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


class Client(object):
    """One stream's worker: a kept-alive connection, re-opened when the server closed it."""

    def __init__(self, target):
        self.target = target
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _send(self, body):
        headers = {'Content-Type': 'application/json', 'Accept': 'text/event-stream'}
        if self.target.key:
            headers['Authorization'] = 'Bearer ' + self.target.key
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = self.target.connect()
            try:
                self.conn.request('POST', self.target.path, body=body, headers=headers)
                return self.conn.getresponse()
            except STALE:
                self.close()
                if not reused or attempt:  # a fresh connection that fails is a real failure
                    raise
        raise AssertionError('unreachable')

    def chat(self, model, prompt=DEFAULT_PROMPT, stream=True):
        """Send one chat completion; return its record (times in seconds; t0/t_end are epoch seconds)."""
        body = json.dumps({'model': model, 'stream': stream, 'messages': [{'role': 'user', 'content': prompt}]}).encode()
        rec = {'t0': time.time(), 'status': None, 'node': None, 'ttft': None, 'total': None, 'chunks': 0,
               'outcome': 'error', 'error': None}
        start = time.perf_counter()
        try:
            resp = self._send(body)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            rec.update(error='%s: %s' % (type(exc).__name__, exc), t_end=time.time())
            return rec
        rec['status'] = resp.status
        rec['node'] = resp.getheader('X-Standin-Node')
        rec['t_headers'] = time.perf_counter() - start
        if resp.status != 200:
            try:
                rec['error'] = resp.read(600).decode('utf-8', 'replace')
            except (OSError, http.client.HTTPException) as exc:
                rec['error'] = 'HTTP %d, body unreadable: %s' % (resp.status, exc)
            if resp.will_close:
                self.close()
            rec['t_end'] = time.time()
            return rec
        try:
            if stream:
                done = self._read_events(resp, rec, start)
            else:
                json.loads(resp.read())
                rec['chunks'] = 1
                rec['ttft'] = time.perf_counter() - start
                done = True
            if done:
                resp.read()  # the chunked terminator, so the connection can be reused
        except (OSError, ValueError, http.client.HTTPException) as exc:
            done = False
            rec['error'] = '%s: %s' % (type(exc).__name__, exc)
        rec['t_end'] = time.time()
        if done:
            rec['outcome'] = 'ok'
            rec['total'] = time.perf_counter() - start
        else:
            rec['outcome'] = 'cut'
            rec['error'] = rec['error'] or 'the stream ended before data: [DONE]'
            self.close()
        if resp.will_close:
            self.close()
        return rec

    @staticmethod
    def _read_events(resp, rec, start):
        while True:
            line = resp.readline()
            if not line:
                return False  # EOF before [DONE]
            line = line.strip()
            if not line.startswith(b'data:'):
                continue
            data = line[5:].strip()
            if data == b'[DONE]':
                return True
            event = json.loads(data)
            if 'error' in event:
                rec['error'] = 'error event: %s' % json.dumps(event['error'])[:300]
                return False
            rec['chunks'] += 1
            if rec['ttft'] is None:
                choices = event.get('choices') or [{}]
                if (choices[0].get('delta') or {}).get('content'):
                    rec['ttft'] = time.perf_counter() - start


def percentile(values, pct):
    """Nearest-rank percentile of a list of numbers (None for an empty list)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def summarize(records):
    ok = [r for r in records if r['outcome'] == 'ok']
    out = {
        'requests': len(records),
        'ok': len(ok),
        'cut': sum(1 for r in records if r['outcome'] == 'cut'),
        'errors': sum(1 for r in records if r['outcome'] == 'error'),
        'statuses': {},
        'per_node': {},
        'cut_by_node': {},
        'error_samples': [],
    }
    for r in records:
        key = str(r['status']) if r['status'] is not None else 'no-response'
        out['statuses'][key] = out['statuses'].get(key, 0) + 1
        if r['status'] == 200:
            node = r['node'] or 'unknown'
            out['per_node'][node] = out['per_node'].get(node, 0) + 1
        if r['outcome'] == 'cut':
            node = r['node'] or 'unknown'
            out['cut_by_node'][node] = out['cut_by_node'].get(node, 0) + 1
        if r['outcome'] == 'error' and len(out['error_samples']) < 5:
            out['error_samples'].append({'status': r['status'], 'error': (r['error'] or '')[:300]})
    for name in ('ttft', 'total'):
        values = [r[name] * 1000.0 for r in ok if r[name] is not None]
        out[name + '_ms'] = {'p50': _round(percentile(values, 50)), 'p99': _round(percentile(values, 99)), 'n': len(values)}
    return out


def _round(value):
    return None if value is None else round(value, 1)


def run_streams(target, model, concurrency, duration=None, per_stream=None, total=None, stream=True, progress=None,
                prompt=DEFAULT_PROMPT):
    """`concurrency` workers, each sending requests back to back until the deadline or the request budget is spent."""
    records = []
    lock = threading.Lock()
    started = [0]
    deadline = time.time() + duration if duration else None

    def take():
        with lock:
            if deadline is not None and time.time() >= deadline:
                return False
            if total is not None and started[0] >= total:
                return False
            started[0] += 1
            return True

    def worker():
        client = Client(target)
        sent = 0
        try:
            while (per_stream is None or sent < per_stream) and take():
                rec = client.chat(model, prompt=prompt, stream=stream)
                sent += 1
                with lock:
                    records.append(rec)
                if rec['outcome'] == 'error':
                    time.sleep(0.05)  # as a client would, rather than a tight loop of refused connections
        finally:
            client.close()

    stop = threading.Event()

    def report():
        while not stop.wait(1.0):
            with lock:
                state = {'started': started[0], 'completed': len(records), 'ts': time.time()}
            tmp = progress + '.tmp'
            with open(tmp, 'w') as fh:
                json.dump(state, fh)
            os.replace(tmp, progress)

    threads = [threading.Thread(target=worker, daemon=True) for _stream in range(concurrency)]
    reporter = threading.Thread(target=report, daemon=True) if progress else None
    begin = time.time()
    for t in threads:
        t.start()
    if reporter:
        reporter.start()
    for t in threads:
        t.join()
    stop.set()
    if reporter:
        reporter.join()
    return records, time.time() - begin


def run_kill(command, after, log):
    """Run `command` (a shell line) `after` seconds from now; note its start, end, exit status and output in `log`."""
    time.sleep(after)
    log['at'] = time.time()
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60, check=False)
    log.update(done_at=time.time(), rc=done.returncode, output=(done.stdout + done.stderr).strip()[-300:])


def target_from(args, url):
    resolve = {}
    for item in args.resolve or []:
        host, sep, addr = item.rpartition(':')
        if not sep or not host or not addr:
            raise ValueError('--resolve %r: want HOST:ADDRESS' % item)
        resolve[host] = addr
    key = args.key or (os.environ.get(args.key_env) if args.key_env else None)
    return Target(url, key=key, cafile=args.cacert, resolve=resolve, timeout=args.timeout)


def cmd_load(args):
    target = target_from(args, args.url)
    kill = {}
    killer = None
    if args.kill_command:
        killer = threading.Thread(target=run_kill, args=(args.kill_command, args.kill_after, kill), daemon=True)
        killer.start()
    begin = time.time()
    records, elapsed = run_streams(target, args.model, args.concurrency, duration=args.duration, total=args.requests,
                                   stream=not args.no_stream, progress=args.progress, prompt=args.prompt)
    if killer:
        killer.join()
    out = summarize(records)
    out.update(url=args.url, model=args.model, concurrency=args.concurrency, started_at=round(begin, 3),
               elapsed_s=round(elapsed, 2))
    if kill:
        out['kill'] = kill
        out['cut_after_kill'] = sum(1 for r in records if r['outcome'] == 'cut' and r['t_end'] >= kill['at'])
    if args.records:
        out['records'] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in records]
    print(json.dumps(out, sort_keys=True))
    return 0


def cmd_levels(args):
    target = target_from(args, args.url)
    result = {}
    for level in args.levels:
        records, elapsed = run_streams(target, args.model, level, per_stream=args.per_stream, prompt=args.prompt)
        summary = summarize(records)
        summary['elapsed_s'] = round(elapsed, 2)
        result[str(level)] = summary
    print(json.dumps({'url': args.url, 'levels': result}, sort_keys=True))
    return 0


def _common_argv(args):
    argv = ['--model', args.model, '--timeout', str(args.timeout), '--prompt', args.prompt]
    for item in args.resolve or []:
        argv += ['--resolve', item]
    if args.cacert:
        argv += ['--cacert', args.cacert]
    return argv


def _run_json(args, argv, env_key):
    """Run this script's sub-command here or through --via; return its JSON output."""
    with open(os.path.abspath(__file__), 'rb') as fh:
        source = fh.read()
    env = dict(os.environ)
    if env_key:
        env['GATEWAY_BENCH_KEY'] = env_key
    if args.via:
        # The key travels in the environment of the inner command (never on a command line that `ps` shows).
        cmd = shlex.split(args.via)
        if cmd[:2] == ['docker', 'exec'] and env_key:
            cmd = cmd[:2] + ['-e', 'GATEWAY_BENCH_KEY'] + cmd[2:]
        cmd += ['python3', '-'] + argv + ['--key-env', 'GATEWAY_BENCH_KEY']
        done = subprocess.run(cmd, input=source, capture_output=True, env=env, check=False)
    else:
        cmd = [sys.executable, os.path.abspath(__file__)] + argv + ['--key-env', 'GATEWAY_BENCH_KEY']
        done = subprocess.run(cmd, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError('%s failed (rc %d): %s' % (' '.join(cmd[:6]), done.returncode, done.stderr.decode(errors='replace')[-800:]))
    return json.loads(done.stdout)


def _fmt(value):
    return '-' if value is None else '%.1f' % value


def cmd_bench(args):
    key = args.key or (os.environ.get(args.key_env) if args.key_env else None)
    levels = ','.join(str(n) for n in args.levels)
    targets = [('direct ' + args.node, args.node)] + [('gateway ' + url, url) for url in args.gateway]
    results = {}
    for label, url in targets:
        argv = ['levels', '--url', url, '--levels', levels, '--per-stream', str(args.per_stream)] + _common_argv(args)
        results[label] = _run_json(args, argv, key)['levels']

    print('Inference gateway benchmark: model %s, %d request(s) per stream, streamed chat completions%s'
          % (args.model, args.per_stream, (' (traffic from: %s)' % args.via) if args.via else ''))
    print('Times in ms (p50/p99 over the ok requests); "errors" = requests without an HTTP 200, "cut" = broken streams.')
    print('%-48s %7s %16s %16s %6s %6s %5s' % ('target', 'streams', 'ttft p50/p99', 'total p50/p99', 'ok', 'errors', 'cut'))
    for label, _url in targets:
        for level in args.levels:
            s = results[label][str(level)]
            print('%-48s %7d %16s %16s %6d %6d %5d' % (
                label[:48], level, '%s/%s' % (_fmt(s['ttft_ms']['p50']), _fmt(s['ttft_ms']['p99'])),
                '%s/%s' % (_fmt(s['total_ms']['p50']), _fmt(s['total_ms']['p99'])), s['ok'], s['errors'], s['cut']))
    direct = results[targets[0][0]]
    print('\nGateway overhead over the direct path (p50 difference, ms). At 1 stream it is the cost of the hops; at 8 and')
    print('16 the gateway spreads the streams over every node holding the model while the single node queues them.')
    for label, _url in targets[1:]:
        for level in args.levels:
            g, d = results[label][str(level)], direct[str(level)]
            diffs = []
            for name in ('ttft_ms', 'total_ms'):
                if g[name]['p50'] is None or d[name]['p50'] is None:
                    diffs.append('-')
                else:
                    diffs.append('%+.1f' % (g[name]['p50'] - d[name]['p50']))
            print('  %-46s streams %2d: ttft %8s  total %8s' % (label[:46], level, diffs[0], diffs[1]))
    print('\nPer-node shares of the requests through the gateway (X-Standin-Node):')
    for label, _url in targets[1:]:
        counts = {}
        for level in args.levels:
            for node, n in results[label][str(level)]['per_node'].items():
                counts[node] = counts.get(node, 0) + n
        all_n = sum(counts.values()) or 1
        print('  %s: %s' % (label, ', '.join('%s %d (%.0f %%)' % (node, n, 100.0 * n / all_n) for node, n in sorted(counts.items()))))

    if args.kill_command:
        url = args.kill_url or args.gateway[0]
        argv = ['load', '--url', url, '--concurrency', str(args.kill_streams), '--duration', str(args.kill_duration)]
        argv += _common_argv(args)
        log = {}
        killer = threading.Thread(target=run_kill, args=(args.kill_command, args.kill_after, log), daemon=True)
        killer.start()
        load = _run_json(args, argv, key)
        killer.join()
        print('\nKill test: %d streams for %d s through %s, `%s` after %d s (rc %s)'
              % (args.kill_streams, args.kill_duration, url, args.kill_command, args.kill_after, log.get('rc')))
        print('  requests %d: ok %d, errors %d (no HTTP 200), cut streams %d (%s); statuses %s'
              % (load['requests'], load['ok'], load['errors'], load['cut'],
                 ', '.join('%s %d' % kv for kv in sorted(load['cut_by_node'].items())) or 'none', load['statuses']))
        for sample in load['error_samples']:
            print('  error: %s' % sample)
        print('  ttft p50/p99 %s/%s ms, total p50/p99 %s/%s ms' % (
            _fmt(load['ttft_ms']['p50']), _fmt(load['ttft_ms']['p99']), _fmt(load['total_ms']['p50']), _fmt(load['total_ms']['p99'])))
    return 0


def parse_levels(text):
    try:
        levels = [int(x) for x in text.split(',') if x.strip()]
    except ValueError:
        levels = []
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError('want a comma-separated list of positive integers, got %r' % text)
    return levels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--model', required=True)
    common.add_argument('--key', help='bearer key (prefer --key-env)')
    common.add_argument('--key-env', default='GATEWAY_KEY', help='environment variable holding the bearer key (default GATEWAY_KEY)')
    common.add_argument('--cacert', help='CA file to verify https:// against (verification is never turned off)')
    common.add_argument('--resolve', action='append', metavar='HOST:ADDRESS', help='connect to ADDRESS for HOST (like curl --resolve)')
    common.add_argument('--timeout', type=float, default=120.0, help='socket timeout per request, seconds')
    common.add_argument('--prompt', default=DEFAULT_PROMPT)

    p = sub.add_parser('load', parents=[common], help='concurrent streams for a while; JSON out')
    p.add_argument('--url', required=True)
    p.add_argument('--concurrency', type=int, default=16)
    p.add_argument('--duration', type=float, help='seconds to keep starting requests')
    p.add_argument('--requests', type=int, help='requests in all (with or without --duration)')
    p.add_argument('--no-stream', action='store_true')
    p.add_argument('--progress', help='file rewritten every second with {"started", "completed"}')
    p.add_argument('--kill-command', help='shell command to run --kill-after seconds into the load')
    p.add_argument('--kill-after', type=float, default=10.0)
    p.add_argument('--records', action='store_true', help='include every request in the JSON')
    p.set_defaults(func=cmd_load)

    p = sub.add_parser('levels', parents=[common], help='p50/p99 at several concurrency levels; JSON out')
    p.add_argument('--url', required=True)
    p.add_argument('--levels', type=parse_levels, default=[1, 8, 16])
    p.add_argument('--per-stream', type=int, default=5)
    p.set_defaults(func=cmd_levels)

    p = sub.add_parser('bench', parents=[common], help='the benchmark: direct vs gateway, overhead, shares, kill test')
    p.add_argument('--node', required=True, help='one node, direct (e.g. http://172.28.111.11:11434)')
    p.add_argument('--gateway', action='append', required=True, help='the gateway (repeatable: HAProxy, the TLS site)')
    p.add_argument('--levels', type=parse_levels, default=[1, 8, 16])
    p.add_argument('--per-stream', type=int, default=5)
    p.add_argument('--via', help='command prefix to run the traffic through, e.g. "docker exec -i inference_gateway-gw"')
    p.add_argument('--kill-command', help='shell command (run here) that kills one node\'s server during the kill test')
    p.add_argument('--kill-url', help='URL for the kill test (default: the first --gateway)')
    p.add_argument('--kill-streams', type=int, default=16)
    p.add_argument('--kill-duration', type=int, default=60)
    p.add_argument('--kill-after', type=int, default=10)
    p.set_defaults(func=cmd_bench)

    args = parser.parse_args(argv)
    if args.command == 'load' and not (args.duration or args.requests):
        parser.error('load needs --duration or --requests')
    try:
        return args.func(args)
    except (ValueError, RuntimeError) as exc:
        print('gateway.py: %s' % exc, file=sys.stderr)
        return 1 if isinstance(exc, RuntimeError) else 2


if __name__ == '__main__':
    sys.exit(main())
