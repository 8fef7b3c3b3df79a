# Unit tests for plugins/filter/model_fit.py (filters model_fit and model_size_gib).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.filter.model_fit import (
    KNOWN_SIZES_GB,
    LATEST_TAGS,
    FilterModule,
    library_key,
    model_fit,
    model_size_gib,
    need_mib,
)

# The candidate list of the documentation, sizes as the brief gives them.
CODER_DICTS = [
    {'name': 'qwen2.5-coder:32b', 'size_gib': 20},
    {'name': 'qwen2.5-coder:14b', 'size_gib': 9.0},
    {'name': 'qwen2.5-coder:7b', 'size_gib': 4.7},
    {'name': 'qwen2.5-coder:3b', 'size_gib': 1.9},
]
CODER_NAMES = ['qwen2.5-coder:32b', 'qwen2.5-coder:14b', 'qwen2.5-coder:7b', 'qwen2.5-coder:3b', 'qwen2.5-coder:1.5b']


@pytest.mark.parametrize('memory_mib, expected', [
    (24576, 'qwen2.5-coder:14b'),   # 24 GB Oracle A1, CPU only: 32b needs 25600 MiB
    (8192, 'qwen2.5-coder:7b'),     # 8 GB GPU
    (16384, 'qwen2.5-coder:14b'),   # 16 GB GPU
    (24564, 'qwen2.5-coder:14b'),   # RTX 4090 as nvidia-smi reports it
    (25600, 'qwen2.5-coder:32b'),   # exactly the 32b need: fits (<=)
    (49140, 'qwen2.5-coder:32b'),   # 48 GB GPU
    (81920, 'qwen2.5-coder:32b'),   # 80 GB GPU
    (3359, 'qwen2.5-coder:3b'),     # 1.9 GiB * 1.2 + 1024 MiB = 3358.72 MiB
])
def test_dict_candidates(memory_mib, expected):
    assert model_fit(CODER_DICTS, memory_mib) == expected


@pytest.mark.parametrize('memory_mib, expected', [
    (23731, 'qwen2.5-coder:14b'),   # the A1's real MemTotal: 32b (20 GB = 19073 MiB) needs 23912 MiB
    (24576, 'qwen2.5-coder:32b'),   # the table's 32b is 18.6 GiB, so a full 24 GiB would hold it
    (8192, 'qwen2.5-coder:7b'),
    (16384, 'qwen2.5-coder:14b'),
    (24564, 'qwen2.5-coder:32b'),
    (49140, 'qwen2.5-coder:32b'),
    (81559, 'qwen2.5-coder:32b'),   # H100 80GB HBM3
    (4096, 'qwen2.5-coder:3b'),     # 1.9 GB = 1812 MiB, needs 3198 MiB
    (3000, 'qwen2.5-coder:1.5b'),   # 0.986 GB = 940 MiB, needs 2152 MiB
])
def test_name_candidates_from_the_table(memory_mib, expected):
    assert model_fit(CODER_NAMES, memory_mib) == expected


def test_larger_models_are_chosen_when_listed():
    candidates = ['codellama:70b', 'qwen2.5-coder:32b', 'deepseek-coder-v2:16b']
    assert model_fit(candidates, 81920) == 'codellama:70b'
    assert model_fit(candidates, 24576) == 'qwen2.5-coder:32b'
    assert model_fit(candidates, 16384) == 'deepseek-coder-v2:16b'


@pytest.mark.parametrize('headroom, overhead, expected', [
    (0.2, 1024, 'qwen2.5-coder:32b'),
    (0.5, 1024, 'qwen2.5-coder:14b'),    # 20 GiB * 1.5 + 1 GiB = 31 GiB > 30 GiB
    (0, 1024, 'qwen2.5-coder:32b'),
    (0.2, 8192, 'qwen2.5-coder:14b'),    # 24 GiB + 8 GiB > 30 GiB
    ('0.2', '1024', 'qwen2.5-coder:32b'),  # strings from Jinja are numbers too
])
def test_headroom_and_overhead_change_the_answer(headroom, overhead, expected):
    assert model_fit(CODER_DICTS, 30 * 1024, headroom, overhead) == expected


def test_headroom_as_keyword():
    assert model_fit(CODER_DICTS, 30 * 1024, headroom=0.5) == 'qwen2.5-coder:14b'


@pytest.mark.parametrize('memory_mib', [2048, 3358])
def test_nothing_fits_names_memory_and_smallest_need(memory_mib):
    with pytest.raises(AnsibleFilterError) as err:
        model_fit(CODER_DICTS, memory_mib)
    message = str(err.value)
    assert 'no candidate fits in %d MiB' % memory_mib in message
    assert 'qwen2.5-coder:3b (1.9 GiB), needs 3358 MiB' in message
    assert '20 % headroom + 1024 MiB overhead' in message


def test_tie_goes_to_the_first_listed():
    candidates = [{'name': 'a', 'size_gib': 4}, {'name': 'b', 'size_gib': 4}, {'name': 'c', 'size_gib': 1}]
    assert model_fit(candidates, 16384) == 'a'


def test_api_tags_entries_in_bytes_and_other_units():
    tags = [{'name': 'qwen2.5-coder:7b', 'size': 4683087332, 'digest': 'x'}, {'name': 'qwen2.5-coder:14b', 'size': 8988124069}]
    assert model_fit(tags, 12288) == 'qwen2.5-coder:14b'
    assert model_fit(tags, 10240) == 'qwen2.5-coder:7b'
    # size_gb is decimal: 6 GB = 5722 MiB needs 7890 MiB (6 GiB would need 8397); 5000 MiB needs 7024 MiB.
    decimal = [{'name': 'm', 'size_mib': 5000}, {'name': 'n', 'size_gb': 6}]
    assert model_fit(decimal, 8192) == 'n'
    assert model_fit(decimal, 7500) == 'm'


