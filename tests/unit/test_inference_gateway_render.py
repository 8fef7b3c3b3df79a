# SPDX-License-Identifier: GPL-3.0-or-later
"""The inference_gateway role rendered for a sample inventory: its validation, the placement, haproxy.cfg, the maps and
models.json as the role's own tasks and templates produce them, and the nodes' entry point (their models and the
firewall guard).

One ``ansible-playbook`` run (connection local). Gateway cases are hosts of the group ``gw_cases``, each a valid
baseline plus its own values; each runs the role's validate.yml and placement.yml, then (when accepted) renders the
role's templates into a directory of its own. Node cases are hosts of ``guard_nodes`` that run the role's node entry
point (tasks_from node). The tests read what was written and what was refused. When an ``haproxy`` binary is found
(``AI_CODING_HAPROXY`` or PATH), the rendered configuration is also checked with ``haproxy -c`` against its files.
The live behaviour (401/403/404/429, queueing, retries, reloads, drain) is proven in molecule/inference_gateway.
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
from role_case_run import outcomes_play, run_cases

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "inference_gateway"

# Keys as a vault would give them; the marker must never reach a file or the output.
MARKER = "NEVER-SHOWN-0123456789abcdefghijklmnopq"
ALICE = "alice-" + MARKER
BOB = "bob/+=~." + MARKER

NODES = {
    # 8 GiB CPU-ish node, two parallel slots, Ollama on its LAN address.
    "n1": {"inference_node_address": "10.0.0.11", "ollama_host": "10.0.0.11:11434", "inference_node_memory_mib": 8192,
           "ollama_num_parallel": 2},
    # 48 GiB GPU node on all interfaces, another port, IPv6 address for the gateway.
    "n2": {"inference_node_address": "fd00::12", "ollama_host": "0.0.0.0:11435", "inference_node_memory_mib": 49152},
    # No inference_node_address: ansible_host is the address.
    "n3": {"ansible_host": "10.0.0.13", "ollama_host": "10.0.0.13:11434", "inference_node_memory_mib": 24576,
           "ollama_num_parallel": 4},
}

BASE = {
    "inference_gateway_models": ["qwen2.5-coder:7b", {"name": "TinyLlama", "size_gib": 0.6},
                                 {"name": "myorg/coder:q4", "size_gib": 20, "nodes": ["n2"]},
                                 {"name": "qwen2.5-coder:14b"}],
    "inference_gateway_keys": [{"name": "alice", "key": ALICE}, {"name": "bob", "key": BOB, "rate_per_minute": 30}],
}


class Case:
    """``variables`` laid over BASE; ``expect``: texts the refusal must hold, or None for a case that must pass."""

    def __init__(self, case_id, variables, expect=None):
        self.id = case_id
        self.variables = variables
        self.expect = expect


NODE_A = {"name": "a", "address": "10.1.1.1", "memory_mib": 9000}

GATEWAY_CASES = [
    Case("keys-rotated", {"inference_gateway_keys": [{"name": "alice", "key": "rotated-" + MARKER},
                                                     {"name": "bob", "key": BOB, "rate_per_minute": 30}]}),
    Case("models-changed", {"inference_gateway_models": ["qwen2.5-coder:7b"]}),
    Case("explicit-nodes", {"inference_gateway_nodes": [{"name": "far-gpu", "address": "10.20.0.5", "memory_mib": 81920},
                                                        {"name": "lan", "address": "192.168.1.9", "port": 11500,
                                                         "max_parallel": 3, "memory_mib": 16384}],
                            "inference_gateway_models": ["qwen2.5-coder:32b", "qwen2.5-coder:7b"],
                            "inference_gateway_bind": "::1", "inference_gateway_port": 11600, "inference_gateway_bufsize": 1048576,
                            "inference_gateway_retries": 0, "inference_gateway_default_rate_per_minute": 50}),
    # Refused: each names the variable, the value and the rule.
    Case("no-models", {"inference_gateway_models": []}, ["inference_gateway_models is empty"]),
    Case("models-string", {"inference_gateway_models": "qwen2.5-coder:7b"},
         ['inference_gateway_models must be a list, got a string ("qwen2.5-coder:7b")', "not split on commas"]),
    Case("model-fits-nowhere", {"inference_gateway_models": ["qwen2.5-coder:7b", "qwen3-coder:480b"]},
         ["inference_gateway_models[1] (qwen3-coder:480b, 270.1 GiB) fits no node", "largest node, n2, has 49152 MiB"]),
    Case("model-pinned-too-small", {"inference_gateway_models": [{"name": "qwen2.5-coder:14b", "nodes": ["n1"]}]},
         ["inference_gateway_models[0].nodes pins qwen2.5-coder:14b", "to n1, whose 8192 MiB cannot hold it"]),
    Case("model-pinned-unknown", {"inference_gateway_models": [{"name": "qwen2.5-coder:7b", "nodes": ["n9"]}]},
         ["pins qwen2.5-coder:7b to 'n9', which is not a node (nodes: n1, n2, n3)"]),
    Case("model-twice", {"inference_gateway_models": [{"name": "tinyllama", "size_gib": 1}, {"name": "tinyllama:latest", "size_gib": 1}]},
         ["inference_gateway_models[1] is 'tinyllama:latest', the same model as inference_gateway_models[0]"]),
    Case("model-bad-name", {"inference_gateway_models": [{"name": "bad name", "size_gib": 1}]},
         ["inference_gateway_models[0]", "bad name"]),
    Case("model-mapping-without-name", {"inference_gateway_models": [{"size_gib": 1}]},
         ["inference_gateway_models[0] is", "needs a name"]),
    Case("no-keys", {"inference_gateway_keys": []}, ["inference_gateway_keys is empty"]),
    Case("key-short", {"inference_gateway_keys": [{"name": "alice", "key": "SHORT-" + "x" * 10}]},
         ['inference_gateway_keys[0] ("alice"): the key (not shown) must be a string of 32 to 512']),
    Case("key-with-space", {"inference_gateway_keys": [{"name": "alice", "key": "has space " + MARKER}]},
         ['inference_gateway_keys[0] ("alice"): the key (not shown) must be']),
    Case("key-twice", {"inference_gateway_keys": [{"name": "alice", "key": ALICE}, {"name": "carol", "key": ALICE}]},
         ["inference_gateway_keys[1] (\"carol\"): the key (not shown) is the same as an earlier entry's"]),
    Case("key-name-twice", {"inference_gateway_keys": [{"name": "alice", "key": ALICE}, {"name": "alice", "key": BOB}]},
         ['inference_gateway_keys[1].name is "alice", as an earlier entry\'s is: key names must be unique']),
    Case("key-name-bad", {"inference_gateway_keys": [{"name": "al ice", "key": ALICE}]},
         ['inference_gateway_keys[0].name is "al ice": a key name is 1-64 letters, digits and _ . -']),
    Case("key-rate-zero", {"inference_gateway_keys": [{"name": "alice", "key": ALICE, "rate_per_minute": 0}]},
         ['inference_gateway_keys[0].rate_per_minute ("alice") is 0: requests per minute']),
    Case("keys-string", {"inference_gateway_keys": ALICE}, ["inference_gateway_keys must be a list of {name, key, rate_per_minute}"]),
    Case("key-entry-string", {"inference_gateway_keys": [ALICE]}, ["inference_gateway_keys[0] must be a mapping", "not shown"]),
    Case("bind-injects", {"inference_gateway_bind": "127.0.0.1:80\n    bind 0.0.0.0"}, ["inference_gateway_bind is", "an IPv4 or IPv6 address"]),
    Case("port-zero", {"inference_gateway_port": 0}, ["inference_gateway_port is 0: it must be a port 1-65535"]),
    Case("metrics-same-port", {"inference_gateway_metrics_port": 11500}, ["inference_gateway_metrics_port is 11500", "not inference_gateway_port"]),
    Case("interval-bad", {"inference_gateway_check_interval": "2 s"}, ['inference_gateway_check_interval is "2 s": it must be an HAProxy time']),
    Case("timeout-zero", {"inference_gateway_timeout_queue": "0s"}, ['inference_gateway_timeout_queue is "0s"']),
    Case("bufsize-small", {"inference_gateway_bufsize": 4096}, ["inference_gateway_bufsize is 4096", "from 16384"]),
    Case("retries-bool", {"inference_gateway_retries": True}, ["inference_gateway_retries is true"]),
    Case("socket-relative", {"inference_gateway_socket": "admin.sock"}, ['inference_gateway_socket is "admin.sock"', "absolute path"]),
    Case("source-not-ip", {"inference_gateway_source_address": "gw.example.test"},
         ['inference_gateway_source_address is "gw.example.test"', "an IPv4 or IPv6 address"]),
    Case("node-group-empty", {"inference_gateway_node_group": "nobody"}, ['the inventory group "nobody" (inference_gateway_node_group) has no host']),
    Case("node-group-bad", {"inference_gateway_node_group": "in-ference"}, ['inference_gateway_node_group is "in-ference"']),
    Case("explicit-node-no-memory", {"inference_gateway_nodes": [{"name": "a", "address": "10.1.1.1"}]},
         ["inference_gateway_nodes[0].memory_mib is missing"]),
    Case("explicit-node-bad-name", {"inference_gateway_nodes": [{"name": "a b", "address": "10.1.1.1", "memory_mib": 9000}]},
         ['inference_gateway_nodes[0].name is "a b": a node name is 1-64 letters']),
    Case("explicit-node-twice", {"inference_gateway_nodes": [NODE_A, dict(NODE_A, address="10.1.1.2")]},
         ['inference_gateway_nodes[1].name is "a", as an earlier node\'s is']),
    Case("explicit-node-bad-port", {"inference_gateway_nodes": [{"name": "a", "address": "10.1.1.1", "memory_mib": 9000, "port": 70000}]},
         ["inference_gateway_nodes[0].port is 70000: a port 1-65535"]),
    Case("explicit-node-bad-parallel", {"inference_gateway_nodes": [{"name": "a", "address": "10.1.1.1", "memory_mib": 9000,
                                                                    "max_parallel": 0}]},
         ["inference_gateway_nodes[0].max_parallel is 0"]),
    Case("explicit-node-address-injects", {"inference_gateway_nodes": [{"name": "a", "address": "10.1.1.1 backup", "memory_mib": 9000}]},
         ['inference_gateway_nodes[0].address is "10.1.1.1 backup"']),
    Case("loopback-node", {"inference_gateway_node_group": "loop_nodes"},
         ["node lo1 (group loop_nodes): its Ollama listens on loopback only", 'ollama_host is "127.0.0.1:11434"',
          'the gateway would reach it at "10.0.0.21"']),
]

# Node cases: hosts of guard_nodes run tasks_from node; gw0 (group inference_gateway) holds the models they read.
GATEWAY_HOST = {"inference_gateway_source_address": "10.9.9.9",
                "inference_gateway_node_group": "guard_nodes",
                "inference_gateway_models": [{"name": "small", "size_gib": 1}, {"name": "big", "size_gib": 30},
                                             {"name": "pinned", "size_gib": 1, "nodes": ["g-fw-ok"]}]}
FW_OK = {"ollama_host": "10.0.0.31:11434", "ollama_allow_non_loopback": True,
         "hardening_firewall_source_tcp_ports": [{"sources": ["10.9.9.9/32"], "ports": [11434]}]}
NODE_CASES = [
    Case("g-loopback", {"ollama_host": "127.0.0.1:11434", "inference_node_address": "127.0.0.1", "inference_node_memory_mib": 8192}),
    Case("g-fw-ok", dict(FW_OK, inference_node_memory_mib=65536)),
    Case("g-no-allow", dict(FW_OK, ollama_allow_non_loopback=False, inference_node_memory_mib=8192),
         ['g-no-allow binds Ollama to "10.0.0.31:11434"', "without ollama_allow_non_loopback: true"]),
    Case("g-fw-off", dict(FW_OK, hardening_firewall=False, inference_node_memory_mib=8192), ["but hardening_firewall is false"]),
    Case("g-port-open", dict(FW_OK, hardening_firewall_allowed_tcp_ports=[80, 443, 11434], inference_node_memory_mib=8192),
         ["but hardening_firewall_allowed_tcp_ports opens port 11434 to everyone"]),
    Case("g-iface", dict(FW_OK, hardening_firewall_interface_tcp_ports=[{"interface": "eth1", "ports": [11434]}],
                         inference_node_memory_mib=8192),
         ['hardening_firewall_interface_tcp_ports[0] opens port 11434 to everyone on "eth1"']),
    Case("g-trusted", dict(FW_OK, hardening_firewall_trusted_interfaces=["wg0"], inference_node_memory_mib=8192),
         ['hardening_firewall_trusted_interfaces (["wg0"]) admits every port']),
    Case("g-no-source", dict(FW_OK, hardening_firewall_source_tcp_ports=[], inference_node_memory_mib=8192),
         ["no entry of hardening_firewall_source_tcp_ports admits port 11434 from the gateway at 10.9.9.9"]),
    Case("g-wide-source", dict(FW_OK, hardening_firewall_source_tcp_ports=[{"sources": ["10.9.9.9", "10.0.0.0/8"], "ports": [11434]}],
                               inference_node_memory_mib=8192),
         ['hardening_firewall_source_tcp_ports[0] admits port 11434 from "10.0.0.0/8", which is not a gateway host\'s address']),
    Case("g-air-port-listed", dict(FW_OK, hardening_host_kind="airgapped", hardening_firewall_allowed_tcp_ports=[11434],
                                   inference_node_memory_mib=8192)),
]

PLAYBOOK = [
    {"name": "Render every gateway case", "hosts": "gw_cases", "gather_facts": True, "gather_subset": ["!all", "min"],
     "tasks": [{"name": "Validate and place", "block": [
         {"name": "Include validate.yml", "ansible.builtin.include_role": {
             "name": "selfhosted.ai_coding.inference_gateway", "tasks_from": "validate.yml", "public": True}},
         {"name": "Include placement.yml", "ansible.builtin.include_role": {
             "name": "selfhosted.ai_coding.inference_gateway", "tasks_from": "placement.yml", "public": True}},
         {"name": "Record the acceptance", "ansible.builtin.set_fact": {"case_outcome": "accepted"}}],
         "rescue": [{"name": "Record the refusal", "ansible.builtin.set_fact": {
             "case_outcome": "refused", "case_message": "{{ ansible_failed_result.msg | default('(no message)') }}"}}]},
         {"name": "Render", "when": "case_outcome == 'accepted'", "block": [
             # As tasks/config.yml does, once.
             {"name": "Name the generation", "ansible.builtin.set_fact": {
                 "__inference_gateway_generation": "{{ __inference_gateway_generation_of_files }}"}},
             {"name": "Create the case's directory", "ansible.builtin.file": {
                 "path": "{{ out_dir }}/{{ inventory_hostname }}", "state": "directory", "mode": "0700"}},
             {"name": "Render the files", "ansible.builtin.template": {
                 "src": "{{ item }}.j2", "dest": "{{ out_dir }}/{{ inventory_hostname }}/{{ item }}", "mode": "0600"},
              "loop": ["haproxy.cfg", "keys.map", "limits.map", "models.map", "models.json"], "no_log": True},
             {"name": "Record the generation", "ansible.builtin.copy": {
                 "dest": "{{ out_dir }}/{{ inventory_hostname }}/generation", "content": "{{ __inference_gateway_generation_dir }}",
                 "mode": "0600"}}]}]},
    {"name": "Run the nodes' entry point", "hosts": "guard_nodes", "gather_facts": False,
     "tasks": [{"name": "Node", "block": [
         {"name": "Include node.yml", "ansible.builtin.include_role": {
             "name": "selfhosted.ai_coding.inference_gateway", "tasks_from": "node"}},
         {"name": "Record the acceptance", "ansible.builtin.set_fact": {"case_outcome": "accepted", "case_models": "{{ ollama_models }}"}}],
         "rescue": [{"name": "Record the refusal", "ansible.builtin.set_fact": {
             "case_outcome": "refused", "case_message": "{{ ansible_failed_result.msg | default('(no message)') }}"}}]}]},
    outcomes_play("gw0", "cases", extra=("case_models",)),
]


def _inventory(out_dir):
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    gw_cases = {"baseline": dict(BASE), **{c.id: {**BASE, **c.variables} for c in GATEWAY_CASES}}
    return {"all": {"vars": {**local, "out_dir": str(out_dir)}, "children": {
        "inference_nodes": {"hosts": NODES},
        "loop_nodes": {"hosts": {"lo1": {"ansible_host": "10.0.0.21", "inference_node_memory_mib": 8192}}},
        "inference_gateway": {"hosts": {"gw0": GATEWAY_HOST}},
        "guard_nodes": {"hosts": {c.id: c.variables for c in NODE_CASES}},
        "gw_cases": {"hosts": gw_cases},
        "cases": {"children": {"gw_cases": {}, "guard_nodes": {}}},
    }}}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Runs the playbook once: ({case id: (outcome, message, models)}, output directory, ansible output)."""
    tmp = tmp_path_factory.mktemp("gateway")
    out_dir = tmp / "out"
    out_dir.mkdir()
    # The role's templates next to the playbook: its vars render them by name (lookup('template', ...)).
    (tmp / "templates").symlink_to(ROLE / "templates")
    outcomes, output = run_cases(tmp, _inventory(out_dir), PLAYBOOK, cwd=tmp, timeout=900,
                                 env={"ANSIBLE_INJECT_FACT_VARS": "false"})
    return outcomes, out_dir, output


