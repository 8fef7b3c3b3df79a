# SPDX-License-Identifier: GPL-3.0-or-later
"""The air-gap playbooks' parts that need no target machine, run for real with ansible-playbook on this one, writing
only under pytest's tmp_path:

- playbooks/airgap_bundle.yml builds a bundle from the Ollama stand-in's release and fixture store, twice with the same
  inputs to the same bytes;
- playbooks/tasks/airgap_transfer.yml resumes a transfer from a .part that holds one and a half chunks (the torn half
  is cut off, only the missing chunks are sent) and the result is byte-equal to the archive;
- playbooks/airgap_deploy.yml refuses damaged bundles (molecule/airgap/tamper.py) before anything is installed: the
  message names the blob or member and the rule, no bundle directory appears and the copied archive is removed.

The install and verify steps (roles, systemd, the egress probe) need a systemd host: molecule/airgap covers them.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STANDIN = ROOT / 'tests' / 'fixtures' / 'ollama_standin'
MODELS = ['qwen2.5-coder:0.5b', 'llama3.2:1b']

pytestmark = pytest.mark.skipif(not shutil.which('ansible-playbook') or not shutil.which('zstd'),
                                reason='needs ansible-playbook (tests/testbed/env.sh) and zstd on PATH')


def _run(args, cwd=ROOT):
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=600, cwd=cwd,
                            env={**os.environ, 'ANSIBLE_NOCOLOR': '1'})
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    """A stand-in release, a fixture model store, an inventory with one local airgapped host, and one bundle."""
    base = tmp_path_factory.mktemp('airgap')
    rc, out = _run([sys.executable, str(STANDIN / 'make_release.py'), '--version', '0.33.3', '--out',
                    str(base / 'mirror' / 'v0.33.3')])
    assert rc == 0, out
    rc, out = _run([sys.executable, str(STANDIN / 'make_registry.py'), str(base / 'store')])
    assert rc == 0, out
    inventory = base / 'hosts.json'
    inventory.write_text(json.dumps({'all': {'children': {'airgapped': {'hosts': {'node1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'ollama_models': MODELS}}}}}}))
    bundle = _build(base, inventory, base / 'out')
    return {'base': base, 'inventory': inventory, 'bundle': bundle}


def _build(base, inventory, dest):
    rc, out = _run(['ansible-playbook', '-i', str(inventory), str(ROOT / 'playbooks' / 'airgap_bundle.yml'), '-e', json.dumps({
        'airgap_bundle_dest': str(dest), 'airgap_bundle_release_dir': str(base / 'mirror'),
        'airgap_bundle_models_dir': str(base / 'store'), 'airgap_bundle_created': '2026-01-31T12:00:00Z',
        'airgap_bundle_builder': 'unit-test'})])
    assert rc == 0, out
    match = re.search(r'archive: (\S+/ai-coding-bundle-\S+\.tar) \(', out)
    assert match, out
    return pathlib.Path(match.group(1))


def test_bundle_is_reproducible_and_holds_the_declared_models(work):
    again = _build(work['base'], work['inventory'], work['base'] / 'out-again')
    assert again.name == work['bundle'].name
    assert again.read_bytes() == work['bundle'].read_bytes()
    with tarfile.open(work['bundle']) as tar:
        deployment = json.load(tar.extractfile('deployment.json'))
    assert sorted(m['short'] for m in deployment['models']) == sorted(MODELS)
    assert deployment['ollama']['version'] == '0.33.3'
    assert deployment['architectures'] == ['amd64']


def test_transfer_resumes_from_a_torn_part_file(work, tmp_path):
    archive = work['bundle']
    chunk = 64 * 1024
    remote = tmp_path / 'remote'
    remote.mkdir()
    data = archive.read_bytes()
    assert len(data) > 3 * chunk, 'the bundle is too small for this test'
    (remote / (archive.name + '.part')).write_bytes(data[:chunk + chunk // 2])
    playbook = tmp_path / 'transfer.yml'
    playbook.write_text(json.dumps([{
        'name': 'Transfer', 'hosts': 'node1', 'gather_facts': False,
        'vars': {'airgap_bundle_archive': str(archive), 'airgap_transfer_dir': str(remote),
                 'airgap_transfer_chunk_kib': chunk // 1024,
                 '__airgap_remote_archive': '{{ airgap_transfer_dir }}/{{ airgap_bundle_archive | basename }}'},
        'tasks': [
            {'name': 'Scratch', 'ansible.builtin.tempfile': {'state': 'directory'}, 'register': '__airgap_controller_tmp',
             'delegate_to': 'localhost'},
            {'name': 'Transfer', 'ansible.builtin.include_tasks': str(ROOT / 'playbooks' / 'tasks' / 'airgap_transfer.yml')},
        ]}]))
    rc, out = _run(['ansible-playbook', '-i', str(work['inventory']), str(playbook)])
    assert rc == 0, out
    assert 'resuming at byte %d, chunk 1 (the .part held %d bytes)' % (chunk, chunk + chunk // 2) in out, out
    chunks = -(-len(data) // chunk)
    # Chunk 0 was not sent again: one copy per missing chunk.
    assert len(re.findall(r'TASK \[Copy the chunk to the host, chunk \d+\]', out)) == chunks - 1, out
    assert 'Copy the chunk to the host, chunk 0]' not in out
    assert (remote / archive.name).read_bytes() == data
    assert not (remote / (archive.name + '.part')).exists()

    rc, out = _run(['ansible-playbook', '-i', str(work['inventory']), str(playbook)])
    assert rc == 0, out
    assert 'already complete on the host' in out


@pytest.mark.parametrize('case', ['flip', 'truncated', 'dotdot', 'symlink', 'missing_blob'])
def test_deploy_refuses_a_damaged_bundle_before_anything_changes(work, tmp_path, case):
    rc, out = _run([sys.executable, str(ROOT / 'molecule' / 'airgap' / 'tamper.py'), str(work['bundle']),
                    str(tmp_path / 'tampered')])
    assert rc == 0, out
    damaged = json.loads(out)[case]
    bundles, transfer = tmp_path / 'bundles', tmp_path / 'transfer'
    rc, out = _run(['ansible-playbook', '-i', str(work['inventory']), str(ROOT / 'playbooks' / 'airgap_deploy.yml'),
                    '-e', json.dumps({'ansible_become': False, 'airgap_bundle_archive': damaged['archive'],
                                      'airgap_bundles_dir': str(bundles), 'airgap_transfer_dir': str(transfer),
                                      'airgap_transfer_chunk_kib': 64})])
    assert rc != 0, out
    assert 'refused on node1' in out, out
    assert damaged['expect'] in out, out
    assert not bundles.exists(), list(bundles.iterdir())
    assert list(transfer.iterdir()) == []
    # Nothing past the refusal ran: no role was entered.
    assert 'Install Ollama from the bundle' not in out
