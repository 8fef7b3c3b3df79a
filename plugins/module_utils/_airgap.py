# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline bundles for air-gapped hosts: build, verify, safe extraction, parallel hashing (private: may change).

One implementation for both ends, so the controller that builds a bundle and the host that receives it agree on
every rule. Nothing here prints, and nothing here knows about Ansible beyond the model-name grammar it shares with
``ollama_model``; every refusal is a :class:`BundleError` whose text names the file, member or blob and the rule.

Layout of a bundle (one plain, uncompressed tar: model blobs are already compressed weights and do not shrink, so
compression would only cost CPU time on both ends)::

    SHA256SUMS                                    sha256sum format, every file except itself
    deployment.json                               what the bundle holds (see build_bundle)
    images/<docker-save archive>                  one per image
    models/manifests/<host>/<namespace>/<model>/<tag>
    models/blobs/sha256-<64 hex>
    ollama/<release archive>, ollama/sha256sum.txt
    packages/<file>

The tar is reproducible: members sorted by name, regular files only, mode 0644, uid/gid 0, owner root, mtime the
bundle's ``created`` time, GNU format (no pax timestamps). Equal inputs give a byte-identical archive.

Public interface::

    BundleError(Exception)
    Hasher(workers=None)                     .digest(path, offset=0, length=None, label=None) -> hex
                                             .digest_many([(path, offset, length, label)]) -> [hex]
                                             .files_hashed, .bytes_hashed, .cache_hits
    normalise_arch(value, name) -> 'amd64' | 'arm64'
    build_bundle(options, hasher, check_mode=False) -> dict
    verify_bundle(options, hasher, extract=False, check_mode=False) -> dict
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    ModelNameError,
    validate_model_name,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    bad_chars,
    check_abs_path,
    check_text,
    show,
)

SCHEMA_VERSION = 1
ARCHITECTURES = ('amd64', 'arm64')
ARCH_ALIASES = {'amd64': 'amd64', 'x86_64': 'amd64', 'arm64': 'arm64', 'aarch64': 'arm64'}
ARCHIVE_PREFIX = 'ai-coding-bundle-'
SUMS = 'SHA256SUMS'
DEPLOYMENT = 'deployment.json'
MARKER = '.verified'
PARTIAL = '.partial'
# Read in 4 MiB pieces: large enough that hashlib releases the GIL and threads hash in parallel, small enough to
# keep one buffer per worker cheap.
CHUNK = 4 * 1024 * 1024
# Metadata read into memory is bounded: a bundle's SHA256SUMS and deployment.json, a manifest, a docker-save index.
MAX_META = 64 * 1024 * 1024
HEX_RE = re.compile(r'^[0-9a-f]{64}\Z')
DIGEST_RE = re.compile(r'^sha256:[0-9a-f]{64}\Z')
BLOB_NAME_RE = re.compile(r'^sha256-([0-9a-f]{64})\Z')
BUNDLE_ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z')
VERSION_RE = re.compile(r'(?:^|[^0-9.])v?([0-9]+\.[0-9]+\.[0-9]+(?:-rc[0-9]+)?)(?:[^0-9]|\Z)')
# Largest mtime a tar header holds in its octal field (GNU format would go further, but no date needs to).
MAX_MTIME = 8 ** 11 - 1


class BundleError(Exception):
    """A bundle, an input or an option broke a rule. ``str()`` is the whole message for the user."""


# --------------------------------------------------------------------------------------------------------------------
# Hashing


