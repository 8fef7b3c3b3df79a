# SPDX-License-Identifier: GPL-3.0-or-later
"""Test bed only: name resolution for the clients that molecule/inference_gateway/verify.yml runs on the controller.

The scenario's public name (llm.example.test) exists in no DNS. verify.yml puts this directory on PYTHONPATH of the
client processes only (the OpenAI client, aider, benchmarks/gateway.py) with AI_CODING_TESTBED_HOSTS set to
"name=address[,name=address...]"; Python imports this module at start-up, and socket.getaddrinfo then answers those
names with those addresses, like a line in /etc/hosts. Nothing else changes: the clients still connect to
https://llm.example.test, send that name in SNI and Host, and verify the certificate for it against the CA in
SSL_CERT_FILE (Pebble's issuing root); TLS verification is never turned off.

With AI_CODING_TESTBED_HOSTS_ONLY=1 every other name fails to resolve (IP literals and localhost still work), so a
client cannot reach beyond the test bed (aider would fetch model prices from GitHub, litellm its cost map).
"""

from __future__ import annotations

import ipaddress
import os
import socket


def _hosts():
    table = {}
    for item in os.environ.get('AI_CODING_TESTBED_HOSTS', '').split(','):
        name, sep, address = item.strip().partition('=')
        if sep and name and address:
            table[name.strip().lower()] = address.strip()
    return table


_HOSTS = _hosts()
_ONLY = os.environ.get('AI_CODING_TESTBED_HOSTS_ONLY') == '1'
_getaddrinfo = socket.getaddrinfo


def _is_literal_or_local(name):
    try:
        ipaddress.ip_address(name.split('%', 1)[0])
        return True
    except ValueError:
        return name in ('localhost', 'localhost.localdomain') or name.endswith('.localhost')


def _testbed_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, bytes):
        key = host.decode('ascii', 'replace').lower()
    else:
        key = host.lower() if isinstance(host, str) else host
    if key in _HOSTS:
        return _getaddrinfo(_HOSTS[key], *args, **kwargs)
    if _ONLY and isinstance(key, str) and not _is_literal_or_local(key):
        raise socket.gaierror(socket.EAI_NONAME, 'test bed: %s is outside the test bed (sitecustomize.py)' % key)
    return _getaddrinfo(host, *args, **kwargs)


if _HOSTS or _ONLY:
    socket.getaddrinfo = _testbed_getaddrinfo
