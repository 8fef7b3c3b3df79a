# Unit tests for plugins/modules/gpu_facts.py and plugins/module_utils/_gpu.py, fed with recorded tool outputs
# (tests/fixtures/gpu/, described in its README.md).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json
import os
import pathlib
import stat

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _gpu
from ansible_collections.selfhosted.ai_coding.plugins.modules import gpu_facts

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / 'fixtures' / 'gpu'


def fixture(name):
    return (FIXTURES / name).read_text()


def make_tree(base, name=None, extra=None):
    """Materialise a sysfs fixture (``tests/fixtures/gpu/<name>.json``) plus ``extra`` files under ``base``."""
    spec = json.loads(fixture(name + '.json')) if name else {'files': {}, 'symlinks': {}}
    files = dict(spec['files'])
    files.update(extra or {})
    for path, content in files.items():
        target = base / path.lstrip('/')
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    for path, link in spec.get('symlinks', {}).items():
        target = base / path.lstrip('/')
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(link, str(target))
    return str(base)


def fake_tool(directory, name, answers):
    """Write an executable stand-in for nvidia-smi/rocm-smi: ``answers`` maps a shell ``case`` pattern of its
    arguments to ``(fixture file or None, exit code)``; it prints the file and exits with the code."""
    lines = ['#!/bin/sh', '# Stands in for %s in tests/unit/plugins/modules/test_gpu_facts.py' % name, 'case "$*" in']
    for pattern, (source, rc) in answers.items():
        body = 'cat "%s"; ' % (FIXTURES / source) if source else ''
        lines.append('  %s) %sexit %d ;;' % (pattern, body, rc))
    lines += ['  *) echo "unexpected arguments: $*" >&2; exit 99 ;;', 'esac', '']
    path = directory / name
    path.write_text('\n'.join(lines))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


NVIDIA_QUERY = "'--query-gpu=index,name,memory.total,uuid,driver_version,mig.mode.current --format=csv,noheader,nounits'"
NVIDIA_LEGACY_QUERY = "'--query-gpu=index,name,memory.total,uuid,driver_version --format=csv,noheader,nounits'"


@pytest.fixture
def no_tools_on_path(monkeypatch):
    """Hide any nvidia-smi/rocm-smi of the machine running the tests: only explicit paths count."""
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, name, required=False, opt_dirs=None: None)


@pytest.fixture
def gather(run_module, no_tools_on_path):
    def _gather(**args):
        run = run_module(gpu_facts.main, args)
        assert not run.failed, run.result
        assert run.result['changed'] is False
        return run.result['ansible_facts']['ai_coding_gpu']
    return _gather


# -- pure parsers ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('value, unavailable', [
    ('[N/A]', True), ('[Not Supported]', True), ('N/A', True), ('', True), (None, True), ('[Unknown Error]', True),
    ('Enabled', False), ('24564', False), ('0', False),
])
def test_is_unavailable(value, unavailable):
    assert _gpu.is_unavailable(value) is unavailable


def test_parse_single_nvidia_gpu():
    gpus, warnings = _gpu.parse_nvidia_query(fixture('nvidia_single.csv'))
    assert warnings == []
    assert gpus == [{'index': 0, 'name': 'NVIDIA GeForce RTX 4090', 'vram_mib': 24564,
                     'uuid': 'GPU-9d1f2c3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f', 'driver_version': '550.54.15'}]


def test_parse_four_a100():
    gpus, _warnings = _gpu.parse_nvidia_query(fixture('nvidia_4x_a100.csv'))
    assert [gpu['index'] for gpu in gpus] == [0, 1, 2, 3]
    assert {gpu['vram_mib'] for gpu in gpus} == {81920}
    assert {gpu['mig_mode'] for gpu in gpus} == {'disabled'}
    assert _gpu.summarize(gpus) == {'count': 4, 'vram_total_mib': 327680, 'vram_min_mib': 81920}


