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
      - V(http://) or V(https://), a host, an optional port (1-65535) and path; no spaces or control characters, no
        query or fragment, and no C(user:password@) (refused without quoting it; give the token in O(api_token) or
        O(api_token_file)).
      - Set it once for a play with C(module_defaults) and the C(group/selfhosted.ai_coding.coolify) action group.
    type: str
    default: http://127.0.0.1:8000
  api_token:
    description:
      - Coolify API bearer token (C(Keys & Tokens / API tokens), or the one the P(selfhosted.ai_coding.coolify#role) role
        bootstrapped).
      - One of O(api_token) or O(api_token_file) is required; O(api_token) wins when both are given.
      - One word of visible ASCII characters (at most 1024), nothing around it. A token holding a space, a line break, a
        control, invisible or non-ASCII character is refused before any request, and the message says which character
        and where, never the token (a line break would otherwise end up in the C(Authorization) header).
    type: str
  api_token_file:
    description:
      - Path on the managed host of a file whose first line is the API token, for example the file the
        P(selfhosted.ai_coding.coolify#role) role writes (mode 0600), V(/data/coolify/source/.ai-coding-api-token).
      - The file is UTF-8 text; its first line (without the line ending) is checked as O(api_token) is, and an error
        names the file, never the token. The token read is masked in the module's output like O(api_token).
    type: path
  validate_certs:
    description:
      - Verify the TLS certificate when O(api_url) is V(https://...).
      - V(true), V(false) or one of Ansible's words for them (V(yes), V(no), V(on), V(off), V(1), V(0)...), written
        without surrounding whitespace; anything else is refused.
    type: bool
    default: true
  timeout:
    description:
      - Socket timeout in seconds for each API request (the connect and each read), 1 to 3600.
      - An integer, or a string of digits; a boolean, a fraction or another string (V(1e3), V(1_0)) is refused.
    type: int
    default: 30
"""
