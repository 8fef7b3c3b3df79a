# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters ``model_fit``, ``model_size_gib`` and ``model_placement``: size models against hosts' memory.

Documentation: ``model_fit.yml``, ``model_size_gib.yml`` and ``model_placement.yml`` beside this file
(``ansible-doc -t filter ...``).

Sizing rule: a model of ``S`` MiB needs ``S * (1 + headroom) + overhead_mib`` MiB. The headroom covers the KV
cache growing with the context, the overhead the runtime (CUDA/ROCm context, llama.cpp buffers).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import ModelNameError, describe_value, validate_model_name
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import bad_chars
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import show

MIB_PER_GIB = 1024.0
MIB_PER_GB = 1e9 / (1024 * 1024)  # decimal GB, as ollama.com and "ollama list" print sizes
BYTES_PER_MIB = 1024 * 1024

DEFAULT_HEADROOM = 0.2
DEFAULT_OVERHEAD_MIB = 1024

# Download sizes in decimal GB of the default (Q4_K_M) tags, as the Ollama library (ollama.com/library) lists them.
# Approximate by nature: a re-upload changes them by a few percent. Keys are ``model:tag`` of library models;
# ``model`` alone means ``model:latest``. Extend it per call with a dict candidate ({name, size_gib}).
KNOWN_SIZES_GB = {
    'qwen2.5-coder:0.5b': 0.398, 'qwen2.5-coder:1.5b': 0.986, 'qwen2.5-coder:3b': 1.9, 'qwen2.5-coder:7b': 4.7,
    'qwen2.5-coder:14b': 9.0, 'qwen2.5-coder:32b': 20.0,
    'qwen3-coder:30b': 19.0, 'qwen3-coder:480b': 290.0,
    'deepseek-coder-v2:16b': 8.9, 'deepseek-coder-v2:236b': 133.0,
    'deepseek-coder:1.3b': 0.776, 'deepseek-coder:6.7b': 3.8, 'deepseek-coder:33b': 19.0,
    'codellama:7b': 3.8, 'codellama:13b': 7.4, 'codellama:34b': 19.0, 'codellama:70b': 39.0,
    'starcoder2:3b': 1.7, 'starcoder2:7b': 4.0, 'starcoder2:15b': 9.1,
    'codestral:22b': 13.0,
    'devstral:24b': 14.0,
    'codegemma:2b': 1.6, 'codegemma:7b': 5.0,
    'gpt-oss:20b': 14.0, 'gpt-oss:120b': 65.0,
    'qwen3:0.6b': 0.523, 'qwen3:1.7b': 1.4, 'qwen3:4b': 2.5, 'qwen3:8b': 5.2, 'qwen3:14b': 9.3, 'qwen3:30b': 19.0,
    'qwen3:32b': 20.0,
    'llama3.1:8b': 4.9, 'llama3.1:70b': 43.0,
    'llama3.2:1b': 1.3, 'llama3.2:3b': 2.0,
    'nomic-embed-text:v1.5': 0.274,
}
# What ``:latest`` points at in the library.
LATEST_TAGS = {
    'qwen2.5-coder': '7b', 'qwen3-coder': '30b', 'deepseek-coder-v2': '16b', 'deepseek-coder': '1.3b', 'codellama': '7b',
    'starcoder2': '3b', 'codestral': '22b', 'devstral': '24b', 'codegemma': '7b', 'gpt-oss': '20b', 'qwen3': '8b',
    'llama3.1': '8b', 'llama3.2': '3b', 'nomic-embed-text': 'v1.5',
}

# Size keys a dict candidate may carry, and what one unit of each is in MiB. ``size`` is bytes, as /api/tags has it.
SIZE_KEYS = (('size_gib', MIB_PER_GIB), ('size_gb', MIB_PER_GB), ('size_mib', 1.0), ('size', 1.0 / BYTES_PER_MIB))

# The largest model size accepted, in MiB (1 EiB): a larger figure is a mistake, and an infinite one breaks the sums.
MAX_SIZE_MIB = float(2 ** 40)

_LIBRARY_PREFIX = re.compile(r'^(?:registry\.ollama\.ai/)?(?:library/)?', re.IGNORECASE)


