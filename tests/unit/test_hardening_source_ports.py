# SPDX-License-Identifier: GPL-3.0-or-later
"""hardening_firewall_source_tcp_ports: TCP ports admitted from some addresses only, as the hardening role checks and
renders them for nftables, ufw and the Oracle Cloud image's iptables.

One ``ansible-playbook`` run: every case is a host of the inventory (connection local, no facts) with the case's
variables. Each host runs the role's ``validate.yml``; an accepted case then renders the nftables ruleset from the
role's template and writes what the ufw and Oracle tasks loop over (the rules ufw must end up with, the (source, port)
pairs, the stale and misplaced rules found in a recorded ``iptables -S INPUT`` and rules.v4). The tests read those
files; nft checks the ruleset where it is installed. The live behaviour (a port answers from the admitted container and
not from another address, with nftables, ufw and the Oracle iptables) is proven in molecule/hardening.
"""
from __future__ import annotations

import base64
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
ROLE = ROOT / "roles" / "hardening"
COMMENT = "selfhosted.ai_coding.hardening"

# An Oracle image's INPUT chain after an earlier run: the role's rules before the REJECT, one source rule that the
# variable no longer lists, and one source rule stranded after the REJECT.
OCI_INPUT = [
    "-P INPUT ACCEPT",
    "-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT",
    "-A INPUT -p tcp -m conntrack --ctstate NEW -m tcp --dport 22 -m comment --comment %s -j ACCEPT" % COMMENT,
    "-A INPUT -s 10.0.0.5/32 -p tcp -m conntrack --ctstate NEW -m tcp --dport 11434 -m comment --comment %s -j ACCEPT" % COMMENT,
    "-A INPUT -s 10.9.9.9/32 -p tcp -m conntrack --ctstate NEW -m tcp --dport 11434 -m comment --comment %s -j ACCEPT" % COMMENT,
    "-A INPUT -j REJECT --reject-with icmp-host-prohibited",
    "-A INPUT -s 10.1.0.0/24 -p tcp -m conntrack --ctstate NEW -m tcp --dport 9100 -m comment --comment %s -j ACCEPT" % COMMENT,
]
OCI_FILE = "\n".join([
    "*filter",
    ":INPUT ACCEPT [0:0]",
    '-A INPUT -s 10.0.0.5/32 -p tcp -m conntrack --ctstate NEW -m tcp --dport 11434 -m comment --comment "%s" -j ACCEPT' % COMMENT,
    '-A INPUT -s 10.9.9.9/32 -p tcp -m conntrack --ctstate NEW -m tcp --dport 11434 -m comment --comment "%s" -j ACCEPT' % COMMENT,
    '-A INPUT -p tcp -m conntrack --ctstate NEW -m tcp --dport 443 -m comment --comment "%s" -j ACCEPT' % COMMENT,
    "-A INPUT -j REJECT --reject-with icmp-host-prohibited",
    "COMMIT", ""])

RULES = [{"sources": ["10.0.0.5", "10.1.0.0/24", "2001:DB8::/32", "192.0.2.7/32", "2001:db8:1::9/128"], "ports": [11434, 9100]},
         {"sources": ["fd00::1"], "ports": [8080]}]


class Case:
    """``variables`` of a host; ``expect``: texts the refusal must hold, or None for a case that must pass (and is
    rendered)."""

    def __init__(self, case_id, variables, expect=None):
        self.id = case_id
        self.variables = variables
        self.expect = expect


def rule(sources=None, ports=None, **extra):
    out = {"sources": ["10.0.0.5"] if sources is None else sources, "ports": [11434] if ports is None else ports}
    out.update(extra)
    return out


def src(*rules):
    return {"hardening_firewall_source_tcp_ports": list(rules)}


