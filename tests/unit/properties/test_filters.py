# Property suite for the filters ollama_model_name, model_fit, model_size_gib and health_table.
# SPDX-License-Identifier: GPL-3.0-or-later
"""For each argument of each filter, generated hostile values - control characters, invisible characters, look-alike
letters, traversal, shell syntax, huge and empty values, wrong types (a string where a list belongs, a boolean or an
infinite figure where a number belongs) - must raise AnsibleFilterError naming the filter and the argument, never
another exception (a TypeError, an OverflowError, a RecursionError: a traceback for the user) and never a Python type
name. Generated valid values must be accepted, and each filter is deterministic and idempotent where that means
something: ollama_model_name's output is a name it accepts and returns unchanged; model_fit picks the same candidate
twice, the largest that fits; health_table renders the same table twice, one row per check, with no control
character in it whatever the checks held.
"""
from __future__ import annotations

import math
import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.filter.health_table import health_table
from ansible_collections.selfhosted.ai_coding.plugins.filter.model_fit import MIB_PER_GIB, model_fit, model_size_gib, need_mib
from ansible_collections.selfhosted.ai_coding.plugins.filter.ollama_model_name import ollama_model_name
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import bad_chars
from hostile import (
    huge_text,
    hostile_text,
    safe_text,
    str_for_list,
    text_with_lookalike,
    text_with_shell,
    text_with_traversal,
    valid_host,
    valid_port,
)

INTERNAL = ('NoneType', '<class', '_Ansible', 'of type', "'dict'", "'list'", 'Traceback')


def refused(call, *words):
    """``call()`` raises AnsibleFilterError whose message holds every one of ``words`` and no Python type name."""
    with pytest.raises(AnsibleFilterError) as caught:
        call()
    message = str(caught.value)
    for word in words:
        assert word in message, message
    assert not any(word in message for word in INTERNAL), message
    assert len(message) < 4000, message[:200]
    return message


def _part(first, rest, size):
    return st.tuples(st.sampled_from(first), st.text(alphabet=rest, max_size=size)).map(''.join).filter(lambda s: '..' not in s)


_LETTERS = string.ascii_letters + string.digits + '_'
model_part = _part(_LETTERS, _LETTERS + '.-', 20)
namespace_part = _part(_LETTERS, _LETTERS + '-', 20)
registry = st.tuples(valid_host, st.one_of(st.none(), valid_port)).map(lambda t: t[0] if t[1] is None else '%s:%d' % t)
valid_name = st.tuples(st.one_of(st.none(), registry), st.one_of(st.none(), namespace_part), model_part,
                       st.one_of(st.none(), model_part)).map(
    lambda t: ('%s/%s/' % (t[0], t[1] or 'library') if t[0] else ('%s/' % t[1] if t[1] else '')) + t[2] + (':' + t[3] if t[3] else ''))
hostile_name = st.one_of(hostile_text, text_with_lookalike, text_with_shell, text_with_traversal, huge_text,
                         st.sampled_from(['..', '../x', 'm:', '/m', 'a/b/c/d', 'https://h/m', 'm@sha256:' + 'a' * 64]))
not_a_list = st.one_of(str_for_list, st.booleans(), st.integers(), st.floats(allow_nan=True), st.none(),
                       st.dictionaries(safe_text, safe_text, max_size=2))


# -- ollama_model_name -------------------------------------------------------------------------------------------------

@given(name=st.one_of(hostile_name, st.booleans(), st.integers(), st.none(), st.lists(safe_text, max_size=2)))
@example(name='qwen2.5-coder\n')  # a name with a newline: the message now names the filter and escapes it
def test_ollama_model_name_refuses_hostile_names(name):
    refused(lambda: ollama_model_name(name), 'ollama_model_name: ', 'Invalid model name')


bad_registry = st.one_of(hostile_text, text_with_shell, st.sampled_from(['h:0', 'h/x', 'a..b']), st.integers(), st.none())


@given(registries=st.one_of(not_a_list, st.lists(bad_registry, min_size=1, max_size=3)))
@example(registries='registry.ollama.ai')  # was split into one-letter hosts: 'r/ns/m' passed
def test_ollama_model_name_refuses_hostile_registries(registries):
    refused(lambda: ollama_model_name('r/ns/m', registries), 'ollama_model_name: allowed_registries')


