# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests: the Ollama stand-in (tests/fixtures/ollama_standin) behaves as Ollama does for its real clients.

The stand-in replaces Ollama in every unit, Molecule and benchmark run, so a difference between it and upstream
would let a bug through. These tests drive it with the official ``ollama`` Python client and with raw HTTP
(httpx), read its store on disk, kill and restart it, inject each fault, and pack, verify and run its release
archives.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

STANDIN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "ollama_standin"
SCRIPT = STANDIN_DIR / "ollama"

ollama = pytest.importorskip("ollama")
from ollama import ResponseError  # noqa: E402
from ollama._types import ChatResponse, GenerateResponse, ListResponse, ProgressResponse, ShowResponse  # noqa: E402

sys.path.insert(0, str(STANDIN_DIR))
import make_registry  # noqa: E402
import make_release  # noqa: E402

SMALL = "qwen2.5-coder:0.5b"

# One plain-HTTP client for the whole module: a new httpx client per call loads the CA bundle every time (about half
# a second each on a busy machine), and every URL here is http://127.0.0.1.
HTTP = httpx.Client(verify=False, timeout=30, trust_env=False)


def ollama_client(url):
    return ollama.Client(host=url, timeout=30, verify=False, trust_env=False)


HEX64 = re.compile(r"^[0-9a-f]{64}$")


def registry_manifest(registry, name):
    return json.loads((Path(registry) / "manifests" / Path(*make_registry.split_name(name))).read_bytes())


def registry_manifest_digest(registry, name):
    return hashlib.sha256((Path(registry) / "manifests" / Path(*make_registry.split_name(name))).read_bytes()).hexdigest()


def all_layers(manifest):
    return manifest["layers"] + [manifest["config"]]


def model_names(client):
    return [m.model for m in client.list().models]


def pull_events(client, name):
    return list(client.pull(name, stream=True))


# --------------------------------------------------------------------------------------------------------------------
# Basics


def test_root_answers_get_and_head(shared):
    r = HTTP.get(shared.url + "/")
    assert (r.status_code, r.text) == (200, "Ollama is running")
    h = HTTP.head(shared.url + "/")
    assert h.status_code == 200
    assert h.headers["content-length"] == str(len("Ollama is running"))
    assert h.content == b""


def test_version_endpoint_and_cli(shared, run_cli):
    assert HTTP.get(shared.url + "/api/version").json() == {"version": "0.0.0"}
    out = shared.cli("--version")  # a real process, as a role would run it
    assert (out.returncode, out.stdout) == (0, "ollama version is 0.0.0\n")
    assert run_cli(shared, "-v").stdout == "ollama version is 0.0.0\n"


def test_cli_version_without_server_warns_like_upstream(run_cli):
    out = run_cli(None, "--version")  # 127.0.0.1:9, the discard port: nothing listens
    assert out.returncode == 0
    assert out.stdout == "Warning: could not connect to a running Ollama instance\nWarning: client version is 0.0.0\n"


def test_unknown_route_and_wrong_method(shared):
    r = HTTP.get(shared.url + "/api/nope")
    assert (r.status_code, r.text) == (404, "404 page not found")
    r = HTTP.get(shared.url + "/api/pull")
    assert (r.status_code, r.text) == (405, "405 method not allowed")


def test_loopback_server_refuses_foreign_host_header(shared):
    # allowedHostsMiddleware: DNS-rebinding protection when bound to loopback.
    assert HTTP.get(shared.url + "/api/version", headers={"Host": "evil.example"}).status_code == 403
    assert HTTP.get(shared.url + "/api/version", headers={"Host": "localhost:11434"}).status_code == 200
    assert HTTP.get(shared.url + "/api/version", headers={"Host": "ollama.internal"}).status_code == 200


def test_cors_origins(shared):
    assert HTTP.get(shared.url + "/api/tags", headers={"Origin": "https://evil.example"}).status_code == 403
    r = HTTP.get(shared.url + "/api/tags", headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    # shared runs with OLLAMA_ORIGINS=https://*.example.org
    assert HTTP.get(shared.url + "/api/tags", headers={"Origin": "https://ide.example.org"}).status_code == 200
    assert HTTP.get(shared.url + "/api/tags", headers={"Origin": "https://ide.example.com"}).status_code == 403
    pre = HTTP.request("OPTIONS", shared.url + "/api/chat", headers={"Origin": "vscode-webview://abc", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "vscode-webview://abc"


def test_host_parsing_and_name_grammar(standin_module):
    parse = standin_module.parse_ollama_host
    assert parse("") == ("http", "127.0.0.1", 11434)
    assert parse("127.0.0.1:11434") == ("http", "127.0.0.1", 11434)
    assert parse("0.0.0.0:11434") == ("http", "0.0.0.0", 11434)
    assert parse(":9999") == ("http", "", 9999)  # upstream binds every interface for ":port"
    assert parse("0.0.0.0") == ("http", "0.0.0.0", 11434)
    assert parse("example.com") == ("http", "example.com", 11434)
    assert parse("http://10.1.2.3:8080") == ("http", "10.1.2.3", 8080)
    assert parse("http://10.1.2.3") == ("http", "10.1.2.3", 80)
    assert parse("https://ollama.local") == ("https", "ollama.local", 443)
    assert parse("[::1]:11500") == ("http", "::1", 11500)
    assert parse('"127.0.0.1:1234"') == ("http", "127.0.0.1", 1234)

    name = standin_module.Name.parse
    assert str(name("qwen2.5-coder")) == "registry.ollama.ai/library/qwen2.5-coder:latest"
    assert name("qwen2.5-coder:7b").shortest() == "qwen2.5-coder:7b"
    assert name("user/m:tag").shortest() == "user/m:tag"
    assert name("host.example:5000/ns/m:tag").shortest() == "host.example:5000/ns/m:tag"
    assert name("https://host.example/ns/m").parts() == ("host.example", "ns", "m", "latest")
    for good in ("m", "a_b/c-d.e:1.5b", "h/n/m:t", "_x"):
        assert name(good).is_valid(), good
    for bad in ("", "../x", "a/../b", "ns.dot/m", "m:t:u", "-m", "m/", "/m", "a/b/c/d", "m:" + "t" * 81, "x" * 81, "m x", "m@sha256:00"):
        assert not name(bad).is_valid(), bad
    check = standin_module.check_digest
    assert check("sha256-" + "A" * 64) == "sha256:" + "a" * 64
    for bad in ("sha256:../../etc/passwd", "sha256:" + "a" * 63, "sha512:" + "a" * 64, None):
        with pytest.raises(standin_module.StandinError, match="invalid digest format"):
            check(bad)


# --------------------------------------------------------------------------------------------------------------------
# Pull


def test_pull_stream_has_upstream_sequence_and_real_progress(client, registry):
    events = pull_events(client, "qwen2.5-coder:7b")
    assert all(isinstance(e, ProgressResponse) for e in events)
    statuses = [e.status for e in events]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]

    manifest = registry_manifest(registry, "qwen2.5-coder:7b")
    layers = {layer["digest"]: layer["size"] for layer in all_layers(manifest)}
    progress = events[1:-3]
    assert {e.digest for e in progress} == set(layers)
    for digest, size in layers.items():
        mine = [e for e in progress if e.digest == digest]
        assert all(e.status == f"pulling {digest[7:19]}" for e in mine)
        assert all(e.total == size for e in mine)
        assert mine[0].completed is None, "the first line of a fresh layer carries no completed, as upstream"
        completed = [e.completed for e in mine[1:]]
        assert completed == sorted(completed) and completed[-1] == size
    big = max(layers, key=layers.get)
    assert len([e for e in progress if e.digest == big]) >= 4, "a 192 KiB blob streams in several chunks"
    assert "qwen2.5-coder:7b" in model_names(client)


def test_pull_non_stream_returns_single_success(shared_client):
    resp = shared_client.pull("bench/m07", stream=False)
    assert isinstance(resp, ProgressResponse)
    assert resp.status == "success"
    assert "bench/m07:latest" in model_names(shared_client)


def test_pull_raw_http_is_ndjson(shared):
    with HTTP.stream("POST", shared.url + "/api/pull", json={"model": SMALL}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/x-ndjson"
        assert r.headers["transfer-encoding"] == "chunked"
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"status": "success"}


def test_pull_of_present_model_still_streams_success(shared_client, shared):
    manifest = shared.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "0.5b")
    before = manifest.read_bytes()
    again = pull_events(shared_client, SMALL)
    assert again[-1].status == "success"
    layer_lines = [e for e in again if e.digest]
    assert layer_lines and all(e.completed == e.total for e in layer_lines), "cache hits report completed == total"
    assert "removing unused layers" not in [e.status for e in again]
    assert manifest.read_bytes() == before


def test_pull_unknown_model_errors_like_upstream(shared_client):
    with pytest.raises(ResponseError) as streamed:
        pull_events(shared_client, "no-such-model:1b")
    assert streamed.value.error == "pull model manifest: file does not exist"
    with pytest.raises(ResponseError) as single:
        shared_client.pull("no-such-model:1b", stream=False)
    assert single.value.status_code == 500
    assert single.value.error == "pull model manifest: file does not exist"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ns.with.dots/m", "m:t:u", "bad name"])
def test_pull_invalid_name_is_400(shared, bad):
    r = HTTP.post(shared.url + "/api/pull", json={"model": bad})
    assert (r.status_code, r.json()) == (400, {"error": "invalid model name"})


def test_pull_missing_body_is_400(shared):
    r = HTTP.post(shared.url + "/api/pull", content=b"")
    assert (r.status_code, r.json()) == (400, {"error": "missing request body"})


@pytest.fixture(scope="module")
def doctored(tmp_path_factory, registry, standin_server_class):
    """One server on a registry copy with a traversal digest, a corrupted blob, a foreign host and a re-published tag."""
    root = tmp_path_factory.mktemp("doctored")
    reg = root / "registry"
    shutil.copytree(registry, reg)
    target = root / "pwned"
    evil = registry_manifest(reg, SMALL)
    evil["layers"][0]["digest"] = "sha256:../../../../../../" + str(target)
    (reg / "manifests/registry.ollama.ai/evil/m").mkdir(parents=True)
    (reg / "manifests/registry.ollama.ai/evil/m/latest").write_text(json.dumps(evil))
    corrupted = registry_manifest(reg, SMALL)["layers"][0]
    blob = reg / "blobs" / ("sha256-" + corrupted["digest"][7:])
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    (reg / "manifests/models.example.com/team/tiny").mkdir(parents=True)
    shutil.copy(reg / "manifests/registry.ollama.ai/library/tinyllama/latest", reg / "manifests/models.example.com/team/tiny/v1")
    srv = standin_server_class(root / "srv", reg).start()
    srv.doctored = {"registry": reg, "target": target, "corrupted": corrupted["digest"]}
    try:
        yield srv
    finally:
        srv.kill9()


def test_pull_refuses_traversal_digest_from_registry(doctored):
    with ollama_client(doctored.url) as c, pytest.raises(ResponseError) as err:
        pull_events(c, "evil/m")
    assert err.value.error.startswith("invalid digest format: sha256:../")
    assert not doctored.doctored["target"].exists()
    assert not (doctored.models / "manifests" / "registry.ollama.ai" / "evil").exists()


def test_pull_detects_digest_mismatch_and_writes_nothing(doctored):
    digest = doctored.doctored["corrupted"]
    with ollama_client(doctored.url) as c:
        with pytest.raises(ResponseError) as err:
            pull_events(c, SMALL)
        assert err.value.error.startswith(f"digest mismatch, file must be downloaded again: want {digest}, got sha256:")
        assert SMALL not in model_names(c)
    assert not doctored.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "0.5b").exists()
    assert "sha256-" + digest[7:] not in doctored.blobs()


