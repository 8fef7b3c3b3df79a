#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: gpu_facts
short_description: Gather facts about the host's NVIDIA or AMD GPUs and memory, for sizing models
version_added: 0.1.0
description:
  - Sets the fact C(ai_coding_gpu) - the GPU vendor (V(nvidia), V(amd) or V(none)), every GPU with its VRAM,
    driver, CUDA and ROCm versions, the GPU device nodes present, and the host's RAM.
  - "Sources, in order: C(nvidia-smi --query-gpu=... --format=csv,noheader,nounits) (plus the C(nvidia-smi) banner for
    the CUDA version and C(nvidia-smi -L) for MIG devices); C(rocm-smi --showproductname --showmeminfo vram
    --showdriverversion --json); then, without a working tool, C(/sys/class/drm/card*/device/{vendor,mem_info_vram_total})
    and the PCI display controllers in C(/sys/bus/pci/devices) (no C(lspci) needed)."
  - A GPU whose driver is installed but failing (C(nvidia-smi) exits 9, C(Driver/library version mismatch), ...) is
    still reported, from C(/sys) and C(/dev), with its VRAM as V(0) and a RV(ansible_facts.ai_coding_gpu.warnings)
    entry that quotes the tool. The module never fails because of a GPU.
  - What the tools print and C(/sys) holds is not trusted - a name, UUID or version holding control characters or
    longer than 256 characters, a VRAM figure beyond 16 TiB, an index that is not a number of at most 4 digits, JSON
    nested too deep, a device node with an odd name - is left out with a warning (quoted with its control characters
    escaped), never a traceback.
  - "Which vendor wins on a host with several: a working C(nvidia-smi), then a working C(rocm-smi), then AMD cards with
    VRAM and C(/dev/kfd), then NVIDIA hardware seen in C(/sys) or C(/dev) (driver failing), then any other AMD card."
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Only reads; runs in check mode exactly as without it.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  idempotent:
    description: Reads only and always reports C(changed=false).
    support: full
  facts:
    description: Sets C(ansible_facts.ai_coding_gpu).
    support: full
options:
  nvidia_smi_path:
    description:
      - Absolute path of C(nvidia-smi). By default it is looked up on E(PATH) (and C(/sbin), C(/usr/sbin), ...).
      - A path that does not exist counts as no C(nvidia-smi), with a warning.
    type: path
  rocm_smi_path:
    description:
      - Absolute path of C(rocm-smi). By default it is looked up on E(PATH), then C(/opt/rocm/bin/rocm-smi).
      - A path that does not exist counts as no C(rocm-smi), with a warning.
    type: path
  sysfs_root:
    description:
      - Directory under which C(/sys), C(/dev), C(/proc) and C(/opt/rocm) are read; change it only for tests or to
        inspect a mounted image.
      - Like the other paths, it must be absolute, without C(..) components, control or invisible characters; a
        refused path fails the task before any command runs or file is read.
    type: path
    default: /
notes:
  - C(cuda_version) is the newest CUDA the driver supports (the C(nvidia-smi) banner), not an installed CUDA toolkit.
  - With MIG enabled a process sees one MIG device, not the whole GPU; size models by the C(mig_devices) of that GPU.
  - A hung driver can make C(nvidia-smi) hang; bound the task with the C(timeout) keyword.
seealso:
  - module: ansible.builtin.setup
    description: The general host facts (C(ansible_facts.memtotal_mb) is the same RAM figure in MB).
  - module: selfhosted.ai_coding.service_health
    description: Check afterwards that Ollama answers and can generate.
  - name: nvidia-smi documentation
    description: The query fields and exit codes used here.
    link: https://docs.nvidia.com/deploy/nvidia-smi/index.html
  - name: ROCm SMI
    description: The rocm-smi tool whose JSON output is read.
    link: https://rocm.docs.amd.com/projects/rocm_smi_lib/en/latest/
"""

EXAMPLES = r"""
- name: Gather GPU facts
  selfhosted.ai_coding.gpu_facts:

- name: Pick the largest coder model that fits the VRAM, or the RAM less 4 GiB for the system on a CPU host
  ansible.builtin.set_fact:
    ollama_models:
      - "{{ ['qwen2.5-coder:32b', 'qwen2.5-coder:14b', 'qwen2.5-coder:7b', 'qwen2.5-coder:3b']
            | selfhosted.ai_coding.model_fit(ansible_facts['ai_coding_gpu']['vram_total_mib']
                                             if ansible_facts['ai_coding_gpu']['vram_total_mib'] > 0
                                             else ansible_facts['ai_coding_gpu']['memory_total_mib'] - 4096) }}"

- name: Refuse to go on when the NVIDIA driver is broken
  ansible.builtin.assert:
    that: ansible_facts['ai_coding_gpu']['vendor'] != 'nvidia' or ansible_facts['ai_coding_gpu']['source'] == 'nvidia-smi'
    fail_msg: "{{ ansible_facts['ai_coding_gpu']['warnings'] | join('; ') }}"

