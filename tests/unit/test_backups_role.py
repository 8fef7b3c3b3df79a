# SPDX-License-Identifier: GPL-3.0-or-later
"""The backups role: bad input is refused by tasks/validate.yml with the value and the rule named, before anything
changes; and the Molecule scenario's retention oracle (molecule/backups/files/expected_retention.py, the test's own
model of restic's forget policy that B05 compares restic against) is right on hand-computed cases."""
from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ORACLE = ROOT / "molecule" / "backups" / "files" / "expected_retention.py"

_spec = importlib.util.spec_from_file_location("expected_retention", ORACLE)
oracle = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(oracle)


def snaps(*times):
    return [{"id": f"id{i:03d}", "time": t} for i, t in enumerate(times)]


def test_daily_keeps_the_newest_of_each_of_the_last_n_days():
    times = [f"2026-03-{d:02d}T03:00:00Z" for d in range(1, 11)] + ["2026-03-10T01:00:00Z"]
    kept = oracle.kept(snaps(*times), {"daily": 7, "weekly": 0, "monthly": 0})
    # days 4..10, and on day 10 only the later snapshot (03:00, id009), not 01:00 (id010)
    assert sorted(kept) == [f"id{i:03d}" for i in range(3, 10)]


def test_weekly_uses_iso_weeks_across_the_year_end():
    # 2026-12-31 (Thu) and 2027-01-03 (Sun) are both in ISO week 2026-W53; 2027-01-04 (Mon) starts 2027-W01
    kept = oracle.kept(snaps("2026-12-31T03:00:00Z", "2027-01-03T03:00:00Z", "2027-01-04T03:00:00Z"),
                       {"daily": 0, "weekly": 3, "monthly": 0})
    assert sorted(kept) == ["id001", "id002"]


def test_monthly_and_union_of_rules():
    times = ["2026-01-15T03:00:00Z", "2026-02-10T03:00:00Z", "2026-02-20T03:00:00Z", "2026-03-01T03:00:00Z",
             "2026-03-02T03:00:00Z"]
    kept = oracle.kept(snaps(*times), {"daily": 1, "weekly": 0, "monthly": 2})
    # daily: 03-02 (id004); monthly: March -> id004 again, February -> 02-20 (id002)
    assert sorted(kept) == ["id002", "id004"]


def test_periods_are_read_in_the_snapshots_own_offset_and_nanoseconds_parse():
    # 00:30 at +01:00 is still 31 December in UTC, but restic buckets it as 1 January (its own offset)
    kept = oracle.kept(snaps("2026-12-31T20:00:00.123456789+01:00", "2027-01-01T00:30:00.5+01:00"),
                       {"daily": 0, "weekly": 0, "monthly": 1})
    assert kept == ["id001"]


def test_zero_counts_keep_nothing():
    assert oracle.kept(snaps("2026-01-01T00:00:00Z"), {"daily": 0, "weekly": 0, "monthly": 0}) == []


VALID = {"backups_repository": "/srv/restic-repo", "backups_password": "unit-test-only"}

BAD = [
    ({"backups_keep_daily": -1}, "backups_keep_daily=-1"),
    ({"backups_keep_daily": 0, "backups_keep_weekly": 0, "backups_keep_monthly": 0}, "at least one > 0"),
    ({"backups_repository": "ftp://host/repo"}, "backups_repository=ftp://host/repo has an unknown or malformed scheme"),
    ({"backups_repository": "local:relative/path"}, "backups_repository=local:relative/path has an unknown or malformed scheme"),
    ({"backups_password": ""}, "backups_password (not shown) are both required"),
    ({"backups_repository": ""}, "are both required"),
    ({"backups_repository": "s3:https://s3.example.test/bucket"}, "backups_s3_access_key_id and"),
    ({"backups_repository": "s3:https://s3.example.test/bucket", "backups_s3_access_key_id": "AK",
      "backups_s3_secret_access_key": "has space"}, "backups_s3_secret_access_key holds whitespace"),
    ({"backups_drill_database": "coolify"}, "backups_drill_database=coolify"),
    ({"backups_extra_paths": ["relative/dir"]}, 'backups_extra_paths[0] is "relative/dir": it must be an absolute path'),
    ({"backups_check_full_day": 31}, "backups_check_full_day=31"),
    ({"backups_on_calendar": "every night"}, "backups_on_calendar=every night (rule: a systemd OnCalendar= expression"),
]


def run_validate(tmp_path, extra):
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not available on the controller")
    playbook = tmp_path / "validate.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Validate", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Run the role's validation", "ansible.builtin.include_role": {
            "name": "selfhosted.ai_coding.backups", "tasks_from": "validate.yml"}}]}]))
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({**VALID, **extra}))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "default"}
    return subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook), "-e", f"@{variables}",
                           "-e", f"ansible_python_interpreter={sys.executable}"],
                          capture_output=True, text=True, env=env, check=False, timeout=300)


def test_valid_settings_pass(tmp_path):
    result = run_validate(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("extra", "message"), BAD, ids=[case[1] for case in BAD])
def test_bad_input_is_refused_with_value_and_rule(tmp_path, extra, message):
    result = run_validate(tmp_path, extra)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output
    assert " ".join(message.split()) in output, output
    assert "unit-test-only" not in output, "the password leaked into the output"