def _number(value, what, minimum=None, maximum=None, exclusive_minimum=False, filter_name='model_fit'):
    """``value`` as a float, or AnsibleFilterError naming ``what``, the value and the rule it broke.

    A number, or its digits as text; a boolean, null, a list or a mapping is refused, and so is anything not finite.
    """
    if isinstance(value, bool) or value is None or not isinstance(value, (numbers.Number, str)):
        raise AnsibleFilterError('%s: %s must be a number, got %s' % (filter_name, what, describe_value(value)))
    try:
        number = float(value) if isinstance(value, numbers.Number) else float(to_text(value).strip())
    except ValueError:
        raise AnsibleFilterError('%s: %s must be a number, got %s' % (filter_name, what, show(value)))
    except OverflowError:  # an integer too large for a float
        number = float('inf')
    if not math.isfinite(number):
        raise AnsibleFilterError('%s: %s must be a finite number, got %s' % (filter_name, what, show(value)))
    if minimum is not None and (number < minimum or (exclusive_minimum and number == minimum)):
        raise AnsibleFilterError('%s: %s must be %s %s, got %s' % (filter_name, what, '>' if exclusive_minimum else '>=', _fmt(minimum), show(value)))
    if maximum is not None and number > maximum:
        raise AnsibleFilterError('%s: %s must be <= %s, got %s' % (filter_name, what, _fmt(maximum), show(value)))
    return number


def _check_name(name, label, filter_name):
    """A candidate's model name: Ollama's grammar, any registry (the name is returned as given, so it must be one)."""
    try:
        validate_model_name(name, allowed_registries=None, option=label)
    except ModelNameError as exc:
        raise AnsibleFilterError('%s: %s' % (filter_name, exc))
    return name


def _fmt(number):
    return ('%d' % number) if float(number).is_integer() else ('%.1f' % number)


def library_key(name):
    """``registry.ollama.ai/library/Qwen2.5-Coder`` -> ``qwen2.5-coder:7b`` (the table's key), ``hf.co/x/y:q4`` unchanged."""
    text = _LIBRARY_PREFIX.sub('', to_text(name).strip()).lower()
    model, _sep, tag = text.partition(':')
    if not tag or tag == 'latest':
        tag = LATEST_TAGS.get(model, 'latest')
    return '%s:%s' % (model, tag)


def candidate_size_mib(candidate, filter_name='model_fit', label=None):
    """``(name, size in MiB)`` of one candidate: a mapping with ``name`` and a size key, or a name in the table.

    ``label`` names the candidate in messages (``candidates[2]``); without it the messages name only the filter.
    """
    where = '%s: %s' % (filter_name, label) if label else filter_name
    if isinstance(candidate, Mapping):
        key_used = 'name' if candidate.get('name') is not None else 'model'
        name = candidate.get(key_used)
        if not name or not isinstance(name, str):
            raise AnsibleFilterError('%s: a candidate dict needs a "name" (a string), got %s' % (where, describe_value(name)))
        _check_name(name, '%s.%s' % (label, key_used) if label else None, filter_name)
        for key, unit in SIZE_KEYS:
            if candidate.get(key) is not None:
                what = '%sthe %s of %s' % ('%s: ' % label if label else '', key, name)
                size = _number(candidate[key], what, minimum=0, exclusive_minimum=True, filter_name=filter_name)
                if size * unit > MAX_SIZE_MIB:
                    raise AnsibleFilterError('%s: the %s of %s must be at most %d MiB (1 EiB) once converted, got %s'
                                             % (where, key, name, MAX_SIZE_MIB, show(candidate[key])))
                return name, size * unit
        known = KNOWN_SIZES_GB.get(library_key(name))
        if known is None:
            raise AnsibleFilterError('%s: the candidate %s has no size (one of %s) and is not in the size table'
                                     % (where, name, ', '.join(key for key, _unit in SIZE_KEYS)))
        return name, known * MIB_PER_GB
    if isinstance(candidate, str):
        _check_name(candidate, label, filter_name)
        known = KNOWN_SIZES_GB.get(library_key(candidate))
        if known is None:
            raise AnsibleFilterError('%s: the model %s is not in the size table; give it as {name: %s, size_gib: <size>} '
                                     '(known: %s)' % (where, candidate, candidate, ', '.join(sorted(KNOWN_SIZES_GB))))
        return candidate, known * MIB_PER_GB
    raise AnsibleFilterError('%s: a candidate must be a model name or a dict with name and size_gib, got %s' % (where, describe_value(candidate)))


