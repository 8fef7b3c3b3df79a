# SPDX-License-Identifier: GPL-3.0-or-later
"""Generate the variable table of each role's README from meta/argument_specs.yml (the source of truth).

The table sits between the markers below; text above it (the hand-written gotchas) is kept.
Usage: python tests/testbed/role_docs.py [--check] [role ...]   (--check exits 1 when a README is out of date)
"""
from __future__ import annotations

import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BEGIN = "<!-- BEGIN generated from meta/argument_specs.yml by tests/testbed/role_docs.py -->"
END = "<!-- END generated -->"


def cell(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else (value if value else '""')
    return text.replace("|", "\\|").replace("\n", " ")


def rows(options: dict) -> list[str]:
    out = ["| variable | type | default | description |", "| --- | --- | --- | --- |"]
    for name, opt in options.items():
        desc = opt.get("description", "")
        desc = " ".join(desc) if isinstance(desc, list) else desc
        if opt.get("choices"):
            desc += " Choices: " + ", ".join(str(c) for c in opt["choices"]) + "."
        out.append(f"| `{name}` | {opt.get('type', 'str')} | `{cell(opt.get('default'))}` | {cell(desc)} |")
    return out


def table(role: pathlib.Path) -> str:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    if "main" in specs:
        return "\n".join([BEGIN, "", *rows(specs["main"]["options"]), "", END])
    # A role of entry points only (included with tasks_from): one table per entry point that takes options.
    parts = [BEGIN]
    for entry, spec in specs.items():
        if spec.get("options"):
            parts += ["", f"Entry point `{entry}` (`tasks_from: {entry}.yml`): {spec.get('short_description', '')}", "",
                      *rows(spec["options"])]
    return "\n".join([*parts, "", END])


def render(role: pathlib.Path) -> str:
    readme = role / "README.md"
    current = readme.read_text() if readme.exists() else f"# {role.name}\n\n"
    block = table(role)
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + block + tail
    return current.rstrip("\n") + "\n\n## Variables\n\n" + block + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    names = [a for a in argv if not a.startswith("--")]
    roles = [ROOT / "roles" / n for n in names] or sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())
    stale = []
    for role in roles:
        new = render(role)
        readme = role / "README.md"
        if readme.exists() and readme.read_text() == new:
            continue
        if check:
            stale.append(str(readme.relative_to(ROOT)))
        else:
            readme.write_text(new)
            print(f"wrote {readme.relative_to(ROOT)}")
    if stale:
        print("out of date (run python tests/testbed/role_docs.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
