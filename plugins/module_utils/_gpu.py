# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GPU discovery for ``selfhosted.ai_coding.gpu_facts`` (private: the API may change between releases).

Pure parsers for what the vendor tools print, and small readers for ``/sys``, ``/dev`` and ``/proc`` below a
``root`` (``/`` on a host, a fixture tree in tests). Nothing here runs a command: the module runs the tools and hands
their output to these functions, so unit tests feed recorded outputs straight in.

Public interface::

    NVIDIA_QUERY_FIELDS, NVIDIA_QUERY_FIELDS_LEGACY, NVIDIA_SMI_EXIT_CODES, ROCM_SMI_ARGS
    is_unavailable(value) -> bool                 '[N/A]', '[Not Supported]', 'N/A', '' ...
    parse_nvidia_query(text, fields) -> (gpus, warnings)      raises GpuParseError
    parse_nvidia_header(text) -> {'driver_version', 'cuda_version'}
    parse_nvidia_list(text) -> {gpu_index: [mig device dicts]}
    nvidia_smi_failure(rc, stdout, stderr) -> str
    unknown_query_field(stdout, stderr) -> bool
    parse_rocm_smi_json(text) -> (gpus, driver_version)       raises GpuParseError
    read_drm_cards(root), scan_pci_display(root), list_devices(root), read_meminfo_mib(root),
    read_rocm_version(root), read_module_version(root, name)
    summarize(gpus) -> {'count', 'vram_total_mib', 'vram_min_mib'}
"""

from __future__ import annotations

import glob
import json
import math
import os
import re
import stat

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import bad_chars, show

MIB = 1024 * 1024
# More VRAM than any GPU has (16 TiB): a larger figure from a tool or /sys is nonsense and is ignored with a warning.
MAX_VRAM_MIB = 1 << 24
# The longest text kept from a tool or a file for a name, a UUID or a version; longer ones are ignored with a warning.
MAX_FIELD_LEN = 256
# The most bytes read from one file below the root (sysfs attributes and /proc/meminfo are far smaller).
MAX_READ = 64 * 1024

# The fields gpu_facts asks nvidia-smi for, in this order (--query-gpu=...,--format=csv,noheader,nounits).
NVIDIA_QUERY_FIELDS = ('index', 'name', 'memory.total', 'uuid', 'driver_version', 'mig.mode.current')
# Drivers older than R450 do not know mig.mode.current and refuse the whole query (exit 2): ask again without it.
NVIDIA_QUERY_FIELDS_LEGACY = NVIDIA_QUERY_FIELDS[:-1]

# nvidia-smi(1), RETURN VALUE. 18 is NVML's "Driver/library version mismatch", which nvidia-smi passes through.
NVIDIA_SMI_EXIT_CODES = {
    2: 'a supplied argument or flag is invalid',
    3: 'the requested operation is not available on the target device',
    4: 'the current user does not have permission to access this device or perform this operation',
    6: 'a query to find an object was unsuccessful',
    8: "a device's external power cables are not properly attached",
    9: 'the NVIDIA driver is not loaded',
    10: 'the NVIDIA kernel detected an interrupt issue with a GPU',
    12: 'the NVML shared library could not be found or loaded',
    14: 'the infoROM is corrupted',
    15: 'the GPU has fallen off the bus or has otherwise become inaccessible',
    18: 'the NVIDIA kernel module and the NVML library versions differ (reboot after a driver upgrade)',
    255: 'other error or internal driver error',
}

# rocm-smi's arguments: product names, VRAM totals and the kernel driver version, as one JSON document.
ROCM_SMI_ARGS = ('--showproductname', '--showmeminfo', 'vram', '--showdriverversion', '--json')

PCI_VENDORS = {'0x10de': 'nvidia', '0x1002': 'amd'}
# PCI base class 0x03 is "display controller" (0x0300 VGA, 0x0302 3D controller, 0x0380 other).
_PCI_DISPLAY_CLASS = re.compile(r'^0x03[0-9a-f]{4}\Z', re.IGNORECASE)

_NUMBER = re.compile(r'^\s*([0-9]+(?:\.[0-9]+)?)')
_VERSION = re.compile(r'[0-9]+(?:\.[0-9]+)+')
# Indexes have at most 4 digits: a longer "number" is not an index (and int() refuses strings of 4300 digits).
_INDEX = re.compile(r'^[0-9]{1,4}\Z')
_CARD = re.compile(r'^card:?([0-9]{1,4})\Z', re.IGNORECASE)
_GPU_LINE = re.compile(r'^GPU\s+([0-9]{1,4}):\s*(.*?)\s*(?:\(UUID:\s*([^)]+)\))?\s*$')
_MIG_LINE = re.compile(r'^\s+MIG\s+(\S+)\s+Device\s+([0-9]{1,4}):\s*\(UUID:\s*([^)]+)\)')
_MIG_PROFILE_GB = re.compile(r'\.([0-9]{1,5})gb', re.IGNORECASE)
_PCI_ADDRESS = re.compile(r'^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\Z', re.IGNORECASE)
_PCI_ID = re.compile(r'^0x[0-9a-f]{4}\Z', re.IGNORECASE)


class GpuParseError(ValueError):
    """A tool's output does not have the expected shape; the message quotes the part that broke the rule."""