def need_mib(size_mib, headroom=DEFAULT_HEADROOM, overhead_mib=DEFAULT_OVERHEAD_MIB):
    """Memory a model of ``size_mib`` needs: ``size_mib * (1 + headroom) + overhead_mib``."""
    return size_mib * (1.0 + headroom) + overhead_mib


def model_fit(candidates, memory_mib, headroom=DEFAULT_HEADROOM, overhead_mib=DEFAULT_OVERHEAD_MIB):
    """The name of the largest candidate whose need fits in ``memory_mib``; ties go to the one listed first."""
    if not isinstance(candidates, (list, tuple)):
        raise AnsibleFilterError('model_fit: expects a list of model names or {name, size_gib} dicts as its input (the candidates), got %s'
                                 % describe_value(candidates))
    memory = _number(memory_mib, 'memory_mib', minimum=0, exclusive_minimum=True)
    headroom = _number(headroom, 'headroom (a fraction: 0.2 is 20 %)', minimum=0, maximum=1)
    overhead = _number(overhead_mib, 'overhead_mib', minimum=0, maximum=MAX_SIZE_MIB)

    sized = [candidate_size_mib(candidate, label='candidates[%d]' % position) for position, candidate in enumerate(candidates)]
    if not sized:
        raise AnsibleFilterError('model_fit: the candidate list is empty')
    best = None
    for name, size in sized:
        if need_mib(size, headroom, overhead) <= memory and (best is None or size > best[1]):
            best = (name, size)
    if best is None:
        name, size = min(sized, key=lambda item: item[1])
        raise AnsibleFilterError(
            'model_fit: no candidate fits in %d MiB of memory: the smallest, %s (%.1f GiB), needs %d MiB '
            '(size + %d %% headroom + %d MiB overhead)' % (memory, name, size / MIB_PER_GIB, need_mib(size, headroom, overhead),
                                                           round(headroom * 100), overhead))
    return best[0]


def model_size_gib(candidate):
    """A model's size in GiB (rounded to 0.1): a name from the table, or a dict with ``name`` and a size key."""
    _name, size = candidate_size_mib(candidate, filter_name='model_size_gib')
    return round(size / MIB_PER_GIB, 1)


def _placement_models(models, label, headroom, overhead):
    """``[(name, size_mib, need_mib, pinned node names or None)]`` of ``models``, every entry checked; duplicates refused."""
    if not isinstance(models, (list, tuple)):
        raise AnsibleFilterError('model_placement: %s must be a list of model names or {name, size_gib, nodes} dicts, got %s'
                                 % (label, describe_value(models)))
    out = []
    seen = {}
    for position, model in enumerate(models):
        where = '%s[%d]' % (label, position)
        name, size = candidate_size_mib(model, filter_name='model_placement', label=where)
        key = validate_model_name(name, allowed_registries=None).key   # x, x:latest, library/x:latest: one model
        if key in seen:
            raise AnsibleFilterError('model_placement: %s is %s, the same model as %s[%d] (%s): name each model once (a name '
                                     'without a tag means name:latest; letter case does not count)'
                                     % (where, show(name), label, seen[key][0], show(seen[key][1])))
        seen[key] = (position, name)
        pinned = None
        if isinstance(model, Mapping) and model.get('nodes') is not None:
            pinned = model['nodes']
            if not isinstance(pinned, (list, tuple)) or not pinned:
                raise AnsibleFilterError('model_placement: %s.nodes (of %s) must be a non-empty list of node names, got %s%s'
                                         % (where, name, describe_value(pinned),
                                            '; a string is not split: write a YAML list' if isinstance(pinned, str) else ''))
            for index, node in enumerate(pinned):
                if not isinstance(node, str) or not node:
                    raise AnsibleFilterError('model_placement: %s.nodes[%d] (of %s) must be a node name (a non-empty string), got %s'
                                             % (where, index, name, describe_value(node)))
            pinned = list(pinned)
        out.append((name, size, need_mib(size, headroom, overhead), pinned))
    return out


