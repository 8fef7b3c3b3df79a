# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The base the REST clients and API modules of this collection share (private: the API may change between releases).

One place for what the Ollama, Coolify and OpenHands families have in common above :mod:`._http`:

    ApiError(msg, status=None, url=None)       OllamaError, CoolifyError and OpenHandsError are its subclasses
    check_base_url(url, service, error=ApiError, quote=...) -> str    the base URL stripped; one rule for every client
    check_timeout(value, name, maximum) -> number                     raises InvalidValue: more than 0, at most maximum
    check_ca_path(value, name='ca_path') -> str | None                raises InvalidValue: a readable file, or None
    connection_spec(url_option, url_default) -> dict                  url, validate_certs, ca_path and timeout options,
                                                                      built on ansible.module_utils.urls.url_argument_spec()
    ApiClient(root, timeout, validate_certs, ca_path, headers)        ._kwargs(timeout) and ._url(path) for a client
    Resource(module, client)                                          read -> compare -> create/update/delete, with check
                                                                      mode and diff (community.general's _consul.py shape)
"""

from __future__ import annotations

import os
import re

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import url_argument_spec

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._http import DEFAULT_TIMEOUT, join_url
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import (
    InvalidValue,
    check_abs_path,
    check_positive_number,
    show,
)

# The one rule a client applies to its base URL: a scheme and a host (the modules check the whole URL before that).
BASE_URL_RE = re.compile(r'^https?://[^/\s?#]+')


class ApiError(Exception):
    """A call to a service's API failed, or its answer was not understood.

    :ivar msg: the whole message for the user.
    :ivar status: the HTTP status when the service answered (200 for an error reported inside a stream), else ``None``.
    :ivar url: the URL asked, when there was one.
    """

    def __init__(self, msg, status=None, url=None):
        super(ApiError, self).__init__(msg)
        self.msg = msg
        self.status = status
        self.url = url


def _single_quoted(value):
    return "'%s'" % value


def check_base_url(url, service, error=ApiError, quote=_single_quoted):
    """``url`` without surrounding whitespace, or ``error`` naming ``service`` when it has no http(s) scheme and host."""
    url = to_text(url or '').strip()
    if not BASE_URL_RE.match(url):
        raise error('The %s URL %s must start with http:// or https:// and name a host' % (service, quote(url)), url=url)
    return url


def check_timeout(value, name, maximum):
    """A number of seconds: more than 0 and at most ``maximum``; a boolean is not a number."""
    return check_positive_number(value, name, maximum=maximum)


def check_ca_path(value, name='ca_path'):
    """The CA bundle to verify TLS with: an absolute path of a readable file; ``None`` (the system's CAs) passes."""
    if value is None:
        return None
    check_abs_path(value, name)
    if not os.path.isfile(value) or not os.access(value, os.R_OK):
        raise InvalidValue('%s is %s: it must be a readable file of PEM CA certificates on the managed host' % (name, show(value)))
    return value


def connection_spec(url_option, url_default, timeout_default=DEFAULT_TIMEOUT):
    """The connection options of an API module, taken from ansible-core's ``url_argument_spec()`` where it has them
    (the URL's type, ``validate_certs``) and completed with ``ca_path`` and ``timeout`` (which it leaves to each module).
    """
    base = url_argument_spec()
    return {
        url_option: dict(base['url'], default=url_default),
        'timeout': dict(type='int', default=timeout_default),
        'validate_certs': dict(base['validate_certs']),
        'ca_path': dict(type='path'),
    }


class ApiClient(object):
    """What every client of this collection holds: the root its paths join to, the socket timeout, TLS settings and
    the headers sent with every request."""

    def __init__(self, root, timeout=DEFAULT_TIMEOUT, validate_certs=True, ca_path=None, headers=None):
        self.root = root
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.headers = headers or {}

    def _url(self, path):
        return join_url(self.root, path)

    def _kwargs(self, timeout=None, headers=None):
        return {'headers': self.headers if headers is None else headers, 'timeout': timeout or self.timeout,
                'validate_certs': self.validate_certs, 'ca_path': self.ca_path}


class Resource(object):
    """One object of a service, made to match the task: read -> compare -> create / update / delete.

    ``run()`` reads the object, compares it with what the task wants and changes only what differs; in check mode it
    changes nothing and predicts the result; with ``--diff`` it returns ``diff={'before', 'after'}``. The result holds
    the object's view after the run under :attr:`result_key`. A subclass supplies:

    - ``read()``: the current object, or ``None`` when it does not exist;
    - ``view(current)``: what the result and the diff show of it (``{}`` for ``None``);
    - ``planned()``: the view of the object that ``create()`` would make;
    - ``create(planned)``: make it; returns the view after (``planned`` with what the service assigned, the UUID);
    - ``changes(current)``: what differs, a mapping (empty: nothing to do);
    - ``update(current, changes)``: apply them; ``updated(before, changes)``: the view after them;
    - ``delete(current)``: remove it.
    """

    result_key = 'resource'

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.check = module.check_mode

    def run(self):
        current = self.read()
        before = self.view(current)
        if self.params['state'] == 'absent':
            if current is None:
                return self.result(False, before, {})
            if not self.check:
                self.delete(current)
            return self.result(True, before, {})
        if current is None:
            after = self.planned()
            if not self.check:
                after = self.create(after)
            return self.result(True, before, after)
        changes = self.changes(current)
        if changes and not self.check:
            self.update(current, changes)
        return self.result(bool(changes), before, self.updated(before, changes))

    def result(self, changed, before, after):
        result = {'changed': changed, self.result_key: after}
        if self.module._diff:
            result['diff'] = {'before': before, 'after': after}
        return result

    def updated(self, before, changes):
        after = dict(before)
        after.update(changes)
        return after
