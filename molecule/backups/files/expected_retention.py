# SPDX-License-Identifier: GPL-3.0-or-later
"""The test's own model of a restic forget policy (B05): which snapshots --keep-daily/--keep-weekly/--keep-monthly keep.

Written from restic's documented rules, not from its output: snapshots are taken newest first; each rule keeps the
newest snapshot of each of its first N distinct periods (day, ISO week, month), periods read in the snapshot's own
UTC offset; a snapshot is kept when any rule keeps it.
Usage: python3 expected_retention.py DAILY WEEKLY MONTHLY < snapshots.json (restic snapshots --json) -> JSON list of kept IDs
"""
from __future__ import annotations

import datetime
import json
import re
import sys


def parse_time(text: str) -> datetime.datetime:
    """RFC 3339 with up to nanoseconds (restic) -> aware datetime (microseconds)."""
    text = text.replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.datetime.fromisoformat(text)


def periods(when: datetime.datetime) -> dict[str, tuple]:
    iso = when.isocalendar()
    return {"daily": (when.year, when.month, when.day), "weekly": (iso[0], iso[1]), "monthly": (when.year, when.month)}


def kept(snapshots: list[dict], keep: dict[str, int]) -> list[str]:
    ordered = sorted(snapshots, key=lambda s: parse_time(s["time"]), reverse=True)
    result = []
    seen = {rule: [] for rule in keep}
    for snap in ordered:
        keep_it = False
        for rule, count in keep.items():
            period = periods(parse_time(snap["time"]))[rule]
            if count > 0 and period not in seen[rule] and len(seen[rule]) < count:
                seen[rule].append(period)
                keep_it = True
        if keep_it:
            result.append(snap["id"])
    return result


def main() -> int:
    daily, weekly, monthly = (int(a) for a in sys.argv[1:4])
    snapshots = json.load(sys.stdin)
    print(json.dumps(sorted(kept(snapshots, {"daily": daily, "weekly": weekly, "monthly": monthly}))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
