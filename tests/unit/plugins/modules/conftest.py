# Shared helpers for the module tests in this directory: run a module's main() with arguments, as Ansible would.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args


class ModuleRun(object):
    """What one module run returned: ``failed``, ``result`` (the JSON the module printed), ``rc`` (its exit code)."""

    def __init__(self, rc, result):
        self.rc = rc
        self.result = result

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    def __repr__(self):
        return 'ModuleRun(rc=%r, %r)' % (self.rc, self.result)


@pytest.fixture
def run_module(capsys):
    """``run_module(main, args) -> ModuleRun``: call a module's ``main()`` with ``args`` and decode what it printed."""

    def _run(main, args):
        capsys.readouterr()
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exited:
                main()
        out = capsys.readouterr().out
        try:
            result = json.loads(out)
        except ValueError:
            raise AssertionError('the module printed something that is not JSON: %r' % out)
        return ModuleRun(exited.value.code, result)

    return _run