def is_unavailable(value):
    """True for what nvidia-smi and rocm-smi print in place of a value: ``[N/A]``, ``[Not Supported]``, ``N/A``, ..."""
    if value is None:
        return True
    text = str(value).strip()
    return text == '' or text.upper() in ('N/A', 'NA', 'NONE', 'UNKNOWN') or (text.startswith('[') and text.endswith(']'))


def printable(text, limit=200):
    """``text`` safe for a warning: control and invisible characters escaped, cut after ``limit`` characters."""
    return show(str(text), limit)[1:-1]


def _clean(value, what=None, warnings=None, limit=MAX_FIELD_LEN):
    """The stripped text of a field, or None when unavailable, or when it holds control or invisible characters or
    is longer than ``limit`` (then, with ``what``, a warning that quotes it escaped goes to ``warnings``)."""
    if is_unavailable(value):
        return None
    text = str(value).strip()
    if len(text) > limit or bad_chars(text):
        if what is not None and warnings is not None:
            why = 'longer than %d characters' % limit if len(text) > limit else 'it holds control or invisible characters'
            warnings.append('%s is %s: %s; ignored' % (what, show(text, 80), why))
        return None
    return text


def _number(value):
    """``'81920'`` -> 81920.0; ``'81920 MiB'`` (a query run without ``nounits``) -> 81920.0; ``'[N/A]'`` -> None.

    A figure too large to be any size (more than 10**18, or so many digits that it is no finite float) is infinity,
    for :func:`_vram_mib` to refuse with a warning.
    """
    if is_unavailable(value):
        return None
    match = _NUMBER.match(str(value))
    if not match:
        return None
    number = float(match.group(1))
    return number if math.isfinite(number) and number <= 1e18 else float('inf')


def _vram_mib(number, what, warnings):
    """A VRAM figure in MiB as an int, or 0 (with a warning) when it is more than any GPU has."""
    if number is None:
        return 0
    if not number <= MAX_VRAM_MIB:
        warnings.append('%s reports %s MiB of VRAM, more than any GPU has; its vram_mib is 0'
                        % (what, '%d' % number if math.isfinite(number) else 'an endless number of'))
        return 0
    return int(number)


def _version(value):
    if is_unavailable(value):
        return None
    match = _VERSION.search(str(value))
    return match.group(0) if match else None


# -- NVIDIA ------------------------------------------------------------------------------------------------------

