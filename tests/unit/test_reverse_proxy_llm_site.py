# SPDX-License-Identifier: GPL-3.0-or-later
"""The reverse_proxy role's built-in ``llm`` site (the inference gateway's HTTPS endpoint) and the rate class
``gateway``, rendered by the role's own validation and templates.

One ``ansible-playbook`` run: every case is a host of the inventory (connection local, no facts) whose host vars are a
valid baseline plus the case's values. Each host runs the role's ``validate.yml``; an accepted case then renders the
nginx site files, the Caddyfile and Coolify's Traefik file into a directory of its own, from the role's templates, with
the facts the role's tasks would have set. The tests read what was written: no request-rate limit on the llm site but
the connection limit kept, its timeouts, Authorization passed untouched, the admin routes answered 403, every other
site exactly as before, and each bad value refused with a message that names it and the rule.
The live behaviour (streaming through nginx and Caddy, 30 requests a second, TLS) is proven in
molecule/reverse_proxy and molecule/reverse_proxy_caddy.
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

import pytest
from role_case_run import outcomes_play, run_cases

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "reverse_proxy"

# A bcrypt line as the role's htpasswd file holds it (the templates read it back from there).
HTPASSWD = "alice:$2y$05$abcdefghijklmnopqrstuuQ3yWSBWm3lM1f4RfZ2v3k2bWbUe0B1W\n"

BASE = {
    "reverse_proxy_domain": "example.test",
    "reverse_proxy_acme_email": "admin@example.test",
    "reverse_proxy_default_sites": ["openhands", "ollama", "llm"],
    "reverse_proxy_basic_auth_users": [{"name": "alice", "password": "not-a-secret-here"}],
}


class Case:
    """``variables`` laid over BASE; ``expect``: texts the refusal must hold, or None for a case that must pass (and
    is rendered)."""

    def __init__(self, case_id, variables, expect=None):
        self.id = case_id
        self.variables = variables
        self.expect = expect


def extra(**kw):
    out = {"name": "extra", "server_names": ["extra.example.test"], "upstream": "127.0.0.1:8080"}
    out.update(kw)
    return out


CASES = [
    # Valid: the defaults; the older three sites alone (the baseline before the llm site); another gateway-class site.
    Case("without-llm", {"reverse_proxy_default_sites": ["openhands", "ollama"]}),
    Case("timeout-minutes", {"reverse_proxy_llm_read_timeout": "15m", "reverse_proxy_llm_upstream": "http://[::1]:11600"}),
    Case("user-gateway-site", {"reverse_proxy_sites": [extra(rate_class="gateway", streaming=True, read_timeout="90s")]}),
    Case("llm-by-override", {"reverse_proxy_default_sites": ["openhands"], "reverse_proxy_sites": [{"name": "llm"}]}),
    # Refused: values of the new variables and site keys that nginx, Caddy or Traefik would misread or refuse.
    Case("timeout-no-unit", {"reverse_proxy_llm_read_timeout": "600"},
         ["reverse_proxy_llm_read_timeout is \"600\"", "a duration", "600s, 10m or 1h"]),
    Case("timeout-injects-directive", {"reverse_proxy_llm_read_timeout": "600s; autoindex on"},
         ["reverse_proxy_llm_read_timeout is", "a duration"]),
    Case("timeout-newline", {"reverse_proxy_llm_read_timeout": "600s\n"}, ["reverse_proxy_llm_read_timeout is", "a duration"]),
    Case("timeout-milliseconds", {"reverse_proxy_llm_read_timeout": "600ms"}, ["reverse_proxy_llm_read_timeout is", "a duration"]),
    Case("timeout-a-number", {"reverse_proxy_llm_read_timeout": 600}, ["reverse_proxy_llm_read_timeout is 600", "a duration"]),
    Case("upstream-brace", {"reverse_proxy_llm_upstream": "127.0.0.1:11500 {"},
         ["reverse_proxy_llm_upstream is", "host:port or http(s)://host:port"]),
    Case("upstream-port-range", {"reverse_proxy_llm_upstream": "127.0.0.1:0"}, ["reverse_proxy_llm_upstream is", "port 1-65535"]),
    Case("unknown-default-site", {"reverse_proxy_default_sites": ["openhands", "llm2"]},
         ["reverse_proxy_default_sites[1] is \"llm2\"", "openhands, coolify, ollama and llm"]),
    Case("rate-class-unknown", {"reverse_proxy_sites": [extra(rate_class="none")]},
         ["reverse_proxy site extra: rate_class is \"none\"", "api, general or gateway"]),
    Case("site-timeout-bad", {"reverse_proxy_sites": [extra(read_timeout="1 h")]},
         ["reverse_proxy site extra: read_timeout is \"1 h\"", "a duration"]),
    Case("site-timeout-not-string", {"reverse_proxy_sites": [extra(read_timeout=90)]},
         ["reverse_proxy site extra: read_timeout is 90", "a duration"]),
    Case("site-streaming-not-bool", {"reverse_proxy_sites": [extra(streaming="yes")]},
         ["reverse_proxy site extra: streaming is \"yes\"", "true or false"]),
    Case("llm-basic-auth", {"reverse_proxy_sites": [{"name": "llm", "auth": "basic"}]},
         ["reverse_proxy site llm: auth is \"basic\"", "must use none", "Bearer"]),
    # The ollama site's guard holds for the llm site too: pointed at Ollama itself it would publish it without a login.
    Case("llm-at-ollama", {"reverse_proxy_llm_upstream": "localhost:11434"},
         ["reverse_proxy site llm proxies to \"localhost:11434\"", "only through the ollama site"]),
]

# The rendering an accepted case runs (the role's templates, the facts its tasks would have set).
RENDER_TASKS = [
    {"name": "Create the case's directory",
     "ansible.builtin.file": {"path": "{{ __out }}", "state": "directory", "mode": "0700"}},
    {"name": "Render the nginx sites", "ansible.builtin.template": {
        "src": str(ROLE / "templates" / "nginx" / "site.conf.j2"), "dest": "{{ __out }}/site-{{ site.name }}.conf",
        "mode": "0600"},
     "loop": "{{ __reverse_proxy_sites }}", "loop_control": {"loop_var": "site", "label": "{{ site.name }}"}},
    {"name": "Render the nginx proxy snippet", "ansible.builtin.template": {
        "src": str(ROLE / "templates" / "nginx" / "ai-coding-proxy.conf.j2"), "dest": "{{ __out }}/proxy.conf",
        "mode": "0600"}},
    {"name": "Render the Caddyfile", "ansible.builtin.template": {
        "src": str(ROLE / "templates" / "caddy" / "Caddyfile.j2"), "dest": "{{ __out }}/Caddyfile", "mode": "0600"}},
    {"name": "Render the Traefik file", "ansible.builtin.template": {
        "src": str(ROLE / "templates" / "traefik" / "ai-coding.yaml.j2"), "dest": "{{ __out }}/traefik.json",
        "mode": "0600"}},
]

# Validation, then (accepted cases only) the role's templates rendered with the facts its tasks set.
PLAYBOOK = [
    {"name": "Validate and render every case", "hosts": "all", "gather_facts": False,
     "tasks": [{"name": "Validate", "block": [
         {"name": "Include validate.yml", "ansible.builtin.include_role": {
             "name": "selfhosted.ai_coding.reverse_proxy", "tasks_from": "validate.yml", "public": True}},
         {"name": "Record the acceptance", "ansible.builtin.set_fact": {"case_outcome": "accepted"}}],
         "rescue": [{"name": "Record the refusal", "ansible.builtin.set_fact": {
             "case_outcome": "refused", "case_message": "{{ ansible_failed_result.msg | default('(no message)') }}"}}]},
         {"name": "Render", "when": "case_outcome == 'accepted'", "vars": {
             "__reverse_proxy_nginx_version": "1.22.1", "__reverse_proxy_openssl_version": "3.0.17",
             "__reverse_proxy_cert_ready": "{{ dict(__reverse_proxy_site_names | zip([true] * (__reverse_proxy_site_names | length))) }}",
             "__reverse_proxy_caddy_users": {"content": "{{ htpasswd | b64encode }}"},
             "__reverse_proxy_traefik_users": {"content": "{{ htpasswd | b64encode }}"},
             "__out": "{{ out_dir }}/{{ inventory_hostname }}"},
          "block": RENDER_TASKS}]},
    outcomes_play("without-llm"),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Runs the playbook once: ({case id: (outcome, message)}, output directory, ansible output)."""
    tmp = tmp_path_factory.mktemp("llm_site")
    out_dir = tmp / "out"
    out_dir.mkdir()
    inventory = {"all": {
        "hosts": {"baseline": dict(BASE), **{c.id: {**BASE, **c.variables} for c in CASES}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "out_dir": str(out_dir), "htpasswd": HTPASSWD}}}
    outcomes, output = run_cases(tmp, inventory, PLAYBOOK, cwd=ROOT)
    return outcomes, out_dir, output