def test_pull_names_namespaces_and_hosts(doctored):
    with ollama_client(doctored.url) as c:
        for name in ("bench/m01", "models.example.com/team/tiny:v1", "tinyllama"):
            assert c.pull(name, stream=False).status == "success"
        assert {"bench/m01:latest", "models.example.com/team/tiny:v1", "tinyllama:latest"} <= set(model_names(c))
    assert doctored.manifest_path("registry.ollama.ai", "bench", "m01", "latest").is_file()
    assert doctored.manifest_path("models.example.com", "team", "tiny", "v1").is_file()
    assert doctored.manifest_path("registry.ollama.ai", "library", "tinyllama", "latest").is_file()


def test_pull_repulling_a_changed_model_removes_unused_layers(doctored):
    reg = doctored.doctored["registry"]
    with ollama_client(doctored.url) as c:
        pull_events(c, "bench/m02")
        old_model = registry_manifest(reg, "bench/m02")["layers"][0]["digest"]
        # The registry publishes a new build of the tag (m03's weights).
        shutil.copy(reg / "manifests/registry.ollama.ai/bench/m03/latest", reg / "manifests/registry.ollama.ai/bench/m02/latest")
        statuses = [e.status for e in pull_events(c, "bench/m02")]
    assert statuses[-2:] == ["removing unused layers", "success"]
    assert "sha256-" + old_model[7:] not in doctored.blobs()


# --------------------------------------------------------------------------------------------------------------------
# Store layout


def test_store_layout_is_upstreams(shared, registry):
    server = shared
    path = server.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "0.5b")
    raw = path.read_bytes()
    manifest = json.loads(raw)
    assert manifest["schemaVersion"] == 2
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert manifest["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    media = [layer["mediaType"] for layer in manifest["layers"]]
    assert media[0] == "application/vnd.ollama.image.model"
    assert {"application/vnd.ollama.image.template", "application/vnd.ollama.image.params"} <= set(media)
    for layer in all_layers(manifest):
        blob = server.models / "blobs" / ("sha256-" + layer["digest"][7:])
        data = blob.read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"]
        assert len(data) == layer["size"]
    assert (server.models / "blobs" / ("sha256-" + manifest["layers"][0]["digest"][7:])).read_bytes()[:4] == b"GGUF"
    tags = HTTP.get(server.url + "/api/tags").json()["models"]
    entry = next(m for m in tags if m["name"] == SMALL)
    assert entry["digest"] == hashlib.sha256(raw).hexdigest() == registry_manifest_digest(registry, SMALL)
    assert entry["size"] == sum(layer["size"] for layer in all_layers(manifest))
    leftovers = [p for p in server.models.rglob("*") if p.name.endswith("-partial") or ".tmp" in p.name]
    assert leftovers == []


def test_list_entries_and_order(client, server):
    client.pull(SMALL, stream=False)
    client.pull("nomic-embed-text", stream=False)
    old = time.time() - 3600
    os.utime(server.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "0.5b"), (old, old))
    listing = client.list()
    assert isinstance(listing, ListResponse)
    assert [m.model for m in listing.models] == ["nomic-embed-text:latest", SMALL], "most recently modified first"
    qwen = listing.models[1]
    assert qwen.details.family == "qwen2" and qwen.details.families == ["qwen2"]
    assert (qwen.details.format, qwen.details.parameter_size, qwen.details.quantization_level) == ("gguf", "494.03M", "Q4_K_M")
    assert qwen.modified_at.tzinfo is not None
    assert abs((datetime.now(timezone.utc) - qwen.modified_at) - timedelta(hours=1)) < timedelta(minutes=1)
    raw = HTTP.get(server.url + "/api/tags").json()["models"][0]
    assert set(raw) == {"name", "model", "modified_at", "size", "digest", "details"}
    assert HEX64.match(raw["digest"])