@given(form=st.one_of(safe_text.filter(lambda s: s not in ('short', 'full')), st.booleans(), st.none(), st.lists(safe_text, max_size=2)))
@example(form=['short'])
def test_ollama_model_name_refuses_hostile_forms(form):
    refused(lambda: ollama_model_name('m', form=form), 'ollama_model_name: form')


@given(name=valid_name, form=st.sampled_from(['short', 'full']), upper=st.booleans())
@example(name='registry.lan:5000/team/coder:v3', form='short', upper=True)
def test_ollama_model_name_accepts_valid_names_and_is_idempotent(name, form, upper):
    host = name.split('/')[0] if name.count('/') == 2 else 'registry.ollama.ai'
    registries = ['registry.ollama.ai', host.upper() if upper else host]
    once = ollama_model_name(name, registries, form)
    assert ollama_model_name(once, registries, form) == once
    assert ollama_model_name(name, registries, 'short') == ollama_model_name(once, registries, 'short')


# -- model_fit and model_size_gib ---------------------------------------------------------------------------------------

bad_number = st.one_of(st.booleans(), st.none(), st.lists(st.integers(), max_size=2), st.dictionaries(safe_text, st.integers(), max_size=1),
                       st.sampled_from([float('nan'), float('inf'), float('-inf'), 10 ** 400, -(10 ** 400), 'lots', '1e999', '', 'nan']),
                       hostile_text)
size_key = st.sampled_from(['size_gib', 'size_gb', 'size_mib', 'size'])
good_candidate = st.tuples(valid_name, size_key, st.floats(min_value=0.01, max_value=500)).map(
    lambda t: {'name': t[0], t[1]: t[2] * {'size_gib': 1, 'size_gb': 1, 'size_mib': 1024, 'size': 1024 ** 3}[t[1]]})
hostile_candidate = st.one_of(
    hostile_name, st.booleans(), st.integers(), st.none(), st.lists(safe_text, max_size=2),
    st.tuples(hostile_name, size_key).map(lambda t: {'name': t[0], t[1]: 4}),
    st.tuples(valid_name, size_key, st.one_of(bad_number, st.integers(max_value=0), st.floats(max_value=0))).map(lambda t: {'name': t[0], t[1]: t[2]}),
    st.tuples(valid_name, size_key).map(lambda t: {'name': t[0], t[1]: 10 ** 300}),
    st.dictionaries(st.sampled_from(['model', 'size_gib', 'other']), st.one_of(st.none(), st.integers(), hostile_text), max_size=2),
)


@given(candidates=st.one_of(not_a_list, st.tuples(st.lists(good_candidate, max_size=3), hostile_candidate, st.lists(good_candidate, max_size=3)).map(
    lambda t: t[0] + [t[1]] + t[2])))
@example(candidates=[{'name': 'x', 'size_gib': 1e308}])  # was an OverflowError (an infinite need, formatted as %d)
@example(candidates='qwen2.5-coder:7b')
def test_model_fit_refuses_hostile_candidates(candidates):
    message = refused(lambda: model_fit(candidates, 8192), 'model_fit: ')
    if isinstance(candidates, list):
        assert 'candidates[' in message or 'no candidate fits' in message or 'is not in the size table' in message, message


@given(argument=st.sampled_from(['memory_mib', 'headroom', 'overhead_mib']),
       value=st.one_of(bad_number, st.floats(max_value=-0.001), st.integers(max_value=-1)))
@example(argument='memory_mib', value=10 ** 400)  # was an OverflowError
@example(argument='memory_mib', value=True)
def test_model_fit_refuses_hostile_figures(argument, value):
    args = {'memory_mib': 8192, 'headroom': 0.2, 'overhead_mib': 1024}
    args[argument] = value
    refused(lambda: model_fit([{'name': 'm', 'size_gib': 1}], **args), 'model_fit: %s' % argument)


@given(candidate=hostile_candidate)
@example(candidate={'name': 'x', 'size_gib': float('inf')})
def test_model_size_gib_refuses_hostile_candidates(candidate):
    refused(lambda: model_size_gib(candidate), 'model_size_gib: ')


@given(candidates=st.lists(good_candidate, min_size=1, max_size=6, unique_by=lambda c: c['name']), memory=st.floats(min_value=1, max_value=1e7),
       headroom=st.floats(min_value=0, max_value=1), overhead=st.floats(min_value=0, max_value=65536))