class Hasher(object):
    """SHA-256 of files or byte ranges of files, many at once on a thread pool.

    hashlib releases the GIL while it hashes a buffer larger than 2 KiB, so threads reading 4 MiB pieces hash on
    every core. Within one Hasher (one module run) a range already hashed is not hashed again: the cache key is the
    path, offset, length, file size and mtime in nanoseconds.
    """

    def __init__(self, workers=None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.files_hashed = 0
        self.bytes_hashed = 0
        self.cache_hits = 0
        self._cache = {}
        self._lock = threading.Lock()

    def digest(self, path, offset=0, length=None, label=None):
        """Hex SHA-256 of ``length`` bytes of ``path`` from ``offset`` (the rest of the file when ``length`` is None).

        :raises BundleError: the file cannot be read or is shorter than the range (naming ``label`` or the path).
        """
        label = label or path
        try:
            st = os.stat(path)
        except OSError as exc:
            raise BundleError('%s: cannot be read (%s)' % (label, exc.strerror or exc))
        if length is None:
            length = st.st_size - offset
        key = (path, offset, length, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._cache:
                self.cache_hits += 1
                return self._cache[key]
        sha = hashlib.sha256()
        buf = bytearray(min(CHUNK, max(length, 1)))
        view = memoryview(buf)
        remaining = length
        try:
            with open(path, 'rb', buffering=0) as handle:
                if offset:
                    handle.seek(offset)
                while remaining > 0:
                    got = handle.readinto(view[:min(len(buf), remaining)])
                    if not got:
                        raise BundleError('%s: only %d of %d bytes could be read; the file is truncated'
                                          % (label, length - remaining, length))
                    sha.update(view[:got])
                    remaining -= got
        except OSError as exc:
            raise BundleError('%s: cannot be read (%s)' % (label, exc.strerror or exc))
        hexdigest = sha.hexdigest()
        with self._lock:
            self._cache[key] = hexdigest
            self.files_hashed += 1
            self.bytes_hashed += length
        return hexdigest

    def digest_many(self, items):
        """``[(path, offset, length, label)] -> [hex]`` in the same order, hashed on ``workers`` threads (largest
        first, so one big blob does not finish last alone)."""
        items = list(items)
        if self.workers == 1 or len(items) < 2:
            return [self.digest(*item) for item in items]
        order = sorted(range(len(items)), key=lambda i: -(items[i][2] or 0))
        results = [None] * len(items)
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            futures = [(i, pool.submit(self.digest, *items[i])) for i in order]
            for i, future in futures:
                results[i] = future.result()
        return results


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------------------------------
# Option checks (before any I/O)


def normalise_arch(value, name):
    """``amd64``/``x86_64`` -> ``amd64``, ``arm64``/``aarch64`` -> ``arm64`` (what ``ansible_facts['architecture']``
    says works as well as Debian's name)."""
    if not isinstance(value, str) or value.lower() not in ARCH_ALIASES:
        raise InvalidValue('%s is %s: an architecture is one of amd64, arm64 (or x86_64, aarch64 as Ansible facts name '
                           'them)' % (name, show(value)))
    return ARCH_ALIASES[value.lower()]


def check_sha256(value, name):
    """64 hex digits, with or without ``sha256:`` in front; returned lower-case, without the prefix."""
    check_text(value, name)
    text = value.strip().lower()
    if text.startswith('sha256:'):
        text = text[7:]
    if not HEX_RE.match(text):
        raise InvalidValue('%s is %s: a SHA-256 checksum is 64 hexadecimal digits (optionally after "sha256:")'
                           % (name, show(value)))
    return text


def check_file_name(value, name):
    """A file's base name that can stand in SHA256SUMS and a tar member name as it is."""
    if not value or value in ('.', '..') or '/' in value or '\\' in value or bad_chars(value) or value.startswith('.'):
        raise InvalidValue('%s has the file name %s: a bundled file needs a plain name (no "/", "\\", control '
                           'characters or leading ".")' % (name, show(value)))
    return value


def parse_created(value, name='created'):
    """``created`` as an ISO 8601 time with a zone -> (``YYYY-MM-DDTHH:MM:SSZ``, epoch seconds)."""
    check_text(value, name, max_len=64)
    try:
        when = datetime.datetime.fromisoformat(value.strip().replace('Z', '+00:00').replace('z', '+00:00'))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidValue('%s is %s: write an ISO 8601 time with its zone, for example 2026-01-31T12:00:00Z'
                           % (name, show(value)))
    epoch = int(when.timestamp())
    if not 0 <= epoch <= MAX_MTIME:
        raise InvalidValue('%s is %s: it must be between 1970 and 10680' % (name, show(value)))
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'), epoch


def _optional_text(options, key):
    value = options.get(key)
    if value is None:
        return None
    return check_text(value, key, max_len=256)


def _list_of_dicts(options, key, fields):
    value = options.get(key) or []
    if not isinstance(value, list):
        raise InvalidValue('%s must be a list of mappings with %s' % (key, ', '.join(fields)))
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidValue('%s[%d] must be a mapping with %s' % (key, i, ', '.join(fields)))
        for field in fields:
            if item.get(field) is None:
                raise InvalidValue('%s[%d] has no %s; each entry needs %s' % (key, i, field, ', '.join(fields)))
    return value


# --------------------------------------------------------------------------------------------------------------------
# Build


def parse_sha256sum(text, source):
    """sha256sum output -> {file name: hex}; ``./`` and the binary-mode ``*`` before a name are dropped."""
    sums = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = re.match(r'^([0-9a-fA-F]{64}) [ *](.+)\Z', line)
        if not match:
            raise BundleError('%s line %d is %s: a sha256sum line is 64 hex digits, two spaces, a file name'
                              % (source, number, show(line)))
        sums[posixpath.basename(match.group(2).strip())] = match.group(1).lower()
    return sums


def _read_json(data, label):
    try:
        return json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError('%s is not valid JSON (%s)' % (label, exc))


def _read_small(path, label):
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_META + 1)
    except OSError as exc:
        raise BundleError('%s: cannot be read (%s)' % (label, exc.strerror or exc))
    if len(data) > MAX_META:
        raise BundleError('%s is larger than %d bytes; that is not a manifest or index' % (label, MAX_META))
    return data


def manifest_layers(manifest, label):
    """The config and layers of an Ollama manifest as [(digest, size, media type)]; each checked for shape."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get('layers', []), list):
        raise BundleError('%s: a manifest is a JSON object with "config" and "layers"' % label)
    entries = list(manifest.get('layers') or [])
    if manifest.get('config'):
        entries.insert(0, manifest['config'])
    out = []
    for entry in entries:
        digest = entry.get('digest') if isinstance(entry, dict) else None
        size = entry.get('size') if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not DIGEST_RE.match(digest):
            raise BundleError('%s names the digest %s: a digest is sha256: and 64 lower-case hex digits'
                              % (label, show(digest)))
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise BundleError('%s gives blob %s the size %s: a size is a whole number of bytes' % (label, digest, show(size)))
        out.append((digest, size, entry.get('mediaType') or ''))
    return out


def image_id_from_archive(path, label):
    """The image id (``sha256:<hex>`` of its config) and repo tags of a ``docker save`` archive, read from its
    manifest.json (or its OCI index.json) without Docker."""
    try:
        with tarfile.open(path, 'r:*') as tar:
            names = {m.name[2:] if m.name.startswith('./') else m.name: m for m in tar.getmembers()}

            def read(name):
                member = names.get(name)
                if member is None or not member.isfile() or member.size > MAX_META:
                    raise BundleError('%s: the docker-save archive has no file %s' % (label, name))
                return tar.extractfile(member).read()

            if 'manifest.json' in names:
                manifest = _read_json(read('manifest.json'), '%s manifest.json' % label)
                if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
                    raise BundleError('%s: manifest.json is not a list of images' % label)
                entry = manifest[0]
                config = entry.get('Config') or ''
                tags = [t for t in entry.get('RepoTags') or [] if isinstance(t, str)]
                config_hex = sha256_bytes(read(config))
                return 'sha256:' + config_hex, tags
            if 'index.json' in names:
                index = _read_json(read('index.json'), '%s index.json' % label)
                manifests = index.get('manifests') if isinstance(index, dict) else None
                if not manifests or not isinstance(manifests[0], dict) or not DIGEST_RE.match(str(manifests[0].get('digest'))):
                    raise BundleError('%s: index.json lists no image manifest' % label)
                tags = [m.get('annotations', {}).get('io.containerd.image.name') for m in manifests
                        if isinstance(m, dict) and isinstance(m.get('annotations'), dict)]
                manifest = _read_json(read('blobs/sha256/' + manifests[0]['digest'][7:]), '%s image manifest' % label)
                config = manifest.get('config', {}).get('digest') if isinstance(manifest, dict) else None
                if not isinstance(config, str) or not DIGEST_RE.match(config):
                    raise BundleError('%s: the image manifest names no config digest' % label)
                return config, [t for t in tags if t]
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError('%s: cannot be read as a docker-save archive (%s)' % (label, exc))
    raise BundleError('%s: a docker-save archive holds manifest.json or index.json; this one holds neither' % label)


def _version_from(path):
    for part in (os.path.basename(path), os.path.basename(os.path.dirname(path))):
        match = VERSION_RE.search(part)
        if match:
            return match.group(1)
    return None


def _check_build_options(options):
    dest = check_abs_path(options.get('dest'), 'dest') if options.get('dest') is not None else None
    if dest is None:
        raise InvalidValue('dest is required with state=built: the directory to write the archive into')
    models = options.get('models') or []
    model_names = []
    for i, name in enumerate(models):
        try:
            model_names.append(validate_model_name(name, allowed_registries=None, option='models[%d]' % i))
        except ModelNameError as exc:
            raise InvalidValue(str(exc))
    if model_names and options.get('models_dir') is None:
        raise InvalidValue('models_dir is required when models are listed: the Ollama store (OLLAMA_MODELS) to take them from')
    if options.get('models_dir') is not None:
        check_abs_path(options['models_dir'], 'models_dir')
    archives = [dict(item) for item in _list_of_dicts(options, 'ollama_archives', ('path', 'arch'))]
    for i, item in enumerate(archives):
        check_abs_path(item['path'], 'ollama_archives[%d].path' % i)
        check_file_name(os.path.basename(item['path']), 'ollama_archives[%d].path' % i)
        item['arch'] = normalise_arch(item['arch'], 'ollama_archives[%d].arch' % i)
    if archives and options.get('ollama_sha256sum_file') is None and not options.get('ollama_sha256sums'):
        raise InvalidValue('ollama_archives need their published checksums: give ollama_sha256sum_file (the release\'s '
                           'sha256sum.txt) or ollama_sha256sums')
    if options.get('ollama_sha256sum_file') is not None:
        check_abs_path(options['ollama_sha256sum_file'], 'ollama_sha256sum_file')
    inline = {}
    for key, value in (options.get('ollama_sha256sums') or {}).items():
        inline[check_file_name(key, 'ollama_sha256sums')] = check_sha256(value, 'ollama_sha256sums.%s' % key)
    images = _list_of_dicts(options, 'images', ('image', 'archive'))
    for i, item in enumerate(images):
        check_text(item['image'], 'images[%d].image' % i, max_len=512)
        check_abs_path(item['archive'], 'images[%d].archive' % i)
        check_file_name(os.path.basename(item['archive']), 'images[%d].archive' % i)
    packages = options.get('packages') or []
    for i, path in enumerate(packages):
        check_abs_path(path, 'packages[%d]' % i)
        check_file_name(os.path.basename(path), 'packages[%d]' % i)
    archs = options.get('architectures')
    if archs:
        archs = sorted({normalise_arch(a, 'architectures[%d]' % i) for i, a in enumerate(archs)})
    else:
        archs = sorted({item['arch'] for item in archives})
    if not archs:
        raise InvalidValue('architectures must name at least one of amd64, arm64 (or give ollama_archives, whose '
                           'architectures are then used)')
    for i, item in enumerate(archives):
        if item['arch'] not in archs:
            raise InvalidValue('ollama_archives[%d].arch is %s, which is not in architectures (%s)'
                               % (i, item['arch'], ', '.join(archs)))
    if archives:
        missing = [a for a in archs if a not in {item['arch'] for item in archives}]
        if missing:
            raise InvalidValue('architectures lists %s but ollama_archives has no archive for it; a host of that '
                               'architecture could not install Ollama from the bundle' % ', '.join(missing))
    seen = {}
    for member in (['ollama/' + os.path.basename(a['path']) for a in archives]
                   + ['images/' + os.path.basename(i['archive']) for i in images]
                   + ['packages/' + os.path.basename(p) for p in packages]):
        if member in seen:
            raise InvalidValue('two inputs would both be bundled as %s; give them different file names' % member)
        seen[member] = True
    bundle_id = options.get('bundle_id')
    if bundle_id is not None:
        check_text(bundle_id, 'bundle_id', max_len=64)
        if not BUNDLE_ID_RE.match(bundle_id):
            raise InvalidValue('bundle_id is %s: a bundle id is 1-64 letters, digits, ".", "_" and "-", starting with '
                               'a letter or digit' % show(bundle_id))
    if options.get('created') is not None:
        created, mtime = parse_created(options['created'])
    elif os.environ.get('SOURCE_DATE_EPOCH', '').isdigit():
        mtime = min(int(os.environ['SOURCE_DATE_EPOCH']), MAX_MTIME)
        created = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    else:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        created, mtime = now.strftime('%Y-%m-%dT%H:%M:%SZ'), int(now.timestamp())
    version = _optional_text(options, 'ollama_version')
    if archives and version is None:
        found = {_version_from(a['path']) for a in archives}
        if len(found) != 1 or None in found:
            raise InvalidValue('ollama_version is not given and the Ollama version cannot be read from the archive '
                               'names or their directories (%s); set ollama_version'
                               % ', '.join(a['path'] for a in archives))
        version = found.pop()
    return dict(dest=dest, models=model_names, models_dir=options.get('models_dir'), archives=archives, inline=inline,
                images=images, packages=packages, architectures=archs, bundle_id=bundle_id, created=created,
                mtime=mtime, version=version, builder=_optional_text(options, 'builder'),
                collection_version=_optional_text(options, 'collection_version'),
                collection_commit=_optional_text(options, 'collection_commit'))


def _collect_models(opts, sources):
    """Read each model's manifest from the store; add its blobs to ``sources``; return the deployment entries."""
    store = opts['models_dir']
    models = []
    for model in opts['models']:
        rel = posixpath.join('manifests', model.host, model.namespace, model.model, model.tag)
        path = os.path.join(store, *rel.split('/'))
        if not os.path.isfile(path):
            raise BundleError('model %s is not in the store %s: there is no manifest at %s'
                              % (model.full, store, path))
        raw = _read_small(path, 'the manifest of %s (%s)' % (model.full, path))
        label = 'the manifest of model %s (%s)' % (model.full, path)
        layers = manifest_layers(_read_json(raw, label), label)
        blobs = []
        for digest, size, media in layers:
            blob = os.path.join(store, 'blobs', 'sha256-' + digest[7:])
            try:
                st = os.stat(blob)
            except OSError:
                raise BundleError('%s names blob %s, which is not in the store (no file %s); a manifest must only name '
                                  'blobs that exist' % (label, digest, blob))
            if not stat.S_ISREG(st.st_mode) or st.st_size != size:
                raise BundleError('%s gives blob %s the size %d, but %s holds %d bytes; a blob must have the size its '
                                  'manifest says' % (label, digest, size, blob, st.st_size))
            member = 'models/blobs/sha256-' + digest[7:]
            sources[member] = dict(path=blob, size=size, expect=digest[7:], kind='blob')
            blobs.append(dict(digest=digest, size=size, media_type=media))
        sources['models/' + rel] = dict(data=raw, size=len(raw))
        models.append(dict(name=model.full, short=model.short, manifest='models/' + rel, digest=sha256_bytes(raw),
                           size=sum(b['size'] for b in blobs), blobs=blobs))
    return models


def _stat_size(path, label):
    try:
        st = os.stat(path)
    except OSError as exc:
        raise BundleError('%s %s: cannot be read (%s)' % (label, path, exc.strerror or exc))
    if not stat.S_ISREG(st.st_mode):
        raise BundleError('%s %s is not a regular file' % (label, path))
    return st.st_size


def _tarinfo(name, size, mtime):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = 'root'
    info.type = tarfile.REGTYPE
    return info


class _HashingWriter(object):
    """A write-only file object that hashes what passes through it and writes it on (or nowhere, in check mode)."""

    def __init__(self, handle=None):
        self.handle = handle
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        if self.handle is not None:
            self.handle.write(data)
        return len(data)


def write_tar(sink, members, mtime):
    """Write ``members`` ({name: {'path'|'data', 'size'}}) as a reproducible tar into ``sink``, sorted by name."""
    with tarfile.open(fileobj=sink, mode='w|', format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(members):
            source = members[name]
            info = _tarinfo(name, source['size'], mtime)
            if 'data' in source:
                tar.addfile(info, io.BytesIO(source['data']))
            else:
                with open(source['path'], 'rb') as handle:
                    tar.addfile(info, handle)


def _read_bundle_meta(path):
    """(SHA256SUMS bytes, deployment.json bytes) of an existing archive, or (None, None) if it cannot be read."""
    try:
        with tarfile.open(path, 'r:') as tar:
            out = []
            for name in (SUMS, DEPLOYMENT):
                member = tar.getmember(name)
                out.append(tar.extractfile(member).read(MAX_META) if member.isfile() else None)
            return tuple(out)
    except (tarfile.TarError, EOFError, OSError, KeyError):
        return None, None


def build_bundle(options, hasher, check_mode=False):
    """Collect the inputs, check every digest, write ``ai-coding-bundle-<id>.tar`` and its ``.sha256`` into dest.

    Everything is read and checked before anything is written; the archive is written under a temporary name in
    dest and renamed at the end, so a failure leaves no partial archive. Returns the module result.
    """
    opts = _check_build_options(options)
    sources = {}
    models = _collect_models(opts, sources) if opts['models'] else []

    sums_published = dict(opts['inline'])
    if options.get('ollama_sha256sum_file') is not None:
        sums_file = options['ollama_sha256sum_file']
        text = _read_small(sums_file, 'ollama_sha256sum_file %s' % sums_file).decode('utf-8', 'replace')
        sums_published.update(parse_sha256sum(text, 'ollama_sha256sum_file %s' % sums_file))
    ollama = []
    for item in opts['archives']:
        base = os.path.basename(item['path'])
        if base not in sums_published:
            raise BundleError('Ollama archive %s is not listed in the release checksums (%s); only an archive whose '
                              'published SHA-256 is known can be bundled' % (item['path'], ', '.join(sorted(sums_published)) or 'none given'))
        member = 'ollama/' + base
        sources[member] = dict(path=item['path'], size=_stat_size(item['path'], 'Ollama archive'),
                               expect=sums_published[base], kind='ollama archive')
        ollama.append(dict(arch=item['arch'], file=member))
    images = []
    for item in opts['images']:
        member = 'images/' + os.path.basename(item['archive'])
        sources[member] = dict(path=item['archive'], size=_stat_size(item['archive'], 'image archive'))
        image_id, tags = image_id_from_archive(item['archive'], 'image archive %s' % item['archive'])
        images.append(dict(image=item['image'], file=member, id=image_id, repo_tags=tags))
    packages = []
    for path in opts['packages']:
        member = 'packages/' + os.path.basename(path)
        sources[member] = dict(path=path, size=_stat_size(path, 'package'))
        packages.append(dict(file=member))

    # Every file is hashed once, in parallel; a blob must hash to its name, an Ollama archive to its published sum.
    files = sorted(name for name in sources if 'path' in sources[name])
    digests = dict(zip(files, hasher.digest_many([(sources[n]['path'], 0, sources[n]['size'], sources[n]['path'])
                                                  for n in files])))
    for name in files:
        source = sources[name]
        if source.get('expect') and digests[name] != source['expect']:
            if source['kind'] == 'blob':
                raise BundleError('blob %s : content hashes to sha256:%s, not the digest in its name; the store is '
                                  'damaged, pull the model again' % (source['path'], digests[name]))
            raise BundleError('%s %s hashes to sha256:%s, but the release checksums say %s; refusing to bundle it'
                              % (source['kind'], source['path'], digests[name], source['expect']))
    for name in sources:
        if 'data' in sources[name]:
            digests[name] = sha256_bytes(sources[name]['data'])
    if ollama:
        lines = ''.join('%s  %s\n' % (digests[o['file']], o['file'][7:]) for o in sorted(ollama, key=lambda o: o['file']))
        sources['ollama/sha256sum.txt'] = dict(data=lines.encode('ascii'), size=len(lines))
        digests['ollama/sha256sum.txt'] = sha256_bytes(lines.encode('ascii'))
    for entry in ollama + images + packages:
        entry['sha256'] = digests[entry['file']]
        entry['size'] = sources[entry['file']]['size']

    deployment = dict(
        schema_version=SCHEMA_VERSION,
        created=opts['created'],
        builder=opts['builder'],
        collection=dict(name='selfhosted.ai_coding', version=opts['collection_version'], commit=opts['collection_commit']),
        architectures=opts['architectures'],
        ollama=dict(version=opts['version'], archives=ollama),
        models=models,
        images=images,
        packages=packages,
        files={name: digests[name] for name in sorted(sources)},
    )
    content_digest = sha256_bytes(json.dumps(deployment, sort_keys=True, separators=(',', ':')).encode('utf-8'))
    deployment['content_digest'] = 'sha256:' + content_digest
    bundle_id = opts['bundle_id'] or content_digest[:16]
    deployment['bundle_id'] = bundle_id
    deployment_raw = (json.dumps(deployment, sort_keys=True, indent=2) + '\n').encode('utf-8')
    sources[DEPLOYMENT] = dict(data=deployment_raw, size=len(deployment_raw))
    digests[DEPLOYMENT] = sha256_bytes(deployment_raw)
    sums_raw = ''.join('%s  %s\n' % (digests[name], name) for name in sorted(sources)).encode('utf-8')
    sources[SUMS] = dict(data=sums_raw, size=len(sums_raw))

    archive_name = ARCHIVE_PREFIX + bundle_id + '.tar'
    archive = os.path.join(opts['dest'], archive_name)
    sidecar = archive + '.sha256'
    result = dict(changed=True, state='built', bundle_id=bundle_id, content_digest='sha256:' + content_digest,
                  archive=archive, checksum_file=sidecar, deployment=deployment,
                  files=len(sources), models=len(models), blobs=sum(1 for s in sources.values() if s.get('kind') == 'blob'))

    # Already there with the same content and an intact archive: nothing to do.
    if os.path.isfile(archive) and os.path.isfile(sidecar):
        existing_sums, existing_deployment = _read_bundle_meta(archive)
        if existing_sums == sums_raw and existing_deployment == deployment_raw:
            recorded = _read_small(sidecar, sidecar).decode('ascii', 'replace').split()
            actual = hasher.digest(archive)
            if recorded and recorded[0].lower() == actual:
                result.update(changed=False, archive_sha256=actual, archive_size=os.path.getsize(archive))
                return _with_counts(result, hasher)

    if check_mode:
        sink = _HashingWriter()
        write_tar(sink, sources, opts['mtime'])
        result.update(archive_sha256=sink.sha.hexdigest(), archive_size=sink.size)
        return _with_counts(result, hasher)

    os.makedirs(opts['dest'], 0o755, exist_ok=True)
    tmp_tar = tmp_sum = None
    try:
        fd, tmp_tar = tempfile.mkstemp(prefix='.' + archive_name + '.', suffix='.tmp', dir=opts['dest'])
        with os.fdopen(fd, 'wb') as handle:
            sink = _HashingWriter(handle)
            write_tar(sink, sources, opts['mtime'])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_tar, 0o644)
        fd, tmp_sum = tempfile.mkstemp(prefix='.' + archive_name + '.sha256.', suffix='.tmp', dir=opts['dest'])
        with os.fdopen(fd, 'w') as handle:
            handle.write('%s  %s\n' % (sink.sha.hexdigest(), archive_name))
        os.chmod(tmp_sum, 0o644)
        os.replace(tmp_tar, archive)
        tmp_tar = None
        os.replace(tmp_sum, sidecar)
        tmp_sum = None
    except OSError as exc:
        raise BundleError('could not write the bundle into %s: %s' % (opts['dest'], exc))
    finally:
        for leftover in (tmp_tar, tmp_sum):
            if leftover and os.path.lexists(leftover):
                os.unlink(leftover)
    result.update(archive_sha256=sink.sha.hexdigest(), archive_size=sink.size)
    return _with_counts(result, hasher)


def _with_counts(result, hasher):
    result.update(files_hashed=hasher.files_hashed, bytes_hashed=hasher.bytes_hashed, cache_hits=hasher.cache_hits)
    return result


# --------------------------------------------------------------------------------------------------------------------
# Verify and extract


def _member_rule_error(archive, name, rule):
    return BundleError('member %s of %s: %s' % (show(name), archive, rule))


def _resolve_inside(path, links):
    """Resolve ``path`` within the bundle as the kernel would after extraction, following the bundle's own symbolic
    links (``links``: member name -> link target). ``None`` when it leaves the bundle or loops."""
    parts, todo, hops = [], path.split('/'), 0
    while todo:
        comp = todo.pop(0)
        if comp in ('', '.'):
            continue
        if comp == '..':
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(comp)
        current = '/'.join(parts)
        if current in links:
            hops += 1
            target = links[current]
            if hops > 40 or target.startswith('/'):
                return None
            parts.pop()
            todo = target.split('/') + todo
    return '/'.join(parts)


def parse_sums(data, archive):
    """The bundle's SHA256SUMS -> {member: hex}; every line must be well formed and name a plain relative path."""
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        raise BundleError('SHA256SUMS of %s is not UTF-8 text' % archive)
    sums = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r'^([0-9a-f]{64}) [ *](.+)\Z', line)
        if not match or not _plain_name(match.group(2)):
            raise BundleError('SHA256SUMS of %s, line %d is %s: each line is 64 lower-case hex digits, two spaces and a '
                              'relative path inside the bundle' % (archive, number, show(line)))
        if match.group(2) in sums:
            raise BundleError('SHA256SUMS of %s lists %s twice' % (archive, show(match.group(2))))
        sums[match.group(2)] = match.group(1)
    return sums


