# SPDX-License-Identifier: GPL-3.0-or-later
"""The ollama, openhands and reverse_proxy roles refuse hostile and careless input in tasks/validate.yml (issue 13).

Each role's validation runs for real: one ``ansible-playbook -v`` per role, in which every case is a host of the
inventory (connection local, no facts) whose host vars are the role's valid baseline plus the case's hostile value(s).
The play includes the role's ``validate.yml`` in a block whose rescue records the failure message; a last play writes
every host's outcome to a file. Each case asserts that it was refused, that the message names the variable and the rule
and, where a secret is involved, that no planted secret appears in the message nor anywhere in the whole ``-v`` output
(the baselines plant them too). The baselines, and a few valid variants (the allow flags, a proxy URL with a password),
must pass. Only the validation runs: nothing on this machine changes (the openhands baseline uses the external LLM mode,
which reads nothing of Docker). tests/unit/test_backups_role.py's runner is bound to the backups role and one case per
run, so this file has its own, batched one.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Secrets the cases plant; none may appear in any output.
PROXY_PASSWORD = "Pr0xyS3cretPW"
MCP_TOKEN = "ghp_McpT0kenSecret000000000000000000"
GITHUB_TOKEN = "ghp_GitHubT0kenSecret0000000000000000"
LLM_KEY = "sk-LlmKeySecret0000"
BASIC_PASSWORD = "BasicAuthS3cret"
SECRETS = [PROXY_PASSWORD, MCP_TOKEN, GITHUB_TOKEN, LLM_KEY, BASIC_PASSWORD]


class Case:
    """A hostile input: ``variables`` (host vars) must be refused with every text of ``expect`` in the message, the
    secret (if any) nowhere in the output. ``expect=None``: a valid input that must be accepted."""

    def __init__(self, case_id, variables, expect, secret=None):
        self.id = case_id
        self.variables = variables
        self.expect = expect if isinstance(expect, list) or expect is None else [expect]
        self.secret = secret


# ---------------------------------------------------------------------------------------------------------------- ollama
OLLAMA_BASE = {}

OLLAMA_CASES = [
    # Class 1: the free-form map walks around the guards (a later OLLAMA_HOST= line, OLLAMA_ORIGINS=*).
    Case("env-newline-adds-a-line",
         {"ollama_environment": {"HTTPS_PROXY": "http://user:%s@proxy:3128\nOLLAMA_HOST=0.0.0.0:11434" % PROXY_PASSWORD}},
         ["ollama_environment", "HTTPS_PROXY", "must be one line"], PROXY_PASSWORD),
    Case("env-sets-cors-origins", {"ollama_environment": {"OLLAMA_ORIGINS": "*"}},
         ["ollama_environment sets OLLAMA_ORIGINS", "the role owns"]),
    Case("env-sets-host-lower-case", {"ollama_environment": {"ollama_host": "0.0.0.0:11434"}},
         ["ollama_environment sets ollama_host", "the role owns"]),
    Case("env-sets-context-length", {"ollama_environment": {"OLLAMA_CONTEXT_LENGTH": "2048"}},
         ["ollama_environment sets OLLAMA_CONTEXT_LENGTH", "the role owns"]),
    Case("env-sets-home", {"ollama_environment": {"HOME": "/root"}}, ["ollama_environment sets HOME", "the role owns"]),
    Case("env-bad-name", {"ollama_environment": {"BAD NAME": "x"}},
         ["ollama_environment has the name 'BAD NAME'", "environment variable name must match"]),
    Case("env-not-a-map", {"ollama_environment": "HTTPS_PROXY=http://u:%s@p:3128" % PROXY_PASSWORD},
         ["ollama_environment must be a mapping", "got a string"], PROXY_PASSWORD),
    Case("env-value-a-mapping", {"ollama_environment": {"X": {"y": PROXY_PASSWORD}}},
         ["ollama_environment.X must be a string, number or boolean, got a mapping"], PROXY_PASSWORD),
    # Guards on the rendered result: every way CORS could become "*".
    Case("origins-star", {"ollama_origins": ["*"]}, ["ollama_origins[0]", "never opens Ollama to every origin"]),
    Case("origins-bare-star-host", {"ollama_origins": ["https://*"]}, ["ollama_origins[0]", "bare * host"]),
    Case("origins-comma-joined-star", {"ollama_origins": ["https://a.example,*"]},
         ["ollama_origins[0]", "without commas"]),
    Case("origins-newline", {"ollama_origins": ["https://a.example\nOLLAMA_HOST=0.0.0.0:1"]},
         ["ollama_origins[0]", "without commas", "control characters"]),
    # Class 3: a string where a list belongs.
    Case("origins-a-string", {"ollama_origins": "http://a.example"},
         ["ollama_origins must be a list of strings, got a string", "not split on commas"]),
    Case("models-a-string", {"ollama_models": "llama3.2:1b,qwen2.5-coder:7b"},
         ["ollama_models must be a list of strings, got a string"]),
    Case("registries-a-string", {"ollama_model_allowed_registries": "registry.ollama.ai"},
         ["ollama_model_allowed_registries must be a list of strings, got a string"]),
    Case("candidates-a-mapping", {"ollama_model_candidates": {"a": 1}},
         ["ollama_model_candidates must be a list of strings, got a mapping"]),
    Case("models-entry-not-string", {"ollama_models": [7]}, ["ollama_models[0] is 7", "non-empty string"]),
    # Class 2: values that reach the environment file, the unit or the docker API unquoted.
    Case("keep-alive-newline", {"ollama_keep_alive": "5m\nOLLAMA_ORIGINS=*"}, ["ollama_keep_alive is", "a duration"]),
    Case("host-newline", {"ollama_host": "127.0.0.1:11434\n"}, ["ollama_host is", "host:port"]),
    Case("models-dir-space", {"ollama_models_dir": "/srv/ollama models"},
         ["ollama_models_dir is \"/srv/ollama models\"", "no spaces"]),
    Case("home-shell", {"ollama_home": "/srv/$(id)"}, ["ollama_home is", "an absolute path"]),
    Case("prefix-traversal", {"ollama_install_prefix": "/usr/../tmp"}, ["ollama_install_prefix is", ".. parts"]),
    Case("user-newline", {"ollama_user": "ollama\nExecStartPre=/bin/sh"}, ["ollama_user is", "system account name"]),
    Case("volume-colon", {"ollama_container_volume": "/:/host"}, ["ollama_container_volume is", "without :"]),
    Case("memory-option", {"ollama_container_memory": "16g --privileged"}, ["ollama_container_memory is", "16g"]),
    Case("base-url-newline", {"ollama_download_base_url": "https://mirror.example/x\ny"},
         ["ollama_download_base_url is", "http:// or https:// URL"]),
    Case("restart-sec-not-number", {"ollama_service_restart_sec": "3\nExecStartPre=/bin/true"},
         ["ollama_service_restart_sec is", "whole seconds"]),
    # Class 5: the same loopback rule, with the same wording.
    Case("public-bind", {"ollama_host": "0.0.0.0:11434"}, ["ollama_host=0.0.0.0:11434", "outside loopback",
                                                           "ollama_allow_non_loopback: true"]),
    # The air-gap profile's unit settings and the host-side archive (issue 10).
    Case("ip-deny-newline", {"ollama_systemd_ip_address_deny": ["any\nExecStartPre=/bin/sh"]},
         ["ollama_systemd_ip_address_deny[0] is", "rule: a list of any, localhost"]),
    Case("ip-allow-a-string", {"ollama_systemd_ip_address_allow": "localhost"},
         ["ollama_systemd_ip_address_allow must be a list", "IPAddressAllow="]),
    Case("ip-deny-hostname", {"ollama_systemd_ip_address_deny": ["any"], "ollama_systemd_ip_address_allow": ["example.com"]},
         ["ollama_systemd_ip_address_allow[0] is", "IP addresses with an optional"]),
    Case("remote-archive-relative", {"ollama_archive_remote_src": True, "ollama_archive_src": "bundle/ollama-linux-amd64.tar.zst"},
         ["ollama_archive_src is", "absolute path on the host"]),
    Case("air-gap-profile", {"ollama_systemd_ip_address_deny": ["any"],
                             "ollama_systemd_ip_address_allow": ["localhost", "10.0.0.0/8", "::1/128"],
                             "ollama_archive_remote_src": True,
                             "ollama_archive_src": "/opt/ai-coding/bundles/b1/ollama/ollama-linux-amd64.tar.zst"}, None),
    # Valid input stays accepted: the allow flag, a proxy with credentials, named origins, a quote in a value.
    Case("public-bind-allowed", {"ollama_host": "0.0.0.0:11434", "ollama_allow_non_loopback": True}, None),
    Case("env-proxy-and-origins",
         {"ollama_environment": {"HTTPS_PROXY": "http://u:%s@proxy:3128" % PROXY_PASSWORD, "OLLAMA_DEBUG": True,
                                 "NOTE": 'a "quoted" value \\ with a backslash'},
          "ollama_origins": ["https://ai.example.test", "http://localhost:*"], "ollama_keep_alive": "1h30m"}, None),
]

# ------------------------------------------------------------------------------------------------------- reverse_proxy
PROXY_BASE = {
    "reverse_proxy_domain": "example.test",
    "reverse_proxy_acme_email": "admin@example.test",
    "reverse_proxy_default_sites": ["openhands", "ollama"],
    "reverse_proxy_basic_auth_users": [{"name": "alice", "password": BASIC_PASSWORD}],
}


def site(**kw):
    out = {"name": "extra", "server_names": ["extra.example.test"], "upstream": "127.0.0.1:8080"}
    out.update(kw)
    return out


PROXY_CASES = [
    # Class 2: values rendered into nginx / Caddy / Traefik.
    Case("server-name-newline", {"reverse_proxy_sites": [site(server_names=["a.example.test\n"])]},
         ["reverse_proxy site extra: server_names[0]", "a DNS name"]),
    Case("server-name-injects-directive", {"reverse_proxy_sites": [site(server_names=["a.example.test; include /etc/passwd"])]},
         ["reverse_proxy site extra: server_names[0]", "a DNS name"]),
    Case("server-names-a-string", {"reverse_proxy_sites": [site(server_names="a.example.test")]},
         ["reverse_proxy site extra: server_names", "a string is not split"]),
    Case("upstream-brace", {"reverse_proxy_sites": [site(upstream="127.0.0.1:8080 { }")]},
         ["reverse_proxy site extra: upstream", "host:port"]),
    Case("upstream-port-range", {"reverse_proxy_sites": [site(upstream="127.0.0.1:99999")]},
         ["reverse_proxy site extra: upstream", "port 1-65535"]),
    Case("location-path-backtick", {"reverse_proxy_sites": [site(locations=[{"path": "/a`) || Host(`evil", "upstream": "127.0.0.1:1"}])]},
         ["reverse_proxy site extra: locations[0].path", "no spaces, quotes, backticks"]),
    Case("denied-path-semicolon", {"reverse_proxy_ollama_denied_paths": ["/api/create; return 200"]},
         ["reverse_proxy_ollama_denied_paths[0]", "a path prefix"]),
    Case("denied-path-trailing-newline", {"reverse_proxy_sites": [site(denied_paths=["/api\n"])]},
         ["reverse_proxy site extra: denied_paths[0]", "a path prefix"]),
    Case("domain-newline", {"reverse_proxy_domain": "example.test\n"}, ["reverse_proxy_domain is", "a DNS name"]),
    Case("email-brace", {"reverse_proxy_acme_email": "a@example.test}"}, ["reverse_proxy_acme_email is", "an e-mail address"]),
    Case("acme-directory-newline", {"reverse_proxy_acme_directory": "https://acme.example/dir\n}"},
         ["reverse_proxy_acme_directory is", "an https:// URL"]),
    Case("htpasswd-path-semicolon", {"reverse_proxy_htpasswd_path": "/etc/x; allow all"},
         ["reverse_proxy_htpasswd_path is", "an absolute path"]),
    Case("ca-bundle-space", {"reverse_proxy_acme_ca_bundle": "/etc/pebble/ca.pem X=1"},
         ["reverse_proxy_acme_ca_bundle is", "no spaces"]),
    Case("body-size-directive", {"reverse_proxy_client_max_body_size": "100m; autoindex on"},
         ["reverse_proxy_client_max_body_size is", "nginx size"]),
    Case("rate-newline", {"reverse_proxy_rate_api": "10\n"}, ["reverse_proxy_rate_api is", "a whole number"]),
    Case("cidr-not-address", {"reverse_proxy_sites": [site(allow_cidrs=["all; allow 0.0.0.0/0"])]},
         ["reverse_proxy site extra: allow_cidrs[0]", "address or CIDR"]),
    Case("user-name-newline", {"reverse_proxy_basic_auth_users": [{"name": "alice\n", "password": BASIC_PASSWORD}]},
         ["reverse_proxy_basic_auth_users[0] has the name", "letters, digits"], BASIC_PASSWORD),
    # Class 3 and 4: a string where a list belongs; the passwords never shown.
    Case("default-sites-a-string", {"reverse_proxy_default_sites": "openhands"},
         ["reverse_proxy_default_sites must be a list, got a string", "not split on commas"]),
    Case("users-a-string", {"reverse_proxy_basic_auth_users": "alice:%s" % BASIC_PASSWORD},
         ["reverse_proxy_basic_auth_users must be a list", "value not shown"], BASIC_PASSWORD),
    Case("user-password-missing", {"reverse_proxy_basic_auth_users": [{"name": "bob"}]},
         ["reverse_proxy_basic_auth_users[0] (bob) has no password"]),
    Case("user-entry-a-string", {"reverse_proxy_basic_auth_users": ["alice:%s" % BASIC_PASSWORD]},
         ["reverse_proxy_basic_auth_users[0] has the name missing"], BASIC_PASSWORD),
    Case("site-without-name", {"reverse_proxy_sites": [{"server_names": ["x.example.test"], "upstream": "127.0.0.1:1"}]},
         ["reverse_proxy_sites[0]", "a mapping with a name"]),
    # Class 1: the ollama site's guard (basic auth, model-store writes refused) walked around by another site.
    Case("ollama-without-auth-by-another-name",
         {"reverse_proxy_sites": [site(name="llm", upstream="http://localhost:11434", auth="none")]},
         ["reverse_proxy site llm proxies to", "Ollama's API", "only through the ollama site"]),
    Case("ollama-through-a-location",
         {"reverse_proxy_sites": [site(locations=[{"path": "/llm/", "upstream": "127.0.0.1:11434"}])]},
         ["reverse_proxy site extra proxies to", "only through the ollama site"]),
    Case("ollama-site-auth-none", {"reverse_proxy_sites": [{"name": "ollama", "auth": "none"}]},
         ["reverse_proxy site ollama: auth", "must use basic"]),
]


# ----------------------------------------------------------------------------------------------------------- openhands
# The external LLM mode reads nothing of Docker on this machine; Coolify is declared absent (no stat of /data/coolify).
OPENHANDS_BASE = {
    "openhands_ollama_mode": "external",
    "openhands_llm_base_url": "https://llm.example.test/v1",
    "openhands_llm_api_key": LLM_KEY,
    "openhands_github_token": GITHUB_TOKEN,
    "openhands_coolify_on_host": False,
    "openhands_mcp_servers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/workspace/project"]},
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": MCP_TOKEN}},
        "remote": {"url": "https://mcp.example.test/mcp", "transport": "http", "headers": {"Authorization": "Bearer " + MCP_TOKEN}},
    },
}


def mcp(**servers):
    return {"openhands_mcp_servers": {**OPENHANDS_BASE["openhands_mcp_servers"], **servers}}


OPENHANDS_CASES = [
    # Class 1: the environment map walks around the role's own settings (either generation, any case, the prefixes).
    Case("env-sets-sandbox-kind", {"openhands_environment": {"OH_SANDBOX_KIND": "ProcessSandboxServiceInjector"}},
         "openhands_environment sets OH_SANDBOX_KIND: the role owns OH_SANDBOX_KIND"),
    Case("env-sets-unknown-sandbox-name", {"openhands_environment": {"OH_SANDBOX_EXPOSE_ALL": "true"}},
         ["openhands_environment sets OH_SANDBOX_EXPOSE_ALL: the role owns", "every OH_SANDBOX_* and AGENT_SERVER_* name"]),
    Case("env-sets-v0-bind-address-on-1x", {"openhands_environment": {"SANDBOX_RUNTIME_BINDING_ADDRESS": "0.0.0.0"}},
         "openhands_environment sets SANDBOX_RUNTIME_BINDING_ADDRESS: the role owns SANDBOX_RUNTIME_BINDING_ADDRESS"),
    Case("env-sets-github-token-lower-case", {"openhands_environment": {"github_token": "x"}},
         "openhands_environment sets github_token: the role owns GITHUB_TOKEN"),
    Case("env-sets-llm-key", {"openhands_environment": {"LLM_API_KEY": "x"}}, "the role owns LLM_API_KEY"),
    Case("env-bad-name", {"openhands_environment": {"A-B": "x"}}, ["openhands_environment has the name \"A-B\"", "must match"]),
    Case("env-newline", {"openhands_environment": {"HTTPS_PROXY": "http://u:%s@p:3128\nOH_SANDBOX_KIND=x" % PROXY_PASSWORD}},
         ["openhands_environment sets HTTPS_PROXY to a value with a line break", "value not shown"], PROXY_PASSWORD),
    Case("env-not-a-map", {"openhands_environment": "HTTPS_PROXY=http://u:%s@p:3128" % PROXY_PASSWORD},
         ["openhands_environment must be a mapping, got a string", "not shown"], PROXY_PASSWORD),
    Case("env-value-a-list", {"openhands_environment": {"X": [PROXY_PASSWORD]}},
         "openhands_environment.X must be a string, number or boolean, got a list", PROXY_PASSWORD),
    # Class 4 (and 3): MCP servers carry tokens; a refused server never prints one.
    Case("mcp-args-a-string", mcp(github={"command": "npx", "args": "-y @modelcontextprotocol/server-github",
                                          "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": MCP_TOKEN}}),
         ["openhands_mcp_servers.github.args must be a list of strings", "values not shown"], MCP_TOKEN),
    Case("mcp-env-newline", mcp(github={"command": "npx", "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": MCP_TOKEN + "\nX=1"}}),
         "openhands_mcp_servers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN must be one line", MCP_TOKEN),
    Case("mcp-env-bad-name", mcp(github={"command": "npx", "env": {"GITHUB-TOKEN": MCP_TOKEN}}),
         ["openhands_mcp_servers.github.env has the name 'GITHUB-TOKEN'", "must match"], MCP_TOKEN),
    Case("mcp-url-with-space", mcp(remote={"url": "https://mcp.example.test/?token=%s x" % MCP_TOKEN}),
         "openhands_mcp_servers.remote.url must be an http:// or https:// URL without spaces", MCP_TOKEN),
    Case("mcp-header-newline", mcp(remote={"url": "https://mcp.example.test/", "headers": {"Authorization": MCP_TOKEN + "\r\nX: y"}}),
         "openhands_mcp_servers.remote.headers.Authorization must be a one-line string", MCP_TOKEN),
    Case("mcp-command-and-url", mcp(both={"command": "npx", "url": "https://mcp.example.test/", "env": {"T": MCP_TOKEN}}),
         "openhands_mcp_servers.both must have exactly one of command (stdio) or url (remote)", MCP_TOKEN),
    Case("mcp-bad-transport", mcp(remote={"url": "https://mcp.example.test/", "transport": "websocket"}),
         "openhands_mcp_servers.remote.transport is \"websocket\": http, streamable-http or sse"),
    Case("mcp-not-a-map", {"openhands_mcp_servers": ["github"]}, "openhands_mcp_servers must be a mapping, got a list"),
    Case("github-token-newline", {"openhands_github_token": GITHUB_TOKEN + "\nLLM_API_KEY=x"},
         ["openhands_github_token (not shown)", "without spaces or line breaks"], GITHUB_TOKEN),
    Case("llm-key-space", {"openhands_llm_api_key": LLM_KEY + " extra"},
         ["openhands_llm_api_key (not shown)", "without spaces or line breaks"], LLM_KEY),
    # Class 2: values that reach HAProxy, a volume spec, the container's command line or settings.json's route.
    Case("ollama-url-injects-server", {"openhands_ollama_url": "http://127.0.0.1:11434\n    server evil 203.0.113.9:80"},
         ["openhands_ollama_url is", "http(s)://host[:port]"]),
    Case("ollama-url-path", {"openhands_ollama_url": "http://127.0.0.1:11434/v1"}, ["openhands_ollama_url is", "host[:port]"]),
    Case("state-dir-colon", {"openhands_state_dir": "/var/lib/openhands/state:/etc"},
         ["openhands_state_dir is", "no spaces, quotes, $, %, :"]),
    Case("workspace-root", {"openhands_workspace_dir": "/"}, ["openhands_workspace_dir is \"/\"", "other than /"]),
    Case("relay-dir-shell", {"openhands_relay_config_dir": "/etc/$(id)"}, ["openhands_relay_config_dir is", "an absolute path"]),
    Case("published-port-newline", {"openhands_published_port": "3000\n"}, ["openhands_published_port is", "a port 1-65535"]),
    Case("relay-port-same-as-app", {"openhands_llm_relay_port": 3000}, ["openhands_llm_relay_port is 3000", "not openhands_published_port"]),
    Case("model-newline", {"openhands_llm_model": "qwen2.5-coder:7b\n"}, ["openhands_llm_model is", "a model tag"]),
    Case("model-with-prefix", {"openhands_llm_model": "openai/qwen2.5-coder:7b"}, ["openhands_llm_model is", "without the openai/ prefix"]),
    Case("base-url-quote", {"openhands_llm_base_url": 'https://llm.example.test/v1"'}, ["openhands_llm_base_url is", "an http(s):// URL"]),
    Case("memory-option", {"openhands_container_memory": "4g --privileged"}, ["openhands_container_memory is", "a size such as 4g"]),
    Case("image-tag-newline", {"openhands_agent_server_image_tag": "1.34.0-python\n"}, ["openhands_agent_server_image_tag is", "a Docker tag"]),
    # Class 5: the ollama role's loopback rule, with its wording.
    Case("host-network-sandboxes", {"openhands_agent_server_use_host_network": True},
         ["openhands_agent_server_use_host_network=True binds", "outside loopback", "openhands_allow_non_loopback: true"]),
    Case("host-network-sandboxes-allowed", {"openhands_agent_server_use_host_network": True, "openhands_allow_non_loopback": True}, None),
    Case("env-plain-proxy", {"openhands_environment": {"HTTPS_PROXY": "http://u:%s@proxy:3128" % PROXY_PASSWORD, "LOG_LEVEL": "info"}}, None),
]


# ------------------------------------------------------------------------------------------------------------- runner
# One ansible-playbook run per role: every case is a host of the inventory (connection local) with the case's variables
# as host vars, so the role's validation runs for all of them in one play. A block records each host's outcome with
# set_fact (no module runs); a last play writes all outcomes to one file.
PLAYBOOK = [
    {"name": "Run the role's validation for every case", "hosts": "all", "gather_facts": False,
     "tasks": [{"name": "Validate", "block": [
         {"name": "Include validate.yml",
          "ansible.builtin.include_role": {"name": "selfhosted.ai_coding.{{ role_under_test }}", "tasks_from": "validate.yml"}},
         {"name": "Record the acceptance", "ansible.builtin.set_fact": {"case_outcome": "accepted"}}],
         "rescue": [{"name": "Record the refusal", "ansible.builtin.set_fact": {
             "case_outcome": "refused", "case_message": "{{ ansible_failed_result.msg | default('(no message)') }}"}}]}]},
    {"name": "Write the outcomes", "hosts": "baseline", "gather_facts": False,
     "tasks": [{"name": "Write them as JSON", "ansible.builtin.copy": {
         "dest": "{{ outcomes_file }}", "mode": "0600",
         "content": "{{ dict(groups['all'] | zip(groups['all'] | map('extract', hostvars) | map(attribute='case_outcome',"
                    " default='not run') | zip(groups['all'] | map('extract', hostvars)"
                    " | map(attribute='case_message', default='')))) | to_json }}"}}]},
]


def run_batch(tmp_dir, role, base, cases):
    """Runs one ansible-playbook for the baseline and every case; returns ({case id: (outcome, message)}, output)."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    hosts = {"baseline": dict(base)}
    hosts.update({c.id: {**base, **c.variables} for c in cases})
    inventory = tmp_dir / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable, "role_under_test": role}}}))
    playbook = tmp_dir / "validate.yml"
    playbook.write_text(json.dumps(PLAYBOOK, indent=1))  # JSON is YAML
    outcomes_file = tmp_dir / "outcomes.json"
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_RETRY_FILES_ENABLED": "0"}
    result = subprocess.run(["ansible-playbook", "-v", "-f", "10", "-i", str(inventory), str(playbook),
                             "-e", "outcomes_file=%s" % outcomes_file],
                            capture_output=True, text=True, env=env, check=False, timeout=600, cwd=ROOT)
    output = result.stdout + result.stderr
    assert outcomes_file.exists(), "the run wrote no outcomes:\n" + output[-4000:]
    raw = json.loads(outcomes_file.read_text())
    return {cid: tuple(value) for cid, value in raw.items()}, output


