# Property suite for gpu_facts: hostile options are refused before anything runs; hostile tool output and /sys content
# never fail the module, never reach the facts unescaped; valid output is read exactly, run after run.
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpu_facts only reads, so "no change" here means: a refused option fails the module before any command runs or any
file is read (a stand-in nvidia-smi/rocm-smi that records each call shows none). What the tools print and what /sys
holds is not trusted: generated hostile output - control characters and escape sequences, huge and non-numeric
figures, indexes of thousands of digits, JSON nested past the recursion limit, garbage lines - must never fail the
module (it never fails because of a GPU) nor leave a control character or an absurd figure in the facts; anything
skipped is said in a warning, itself free of control characters. Generated well-formed nvidia-smi output must be
read exactly, with no warning, and a second run must give the same facts.

The tools are stand-in shell scripts that print generated files; the module runs in-process through its main().
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _gpu
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import bad_chars
from ansible_collections.selfhosted.ai_coding.plugins.modules import gpu_facts
from hostile import (
    CONTROL,
    INVISIBLE,
    blank_text,
    huge_text,
    safe_text,
    text_with_control,
    text_with_invisible,
    text_with_shell,
)

INTERNAL = ('NoneType', '<class', '_Ansible', 'of type', "'dict'", "'list'", 'Traceback')
SYSLOG_NUL = 'Failed to log to syslog (embedded null character)'
MEMINFO = 'MemTotal:       24301284 kB\n'


@pytest.fixture(autouse=True)
def no_tools_on_path(monkeypatch):
    """Only the stand-ins given by path count: never the machine's own nvidia-smi or rocm-smi."""
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: None)


class Bench(object):
    """A root for /sys, /dev and /proc, and stand-in tools that print files of this bench and log each call."""

    def __init__(self, base):
        self.base = base
        self.root = base / 'root'
        self.calls = base / 'calls.log'
        self.tools = {}
        for name in ('nvidia-smi', 'rocm-smi'):
            path = base / name
            path.write_text('#!/bin/sh\n# Stands in for %s in tests/unit/properties/test_gpu_facts_props.py\n'
                            'echo "$*" >> "%s"\n'
                            'case "$*" in\n'
                            '  --query-gpu*) cat "%s/%s.query"; exit $(cat "%s/%s.rc") ;;\n'
                            '  -L) cat "%s/%s.list" ;;\n'
                            '  --showproductname*) cat "%s/%s.json"; exit $(cat "%s/%s.rc") ;;\n'
                            '  *) cat "%s/%s.banner" ;;\n'
                            'esac\n' % ((name, self.calls) + (base, name) * 6))
            path.chmod(0o755)
            self.tools[name] = str(path)

    def prime(self, tool='nvidia-smi', query='', banner='', listing='', document='', rc=0, files=None):
        """Reset the bench: what each tool prints, and the files below the root."""
        for suffix, text in (('query', query), ('banner', banner), ('list', listing), ('json', document), ('rc', str(rc))):
            (self.base / ('%s.%s' % (tool, suffix))).write_text(text)
        if self.calls.exists():
            self.calls.unlink()
        if self.root.exists():
            for dirpath, dirnames, filenames in os.walk(str(self.root), topdown=False):
                for name in filenames:
                    os.unlink(os.path.join(dirpath, name))
                for name in dirnames:
                    path = os.path.join(dirpath, name)
                    os.unlink(path) if os.path.islink(path) else os.rmdir(path)
        self.root.mkdir(exist_ok=True)
        for path, content in dict({'/proc/meminfo': MEMINFO}, **(files or {})).items():
            target = self.root / path.lstrip('/')
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        return self

    def ran(self):
        return self.calls.exists() and self.calls.read_text() != ''


@pytest.fixture
def bench(tmp_path):
    return Bench(tmp_path)


def run(args):
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            gpu_facts.main()
    return json.loads(out.getvalue())