def parse_nvidia_query(text, fields=NVIDIA_QUERY_FIELDS):
    """Parse ``nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits``.

    One line per GPU, values separated by ``", "``. Only ``name`` can hold a comma (nvidia-smi does not quote), so
    the fields before it are taken from the left and the fields after it from the right. Values nvidia-smi cannot
    give read ``[N/A]`` or ``[Not Supported]``; they are left out of the GPU's entry (``vram_mib`` becomes ``0``)
    with a warning.

    :returns: ``(gpus, warnings)``; each GPU ``{'index', 'name', 'vram_mib'}`` plus ``uuid``, ``driver_version`` and
        ``mig_mode`` (``'enabled'``/``'disabled'``) when known. A field holding control characters, or longer than
        :data:`MAX_FIELD_LEN`, or a VRAM figure above :data:`MAX_VRAM_MIB`, is left out with a warning.
    :raises GpuParseError: a line with too few values, or an index that is not a number of at most 4 digits.
    """
    fields = tuple(fields)
    name_at = fields.index('name')
    after = len(fields) - name_at - 1
    gpus, warnings = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        raw = line.split(',')
        parts = [part.strip() for part in raw]
        if len(parts) < len(fields):
            raise GpuParseError('nvidia-smi line %d has %d values where %d (%s) were asked for: %s'
                                % (number, len(parts), len(fields), ','.join(fields), show(line.strip())))
        values = dict(zip(fields[:name_at], parts[:name_at]))
        values['name'] = ','.join(raw[name_at:len(raw) - after]).strip()
        values.update(zip(fields[name_at + 1:], parts[len(parts) - after:]))
        index = values.get('index', str(number - 1))
        if not _INDEX.match(index):
            raise GpuParseError('nvidia-smi line %d: the index %s is not a number of at most 4 digits: %s'
                                % (number, show(index), show(line.strip())))
        index = int(index)
        what = 'the %%s nvidia-smi reports for GPU %d' % index
        gpu = {'index': index, 'name': _clean(values['name'], what % 'name', warnings) or 'NVIDIA GPU %d' % index}
        memory = _number(values.get('memory.total'))
        if memory is None:
            warnings.append('nvidia-smi reports no memory total for GPU %d (%s): %s; its vram_mib is 0'
                            % (index, gpu['name'], show(values.get('memory.total'), 80)))
        gpu['vram_mib'] = _vram_mib(memory, 'nvidia-smi for GPU %d (%s)' % (index, gpu['name']), warnings)
        for field, key in (('uuid', 'uuid'), ('driver_version', 'driver_version')):
            text = _clean(values.get(field), what % field, warnings)
            if text:
                gpu[key] = text
        mig = _clean(values.get('mig.mode.current'), what % 'MIG mode', warnings)
        if mig and mig.lower() in ('enabled', 'disabled'):
            gpu['mig_mode'] = mig.lower()
        elif mig:
            warnings.append('%s is %s: expected Enabled or Disabled; ignored' % (what % 'MIG mode', show(mig)))
        gpus.append(gpu)
    return gpus, warnings


def parse_nvidia_header(text):
    """Driver and CUDA versions from the banner of plain ``nvidia-smi`` (or from ``nvidia-smi -q``).

    The banner line reads ``| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |``; ``-q`` has
    ``CUDA Version : 12.4``. ``CUDA Version`` is the newest CUDA the driver supports, not an installed toolkit.
    """
    found = {'driver_version': None, 'cuda_version': None}
    for key, label in (('driver_version', 'Driver Version'), ('cuda_version', 'CUDA Version')):
        match = re.search(label + r'\s*:\s*(\S{1,%d})' % MAX_FIELD_LEN, text or '')
        if match:
            found[key] = _version(match.group(1))
    return found


def mig_profile_mib(profile):
    """Nominal memory of a MIG profile from its name: ``'3g.40gb'`` -> 40960, ``'1g.10gb+me'`` -> 10240, else None."""
    match = _MIG_PROFILE_GB.search(profile or '')
    return int(match.group(1)) * 1024 if match else None