def _accepted(rendered, case_id):
    outcomes, out_dir, output = rendered
    state, msg = outcomes[case_id]
    assert state == "accepted", "%s was %s: %s\n%s" % (case_id, state, msg, output[-3000:])
    return out_dir / case_id


def _server_443(text):
    """The HTTPS server block of an nginx site file."""
    start = text.index("listen 443")
    return text[start:]


def _locations(text):
    """{location path: body} of the HTTPS server block (bodies hold no nested braces)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"location (?:\^~ )?(\S+) \{\n(.*?)\n    \}", _server_443(text), re.S)}


def _caddy_site(text, name):
    """The block of one site in the Caddyfile, from its comment to the next site's."""
    start = text.index("# Site %s ->" % name)
    end = text.find("\n# Site ", start + 1)
    return text[start:] if end < 0 else text[start:end]


@pytest.mark.parametrize("case", [c for c in CASES if c.expect is not None], ids=lambda c: c.id)
def test_bad_values_are_refused_naming_the_value_and_the_rule(rendered, case):
    outcomes, output = rendered[0], rendered[2]
    state, msg = outcomes[case.id]
    assert state == "refused", "case %s was %s\n%s" % (case.id, state, output[-3000:])
    flat = " ".join(msg.split())
    for text in case.expect:
        assert " ".join(text.split()) in flat, "case %s: %r not in %r" % (case.id, text, msg)