def test_parse_na_fields_keeps_the_gpu_and_warns():
    gpus, warnings = _gpu.parse_nvidia_query(fixture('nvidia_na_fields.csv'))
    assert gpus[0] == {'index': 0, 'name': 'Tesla T4', 'vram_mib': 15360, 'uuid': 'GPU-7c54a0d1-95bb-4387-61c4-b085d6f79306',
                       'driver_version': '470.223.02'}
    assert gpus[1] == {'index': 1, 'name': 'GRID T4-16Q', 'vram_mib': 0, 'driver_version': '470.223.02'}
    assert len(warnings) == 1 and 'GPU 1 (GRID T4-16Q)' in warnings[0] and '[N/A]' in warnings[0]
    assert _gpu.summarize(gpus) == {'count': 2, 'vram_total_mib': 15360, 'vram_min_mib': 15360}


def test_parse_name_with_commas():
    gpus, _warnings = _gpu.parse_nvidia_query(fixture('nvidia_comma_name.csv'))
    assert gpus[0]['name'] == 'NVIDIA RTX 6000 Ada Generation, Special, Edition'
    assert gpus[0]['vram_mib'] == 49140
    assert gpus[0]['uuid'].startswith('GPU-9e76')


def test_parse_legacy_fields():
    gpus, _warnings = _gpu.parse_nvidia_query(fixture('nvidia_legacy.csv'), _gpu.NVIDIA_QUERY_FIELDS_LEGACY)
    assert gpus == [{'index': 0, 'name': 'Quadro P4000', 'vram_mib': 8192, 'uuid': 'GPU-8d65b1e2-a6cc-5498-72d5-c196e7080417',
                     'driver_version': '418.226.00'}]


def test_memory_with_units_is_still_read():
    gpus, _warnings = _gpu.parse_nvidia_query('0, Tesla T4, 15360 MiB, GPU-1, 535.1, Disabled\n')
    assert gpus[0]['vram_mib'] == 15360


@pytest.mark.parametrize('text, rule', [
    ('0, Tesla T4, 15360\n', 'has 3 values where 6'),
    ('zero, Tesla T4, 15360, GPU-1, 535.1, Disabled\n', "index 'zero' is not a number"),
    ('-1, Tesla T4, 15360, GPU-1, 535.1, Disabled\n', "index '-1' is not a number of at most 4 digits"),
    ('9' * 5000 + ', Tesla T4, 15360, GPU-1, 535.1, Disabled\n', 'is not a number of at most 4 digits'),
])
def test_parse_nvidia_refuses_malformed_lines(text, rule):
    with pytest.raises(_gpu.GpuParseError, match=rule):
        _gpu.parse_nvidia_query(text)


def test_parse_nvidia_query_skips_hostile_fields_with_warnings():
    """Before: a 400-digit memory figure raised OverflowError (int of an infinite float), a traceback."""
    text = ('0, Tesla\x1b[2J T4, ' + '9' * 400 + ', GPU-1\u202e, 535.1, Maybe\n'
            '1, ' + 'N' * 300 + ', 99999999999, GPU-2, 535.1\x00, Enabled\n')
    gpus, warnings = _gpu.parse_nvidia_query(text)
    assert gpus == [{'index': 0, 'name': 'NVIDIA GPU 0', 'vram_mib': 0, 'driver_version': '535.1'},
                    {'index': 1, 'name': 'NVIDIA GPU 1', 'vram_mib': 0, 'uuid': 'GPU-2', 'mig_mode': 'enabled'}]
    joined = '\n'.join(warnings)
    assert "the name nvidia-smi reports for GPU 0 is 'Tesla\\x1b[2J T4': it holds control or invisible characters; ignored" in joined
    assert 'the uuid nvidia-smi reports for GPU 0' in joined and "the MIG mode nvidia-smi reports for GPU 0 is 'Maybe'" in joined
    assert 'longer than 256 characters' in joined and 'more than any GPU has' in joined
    assert 'nvidia-smi for GPU 0 (NVIDIA GPU 0) reports an endless number of MiB of VRAM' in joined
    assert 'nvidia-smi for GPU 1 (NVIDIA GPU 1) reports 99999999999 MiB of VRAM, more than any GPU has' in joined
    assert not any(_gpu.bad_chars(w.replace('\n', ' ')) for w in warnings) and max(map(len, warnings)) < 400


