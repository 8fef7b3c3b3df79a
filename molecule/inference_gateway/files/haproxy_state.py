# SPDX-License-Identifier: GPL-3.0-or-later
"""Test bed only: read one server's state in every HAProxy backend through the runtime API (`show stat`).

Run on the gateway host by molecule/inference_gateway/verify.yml (python3 of the host, standard library only):

  haproxy_state.py show  --server NAME [--socket PATH]
      prints {"states": {backend: status}, "sessions": {backend: current sessions}, "checks": {backend: the last
      health check's status, code, duration, text, failed checks so far, seconds since the last state change}}
  haproxy_state.py watch --server NAME [--socket PATH] [--timeout S] [--config /etc/haproxy/haproxy.cfg]
      polls every 0.1 s until the server has been DOWN in every backend that has it and then UP again in all of them
      (or the timeout passes); prints {"down_at", "up_at" (epoch seconds, null if not seen), "transitions": [[t, status
      per backend], ...], "inter_s", "fall", "rise"} with the check settings read from the server lines of the config.
  haproxy_state.py rate  --table FRONTEND --key NAME [--socket PATH]
      prints {"rate": N}: the key's http_req_rate in the frontend's stick table (0 when the key has no entry).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import socket
import sys
import time


def ask(path, command):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(path)
    sock.sendall(command.encode() + b'\n')
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            break
        chunks.append(data)
    sock.close()
    return b''.join(chunks).decode('utf-8', 'replace')


def stat(path):
    return list(csv.DictReader(io.StringIO(ask(path, 'show stat').lstrip('# '))))


def key_rate(path, table, key):
    for line in ask(path, 'show table %s' % table).splitlines():
        if ' key=%s ' % key in line + ' ':
            m = re.search(r'http_req_rate\([0-9]+\)=([0-9]+)', line)
            return int(m.group(1)) if m else 0
    return 0


def server_rows(path, server):
    return {row['pxname']: row for row in stat(path) if row.get('svname') == server}


def check_settings(config, server):
    """inter (seconds), fall and rise of the server's lines in the config; HAProxy's defaults where absent."""
    inter, fall, rise = 2.0, 3, 2
    try:
        with open(config, encoding='utf-8') as fh:
            text = fh.read()
    except OSError:
        return inter, fall, rise
    for line in text.splitlines():
        words = line.split()
        if len(words) > 2 and words[0] == 'server' and words[1] == server:
            for key, value in zip(words, words[1:]):
                if key == 'inter':
                    m = re.fullmatch(r'([0-9.]+)(us|ms|s|m|h|d)?', value)
                    if m:
                        unit = {'us': 1e-6, 'ms': 1e-3, 's': 1.0, None: 1e-3, 'm': 60.0, 'h': 3600.0, 'd': 86400.0}[m.group(2)]
                        inter = float(m.group(1)) * unit
                elif key == 'fall' and value.isdigit():
                    fall = int(value)
                elif key == 'rise' and value.isdigit():
                    rise = int(value)
            break
    return inter, fall, rise


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('command', choices=['show', 'watch', 'rate'])
    parser.add_argument('--server')
    parser.add_argument('--table', default='llm')
    parser.add_argument('--key')
    parser.add_argument('--socket', default='/run/haproxy/admin.sock')
    parser.add_argument('--config', default='/etc/haproxy/haproxy.cfg')
    parser.add_argument('--timeout', type=float, default=90.0)
    args = parser.parse_args(argv)
    if args.command == 'rate':
        print(json.dumps({'rate': key_rate(args.socket, args.table, args.key)}))
        return 0
    if not args.server:
        parser.error('--server is required')

    rows = server_rows(args.socket, args.server)
    if not rows:
        print(json.dumps({'error': 'no server %r in any backend' % args.server}))
        return 1
    if args.command == 'show':
        print(json.dumps({'states': {b: r['status'] for b, r in rows.items()},
                          'sessions': {b: int(r['scur'] or 0) for b, r in rows.items()},
                          'checks': {b: {k: r.get(k) for k in ('check_status', 'check_code', 'check_duration', 'last_chk', 'chkfail', 'lastchg')}
                                     for b, r in rows.items()}}))
        return 0

    inter, fall, rise = check_settings(args.config, args.server)
    deadline = time.time() + args.timeout
    down_at = up_at = None
    last = None
    transitions = []
    while time.time() < deadline:
        now = time.time()
        states = {b: r['status'] for b, r in server_rows(args.socket, args.server).items()}
        if states != last:
            transitions.append([round(now, 3), states])
            last = states
        values = list(states.values())
        if down_at is None and values and all(v == 'DOWN' or v.startswith('DOWN ') for v in values):
            down_at = now
        elif down_at is not None and values and all(v == 'UP' for v in values):
            up_at = now
            break
        time.sleep(0.1)
    print(json.dumps({'server': args.server, 'down_at': down_at, 'up_at': up_at, 'transitions': transitions,
                      'inter_s': inter, 'fall': fall, 'rise': rise}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
