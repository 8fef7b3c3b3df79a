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
  4. prints each throughput (best of the repeats, MB/s with MB = 10^6 bytes) and the ratio (a) / (b);
  5. unless --no-deploy: makes the blobs one model in an Ollama store (a manifest naming them all), builds a bundle
     of it with the module's build (not timed: that happens on the connected controller), then times, once each:
       (d) deploying the bundle as airgap_deploy.yml does on a host: copy the archive to the host's transfer
           directory (a local copy stands in for the transfer), verify and extract it (module_utils/_airgap
           verify_bundle, the code `state: extracted` runs) and copy the model's manifest and blobs into a fresh
           store;
       (e) pulling the same model from a registry stand-in: an HTTP server on 127.0.0.1 serving the manifest and
           the blobs as /v2/<namespace>/<model>/manifests/<tag> and /blobs/sha256:<hex>, the client fetching the
           blobs on --workers threads into a fresh store, each checked against its digest while it is written
           (as `ollama pull` does);
     and prints both times and their ratio. Both run on this machine over loopback and one disk, so this compares the
     work each path does (the bundle hashes everything twice: the archive, then every blob) without a network's
     bandwidth or latency; over a real link the pull is bounded by the link and the deploy's transfer by the one to
     the host.

The goal in issue 10 is (a) >= 1.5x (b) on 2 cores. Figures depend on the machine, its load and its page cache; the
script never passes or fails on time. It exits non-zero only when the set-up breaks or a check fails.

Not measured: Ansible's own overhead in a deploy (connection, chunked transfer, tasks); the Molecule `airgap`
scenario's step times show that for a small bundle.

Usage: .venv/bin/python benchmarks/bundle_verify.py [--size 2G] [--blob-size 256M] [--dir DIR] [--workers N]
       [--repeat N] [--keep] [--no-deploy]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

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


MODEL = ('registry.ollama.ai', 'library', 'bundle-bench', 'latest')
MEDIA_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'


def write_manifest(root, sums):
    """Make the blobs under root/models one model of an Ollama store: a manifest naming them all as layers."""
    layers = [dict(mediaType='application/vnd.ollama.image.model', digest='sha256:' + sums[name],
                   size=os.path.getsize(os.path.join(root, name))) for name in sorted(sums)]
    manifest = dict(schemaVersion=2, mediaType=MEDIA_MANIFEST, config=layers[0], layers=layers[1:] or layers)
    raw = json.dumps(manifest, separators=(',', ':')).encode()
    path = os.path.join(root, 'models', 'manifests', *MODEL)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as handle:
        handle.write(raw)
    return raw


def copy_file(src, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(src, 'rb') as fin, open(dest, 'wb') as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        fout.flush()
        os.fsync(fout.fileno())


def time_deploy(airgap, archive, sidecar_sha, work, workers):
    """Transfer (a local copy), verify + extract, install into a fresh store; returns the times of the three steps."""
    times = {}
    start = time.perf_counter()
    host_archive = os.path.join(work, 'transfer', os.path.basename(archive))
    copy_file(archive, host_archive)
    times['transfer'] = time.perf_counter() - start
    start = time.perf_counter()
    result = airgap.verify_bundle(dict(src=host_archive, expected_sha256=sidecar_sha, arch='amd64', dest=os.path.join(work, 'bundles')),
                                  airgap.Hasher(workers), extract=True)
    times['verify_extract'] = time.perf_counter() - start
    start = time.perf_counter()
    deployment = result['deployment']
    for model in deployment['models']:
        members = [model['manifest']] + ['models/blobs/sha256-' + b['digest'][7:] for b in model['blobs']]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda m: copy_file(os.path.join(result['path'], *m.split('/')),
                                              os.path.join(work, 'store', *m.split('/')[1:])), sorted(set(members))))
    times['install'] = time.perf_counter() - start
    return times


class _Registry(http.server.BaseHTTPRequestHandler):
    """The registry stand-in: GET /v2/<namespace>/<model>/manifests/<tag> and /v2/<namespace>/<model>/blobs/<digest>."""

    protocol_version = 'HTTP/1.1'
    store = None

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def do_GET(self):  # pylint: disable=invalid-name
        parts = self.path.split('/')
        path = None
        if len(parts) == 6 and parts[1] == 'v2' and parts[4] == 'manifests':
            path = os.path.join(self.store, 'manifests', MODEL[0], parts[2], parts[3], parts[5])
        elif len(parts) == 6 and parts[1] == 'v2' and parts[4] == 'blobs' and re.match(r'^sha256:[0-9a-f]{64}\Z', parts[5]):
            path = os.path.join(self.store, 'blobs', 'sha256-' + parts[5][7:])
        if path is None or not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header('Content-Length', str(size))
        self.send_header('Content-Type', 'application/octet-stream')
        self.end_headers()
        with open(path, 'rb') as handle:
            shutil.copyfileobj(handle, self.wfile, CHUNK)