def test_parse_nvidia_list_skips_hostile_lines():
    """Before: a GPU index of 5000 digits raised ValueError (int's digit limit), a traceback."""
    text = ('GPU ' + '9' * 5000 + ': X (UUID: GPU-1)\n'
            '  MIG 2g.20gb Device  0: (UUID: MIG-9)\n'
            'GPU 0: A100 (UUID: GPU-0)\n  MIG 3g.40gb\x1b Device  0: (UUID: MIG-0)\n  MIG 1g.' + '9' * 100 + 'gb Device  1: (UUID: MIG-1)\n')
    warnings = []
    assert _gpu.parse_nvidia_list(text, warnings) == {0: [{'device': 1, 'profile': '1g.' + '9' * 100 + 'gb', 'uuid': 'MIG-1', 'vram_mib': 0}]}
    assert warnings and 'the profile of MIG device 0 of GPU 0' in warnings[0]


def test_parse_rocm_smi_refuses_deep_json_and_skips_hostile_fields():
    """Before: JSON nested 100000 deep raised RecursionError, and an infinite VRAM OverflowError: tracebacks."""
    with pytest.raises(_gpu.GpuParseError, match='does not parse'):
        _gpu.parse_rocm_smi_json('{"card0": ' + '[' * 100000)
    warnings = []
    gpus, driver = _gpu.parse_rocm_smi_json(json.dumps({
        'card0': {'Card Series': 'Radeon\x07', 'VRAM Total Memory (B)': '9' * 400, 'Unique ID': ['x']},
        'card' + '9' * 5000: {'Card Series': 'ghost'},
        'card1': {'Card Series': 'R' * 300, 'VRAM Total Memory (B)': str(2 ** 70)},
        'system': {'Driver version': '6.8\n5'}}), warnings)
    assert gpus == [{'index': 0, 'name': 'AMD GPU 0', 'vram_mib': 0}, {'index': 1, 'name': 'AMD GPU 1', 'vram_mib': 0}]
    assert driver == '6.8'
    assert any("the name rocm-smi reports for card 0 is 'Radeon\\x07'" in w for w in warnings)
    assert any('more than any GPU has' in w for w in warnings)


def test_first_line_escapes_and_cuts_what_a_tool_printed():
    assert _gpu.first_line('\n  \x1b[31mNVIDIA-SMI has failed\x00\n') == '\\x1b[31mNVIDIA-SMI has failed\\x00'
    assert len(_gpu.first_line('x' * 100000)) < 250
    assert _gpu.nvidia_smi_failure(9, 'bad\x1b', '') == 'nvidia-smi exited 9 (the NVIDIA driver is not loaded): bad\\x1b'


def test_sysfs_readers_skip_hostile_files(tmp_path):
    root = make_tree(tmp_path, extra={
        '/sys/class/drm/card0/device/vendor': '0x1002',
        '/sys/class/drm/card0/device/device': '0x73bf\x1b',
        '/sys/class/drm/card0/device/mem_info_vram_total': '9' * 400,
        '/sys/class/drm/card0/device/product_name': 'Radeon\u202eX',
        '/sys/class/drm/card' + '9' * 200 + '/device/vendor': '0x1002',
        '/sys/bus/pci/devices/not-an-address/class': '0x030000',
        '/sys/bus/pci/devices/0000:03:00.0/class': '0x030000',
        '/sys/bus/pci/devices/0000:03:00.0/vendor': '0x1002' + 'x' * 100,
        '/proc/meminfo': 'MemTotal: ' + '9' * 5000 + ' kB\n',
        '/dev/nvidia0': '', '/dev/nvidia\x1b': '', '/dev/nvidia0\nevil': '',
    })
    os.mkfifo(os.path.join(root, 'sys/class/drm/card0/device/uevent'))
    os.mkfifo(os.path.join(root, 'sys/class/drm/card0/device/vendor_fifo'))
    warnings = []
    assert _gpu.read_drm_cards(root, warnings) == [
        {'card': 'card0', 'index': 0, 'vendor_id': '0x1002', 'device_id': None, 'vram_mib': 0, 'product_name': None}]
    assert any('/sys/class/drm/card0 reports an endless number of MiB of VRAM' in w for w in warnings)
    assert any("the product_name of /sys/class/drm/card0 is 'Radeon\\u202eX'" in w for w in warnings)
    assert _gpu.scan_pci_display(root) == [{'address': '0000:03:00.0', 'vendor': None, 'vendor_id': None, 'device_id': None, 'driver': None}]
    assert _gpu.read_meminfo_mib(root) is None
    devices_warnings = []
    assert _gpu.list_devices(root, devices_warnings) == ['/dev/nvidia0']
    assert len(devices_warnings) == 2 and all('skipped the device node' in w for w in devices_warnings)
    assert _gpu.read_text(os.path.join(root, 'sys/class/drm/card0/device/uevent')) is None  # a FIFO: not read (it would block)


