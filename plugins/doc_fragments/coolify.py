# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by the modules that talk to the Coolify API (``extends_documentation_fragment: selfhosted.ai_coding.coolify``)."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the Coolify instance, V(http://host:8000) or V(https://coolify.example.com); C(/api/v1) is added
        when missing.
      - Set it once for a play with C(module_defaults) and the C(group/selfhosted.ai_coding.coolify) action group.
    type: str
    default: http://127.0.0.1:8000
  api_token:
    description:
      - Coolify API bearer token (C(Keys & Tokens / API tokens), or the one the P(selfhosted.ai_coding.coolify#role) role
        bootstrapped).
      - One of O(api_token) or O(api_token_file) is required; O(api_token) wins when both are given.
    type: str
  api_token_file:
    description:
      - Path on the managed host of a file whose first line is the API token, for example the file the
        P(selfhosted.ai_coding.coolify#role) role writes (mode 0600), V(/data/coolify/source/.ai-coding-api-token).
    type: path
  validate_certs:
    description:
      - Verify the TLS certificate when O(api_url) is V(https://...).
    type: bool
    default: true
  timeout:
    description:
      - Socket timeout in seconds for each API request (the connect and each read).
    type: int
    default: 30
"""