def parse_nvidia_list(text, warnings=None):
    """Parse ``nvidia-smi -L``: the MIG devices under each GPU.

    ``GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-...)`` is followed, with MIG enabled, by indented lines such as
    ``  MIG 3g.40gb     Device  0: (UUID: MIG-...)``.

    :returns: ``{gpu_index: [{'device', 'profile', 'uuid', 'vram_mib'}]}`` for GPUs with MIG devices;
        ``vram_mib`` is the profile's nominal size (slightly more than a process can allocate). A MIG line whose
        profile or UUID holds control characters is skipped, with a warning in ``warnings`` (a list) when given.
    """
    warnings = [] if warnings is None else warnings
    devices = {}
    current = None
    for line in (text or '').splitlines():
        gpu = _GPU_LINE.match(line)
        if gpu:
            current = int(gpu.group(1))
            continue
        if line.startswith('GPU '):
            current = None  # a GPU line that does not parse: its MIG devices are pinned on no GPU
        mig = _MIG_LINE.match(line)
        if mig and current is not None:
            what = 'the %%s of MIG device %s of GPU %d (nvidia-smi -L)' % (mig.group(2), current)
            profile = _clean(mig.group(1), what % 'profile', warnings)
            uuid = _clean(mig.group(3), what % 'UUID', warnings)
            if profile is None or uuid is None:
                continue
            devices.setdefault(current, []).append({
                'device': int(mig.group(2)),
                'profile': profile,
                'uuid': uuid,
                'vram_mib': mig_profile_mib(profile) or 0,
            })
    return devices


def unknown_query_field(stdout, stderr):
    """True when nvidia-smi refused a ``--query-gpu`` field (``Field "mig.mode.current" is not a valid field to query.``)."""
    text = '%s\n%s' % (stdout or '', stderr or '')
    return 'not a valid field' in text


def first_line(*texts):
    """The first non-blank line of the first text that has one, stripped, with control characters escaped and cut
    after 200 characters (it goes into warnings as the tool printed it)."""
    for text in texts:
        for line in (text or '').splitlines():
            if line.strip():
                return printable(line.strip())
    return ''


def nvidia_smi_failure(rc, stdout, stderr):
    """Words for a failed nvidia-smi run: what its exit code means, then its own first line.

    Exit 9 with "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver..." gives
    ``nvidia-smi exited 9 (the NVIDIA driver is not loaded): NVIDIA-SMI has failed because ...``.
    """
    meaning = NVIDIA_SMI_EXIT_CODES.get(rc)
    text = 'nvidia-smi exited %s' % rc
    if meaning:
        text += ' (%s)' % meaning
    said = first_line(stdout, stderr)
    return text + (': %s' % said if said else '')


# -- AMD -----------------------------------------------------------------------------------------------------------

def _lookup(mapping, *names):
    """The first available value among ``names``, compared case-insensitively (rocm-smi renamed keys over releases).

    Only text and numbers count: a nested object or list where a value belongs is taken as unavailable.
    """
    lowered = dict((str(key).lower(), value) for key, value in mapping.items())
    for name in names:
        value = lowered.get(name.lower())
        if isinstance(value, (dict, list)):
            continue
        if not is_unavailable(value):
            return str(value).strip()
    return None