# --------------------------------------------------------------------------------------------------------------------
# Show, delete, copy


def test_show_reports_model_info_and_capabilities(shared_client, shared):
    client, server = shared_client, shared
    info = client.show("qwen2.5-coder:7b")
    assert isinstance(info, ShowResponse)
    assert info.modelinfo["general.architecture"] == "qwen2"
    assert info.modelinfo["qwen2.context_length"] == 32768
    assert info.modelinfo["general.parameter_count"] == 7_615_616_512
    assert "general.name" not in info.modelinfo
    assert info.capabilities == ["completion", "tools", "insert"]
    assert info.details.parameter_size == "7.6B"
    assert "{{ .Tools }}" in info.template or ".Tools" in info.template
    assert re.search(r'^stop\s+"<\|im_end\|>"$', info.parameters, re.MULTILINE)
    blob = json.loads(server.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "7b").read_text())["layers"][0]["digest"]
    assert info.modelfile.startswith('# Modelfile generated by "ollama show"\n')
    assert f"FROM {server.models / 'blobs' / ('sha256-' + blob[7:])}" in info.modelfile
    assert info.license.startswith("Apache License")


def test_show_context_lengths_differ_by_model(shared_client):
    client = shared_client
    for name, key, ctx in (("qwen3-coder:30b", "qwen3moe.context_length", 262144), ("llama3.2:1b", "llama.context_length", 131072)):
        client.pull(name, stream=False)
        assert client.show(name).modelinfo[key] == ctx


def test_show_missing_model_is_404(shared_client):
    with pytest.raises(ResponseError) as err:
        shared_client.show("nope")
    assert (err.value.status_code, err.value.error) == (404, "model 'nope' not found")


def test_embedding_model_capabilities_and_embed(shared_client):
    client = shared_client
    assert client.show("nomic-embed-text").capabilities == ["embedding"]
    with pytest.raises(ResponseError) as err:
        client.generate("nomic-embed-text", "hi")
    assert (err.value.status_code, err.value.error) == (400, '"nomic-embed-text" does not support generate')
    emb = client.embed("nomic-embed-text", ["a", "b"])
    assert len(emb.embeddings) == 2 and len(emb.embeddings[0]) == 768
    assert emb.embeddings[0] != emb.embeddings[1]
    assert abs(sum(v * v for v in emb.embeddings[0]) - 1.0) < 1e-3


def test_delete_keeps_shared_blobs_and_404s_after(client, server):
    client.pull("qwen2.5-coder:0.5b", stream=False)
    client.pull("qwen2.5-coder:1.5b", stream=False)
    m05 = json.loads(server.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "0.5b").read_text())
    m15 = json.loads(server.manifest_path("registry.ollama.ai", "library", "qwen2.5-coder", "1.5b").read_text())
    shared = {layer["digest"] for layer in m05["layers"]} & {layer["digest"] for layer in m15["layers"]}
    assert shared, "the template/params/license layers are shared between tags"
    assert client.delete("qwen2.5-coder:0.5b").status == "success"
    assert model_names(client) == ["qwen2.5-coder:1.5b"]
    blobs = server.blobs()
    assert "sha256-" + m05["layers"][0]["digest"][7:] not in blobs
    assert all("sha256-" + d[7:] in blobs for d in shared)
    assert not (server.models / "manifests" / "registry.ollama.ai" / "library" / "qwen2.5-coder" / "0.5b").exists()
    with pytest.raises(ResponseError) as err:
        client.delete("qwen2.5-coder:0.5b")
    assert (err.value.status_code, err.value.error) == (404, "model 'qwen2.5-coder:0.5b' not found")


def test_copy_then_case_insensitive_lookup(shared_client):
    client = shared_client
    assert client.copy(SMALL, "mine/coder:v1").status == "success"
    assert {"mine/coder:v1", SMALL} <= set(model_names(client))
    assert client.show("mine/coder:v1").details.family == "qwen2"
    assert client.show("Qwen2.5-Coder:0.5B").details.family == "qwen2"


def test_blob_upload_and_create_for_air_gapped_import(shared_client, shared, registry, tmp_path):
    client, server = shared_client, shared
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(make_registry.gguf_blob("air/gapped", "llama", 1_000_000_000, "Q8_0", 65536, 2048, 12 * 1024))
    digest = "sha256:" + hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert HTTP.head(server.url + f"/api/blobs/{digest}").status_code == 404
    assert client.create_blob(gguf) == digest
    assert HTTP.head(server.url + f"/api/blobs/{digest}").status_code == 200
    wrong = HTTP.post(server.url + "/api/blobs/sha256:" + "0" * 64, content=b"not that")
    assert wrong.status_code == 400 and "digest mismatch" in wrong.json()["error"]
    assert HTTP.head(server.url + "/api/blobs/sha256:1234").status_code == 400
    assert HTTP.head(server.url + "/api/blobs/sha256-%2e%2e%2f%2e%2e%2fetc%2fpasswd").status_code == 400

    statuses = [
        p.status for p in client.create("air/coder:v1", files={"model.gguf": digest}, template="{{ .Prompt }}", parameters={"num_ctx": 4096}, stream=True)
    ]
    assert statuses[0] == "gathering model components" and statuses[-2:] == ["writing manifest", "success"]
    info = client.show("air/coder:v1")
    assert info.modelinfo["llama.context_length"] == 65536 and info.template == "{{ .Prompt }}"
    assert re.search(r"^num_ctx\s+4096$", info.parameters, re.MULTILINE)
    assert client.generate("air/coder:v1", "hi").response

    assert client.create("mine/terse:v2", from_=SMALL, system="Answer in one line.").status == "success"
    derived = client.show("mine/terse:v2")
    assert derived.modelinfo["qwen2.context_length"] == 32768
    assert 'SYSTEM """Answer in one line."""' in derived.modelfile
    assert HTTP.post(server.url + "/api/show", json={"model": "mine/terse:v2"}).json()["system"] == "Answer in one line."
    with pytest.raises(ResponseError) as err:
        client.create("x/y:z", files={"model.gguf": "sha256:" + "f" * 64})
    assert err.value.status_code == 400 and "not found" in err.value.error