def fetch_blob(base, store, digest, size):
    """GET one blob into the store, hashing while it is written; refuse it unless it has its digest and size."""
    dest = os.path.join(store, 'blobs', 'sha256-' + digest[7:])
    tmp = dest + '-partial'
    sha = hashlib.sha256()
    got = 0
    with urllib.request.urlopen('%s/blobs/%s' % (base, digest)) as response, open(tmp, 'wb') as out:
        while True:
            piece = response.read(CHUNK)
            if not piece:
                break
            sha.update(piece)
            out.write(piece)
            got += len(piece)
        out.flush()
        os.fsync(out.fileno())
    if got != size or 'sha256:' + sha.hexdigest() != digest:
        raise SystemExit('bundle_verify: the registry stand-in sent %s with %d bytes and sha256:%s' % (digest, got, sha.hexdigest()))
    os.rename(tmp, dest)


def time_pull(source_store, work, workers):
    """Pull the model from a registry stand-in serving source_store into a fresh store; returns the seconds."""
    handler = type('Registry', (_Registry,), dict(store=source_store))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = 'http://127.0.0.1:%d/v2/%s/%s' % (server.server_address[1], MODEL[1], MODEL[2])
        store = os.path.join(work, 'store')
        os.makedirs(os.path.join(store, 'blobs'), exist_ok=True)
        start = time.perf_counter()
        with urllib.request.urlopen('%s/manifests/%s' % (base, MODEL[3])) as response:
            raw = response.read()
        manifest = json.loads(raw)
        layers = {layer['digest']: layer['size'] for layer in [manifest['config']] + manifest['layers']}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(functools.partial(fetch_blob, base, store), layers, layers.values()))
        path = os.path.join(store, 'manifests', *MODEL)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as handle:
            handle.write(raw)
        return time.perf_counter() - start
    finally:
        server.shutdown()
        server.server_close()


def deploy_vs_pull(airgap, root, sums, workers):
    write_manifest(root, sums)
    bundles = os.path.join(root, 'bundle')
    built = airgap.build_bundle(dict(dest=bundles, models=[MODEL[2] + ':' + MODEL[3]], models_dir=os.path.join(root, 'models'),
                                     architectures=['amd64'], bundle_id='bundle-bench', created='2026-01-31T12:00:00Z'),
                                airgap.Hasher(workers))
    work = os.path.join(root, 'deploy')
    try:
        deploy = time_deploy(airgap, built['archive'], built['archive_sha256'], work, workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    os.unlink(built['archive'])  # the disk holds the blobs, the store being pulled into and little else from here
    work = os.path.join(root, 'pull')
    try:
        pull = time_pull(os.path.join(root, 'models'), work, workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(bundles, ignore_errors=True)
    total = sum(deploy.values())
    size = built['archive_size']
    print('deploy the bundle (%.1f MB archive):     %8.3f s  (transfer as a local copy %.3f s, verify + extract %.3f s, '
          'install into the store %.3f s)' % (size / 1e6, total, deploy['transfer'], deploy['verify_extract'], deploy['install']))
    print('pull the same model from the registry stand-in (HTTP on 127.0.0.1, %d threads): %.3f s' % (workers, pull))
    print('ratio (deploy / pull):                  %8.2fx  (loopback and one disk: the work of each path, no network)'
          % (total / pull))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=parse_size, default=parse_size('2G'), help='total size of the blobs (default 2G)')
    parser.add_argument('--blob-size', type=parse_size, default=None,
                        help='size of one blob (default: an eighth of --size, at most 256M)')
    parser.add_argument('--dir', help='directory to write the blobs into (default: a new temporary directory)')
    parser.add_argument('--workers', type=int, default=None, help='hashing threads (default: the CPU count)')
    parser.add_argument('--repeat', type=int, default=2, help='timed runs of each tool (default 2; the best is shown)')
    parser.add_argument('--keep', action='store_true', help='keep the blobs afterwards')
    parser.add_argument('--no-deploy', action='store_true',
                        help='skip timing a bundle deploy against a pull from the registry stand-in')
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
        if not args.no_deploy:
            sys.stdout.flush()
            deploy_vs_pull(airgap, root, sums, workers)
    finally:
        if not args.keep:
            if made_root:
                shutil.rmtree(root, ignore_errors=True)
            else:
                for made in ('models', 'bundle', 'deploy', 'pull'):
                    shutil.rmtree(os.path.join(root, made), ignore_errors=True)
                if os.path.exists(os.path.join(root, 'SHA256SUMS')):
                    os.unlink(os.path.join(root, 'SHA256SUMS'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