def test_hostile_tool_output_through_the_module_never_fails_it(gather, tmp_path):
    (tmp_path / 'out.csv').write_text('0, Bad\x1bName, ' + '9' * 400 + ', GPU-x, 1.0, [N/A]\n')
    smi = tmp_path / 'nvidia-smi'
    smi.write_text('#!/bin/sh\ncase "$*" in\n  --query-gpu*) cat "%s" ;;\n'
                   '  *) printf \'| NVIDIA-SMI 1  Driver Version: 1.0\\033  CUDA Version: 12.4\\n\' ;;\nesac\n' % (tmp_path / 'out.csv'))
    smi.chmod(0o755)
    facts = gather(nvidia_smi_path=str(smi), sysfs_root=make_tree(tmp_path / 'root', 'sysfs_cpu'))
    assert facts['gpus'] == [{'index': 0, 'name': 'NVIDIA GPU 0', 'vram_mib': 0, 'uuid': 'GPU-x'}]
    assert facts['cuda_version'] == '12.4'
    assert not any(_gpu.bad_chars(w) for w in facts['warnings'])


@pytest.mark.parametrize('name, driver, cuda', [
    ('nvidia_single_banner.txt', '550.54.15', '12.4'),
    ('nvidia_4x_a100_banner.txt', '535.104.05', '12.2'),
])
def test_parse_nvidia_banner(name, driver, cuda):
    assert _gpu.parse_nvidia_header(fixture(name)) == {'driver_version': driver, 'cuda_version': cuda}


def test_parse_nvidia_query_output_q():
    text = '==============NVSMI LOG==============\n\nDriver Version                            : 550.54.15\nCUDA Version                              : 12.4\n'
    assert _gpu.parse_nvidia_header(text) == {'driver_version': '550.54.15', 'cuda_version': '12.4'}


def test_parse_nvidia_list_mig():
    migs = _gpu.parse_nvidia_list(fixture('nvidia_mig_list.txt'))
    assert list(migs) == [0]
    assert [(d['device'], d['profile'], d['vram_mib']) for d in migs[0]] == [(0, '3g.20gb', 20480), (1, '2g.10gb', 10240), (2, '1g.5gb', 5120)]
    assert migs[0][0]['uuid'] == 'MIG-0e6c2f1a-9b47-5d38-a1c2-7f80e4b3d965'


@pytest.mark.parametrize('profile, mib', [('3g.40gb', 40960), ('1g.10gb+me', 10240), ('7g.80gb', 81920), ('weird', None)])
def test_mig_profile_mib(profile, mib):
    assert _gpu.mig_profile_mib(profile) == mib


@pytest.mark.parametrize('rc, name, expected', [
    (9, 'nvidia_driver_missing.txt', "nvidia-smi exited 9 (the NVIDIA driver is not loaded): NVIDIA-SMI has failed because it couldn't "
                                     "communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."),
    (18, 'nvidia_version_mismatch.txt', 'nvidia-smi exited 18 (the NVIDIA kernel module and the NVML library versions differ (reboot after a '
                                        'driver upgrade)): Failed to initialize NVML: Driver/library version mismatch'),
    (77, None, 'nvidia-smi exited 77'),
])
def test_nvidia_smi_failure_message(rc, name, expected):
    assert _gpu.nvidia_smi_failure(rc, fixture(name) if name else '', '') == expected


