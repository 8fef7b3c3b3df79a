# Unit tests for the airgap_bundle module: build a bundle from a small store, verify and extract it, refuse bad ones.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _airgap
from ansible_collections.selfhosted.ai_coding.plugins.modules import airgap_bundle

CREATED = '2026-01-31T12:00:00Z'
MODEL = 'qwen2.5-coder:7b'
OTHER = 'team/tiny:v1'


def sha(data):
    return hashlib.sha256(data).hexdigest()


def put_blob(store, data):
    blobs = store / 'blobs'
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / ('sha256-' + sha(data))).write_bytes(data)
    return {'mediaType': 'application/vnd.ollama.image.model', 'digest': 'sha256:' + sha(data), 'size': len(data)}


def put_model(store, host, namespace, model, tag, layers):
    """An Ollama store entry as Ollama writes it: blobs/sha256-<hex> and manifests/<host>/<ns>/<model>/<tag>."""
    config = put_blob(store, json.dumps({'model_format': 'gguf', 'model': model}).encode())
    config['mediaType'] = 'application/vnd.docker.container.image.v1+json'
    manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
                'config': config, 'layers': [put_blob(store, data) for data in layers]}
    path = store / 'manifests' / host / namespace / model / tag
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(manifest).encode()
    path.write_bytes(raw)
    return sha(raw)


def docker_save(path, tag):
    """A docker-save archive as Docker 25+ writes it: manifest.json naming blobs/sha256/<config>."""
    config = json.dumps({'architecture': 'amd64', 'config': {'Cmd': ['/bin/sh']}}).encode()
    layer = b'layer-bytes' * 50
    members = {'blobs/sha256/' + sha(config): config, 'blobs/sha256/' + sha(layer): layer,
               'manifest.json': json.dumps([{'Config': 'blobs/sha256/' + sha(config), 'RepoTags': [tag],
                                             'Layers': ['blobs/sha256/' + sha(layer)]}]).encode()}
    with tarfile.open(path, 'w') as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return 'sha256:' + sha(config)


@pytest.fixture
def inputs(tmp_path):
    """Everything a build takes, under tmp_path/in: a store with two models, an Ollama release, an image, a package."""
    base = tmp_path / 'in'
    store = base / 'models'
    digests = {
        MODEL: put_model(store, 'registry.ollama.ai', 'library', 'qwen2.5-coder', '7b',
                         [os.urandom(3000), b'{{ .Prompt }}', b'{"stop": ["<|im_end|>"]}']),
        OTHER: put_model(store, 'registry.ollama.ai', 'team', 'tiny', 'v1', [os.urandom(2000)]),
    }
    release = base / 'v0.33.1'
    release.mkdir(parents=True)
    archive = release / 'ollama-linux-amd64.tar.zst'
    archive.write_bytes(os.urandom(4000))
    arm = release / 'ollama-linux-arm64.tar.zst'
    arm.write_bytes(os.urandom(4000))
    (release / 'sha256sum.txt').write_text('%s  ./ollama-linux-amd64.tar.zst\n%s  ./ollama-linux-arm64.tar.zst\n'
                                           '%s  ./ollama-darwin.tgz\n' % (sha(archive.read_bytes()), sha(arm.read_bytes()), '0' * 64))
    image_id = docker_save(base / 'ollama-image.tar', 'ollama/ollama:0.33.1')
    (base / 'pkg_1.0_amd64.deb').write_bytes(b'!<arch>\n' + os.urandom(500))
    return {'base': base, 'store': store, 'digests': digests, 'archive': archive, 'arm': arm,
            'sums': release / 'sha256sum.txt', 'image_id': image_id, 'package': base / 'pkg_1.0_amd64.deb'}


def build_args(inputs, dest, **extra):
    args = dict(state='built', dest=str(dest), models_dir=str(inputs['store']), models=[MODEL, OTHER],
                ollama_archives=[dict(path=str(inputs['archive']), arch='amd64')],
                ollama_sha256sum_file=str(inputs['sums']),
                images=[dict(image='ollama/ollama:0.33.1', archive=str(inputs['base'] / 'ollama-image.tar'))],
                packages=[str(inputs['package'])], created=CREATED, collection_version='0.1.0',
                collection_commit='abc1234', builder='unit test')
    args.update(extra)
    return args


