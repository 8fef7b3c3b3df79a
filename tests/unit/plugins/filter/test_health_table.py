# Unit tests for plugins/filter/health_table.py.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.filter.health_table import FilterModule, health_table

CHECKS = [
    {'name': 'ollama', 'type': 'ollama', 'ok': True, 'detail': 'version 0.17.4; models present: qwen2.5-coder:7b', 'elapsed_ms': 41, 'attempts': 1},
    {'name': 'openhands', 'type': 'http', 'ok': False, 'detail': 'HTTP 502 Bad Gateway, expected 200', 'elapsed_ms': 3, 'attempts': 4},
    {'name': 'coolify', 'type': 'docker', 'ok': True, 'detail': 'healthy (healthcheck)', 'elapsed_ms': 1088, 'attempts': 1},
]


def test_table_layout():
    assert health_table(CHECKS) == '\n'.join([
        'NAME      | TYPE   | OK   | DETAIL                                           |   ms',
        '----------+--------+------+--------------------------------------------------+-----',
        'ollama    | ollama | ok   | version 0.17.4; models present: qwen2.5-coder:7b |   41',
        'openhands | http   | FAIL | HTTP 502 Bad Gateway, expected 200 (4 attempts)  |    3',
        'coolify   | docker | ok   | healthy (healthcheck)                            | 1088',
    ])


def test_every_line_has_the_same_width_and_column_positions():
    lines = health_table(CHECKS, lines=True)
    assert len({len(line) for line in lines}) == 1
    bars = {tuple(i for i, char in enumerate(line) if char in '|+') for line in lines}
    assert len(bars) == 1


def test_whole_registered_result_is_accepted():
    assert health_table({'changed': False, 'ok': False, 'checks': CHECKS}) == health_table(CHECKS)


def test_lines_option_returns_a_list():
    lines = health_table(CHECKS, lines=True)
    assert isinstance(lines, list) and len(lines) == 5
    assert lines[0].startswith('NAME ')


def test_long_detail_is_clipped_and_zero_means_no_limit():
    entry = {'name': 'x', 'type': 'http', 'ok': False, 'detail': 'a' * 200, 'elapsed_ms': 1, 'attempts': 1}
    row = health_table([entry], detail_width=20, lines=True)[2]
    assert ' | ' + 'a' * 17 + '... | ' in row
    assert 'a' * 200 in health_table([entry], detail_width=0)
    assert 'a' * 77 + '...' in health_table([entry])


def test_newlines_and_missing_values():
    lines = health_table([{'name': 'n', 'detail': 'line one\nline two', 'ok': None}], lines=True)
    assert lines[2] == 'n    | -    | ?  | line one line two |  -'


def test_empty_list_gives_header_only():
    assert health_table([], lines=True) == ['NAME | TYPE | OK | DETAIL | ms', '-----+------+----+--------+---']


@pytest.mark.parametrize('value, width, rule', [
    ('text', 80, r"expects the checks list .* got a string \('text'\)"),
    ({'name': 'x'}, 80, 'expects the checks list .* got a mapping'),
    (42, 80, r'expects the checks list .* got an integer \(42\)'),
    (['nope'], 80, r"checks\[0\] is not a mapping but a string \('nope'\)"),
    (CHECKS, 5, r'detail_width must be a whole number, 0 \(no limit\) or at least 10, got 5'),
    (CHECKS, 'wide', "detail_width must be a whole number, .* got 'wide'"),
    (CHECKS, True, 'detail_width must be a whole number, .* got true'),
    (CHECKS, 40.5, 'detail_width must be a whole number, .* got 40.5'),
    (CHECKS, float('inf'), 'detail_width must be a whole number, .* got inf'),
    (CHECKS, float('nan'), 'detail_width must be a whole number, .* got nan'),
    (CHECKS, -1, 'detail_width must be a whole number, .* got -1'),
    (CHECKS, [40], 'detail_width must be a whole number, .* got a list'),
])
def test_bad_inputs(value, width, rule):
    with pytest.raises(AnsibleFilterError, match=rule):
        health_table(value, width)


def test_lines_must_be_a_boolean():
    with pytest.raises(AnsibleFilterError, match=r"lines must be true or false, got a string \('no'\)"):
        health_table(CHECKS, 80, 'no')


def test_control_characters_in_a_detail_are_escaped_not_sent_to_the_terminal():
    entry = {'name': 'x\x1b[31m', 'type': 'http', 'ok': False, 'detail': 'bad\x1b[2J\u202eevil\x00', 'elapsed_ms': 1}
    row = health_table([entry], lines=True)[2]
    assert '\x1b' not in row and '\u202e' not in row and '\x00' not in row
    assert 'x\\x1b[31m' in row and 'bad\\x1b[2J\\u202eevil\\x00' in row


def test_filter_is_registered():
    assert FilterModule().filters() == {'health_table': health_table}


def test_attempts_note_survives_clipping():
    entry = {'name': 'x', 'type': 'tcp', 'ok': False, 'detail': 'b' * 100, 'elapsed_ms': 1, 'attempts': 4}
    row = health_table([entry], detail_width=30, lines=True)[2]
    assert ' | ' + 'b' * 14 + '... (4 attempts) | ' in row


def test_narrowest_width_with_a_long_note_keeps_some_detail():
    entry = {'name': 'x', 'type': 'tcp', 'ok': False, 'detail': 'refused by peer', 'elapsed_ms': 1, 'attempts': 12}
    assert ' | r... (12 attempts) | ' in health_table([entry], detail_width=10)