def test_unknown_query_field():
    assert _gpu.unknown_query_field(fixture('nvidia_unknown_field.txt'), '')
    assert not _gpu.unknown_query_field(fixture('nvidia_driver_missing.txt'), '')


def test_parse_rocm_smi_one_gpu():
    gpus, driver = _gpu.parse_rocm_smi_json(fixture('rocm_smi_one.json'))
    assert gpus == [{'index': 0, 'name': 'Radeon RX 7900 XTX', 'vram_mib': 24560, 'uuid': '45349'}]
    assert driver == '6.8.0'


def test_parse_rocm_smi_two_gpus_after_a_warning_line():
    gpus, driver = _gpu.parse_rocm_smi_json(fixture('rocm_smi_two.json'))
    assert [(gpu['index'], gpu['name'], gpu['vram_mib']) for gpu in gpus] == [(0, 'AMD Instinct MI210', 65520), (1, 'AMD Instinct MI210', 65520)]
    assert driver == '6.3.6'
    assert _gpu.summarize(gpus)['vram_total_mib'] == 131040


def test_parse_rocm_smi_card_colon_keys_and_missing_values():
    text = json.dumps({'card:1': {'Card SKU': 'D41205', 'VRAM Total Memory (B)': 'N/A'}, 'card:0': {'Card Series': 'N/A'}})
    gpus, driver = _gpu.parse_rocm_smi_json(text)
    assert gpus == [{'index': 0, 'name': 'AMD GPU 0', 'vram_mib': 0}, {'index': 1, 'name': 'D41205', 'vram_mib': 0}]
    assert driver is None


@pytest.mark.parametrize('text, rule', [
    ('ERROR:root:Driver not initialized (amdgpu not found in modules)\n', 'printed no JSON object'),
    ('{"card0": {', 'does not parse'),
])
def test_parse_rocm_smi_refuses_garbage(text, rule):
    with pytest.raises(_gpu.GpuParseError, match=rule):
        _gpu.parse_rocm_smi_json(text)


def test_sysfs_readers_on_amd_tree(tmp_path):
    root = make_tree(tmp_path, 'sysfs_amd')
    cards = _gpu.read_drm_cards(root)
    assert cards == [{'card': 'card0', 'index': 0, 'vendor_id': '0x1002', 'device_id': '0x73bf', 'vram_mib': 16368, 'product_name': None}]
    assert _gpu.scan_pci_display(root) == [{'address': '0000:03:00.0', 'vendor': 'amd', 'vendor_id': '0x1002', 'device_id': '0x73bf',
                                            'driver': 'amdgpu'}]
    assert _gpu.list_devices(root) == ['/dev/kfd', '/dev/dri/renderD128']
    assert _gpu.read_meminfo_mib(root) == 64214


def test_list_devices_nvidia_in_natural_order(tmp_path):
    names = ['nvidia10', 'nvidia2', 'nvidia-uvm', 'nvidiactl', 'nvidia0']
    root = make_tree(tmp_path, extra=dict(('/dev/' + name, '') for name in names))
    assert _gpu.list_devices(root) == ['/dev/nvidia0', '/dev/nvidia2', '/dev/nvidia10', '/dev/nvidia-uvm', '/dev/nvidiactl']


def test_read_rocm_version(tmp_path):
    root = make_tree(tmp_path, extra={'/opt/rocm-5.7.1/.info/version': '5.7.1-98\n', '/opt/rocm-6.2.4/.info/version': '6.2.4-120\n'})
    assert _gpu.read_rocm_version(root) == '6.2.4'
    (tmp_path / 'opt' / 'rocm' / '.info').mkdir(parents=True)
    (tmp_path / 'opt' / 'rocm' / '.info' / 'version').write_text('6.0.2-115\n')
    assert _gpu.read_rocm_version(root) == '6.0.2'