def _plain_name(name):
    return bool(name) and not name.startswith('/') and posixpath.normpath(name) == name and \
        '..' not in name.split('/') and not bad_chars(name) and '\\' not in name


class _Walk(object):
    """The members of a bundle archive, each checked against the rules before anything is extracted."""

    def __init__(self, archive, tar):
        self.archive = archive
        self.members = []
        self.by_name = {}
        self.links = {}
        last, read = None, 0
        try:
            for member in tar:
                self.members.append(member)
                last, read = member.name, member.offset_data + member.size
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BundleError('archive %s is truncated or damaged: tar could not read %s (%d bytes read, %d members%s); '
                              'a bundle must be complete before anything is extracted'
                              % (archive, 'past member %s' % show(last) if last else 'its first member', read,
                                 len(self.members), ': %s' % exc))
        for member in self.members:
            self._check(member)
        for member in self.members:
            if member.issym():
                target = _resolve_inside(posixpath.join(posixpath.dirname(member.name), member.linkname), self.links)
                if target is None:
                    raise _member_rule_error(archive, member.name, 'a symbolic link to %s, which resolves outside the '
                                             'bundle; links must stay inside it' % show(member.linkname))
        for member in self.members:
            parts = member.name.split('/')
            for end in range(1, len(parts)):
                parent = '/'.join(parts[:end])
                if parent in self.links:
                    raise _member_rule_error(archive, member.name, 'its directory %s is a symbolic link in the bundle; '
                                             'members are never written through links' % show(parent))

    def _check(self, member):
        name = member.name
        if not _plain_name(name):
            raise _member_rule_error(self.archive, name, 'a member name must be a relative path inside the bundle '
                                     '(no "..", no leading "/", no "." or empty components)')
        if name in self.by_name:
            raise _member_rule_error(self.archive, name, 'the archive holds it twice; a bundle lists each member once')
        self.by_name[name] = member
        if member.isfile() or member.isdir():
            return
        if member.issym():
            if member.linkname.startswith('/') or not member.linkname or bad_chars(member.linkname):
                raise _member_rule_error(self.archive, name, 'a symbolic link to %s, which resolves outside the bundle; '
                                         'links must stay inside it' % show(member.linkname))
            self.links[name] = member.linkname
            return
        if member.islnk():
            target = self.by_name.get(member.linkname)
            if target is None or not target.isfile():
                raise _member_rule_error(self.archive, name, 'a hard link to %s, which is not a file earlier in the '
                                         'bundle; hard links must point at a file inside it' % show(member.linkname))
            return
        kind = {tarfile.CHRTYPE: 'a character device', tarfile.BLKTYPE: 'a block device',
                tarfile.FIFOTYPE: 'a FIFO'}.get(member.type, 'a member of tar type %r' % member.type)
        raise _member_rule_error(self.archive, name, '%s; a bundle holds only regular files, directories and links '
                                 'inside it' % kind)

    def resolve_file(self, name):
        """The regular-file member that ``name`` (a file, hard link or symbolic link) finally reads, or None."""
        for _hop in range(41):
            member = self.by_name.get(name)
            if member is None:
                return None
            if member.isfile():
                return member
            if member.islnk():
                name = member.linkname
            elif member.issym():
                name = _resolve_inside(posixpath.join(posixpath.dirname(name), member.linkname), self.links)
                if name is None:
                    return None
            else:
                return None
        return None

    def read(self, tar, name, limit=MAX_META):
        member = self.resolve_file(name)
        if member is None:
            raise BundleError('archive %s has no file %s; every bundle has one' % (self.archive, name))
        if member.size > limit:
            raise BundleError('%s in %s is %d bytes, more than %d; refusing to read it' % (name, self.archive, member.size, limit))
        try:
            return tar.extractfile(member).read()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BundleError('archive %s is truncated or damaged: %s could not be read (%s)' % (self.archive, name, exc))