def _accepted(rendered, case_id):
    outcomes, out_dir, output = rendered
    state, msg, _models = outcomes[case_id]
    assert state == "accepted", "%s was %s: %s\n%s" % (case_id, state, msg, output[-3000:])
    return out_dir / case_id


def _backend(cfg, name):
    """The lines of one section of haproxy.cfg, from its header to the next blank line."""
    match = re.search(r"^backend %s\n(.*?)(?:\n\n|\Z)" % re.escape(name), cfg, re.S | re.M)
    assert match, "no backend %s in:\n%s" % (name, cfg)
    return match.group(1)


@pytest.mark.parametrize("case", [c for c in GATEWAY_CASES + NODE_CASES if c.expect is not None], ids=lambda c: c.id)
def test_bad_values_are_refused_naming_the_value_and_the_rule(rendered, case):
    outcomes, output = rendered[0], rendered[2]
    state, msg, _models = outcomes[case.id]
    assert state == "refused", "case %s was %s\n%s" % (case.id, state, output[-3000:])
    flat = " ".join(msg.split())
    for text in case.expect:
        assert " ".join(text.split()) in flat, "case %s: %r not in %r" % (case.id, text, msg)


def test_valid_cases_pass(rendered):
    for case in ["baseline"] + [c.id for c in GATEWAY_CASES + NODE_CASES if c.expect is None]:
        outcomes = rendered[0]
        assert outcomes[case][0] == "accepted", (case, outcomes[case])