- name: Use a rocm-smi outside PATH
  selfhosted.ai_coding.gpu_facts:
    rocm_smi_path: /opt/rocm-6.2.4/bin/rocm-smi
"""

RETURN = r"""
ansible_facts:
  description: The facts set.
  returned: always
  type: dict
  contains:
    ai_coding_gpu:
      description: What was found.
      returned: always
      type: dict
      contains:
        vendor:
          description: V(nvidia), V(amd) or V(none).
          type: str
          returned: always
          sample: nvidia
        count:
          description: Number of GPUs.
          type: int
          returned: always
          sample: 4
        gpus:
          description:
            - One entry per GPU, by index. C(uuid), C(mig_mode) and C(mig_devices) appear only when known.
            - C(mig_mode) is V(enabled) or V(disabled); C(mig_devices) lists the MIG devices of a GPU in MIG mode, each
              with C(device), C(profile), C(uuid) and C(vram_mib) (the profile's nominal size).
          type: list
          elements: dict
          returned: always
          sample:
            - {index: 0, name: NVIDIA A100-SXM4-80GB, vram_mib: 81920, uuid: GPU-1c9e4a7b-3f55-8d21-0b6e-5a2f7c913d40, mig_mode: disabled}
        vram_total_mib:
          description: VRAM of all GPUs together, in MiB; V(0) when unknown (no GPU, or a failing driver).
          type: int
          returned: always
          sample: 327680
        vram_min_mib:
          description: VRAM of the smallest GPU, in MiB (what one model must fit in without splitting); V(0) when unknown.
          type: int
          returned: always
          sample: 81920
        memory_total_mib:
          description: The host's RAM (C(MemTotal) of C(/proc/meminfo)) in MiB, for sizing models on CPU hosts.
          type: int
          returned: always
          sample: 24032
        driver_version:
          description: Kernel driver version (NVIDIA driver, or the amdgpu driver rocm-smi reports), or null.
          type: str
          returned: always
          sample: 550.54.15
        cuda_version:
          description: Newest CUDA version the NVIDIA driver supports, or null.
          type: str
          returned: always
          sample: '12.4'
        rocm_version:
          description: ROCm release installed under C(/opt/rocm), or null.
          type: str
          returned: always
          sample: 6.2.4
        source:
          description:
            - Where the GPU list came from - V(nvidia-smi), V(rocm-smi), V(sysfs) (C(/sys/class/drm) or
              C(/sys/bus/pci)), V(dev) (only C(/dev/nvidia*) nodes) or V(none).
          type: str
          returned: always
          sample: nvidia-smi
        devices:
          description: GPU device nodes present (C(/dev/nvidia*), C(/dev/kfd), C(/dev/dri/renderD*)), to pass to containers.
          type: list
          elements: str
          returned: always
          sample: [/dev/nvidia0, /dev/nvidia-uvm, /dev/nvidiactl]
        warnings:
          description: Problems met on the way (a failing driver, a tool that printed something unexpected).
          type: list
          elements: str
          returned: always
          sample:
            - "nvidia-smi exited 9 (the NVIDIA driver is not loaded): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._gpu import (
    NVIDIA_QUERY_FIELDS,
    NVIDIA_QUERY_FIELDS_LEGACY,
    ROCM_SMI_ARGS,
    GpuParseError,
    below,
    first_line,
    list_devices,
    nvidia_smi_failure,
    parse_nvidia_header,
    parse_nvidia_list,
    parse_nvidia_query,
    parse_rocm_smi_json,
    read_drm_cards,
    read_meminfo_mib,
    read_module_version,
    read_rocm_version,
    scan_pci_display,
    summarize,
    unknown_query_field,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import check_arg_types, raw_module_args, relaxed_spec
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue, check_abs_path, show

# Below this much VRAM an AMD card is most likely an APU's carve-out, not a card Ollama will use.
IGPU_VRAM_MIB = 2048


class GpuFacts(object):
    """Runs the vendor tools, reads /sys and /dev, and assembles ``ai_coding_gpu``."""

    def __init__(self, module):
        self.module = module
        self.root = module.params['sysfs_root']
        self.warnings = []
        # Why nvidia-smi gave nothing (its exit code and first line); reported once, with what /sys shows.
        self.nvidia_problem = None

    def warn(self, text):
        self.warnings.append(text)
        self.module.warn(text)

    def run_tool(self, args):
        return self.module.run_command(list(args), environ_update={'LC_ALL': 'C', 'LANG': 'C'})

    def tool(self, option, name, extra_dirs=()):
        path = self.module.params.get(option)
        if path:
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
            self.warn('%s %s is not an executable file; gathering without %s' % (option, show(path), name))
            return None
        return self.module.get_bin_path(name, opt_dirs=list(extra_dirs))

    # -- sources --------------------------------------------------------------------------------------------------

    def from_nvidia_smi(self):
        """The GPUs nvidia-smi lists, or None (a failure is recorded as a warning)."""
        smi = self.tool('nvidia_smi_path', 'nvidia-smi')
        if not smi:
            return None
        fields = NVIDIA_QUERY_FIELDS
        rc, out, err = self.run_tool([smi, '--query-gpu=' + ','.join(fields), '--format=csv,noheader,nounits'])
        if rc != 0 and unknown_query_field(out, err):
            fields = NVIDIA_QUERY_FIELDS_LEGACY
            rc, out, err = self.run_tool([smi, '--query-gpu=' + ','.join(fields), '--format=csv,noheader,nounits'])
        if rc != 0:
            self.nvidia_problem = nvidia_smi_failure(rc, out, err)
            return None
        try:
            gpus, warnings = parse_nvidia_query(out, fields)
        except GpuParseError as exc:
            self.nvidia_problem = str(exc)
            return None
        for text in warnings:
            self.warn(text)
        if not gpus:
            self.nvidia_problem = 'nvidia-smi ran but listed no GPU'
            return None
        facts = {'vendor': 'nvidia', 'source': 'nvidia-smi', 'gpus': gpus, 'driver_version': gpus[0].get('driver_version')}
        for gpu in gpus:
            gpu.pop('driver_version', None)
        rc, out, err = self.run_tool([smi])
        if rc == 0:
            header = parse_nvidia_header(out)
            facts['cuda_version'] = header['cuda_version']
            facts['driver_version'] = facts['driver_version'] or header['driver_version']
        else:
            self.warn('the CUDA version is unknown: ' + nvidia_smi_failure(rc, out, err))
        if any(gpu.get('mig_mode') == 'enabled' for gpu in gpus):
            rc, out, err = self.run_tool([smi, '-L'])
            found = []
            migs = parse_nvidia_list(out, found) if rc == 0 else {}
            for text in found:
                self.warn(text)
            for gpu in gpus:
                if gpu.get('mig_mode') == 'enabled':
                    gpu['mig_devices'] = migs.get(gpu['index'], [])
                    if not gpu['mig_devices']:
                        self.warn('GPU %d (%s) has MIG enabled but no MIG device: no process can use it until MIG instances '
                                  'are created (nvidia-smi mig -cgi ... -C)' % (gpu['index'], gpu['name']))
        return facts

    def from_rocm_smi(self):
        """The GPUs rocm-smi lists, or None (a failure is recorded as a warning)."""
        smi = self.tool('rocm_smi_path', 'rocm-smi', extra_dirs=['/opt/rocm/bin'])
        if not smi:
            return None
        rc, out, err = self.run_tool([smi] + list(ROCM_SMI_ARGS))
        if rc != 0:
            self.warn('rocm-smi exited %s: %s' % (rc, first_line(err, out) or 'no output'))
            return None
        found = []
        try:
            gpus, driver = parse_rocm_smi_json(out, found)
        except GpuParseError as exc:
            self.warn(str(exc))
            return None
        for text in found:
            self.warn(text)
        if not gpus:
            self.warn('rocm-smi ran but listed no GPU')
            return None
        return {'vendor': 'amd', 'source': 'rocm-smi', 'gpus': gpus, 'driver_version': driver}

    @staticmethod
    def amd_drm_gpus(cards):
        gpus = []
        for position, card in enumerate(cards):
            name = card['product_name'] or 'AMD GPU %s' % (card['device_id'] or card['card'])
            gpus.append({'index': position, 'name': name, 'vram_mib': card['vram_mib'] or 0})
        return gpus

    def from_sysfs(self, devices):
        """The GPUs /sys and /dev show when no tool worked; None on a host without GPU."""
        found = []
        cards = [card for card in read_drm_cards(self.root, found) if card['vendor_id'] == '0x1002']
        for text in found:
            self.warn(text)
        amd_cards = [card for card in cards if card['vram_mib']]
        pci = scan_pci_display(self.root)
        nvidia_pci = [dev for dev in pci if dev['vendor'] == 'nvidia']
        nvidia_nodes = [dev for dev in devices if dev[len('/dev/nvidia'):].isdigit() and dev.startswith('/dev/nvidia')]
        has_kfd = '/dev/kfd' in devices

        if amd_cards and has_kfd:
            return self.amd_from_drm(amd_cards)
        if nvidia_pci or nvidia_nodes:
            if nvidia_pci:
                gpus = [{'index': i, 'name': 'NVIDIA GPU %s at %s' % (dev['device_id'] or '?', dev['address']), 'vram_mib': 0}
                        for i, dev in enumerate(nvidia_pci)]
                source = 'sysfs'
            else:
                gpus = [{'index': i, 'name': 'NVIDIA GPU %s' % node, 'vram_mib': 0} for i, node in enumerate(nvidia_nodes)]
                source = 'dev'
            bound = sorted(set(dev['driver'] for dev in nvidia_pci if dev['driver']))
            why = self.nvidia_problem or 'nvidia-smi is not installed'
            self.nvidia_problem = None
            self.warn('%d NVIDIA GPU(s) found in %s but the driver does not answer, so VRAM is unknown and Ollama will run on the CPU '
                      '(kernel driver bound: %s). %s' % (len(gpus), '/sys/bus/pci' if source == 'sysfs' else '/dev',
                                                         ', '.join(bound) or 'none', why))
            return {'vendor': 'nvidia', 'source': source, 'gpus': gpus, 'driver_version': read_module_version(self.root, 'nvidia')}
        if amd_cards:
            return self.amd_from_drm(amd_cards)
        amd_pci = [dev for dev in pci if dev['vendor'] == 'amd']
        if amd_pci:
            self.warn('%d AMD GPU(s) present on the PCI bus but the amdgpu driver exposes no VRAM size (driver not loaded?)' % len(amd_pci))
            gpus = [{'index': i, 'name': 'AMD GPU %s at %s' % (dev['device_id'] or '?', dev['address']), 'vram_mib': 0}
                    for i, dev in enumerate(amd_pci)]
            return {'vendor': 'amd', 'source': 'sysfs', 'gpus': gpus, 'driver_version': None}
        return None

    def amd_from_drm(self, cards):
        if not os.path.exists(below(self.root, '/dev/kfd')):
            self.warn('AMD GPU(s) found in /sys/class/drm but /dev/kfd is missing: ROCm (and Ollama) cannot use them for compute')
        return {'vendor': 'amd', 'source': 'sysfs', 'gpus': self.amd_drm_gpus(cards),
                'driver_version': read_module_version(self.root, 'amdgpu')}

    # -- assembly -------------------------------------------------------------------------------------------------

    def gather(self):
        found = []
        devices = list_devices(self.root, found)
        for text in found:
            self.warn(text)
        found = self.from_nvidia_smi()
        if found is None:
            found = self.from_rocm_smi()
        if found is None:
            found = self.from_sysfs(devices)
        if self.nvidia_problem:
            # nvidia-smi is installed but gave nothing, and /sys shows no NVIDIA GPU to pin it on: still say so.
            self.warn(self.nvidia_problem)
        found = found or {'vendor': 'none', 'source': 'none', 'gpus': [], 'driver_version': None}

        if found['vendor'] == 'amd':
            for gpu in found['gpus']:
                if 0 < gpu['vram_mib'] < IGPU_VRAM_MIB:
                    self.warn('AMD GPU %d (%s) has only %d MiB of VRAM: most likely an integrated GPU' % (gpu['index'], gpu['name'], gpu['vram_mib']))

        facts = {
            'vendor': found['vendor'],
            'gpus': found['gpus'],
            'driver_version': found.get('driver_version'),
            'cuda_version': found.get('cuda_version'),
            'rocm_version': read_rocm_version(self.root) if found['vendor'] == 'amd' else None,
            'source': found['source'],
            'devices': devices,
            'memory_total_mib': read_meminfo_mib(self.root) or 0,
            'warnings': self.warnings,
        }
        facts.update(summarize(found['gpus']))
        return facts


def check_params(params):
    """The first option that breaks a rule, in words, or None. Runs before any command or file read.

    Each path must be absolute, without ``..`` components, control or invisible characters. (That each is a string was
    checked before AnsibleModule converted it.)
    """
    try:
        for option in ('nvidia_smi_path', 'rocm_smi_path', 'sysfs_root'):
            if params[option] is not None:
                check_abs_path(params[option], option)
    except InvalidValue as exc:
        return str(exc)
    if not os.path.isdir(params['sysfs_root']):
        return 'sysfs_root is %s: it is not a directory' % show(params['sysfs_root'])
    return None


def argument_spec():
    return dict(
        nvidia_smi_path=dict(type='path'),
        rocm_smi_path=dict(type='path'),
        sysfs_root=dict(type='path', default='/'),
    )


def main():
    # Each path must be a string as the task wrote it (AnsibleModule would turn a list into its text).
    problem = check_arg_types(raw_module_args(), argument_spec())
    module = AnsibleModule(argument_spec=relaxed_spec(argument_spec()) if problem else argument_spec(), supports_check_mode=True)
    problem = problem or check_params(module.params)
    if problem:
        module.fail_json(msg=problem)
    facts = GpuFacts(module).gather()
    module.exit_json(changed=False, ansible_facts={'ai_coding_gpu': facts})


if __name__ == '__main__':
    main()