def listing(root):
    """Every path under root with its type and, for files, its SHA-256: the before/after picture of a directory."""
    out = {}
    if not os.path.lexists(root):
        return None
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                out[rel] = 'link -> ' + os.readlink(path)
            elif os.path.isdir(path):
                out[rel] = 'dir'
            else:
                with open(path, 'rb') as handle:
                    out[rel] = sha(handle.read())
    return out


@pytest.fixture
def built(run_module, inputs, tmp_path):
    run = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'out'))
    assert not run.failed, run
    return run.result


def repack(archive, dest, edit):
    """Copy a bundle archive to ``dest`` with ``edit(members)`` applied (a list of [TarInfo, bytes]) and write a matching
    outer .sha256, so only the inner checks can catch what was changed."""
    with tarfile.open(archive) as tar:
        members = [[m, tar.extractfile(m).read() if m.isfile() else None] for m in tar.getmembers()]
    edit(members)
    with tarfile.open(dest, 'w', format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    with open(dest, 'rb') as handle:
        digest = sha(handle.read())
    with open(str(dest) + '.sha256', 'w') as handle:
        handle.write('%s  %s\n' % (digest, os.path.basename(dest)))
    return dest


def set_member(members, name, data):
    for entry in members:
        if entry[0].name == name:
            entry[1] = data
            return
    raise AssertionError('no member %s' % name)


def get_member(members, name):
    return next(data for info, data in members if info.name == name)


def add_sum(members, name, data):
    sums = get_member(members, 'SHA256SUMS') + ('%s  %s\n' % (sha(data), name)).encode()
    set_member(members, 'SHA256SUMS', sums)


def extract_args(src, dest, **extra):
    args = dict(state='extracted', src=str(src), dest=str(dest), arch='x86_64')
    args.update(extra)
    return args


# --------------------------------------------------------------------------------------------------------------------
# Build


def test_build_writes_one_archive_with_everything_recorded(built, inputs, tmp_path):
    out = tmp_path / 'out'
    name = 'ai-coding-bundle-%s.tar' % built['bundle_id']
    assert sorted(os.listdir(out)) == [name, name + '.sha256']
    archive = out / name
    assert (out / (name + '.sha256')).read_text() == '%s  %s\n' % (sha(archive.read_bytes()), name)
    assert built['archive_sha256'] == sha(archive.read_bytes())
    assert built['bundle_id'] == built['content_digest'][7:23]
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names)
        assert all(m.isfile() and m.mode == 0o644 and m.uid == 0 and m.gid == 0 for m in members)
        assert {m.mtime for m in members} == {1769860800}
        deployment = json.loads(tar.extractfile('deployment.json').read())
        sums = tar.extractfile('SHA256SUMS').read().decode()
        for member in members:
            if member.name != 'SHA256SUMS':
                assert '%s  %s\n' % (sha(tar.extractfile(member).read()), member.name) in sums
    assert len(sums.splitlines()) == len(names) - 1
    assert deployment == built['deployment']
    assert deployment['architectures'] == ['amd64']
    assert deployment['ollama']['version'] == '0.33.1'
    assert deployment['created'] == CREATED
    assert deployment['collection'] == {'name': 'selfhosted.ai_coding', 'version': '0.1.0', 'commit': 'abc1234'}
    models = {m['short']: m for m in deployment['models']}
    assert models[MODEL]['digest'] == inputs['digests'][MODEL]
    assert models['team/tiny:v1']['digest'] == inputs['digests'][OTHER]
    for model in models.values():
        for blob in model['blobs']:
            assert 'models/blobs/sha256-' + blob['digest'][7:] in names
    assert deployment['images'][0]['id'] == inputs['image_id']
    assert deployment['images'][0]['repo_tags'] == ['ollama/ollama:0.33.1']
    assert 'packages/pkg_1.0_amd64.deb' in names
    assert 'ollama/ollama-linux-amd64.tar.zst' in names and 'ollama/sha256sum.txt' in names