@pytest.fixture(scope="module")
def ollama_run(tmp_path_factory):
    return run_batch(tmp_path_factory.mktemp("ollama"), "ollama", OLLAMA_BASE, OLLAMA_CASES)


@pytest.fixture(scope="module")
def openhands_run(tmp_path_factory):
    return run_batch(tmp_path_factory.mktemp("openhands"), "openhands", OPENHANDS_BASE, OPENHANDS_CASES)


@pytest.fixture(scope="module")
def proxy_run(tmp_path_factory):
    return run_batch(tmp_path_factory.mktemp("proxy"), "reverse_proxy", PROXY_BASE, PROXY_CASES)


def _check_baseline(run):
    outcomes, output = run
    state, msg = outcomes["baseline"]
    assert state == "accepted", "the valid baseline was %s: %s\n%s" % (state, msg, output[-4000:])


def _leaks(output):
    return [line for line in output.splitlines() if any(secret in line for secret in SECRETS)]


def _check_case(run, case):
    outcomes, output = run
    state, msg = outcomes[case.id]
    if case.secret:
        assert case.secret in json.dumps(case.variables), "case %s does not plant its secret" % case.id
    assert not _leaks(output), "a secret is in the -v output: %s" % _leaks(output)[:3]
    if case.expect is None:
        assert state == "accepted", "valid case %s was %s: %s" % (case.id, state, msg)
        return
    assert state == "refused", "case %s was %s\n%s" % (case.id, state, output[-4000:])
    flat = " ".join(msg.split())
    for text in case.expect:
        assert " ".join(text.split()) in flat, "case %s: %r not in the message %r" % (case.id, text, msg)
    for secret in SECRETS:
        assert secret not in msg, "case %s: a secret is in the message" % case.id