def test_summarize_empty():
    assert _gpu.summarize([]) == {'count': 0, 'vram_total_mib': 0, 'vram_min_mib': 0}


# -- the module, with stand-in tools ---------------------------------------------------------------------------

def test_single_nvidia_gpu(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {NVIDIA_QUERY: ('nvidia_single.csv', 0), '""': ('nvidia_single_banner.txt', 0)})
    root = make_tree(tmp_path / 'root', 'sysfs_cpu', extra={'/dev/nvidia0': '', '/dev/nvidiactl': '', '/dev/nvidia-uvm': ''})
    facts = gather(nvidia_smi_path=smi, sysfs_root=root)
    assert facts['vendor'] == 'nvidia'
    assert facts['source'] == 'nvidia-smi'
    assert facts['count'] == 1
    assert facts['gpus'] == [{'index': 0, 'name': 'NVIDIA GeForce RTX 4090', 'vram_mib': 24564, 'uuid': 'GPU-9d1f2c3e-4b5a-6c7d-8e9f-0a1b2c3d4e5f'}]
    assert (facts['vram_total_mib'], facts['vram_min_mib']) == (24564, 24564)
    assert (facts['driver_version'], facts['cuda_version'], facts['rocm_version']) == ('550.54.15', '12.4', None)
    assert facts['devices'] == ['/dev/nvidia0', '/dev/nvidia-uvm', '/dev/nvidiactl']
    assert facts['memory_total_mib'] == 23731
    assert facts['warnings'] == []