def _expected_digest(options, src):
    if options.get('expected_sha256') is not None:
        return check_sha256(options['expected_sha256'], 'expected_sha256'), 'expected_sha256'
    sidecar = src + '.sha256'
    try:
        with open(sidecar, 'rb') as handle:
            words = handle.read(4096).decode('ascii', 'replace').split()
    except OSError as exc:
        raise BundleError('no checksum to verify %s against: give expected_sha256, or place %s beside it (%s)'
                          % (src, sidecar, exc.strerror or exc))
    if not words or not HEX_RE.match(words[0].lower()):
        raise BundleError('%s does not start with a SHA-256 checksum (64 hex digits)' % sidecar)
    if len(words) > 1 and posixpath.basename(words[1].lstrip('*')) != os.path.basename(src):
        raise BundleError('%s is the checksum of %s, not of %s' % (sidecar, show(words[1]), os.path.basename(src)))
    return words[0].lower(), sidecar


def check_deployment(raw, archive, arch):
    deployment = _read_json(raw, 'deployment.json of %s' % archive)
    if not isinstance(deployment, dict) or deployment.get('schema_version') != SCHEMA_VERSION:
        raise BundleError('deployment.json of %s has schema_version %s; this collection reads schema %d'
                          % (archive, show(deployment.get('schema_version') if isinstance(deployment, dict) else None), SCHEMA_VERSION))
    bundle_id = deployment.get('bundle_id')
    if not isinstance(bundle_id, str) or not BUNDLE_ID_RE.match(bundle_id):
        raise BundleError('deployment.json of %s has the bundle id %s: a bundle id is 1-64 letters, digits, ".", "_" '
                          'and "-"' % (archive, show(bundle_id)))
    archs = deployment.get('architectures')
    if not isinstance(archs, list) or arch not in archs:
        raise BundleError('deployment.json of %s is for architectures %s, and this host is %s; build a bundle that lists %s'
                          % (archive, ', '.join(str(a) for a in archs) if isinstance(archs, list) else show(archs), arch, arch))
    return deployment