def test_ollama_valid_baseline_passes(ollama_run):
    _check_baseline(ollama_run)


@pytest.mark.parametrize("case", OLLAMA_CASES, ids=[c.id for c in OLLAMA_CASES])
def test_ollama_refuses(ollama_run, case):
    _check_case(ollama_run, case)


def test_reverse_proxy_valid_baseline_passes(proxy_run):
    _check_baseline(proxy_run)


@pytest.mark.parametrize("case", PROXY_CASES, ids=[c.id for c in PROXY_CASES])
def test_reverse_proxy_refuses(proxy_run, case):
    _check_case(proxy_run, case)


def test_openhands_valid_baseline_passes(openhands_run):
    _check_baseline(openhands_run)


@pytest.mark.parametrize("case", OPENHANDS_CASES, ids=[c.id for c in OPENHANDS_CASES])
def test_openhands_refuses(openhands_run, case):
    _check_case(openhands_run, case)


# ------------------------------------------------------------------------------------- the environment file as written
def parse_systemd_env(text):
    """systemd's EnvironmentFile= parser (src/basic/env-file.c, parse_env_file_internal), as a state machine: comments,
    unquoted values (a backslash escapes the next character; backslash-newline continues the line), single and double
    quotes (inside double quotes a backslash escapes " \\ ` $ and newline, and is kept before any other character)."""
    env, key, value, state, i = {}, "", "", "key", 0
    while i < len(text):
        ch = text[i]
        if state == "key":
            if ch == "\n":
                key = ""
            elif ch in "#;" and not key:
                state = "comment"
            elif ch == "=":
                state, value = "pre_value", ""
            elif not (ch.isspace() and not key):
                key += ch
        elif state == "comment":
            if ch == "\n":
                state = "key"
        elif state == "pre_value" and ch.isspace() and ch != "\n":
            pass
        elif state in ("pre_value", "value"):
            if ch == "\n":
                env[key.strip()], key, state = value.rstrip(), "", "key"
            elif ch == "'" and state == "pre_value":
                state = "single"
            elif ch == '"' and state == "pre_value":
                state = "double"
            elif ch == "\\":
                i += 1
                if i < len(text) and text[i] != "\n":
                    value += text[i]
                state = "value"
            else:
                value, state = value + ch, "value"
        elif state == "single":
            if ch == "'":
                state = "pre_value"
            else:
                value += ch
        elif state == "double":
            if ch == '"':
                state = "pre_value"
            elif ch == "\\":
                i += 1
                nxt = text[i] if i < len(text) else ""
                if nxt in '"\\`$':
                    value += nxt
                elif nxt != "\n":
                    value += "\\" + nxt
            else:
                value += ch
        i += 1
    if state != "key" and key:
        env[key.strip()] = value
    return env


