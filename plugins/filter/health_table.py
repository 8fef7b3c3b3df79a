# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``health_table``: the ``checks`` of ``selfhosted.ai_coding.service_health`` as an aligned text table.

Documentation: ``health_table.yml`` beside this file (``ansible-doc -t filter selfhosted.ai_coding.health_table``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import describe_value
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import bad_chars, show

HEADERS = ('NAME', 'TYPE', 'OK', 'DETAIL', 'ms')
DEFAULT_DETAIL_WIDTH = 80
MIN_DETAIL_WIDTH = 10
ELLIPSIS = '...'


def _one_line(value):
    """``value`` as one line of plain text: runs of white space become one space, and other control or invisible
    characters (an ESC that would drive the terminal, a bidi override that would reorder the row) are escaped."""
    text = ' '.join(to_text(value, errors='surrogate_or_replace').split())
    hidden = set(bad_chars(text))
    if hidden:
        text = ''.join(ch.encode('unicode_escape').decode('ascii') if ch in hidden else ch for ch in text)
    return text


def _cell(entry, key):
    value = entry.get(key)
    return '-' if value is None or value == '' else _one_line(value)


def _clip(text, width):
    if width and len(text) > width:
        return text[:width - len(ELLIPSIS)] + ELLIPSIS
    return text


def _width(detail_width):
    """``detail_width`` as an int: a whole number (or its digits as text), 0 or at least MIN_DETAIL_WIDTH."""
    rule = 'health_table: detail_width must be a whole number, 0 (no limit) or at least %d, got %s' % (MIN_DETAIL_WIDTH, show(detail_width))
    if isinstance(detail_width, bool):
        raise AnsibleFilterError(rule)
    if isinstance(detail_width, float) and detail_width.is_integer():
        detail_width = int(detail_width)
    if isinstance(detail_width, str) and re.match(r'^[0-9]{1,9}\Z', detail_width):
        detail_width = int(detail_width)
    if not isinstance(detail_width, int):
        raise AnsibleFilterError(rule)
    if detail_width != 0 and detail_width < MIN_DETAIL_WIDTH:
        raise AnsibleFilterError(rule)
    return detail_width


def health_table(checks, detail_width=DEFAULT_DETAIL_WIDTH, lines=False):
    """Render service_health's ``checks`` (or the whole registered result) as a table; see health_table.yml."""
    if isinstance(checks, Mapping) and 'checks' in checks:
        checks = checks['checks']
    if isinstance(checks, (str, bytes, Mapping)) or not isinstance(checks, Sequence):
        raise AnsibleFilterError('health_table: expects the checks list that service_health returns (or its whole result), got %s'
                                 % describe_value(checks))
    width = _width(detail_width)
    if not isinstance(lines, bool):
        raise AnsibleFilterError('health_table: lines must be true or false, got %s' % describe_value(lines))

    rows = []
    for position, entry in enumerate(checks):
        if not isinstance(entry, Mapping):
            raise AnsibleFilterError('health_table: checks[%d] is not a mapping but %s; each check is a mapping with name, '
                                     'type, ok, detail and elapsed_ms' % (position, describe_value(entry)))
        attempts = entry.get('attempts')
        note = ' (%d attempts)' % attempts if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts > 1 else ''
        # The attempts note survives clipping: the detail is cut to leave room for it.
        detail = _clip(_cell(entry, 'detail'), max(width - len(note), len(ELLIPSIS) + 1) if width else 0) + note
        ok = entry.get('ok')
        elapsed = entry.get('elapsed_ms')
        rows.append((
            _cell(entry, 'name'),
            _cell(entry, 'type'),
            'ok' if ok is True else ('FAIL' if ok is False else '?'),
            detail,
            '-' if elapsed is None else _one_line(elapsed),
        ))

    widths = [max([len(header)] + [len(row[column]) for row in rows]) for column, header in enumerate(HEADERS)]

    def render(cells):
        left = [cell.ljust(widths[column]) for column, cell in enumerate(cells[:-1])]
        return ' | '.join(left + [cells[-1].rjust(widths[-1])]).rstrip()

    out = [render(HEADERS), '-+-'.join('-' * size for size in widths)]
    out.extend(render(row) for row in rows)
    return out if lines else '\n'.join(out)


class FilterModule(object):
    def filters(self):
        return {'health_table': health_table}