class _View(object):
    """Where each bundle file's bytes are: {member: (path, offset, size)}, in the archive or in an extracted tree."""

    def __init__(self, places, reader):
        self.places = places
        self.reader = reader

    def read(self, name):
        return self.reader(name)


def check_contents(view, sums, deployment, hasher, where):
    """Every blob hashes to its name, SHA256SUMS holds for every file, every manifest's config and layers exist with
    their size, and deployment.json's models, images and archives are the files it names. ``where`` names the
    archive or directory in messages."""
    names = sorted(sums)
    digests = dict(zip(names, hasher.digest_many([view.places[n] + ('%s in %s' % (n, where),) for n in names])))
    for name in names:
        if name.startswith('models/blobs/'):
            match = BLOB_NAME_RE.match(name[len('models/blobs/'):])
            if not match:
                raise BundleError('blob %s in %s: a blob is named sha256-<64 hex digits>' % (name, where))
            if digests[name] != match.group(1):
                raise BundleError('blob %s : content hashes to sha256:%s, not the digest in its name (in %s)'
                                  % (name, digests[name], where))
    for name in names:
        if digests[name] != sums[name]:
            raise BundleError('file %s in %s hashes to sha256:%s, but SHA256SUMS says %s; the bundle was changed after '
                              'it was built' % (name, where, digests[name], sums[name]))
    blobs = 0
    for name in names:
        if not name.startswith('models/manifests/'):
            continue
        label = 'manifest %s in %s' % (name, where)
        for digest, size, _media in manifest_layers(_read_json(view.read(name), label), label):
            blob = 'models/blobs/sha256-' + digest[7:]
            if blob not in view.places:
                raise BundleError('%s names blob %s, which is not in the bundle; a manifest must only name blobs the '
                                  'bundle holds' % (label, digest))
            if view.places[blob][2] != size:
                raise BundleError('%s gives blob %s the size %d, but the bundle\'s blob holds %d bytes'
                                  % (label, digest, size, view.places[blob][2]))
            blobs += 1
    for model in deployment.get('models') or []:
        manifest = model.get('manifest') if isinstance(model, dict) else None
        if manifest not in digests or digests[manifest] != model.get('digest'):
            raise BundleError('deployment.json of %s lists model %s with manifest %s and digest %s, but the bundle %s'
                              % (where, show(model.get('name') if isinstance(model, dict) else model), show(manifest),
                                 show(model.get('digest') if isinstance(model, dict) else None),
                                 'holds another digest' if manifest in digests else 'has no such file'))
    for section in ('images', 'packages'):
        for entry in deployment.get(section) or []:
            if not isinstance(entry, dict) or entry.get('file') not in digests or digests[entry['file']] != entry.get('sha256'):
                raise BundleError('deployment.json of %s lists %s %s, which the bundle does not hold with that checksum'
                                  % (where, section[:-1], show(entry.get('file') if isinstance(entry, dict) else entry)))
    return dict(files=len(names), blobs=sum(1 for n in names if n.startswith('models/blobs/')), layers_checked=blobs)