def test_no_key_reaches_a_file_or_the_output(rendered):
    out_dir, output = rendered[1], rendered[2]
    assert MARKER not in output
    for path in out_dir.rglob("*"):
        if path.is_file():
            assert MARKER not in path.read_text(), path


def test_key_map_holds_the_sha256_of_each_key_and_limits_their_rates(rendered):
    out = _accepted(rendered, "baseline")
    keys = [line.split() for line in (out / "keys.map").read_text().splitlines() if line and not line.startswith("#")]
    assert keys == [[hashlib.sha256(ALICE.encode()).hexdigest(), "alice"], [hashlib.sha256(BOB.encode()).hexdigest(), "bob"]]
    limits = [line.split() for line in (out / "limits.map").read_text().splitlines() if line and not line.startswith("#")]
    assert limits == [["alice", "600"], ["bob", "30"]]
    default_rate = (_accepted(rendered, "explicit-nodes") / "limits.map").read_text()
    assert re.search(r"^alice 50$", default_rate, re.M)


def test_each_model_has_a_backend_on_the_nodes_it_fits(rendered):
    cfg = (_accepted(rendered, "baseline") / "haproxy.cfg").read_text()
    # Sorted case-insensitively: myorg/coder:q4, qwen2.5-coder:14b, qwen2.5-coder:7b, TinyLlama.
    coder = _backend(cfg, "model_0")
    assert re.findall(r"^    server (\S+) (\S+) ", coder, re.M) == [("n2", "[fd00::12]:11435")], "pinned to n2 only"
    big = _backend(cfg, "model_1")
    # 14b (9.0 GB) needs 11324 MiB: n2 and n3, not the 8 GiB n1.
    assert re.findall(r"^    server (\S+) (\S+) ", big, re.M) == [("n2", "[fd00::12]:11435"), ("n3", "10.0.0.13:11434")]
    small = _backend(cfg, "model_2")
    assert re.findall(r"^    server (\S+) (\S+) .* maxconn (\d+)\b", small, re.M) == [
        ("n1", "10.0.0.11:11434", "2"), ("n2", "[fd00::12]:11435", "1"), ("n3", "10.0.0.13:11434", "4")]
    tiny = _backend(cfg, "model_3")
    assert "# TinyLlama (also tinyllama:latest)" in cfg
    for backend in (coder, big, small, tiny):
        assert "balance leastconn" in backend
        assert "option httpchk GET /" in backend
        assert r"http-check expect string Ollama\ is\ running" in backend
        assert "timeout queue 120s" in backend
        for line in re.findall(r"^    server .*$", backend, re.M):
            assert re.search(r" check inter 2s fall 2 rise 2 maxconn \d+\b", line), line
    anyn = _backend(cfg, "any_node")
    assert re.findall(r"^    server (\S+) ", anyn, re.M) == ["n1", "n2", "n3"]
    # A loopback-bound Ollama answers 403 to Host llm.<domain>: every backend sends a Host its guard accepts.
    for backend in (coder, big, small, tiny, anyn):
        assert "http-request set-header Host localhost" in backend
    assert "maxconn" not in anyn
    assert not re.search(r"^backend model_4$", cfg, re.M)