def test_build_is_reproducible_from_copies_of_the_inputs(run_module, inputs, tmp_path, built):
    copy = tmp_path / 'copy'
    shutil.copytree(inputs['base'], copy)  # new inode numbers and mtimes: must not matter
    os.utime(copy / 'models' / 'blobs', (1, 1))
    args = build_args(inputs, tmp_path / 'out2', models_dir=str(copy / 'models'),
                      ollama_archives=[dict(path=str(copy / 'v0.33.1' / 'ollama-linux-amd64.tar.zst'), arch='amd64')],
                      ollama_sha256sum_file=str(copy / 'v0.33.1' / 'sha256sum.txt'),
                      images=[dict(image='ollama/ollama:0.33.1', archive=str(copy / 'ollama-image.tar'))],
                      packages=[str(copy / 'pkg_1.0_amd64.deb')])
    again = run_module(airgap_bundle.main, args)
    assert not again.failed, again
    assert again.result['archive_sha256'] == built['archive_sha256']
    with open(built['archive'], 'rb') as one, open(again.result['archive'], 'rb') as two:
        assert one.read() == two.read()


def test_second_build_is_unchanged_and_check_mode_writes_nothing(run_module, inputs, tmp_path, built):
    before = listing(tmp_path / 'out')
    again = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'out'))
    assert not again.failed and again.result['changed'] is False, again
    assert listing(tmp_path / 'out') == before
    checked = run_module(airgap_bundle.main, dict(build_args(inputs, tmp_path / 'fresh'), _ansible_check_mode=True))
    assert not checked.failed and checked.result['changed'] is True, checked
    assert not os.path.exists(tmp_path / 'fresh')
    assert checked.result['archive_sha256'] == built['archive_sha256']  # predicted exactly


def test_changed_input_gives_a_new_bundle(run_module, inputs, tmp_path, built):
    other = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'out', models=[MODEL]))
    assert not other.failed and other.result['changed'], other
    assert other.result['bundle_id'] != built['bundle_id']


def test_blobs_are_hashed_in_parallel_once_each(inputs):
    hasher = _airgap.Hasher(workers=4)
    blobs = sorted(str(p) for p in (inputs['store'] / 'blobs').iterdir())
    first = hasher.digest_many([(p, 0, os.path.getsize(p), p) for p in blobs])
    assert first == [os.path.basename(p)[7:] for p in blobs]
    assert hasher.files_hashed == len(blobs)
    assert hasher.digest_many([(p, 0, os.path.getsize(p), p) for p in blobs]) == first
    assert hasher.files_hashed == len(blobs) and hasher.cache_hits == len(blobs)


@pytest.mark.parametrize('case', ['missing_model', 'bad_blob', 'missing_blob', 'unlisted_archive', 'wrong_sum'])
def test_build_refuses_bad_inputs_and_writes_nothing(run_module, inputs, tmp_path, case):
    args = build_args(inputs, tmp_path / 'out')
    store = inputs['store']
    if case == 'missing_model':
        args['models'] = [MODEL, 'absent:1b']
        expect = ['model registry.ollama.ai/library/absent:1b is not in the store', 'no manifest at']
    elif case == 'bad_blob':
        blob = sorted((store / 'blobs').iterdir(), key=lambda p: -p.stat().st_size)[0]
        data = bytearray(blob.read_bytes())
        data[10] ^= 1
        blob.write_bytes(bytes(data))
        expect = ['blob %s : content hashes to sha256:%s, not the digest in its name' % (blob, sha(bytes(data)))]
    elif case == 'missing_blob':
        manifest = json.loads((store / 'manifests/registry.ollama.ai/team/tiny/v1').read_text())
        os.unlink(store / 'blobs' / ('sha256-' + manifest['layers'][0]['digest'][7:]))
        expect = ['manifest of model registry.ollama.ai/team/tiny:v1', 'names blob %s, which is not in the store'
                  % manifest['layers'][0]['digest']]
    elif case == 'unlisted_archive':
        inputs['sums'].write_text('%s  ollama-linux-arm64.tar.zst\n' % sha(inputs['arm'].read_bytes()))
        expect = ['Ollama archive %s is not listed in the release checksums' % inputs['archive']]
    else:
        inputs['sums'].write_text('%s  ollama-linux-amd64.tar.zst\n' % ('1' * 64))
        expect = ['ollama archive %s hashes to sha256:%s, but the release checksums say %s'
                  % (inputs['archive'], sha(inputs['archive'].read_bytes()), '1' * 64)]
    run = run_module(airgap_bundle.main, args)
    assert run.failed, run
    for text in expect:
        assert text in run.result['msg']
    assert not os.path.exists(tmp_path / 'out')


