# Unit tests for module_utils/_airgap.py: link resolution, hashing, docker-save ids, in-bundle links, time parsing.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _airgap
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize('path, links, expected', [
    ('models/blobs/x', {}, 'models/blobs/x'),
    ('models/../x', {}, 'x'),
    ('models/../../x', {}, None),
    ('a/l/f', {'a/l': '../b'}, 'b/f'),
    ('a/l/../../..', {'a/l': '..'}, None),        # each link alone looks inside; together they leave
    ('a/m', {'a/m': 'n', 'a/n': 'm'}, None),       # a loop
    ('a/l', {'a/l': '/etc'}, None),
])
def test_resolve_inside_follows_bundle_links_like_the_kernel(path, links, expected):
    assert _airgap._resolve_inside(path, links) == expected


def test_hasher_reads_ranges_and_refuses_a_short_file(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(b'0123456789' * 1000)
    hasher = _airgap.Hasher(workers=2)
    assert hasher.digest(str(path), 10, 20) == sha(b'0123456789' * 2)
    assert hasher.digest(str(path)) == sha(b'0123456789' * 1000)
    with pytest.raises(_airgap.BundleError, match=r'member x: only 9990 of 10000 bytes could be read; the file is truncated'):
        hasher.digest(str(path), 10, 10000, label='member x')


def test_image_id_from_an_oci_layout_archive(tmp_path):
    config = json.dumps({'architecture': 'arm64'}).encode()
    manifest = json.dumps({'schemaVersion': 2, 'config': {'digest': 'sha256:' + sha(config), 'size': len(config)},
                           'layers': []}).encode()
    index = json.dumps({'schemaVersion': 2, 'manifests': [{'digest': 'sha256:' + sha(manifest), 'annotations': {
        'io.containerd.image.name': 'docker.io/library/busybox:1'}}]}).encode()
    path = tmp_path / 'oci.tar'
    with tarfile.open(path, 'w') as tar:
        for name, data in (('index.json', index), ('blobs/sha256/' + sha(manifest), manifest),
                           ('blobs/sha256/' + sha(config), config)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert _airgap.image_id_from_archive(str(path), 'img') == ('sha256:' + sha(config), ['docker.io/library/busybox:1'])
    empty = tmp_path / 'empty.tar'
    with tarfile.open(empty, 'w'):
        pass
    with pytest.raises(_airgap.BundleError, match='holds manifest.json or index.json; this one holds neither'):
        _airgap.image_id_from_archive(str(empty), 'image archive %s' % empty)


def _bundle(path, files, links=()):
    """A minimal bundle archive (deployment.json, SHA256SUMS, ``files``, ``links``) and its .sha256."""
    deployment = json.dumps({'schema_version': 1, 'bundle_id': 'b1', 'architectures': ['amd64']}).encode()
    files = dict(files, **{'deployment.json': deployment})
    sums = ''.join('%s  %s\n' % (sha(data), name) for name, data in sorted(files.items()))
    sums += ''.join('%s  %s\n' % (sha(files[target_file]), name) for name, _kind, _target, target_file in links)
    with tarfile.open(path, 'w', format=tarfile.GNU_FORMAT) as tar:
        for name, data in sorted(dict(files, SHA256SUMS=sums.encode()).items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, kind, target, _file in links:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tar.addfile(info)
    with open(path, 'rb') as handle:
        digest = sha(handle.read())
    with open(str(path) + '.sha256', 'w') as handle:
        handle.write('%s  %s\n' % (digest, os.path.basename(path)))


def test_links_that_stay_inside_are_extracted(tmp_path):
    blob = b'weights' * 100
    name = 'models/blobs/sha256-' + sha(blob)
    archive = tmp_path / 'b.tar'
    _bundle(archive, {name: blob, 'packages/a.deb': b'deb'},
            links=[('models/alias', tarfile.SYMTYPE, 'blobs/sha256-' + sha(blob), name),
                   ('packages/b.deb', tarfile.LNKTYPE, 'packages/a.deb', 'packages/a.deb')])
    dest = tmp_path / 'bundles'
    result = _airgap.verify_bundle(dict(src=str(archive), arch='amd64', dest=str(dest)), _airgap.Hasher(2), extract=True)
    assert result['changed'] and result['bundle_id'] == 'b1'
    assert os.readlink(dest / 'b1' / 'models' / 'alias') == 'blobs/sha256-' + sha(blob)
    assert (dest / 'b1' / 'packages' / 'b.deb').read_bytes() == b'deb'
    assert _airgap.verify_bundle(dict(src=str(archive), arch='amd64'), _airgap.Hasher(2))['files'] == 5


def test_member_written_through_a_link_is_refused(tmp_path):
    archive = tmp_path / 'b.tar'
    _bundle(archive, {'models/x': b'x'}, links=[('models/l', tarfile.SYMTYPE, '.', 'models/x')])
    with tarfile.open(archive, 'a') as tar:
        info = tarfile.TarInfo('models/l/y')
        info.size = 1
        tar.addfile(info, io.BytesIO(b'y'))
    with open(archive, 'rb') as handle:
        (tmp_path / 'b.tar.sha256').write_text(sha(handle.read()) + '\n')
    with pytest.raises(_airgap.BundleError, match=r"member 'models/l/y' of .*: its directory 'models/l' is a symbolic link"):
        _airgap.verify_bundle(dict(src=str(archive), arch='amd64', dest=str(tmp_path / 'd')), _airgap.Hasher(1), extract=True)
    assert not (tmp_path / 'd').exists()


@pytest.mark.parametrize('value, expected', [
    ('2026-01-31T12:00:00Z', ('2026-01-31T12:00:00Z', 1769860800)),
    ('2026-01-31T13:00:00+01:00', ('2026-01-31T12:00:00Z', 1769860800)),
])
def test_parse_created(value, expected):
    assert _airgap.parse_created(value) == expected


@pytest.mark.parametrize('value', ['2026-01-31T12:00:00', 'soon', '1969-12-31T23:59:59Z'])
def test_parse_created_refuses(value):
    with pytest.raises(InvalidValue, match="created is '%s'" % value):
        _airgap.parse_created(value)


def test_sha256sum_file_lines_are_checked():
    assert _airgap.parse_sha256sum('%s  ./ollama-linux-amd64.tgz\n%s *b\n' % ('a' * 64, 'B' * 64), 's') == {
        'ollama-linux-amd64.tgz': 'a' * 64, 'b': 'b' * 64}
    with pytest.raises(_airgap.BundleError, match="s line 1 is 'nope': a sha256sum line is"):
        _airgap.parse_sha256sum('nope\n', 's')
