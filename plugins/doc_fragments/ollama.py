# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by the modules that talk to the Ollama API (``extends_documentation_fragment: selfhosted.ai_coding.ollama``)."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Ollama API, V(http://host:port) or V(https://host:port), optionally with a path prefix when a
        reverse proxy serves Ollama under one.
      - Set it once for a play with C(module_defaults) and the C(group/selfhosted.ai_coding.ollama) action group.
    type: str
    default: http://127.0.0.1:11434
  timeout:
    description:
      - Socket timeout in seconds for each API request (the connect and each read).
    type: int
    default: 30
  validate_certs:
    description:
      - Verify the TLS certificate when O(url) is V(https://...).
      - Set to V(false) only for a self-signed certificate on a host you control.
    type: bool
    default: true
  headers:
    description:
      - Extra HTTP headers sent with every request, for an authenticating reverse proxy in front of Ollama
        (Ollama itself has no authentication), for example an C(Authorization) header carrying a bearer token.
      - The values are secrets; they are never logged or shown in messages.
      - A mapping of header names (HTTP tokens) to one-line values; a value holding a line break or another control
        character is refused, without being shown, before any request is sent with it.
    type: dict
"""