def test_build_option_errors_name_the_value_and_rule(run_module, inputs, tmp_path):
    cases = [
        (dict(models=['bad name']), 'models[0]'),
        (dict(models='qwen'), 'models must be a list'),
        (dict(created='yesterday'), "created is 'yesterday': write an ISO 8601 time"),
        (dict(bundle_id='../x'), "bundle_id is '../x'"),
        (dict(architectures=['amd64', 'arm64']), 'architectures lists arm64 but ollama_archives has no archive for it'),
        (dict(ollama_archives=[dict(path=str(inputs['archive']), arch='s390x')]), 'value of arch must be one of'),
        (dict(src='/tmp/x.tar'), 'src does not apply to state=built'),
    ]
    for extra, text in cases:
        run = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'out', **extra))
        assert run.failed and text in run.result['msg'], (extra, run)
    assert not os.path.exists(tmp_path / 'out')


def test_version_must_be_known(run_module, inputs, tmp_path):
    plain = tmp_path / 'ollama-linux-amd64.tar.zst'
    shutil.copy(inputs['archive'], plain)
    run = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'out', ollama_archives=[dict(path=str(plain), arch='amd64')]))
    assert run.failed and 'set ollama_version' in run.result['msg'], run
    run = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'out', ollama_version='0.33.2',
                                                    ollama_archives=[dict(path=str(plain), arch='amd64')]))
    assert not run.failed and run.result['deployment']['ollama']['version'] == '0.33.2', run


# --------------------------------------------------------------------------------------------------------------------
# Verify and extract


def test_verify_checks_without_writing(run_module, built, tmp_path):
    before = listing(tmp_path)
    run = run_module(airgap_bundle.main, dict(state='verified', src=built['archive'], arch='amd64'))
    assert not run.failed, run
    assert run.result['changed'] is False
    assert run.result['bundle_id'] == built['bundle_id']
    assert run.result['deployment'] == built['deployment']
    assert run.result['blobs'] == built['blobs'] and run.result['files'] == built['files'] - 1
    assert listing(tmp_path) == before


def test_extract_then_second_run_unchanged(run_module, built, tmp_path):
    dest = tmp_path / 'bundles'
    run = run_module(airgap_bundle.main, extract_args(built['archive'], dest))
    assert not run.failed, run
    assert run.result['changed'] is True
    path = dest / built['bundle_id']
    assert run.result['path'] == str(path)
    assert sorted(os.listdir(dest)) == [built['bundle_id']]
    assert (path / '.verified').read_text().split()[0] == built['archive_sha256']
    for line in (path / 'SHA256SUMS').read_text().splitlines():
        digest, name = line.split('  ', 1)
        assert sha((path / name).read_bytes()) == digest
    manifest = path / 'models/manifests/registry.ollama.ai/library/qwen2.5-coder/7b'
    assert sha(manifest.read_bytes()) == built['deployment']['models'][0]['digest']
    before = listing(dest)
    again = run_module(airgap_bundle.main, extract_args(built['archive'], dest))
    assert not again.failed and again.result['changed'] is False, again
    assert again.result['bytes_hashed'] == 0  # the marker says done; the archive is not read again
    assert again.result['path'] == str(path)
    assert listing(dest) == before


def test_extract_check_mode_writes_nothing(run_module, built, tmp_path):
    dest = tmp_path / 'bundles'
    run = run_module(airgap_bundle.main, dict(extract_args(built['archive'], dest), _ansible_check_mode=True))
    assert not run.failed and run.result['changed'] is True, run
    assert run.result['path'] == str(dest / built['bundle_id'])
    assert not os.path.exists(dest)


def test_leftover_partial_is_removed_and_redone(run_module, built, tmp_path):
    dest = tmp_path / 'bundles'
    partial = dest / (built['bundle_id'] + '.partial')
    (partial / 'models').mkdir(parents=True)
    (partial / 'models' / 'half-written').write_bytes(b'x' * 10)
    run = run_module(airgap_bundle.main, extract_args(built['archive'], dest))
    assert not run.failed and run.result['changed'], run
    assert sorted(os.listdir(dest)) == [built['bundle_id']]
    assert not (dest / built['bundle_id'] / 'models' / 'half-written').exists()