def gather(bench, **args):
    result = run(dict({'sysfs_root': str(bench.root)}, **args))
    assert result.get('failed') is not True, result
    assert result['changed'] is False
    return result['ansible_facts']['ai_coding_gpu']


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def assert_clean(facts):
    """No control or invisible character anywhere in the facts, no absurd figure, every GPU well formed."""
    for text in strings_in(facts):
        assert not bad_chars(text), repr(text)
        assert len(text) < 2000
    for gpu in facts['gpus']:
        assert isinstance(gpu['index'], int) and 0 <= gpu['index'] <= 9999
        assert isinstance(gpu['vram_mib'], int) and 0 <= gpu['vram_mib'] <= _gpu.MAX_VRAM_MIB
    assert 0 <= facts['vram_min_mib'] <= facts['vram_total_mib'] <= _gpu.MAX_VRAM_MIB * max(1, facts['count'])


# -- hostile options: refused before anything runs -----------------------------------------------------------------

OPTIONS = ('nvidia_smi_path', 'rocm_smi_path', 'sysfs_root')
hostile_path = st.one_of(
    text_with_control.map(lambda s: '/' + s), text_with_invisible.map(lambda s: '/' + s),
    st.tuples(safe_text, safe_text).map(lambda t: '/%s/../%s' % t), safe_text, blank_text,
    huge_text.map(lambda s: '/' + s), st.booleans(), st.integers(), st.lists(safe_text, min_size=1, max_size=2),
    st.dictionaries(safe_text, safe_text, min_size=1, max_size=2), st.sampled_from(['../sys', '/sys/..', 'sys', './sys']),
)


@given(option=st.sampled_from(OPTIONS), value=hostile_path)
@example(option='sysfs_root', value=['/'])  # was turned into the text "['/']" by AnsibleModule and refused as relative, quoted as Python
@example(option='rocm_smi_path', value='/opt/rocm/bin/rocm-smi\n--json')
def test_hostile_paths_are_refused_before_anything_runs(bench, option, value):
    bench.prime(files={'/dev/nvidia0': ''})
    args = {'nvidia_smi_path': bench.tools['nvidia-smi'], 'rocm_smi_path': bench.tools['rocm-smi'], 'sysfs_root': str(bench.root)}
    args[option] = value
    for check in (True, False):
        result = run(dict(args, _ansible_check_mode=check))
        assert result.get('failed') is True, result
        if SYSLOG_NUL not in result['msg']:
            assert option in result['msg'], result['msg']
            assert not any(word in result['msg'] for word in INTERNAL), result['msg']
    assert not bench.ran()


# -- hostile tool output and /sys content: never a failure, never in the facts unescaped -------------------------------

hostile_field = st.one_of(text_with_control, text_with_invisible, text_with_shell, huge_text, blank_text,
                          st.sampled_from(['[N/A]', '[Not Supported]', 'N/A', '-1', '1e999', 'nan', 'inf', '0x10', '9' * 400,
                                           '9' * 5000, '\x1b[2J\x1b[H', '\u202eevil', ',', ', , ,']))
number_field = st.one_of(st.integers(min_value=0, max_value=2 ** 40).map(str), hostile_field)


@st.composite
def nvidia_query(draw):
    lines = []
    for position in range(draw(st.integers(min_value=0, max_value=4))):
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            lines.append(draw(st.one_of(hostile_field, st.text(max_size=200))))  # a garbage line
            continue
        index = draw(st.one_of(st.just(str(position)), number_field))
        fields = [index, draw(st.one_of(safe_text, hostile_field)), draw(number_field), draw(st.one_of(safe_text, hostile_field)),
                  draw(st.one_of(st.just('550.54.15'), hostile_field)), draw(st.one_of(st.sampled_from(['Enabled', 'Disabled', '[N/A]']), hostile_field))]
        lines.append(', '.join(fields))
    return '\n'.join(lines) + '\n'


