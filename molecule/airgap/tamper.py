# Test-bed helper (not part of the collection): writes damaged copies of a good bundle archive for the airgap
# scenario's refusal checks, each with a .sha256 that matches the damaged bytes (so the outer digest passes and the
# inner rule has to catch it, as after a corruption before the checksum was taken).
# SPDX-License-Identifier: GPL-3.0-or-later
"""tamper.py GOOD.tar OUTDIR -> OUTDIR/<case>/ai-coding-bundle-<case>.tar(+.sha256) for each case; prints JSON
{case: {"archive": path, "expect": text the refusal must contain}}."""

import hashlib
import io
import json
import os
import sys
import tarfile


def _sha(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for piece in iter(lambda: handle.read(1 << 20), b''):
            digest.update(piece)
    return digest.hexdigest()


def _out(outdir, case):
    os.makedirs(os.path.join(outdir, case), exist_ok=True)
    return os.path.join(outdir, case, 'ai-coding-bundle-%s.tar' % case)


def _seal(path):
    with open(path + '.sha256', 'w') as handle:
        handle.write('%s  %s\n' % (_sha(path), os.path.basename(path)))


def _rewrite(good, path, drop=(), add=(), replace=None):
    """Copy the tar member by member, dropping names in ``drop``, replacing data via ``replace`` (name -> bytes), and
    appending the TarInfo/data pairs in ``add``."""
    replace = replace or {}
    with tarfile.open(good, 'r:') as src, tarfile.open(path, 'w:', format=tarfile.GNU_FORMAT) as dst:
        for member in src:
            if member.name in drop:
                continue
            if member.name in replace:
                data = replace[member.name]
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            elif member.isfile():
                dst.addfile(member, src.extractfile(member))
            else:
                dst.addfile(member)
        for info, data in add:
            dst.addfile(info, io.BytesIO(data) if data is not None else None)


def main(good, outdir):
    cases = {}
    with tarfile.open(good, 'r:') as tar:
        members = tar.getmembers()
        blob = next(m for m in members if m.name.startswith('models/blobs/'))
        sums = tar.extractfile('SHA256SUMS').read().decode()

    # A flipped byte in the middle of a blob's data.
    path = _out(outdir, 'flip')
    with open(good, 'rb') as handle:
        data = bytearray(handle.read())
    data[blob.offset_data + blob.size // 2] ^= 0x01
    with open(path, 'wb') as handle:
        handle.write(data)
    _seal(path)
    cases['flip'] = {'archive': path, 'expect': blob.name}

    # The archive cut short in the middle of its last member.
    path = _out(outdir, 'truncated')
    last = members[-1]
    with open(path, 'wb') as handle:
        with open(good, 'rb') as source:
            handle.write(source.read()[:last.offset_data + max(last.size // 2, 1)])
    _seal(path)
    cases['truncated'] = {'archive': path, 'expect': 'truncated'}

    # A member whose name climbs out of the bundle.
    path = _out(outdir, 'dotdot')
    info = tarfile.TarInfo('models/../../etc/evil')
    info.size = 4
    _rewrite(good, path, add=[(info, b'evil')])
    _seal(path)
    cases['dotdot'] = {'archive': path, 'expect': 'models/../../etc/evil'}

    # A member with an absolute name (tarfile writes it as given; GNU tar would strip the "/").
    path = _out(outdir, 'absolute')
    info = tarfile.TarInfo('/etc/evil')
    info.size = 4
    _rewrite(good, path, add=[(info, b'evil')])
    _seal(path)
    cases['absolute'] = {'archive': path, 'expect': '/etc/evil'}

    # A symbolic link that points outside the bundle.
    path = _out(outdir, 'symlink')
    info = tarfile.TarInfo('models/escape')
    info.type = tarfile.SYMTYPE
    info.linkname = '../../../../etc/shadow'
    _rewrite(good, path, add=[(info, None)])
    _seal(path)
    cases['symlink'] = {'archive': path, 'expect': 'models/escape'}

    # A manifest naming a blob the bundle does not hold (the blob and its SHA256SUMS line removed).
    path = _out(outdir, 'missing_blob')
    kept = ''.join(line + '\n' for line in sums.splitlines() if not line.endswith('  ' + blob.name))
    _rewrite(good, path, drop={blob.name}, replace={'SHA256SUMS': kept.encode()})
    _seal(path)
    cases['missing_blob'] = {'archive': path, 'expect': 'sha256:' + blob.name.rsplit('sha256-', 1)[1]}

    print(json.dumps(cases, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
