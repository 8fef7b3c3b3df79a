# SPDX-License-Identifier: GPL-3.0-or-later
"""Put the pinned awx.awx collection where the test bed's collections path finds it, from PyPI.

awx.awx is not in the `ansible` 14.5.0 package CI pins; the `ansible` 12.3.0 wheel ships awx.awx 24.6.1. This
downloads that wheel once (pip, the configured index) into $CACHE_DIR/downloads, checks its SHA-256 against the pin
below, and extracts ansible_collections/awx/awx into $CACHE_DIR/collections (on ANSIBLE_COLLECTIONS_PATH, see env.sh).
Used by tests/unit/test_team_definitions.py (validation against awx.awx's argument specs) and by the lint of
playbooks/awx_apply.yml. `python tests/testbed/awx_collection.py` prints the collection's path; exit 1 with the reason
when it cannot be had.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "ansible-12.3.0-py3-none-any.whl"
WHEEL_REQUIREMENT = "ansible==12.3.0"
WHEEL_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
AWX_VERSION = "24.6.1"

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Unavailable(Exception):
    """The pinned collection could not be downloaded or did not match its pin."""


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CACHE_DIR") or ROOT / ".cache")


def collection_root() -> pathlib.Path:
    """The directory to put on a collections path (it holds ansible_collections/awx/awx)."""
    return cache_dir() / "collections"


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _installed_version(target: pathlib.Path) -> str | None:
    manifest = target / "MANIFEST.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text())["collection_info"]["version"]


def ensure() -> pathlib.Path:
    """Return the path of ansible_collections/awx/awx at the pinned version, fetching it when missing."""
    target = collection_root() / "ansible_collections" / "awx" / "awx"
    if _installed_version(target) == AWX_VERSION:
        return target
    downloads = cache_dir() / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    wheel = downloads / WHEEL
    if not wheel.is_file() or _sha256(wheel) != WHEEL_SHA256:
        wheel.unlink(missing_ok=True)
        run = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
             "-d", str(downloads), WHEEL_REQUIREMENT],
            capture_output=True, text=True, check=False)
        if run.returncode != 0 or not wheel.is_file():
            raise Unavailable(f"pip download {WHEEL_REQUIREMENT} failed (rc {run.returncode}): "
                              f"{(run.stderr or run.stdout).strip()[-600:]}")
    actual = _sha256(wheel)
    if actual != WHEEL_SHA256:
        wheel.unlink()
        raise Unavailable(f"{WHEEL} has SHA-256 {actual}, the pin is {WHEEL_SHA256}: refusing it")
    prefix = "ansible_collections/awx/awx/"
    with tempfile.TemporaryDirectory(dir=downloads) as tmp, zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith(prefix)]
        archive.extractall(tmp, members)
        extracted = pathlib.Path(tmp) / prefix
        version = _installed_version(extracted)
        if version != AWX_VERSION:
            raise Unavailable(f"{WHEEL} holds awx.awx {version}, expected {AWX_VERSION}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(extracted), target)
    return target


if __name__ == "__main__":
    try:
        print(ensure())
    except Unavailable as exc:
        print(f"awx_collection.py: {exc}", file=sys.stderr)
        sys.exit(1)