def test_existing_directory_without_marker_is_not_overwritten(run_module, built, tmp_path):
    dest = tmp_path / 'bundles'
    (dest / built['bundle_id']).mkdir(parents=True)
    (dest / built['bundle_id'] / 'mine').write_text('keep')
    before = listing(dest)
    run = run_module(airgap_bundle.main, extract_args(built['archive'], dest))
    assert run.failed and 'exists but is not this archive' in run.result['msg'], run
    assert listing(dest) == before


def flip_blob(members):
    blob = max((m for m in members if m[0].name.startswith('models/blobs/')), key=lambda m: m[0].size)
    data = bytearray(blob[1])
    data[100] ^= 0x01
    blob[1] = bytes(data)
    flip_blob.name = blob[0].name
    flip_blob.digest = sha(bytes(data))


def add_dotdot(members):
    info = tarfile.TarInfo('models/../../evil')
    members.append([info, b'owned'])
    add_sum(members, 'models/../../evil', b'owned')


def add_absolute(members):
    info = tarfile.TarInfo('/tmp/evil')
    members.append([info, b'owned'])


def add_symlink(members):
    info = tarfile.TarInfo('models/passwd')
    info.type = tarfile.SYMTYPE
    info.linkname = '../../../etc/passwd'
    members.append([info, None])


def add_symlink_via_link(members):
    # Each link looks inside on its own; followed together they leave the bundle.
    up = tarfile.TarInfo('models/up')
    up.type = tarfile.SYMTYPE
    up.linkname = '..'
    out = tarfile.TarInfo('models/out')
    out.type = tarfile.SYMTYPE
    out.linkname = 'up/../etc'
    members.extend([[up, None], [out, None]])


def add_device(members):
    info = tarfile.TarInfo('models/null')
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    members.append([info, None])


def add_unlisted(members):
    members.append([tarfile.TarInfo('packages/extra.deb'), b'not in the sums'])


def drop_blob(members):
    manifest = json.loads(get_member(members, 'models/manifests/registry.ollama.ai/team/tiny/v1'))
    digest = manifest['layers'][0]['digest']
    name = 'models/blobs/sha256-' + digest[7:]
    members[:] = [m for m in members if m[0].name != name]
    sums = get_member(members, 'SHA256SUMS').decode().splitlines(True)
    set_member(members, 'SHA256SUMS', ''.join(line for line in sums if not line.endswith(name + '\n')).encode())
    drop_blob.digest = digest


def other_arch(members):
    deployment = json.loads(get_member(members, 'deployment.json'))
    deployment['architectures'] = ['arm64']
    raw = json.dumps(deployment).encode()
    old = sha(get_member(members, 'deployment.json'))
    set_member(members, 'deployment.json', raw)
    set_member(members, 'SHA256SUMS', get_member(members, 'SHA256SUMS').replace(old.encode(), sha(raw).encode()))


BAD = {
    'flipped blob byte': (flip_blob, lambda: ['blob %s : content hashes to sha256:%s, not the digest in its name'
                                              % (flip_blob.name, flip_blob.digest)]),
    'member with ../': (add_dotdot, lambda: ["member 'models/../../evil'", 'a member name must be a relative path']),
    'absolute member': (add_absolute, lambda: ["member '/tmp/evil'", 'a member name must be a relative path']),
    'symlink outside': (add_symlink, lambda: ["member 'models/passwd'", "a symbolic link to '../../../etc/passwd', "
                                              'which resolves outside the bundle']),
    'symlink outside through another link': (add_symlink_via_link,
                                             lambda: ["member 'models/out'", 'which resolves outside the bundle']),
    'device member': (add_device, lambda: ["member 'models/null'", 'a character device; a bundle holds only']),
    'member not in SHA256SUMS': (add_unlisted, lambda: ["member 'packages/extra.deb'", 'not listed in SHA256SUMS']),
    'manifest naming a missing blob': (drop_blob, lambda: ['manifest models/manifests/registry.ollama.ai/team/tiny/v1',
                                                           'names blob %s, which is not in the bundle' % drop_blob.digest]),
    'deployment for another architecture': (other_arch, lambda: ['deployment.json', 'is for architectures arm64, and '
                                                                 'this host is amd64']),
}