hostile_banner = st.one_of(st.text(max_size=300), st.tuples(hostile_field, hostile_field).map(
    lambda t: '| NVIDIA-SMI 550  Driver Version: %s  CUDA Version: %s |\n' % t))
hostile_listing = st.lists(st.one_of(
    st.tuples(number_field, hostile_field).map(lambda t: 'GPU %s: %s (UUID: GPU-0)' % t),
    st.tuples(hostile_field, number_field, hostile_field).map(lambda t: '  MIG %s Device %s: (UUID: %s)' % t),
    st.text(max_size=100)), max_size=5).map('\n'.join)


@given(query=nvidia_query(), banner=hostile_banner, listing=hostile_listing, rc=st.sampled_from([0, 0, 0, 9, 255]))
@example(query='0, Tesla T4, ' + '9' * 400 + ', GPU-1, 535.1, Disabled\n', banner='', listing='', rc=0)  # was OverflowError
@example(query='0, A100, 81920, GPU-0, 535.1, Enabled\n', banner='', listing='GPU ' + '9' * 5000 + ': A100 (UUID: GPU-0)\n', rc=0)
@example(query='0, Tesla\x1b[2J T4, 15360, GPU-1\u202e, 535.1, Disabled\n', banner='', listing='', rc=0)
def test_hostile_nvidia_smi_output_never_fails_the_module(bench, query, banner, listing, rc):
    bench.prime('nvidia-smi', query=query, banner=banner, listing=listing, rc=rc)
    facts = gather(bench, nvidia_smi_path=bench.tools['nvidia-smi'])
    assert_clean(facts)
    assert gather(bench, nvidia_smi_path=bench.tools['nvidia-smi']) == facts


json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_field, safe_text),
                          lambda children: st.lists(children, max_size=3) | st.dictionaries(safe_text, children, max_size=3),
                          max_leaves=10)
rocm_card = st.fixed_dictionaries({}, optional={
    'Card Series': st.one_of(safe_text, hostile_field, json_value), 'VRAM Total Memory (B)': st.one_of(number_field, json_value),
    'Unique ID': st.one_of(safe_text, hostile_field, json_value), 'Card SKU': hostile_field})


@given(document=st.one_of(
    st.dictionaries(st.one_of(st.sampled_from(['card0', 'card1', 'card:2', 'system', 'card' + '9' * 5000]), safe_text),
                    st.one_of(rocm_card, json_value), max_size=4).map(json.dumps),
    st.integers(min_value=1000, max_value=200000).map(lambda n: '{"card0": ' + '[' * n),
    st.text(max_size=300), hostile_field), rc=st.sampled_from([0, 0, 1]))
@example(document='{"card0": ' + '[' * 100000, rc=0)  # was RecursionError
@example(document=json.dumps({'card0': {'Card Series': 'R\x1b[31m', 'VRAM Total Memory (B)': '9' * 400}}), rc=0)  # was OverflowError
def test_hostile_rocm_smi_output_never_fails_the_module(bench, document, rc):
    bench.prime('rocm-smi', document=document, rc=rc, files={'/dev/kfd': ''})
    facts = gather(bench, rocm_smi_path=bench.tools['rocm-smi'])
    assert_clean(facts)
    assert gather(bench, rocm_smi_path=bench.tools['rocm-smi']) == facts


sysfs_text = st.one_of(hostile_field, st.sampled_from(['0x1002', '0x10de', '0x744c', '0x030000', '16368\n', '17163091968']),
                       st.text(max_size=80))


@given(vendor=sysfs_text, device=sysfs_text, vram=st.one_of(number_field, sysfs_text), product=sysfs_text, pci_class=sysfs_text,
       meminfo=st.one_of(st.just(MEMINFO), st.tuples(number_field).map(lambda t: 'MemTotal: %s kB\n' % t), sysfs_text),
       nodes=st.lists(st.one_of(st.sampled_from(['nvidia0', 'nvidia-uvm', 'nvidiactl', 'kfd']), safe_text.map(lambda s: 'nvidia' + s),
                                st.sampled_from(CONTROL[1:] + INVISIBLE).map(lambda c: 'nvidia' + c)), max_size=3))
