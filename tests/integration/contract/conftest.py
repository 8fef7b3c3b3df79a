# Pytest fixtures for the Ollama stand-in contract suite: a fixture registry and stand-in servers on 127.0.0.1.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start ``tests/fixtures/ollama_standin/ollama serve`` on a free loopback port with a private store, home and registry.

Servers bind ``127.0.0.1:0``; the port is read back from the stand-in's ``Listening on ...`` log line, as one would
read upstream's, so there is no race for a port. Every server a test starts is killed when the test ends.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
STANDIN_DIR = REPO / "tests" / "fixtures" / "ollama_standin"
SCRIPT = STANDIN_DIR / "ollama"

sys.path.insert(0, str(STANDIN_DIR))

import make_registry  # noqa: E402  pylint: disable=wrong-import-position

LISTENING = re.compile(r"Listening on (\S+):(\d+) \(version ([^)]+)\)")


def load_standin_module():
    """Import the stand-in script (no .py suffix) as a module, for tests of its pure functions."""
    loader = importlib.machinery.SourceFileLoader("ollama_standin_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def base_env(home):
    """A clean environment: no OLLAMA_* leaking in from the caller, a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLLAMA_") and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env["HOME"] = str(home)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


class StandinServer:
    """One ``ollama serve`` process of the stand-in."""

    def __init__(self, workdir, registry, models=None, env=None, python=sys.executable, script=SCRIPT):
        self.workdir = Path(workdir)
        self.home = self.workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.models = Path(models) if models else self.workdir / "models"
        self.registry = Path(registry) if registry else None
        self.request_log = self.workdir / "requests.jsonl"
        self.extra_env = dict(env or {})
        self.python = python
        self.script = Path(script)
        self.proc = None
        self.port = None
        self.version = None
        self.log_path = None
        self._starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def env(self, **overrides):
        env = base_env(self.home)
        env["OLLAMA_MODELS"] = str(self.models)
        if self.registry is not None:
            env["OLLAMA_STANDIN_REGISTRY"] = str(self.registry)
        env["OLLAMA_STANDIN_REQUEST_LOG"] = str(self.request_log)
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def start(self, timeout=60):
        self._starts += 1
        self.log_path = self.workdir / f"serve-{self._starts}.log"
        env = self.env(OLLAMA_HOST="127.0.0.1:0")
        argv = ([self.python] if self.python else []) + [str(self.script), "serve"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)  # noqa: S603
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = LISTENING.search(self.log())
            if m:
                self.port, self.version = int(m.group(2)), m.group(3)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"stand-in did not start (rc={self.proc.returncode}):\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.proc.returncode if self.proc else None

    def restart(self, kill=False):
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start()

    def cli(self, *args, timeout=60, **env_overrides):
        """Run the stand-in as the CLI against this server (OLLAMA_HOST set as a user would)."""
        env = self.env(OLLAMA_HOST=f"127.0.0.1:{self.port}", **env_overrides)
        argv = ([self.python] if self.python else []) + [str(self.script), *args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603

    def requests(self):
        if not self.request_log.exists():
            return []
        return [json.loads(line) for line in self.request_log.read_text().splitlines() if line.strip()]

    def manifest_path(self, host, namespace, model, tag):
        return self.models / "manifests" / host / namespace / model / tag

    def blobs(self):
        d = self.models / "blobs"
        return sorted(p.name for p in d.iterdir()) if d.exists() else []


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    """The fixture registry, built once per session. Tests must not modify it (copy it first)."""
    path = tmp_path_factory.mktemp("registry") / "standin-registry"
    digests = make_registry.build_registry(str(path))
    assert len(digests) >= 34
    return path


@pytest.fixture
def make_server(tmp_path, registry):
    """Factory: make_server(env={...}, models=..., registry_path=..., start=True, python=..., script=...) -> StandinServer (killed at teardown)."""
    servers = []

    def factory(env=None, models=None, registry_path=None, no_registry=False, start=True, name=None, **kwargs):
        """no_registry: leave OLLAMA_STANDIN_REGISTRY unset (the script's default location is used)."""
        workdir = tmp_path / (name or f"server{len(servers)}")
        workdir.mkdir(parents=True, exist_ok=True)
        srv = StandinServer(workdir, None if no_registry else (registry_path or registry), models=models, env=env, **kwargs)
        servers.append(srv)
        return srv.start() if start else srv

    yield factory
    for srv in servers:
        srv.kill9()


@pytest.fixture
def server(make_server):
    """A fresh server with an empty store (for tests that assert on the whole store)."""
    return make_server()


SHARED_MODELS = ("qwen2.5-coder:0.5b", "qwen2.5-coder:7b", "nomic-embed-text", "tinyllama")


@pytest.fixture(scope="module")
def shared(tmp_path_factory, registry):
    """One server per module with SHARED_MODELS pulled, for tests that only add to or read the store.

    It also allows the extra CORS origins https://*.example.org (OLLAMA_ORIGINS).
    """
    ollama = pytest.importorskip("ollama")
    srv = StandinServer(tmp_path_factory.mktemp("shared"), registry, env={"OLLAMA_ORIGINS": "https://*.example.org"}).start()
    try:
        with ollama.Client(host=srv.url, timeout=30, verify=False, trust_env=False) as c:
            for name in SHARED_MODELS:
                assert c.pull(name, stream=False).status == "success"
        yield srv
    finally:
        srv.kill9()


@pytest.fixture
def shared_client(shared):
    ollama = pytest.importorskip("ollama")
    with ollama.Client(host=shared.url, timeout=30, verify=False, trust_env=False) as c:
        yield c


@pytest.fixture
def client(server):
    ollama = pytest.importorskip("ollama")
    with ollama.Client(host=server.url, timeout=30, verify=False, trust_env=False) as c:
        yield c


@pytest.fixture(scope="session")
def standin_server_class():
    """StandinServer, for module-scoped fixtures that build their own server."""
    return StandinServer


@pytest.fixture(scope="session")
def clean_env():
    """clean_env(home) -> an environment without OLLAMA_* or proxies, HOME=home."""
    return base_env


@pytest.fixture(scope="session")
def standin_module():
    return load_standin_module()


class CliResult:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_cli(standin_module, monkeypatch, capsys):
    """run_cli(server, *args) -> CliResult: the stand-in's CLI run in-process (cheap), OLLAMA_HOST set to the server."""

    def run(srv, *args):
        capsys.readouterr()
        with monkeypatch.context() as m:
            m.setenv("OLLAMA_HOST", f"127.0.0.1:{srv.port}" if srv is not None else "127.0.0.1:9")
            rc = standin_module.main(list(args))
        out = capsys.readouterr()
        return CliResult(rc, out.out, out.err)

    return run