def _find_done(dest, digest):
    """The extracted bundle in ``dest`` whose marker holds ``digest`` (the archive's), or None."""
    try:
        entries = sorted(os.listdir(dest))
    except OSError:
        return None
    for entry in entries:
        path = os.path.join(dest, entry)
        if entry.endswith(PARTIAL) or os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            with open(os.path.join(path, MARKER), 'rb') as handle:
                words = handle.read(256).decode('ascii', 'replace').split()
        except OSError:
            continue
        if words and words[0] == digest:
            return path
    return None


def _extract(tar, walk, root):
    """Write every member under ``root`` (which exists and is empty); regular files 0644, directories 0755, links as
    they are (each was checked to stay inside). Never follows a link while writing (O_NOFOLLOW, O_EXCL)."""
    real_root = os.path.realpath(root)
    for member in walk.members:
        path = os.path.join(root, *member.name.split('/'))
        parent = os.path.dirname(path)
        os.makedirs(parent, 0o755, exist_ok=True)
        if os.path.realpath(parent) != real_root and not os.path.realpath(parent).startswith(real_root + os.sep):
            raise _member_rule_error(walk.archive, member.name, 'its directory resolves outside the bundle')
        if member.isdir():
            os.makedirs(path, 0o755, exist_ok=True)
        elif member.issym():
            os.symlink(member.linkname, path)
        elif member.islnk():
            os.link(os.path.join(root, *member.linkname.split('/')), path, follow_symlinks=False)
        else:
            source = tar.extractfile(member)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o644)
            copied = 0
            with os.fdopen(fd, 'wb') as handle:
                try:
                    while True:
                        piece = source.read(CHUNK)
                        if not piece:
                            break
                        handle.write(piece)
                        copied += len(piece)
                except (tarfile.TarError, EOFError) as exc:
                    raise BundleError('archive %s is truncated or damaged: member %s stopped after %d of %d bytes (%s)'
                                      % (walk.archive, show(member.name), copied, member.size, exc))
            if copied != member.size:
                raise BundleError('archive %s is truncated: member %s has %d of its %d bytes'
                                  % (walk.archive, show(member.name), copied, member.size))
    for name in walk.links:
        resolved = os.path.realpath(os.path.join(root, *name.split('/')))
        if resolved != real_root and not resolved.startswith(real_root + os.sep):
            raise _member_rule_error(walk.archive, name, 'a symbolic link that resolves outside the bundle')