def test_http_1_0_client_gets_an_unchunked_stream(shared):
    import socket

    body = json.dumps({"model": SMALL}).encode()
    with socket.create_connection(("127.0.0.1", shared.port), timeout=10) as sock:
        sock.sendall(b"POST /api/pull HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _sep, payload = data.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"200" and b"Transfer-Encoding" not in head and b"Connection: close" in head
    lines = [json.loads(line) for line in payload.splitlines() if line]
    assert lines[0] == {"status": "pulling manifest"} and lines[-1] == {"status": "success"}


# --------------------------------------------------------------------------------------------------------------------
# Generate, chat, ps


def test_generate_stream_and_non_stream_agree(shared_client):
    client = shared_client
    chunks = list(client.generate(SMALL, "write a sort function", stream=True))
    assert all(isinstance(c, GenerateResponse) for c in chunks)
    assert all(c.done is False and c.response for c in chunks[:-1])
    final = chunks[-1]
    assert final.done is True and final.done_reason == "stop" and final.response == ""
    for field in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"):
        assert getattr(final, field) > 0, field
    assert final.eval_count == len(chunks) - 1
    assert final.total_duration >= final.load_duration + final.eval_duration
    assert final.context and all(isinstance(t, int) for t in final.context)
    text = "".join(c.response for c in chunks)
    assert "write a sort function" in text
    single = client.generate(SMALL, "write a sort function", stream=False)
    assert single.response == text and single.done is True and single.done_reason == "stop"
    assert client.generate(SMALL, "something else").response != text


def test_generate_load_unload_and_ps(client, make_server):
    srv = make_server(env={"OLLAMA_CONTEXT_LENGTH": "8192", "OLLAMA_KEEP_ALIVE": "10m"})
    with ollama_client(srv.url) as c:
        c.pull(SMALL, stream=False)
        assert c.ps().models == []
        loaded = c.generate(SMALL)
        assert (loaded.done, loaded.done_reason, loaded.response) == (True, "load", "")
        (running,) = c.ps().models
        assert running.model == SMALL and running.context_length == 8192 and running.size_vram == 0
        assert running.size > 0 and HEX64.match(running.digest)
        left = running.expires_at - datetime.now(timezone.utc)
        assert timedelta(minutes=9) < left <= timedelta(minutes=10)
        table = srv.cli("ps").stdout.splitlines()
        assert table[0].split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
        assert table[1].split()[:2] == [SMALL, running.digest[:12]] and "100% CPU" in table[1] and "8192" in table[1]
        unloaded = c.generate(SMALL, keep_alive=0)
        assert unloaded.done_reason == "unload"
        assert c.ps().models == []
        c.generate(SMALL, "hi", options={"num_ctx": 2048}, keep_alive="1h")
        assert c.ps().models[0].context_length == 2048


def test_generate_num_predict_and_json_format(shared_client):
    client = shared_client
    short = client.generate(SMALL, "explain recursion", options={"num_predict": 3})
    assert short.eval_count == 3 and short.done_reason == "length"
    structured = client.generate(SMALL, "give json", format="json")
    assert json.loads(structured.response)["echo"] == "give json"


def test_generate_missing_model_is_404(shared_client):
    client = shared_client
    with pytest.raises(ResponseError) as err:
        client.generate("qwen2.5-coder:999b", "hi")
    assert (err.value.status_code, err.value.error) == (404, "model 'qwen2.5-coder:999b' not found")
    with pytest.raises(ResponseError) as err:
        list(client.generate("qwen2.5-coder:999b", "hi", stream=True))
    assert err.value.status_code == 404


def test_chat_stream_and_non_stream(shared_client):
    client = shared_client
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "fix my bug"}]
    chunks = list(client.chat(SMALL, messages=messages, stream=True))
    assert all(isinstance(c, ChatResponse) for c in chunks)
    assert all(c.message.role == "assistant" and c.message.content for c in chunks[:-1])
    final = chunks[-1]
    assert final.done and final.done_reason == "stop" and final.eval_count == len(chunks) - 1 and final.prompt_eval_count > 0
    text = "".join(c.message.content for c in chunks)
    assert "fix my bug" in text
    single = client.chat(SMALL, messages=messages)
    assert single.message.content == text and single.message.role == "assistant"
    unload = client.chat(SMALL, messages=[], keep_alive=0)
    assert unload.done_reason == "unload"


def test_chat_tools_need_the_tools_capability(shared_client):
    client = shared_client
    tool = {"type": "function", "function": {"name": "ls", "description": "list", "parameters": {"type": "object", "properties": {}}}}
    with pytest.raises(ResponseError) as err:
        client.chat("tinyllama", messages=[{"role": "user", "content": "hi"}], tools=[tool])
    assert (err.value.status_code, err.value.error) == (400, "registry.ollama.ai/library/tinyllama:latest does not support tools")
    assert client.chat(SMALL, messages=[{"role": "user", "content": "hi"}], tools=[tool]).message.content


# --------------------------------------------------------------------------------------------------------------------
# OpenAI compatibility (what OpenHands reaches through litellm with model "openai/<name>")


def test_v1_models(shared_client, shared):
    shared_client.pull("bench/m04", stream=False)
    body = HTTP.get(shared.url + "/v1/models").json()
    assert body["object"] == "list"
    by_id = {m["id"]: m for m in body["data"]}
    assert set(by_id) == {m.model for m in shared_client.list().models} and {SMALL, "bench/m04:latest"} <= set(by_id)
    assert by_id[SMALL]["object"] == "model" and by_id[SMALL]["owned_by"] == "library" and by_id["bench/m04:latest"]["owned_by"] == "bench"
    assert isinstance(by_id[SMALL]["created"], int) and by_id[SMALL]["created"] > 1_600_000_000


