# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role: meta/argument_specs.yml is the source of truth, defaults/main.yml matches it, the README table is current."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "defaults" / "main.yml").exists())


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_match_argument_specs(role):
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options), "variables in one file but not the other"
    for name, value in defaults.items():
        assert options[name].get("default") == value, f"{role.name}: {name} default differs"
        assert name.startswith(role.name + "_"), f"{name} lacks the role prefix {role.name}_"
        assert options[name].get("description"), f"{name} has no description"


def test_role_readmes_are_generated_from_the_specs():
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "testbed" / "role_docs.py"), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