def test_valid_cases_pass(rendered):
    for case in ["baseline"] + [c.id for c in CASES if c.expect is None]:
        _accepted(rendered, case)


def test_nginx_llm_site_has_no_rate_limit_but_keeps_the_connection_limit(rendered):
    site = (_accepted(rendered, "baseline") / "site-llm.conf").read_text()
    https = _server_443(site)
    assert "server_name llm.example.test;" in https
    assert "limit_req" not in site, "the llm site must not limit the request rate (the gateway limits per key)"
    assert re.search(r"^    limit_conn ai_coding_conn 50;$", https, re.M), https
    assert "location /api/ {" not in https, "no api-class location: the gateway's /api/chat is not rate limited either"
    assert "proxy_pass http://127.0.0.1:11500;" in https


def test_nginx_llm_site_streams_with_its_read_timeout_and_passes_authorization(rendered):
    out = _accepted(rendered, "baseline")
    site = (out / "site-llm.conf").read_text()
    snippet = (out / "proxy.conf").read_text()
    main = _locations(site)["/"]
    assert "proxy_read_timeout 600s;" in main and "proxy_send_timeout 600s;" in main, main
    assert "include /etc/nginx/snippets/ai-coding-proxy.conf;" in main
    # The snippet every location includes: HTTP/1.1 to the upstream and answers never buffered; no timeout of its own
    # (nginx refuses a directive given twice in one block).
    assert re.search(r"^proxy_buffering off;$", snippet, re.M)
    assert re.search(r"^proxy_http_version 1\.1;$", snippet, re.M)
    assert "proxy_read_timeout" not in snippet and "proxy_send_timeout" not in snippet
    assert "proxy_request_buffering" not in snippet + site, "request bodies stay buffered (whole body, then the upstream)"
    assert re.search(r"^    gzip off;$", _server_443(site), re.M)
    assert "auth_basic" not in site
    assert "Authorization" not in site, "the bearer key must reach the gateway untouched"
    timeout = (_accepted(rendered, "timeout-minutes") / "site-llm.conf").read_text()
    assert "proxy_read_timeout 15m;" in _locations(timeout)["/"]
    assert "proxy_pass http://[::1]:11600;" in timeout


def test_nginx_llm_site_refuses_the_admin_routes(rendered):
    locations = _locations((_accepted(rendered, "baseline") / "site-llm.conf").read_text())
    for path in ["/api/create", "/api/push", "/api/delete", "/api/copy", "/api/blobs/"]:
        assert locations[path].strip() == "return 403;", (path, locations.get(path))