def test_model_map_and_model_list_are_exactly_the_declared_models(rendered):
    out = _accepted(rendered, "baseline")
    entries = [line.split() for line in (out / "models.map").read_text().splitlines() if line and not line.startswith("#")]
    assert entries == [["myorg/coder:q4", "model_0"], ["qwen2.5-coder:14b", "model_1"], ["qwen2.5-coder:7b", "model_2"],
                       ["tinyllama", "model_3"], ["tinyllama:latest", "model_3"]]
    listing = json.loads((out / "models.json").read_text())
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["myorg/coder:q4", "qwen2.5-coder:14b", "qwen2.5-coder:7b", "TinyLlama"]
    assert all(m["object"] == "model" for m in listing["data"])


def test_frontend_checks_keys_rates_paths_and_models_in_order(rendered):
    out = _accepted(rendered, "baseline")
    cfg = (out / "haproxy.cfg").read_text()
    gen = (out / "generation").read_text()
    assert re.fullmatch(r"/etc/haproxy/ai-coding/gen-[0-9a-f]{16}", gen)
    front = cfg[cfg.index("frontend llm"):cfg.index("\nbackend any_node")]
    assert "    bind 127.0.0.1:11500\n" in front
    assert "option http-buffer-request" in front and "option http-no-delay" in front
    assert "stick-table type string len 64 size 100k expire 2m store http_req_rate(60s)" in front
    served = re.search(r"acl ai_served path (.*)", front).group(1).split()
    assert served == ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/api/chat", "/api/generate",
                      "/api/embed", "/api/embeddings", "/api/show", "/api/tags", "/api/version"]
    admin = re.search(r"acl ai_admin path_beg (.*)", front).group(1).split()
    assert {"/api/create", "/api/push", "/api/delete", "/api/copy", "/api/blobs/"} <= set(admin)
    # Order: 403 admin, 404 path, 401 key, 429 rate, /v1/models, the model.
    order = [front.index(s) for s in ("return status 403", "return status 404 content-type application/json string '{\"error\":{\"message\":\"unknown path",
                                      "return status 401", "track-sc0 var(txn.key_name)", "return status 429", "file %s/models.json" % gen,
                                      "json_query('$.model')", "use_backend %[var(txn.backend)]")]
    assert order == sorted(order), order
    assert "sha2(256),hex,lower,map(%s/keys.map)" % gen in front
    assert "map_str_int(%s/limits.map,600)" % gen in front
    assert "var(txn.model),lower,map(%s/models.map)" % gen in front
    assert "http-request del-header authorization" in front
    assert "hdr Retry-After" in front
    for status in ("401", "403", "404", "429"):
        body = re.search(r"return status %s content-type application/json (?:hdr \S+ (?:'[^']*'|\"[^\"]*\") )?(?:lf-)?string "
                         r"'(\{.*?\})'" % status, front).group(1)
        assert set(json.loads(body.replace('\\"%[var(txn.model),json(utf8s)]\\"', "x"))["error"]) == {"message", "type", "code"}


