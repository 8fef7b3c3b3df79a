# Property suite for plugins/module_utils/_validate.py and the checked_env filter themselves.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every check of _validate must refuse every generated hostile value of its kind - raising InvalidValue (an
AnsibleFilterError for checked_env) whose message names the option, never a Python type, and stays short - and must
accept every generated valid value and return it unchanged (or normalised exactly as documented: a port given as
digits becomes an int, a tuple given for a list becomes a list, environment values become strings). show() and
type_name() must describe any value without raising, with no control character in what show() returns.

Defects of _validate found by this suite are kept as regression tests (test_regression_*, at the end):
each was refused wrongly before its fix.
"""
from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.filter.checked_env import checked_env
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    bad_chars,
    check_abs_path,
    check_env_map,
    check_env_name,
    check_env_value,
    check_port,
    check_positive_number,
    check_str_list,
    check_text,
    check_url,
    show,
    type_name,
)
from hostile import (
    SHELL,
    bad_env_name,
    bad_port,
    bad_url,
    blank_text,
    huge_text,
    hostile_text,
    safe_text,
    str_for_list,
    text_with_control,
    text_with_invisible,
    text_with_newline_injection,
    text_with_shell,
    valid_env_name,
    valid_env_value,
    valid_port,
    valid_url,
    wrong_type_for_int,
    wrong_type_for_str,
)

NAME = 'opt_x'
INTERNAL = ('NoneType', '<class', '_Ansible', "'dict'", "'list'", 'Traceback')


def refused(check, *args, **kwargs):
    with pytest.raises(InvalidValue) as caught:
        check(*args, **kwargs)
    message = str(caught.value)
    assert NAME in message, message
    # The message may quote the refused value itself (a string 'list' is not a leaked type name): look past the value
    # as show() renders it, quotes included, and nowhere else.
    scrubbed = message
    for value in args[:1]:
        if isinstance(value, str) and value:
            scrubbed = scrubbed.replace(show(value), '')
    assert not any(word in scrubbed for word in INTERNAL), message
    assert len(message) < 600, message[:200]
    assert not bad_chars(message), repr(message)
    return message


printable_text = st.text(alphabet=st.characters(blacklist_categories=('Cc', 'Cf', 'Zl', 'Zp', 'Cs')), min_size=1, max_size=200).filter(
    lambda s: s.strip())


# -- check_text ---------------------------------------------------------------------------------------------------------

@given(value=st.one_of(hostile_text, huge_text, wrong_type_for_str))
@example(value='qwen2.5-coder\n')
def test_check_text_refuses(value):
    refused(check_text, value, NAME)


@given(value=printable_text)
@example(value='caf\u00e9 \u4e2d')
def test_check_text_returns_valid_text_unchanged(value):
    assert check_text(value, NAME) is value


# -- check_port and check_positive_number ------------------------------------------------------------------------------

@given(value=st.one_of(bad_port, wrong_type_for_int))
@example(value=True)  # a boolean is not a port (Python takes True for 1)
def test_check_port_refuses(value):
    refused(check_port, value, NAME)


@given(value=valid_port, as_text=st.booleans())
@example(value=80, as_text=True)
def test_check_port_accepts_valid_ports(value, as_text):
    assert check_port(str(value) if as_text else value, NAME) == value
    assert check_port(value, NAME) is value


@given(value=st.one_of(st.booleans(), st.none(), st.integers(max_value=0), st.floats(max_value=0), safe_text,
                       st.sampled_from([float('nan'), float('inf'), float('-inf')]), st.lists(st.integers(), max_size=1)))
@example(value=True)
def test_check_positive_number_refuses(value):
    refused(check_positive_number, value, NAME)


@given(value=st.one_of(st.integers(min_value=1), st.integers(min_value=10 ** 300, max_value=10 ** 500),
                       st.floats(min_value=1e-300, allow_infinity=False)))
@example(value=10 ** 400)  # found by this property: math.isnan() raised OverflowError on it (fixed in _validate since)
def test_check_positive_number_returns_valid_numbers_unchanged(value):
    assert check_positive_number(value, NAME) is value


# -- check_str_list ------------------------------------------------------------------------------------------------------

@given(value=st.one_of(str_for_list, st.none(), st.integers(), st.booleans(), st.dictionaries(safe_text, safe_text, max_size=2),
                       st.tuples(st.lists(safe_text, max_size=2), st.one_of(hostile_text, wrong_type_for_str)).map(lambda t: t[0] + [t[1]])))
@example(value='registry.ollama.ai')  # a string where a list belongs is refused, never split into one-letter entries
@example(value='list')  # found by this property: the refusal quotes the value, which the leak check took for a type name
def test_check_str_list_refuses(value):
    refused(check_str_list, value, NAME)


@given(value=st.lists(printable_text, max_size=5), as_tuple=st.booleans())
@example(value=['registry.ollama.ai'], as_tuple=False)
def test_check_str_list_returns_valid_lists_unchanged(value, as_tuple):
    assert check_str_list(tuple(value) if as_tuple else value, NAME) == value


# -- environment names, values and maps; checked_env ---------------------------------------------------------------------

@given(value=st.one_of(bad_env_name, st.integers(), st.none(), st.lists(valid_env_name, max_size=1)))
@example(value='OLLAMA HOST')
def test_check_env_name_refuses(value):
    refused(check_env_name, value, NAME)


@given(value=valid_env_name)
@example(value='OLLAMA_HOST')
def test_check_env_name_returns_valid_names_unchanged(value):
    assert check_env_name(value, NAME) is value


@given(value=st.one_of(text_with_newline_injection, st.tuples(safe_text, st.sampled_from(['\x00', '\r', '\n']), safe_text).map(''.join),
                       st.none(), st.lists(safe_text, max_size=1), st.dictionaries(safe_text, safe_text, max_size=1)))
@example(value='x\nOLLAMA_HOST=0.0.0.0')  # a line of its own choosing after the role's own
def test_check_env_value_refuses(value):
    refused(check_env_value, value, NAME)


@given(value=valid_env_value)
@example(value='http://proxy:3128 "quoted" \\ back\\slash')
def test_check_env_value_returns_valid_values_unchanged(value):
    assert check_env_value(value, NAME) == value


env_map = st.dictionaries(valid_env_name, st.one_of(valid_env_value, st.integers(), st.booleans()), max_size=4)


@given(mapping=env_map, bad=st.one_of(
    st.tuples(bad_env_name, valid_env_value),
    st.tuples(valid_env_name, st.one_of(text_with_newline_injection, st.none(), st.lists(safe_text, max_size=1)))),
    reserved=st.lists(valid_env_name, max_size=2))
@example(mapping={}, bad=('OLLAMA_HOST', 'x\nOLLAMA_ORIGINS=*'), reserved=[])
def test_check_env_map_and_checked_env_refuse(mapping, bad, reserved):
    hostile = dict(mapping)
    hostile[bad[0]] = bad[1]
    reserved = [name for name in reserved if name.upper() != str(bad[0]).upper()]
    refused(check_env_map, hostile, NAME, reserved=reserved)
    with pytest.raises(AnsibleFilterError) as caught:
        checked_env(hostile, NAME, reserved)
    assert NAME in str(caught.value)


@given(mapping=env_map.filter(bool), data=st.data())
@example(mapping={'OLLAMA_HOST': '0.0.0.0'}, data=None)
def test_reserved_names_are_refused_in_any_case(mapping, data):
    name = sorted(mapping)[0] if data is None else data.draw(st.sampled_from(sorted(mapping)))
    message = refused(check_env_map, mapping, NAME, reserved=[name.lower()])
    assert name in message
    with pytest.raises(AnsibleFilterError):
        checked_env(mapping, NAME, [name.swapcase()])


@given(mapping=st.one_of(st.lists(safe_text, max_size=2), safe_text, st.integers(), st.none(), st.booleans()))
@example(mapping='OLLAMA_HOST=0.0.0.0')
def test_check_env_map_refuses_what_is_not_a_mapping(mapping):
    refused(check_env_map, mapping, NAME)


@given(mapping=env_map, reserved=st.lists(valid_env_name, max_size=3))
@example(mapping={'HTTPS_PROXY': 'http://proxy:3128', 'OLLAMA_DEBUG': True, 'N': 1}, reserved=['OLLAMA_HOST'])
def test_valid_maps_are_returned_with_string_values(mapping, reserved):
    reserved = [name for name in reserved if name.upper() not in set(key.upper() for key in mapping)]
    expected = dict((key, ('true' if value else 'false') if isinstance(value, bool) else str(value)) for key, value in mapping.items())
    assert check_env_map(mapping, NAME, reserved=reserved) == expected
    assert checked_env(mapping, NAME, reserved) == expected
    assert checked_env(expected, NAME, reserved) == expected  # idempotent


# -- check_url and check_abs_path ------------------------------------------------------------------------------------------

@given(value=st.one_of(bad_url, hostile_text, wrong_type_for_str,
                       st.tuples(valid_url, text_with_newline_injection).map(''.join)))
@example(value='http://127.0.0.1:11434\r\nX-Evil: 1')
def test_check_url_refuses(value):
    refused(check_url, value, NAME)


@given(value=valid_url)
@example(value='http://[::1]:11434/')
def test_check_url_returns_valid_urls_unchanged(value):
    assert check_url(value, NAME) is value


path_part = st.text(alphabet=string.ascii_letters + string.digits + '_.@%+=:,-', min_size=1, max_size=20).filter(lambda s: s not in ('.', '..'))
valid_path = st.lists(path_part, max_size=5).map(lambda parts: '/' + '/'.join(parts))


@given(value=st.one_of(safe_text.filter(lambda s: not s.startswith('/')), st.tuples(valid_path, path_part).map(lambda t: '%s/../%s' % t),
                       valid_path.map(lambda p: p + '/..'), text_with_control.map(lambda s: '/' + s), text_with_invisible.map(lambda s: '/' + s),
                       blank_text, huge_text.map(lambda s: '/' + s), wrong_type_for_str))
@example(value='/srv/../etc/shadow')
def test_check_abs_path_refuses(value):
    refused(check_abs_path, value, NAME)


@given(value=st.tuples(valid_path, st.sampled_from(SHELL), path_part).map(lambda t: '%s/%s%s' % t))
@example(value='/srv/backups/$(id)')  # ran as root on every backup when a script sourced the path
def test_check_abs_path_refuses_shell_syntax_where_a_shell_reads_it(value):
    refused(check_abs_path, value, NAME, shell_safe=True)


@given(value=valid_path, shell_safe=st.booleans())
@example(value='/srv/ai-coding/backups', shell_safe=True)
def test_check_abs_path_returns_valid_paths_unchanged(value, shell_safe):
    assert check_abs_path(value, NAME, shell_safe=shell_safe) is value


# -- show and type_name -----------------------------------------------------------------------------------------------

anything = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(), st.binary(max_size=20),
                                  hostile_text, huge_text, text_with_shell),
                        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
                        max_leaves=8)


@given(value=anything)
@example(value='\ud800\x1b[2J\u202e')
def test_show_and_type_name_describe_anything(value):
    shown = show(value)
    assert not bad_chars(shown), repr(shown)
    assert len(shown) < 140
    assert type_name(value) in ('null', 'boolean', 'integer', 'number', 'bytes', 'string', 'mapping', 'list')


# -- Regressions: defects of _validate this suite found (each accepted a value it must refuse) ---------------------------------

def test_regression_env_name_with_a_trailing_newline():
    refused(check_env_name, 'FOO\n', NAME)


def test_regression_env_map_key_with_a_trailing_newline():
    refused(check_env_map, {'OLLAMA_HOST\n': '0.0.0.0'}, NAME, reserved=['OLLAMA_HOST'])


def test_regression_port_with_a_trailing_newline():
    refused(check_port, '80\n', NAME)


def test_regression_url_with_a_backslash_before_the_at_sign():
    refused(check_url, 'http://h\\@evil/', NAME)