@example(vendor='0x1002', device='0x744c', vram='9' * 400, product='Radeon', pci_class='0x030000', meminfo=MEMINFO, nodes=['kfd'])
# Found by this property: a device node named 'nvidia<newline>' passed a check written with "$" (which also matches
# before a final line break) and reached the facts, to be handed to containers.
@example(vendor='0x10de', device='0x2684', vram='', product='', pci_class='0x030200', meminfo=MEMINFO, nodes=['nvidia\n'])
def test_hostile_sysfs_content_never_fails_the_module(bench, vendor, device, vram, product, pci_class, meminfo, nodes):
    files = {'/sys/class/drm/card0/device/vendor': vendor, '/sys/class/drm/card0/device/device': device,
             '/sys/class/drm/card0/device/mem_info_vram_total': vram, '/sys/class/drm/card0/device/product_name': product,
             '/sys/bus/pci/devices/0000:03:00.0/class': pci_class, '/sys/bus/pci/devices/0000:03:00.0/vendor': vendor,
             '/sys/bus/pci/devices/0000:03:00.0/device': device, '/proc/meminfo': meminfo}
    files.update(('/dev/' + node, '') for node in nodes if '/' not in node)
    bench.prime(files=files)
    facts = gather(bench)
    assert_clean(facts)
    assert all(node.startswith('/dev/') and not bad_chars(node) for node in facts['devices'])
    assert gather(bench) == facts


# -- valid output: read exactly, run after run ------------------------------------------------------------------------

gpu_name = st.text(alphabet=string.ascii_letters + string.digits + ' -_.,()', min_size=1, max_size=40).map(str.strip).filter(
    lambda name: name and not _gpu.is_unavailable(name))


@given(gpus=st.lists(st.tuples(gpu_name, st.integers(min_value=1, max_value=_gpu.MAX_VRAM_MIB), st.from_regex(r'\AGPU-[0-9a-f-]{8,36}\Z'),
                               st.sampled_from(['Disabled', '[N/A]'])), min_size=1, max_size=8),
       driver=st.from_regex(r'\A[0-9]{3}\.[0-9]{2,3}(\.[0-9]{2})?\Z'))
@example(gpus=[('NVIDIA A100-SXM4-80GB', 81920, 'GPU-1c9e4a7b-3f55-8d21', 'Disabled')], driver='550.54.15')
def test_valid_nvidia_smi_output_is_read_exactly_every_time(bench, gpus, driver):
    query = ''.join('%d, %s, %d, %s, %s, %s\n' % (i, name, vram, uuid, driver, mig) for i, (name, vram, uuid, mig) in enumerate(gpus))
    banner = '| NVIDIA-SMI %s   Driver Version: %s   CUDA Version: 12.4 |\n' % (driver, driver)
    bench.prime('nvidia-smi', query=query, banner=banner, files={'/dev/nvidia0': '', '/dev/nvidiactl': ''})
    facts = gather(bench, nvidia_smi_path=bench.tools['nvidia-smi'])
    assert facts['warnings'] == []
    assert (facts['vendor'], facts['source'], facts['count'], facts['driver_version'], facts['cuda_version']) == (
        'nvidia', 'nvidia-smi', len(gpus), driver, '12.4')
    assert [(g['index'], g['name'], g['vram_mib'], g['uuid']) for g in facts['gpus']] == [
        (i, name, vram, uuid) for i, (name, vram, uuid, _mig) in enumerate(gpus)]
    assert facts['vram_total_mib'] == sum(vram for _n, vram, _u, _m in gpus)
    assert facts['devices'] == ['/dev/nvidia0', '/dev/nvidiactl']
    assert gather(bench, nvidia_smi_path=bench.tools['nvidia-smi']) == facts