@pytest.mark.parametrize('mode', ['extracted', 'verified'])
@pytest.mark.parametrize('case', sorted(BAD))
def test_bad_bundle_is_refused_and_dest_left_as_before(run_module, inputs, built, tmp_path, case, mode):
    edit, expect = BAD[case]
    # A bundle extracted earlier (another id) stays; the bad one must not change anything next to it.
    dest = tmp_path / 'bundles'
    previous = run_module(airgap_bundle.main, build_args(inputs, tmp_path / 'previous', models=[OTHER]))
    first = run_module(airgap_bundle.main, extract_args(previous.result['archive'], dest))
    assert not first.failed and first.result['bundle_id'] != built['bundle_id'], first
    bad = repack(built['archive'], tmp_path / 'bad.tar', edit)
    before = listing(tmp_path)
    args = extract_args(bad, dest) if mode == 'extracted' else dict(state='verified', src=str(bad), arch='amd64')
    run = run_module(airgap_bundle.main, args)
    assert run.failed, run
    for text in expect():
        assert text in run.result['msg'], run.result['msg']
    assert listing(tmp_path) == before


def test_truncated_archive_is_refused(run_module, built, tmp_path):
    data = open(built['archive'], 'rb').read()
    for cut in (len(data) // 2 + 7, len(data) // 2 - (len(data) // 2) % 512):
        bad = tmp_path / 'cut.tar'
        bad.write_bytes(data[:cut])
        (tmp_path / 'cut.tar.sha256').write_text(sha(data[:cut]) + '  cut.tar\n')
        dest = tmp_path / 'bundles'
        run = run_module(airgap_bundle.main, extract_args(bad, dest))
        assert run.failed, run
        assert str(bad) in run.result['msg']
        assert 'truncated' in run.result['msg'] or 'does not hold as a file; the archive is incomplete' in run.result['msg'], run
        assert not dest.exists()


def test_outer_checksum_mismatch_is_refused_before_opening(run_module, built, tmp_path):
    dest = tmp_path / 'bundles'
    run = run_module(airgap_bundle.main, extract_args(built['archive'], dest, expected_sha256='sha256:' + '2' * 64))
    assert run.failed, run
    assert run.result['msg'] == ('archive %s hashes to sha256:%s, not the expected sha256:%s (from expected_sha256); '
                                 'refusing to open it' % (built['archive'], built['archive_sha256'], '2' * 64))
    assert not dest.exists()
    with open(built['archive'] + '.sha256', 'w') as handle:
        handle.write('%s  %s\n' % ('3' * 64, os.path.basename(built['archive'])))
    run = run_module(airgap_bundle.main, dict(state='verified', src=built['archive'], arch='amd64'))
    assert run.failed and 'from %s.sha256' % built['archive'] in run.result['msg'], run


def test_verify_option_errors(run_module, built, tmp_path):
    cases = [
        (dict(state='verified', src=built['archive']), 'arch is required'),
        (dict(state='verified', src=built['archive'], arch='sparc'), "arch is 'sparc': an architecture is one of"),
        (dict(state='extracted', src=built['archive'], arch='amd64'), 'dest is required with state=extracted'),
        (dict(state='verified', src=built['archive'], arch='amd64', models=['x']), 'models does not apply to state=verified'),
        (dict(state='verified', src=built['archive'], arch='amd64', expected_sha256='abc'),
         "expected_sha256 is 'abc': a SHA-256 checksum is 64 hexadecimal digits"),
        (dict(state='extracted', src=built['archive'], arch='amd64', dest='bundles'), "dest is 'bundles': it must be an absolute path"),
    ]
    for args, text in cases:
        run = run_module(airgap_bundle.main, args)
        assert run.failed and text in run.result['msg'], (args, run)


def test_damaged_copy_of_an_extracted_bundle_is_refused_for_its_damage(run_module, built, tmp_path):
    dest = tmp_path / 'bundles'
    assert not run_module(airgap_bundle.main, extract_args(built['archive'], dest)).failed
    bad = repack(built['archive'], tmp_path / 'bad.tar', flip_blob)
    before = listing(tmp_path)
    run = run_module(airgap_bundle.main, extract_args(bad, dest))
    assert run.failed and 'blob %s : content hashes to sha256:%s' % (flip_blob.name, flip_blob.digest) in run.result['msg'], run
    assert listing(tmp_path) == before