CASES = [
    Case("vps-nftables", src(*RULES)),
    Case("vps-none", {}),
    Case("oracle", {"hardening_host_kind": "oracle", **src(rule(["10.0.0.5", "10.1.0.0/24"], [11434, 9100]))}),
    Case("airgapped", {"hardening_host_kind": "airgapped", **src(rule(["10.0.0.5"], [443]))}),
    # Refused: a port open to all as well, every address, a network written with host bits, what is not an address.
    Case("port-also-allowed", src(rule(ports=[11434, 443])),
         ["hardening_firewall_source_tcp_ports[0].ports[1] is 443, which is open to every address",
          "hardening_firewall_allowed_tcp_ports", "not both"]),
    Case("port-is-ssh", src(rule(ports=[22])),
         ["hardening_firewall_source_tcp_ports[0].ports[0] is 22", "the SSH port, hardening_ssh_port"]),
    Case("port-also-allowed-as-string", {"hardening_firewall_allowed_tcp_ports": ["11434"], **src(rule())},
         ["hardening_firewall_source_tcp_ports[0].ports[0] is 11434, which is open to every address"]),
    Case("every-ipv4-address", src(rule(["10.0.0.5", "0.0.0.0/0"])),
         ['hardening_firewall_source_tcp_ports[0].sources[1] is "0.0.0.0/0": that is every address',
          "hardening_firewall_allowed_tcp_ports"]),
    Case("every-ipv6-address", src(rule(["::/0"])), ['sources[0] is "::/0": that is every address']),
    Case("host-bits-set", src(rule(["10.0.0.1/8"])),
         ['hardening_firewall_source_tcp_ports[0].sources[0] is "10.0.0.1/8": host bits are set; write the network, 10.0.0.0/8']),
    Case("not-an-address", src(rule(["10.0.0.300", "gateway.example.test", "10.0.0.0/33", "10", "10.0.0.5\n"])),
         ['sources[0] is "10.0.0.300": it must be an IPv4 or IPv6 address or CIDR',
          'sources[1] is "gateway.example.test": it must be',
          'sources[2] is "10.0.0.0/33": it must be', 'sources[3] is "10": it must be',
          'sources[4] is "10.0.0.5\\n": it must be']),
    Case("sources-a-string", src(rule("10.0.0.5,10.0.0.6")),
         ['hardening_firewall_source_tcp_ports[0].sources is "10.0.0.5,10.0.0.6"', "a string is not split on commas"]),
    Case("sources-empty", src(rule([])), ["hardening_firewall_source_tcp_ports[0].sources is []", "non-empty YAML list"]),
    Case("sources-missing", src({"ports": [11434]}), ["hardening_firewall_source_tcp_ports[0].sources is null"]),
    Case("unknown-key", src(rule(source="10.0.0.6")),
         ['hardening_firewall_source_tcp_ports[0] has the key "source" (rule: only sources and ports)']),
    Case("ports-empty", src(rule(ports=[])), ["hardening_firewall_source_tcp_ports[0].ports is []", "non-empty YAML list"]),
    Case("ports-a-string", src(rule(ports="11434")), ['hardening_firewall_source_tcp_ports[0].ports is "11434"']),
    Case("port-out-of-range", src(rule(ports=[11434, 70000, True])),
         ["ports[1] is 70000: it must be a port number 1-65535", "ports[2] is true: it must be a port number 1-65535"]),
    Case("oracle-ipv6", {"hardening_host_kind": "oracle", **src(rule(["10.0.0.5", "fd00::1"]))},
         ['sources[1] is "fd00::1": the Oracle Cloud image\'s firewall rules are IPv4 only']),
    Case("not-a-list", {"hardening_firewall_source_tcp_ports": "10.0.0.5:11434"},
         ["hardening_firewall_source_tcp_ports must be a list, got a string"]),
    Case("entry-not-a-mapping", {"hardening_firewall_source_tcp_ports": ["10.0.0.5"]},
         ['hardening_firewall_source_tcp_ports[0] is "10.0.0.5": it must be a mapping']),
    Case("second-entry-labelled", src(rule(), rule(["10.0.0.7"], [0])),
         ["hardening_firewall_source_tcp_ports[1].ports[0] is 0: it must be a port number 1-65535"]),
]

# What the Oracle tasks loop over, from a recorded INPUT chain and rules file.
DUMP = ("{{ {'ufw': __hardening_ufw_wanted, 'pairs': __hardening_source_port_pairs, 'rules': __hardening_source_port_rules,"
        " 'misplaced': __hardening_oci_misplaced, 'stale': __hardening_oci_stale_sources,"
        " 'file_stale': __hardening_oci_file_stale_lines, 'tcp_ports': __hardening_firewall_tcp_ports} | to_nice_json }}")