def test_v1_chat_completions_non_stream_and_stream(shared):
    server = shared
    req = {"model": SMALL, "messages": [{"role": "user", "content": "refactor this"}]}
    body = HTTP.post(server.url + "/v1/chat/completions", json=req).json()
    assert body["id"].startswith("chatcmpl-") and body["object"] == "chat.completion" and body["model"] == SMALL
    (choice,) = body["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert "refactor this" in content
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] and usage["completion_tokens"] > 0

    with HTTP.stream("POST", server.url + "/v1/chat/completions", json={**req, "stream": True, "stream_options": {"include_usage": True}}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: ") :]) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == content
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == usage["completion_tokens"]


def test_v1_errors_have_openai_shape(shared):
    r = HTTP.post(shared.url + "/v1/chat/completions", json={"model": "ghost:1b", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 404
    assert r.json() == {"error": {"message": "model 'ghost:1b' not found", "type": "not_found_error", "param": None, "code": None}}


def test_request_log_records_method_path_and_model(shared_client, shared):
    client, server = shared_client, shared
    client.pull(SMALL, stream=False)
    client.chat(SMALL, messages=[{"role": "user", "content": "hi"}])
    HTTP.post(server.url + "/v1/chat/completions", json={"model": SMALL, "messages": [{"role": "user", "content": "x"}]})
    seen = [(r["method"], r["path"], r["model"]) for r in server.requests()]
    assert ("POST", "/api/pull", SMALL) in seen
    assert ("POST", "/api/chat", SMALL) in seen
    assert ("POST", "/v1/chat/completions", SMALL) in seen
    assert all(r["ts"].endswith("Z") for r in server.requests())


# --------------------------------------------------------------------------------------------------------------------
# Scripted LLM mode (OLLAMA_STANDIN_SCRIPT): drives a real OpenHands agent through a fixed conversation with tool calls


def _tool(name, **properties):
    return {
        "type": "function",
        "function": {"name": name, "description": f"the {name} tool", "parameters": {"type": "object", "properties": properties, "required": list(properties)}},
    }


# What an openhands-sdk 1.34 agent offers (the default preset plus the built-ins), shaped as LiteLLM sends it.
AGENT_TOOLS = [
    _tool("terminal", command={"type": "string"}),
    _tool("file_editor", command={"type": "string"}, path={"type": "string"}),
    _tool("task_tracker", command={"type": "string"}),
    _tool("finish", message={"type": "string"}),
    _tool("think", thought={"type": "string"}),
]
SHELL_ARGS = {"command": "echo hello > /workspace/hello.txt && cat /workspace/hello.txt", "is_input": False, "timeout": 30}
CREATE_ARGS = {"command": "create", "path": "/workspace/app.py", "file_text": 'print("hi, ünïcode")\n'}
FINISH_ARGS = {"message": "Wrote hello.txt and app.py."}
AGENT_SCRIPT = {
    "model": SMALL,
    "turns": [
        {"tool_calls": [{"name": "terminal", "arguments": SHELL_ARGS}]},
        {"tool_calls": [{"name": "file_editor", "arguments": CREATE_ARGS}, {"name": "terminal", "arguments": {"command": "ls /workspace"}}]},
        {"tool_calls": [{"name": "finish", "arguments": FINISH_ARGS}]},
    ],
}
SECRET = "sk-standin-secret-4711"
CHAT_LOG_KEYS = ("client", "forwarded_for", "user_agent", "authorization", "tools", "messages", "turn", "tool_calls")


@pytest.fixture(scope="module")
def scripted(tmp_path_factory, registry, standin_server_class):
    """One server with OLLAMA_STANDIN_SCRIPT set and SMALL pulled; srv.script(obj) swaps the script file atomically."""
    root = tmp_path_factory.mktemp("scripted")
    path = root / "script.json"
    srv = standin_server_class(root / "srv", registry, env={"OLLAMA_STANDIN_SCRIPT": str(path)}).start()

    def write(obj):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
        os.replace(tmp, path)

    srv.script = write
    try:
        with ollama_client(srv.url) as c:
            assert c.pull(SMALL, stream=False).status == "success"
        write(AGENT_SCRIPT)
        yield srv
    finally:
        srv.kill9()


def _conversation(assistant_turns, user="do the task"):
    """A request's messages after `assistant_turns` tool-calling turns, as OpenHands sends them."""
    messages = [{"role": "system", "content": "You are OpenHands."}, {"role": "user", "content": user}]
    for i in range(assistant_turns):
        call = {"id": f"call_{i}", "type": "function", "function": {"name": "terminal", "arguments": "{}"}}
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "name": "terminal", "content": "ok"})
    return messages


_OFFER_AGENT_TOOLS = object()  # the default: offer AGENT_TOOLS (None offers no tools)


def _chat_request(assistant_turns=0, tools=_OFFER_AGENT_TOOLS, **extra):
    if tools is _OFFER_AGENT_TOOLS:
        tools = AGENT_TOOLS
    body = {"model": SMALL, "messages": _conversation(assistant_turns), **extra}
    if tools is not None:
        body["tools"] = tools
    return body


def _sse(url, body, headers=None):
    """POST with http.client and split the raw SSE body: (response, [event payload strings])."""
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/v1/chat/completions", body=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        raw = resp.read().decode("utf-8")
    finally:
        conn.close()
    assert raw.endswith("\n\n"), raw[-200:]
    events = raw[:-2].split("\n\n")
    assert all(e.startswith("data: ") and "\n" not in e for e in events), raw[:500]
    return resp, [e[len("data: ") :] for e in events]


def _reassemble(chunks):
    """What an OpenAI client does with streamed tool calls: accumulate by index."""
    calls, content, finish = {}, "", []
    for c in chunks:
        if not c["choices"]:
            continue
        (choice,) = c["choices"]
        delta = choice["delta"]
        content += delta.get("content") or ""
        for tc in delta.get("tool_calls") or []:
            slot = calls.setdefault(tc["index"], {"id": None, "name": "", "arguments": "", "pieces": 0})
            if tc.get("id"):
                slot["id"] = tc["id"]
                assert tc["type"] == "function"
            fn = tc.get("function") or {}
            slot["name"] += fn.get("name") or ""
            if fn.get("arguments"):
                slot["arguments"] += fn["arguments"]
                slot["pieces"] += 1
        finish.append(choice["finish_reason"])
    return [calls[i] for i in sorted(calls)], content, finish


def test_scripted_streamed_tool_calls_follow_openai_sse(scripted):
    scripted.script(AGENT_SCRIPT)
    resp, events = _sse(scripted.url, _chat_request(1, stream=True, stream_options={"include_usage": True}))
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    for c in chunks:
        assert c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] and c["id"].startswith("chatcmpl-")
        assert c["model"] == SMALL and c["system_fingerprint"] == "fp_ollama" and isinstance(c["created"], int)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    usage = chunks[-1]["usage"]
    assert chunks[-1]["choices"] == [] and usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    calls, content, finish = _reassemble(chunks)
    assert content == ""
    assert finish[-1] == "tool_calls" and all(f is None for f in finish[:-1])
    assert chunks[-2]["choices"][0]["delta"] == {}
    assert [c["name"] for c in calls] == ["file_editor", "terminal"]  # turn 1: one assistant message in the request
    assert json.loads(calls[0]["arguments"]) == CREATE_ARGS and json.loads(calls[1]["arguments"]) == {"command": "ls /workspace"}
    assert all(c["pieces"] >= 3 for c in calls), "arguments come in several pieces"
    assert all(c["id"].startswith("call_") for c in calls) and calls[0]["id"] != calls[1]["id"]


def test_scripted_stream_with_the_openai_client(scripted):
    openai = pytest.importorskip("openai")
    scripted.script(AGENT_SCRIPT)
    client = openai.OpenAI(base_url=scripted.url + "/v1", api_key=SECRET)
    stream = client.chat.completions.create(**_chat_request(0), stream=True)
    args, names, finish = {}, {}, None
    for chunk in stream:
        for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            names[tc.index] = names.get(tc.index, "") + ((tc.function.name or "") if tc.function else "")
            args[tc.index] = args.get(tc.index, "") + ((tc.function.arguments or "") if tc.function else "")
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert names == {0: "terminal"} and json.loads(args[0]) == SHELL_ARGS and finish == "tool_calls"


def test_scripted_non_streamed_tool_call(scripted):
    scripted.script(AGENT_SCRIPT)
    r = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0))
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == SMALL and body["system_fingerprint"] == "fp_ollama"
    (choice,) = body["choices"]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["role"] == "assistant"
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_") and call["function"]["name"] == "terminal"
    assert isinstance(call["function"]["arguments"], str) and json.loads(call["function"]["arguments"]) == SHELL_ARGS
    again = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0)).json()
    assert again["choices"][0]["message"]["tool_calls"] == [call], "a retried request gets the same turn and ids"


def test_scripted_turn_is_the_assistant_message_count(scripted):
    scripted.script({"turns": [{"tool_calls": [{"name": "terminal", "arguments": {"command": "true"}}]}, {"content": "All done, nothing left."}]})

    def answer(n, **extra):
        return HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(n, **extra)).json()["choices"][0]

    assert answer(0)["message"]["tool_calls"][0]["function"]["name"] == "terminal"
    for n in (1, 2, 5):  # the last turn is content: it is answered again past the end
        choice = answer(n)
        assert choice["finish_reason"] == "stop" and choice["message"]["content"] == "All done, nothing left." and "tool_calls" not in choice["message"]
    resp, events = _sse(scripted.url, _chat_request(1, stream=True))
    chunks = [json.loads(e) for e in events[:-1]]
    texts = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"][0]["delta"].get("content")]
    assert len(texts) > 1 and "".join(texts) == "All done, nothing left."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and events[-1] == "[DONE]"
    scripted.script({"turns": [{"tool_calls": [{"name": "finish", "arguments": FINISH_ARGS}]}]})
    assert answer(0)["message"]["tool_calls"][0]["function"]["name"] == "finish"
    assert answer(1)["message"]["content"] == "done"  # past the end of a tool-call script


def test_requests_without_tools_are_not_scripted(scripted):
    scripted.script(AGENT_SCRIPT)
    for tools in (None, []):
        r = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0, tools=tools))
        choice = r.json()["choices"][0]
        assert r.status_code == 200 and choice["finish_reason"] == "stop" and "You said: do the task" in choice["message"]["content"]
        assert "tool_calls" not in choice["message"]
    # a title generator in between consumed nothing: turn 0 is still the terminal call
    r = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0))
    assert r.json()["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "terminal"


def test_scripted_tool_not_offered_is_400_naming_it(scripted):
    scripted.script({"turns": [{"tool_calls": [{"name": "str_replace_editor", "arguments": {"command": "view", "path": "/"}}]}]})
    for stream in (False, True):
        r = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0, stream=stream))
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["type"] == "invalid_request_error"
        assert "'str_replace_editor'" in err["message"] and "terminal, file_editor, task_tracker, finish, think" in err["message"]