def parse_rocm_smi_json(text, warnings=None):
    """Parse ``rocm-smi --showproductname --showmeminfo vram --showdriverversion --json``.

    The document maps ``card0``, ``card1``, ... (``card:0`` on some builds) to ``{"Card Series": ..., "VRAM Total
    Memory (B)": ...}`` and ``system`` to ``{"Driver version": ...}``. Key spelling changed across ROCm releases
    (``Card series``/``Card Series``), so keys are compared case-insensitively. rocm-smi may print warnings before
    the JSON; they are skipped. A name or UUID holding control characters (or longer than :data:`MAX_FIELD_LEN`),
    and a VRAM figure above :data:`MAX_VRAM_MIB`, are left out with a warning in ``warnings`` (a list) when given.

    :returns: ``(gpus, driver_version)``; each GPU ``{'index', 'name', 'vram_mib'}`` plus ``uuid`` when known.
    :raises GpuParseError: no JSON object in the output, or one that does not parse (nesting too deep included).
    """
    warnings = [] if warnings is None else warnings
    start = (text or '').find('{')
    if start < 0:
        raise GpuParseError("rocm-smi printed no JSON object: '%s'" % first_line(text))
    try:
        data, _end = json.JSONDecoder().raw_decode(text[start:])
    except (ValueError, RecursionError) as exc:
        raise GpuParseError("rocm-smi printed JSON that does not parse (%s): '%s'" % (printable(exc, 120), first_line(text[start:])))
    if not isinstance(data, dict):
        raise GpuParseError("rocm-smi printed JSON that is not an object: '%s'" % first_line(text[start:]))
    gpus = []
    for key, card in data.items():
        match = _CARD.match(str(key))
        if not match or not isinstance(card, dict):
            continue
        index = int(match.group(1))
        what = 'the %%s rocm-smi reports for card %d' % index
        name = _clean(_lookup(card, 'Card Series', 'Card SKU', 'Device Name', 'Card Model'), what % 'name', warnings) or 'AMD GPU %d' % index
        vram = _number(_lookup(card, 'VRAM Total Memory (B)'))
        gpu = {'index': index, 'name': name, 'vram_mib': _vram_mib(vram / MIB if vram else None, 'rocm-smi for card %d (%s)' % (index, name), warnings)}
        uuid = _clean(_lookup(card, 'Unique ID', 'GUID'), what % 'UUID', warnings)
        if uuid:
            gpu['uuid'] = uuid
        gpus.append(gpu)
    gpus.sort(key=lambda gpu: gpu['index'])
    system = data.get('system') if isinstance(data.get('system'), dict) else {}
    return gpus, _version(_lookup(system, 'Driver version'))


# -- files below a root --------------------------------------------------------------------------------------------

def below(root, path):
    """``path`` (absolute, as on the host) below ``root``."""
    return os.path.join(root, path.lstrip('/'))