def verify_bundle(options, hasher, extract=False, check_mode=False):
    """Check a bundle archive on the target before anything changes; with ``extract``, unpack it into
    ``<dest>/<id>`` (through ``<dest>/<id>.partial``) and check the unpacked files again. Returns the module result."""
    src = check_abs_path(options.get('src'), 'src') if options.get('src') is not None else None
    if src is None:
        raise InvalidValue('src is required with state=%s: the bundle archive to check' % ('extracted' if extract else 'verified'))
    if options.get('arch') is None:
        raise InvalidValue('arch is required with state=%s: the architecture of this host (amd64 or arm64); a bundle '
                           'built for another one is refused' % ('extracted' if extract else 'verified'))
    arch = normalise_arch(options['arch'], 'arch')
    dest = None
    if extract:
        if options.get('dest') is None:
            raise InvalidValue('dest is required with state=extracted: the directory bundles are extracted into, '
                               'for example /opt/ai-coding/bundles')
        dest = check_abs_path(options['dest'], 'dest')
    expected, expected_from = _expected_digest(options, src)
    if not os.path.isfile(src):
        raise BundleError('archive %s does not exist or is not a regular file' % src)
    result = dict(changed=False, state='extracted' if extract else 'verified', archive=src, archive_sha256=expected)

    if extract:
        done = _find_done(dest, expected)
        if done is not None:
            deployment = check_deployment(_read_small(os.path.join(done, DEPLOYMENT), 'deployment.json in %s' % done),
                                          done, arch)
            result.update(path=done, bundle_id=deployment['bundle_id'], deployment=deployment)
            return _with_counts(result, hasher)

    actual = hasher.digest(src)
    if actual != expected:
        raise BundleError('archive %s hashes to sha256:%s, not the expected sha256:%s (from %s); refusing to open it'
                          % (src, actual, expected, expected_from))
    try:
        tar = tarfile.open(src, 'r:')
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError('archive %s cannot be opened as a plain tar (%s); a bundle is an uncompressed tar' % (src, exc))
    with tar:
        walk = _Walk(src, tar)
        if SUMS not in walk.by_name or DEPLOYMENT not in walk.by_name:
            raise BundleError('archive %s holds no %s; it is not a bundle this collection built'
                              % (src, SUMS if SUMS not in walk.by_name else DEPLOYMENT))
        sums = parse_sums(walk.read(tar, SUMS), src)
        deployment = check_deployment(walk.read(tar, DEPLOYMENT), src, arch)
        for member in walk.members:
            if member.name != SUMS and not member.isdir() and member.name not in sums:
                raise _member_rule_error(src, member.name, 'it is not listed in SHA256SUMS; every file of a bundle must be')
        for name in sorted(sums):
            if walk.resolve_file(name) is None:
                raise BundleError('SHA256SUMS of %s lists %s, which the archive does not hold as a file; the archive is '
                                  'incomplete' % (src, show(name)))
        bundle_id = deployment['bundle_id']
        result.update(bundle_id=bundle_id, deployment=deployment)

        final = os.path.join(dest, bundle_id) if extract else None
        if not extract or check_mode or os.path.lexists(final):
            # Checked inside the archive, nothing written: verified, check mode, and an id already taken in dest
            # (a damaged copy of a bundle already there is still refused for what is wrong with it).
            places = {}
            for name in sums:
                member = walk.resolve_file(name)
                places[name] = (src, member.offset_data, member.size)
            if src and os.path.getsize(src) < max([o + s for _p, o, s in places.values()] or [0]):
                raise BundleError('archive %s is truncated: its members extend past its %d bytes'
                                  % (src, os.path.getsize(src)))
            result.update(check_contents(_View(places, lambda n: walk.read(tar, n)), sums, deployment, hasher, src))
            if extract:
                if os.path.lexists(final):
                    raise BundleError('%s exists but is not this archive\'s verified extraction (no %s marker holding '
                                      'sha256:%s); move it away first' % (final, MARKER, expected))
                result.update(changed=True, path=final)
            return _with_counts(result, hasher)

        partial = final + PARTIAL
        created = []
        probe = dest
        while not os.path.lexists(probe):
            created.append(probe)
            probe = os.path.dirname(probe)
        try:
            os.makedirs(dest, 0o755, exist_ok=True)
            if os.path.lexists(partial):
                # Left by an interrupted run: never registered as done, so it is removed and done again.
                if os.path.isdir(partial) and not os.path.islink(partial):
                    shutil.rmtree(partial)
                else:
                    os.unlink(partial)
            os.mkdir(partial, 0o755)
            _extract(tar, walk, partial)
            places = {}
            for name in sums:
                path = os.path.join(partial, *name.split('/'))
                places[name] = (path, 0, os.path.getsize(path))

            def read(name):
                return _read_small(os.path.join(partial, *name.split('/')), name)

            result.update(check_contents(_View(places, read), sums, deployment, hasher, partial))
            with open(os.path.join(partial, MARKER), 'w') as handle:
                handle.write('%s  %s\n' % (expected, os.path.basename(src)))
            os.rename(partial, final)
        except BaseException as exc:
            if os.path.lexists(partial):
                shutil.rmtree(partial, ignore_errors=True)
            for path in created:
                try:
                    os.rmdir(path)
                except OSError:
                    pass
            if isinstance(exc, OSError):
                raise BundleError('could not extract %s into %s: %s' % (src, partial, exc))
            raise
    result.update(changed=True, path=final)
    return _with_counts(result, hasher)