def _placement_nodes(nodes, label):
    """``[(name, memory_mib)]`` of ``nodes``, every entry checked; duplicate names refused."""
    if not isinstance(nodes, (list, tuple)):
        raise AnsibleFilterError('model_placement: %s must be a list of {name, memory_mib} dicts, got %s' % (label, describe_value(nodes)))
    if not nodes:
        raise AnsibleFilterError('model_placement: %s is empty: there is no node to place a model on' % label)
    out = []
    seen = {}
    for position, node in enumerate(nodes):
        where = '%s[%d]' % (label, position)
        if not isinstance(node, Mapping):
            raise AnsibleFilterError('model_placement: %s must be a dict with name and memory_mib, got %s' % (where, describe_value(node)))
        name = node.get('name')
        if not isinstance(name, str) or not name.strip() or bad_chars(name) or name != name.strip():
            raise AnsibleFilterError('model_placement: %s.name must be a node name (a non-empty string without surrounding blanks or '
                                     'control characters), got %s' % (where, describe_value(name)))
        if name in seen:
            raise AnsibleFilterError('model_placement: %s.name is %s, as %s[%d].name already is: node names must be unique'
                                     % (where, show(name), label, seen[name]))
        seen[name] = position
        memory = _number(node.get('memory_mib'), '%s.memory_mib (of node %s)' % (where, name), minimum=0, exclusive_minimum=True,
                         maximum=MAX_SIZE_MIB, filter_name='model_placement')
        out.append((name, memory))
    return out


def model_placement(models, nodes, headroom=DEFAULT_HEADROOM, overhead_mib=DEFAULT_OVERHEAD_MIB, models_name='models', nodes_name='nodes'):
    """``{node name: [model names]}``: each model on every node whose memory fits it, or on its pinned ``nodes`` only.

    A model needs what :func:`model_fit` reckons (:func:`need_mib`); each model is judged on its own (Ollama loads and
    unloads models as requests come). Every node is a key, in the order given (an empty list when nothing fits it);
    each list holds the model names as given, sorted case-insensitively. ``models_name`` and ``nodes_name`` name the
    two inputs in messages (the role passes its variable names).
    """
    headroom = _number(headroom, 'headroom (a fraction: 0.2 is 20 %)', minimum=0, maximum=1, filter_name='model_placement')
    overhead = _number(overhead_mib, 'overhead_mib', minimum=0, maximum=MAX_SIZE_MIB, filter_name='model_placement')
    sized = _placement_models(models, to_text(models_name), headroom, overhead)
    known = _placement_nodes(nodes, to_text(nodes_name))
    memory = dict(known)
    placement = dict((name, []) for name, _memory in known)
    largest = max(known, key=lambda item: item[1])
    for position, (name, size, need, pinned) in enumerate(sized):
        where = '%s[%d]' % (models_name, position)
        if pinned is not None:
            for node in pinned:
                if node not in memory:
                    raise AnsibleFilterError('model_placement: %s.nodes pins %s to %s, which is not a node (nodes: %s)'
                                             % (where, name, show(node), ', '.join(memory)))
                if need > memory[node]:
                    raise AnsibleFilterError(
                        'model_placement: %s.nodes pins %s (%.1f GiB) to %s, whose %d MiB cannot hold it: it needs %d MiB '
                        '(size + %d %% headroom + %d MiB overhead)'
                        % (where, name, size / MIB_PER_GIB, node, memory[node], math.ceil(need), round(headroom * 100), overhead))
            targets = [node for node, _memory in known if node in pinned]
        else:
            targets = [node for node, node_memory in known if need <= node_memory]
        if not targets:
            raise AnsibleFilterError(
                'model_placement: %s (%s, %.1f GiB) fits no node: it needs %d MiB (size + %d %% headroom + %d MiB overhead) and the '
                'largest node, %s, has %d MiB'
                % (where, name, size / MIB_PER_GIB, math.ceil(need), round(headroom * 100), overhead, largest[0], largest[1]))
        for node in targets:
            placement[node].append(name)
    for node in placement:
        placement[node].sort(key=lambda item: (item.lower(), item))
    return placement


class FilterModule(object):
    def filters(self):
        return {
            'model_fit': model_fit,
            'model_size_gib': model_size_gib,
            'model_placement': model_placement,
        }