def test_scripted_swap_takes_effect_between_requests(scripted):
    scripted.script({"turns": [{"tool_calls": [{"name": "think", "arguments": {"thought": "first"}}]}]})
    first = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0)).json()
    scripted.script({"turns": [{"content": "second script"}]})
    second = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0)).json()
    assert json.loads(first["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]) == {"thought": "first"}
    assert second["choices"][0]["message"]["content"] == "second script"


def test_scripted_model_mismatch_is_404(scripted):
    scripted.script({**AGENT_SCRIPT, "model": "qwen2.5-coder:7b"})
    r = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0))
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["type"] == "not_found_error" and err["message"].startswith(f"model '{SMALL}' not found") and "qwen2.5-coder:7b" in err["message"]
    scripted.script({**AGENT_SCRIPT, "model": "qwen2.5-coder:0.5b"})
    assert HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0)).status_code == 200


def test_scripted_broken_script_is_500_saying_why(scripted):
    scripted.script("{not json")
    r = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0))
    assert r.status_code == 500 and "OLLAMA_STANDIN_SCRIPT" in r.json()["error"]["message"] and "invalid JSON" in r.json()["error"]["message"]
    scripted.script({"turns": [{"tool_calls": [{"arguments": {}}]}]})
    assert "turn 0, tool call 0" in HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0)).json()["error"]["message"]
    scripted.script(AGENT_SCRIPT)


def test_example_openhands_script_drives_a_whole_conversation(scripted):
    example = json.loads((STANDIN_DIR / "openhands_script.json").read_text())
    scripted.script(example)
    served = []
    for n in range(len(example["turns"]) + 1):
        (choice,) = HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(n)).json()["choices"]
        calls = choice["message"].get("tool_calls") or []
        served.append([(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls] or choice["message"]["content"])
    assert [s[0][0] if isinstance(s, list) else s for s in served] == ["terminal", "file_editor", "file_editor", "finish", "done"]
    assert served[0][0][1]["command"].startswith("mkdir -p /workspace/project") and served[0][0][1]["is_input"] is False
    assert served[1][0][1]["command"] == "create" and served[2][0][1]["command"] == "str_replace" and "message" in served[3][0][1]


def test_scripted_request_log_has_chat_keys_and_no_credential(scripted):
    scripted.script(AGENT_SCRIPT)
    before = len(scripted.requests())
    headers = {"Authorization": f"Bearer {SECRET}", "X-Forwarded-For": "203.0.113.7", "User-Agent": "litellm/1.0 (test)"}
    _sse(scripted.url, _chat_request(2, stream=True), headers=headers)
    HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0, tools=None), headers={"Authorization": f"Basic {SECRET}"})
    HTTP.post(scripted.url + "/v1/chat/completions", json=_chat_request(0, tools=[_tool("browser_navigate", url={"type": "string"})]))
    HTTP.post(scripted.url + "/api/chat", json={"model": SMALL, "stream": False, "messages": [{"role": "user", "content": "hi"}]})
    lines = scripted.request_log.read_text().splitlines()[before:]
    assert SECRET not in "\n".join(lines)
    scripted_line, plain, refused, native = (json.loads(line) for line in lines)
    for entry in (scripted_line, plain, refused, native):
        assert set(entry) == {"ts", "method", "path", "model", "stream", "node", "status", "queued_ms", *CHAT_LOG_KEYS}
        assert entry["client"] == "127.0.0.1" and entry["model"] == SMALL
    assert scripted_line["path"] == "/v1/chat/completions" and scripted_line["stream"] is True
    assert (scripted_line["authorization"], scripted_line["forwarded_for"], scripted_line["user_agent"]) == ("bearer", "203.0.113.7", "litellm/1.0 (test)")
    assert scripted_line["tools"] == ["terminal", "file_editor", "task_tracker", "finish", "think"]
    assert (scripted_line["messages"], scripted_line["turn"], scripted_line["tool_calls"]) == (6, 2, ["finish"])
    assert (plain["authorization"], plain["tools"], plain["turn"], plain["tool_calls"], plain["forwarded_for"]) == ("other", [], None, [], None)
    assert (refused["authorization"], refused["tools"], refused["turn"], refused["tool_calls"]) == ("none", ["browser_navigate"], None, [])
    assert (native["path"], native["messages"], native["turn"]) == ("/api/chat", 1, None)


# --------------------------------------------------------------------------------------------------------------------
# CLI