def test_global_and_defaults(rendered):
    cfg = (_accepted(rendered, "baseline") / "haproxy.cfg").read_text()
    assert "stats socket /run/haproxy/admin.sock mode 660 level admin user root group haproxy" in cfg
    assert "tune.bufsize 262144" in cfg
    defaults = cfg[cfg.index("defaults"):cfg.index("frontend llm")]
    for line in ("mode http", "retries 3", "retry-on 503 conn-failure empty-response", "option redispatch 1",
                 "timeout queue 120s", "timeout server 600s", "timeout client 600s"):
        assert "    %s\n" % line in defaults, line
    assert re.search(r"http-error status 503 content-type application/json string '\{\"error\":", defaults)
    metrics = cfg[cfg.index("frontend metrics"):]
    assert "bind 127.0.0.1:8405" in metrics
    assert "http-request use-service prometheus-exporter if { path /metrics }" in metrics


def test_explicit_nodes_and_other_settings(rendered):
    cfg = (_accepted(rendered, "explicit-nodes") / "haproxy.cfg").read_text()
    assert "    bind [::1]:11600\n" in cfg
    assert "tune.bufsize 1048576" in cfg and "    retries 0\n" in cfg
    assert re.findall(r"^    server (\S+) (\S+) .* maxconn (\d+)\b", _backend(cfg, "model_0"), re.M) == [
        ("far-gpu", "10.20.0.5:11434", "1")], "32b fits the 80 GiB node only"
    assert re.findall(r"^    server (\S+) (\S+) .* maxconn (\d+)\b", _backend(cfg, "model_1"), re.M) == [
        ("far-gpu", "10.20.0.5:11434", "1"), ("lan", "192.168.1.9:11500", "3")]