@example(candidates=[{'name': 'qwen2.5-coder:32b', 'size_gib': 20}, {'name': 'qwen2.5-coder:14b', 'size_gib': 9.0}],
         memory=24576, headroom=0.2, overhead=1024)
def test_model_fit_picks_the_largest_that_fits_every_time(candidates, memory, headroom, overhead):
    sizes = [model_size_gib(c) for c in candidates]
    fitting = [c for c in candidates if need_mib(model_size_gib(c) * MIB_PER_GIB, headroom, overhead) <= memory * 0.999]
    try:
        picked = model_fit(candidates, memory, headroom, overhead)
    except AnsibleFilterError as exc:
        assert 'no candidate fits' in str(exc)
        assume(False)
    assert picked in [c['name'] for c in candidates]
    assert model_fit(candidates, memory, headroom, overhead) == picked
    assert all(math.isfinite(size) and size >= 0 for size in sizes)
    if fitting:
        best = max(model_size_gib(c) for c in fitting)
        assert model_size_gib(next(c for c in candidates if c['name'] == picked)) >= best - 0.1


# -- health_table --------------------------------------------------------------------------------------------------------

cell = st.one_of(safe_text, hostile_text, huge_text, text_with_shell, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.lists(safe_text, max_size=2), st.dictionaries(safe_text, safe_text, max_size=2),
                 st.sampled_from(['\x1b[2J\x1b[H', '\u202eevil', 'a\x00b', '\ud800']))
check = st.fixed_dictionaries({}, optional={'name': cell, 'type': cell, 'ok': st.one_of(st.booleans(), cell), 'detail': cell,
                                            'elapsed_ms': cell, 'attempts': st.one_of(st.integers(min_value=-5, max_value=10 ** 20), cell)})


@given(checks=st.one_of(not_a_list.filter(lambda v: not (isinstance(v, dict) and 'checks' in v)),
                        st.tuples(st.lists(check, max_size=2), st.one_of(safe_text, st.integers(), st.none(), st.lists(safe_text, max_size=1)))
                        .map(lambda t: t[0] + [t[1]])))
@example(checks='ok')
def test_health_table_refuses_what_is_not_a_list_of_checks(checks):
    refused(lambda: health_table(checks), 'health_table: ')


@given(width=st.one_of(st.booleans(), st.none(), st.floats(allow_nan=True).filter(lambda f: math.isnan(f) or not (f.is_integer() and (f == 0 or f >= 10))),
                       st.integers(max_value=-1), st.integers(min_value=1, max_value=9), hostile_text, st.lists(st.integers(), max_size=1),
                       st.sampled_from(['wide', '1e3', '-1', '5'])),
       lines=st.just(False))
@example(width=float('inf'), lines=False)  # was an OverflowError
@example(width=True, lines=False)
@example(width='\x1c0', lines=False)  # found by this property: str.strip() took \x1c for white space, int() did not (ValueError)
def test_health_table_refuses_hostile_widths(width, lines):
    refused(lambda: health_table([], width, lines), 'health_table: detail_width')


@given(lines=st.one_of(safe_text, st.integers(), st.none(), st.lists(st.booleans(), max_size=1)))
@example(lines='no')  # was taken as true
def test_health_table_refuses_hostile_lines_flags(lines):
    refused(lambda: health_table([], 80, lines), 'health_table: lines')


@given(checks=st.lists(check, max_size=6), width=st.one_of(st.just(0), st.integers(min_value=10, max_value=400)), wrap=st.booleans())
@example(checks=[{'name': 'x\x1b[31m', 'type': 'http', 'ok': False, 'detail': 'bad\x1b[2J\u202eevil\x00', 'elapsed_ms': 1}],
         width=80, wrap=False)  # the escape sequences reached the terminal
def test_health_table_renders_any_checks_safely_and_alike(checks, width, wrap):
    source = {'checks': checks, 'changed': False} if wrap else checks
    rows = health_table(source, width, True)
    assert len(rows) == len(checks) + 2
    for row in rows:
        assert not bad_chars(row), repr(row)
    assert health_table(source, width, False) == '\n'.join(rows)
    assert health_table(source, width, True) == rows