def test_nginx_other_sites_keep_their_limits_and_timeouts(rendered):
    """The llm site changes nothing else: the same limits and the old 3600s timeouts, now set per location."""
    for case in ["baseline", "without-llm"]:
        out = _accepted(rendered, case)
        openhands = _locations((out / "site-openhands.conf").read_text())
        ollama = _locations((out / "site-ollama.conf").read_text())
        assert "limit_req zone=ai_coding_general burst=20 nodelay;" in openhands["/"]
        assert "limit_req zone=ai_coding_api burst=20 nodelay;" in openhands["/api/"]
        assert "limit_req zone=ai_coding_api burst=20 nodelay;" in ollama["/"]
        assert 'proxy_set_header Authorization "";' in ollama["/"]
        for body in list(openhands.values()) + list(ollama.values()):
            if "proxy_pass" in body:
                assert "proxy_read_timeout 3600s;" in body and "proxy_send_timeout 3600s;" in body, body
        assert "gzip off;" not in (out / "site-openhands.conf").read_text()
    assert not (_accepted(rendered, "without-llm") / "site-llm.conf").exists()
    assert (_accepted(rendered, "without-llm") / "site-openhands.conf").read_text() == \
        (_accepted(rendered, "baseline") / "site-openhands.conf").read_text()


def test_nginx_user_site_of_rate_class_gateway(rendered):
    site = (_accepted(rendered, "user-gateway-site") / "site-extra.conf").read_text()
    assert "limit_req" not in site
    assert "proxy_read_timeout 90s;" in _locations(site)["/"]
    assert "gzip off;" in site


def test_llm_site_by_override_is_the_built_in_one(rendered):
    """A site named llm in reverse_proxy_sites is laid over the built-in one (same as listing it in the defaults)."""
    assert (_accepted(rendered, "llm-by-override") / "site-llm.conf").read_text() == \
        (_accepted(rendered, "baseline") / "site-llm.conf").read_text()


def test_caddy_llm_site_flushes_at_once_with_its_timeouts(rendered):
    caddy = (_accepted(rendered, "baseline") / "Caddyfile").read_text()
    site = _caddy_site(caddy, "llm")
    assert "\nllm.example.test {\n" in site
    assert re.search(r"reverse_proxy 127\.0\.0\.1:11500 \{\n\t+flush_interval -1\n\t+transport http \{\n"
                     r"\t+read_timeout 600s\n\t+write_timeout 600s\n\t+\}\n\t+\}", site), site
    assert "basicauth" not in site and "request_header -Authorization" not in site and "header_up" not in site
    assert "@ai_coding_denied path /api/create* /api/push* /api/delete* /api/copy* /api/blobs/*" in site
    assert "respond @ai_coding_denied 403" in site
    # The other sites render as before: a one-line reverse_proxy for OpenHands, Host rewritten for Ollama, no flush.
    assert "\t\treverse_proxy 127.0.0.1:3000\n" in _caddy_site(caddy, "openhands")
    assert "\t\treverse_proxy 127.0.0.1:11434 {\n\t\t\theader_up Host {upstream_hostport}\n\t\t}\n" in _caddy_site(caddy, "ollama")
    without = (_accepted(rendered, "without-llm") / "Caddyfile").read_text()
    assert "# Site llm" not in without
    assert caddy.replace(site, "").rstrip() == without.rstrip(), "the llm site changes nothing else in the Caddyfile"


def test_traefik_llm_route_has_no_rate_middleware_and_refuses_the_admin_routes(rendered):
    doc = json.loads((_accepted(rendered, "baseline") / "traefik.json").read_text())["http"]
    router = doc["routers"]["ai-coding-llm"]
    assert router["rule"] == "Host(`llm.example.test`)"
    assert router["middlewares"] == ["ai-coding-headers"], "no rate limit, no basic auth on the llm route"
    assert doc["services"]["ai-coding-llm"]["loadBalancer"]["servers"] == [{"url": "http://127.0.0.1:11500"}]
    denied = doc["routers"]["ai-coding-llm-denied"]
    assert "PathPrefix(`/api/create`)" in denied["rule"] and "ai-coding-deny-all" in denied["middlewares"]
    assert doc["routers"]["ai-coding-openhands"]["middlewares"] == ["ai-coding-headers", "ai-coding-rate-general", "ai-coding-auth"]
    assert doc["routers"]["ai-coding-ollama"]["middlewares"] == ["ai-coding-headers", "ai-coding-rate-api", "ai-coding-auth"]