def test_mixed_names_and_dicts_and_dict_without_size():
    candidates = ['qwen2.5-coder:7b', {'name': 'qwen2.5-coder:14b'}, {'name': 'my/custom:1', 'size_gib': 12}]
    assert model_fit(candidates, 16384) == 'my/custom:1'
    assert model_fit(candidates, 13000) == 'qwen2.5-coder:14b'


@pytest.mark.parametrize('name, key', [
    ('qwen2.5-coder', 'qwen2.5-coder:7b'),
    ('Qwen2.5-Coder:LATEST', 'qwen2.5-coder:7b'),
    ('registry.ollama.ai/library/qwen2.5-coder:32b', 'qwen2.5-coder:32b'),
    ('library/codellama:13b', 'codellama:13b'),
    ('hf.co/bartowski/x:q4', 'hf.co/bartowski/x:q4'),
    ('unknown-model', 'unknown-model:latest'),
])
def test_library_key(name, key):
    assert library_key(name) == key


def test_every_latest_alias_is_in_the_table():
    for model, tag in LATEST_TAGS.items():
        assert '%s:%s' % (model, tag) in KNOWN_SIZES_GB


@pytest.mark.parametrize('candidates, memory, headroom, overhead, rule', [
    ('qwen2.5-coder:7b', 8192, 0.2, 1024, 'expects a list'),
    ({'name': 'x', 'size_gib': 1}, 8192, 0.2, 1024, 'expects a list'),
    ([], 8192, 0.2, 1024, 'the candidate list is empty'),
    (['nope:1b'], 8192, 0.2, 1024, 'the model nope:1b is not in the size table'),
    ([{'size_gib': 3}], 8192, 0.2, 1024, 'a candidate dict needs a "name"'),
    ([{'name': 'x'}], 8192, 0.2, 1024, 'the candidate x has no size'),
    ([{'name': 'x', 'size_gib': 0}], 8192, 0.2, 1024, 'the size_gib of x must be > 0'),
    ([{'name': 'x', 'size_gib': 'big'}], 8192, 0.2, 1024, "the size_gib of x must be a number, got 'big'"),
    ([42], 8192, 0.2, 1024, 'a candidate must be a model name or a dict'),
    (CODER_NAMES, 0, 0.2, 1024, 'memory_mib must be > 0, got 0'),
    (CODER_NAMES, -5, 0.2, 1024, 'memory_mib must be > 0'),
    (CODER_NAMES, None, 0.2, 1024, 'memory_mib must be a number, got null'),
    (CODER_NAMES, True, 0.2, 1024, r'memory_mib must be a number, got a boolean \(true\)'),
    (CODER_NAMES, [8192], 0.2, 1024, 'memory_mib must be a number, got a list'),
    (CODER_NAMES, 10 ** 400, 0.2, 1024, 'memory_mib must be a finite number'),
    (CODER_NAMES, '1e999', 0.2, 1024, 'memory_mib must be a finite number'),
    ([{'name': 'x', 'size_gib': 10 ** 300}], 8192, 0.2, 1024, r'candidates\[0\]: the size_gib of x must be at most'),
    (['qwen2.5-coder:7b', 'm\nx'], 8192, 0.2, 1024, r"candidates\[1\]: Invalid model name 'm\\nx'"),
    ([{'name': '../etc'}], 8192, 0.2, 1024, r"candidates\[0\].name: Invalid model name '../etc'"),
    ('qwen2.5-coder:7b', 8192, 0.2, 1024, r"expects a list .* got a string \('qwen2.5-coder:7b'\)"),
    (CODER_NAMES, 'lots', 0.2, 1024, "memory_mib must be a number, got 'lots'"),
    (CODER_NAMES, float('nan'), 0.2, 1024, 'memory_mib must be a finite number'),
    (CODER_NAMES, 8192, 20, 1024, r'headroom \(a fraction: 0.2 is 20 %\) must be <= 1, got 20'),
    (CODER_NAMES, 8192, -0.1, 1024, 'headroom .* must be >= 0'),
    (CODER_NAMES, 8192, 0.2, -1, 'overhead_mib must be >= 0, got -1'),
])
def test_bad_inputs(candidates, memory, headroom, overhead, rule):
    with pytest.raises(AnsibleFilterError, match=rule):
        model_fit(candidates, memory, headroom, overhead)


def test_need_mib():
    assert need_mib(1000, 0.2, 1024) == pytest.approx(2224)
    assert need_mib(1000, 0, 0) == 1000


@pytest.mark.parametrize('candidate, gib', [
    ('qwen2.5-coder:32b', 18.6),
    ('qwen2.5-coder', 4.4),
    ({'name': 'qwen2.5-coder:7b', 'size': 4683087332}, 4.4),
    ({'name': 'x', 'size_gib': 20}, 20.0),
])
def test_model_size_gib(candidate, gib):
    assert model_size_gib(candidate) == gib


def test_model_size_gib_unknown_name():
    with pytest.raises(AnsibleFilterError, match='^model_size_gib: the model nope is not in the size table'):
        model_size_gib('nope')


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters['model_fit'] is model_fit
    assert filters['model_size_gib'] is model_size_gib
