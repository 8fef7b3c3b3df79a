# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection options every API module of this collection has, whatever the service
(``extends_documentation_fragment: selfhosted.ai_coding.api``, next to the service's own fragment)."""

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  ca_path:
    description:
      - PEM file on the managed host of the CA certificates to verify an C(https://) server with, instead of the
        system's trust store - the way to reach a server whose certificate a private CA signed while keeping
        O(validate_certs=true).
      - An absolute path of a readable file; anything else is refused before any request.
    type: path
"""