def test_four_a100(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {NVIDIA_QUERY: ('nvidia_4x_a100.csv', 0), '""': ('nvidia_4x_a100_banner.txt', 0)})
    facts = gather(nvidia_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_cpu'))
    assert (facts['count'], facts['vram_total_mib'], facts['vram_min_mib']) == (4, 327680, 81920)
    assert facts['cuda_version'] == '12.2'
    assert all(gpu['mig_mode'] == 'disabled' and 'mig_devices' not in gpu for gpu in facts['gpus'])


def test_mig_enabled_lists_mig_devices(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {NVIDIA_QUERY: ('nvidia_mig.csv', 0), '""': ('nvidia_4x_a100_banner.txt', 0),
                                             '-L': ('nvidia_mig_list.txt', 0)})
    facts = gather(nvidia_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_cpu'))
    gpu0, gpu1 = facts['gpus']
    assert gpu0['mig_mode'] == 'enabled'
    assert [d['profile'] for d in gpu0['mig_devices']] == ['3g.20gb', '2g.10gb', '1g.5gb']
    assert gpu1['mig_mode'] == 'disabled' and 'mig_devices' not in gpu1
    assert facts['warnings'] == []


def test_mig_enabled_without_instances_warns(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {NVIDIA_QUERY: ('nvidia_mig.csv', 0), '""': ('nvidia_4x_a100_banner.txt', 0),
                                             '-L': (None, 0)})
    facts = gather(nvidia_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_cpu'))
    assert facts['gpus'][0]['mig_devices'] == []
    assert any('MIG enabled but no MIG device' in text for text in facts['warnings'])


def test_old_driver_without_mig_field_is_asked_again(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {NVIDIA_QUERY: ('nvidia_unknown_field.txt', 2), NVIDIA_LEGACY_QUERY: ('nvidia_legacy.csv', 0),
                                             '""': (None, 0)})
    facts = gather(nvidia_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_cpu'))
    assert facts['gpus'] == [{'index': 0, 'name': 'Quadro P4000', 'vram_mib': 8192, 'uuid': 'GPU-8d65b1e2-a6cc-5498-72d5-c196e7080417'}]
    assert facts['driver_version'] == '418.226.00'
    assert facts['cuda_version'] is None


def test_missing_driver_falls_back_to_pci_with_a_warning(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {'*': ('nvidia_driver_missing.txt', 9)})
    facts = gather(nvidia_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_nvidia_broken'))
    assert facts['vendor'] == 'nvidia'
    assert facts['source'] == 'sysfs'
    assert facts['count'] == 2
    assert [gpu['name'] for gpu in facts['gpus']] == ['NVIDIA GPU 0x20b5 at 0000:65:00.0', 'NVIDIA GPU 0x20b5 at 0000:ca:00.0']
    assert (facts['vram_total_mib'], facts['vram_min_mib'], facts['driver_version']) == (0, 0, None)
    assert facts['devices'] == ['/dev/nvidiactl']
    assert facts['memory_total_mib'] == 257672
    assert len(facts['warnings']) == 1
    assert 'nvidia-smi exited 9 (the NVIDIA driver is not loaded)' in facts['warnings'][0]
    assert "couldn't communicate with the NVIDIA driver" in facts['warnings'][0]


def test_failing_driver_seen_only_in_dev(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {'*': ('nvidia_version_mismatch.txt', 18)})
    root = make_tree(tmp_path / 'root', extra={'/dev/nvidia0': '', '/dev/nvidiactl': '', '/sys/module/nvidia/version': '550.90.07\n',
                                               '/proc/meminfo': 'MemTotal:       32768000 kB\n'})
    facts = gather(nvidia_smi_path=smi, sysfs_root=root)
    assert (facts['vendor'], facts['source'], facts['count']) == ('nvidia', 'dev', 1)
    assert facts['driver_version'] == '550.90.07'
    assert 'Driver/library version mismatch' in facts['warnings'][0]


def test_nvidia_smi_without_gpu_on_a_cpu_host_warns_but_reports_none(gather, tmp_path):
    smi = fake_tool(tmp_path, 'nvidia-smi', {'*': (None, 6)})
    facts = gather(nvidia_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_cpu'))
    assert facts['vendor'] == 'none'
    assert facts['warnings'] == ['nvidia-smi exited 6 (a query to find an object was unsuccessful)']


@pytest.mark.parametrize('name, count, total, driver', [
    ('rocm_smi_one.json', 1, 24560, '6.8.0'),
    ('rocm_smi_two.json', 2, 131040, '6.3.6'),
])
def test_rocm_smi(gather, tmp_path, name, count, total, driver):
    smi = fake_tool(tmp_path, 'rocm-smi', {"'--showproductname --showmeminfo vram --showdriverversion --json'": (name, 0)})
    root = make_tree(tmp_path / 'root', 'sysfs_amd', extra={'/opt/rocm/.info/version': '6.2.4-120\n'})
    facts = gather(rocm_smi_path=smi, sysfs_root=root)
    assert (facts['vendor'], facts['source'], facts['count'], facts['vram_total_mib']) == ('amd', 'rocm-smi', count, total)
    assert (facts['driver_version'], facts['rocm_version'], facts['cuda_version']) == (driver, '6.2.4', None)
    assert facts['warnings'] == []


def test_amd_without_rocm_smi_reads_sysfs(gather, tmp_path):
    facts = gather(sysfs_root=make_tree(tmp_path, 'sysfs_amd'))
    assert (facts['vendor'], facts['source']) == ('amd', 'sysfs')
    assert facts['gpus'] == [{'index': 0, 'name': 'AMD GPU 0x73bf', 'vram_mib': 16368}]
    assert facts['devices'] == ['/dev/kfd', '/dev/dri/renderD128']
    assert facts['warnings'] == []


def test_amd_without_kfd_warns(gather, tmp_path):
    root = make_tree(tmp_path, 'sysfs_amd')
    os.remove(os.path.join(root, 'dev', 'kfd'))
    facts = gather(sysfs_root=root)
    assert facts['vendor'] == 'amd'
    assert any('/dev/kfd is missing' in text for text in facts['warnings'])


def test_amd_integrated_gpu_warns(gather, tmp_path):
    root = make_tree(tmp_path, 'sysfs_amd', extra={'/sys/class/drm/card0/device/mem_info_vram_total': '536870912\n'})
    facts = gather(sysfs_root=root)
    assert facts['vram_total_mib'] == 512
    assert any('most likely an integrated GPU' in text for text in facts['warnings'])


AMD_CARD = {'/sys/class/drm/card1/device/vendor': '0x1002\n', '/sys/class/drm/card1/device/device': '0x744c\n',
            '/sys/class/drm/card1/device/mem_info_vram_total': '25753026560\n'}


@pytest.mark.parametrize('with_kfd, vendor', [(True, 'amd'), (False, 'nvidia')])
def test_usable_amd_wins_over_broken_nvidia_else_nvidia_is_reported(gather, tmp_path, with_kfd, vendor):
    extra = dict(AMD_CARD, **({'/dev/kfd': ''} if with_kfd else {}))
    facts = gather(sysfs_root=make_tree(tmp_path, 'sysfs_nvidia_broken', extra=extra))
    assert facts['vendor'] == vendor
    assert facts['count'] == (1 if with_kfd else 2)


def test_failing_rocm_smi_falls_back_to_sysfs(gather, tmp_path):
    smi = fake_tool(tmp_path, 'rocm-smi', {'*': (None, 1)})
    facts = gather(rocm_smi_path=smi, sysfs_root=make_tree(tmp_path / 'root', 'sysfs_amd'))
    assert (facts['vendor'], facts['source'], facts['vram_total_mib']) == ('amd', 'sysfs', 16368)
    assert facts['warnings'] == ['rocm-smi exited 1: no output']


def test_cpu_only_host(gather, tmp_path):
    facts = gather(sysfs_root=make_tree(tmp_path, 'sysfs_cpu'))
    assert facts == {
        'vendor': 'none', 'count': 0, 'gpus': [], 'vram_total_mib': 0, 'vram_min_mib': 0, 'driver_version': None,
        'cuda_version': None, 'rocm_version': None, 'source': 'none', 'devices': [], 'memory_total_mib': 23731, 'warnings': [],
    }


def test_check_mode_gives_the_same_facts(gather, tmp_path):
    root = make_tree(tmp_path, 'sysfs_amd')
    assert gather(sysfs_root=root, _ansible_check_mode=True) == gather(sysfs_root=root)


def test_explicit_path_that_does_not_exist_warns(gather, tmp_path):
    facts = gather(nvidia_smi_path=str(tmp_path / 'nope' / 'nvidia-smi'), sysfs_root=make_tree(tmp_path, 'sysfs_cpu'))
    assert facts['vendor'] == 'none'
    # The value is shown cut at 80 characters (pytest's tmp_path may be longer): compare the start and the rule.
    [warning] = facts['warnings']
    assert warning.startswith("nvidia_smi_path '%s" % str(tmp_path / 'nope' / 'nvidia-smi')[:60])
    assert warning.endswith("' is not an executable file; gathering without nvidia-smi")


@pytest.mark.parametrize('args, message', [
    ({'sysfs_root': 'relative/root'}, "sysfs_root is 'relative/root': it must be an absolute path"),
    ({'nvidia_smi_path': 'nvidia-smi'}, "nvidia_smi_path is 'nvidia-smi': it must be an absolute path"),
    ({'sysfs_root': '/nonexistent/gpu-facts-root'}, "sysfs_root is '/nonexistent/gpu-facts-root': it is not a directory"),
    ({'sysfs_root': '/sys/../etc'}, "sysfs_root is '/sys/../etc': it must not hold .. components"),
    ({'rocm_smi_path': '/opt/rocm/bin/rocm-smi\n--json'}, "rocm_smi_path is '/opt/rocm/bin/rocm-smi\\n--json': it must not hold control"),
    ({'rocm_smi_path': ['/opt/rocm/bin/rocm-smi']}, 'rocm_smi_path must be a path (a string), got a list'),
    ({'sysfs_root': True}, 'sysfs_root must be a path (a string), got a boolean (true)'),
])
def test_bad_options_fail(run_module, no_tools_on_path, args, message):
    run = run_module(gpu_facts.main, args)
    assert run.failed
    assert run.result['msg'].startswith(message)
