# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter ``health_table``: the ``checks`` of ``selfhosted.ai_coding.service_health`` as an aligned text table.

Documentation: ``health_table.yml`` beside this file (``ansible-doc -t filter selfhosted.ai_coding.health_table``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

HEADERS = ('NAME', 'TYPE', 'OK', 'DETAIL', 'ms')
DEFAULT_DETAIL_WIDTH = 80
MIN_DETAIL_WIDTH = 10
ELLIPSIS = '...'


def _one_line(value):
    return ' '.join(to_text(value, errors='surrogate_or_replace').split())


def _cell(entry, key):
    value = entry.get(key)
    return '-' if value is None or value == '' else _one_line(value)


def _clip(text, width):
    if width and len(text) > width:
        return text[:width - len(ELLIPSIS)] + ELLIPSIS
    return text


def health_table(checks, detail_width=DEFAULT_DETAIL_WIDTH, lines=False):
    """Render service_health's ``checks`` (or the whole registered result) as a table; see health_table.yml."""
    if isinstance(checks, Mapping) and 'checks' in checks:
        checks = checks['checks']
    if isinstance(checks, (str, bytes, Mapping)) or not isinstance(checks, Sequence):
        raise AnsibleFilterError('health_table: expects the checks list that service_health returns (or its whole result), got %s'
                                 % type(checks).__name__)
    if isinstance(detail_width, bool):
        raise AnsibleFilterError('health_table: detail_width must be a whole number, got %r' % (detail_width,))
    try:
        width = int(detail_width)
    except (TypeError, ValueError):
        raise AnsibleFilterError('health_table: detail_width must be a whole number, got %r' % (detail_width,))
    if width != 0 and width < MIN_DETAIL_WIDTH:
        raise AnsibleFilterError('health_table: detail_width must be 0 (no limit) or at least %d, got %r' % (MIN_DETAIL_WIDTH, detail_width))

    rows = []
    for position, entry in enumerate(checks):
        if not isinstance(entry, Mapping):
            raise AnsibleFilterError('health_table: checks[%d] is not a dict but %s: %r' % (position, type(entry).__name__, entry))
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
