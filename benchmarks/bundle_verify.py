# SPDX-License-Identifier: GPL-3.0-or-later
"""Measure the blob verification of selfhosted.ai_coding.airgap_bundle against `sha256sum -c`. Prints figures only.

What it does:

  1. writes a set of random blobs laid out as an extracted bundle (models/blobs/sha256-<hex> and a SHA256SUMS over
     them), --size in all (default 2 GiB) in blobs of --blob-size (default: an eighth of --size, at most 256 MiB; the
     last one smaller), into a temporary directory or --dir;
  2. reads every blob once (so both tools below start from the same page cache);
  3. times, in the same run and over the same files, alternating --repeat times:
       (a) the module's verification: module_utils/_airgap.check_contents, the code `state: extracted` runs on an
           unpacked bundle (blobs hashed in parallel on --workers threads, default the CPU count; each blob must hash
           to its name and to its SHA256SUMS line), with a fresh Hasher each time so nothing comes from its cache;
       (b) `sha256sum --quiet -c SHA256SUMS` (one process, one file after another);
       (c) the same as (a) on one thread, to show how much of the difference is parallelism and how much is the
           hash implementation (Python's hashlib uses OpenSSL; coreutils' sha256sum may not use the CPU's SHA
           instructions);
  4. prints each throughput (best of the repeats, MB/s with MB = 10^6 bytes) and the ratio (a) / (b).

The goal in issue 10 is (a) >= 1.5x (b) on 2 cores. Figures depend on the machine, its load and its page cache; the
script never passes or fails on time. It exits non-zero only when the set-up breaks or a check fails.

Left out: the time to deploy a bundle against pulling the same models from a registry stand-in (the other half of the
issue's benchmark). That needs the Ollama stand-in, a target container and the airgap_deploy playbook, which do not
exist yet; it belongs with the Molecule `airgap` scenario.

Usage: .venv/bin/python benchmarks/bundle_verify.py [--size 2G] [--blob-size 256M] [--dir DIR] [--workers N]
       [--repeat N] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import _collection  # benchmarks/_collection.py, beside this script

CHUNK = 4 * 1024 * 1024


def parse_size(text):
    match = re.match(r'^([0-9]+)([KMGT]?)(i?B)?\Z', text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError('%r is not a size (examples: 64M, 2G, 1048576)' % text)
    return int(match.group(1)) * 1024 ** ' KMGT'.index((match.group(2) or ' ').upper())


def make_blobs(root, total, blob_size):
    """Random blobs named by their digest, and a SHA256SUMS over them; returns {member: hex}."""
    blobs = os.path.join(root, 'models', 'blobs')
    os.makedirs(blobs, exist_ok=True)
    sums, left, number = {}, total, 0
    while left > 0:
        size = min(blob_size, left)
        tmp = os.path.join(blobs, 'incoming-%d' % number)
        sha = hashlib.sha256()
        with open(tmp, 'wb') as handle:
            written = 0
            while written < size:
                piece = os.urandom(min(CHUNK, size - written))
                sha.update(piece)
                handle.write(piece)
                written += len(piece)
        digest = sha.hexdigest()
        os.rename(tmp, os.path.join(blobs, 'sha256-' + digest))
        sums['models/blobs/sha256-' + digest] = digest
        left -= size
        number += 1
    with open(os.path.join(root, 'SHA256SUMS'), 'w') as handle:
        for name in sorted(sums):
            handle.write('%s  %s\n' % (sums[name], name))
    return sums


def warm(root, sums):
    for name in sums:
        with open(os.path.join(root, name), 'rb', buffering=0) as handle:
            while handle.read(CHUNK):
                pass


def time_module(airgap, root, sums, workers):
    places = {name: (os.path.join(root, name), 0, os.path.getsize(os.path.join(root, name))) for name in sums}
    view = airgap._View(places, lambda name: b'')
    hasher = airgap.Hasher(workers)
    start = time.perf_counter()
    counts = airgap.check_contents(view, sums, {}, hasher, root)
    elapsed = time.perf_counter() - start
    if counts['blobs'] != len(sums) or hasher.bytes_hashed != sum(p[2] for p in places.values()):
        raise SystemExit('bundle_verify: the module hashed %d bytes in %d blobs, expected %d blobs'
                         % (hasher.bytes_hashed, counts['blobs'], len(sums)))
    return elapsed, hasher.workers


def time_sha256sum(root):
    start = time.perf_counter()
    done = subprocess.run(['sha256sum', '--quiet', '-c', 'SHA256SUMS'], cwd=root, capture_output=True, text=True,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit('bundle_verify: sha256sum -c failed: %s' % (done.stdout + done.stderr).strip())
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=parse_size, default=parse_size('2G'), help='total size of the blobs (default 2G)')
    parser.add_argument('--blob-size', type=parse_size, default=None,
                        help='size of one blob (default: an eighth of --size, at most 256M)')
    parser.add_argument('--dir', help='directory to write the blobs into (default: a new temporary directory)')
    parser.add_argument('--workers', type=int, default=None, help='hashing threads (default: the CPU count)')
    parser.add_argument('--repeat', type=int, default=2, help='timed runs of each tool (default 2; the best is shown)')
    parser.add_argument('--keep', action='store_true', help='keep the blobs afterwards')
    args = parser.parse_args()
    if args.blob_size is None:
        args.blob_size = max(1, min(parse_size('256M'), args.size // 8))
    if args.size <= 0 or args.blob_size <= 0 or args.repeat < 1:
        parser.error('--size, --blob-size and --repeat must be greater than 0')
    if shutil.which('sha256sum') is None:
        raise SystemExit('bundle_verify: sha256sum is not on PATH')

    sys.path.insert(0, str(_collection.collections_path(prefix='bundle_verify_collections_')))
    from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _airgap as airgap

    root = args.dir or tempfile.mkdtemp(prefix='bundle_verify_')
    made_root = args.dir is None
    try:
        print('writing %.1f MB of random blobs (%.1f MB each) into %s ...' % (args.size / 1e6, args.blob_size / 1e6, root))
        sums = make_blobs(root, args.size, args.blob_size)
        total = sum(os.path.getsize(os.path.join(root, name)) for name in sums)
        warm(root, sums)
        module_times, tool_times, single_times = [], [], []
        workers = None
        for _run in range(args.repeat):
            elapsed, workers = time_module(airgap, root, sums, args.workers)
            module_times.append(elapsed)
            tool_times.append(time_sha256sum(root))
            single_times.append(time_module(airgap, root, sums, 1)[0])
        best_module, best_tool = min(module_times), min(tool_times)
        print('blobs: %d, %.1f MB in all; CPUs: %s; hashing threads: %d; runs: %d each, alternating'
              % (len(sums), total / 1e6, os.cpu_count(), workers, args.repeat))
        print('airgap_bundle verification (parallel): %8.1f MB/s  (best %.3f s; runs %s)'
              % (total / 1e6 / best_module, best_module, ', '.join('%.3f' % t for t in module_times)))
        print('sha256sum -c (serial):                 %8.1f MB/s  (best %.3f s; runs %s)'
              % (total / 1e6 / best_tool, best_tool, ', '.join('%.3f' % t for t in tool_times)))
        best_single = min(single_times)
        print('airgap_bundle verification (1 thread): %8.1f MB/s  (best %.3f s; runs %s)'
              % (total / 1e6 / best_single, best_single, ', '.join('%.3f' % t for t in single_times)))
        print('ratio (module / sha256sum):            %8.2fx' % (best_tool / best_module))
        print('ratio (module / module on 1 thread):   %8.2fx' % (best_single / best_module))
    finally:
        if not args.keep:
            if made_root:
                shutil.rmtree(root, ignore_errors=True)
            else:
                shutil.rmtree(os.path.join(root, 'models'), ignore_errors=True)
                if os.path.exists(os.path.join(root, 'SHA256SUMS')):
                    os.unlink(os.path.join(root, 'SHA256SUMS'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