def test_ollama_environment_file_keeps_every_value_on_its_own_line(tmp_path):
    """Values that end in a backslash or hold quotes, $ or backticks are read back by systemd's rules exactly as given,
    and cannot join the next line (a trailing backslash would otherwise swallow the role's next setting)."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    tricky = {"A_TRAILING_BACKSLASH": "x\\", "B_QUOTES": 'say "hi" \'there\'', "C_SHELL": "$HOME `id` $(id)",
              "HTTPS_PROXY": "http://u:p%40ss@proxy:3128"}
    dest = tmp_path / "ollama.env"
    playbook = tmp_path / "render.yml"
    playbook.write_text(json.dumps([{
        "name": "Render the environment file", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ollama_environment": tricky, "ollama_origins": ["https://ai.example.test"]},
        "tasks": [
            {"name": "Validate", "ansible.builtin.include_role": {
                "name": "selfhosted.ai_coding.ollama", "tasks_from": "validate.yml", "public": True}},
            {"name": "Render", "ansible.builtin.template": {
                "src": str(ROOT / "roles" / "ollama" / "templates" / "ollama.env.j2"), "dest": str(dest), "mode": "0600"}},
        ]}]))
    result = subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook),
                             "-e", "ansible_python_interpreter=%s" % sys.executable],
                            capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
                            env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    env = parse_systemd_env(dest.read_text())
    for name, value in tricky.items():
        assert env[name] == value, (name, env.get(name), dest.read_text())
    assert env["OLLAMA_HOST"] == "127.0.0.1:11434"
    assert env["OLLAMA_ORIGINS"] == "https://ai.example.test"
    assert env["OLLAMA_CONTEXT_LENGTH"] == "32768"
    assert len(env) == len([line for line in dest.read_text().splitlines() if line and not line.startswith("#")])


def test_ollama_unit_carries_the_air_gap_ip_settings_only_when_set(tmp_path):
    """IPAddressDeny=/IPAddressAllow= appear in the unit exactly as given for an air-gapped host, and not at all by
    default (systemd would otherwise take an empty value as "reset")."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook not on PATH (run through tests/testbed/unit.sh)")
    rendered = {}
    airgapped = {"ollama_systemd_ip_address_deny": ["any"], "ollama_systemd_ip_address_allow": ["localhost"]}
    for case, variables in (("airgapped", airgapped), ("default", {})):
        dest = tmp_path / ("%s.service" % case)
        playbook = tmp_path / ("%s.yml" % case)
        playbook.write_text(json.dumps([{
            "name": "Render the unit", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": variables,
            "tasks": [
                {"name": "Validate", "ansible.builtin.include_role": {
                    "name": "selfhosted.ai_coding.ollama", "tasks_from": "validate.yml", "public": True}},
                {"name": "No GPU", "ansible.builtin.set_fact": {"__ollama_gpu_vendor": "none"}},
                {"name": "Render", "ansible.builtin.template": {
                    "src": str(ROOT / "roles" / "ollama" / "templates" / "ollama.service.j2"), "dest": str(dest),
                    "mode": "0600"}},
            ]}]))
        result = subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook),
                                 "-e", "ansible_python_interpreter=%s" % sys.executable],
                                capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
                                env={**os.environ, "ANSIBLE_NOCOLOR": "1"})
        assert result.returncode == 0, result.stdout + result.stderr
        rendered[case] = [line for line in dest.read_text().splitlines() if line.startswith("IPAddress")]
    assert rendered["airgapped"] == ["IPAddressDeny=any", "IPAddressAllow=localhost"]
    assert rendered["default"] == []