def test_cli_pull_list_rm(server, run_cli):
    pulled = server.cli("pull", SMALL)  # a real process
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stderr.splitlines()[0] == "pulling manifest"
    assert pulled.stderr.splitlines()[-1] == "success"
    listing = run_cli(server, "list").stdout.splitlines()
    assert listing[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    digest = HTTP.get(server.url + "/api/tags").json()["models"][0]["digest"]
    assert listing[1].split()[:4] == [SMALL, digest[:12], "17", "KB"]
    assert run_cli(server, "ls", "qwen").stdout.splitlines()[1].startswith(SMALL)
    assert run_cli(server, "ls", "nomatch").stdout.splitlines()[1:] == []
    removed = run_cli(server, "rm", SMALL)
    assert (removed.returncode, removed.stdout) == (0, f"deleted '{SMALL}'\n")
    assert run_cli(server, "list").stdout.splitlines()[1:] == []
    missing = run_cli(server, "rm", SMALL)
    assert (missing.returncode, missing.stderr) == (1, f"Error: model '{SMALL}' not found\n")


def test_cli_pull_fails_on_error_line_and_unknown_model(shared, run_cli):
    bad = shared.cli("pull", "faulty/error-midstream")  # a real process: the exit status is what a role reads
    assert bad.returncode == 1
    assert bad.stderr.splitlines()[-1] == "Error: max retries exceeded: unexpected EOF (injected fault error_midstream)"
    unknown = run_cli(shared, "pull", "ghost")
    assert (unknown.returncode, unknown.stderr.splitlines()[-1]) == (1, "Error: pull model manifest: file does not exist")


def test_cli_needs_a_server(run_cli):
    out = run_cli(None, "list")
    assert out.returncode == 1 and out.stderr.startswith("Error: ollama server not responding")


def test_serve_fails_when_port_is_taken(make_server, shared):
    other = make_server(start=False)
    env = other.env(OLLAMA_HOST=f"127.0.0.1:{shared.port}")
    out = subprocess.run([sys.executable, str(SCRIPT), "serve"], env=env, capture_output=True, text=True, timeout=20, check=False)
    assert out.returncode == 1
    assert f"Error: listen tcp 127.0.0.1:{shared.port}: bind: address already in use" in out.stderr


def test_serve_creates_key_and_default_models_dir(make_server):
    srv = make_server(start=False)
    env = srv.env()
    del env["OLLAMA_MODELS"]
    env["OLLAMA_HOST"] = "127.0.0.1:0"
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "Listening on" in line:
                break
        assert (srv.home / ".ollama" / "id_ed25519").is_file()
        assert (srv.home / ".ollama" / "id_ed25519").stat().st_mode & 0o777 == 0o600
        assert (srv.home / ".ollama" / "models" / "blobs").is_dir()
    finally:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------------------------------------------------
# Faults


def assert_nothing_written(srv, *parts):
    assert not srv.manifest_path(*parts).exists()
    assert [p for p in srv.blobs() if p.endswith("-partial")] == []


def test_fault_error_midstream_per_model(shared_client, shared):
    client, server = shared_client, shared
    events = []
    with pytest.raises(ResponseError) as err:
        for event in client.pull("faulty/error-midstream", stream=True):
            events.append(event)
    assert err.value.error == "max retries exceeded: unexpected EOF (injected fault error_midstream)"
    assert err.value.status_code == -1, "an error line inside a 200 stream, not an HTTP error"
    assert any(e.completed for e in events), "the error comes after some progress"
    with pytest.raises(ResponseError) as single:
        client.pull("faulty/error-midstream", stream=False)
    assert single.value.status_code == 500
    assert_nothing_written(server, "registry.ollama.ai", "faulty", "error-midstream", "latest")
    assert "faulty/error-midstream:latest" not in model_names(client)


def test_fault_stall(make_server):
    srv = make_server(env={"OLLAMA_STANDIN_STALL_S": "60"})
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        conn.request("POST", "/api/pull", body=json.dumps({"model": "faulty/stall"}), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200
        seen = [json.loads(resp.readline())]
        while not seen[-1].get("completed"):
            seen.append(json.loads(resp.readline()))
        assert seen[0] == {"status": "pulling manifest"}
        conn.sock.settimeout(2)  # progress came; now the stream goes quiet
        with pytest.raises(TimeoutError):
            resp.readline()
    finally:
        conn.close()
    assert not srv.manifest_path("registry.ollama.ai", "faulty", "stall", "latest").exists(), "a partial download may exist, never a manifest"


def test_fault_disconnect(shared_client, shared):
    client, server = shared_client, shared
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        pull_events(client, "faulty/disconnect")
    assert_nothing_written(server, "registry.ollama.ai", "faulty", "disconnect", "latest")
    assert HTTP.get(server.url + "/").status_code == 200, "the server survives"


def test_global_fault_http_500_only_on_pull_by_default(make_server):
    srv = make_server(env={"OLLAMA_STANDIN_FAULT": "http_500"})
    with ollama_client(srv.url) as c:
        with pytest.raises(ResponseError) as err:
            pull_events(c, SMALL)
        assert err.value.status_code == 500 and "http_500" in err.value.error
        assert c.list().models == []


def test_global_fault_html_on_every_path(make_server):
    srv = make_server(env={"OLLAMA_STANDIN_FAULT": "html", "OLLAMA_STANDIN_FAULT_PATHS": "*"})
    r = HTTP.get(srv.url + "/api/tags")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and r.text.startswith("<!DOCTYPE html>")
    with ollama_client(srv.url) as c, pytest.raises(ValueError):
        c.list()


def test_global_fault_midstream_on_generate(make_server, registry):
    srv = make_server(env={"OLLAMA_STANDIN_FAULT": "error_midstream", "OLLAMA_STANDIN_FAULT_PATHS": "/api/generate,/v1/chat/completions"})
    with ollama_client(srv.url) as c:
        assert c.pull(SMALL, stream=False).status == "success", "/api/pull is not in the fault paths"
        with pytest.raises(ResponseError, match="injected fault error_midstream"):
            list(c.generate(SMALL, "hi", stream=True))
    with HTTP.stream("POST", srv.url + "/v1/chat/completions", json={"model": SMALL, "stream": True, "messages": [{"role": "user", "content": "x"}]}) as r:
        events = [line for line in r.iter_lines() if line]
    assert "injected fault error_midstream" in events[-1] and "[DONE]" not in events[-1]


# --------------------------------------------------------------------------------------------------------------------
# Restarts


def test_kill9_restart_keeps_the_store(make_server):
    srv = make_server()
    with ollama_client(srv.url) as c:
        for name in (SMALL, "bench/m05"):
            c.pull(name, stream=False)
        before = HTTP.get(srv.url + "/api/tags").json()["models"]
    srv.restart(kill=True)
    after = HTTP.get(srv.url + "/api/tags").json()["models"]
    assert sorted((m["name"], m["digest"], m["size"]) for m in after) == sorted((m["name"], m["digest"], m["size"]) for m in before)
    with ollama_client(srv.url) as c:
        assert c.generate(SMALL, "still here?").response


def test_kill9_during_pull_leaves_no_manifest_and_restart_prunes(make_server):
    srv = make_server(env={"OLLAMA_STANDIN_STALL_S": "60"})
    with ollama_client(srv.url) as c:
        c.pull("bench/m06", stream=False)
    seen = threading.Event()

    def stalled_pull():
        try:
            with httpx.Client(verify=False, trust_env=False) as own, own.stream("POST", srv.url + "/api/pull", json={"model": "faulty/stall"}, timeout=30) as r:
                for line in r.iter_lines():
                    if json.loads(line).get("completed"):
                        seen.set()
        except httpx.HTTPError:
            pass

    t = threading.Thread(target=stalled_pull, daemon=True)
    t.start()
    assert seen.wait(60)
    assert [b for b in srv.blobs() if b.endswith("-partial")], "a partial download exists while stalled"
    srv.kill9()
    t.join(5)
    srv.start()
    assert [b for b in srv.blobs() if b.endswith("-partial")] == [], "pruned on start"
    assert not srv.manifest_path("registry.ollama.ai", "faulty", "stall", "latest").exists()
    assert [m["name"] for m in HTTP.get(srv.url + "/api/tags").json()["models"]] == ["bench/m06:latest"]
    assert "total unused blobs removed: 1" in srv.log()


def test_prune_on_start_unless_noprune(make_server):
    srv = make_server()
    with ollama_client(srv.url) as c:
        c.pull(SMALL, stream=False)
    orphan = srv.models / "blobs" / ("sha256-" + "0" * 64)
    legacy = srv.models / "blobs" / ("sha256:" + "1" * 64)
    assert srv.stop() == 0, "SIGTERM is a clean exit, as upstream"
    orphan.write_bytes(b"orphan")
    srv.extra_env["OLLAMA_NOPRUNE"] = "1"
    srv.start()
    assert orphan.exists()
    legacy.write_bytes(b"legacy name")
    del srv.extra_env["OLLAMA_NOPRUNE"]
    srv.restart()
    assert not orphan.exists() and not legacy.exists(), "fixBlobs renames sha256: names, then the prune removes them"
    assert not (srv.models / "blobs" / ("sha256-" + "1" * 64)).exists()
    with ollama_client(srv.url) as c:
        assert model_names(c) == [SMALL]
        assert c.show(SMALL).details.family == "qwen2", "referenced blobs survive the prune"


# --------------------------------------------------------------------------------------------------------------------
# Release archives


def read_sums(path):
    sums = {}
    for line in Path(path).read_text().splitlines():
        m = re.fullmatch(r"([0-9a-f]{64})  \./(ollama-linux-[a-z0-9-]+\.(?:tgz|tar\.zst))", line)
        assert m, f"not upstream's sha256sum format: {line!r}"
        sums[m.group(2)] = m.group(1)
    return sums


def mini_registry(registry, dst, names=(SMALL,)):
    """A registry holding only names (their manifests and blobs): packs in a fraction of the full one's time."""
    dst = Path(dst)
    for name in names:
        rel = Path("manifests", *make_registry.split_name(name))
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(registry) / rel, dst / rel)
        (dst / "blobs").mkdir(exist_ok=True)
        for layer in all_layers(registry_manifest(registry, name)):
            blob = "sha256-" + layer["digest"][7:]
            shutil.copy(Path(registry) / "blobs" / blob, dst / "blobs" / blob)
    shutil.copy(Path(registry) / "faults.json", dst / "faults.json")
    return dst


def open_archive(path):
    data = Path(path).read_bytes()
    if str(path).endswith(".tar.zst"):
        data = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
        return tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")


@pytest.mark.skipif(shutil.which("zstd") is None, reason="zstd CLI missing")
def test_release_zst_verifies_unpacks_and_runs(tmp_path, registry, make_server, clean_env):
    out = tmp_path / "dist"
    small = mini_registry(registry, tmp_path / "mini-registry")
    sums = make_release.make_release("0.17.1", str(out), ["amd64"], rocm=True, registry_dir=str(small))
    listed = read_sums(out / "sha256sum.txt")
    assert sorted(listed) == ["ollama-linux-amd64-rocm.tar.zst", "ollama-linux-amd64.tar.zst"]
    assert listed == sums
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    check = subprocess.run(["sha256sum", "-c", "sha256sum.txt"], cwd=out, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    with open_archive(out / "ollama-linux-amd64-rocm.tar.zst") as tar:
        assert all(m.name.startswith("lib/ollama/rocm") for m in tar.getmembers())
    root = tmp_path / "usr-local"
    with open_archive(out / "ollama-linux-amd64.tar.zst") as tar:
        members = tar.getmembers()
        assert all(m.uid == 0 and m.gid == 0 for m in members)
        names = [m.name for m in members]
        assert names[0] == "bin/ollama" and tar.getmember("bin/ollama").mode == 0o755
        assert "lib/ollama/libggml-base.so" in names
        assert any(n.startswith("lib/ollama/standin-registry/manifests/registry.ollama.ai/library/qwen2.5-coder/") for n in names)
        tar.extractall(root, filter="data") if sys.version_info >= (3, 12) else tar.extractall(root)  # noqa: S202
    binary = root / "bin" / "ollama"
    assert os.access(binary, os.X_OK)
    env = clean_env(tmp_path / "home")
    env["OLLAMA_HOST"] = "127.0.0.1:9"
    out_v = subprocess.run([sys.executable, str(binary), "--version"], env=env, capture_output=True, text=True, check=False)
    assert out_v.stdout.splitlines()[-1] == "Warning: client version is 0.17.1"

    # Served from the unpacked tree with no registry configured: bin/../lib/ollama/standin-registry is used.
    srv = make_server(no_registry=True, script=binary, name="from-release")
    assert srv.version == "0.17.1"
    assert "OLLAMA_STANDIN_REGISTRY" not in srv.env()
    assert srv.cli("--version").stdout == "ollama version is 0.17.1\n"
    with ollama_client(srv.url) as c:
        assert c.pull(SMALL, stream=False).status == "success"


def test_release_tgz_before_0_14_is_deterministic(tmp_path, registry):
    a = make_release.make_release("0.13.5", str(tmp_path / "a"), registry_dir=str(registry))
    b = make_release.make_release("0.13.5", str(tmp_path / "b"), registry_dir=str(registry))
    assert list(a) == ["ollama-linux-amd64.tgz"]
    assert a == b
    assert (tmp_path / "a" / "sha256sum.txt").read_bytes() == (tmp_path / "b" / "sha256sum.txt").read_bytes()
    with open_archive(tmp_path / "a" / "ollama-linux-amd64.tgz") as tar:
        script = tar.extractfile("bin/ollama").read().decode()
        assert {m.mtime for m in tar.getmembers()} == {1704067200}
    assert '\nVERSION = "0.13.5"' in script
    assert script.splitlines()[1].startswith("# Test double: stands in for the `ollama` binary")
    c = make_release.make_release("0.13.6", str(tmp_path / "c"), registry_dir=str(registry))
    assert c["ollama-linux-amd64.tgz"] != a["ollama-linux-amd64.tgz"]


def test_release_names_and_cli_errors(tmp_path, monkeypatch, capsys):
    assert make_release.asset_names("0.14.0", ("amd64", "arm64"), rocm=True) == [
        "ollama-linux-amd64.tar.zst",
        "ollama-linux-arm64.tar.zst",
        "ollama-linux-amd64-rocm.tar.zst",
    ]
    assert make_release.asset_names("0.13.99") == ["ollama-linux-amd64.tgz"]
    assert make_release.asset_names("v0.14.0-rc1") == ["ollama-linux-amd64.tar.zst"]
    assert make_release.main(["--version", "1.2", "--out", str(tmp_path)]) == 2
    assert "is not X.Y.Z" in capsys.readouterr().err
    assert make_release.main(["--version", "0.13.0", "--out", str(tmp_path), "--arch", "arm64", "--rocm"]) == 2
    assert "amd64 only" in capsys.readouterr().err
    assert make_release.main(["--version", "0.13.0", "--out", str(tmp_path), "--arch", "riscv64"]) == 2
    assert "expected one of amd64, arm64" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    with pytest.raises(make_release.ReleaseError, match="zstd command is required"):
        make_release.compress(b"tar bytes", "tar.zst")
    assert list(os.listdir(tmp_path)) == [], "nothing written on a refused request"


def test_registry_is_deterministic_and_complete(tmp_path, registry):
    again = make_registry.build_registry(str(tmp_path / "again"))
    for name in (
        "deepseek-coder-v2:16b",
        "deepseek-coder-v2:236b",
        "qwen2.5-coder:0.5b",
        "qwen2.5-coder:1.5b",
        "qwen2.5-coder:7b",
        "qwen2.5-coder:14b",
        "qwen2.5-coder:32b",
        "qwen3-coder:30b",
        "llama3.2:1b",
        "tinyllama:latest",
        "nomic-embed-text:latest",
        *[f"bench/m{i:02d}:latest" for i in range(1, 21)],
        *make_registry.FAULTS,
    ):
        assert again[name] == registry_manifest_digest(registry, name), name
    sizes = [p.stat().st_size for p in (Path(registry) / "blobs").iterdir()]
    assert max(sizes) <= 1024 * 1024
    assert json.loads((Path(registry) / "faults.json").read_text())["faulty/stall:latest"] == "stall"


# --------------------------------------------------------------------------------------------------------------------
# The interpreters of Debian 12 (3.11) and 13 (3.13), and the shebang


def _interpreter(version):
    for candidate in (shutil.which(f"python{version}"), f"/usr/bin/python{version}", f"/root/.pyenv/versions/{version}/bin/python3"):
        if candidate and os.access(candidate, os.X_OK):
            ok = subprocess.run(
                [candidate, "-c", f"import sys; assert sys.version_info[:2] == {tuple(map(int, version.split('.')))}"], capture_output=True, check=False
            )
            if ok.returncode == 0:
                return candidate
    for versions_dir in Path("/root/.pyenv/versions").glob(f"{version}.*"):
        candidate = versions_dir / "bin" / "python3"
        if candidate.exists():
            return str(candidate)
    return None


@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_runs_under_debian_interpreters(version, make_server):
    python = _interpreter(version)
    if python is None:
        pytest.skip(f"python{version} not installed here")
    srv = make_server(python=python)
    with ollama_client(srv.url) as c:
        assert c.pull(SMALL, stream=False).status == "success"
        assert c.generate(SMALL, "hi").response
        assert [m.model for m in c.list().models] == [SMALL]


def test_script_runs_through_its_shebang(tmp_path, clean_env):
    assert SCRIPT.read_text().startswith("#!/usr/bin/env python3\n# Test double: stands in for the `ollama` binary")
    assert os.access(SCRIPT, os.X_OK)
    env = clean_env(tmp_path)
    env["OLLAMA_HOST"] = "127.0.0.1:9"
    out = subprocess.run([str(SCRIPT), "--version"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0 and out.stdout.endswith("Warning: client version is 0.0.0\n")


def test_broken_release_installs_but_never_starts(tmp_path, registry):
    """--broken packs a release whose bin/ollama fails on every call (the update scenario's bad new version)."""
    out = tmp_path / "dist"
    sums = make_release.make_release("0.13.7", str(out), registry_dir=str(registry), broken=True)
    assert read_sums(out / "sha256sum.txt") == sums
    root = tmp_path / "usr-local"
    with open_archive(out / "ollama-linux-amd64.tgz") as tar:
        script = tar.extractfile("bin/ollama").read().decode()
        assert tar.getmember("bin/ollama").mode == 0o755
        tar.extractall(root, filter="data") if sys.version_info >= (3, 12) else tar.extractall(root)  # noqa: S202
    assert script.splitlines()[1].startswith("# Test double: stands in for a broken Ollama build")
    for args in (["serve"], ["--version"]):
        proc = subprocess.run([str(root / "bin" / "ollama"), *args], capture_output=True, text=True, check=False)
        assert proc.returncode == 1 and "ollama 0.13.7: error while loading shared libraries" in proc.stderr
    good = make_release.make_release("0.13.7", str(tmp_path / "good"), registry_dir=str(registry))
    assert good != sums
