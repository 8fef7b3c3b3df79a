# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the Python benchmarks: make this checkout importable as ansible_collections.selfhosted.ai_coding."""

from __future__ import annotations

import pathlib
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]


def collections_path(prefix='benchmark_collections_'):
    """A directory holding ansible_collections/selfhosted/ai_coding -> this checkout (the make targets' one if there)."""
    made = REPO / '.cache' / 'collections'
    if (made / 'ansible_collections' / 'selfhosted' / 'ai_coding').exists():
        return made
    scratch = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    (scratch / 'ansible_collections' / 'selfhosted').mkdir(parents=True)
    (scratch / 'ansible_collections' / 'selfhosted' / 'ai_coding').symlink_to(REPO)
    return scratch