def read_text(path):
    """The stripped text of a small regular file (at most :data:`MAX_READ` bytes are read), or None when it cannot be
    read (absent, not a regular file - a FIFO would block -, permission, a sysfs read error, not UTF-8)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, 'r') as handle:
            return handle.read(MAX_READ).strip()
    except (IOError, OSError, UnicodeDecodeError, ValueError):
        return None


def _sort_key(path):
    """``card10`` after ``card9``: runs of digits compare as numbers (very long ones as text, after all numbers)."""
    return [((0, int(part)) if len(part) <= 18 else (1, part)) if position % 2 else part
            for position, part in enumerate(re.split(r'([0-9]+)', path))]


def read_drm_cards(root, warnings=None):
    """The DRM cards in ``/sys/class/drm/card<N>`` with their PCI vendor and (amdgpu) VRAM size.

    :returns: ``[{'card': 'card0', 'index': 0, 'vendor_id': '0x1002', 'device_id': '0x744c', 'vram_mib': 16368,
        'product_name': ... or None}]``; ``vram_mib`` is None when the driver exposes no ``mem_info_vram_total``.
        An id that is not ``0x`` and 4 hex digits is None; a product name holding control characters, or a VRAM size
        above :data:`MAX_VRAM_MIB`, is left out with a warning in ``warnings`` (a list) when given.
    """
    warnings = [] if warnings is None else warnings
    cards = []
    for path in sorted(glob.glob(below(root, '/sys/class/drm/card*')), key=_sort_key):
        name = os.path.basename(path)
        match = re.match(r'^card([0-9]{1,4})\Z', name)
        if not match:
            continue  # connectors such as card0-DP-1
        device = os.path.join(path, 'device')
        vram = _number(read_text(os.path.join(device, 'mem_info_vram_total')))
        cards.append({
            'card': name,
            'index': int(match.group(1)),
            'vendor_id': _pci_id(read_text(os.path.join(device, 'vendor'))),
            'device_id': _pci_id(read_text(os.path.join(device, 'device'))),
            'vram_mib': None if vram is None else _vram_mib(vram / MIB, '/sys/class/drm/%s' % name, warnings),
            'product_name': _clean(read_text(os.path.join(device, 'product_name')), 'the product_name of /sys/class/drm/%s' % name, warnings),
        })
    return cards


def _pci_id(text):
    """``'0x10DE'`` -> ``'0x10de'``; anything that is not ``0x`` and 4 hex digits -> None."""
    return text.lower() if text and _PCI_ID.match(text) else None


def scan_pci_display(root):
    """The PCI display controllers in ``/sys/bus/pci/devices`` (works without lspci and without a loaded driver).

    :returns: ``[{'address': '0000:65:00.0', 'vendor': 'nvidia'|'amd'|None, 'vendor_id', 'device_id', 'driver'}]``;
        ``driver`` is the bound kernel driver's name (``nvidia``, ``amdgpu``, ``nouveau``...) or None.
    """
    found = []
    for path in sorted(glob.glob(below(root, '/sys/bus/pci/devices/*')), key=_sort_key):
        if not _PCI_ADDRESS.match(os.path.basename(path)):
            continue  # not a PCI address (domain:bus:device.function): nothing the kernel would list here
        pci_class = read_text(os.path.join(path, 'class')) or ''
        if not _PCI_DISPLAY_CLASS.match(pci_class):
            continue
        vendor_id = _pci_id(read_text(os.path.join(path, 'vendor')))
        driver = os.path.join(path, 'driver')
        driver_name = os.path.basename(os.path.realpath(driver)) if os.path.islink(driver) else None
        found.append({
            'address': os.path.basename(path),
            'vendor': PCI_VENDORS.get(vendor_id),
            'vendor_id': vendor_id,
            'device_id': _pci_id(read_text(os.path.join(path, 'device'))),
            'driver': _clean(driver_name, limit=64),
        })
    return found


def list_devices(root, warnings=None):
    """The GPU device nodes present, as host paths: ``/dev/nvidia*``, ``/dev/kfd``, ``/dev/dri/renderD*``.

    A name holding anything but letters, digits, ``_``, ``-`` and ``.`` is no device node the drivers create; it is
    skipped (it would be handed to containers), with a warning in ``warnings`` (a list) when given.
    """
    warnings = [] if warnings is None else warnings
    found = []
    for pattern in ('/dev/nvidia*', '/dev/kfd', '/dev/dri/renderD*'):
        for path in sorted(glob.glob(below(root, pattern)), key=_sort_key):
            node = '/' + os.path.relpath(path, root).replace(os.sep, '/')
            if not re.match(r'^/dev/(dri/)?[A-Za-z0-9_.-]{1,64}\Z', node):
                warnings.append('skipped the device node %s: not a name a GPU driver creates' % show(node))
                continue
            found.append(node)
    return found


def read_meminfo_mib(root):
    """``MemTotal`` of ``/proc/meminfo`` in MiB, or None."""
    text = read_text(below(root, '/proc/meminfo')) or ''
    match = re.search(r'^MemTotal:\s*([0-9]{1,15})\s*kB', text, re.MULTILINE)
    return int(match.group(1)) // 1024 if match else None


def read_rocm_version(root):
    """The ROCm release from ``/opt/rocm/.info/version`` (``6.2.4-120`` -> ``6.2.4``), else the newest ``/opt/rocm-*``."""
    candidates = [below(root, '/opt/rocm/.info/version')]
    candidates += sorted(glob.glob(below(root, '/opt/rocm-*/.info/version')), key=_sort_key, reverse=True)
    for path in candidates:
        version = _version(read_text(path))
        if version:
            return version
    return None


def read_module_version(root, name):
    """The version of a loaded kernel module from ``/sys/module/<name>/version`` (nvidia, DKMS amdgpu), or None."""
    return _version(read_text(below(root, '/sys/module/%s/version' % name)))


def summarize(gpus):
    """``count``, ``vram_total_mib`` and ``vram_min_mib`` (smallest known size; 0 when no size is known)."""
    sizes = [gpu.get('vram_mib') or 0 for gpu in gpus]
    known = [size for size in sizes if size > 0]
    return {'count': len(gpus), 'vram_total_mib': sum(known), 'vram_min_mib': min(known) if known else 0}