# The rendering an accepted case runs (the role's templates, the facts its tasks would have set).
RENDER_TASKS = [
    {"name": "Create the case's directory",
     "ansible.builtin.file": {"path": "{{ __out }}", "state": "directory", "mode": "0700"}},
    {"name": "Render the nftables ruleset", "ansible.builtin.template": {
        "src": str(ROLE / "templates" / "nftables.conf.j2"), "dest": "{{ __out }}/nftables.conf", "mode": "0600"}},
    {"name": "Write what the ufw and Oracle tasks loop over", "ansible.builtin.copy": {
        "content": DUMP, "dest": "{{ __out }}/derived.json", "mode": "0600"}},
]

PLAYBOOK = [
    {"name": "Validate and render every case", "hosts": "all", "gather_facts": False,
     "tasks": [{"name": "Validate", "block": [
         {"name": "Include validate.yml", "ansible.builtin.include_role": {
             "name": "selfhosted.ai_coding.hardening", "tasks_from": "validate.yml", "public": True}},
         {"name": "Record the acceptance", "ansible.builtin.set_fact": {"case_outcome": "accepted"}}],
         "rescue": [{"name": "Record the refusal", "ansible.builtin.set_fact": {
             "case_outcome": "refused", "case_message": "{{ ansible_failed_result.msg | default('(no message)') }}"}}]},
         {"name": "Render", "when": "case_outcome == 'accepted'", "vars": {
             "__out": "{{ out_dir }}/{{ inventory_hostname }}",
             "__hardening_oci_input": {"stdout_lines": OCI_INPUT},
             "__hardening_oci_file": {"content": base64.b64encode(OCI_FILE.encode()).decode()}},
          "block": RENDER_TASKS}]},
    outcomes_play("vps-none"),
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Runs the playbook once: ({case id: (outcome, message)}, output directory, ansible output)."""
    tmp = tmp_path_factory.mktemp("source_ports")
    out_dir = tmp / "out"
    out_dir.mkdir()
    inventory = {"all": {
        "hosts": {c.id: c.variables for c in CASES},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "out_dir": str(out_dir)}}}
    outcomes, output = run_cases(tmp, inventory, PLAYBOOK, cwd=ROOT)
    return outcomes, out_dir, output


def _accepted(rendered, case_id):
    outcomes, out_dir, output = rendered
    state, msg = outcomes[case_id]
    assert state == "accepted", "%s was %s: %s\n%s" % (case_id, state, msg, output[-3000:])
    return out_dir / case_id


def _derived(rendered, case_id):
    return json.loads((_accepted(rendered, case_id) / "derived.json").read_text())


def _input_rules(ruleset):
    """The rules of the input chain, one per line, without indentation."""
    chain = ruleset[ruleset.index("chain input {"):]
    chain = chain[:chain.index("\n\t}")]
    return [line.strip() for line in chain.splitlines()[2:]]


@pytest.mark.parametrize("case", [c for c in CASES if c.expect is not None], ids=lambda c: c.id)
def test_bad_values_are_refused_naming_the_value_and_the_rule(rendered, case):
    outcomes, output = rendered[0], rendered[2]
    state, msg = outcomes[case.id]
    assert state == "refused", "case %s was %s\n%s" % (case.id, state, output[-3000:])
    flat = " ".join(msg.split())
    for text in case.expect:
        assert " ".join(text.split()) in flat, "case %s: %r not in %r" % (case.id, text, msg)


def test_valid_cases_pass(rendered):
    for case in CASES:
        if case.expect is None:
            _accepted(rendered, case.id)


def test_nftables_admits_each_family_from_its_sources_only(rendered):
    rules = _input_rules((_accepted(rendered, "vps-nftables") / "nftables.conf").read_text())
    assert "ip saddr { 10.0.0.5, 10.1.0.0/24, 192.0.2.7 } tcp dport { 11434, 9100 } accept" in rules, rules
    assert "ip6 saddr { 2001:db8::/32, 2001:db8:1::9 } tcp dport { 11434, 9100 } accept" in rules, rules
    assert "ip6 saddr { fd00::1 } tcp dport { 8080 } accept" in rules, rules
    assert not any(r.startswith("ip saddr") and "8080" in r for r in rules), "no IPv4 rule for an entry without IPv4 sources"
    # The ports open to all stay as they were, without the source-scoped ones.
    assert "tcp dport { 22, 80, 443 } accept" in rules
    assert not [r for r in rules if "dport" in r and "saddr" not in r and "iifname" not in r and r != "tcp dport { 22, 80, 443 } accept"]


def test_nftables_unchanged_without_the_variable(rendered):
    ruleset = (_accepted(rendered, "vps-none") / "nftables.conf").read_text()
    assert "saddr" not in ruleset
    assert " only\n" not in ruleset


def test_nftables_airgapped_admits_the_source_but_opens_only_ssh_to_all(rendered):
    rules = _input_rules((_accepted(rendered, "airgapped") / "nftables.conf").read_text())
    assert "ip saddr { 10.0.0.5 } tcp dport { 443 } accept" in rules
    assert "tcp dport { 22 } accept" in rules


def test_nftables_ruleset_loads(rendered, tmp_path):
    """nft -c parses the ruleset (where nft is installed and may open a netlink socket)."""
    nft = shutil.which("nft") or ("/usr/sbin/nft" if os.path.exists("/usr/sbin/nft") else None)
    if nft is None:
        pytest.skip("nft is not installed here (molecule/hardening loads the ruleset for real)")
    result = subprocess.run([nft, "-c", "-f", str(_accepted(rendered, "vps-nftables") / "nftables.conf")],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0 and "Operation not permitted" in result.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert result.returncode == 0, result.stderr


def test_ufw_wants_one_rule_per_source_and_port_as_ufw_prints_it(rendered):
    """`ufw show added` prints an address without /32 or /128 and IPv6 in lower case: the role's list must match it,
    or every run would delete and add the rule again."""
    derived = _derived(rendered, "vps-nftables")
    source_rules = [line for line in derived["ufw"] if line.startswith("ufw allow from ")]
    want = ["ufw allow from %s to any port %d proto tcp" % (s, p)
            for s in ["10.0.0.5", "10.1.0.0/24", "192.0.2.7", "2001:db8::/32", "2001:db8:1::9"] for p in (11434, 9100)]
    want += ["ufw allow from fd00::1 to any port 8080 proto tcp"]
    assert sorted(source_rules) == sorted(want)
    assert "ufw allow 22/tcp" in derived["ufw"] and "ufw allow 443/tcp" in derived["ufw"]
    assert not [line for line in derived["ufw"] if "11434" in line and "from" not in line]
    assert not [line for line in _derived(rendered, "vps-none")["ufw"] if " from " in line]


def test_oracle_pairs_stale_and_misplaced_rules(rendered):
    derived = _derived(rendered, "oracle")
    pairs = sorted((p["cidr"], p["port"], p["family"]) for p in derived["pairs"])
    assert pairs == sorted([("10.0.0.5/32", 11434, "ipv4"), ("10.0.0.5/32", 9100, "ipv4"),
                            ("10.1.0.0/24", 11434, "ipv4"), ("10.1.0.0/24", 9100, "ipv4")])
    # 10.9.9.9 is no longer listed: removed live and from rules.v4; the rule after the REJECT is removed (then inserted
    # again before it by the next task); the role's rules open to all are never "stale".
    assert {"source": "10.9.9.9/32", "port": "11434"} in derived["stale"]
    assert len(derived["stale"]) == 1, derived["stale"]
    assert derived["misplaced"] == [{"source": "10.1.0.0/24", "port": "9100"}]
    assert derived["file_stale"] == [line for line in OCI_FILE.splitlines() if "10.9.9.9" in line]


def test_oracle_rules_file_line_matches_what_the_stale_check_reads(rendered):
    """The line the role persists for a pair is found again by the stale check when the pair is dropped (same spelling
    as iptables-save: the source always with its prefix)."""
    task = (ROLE / "tasks" / "firewall_oracle.yml").read_text()
    found = re.search(r"line: >-\n\s+(-A INPUT -s \{\{ item.cidr \}\}.*)\n\s+(.*)\n", task)
    line = found.group(1) + " " + found.group(2)  # a folded scalar: the line break is a space
    written = line.replace("{{ item.cidr }}", "10.0.0.5/32").replace("{{ item.port }}", "11434") \
        .replace("{{ __hardening_rule_comment }}", COMMENT)
    assert written == OCI_FILE.splitlines()[2]
