"""Property suite (Hypothesis).

The strategies in hostile.py are importable as ``hostile`` from every test here (and loading it selects the suite's
settings profile). At the end of the run a table gives, per property, how many generated and explicit (``@example``)
cases ran; a property that ran fewer than MIN_GENERATED generated cases, or keeps no ``@example`` regression case,
fails the run (the platform's design asks for at least 100 generated cases per property).
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Loads the 'hostile' settings profile before any test is collected.
import hostile  # noqa: E402,F401  pylint: disable=unused-import,wrong-import-position

MIN_GENERATED = 100
_COUNTS = {}
_PHASE_RE = re.compile(r'during (\w+) phase .*?\n.*?\n\s*- (\d+) passing, (\d+) failing', re.S)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    stats = getattr(item, 'hypothesis_statistics', None)
    if call.when == 'teardown' and stats and item.nodeid not in _COUNTS:
        phases = {m.group(1): int(m.group(2)) + int(m.group(3)) for m in _PHASE_RE.finditer(stats)}
        fn = getattr(item, 'obj', None)
        explicit = getattr(fn, 'hypothesis_explicit_examples', None)
        if explicit is None:
            explicit = getattr(getattr(getattr(fn, 'hypothesis', None), 'inner_test', None), 'hypothesis_explicit_examples', [])
        _COUNTS[item.nodeid] = (phases.get('generate', 0), len(explicit or []))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _COUNTS:
        return
    tr = terminalreporter
    tr.section('property suite: generated cases per property')
    low = []
    for nodeid, (generated, explicit) in sorted(_COUNTS.items()):
        tr.write_line('%6d generated %3d explicit  %s' % (generated, explicit, nodeid.split('properties/')[-1]))
        if generated < MIN_GENERATED or explicit < 1:
            low.append(nodeid)
    tr.write_line('%d properties, %d generated cases, %d explicit (regression) cases'
                  % (len(_COUNTS), sum(c[0] for c in _COUNTS.values()), sum(c[1] for c in _COUNTS.values())))
    if low:
        tr.write_line('FEWER THAN %d GENERATED CASES OR NO @example REGRESSION CASE: %s'
                      % (MIN_GENERATED, ', '.join(low)), red=True)


def pytest_sessionfinish(session, exitstatus):
    low = [n for n, (g, e) in _COUNTS.items() if g < MIN_GENERATED or e < 1]
    if low and session.exitstatus == 0:
        session.exitstatus = 1