def test_generation_follows_models_and_limits_but_not_keys(rendered):
    """A key rotation rewrites keys.map in place (same directory, same haproxy.cfg); other changes get a new directory."""
    base = _accepted(rendered, "baseline")
    rotated = _accepted(rendered, "keys-rotated")
    changed = _accepted(rendered, "models-changed")
    assert (base / "generation").read_text() == (rotated / "generation").read_text()
    assert (base / "haproxy.cfg").read_text() == (rotated / "haproxy.cfg").read_text()
    assert (base / "keys.map").read_text() != (rotated / "keys.map").read_text()
    assert (base / "generation").read_text() != (changed / "generation").read_text()


def test_nodes_get_their_share_of_the_placement(rendered):
    outcomes = rendered[0]
    # g-fw-ok (64 GiB) fits everything and holds the pinned model; the 8 GiB nodes get the small model only.
    assert outcomes["g-fw-ok"][2] == ["big", "pinned", "small"]
    assert outcomes["g-loopback"][2] == ["small"]
    assert outcomes["g-air-port-listed"][2] == ["small"]


def _haproxy():
    return os.environ.get("AI_CODING_HAPROXY") or shutil.which("haproxy")


@pytest.mark.skipif(not _haproxy(), reason="no haproxy binary (set AI_CODING_HAPROXY or install haproxy)")
@pytest.mark.parametrize("case_id", ["baseline", "explicit-nodes"])
def test_haproxy_accepts_the_rendered_configuration(rendered, case_id, tmp_path):
    out = _accepted(rendered, case_id)
    gen = (out / "generation").read_text()
    for name in ("keys.map", "limits.map", "models.map", "models.json"):
        shutil.copy(out / name, tmp_path / name)
    cfg = (out / "haproxy.cfg").read_text().replace(gen, str(tmp_path))
    # Run as any user: no chroot, no user switch, the socket in the temporary directory.
    cfg = re.sub(r"^    (chroot|user|group) .*\n", "", cfg, flags=re.M).replace(" user root group haproxy", "")
    cfg = cfg.replace("/run/haproxy/admin.sock", str(tmp_path / "admin.sock"))
    (tmp_path / "haproxy.cfg").write_text(cfg)
    result = subprocess.run([_haproxy(), "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr
