# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks for values at the collection's boundary, one function per kind of value (private: may change).

Every module, filter and role entry point that takes one of these kinds of value checks it here, so the rule and its
message are the same wherever the value arrives. Each ``check_*`` returns the value (normalised where it says so) or
raises :class:`InvalidValue` whose text names the option, quotes what the user wrote (control characters escaped, long
values cut) and states the rule. Nothing here sends a request or touches a file.

Public interface::

    InvalidValue(Exception)
    type_name(value) -> str                     'string', 'integer', 'boolean', 'list', 'mapping', 'null', ...
    a_type_name(value) -> str                   the same with its article: 'a string', 'an integer', 'null'
    show(value, limit=80) -> str                the value as a user wrote it, quoted, control characters escaped
    bad_chars(text) -> list of str              control, format (zero-width, bidi) and line/paragraph separators
    check_text(value, name, allow_empty=False, max_len=4096) -> str
    check_port(value, name) -> int              1..65535; a boolean is not a port; '80' is accepted as 80
    check_positive_number(value, name, maximum=None) -> float
    check_str_list(value, name, item_check=None) -> list  a string where a list belongs is refused, not split
    check_env_name(key, name) -> str            ^[A-Za-z_][A-Za-z0-9_]*$
    check_env_value(value, name) -> str         no NUL, CR, LF (one line in an environment file)
    check_env_map(mapping, name, reserved=()) -> dict  names and values as above; names in reserved are refused
    check_url(value, name, schemes=('http', 'https')) -> str
    check_abs_path(value, name, shell_safe=False) -> str
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import urlsplit

ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
# Characters a path may hold where a shell reads it (a file a script sources): no expansion, no word splitting.
SHELL_SAFE_PATH_RE = re.compile(r'^[A-Za-z0-9_./@%+=:,-]+\Z')
HOST_RE = re.compile(r'^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)\Z')


class InvalidValue(ValueError):
    """A value broke a rule. ``str()`` is the whole message for the user."""


def type_name(value):
    """What a user calls the type of ``value`` (never an internal class such as _AnsibleTaggedStr)."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, (bytes, bytearray)):
        return 'bytes'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, Mapping):
        return 'mapping'
    if isinstance(value, (list, tuple, set, frozenset)):
        return 'list'
    return 'value of another kind'


def a_type_name(value):
    """:func:`type_name` with its article, for messages: 'a string', 'an integer', 'null'."""
    name = type_name(value)
    if name in ('null', 'bytes'):
        return name
    return ('an %s' if name[0] in 'aeiou' else 'a %s') % name


def bad_chars(text):
    """The characters of ``text`` that have no place in a name, a path, a URL or one line of a file."""
    found = []
    for ch in str(text):
        if unicodedata.category(ch) in ('Cc', 'Cf', 'Zl', 'Zp', 'Cs') and ch not in found:
            found.append(ch)
    return found


def show(value, limit=80):
    """``value`` quoted as a user wrote it, with control characters escaped and long values cut."""
    if isinstance(value, (str, bytes, bytearray)):
        text = value.decode('utf-8', 'backslashreplace') if isinstance(value, (bytes, bytearray)) else str(value)
        out = ''.join(ch if ch not in bad_chars(ch) else ch.encode('unicode_escape').decode('ascii') for ch in text)
        if len(out) > limit:
            out = out[:limit] + '...(%d characters)' % len(text)
        return "'%s'" % out
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'null'
    if isinstance(value, (int, float)):
        if isinstance(value, int) and abs(value) >= 10 ** 60:
            return 'a number of about %d digits' % (int(value.bit_length() * 0.30103) + 1)
        return str(value)
    return a_type_name(value)


def _shown_scalar(value):
    """' (value)' for a scalar, nothing for a list or a mapping (its type says enough)."""
    return '' if isinstance(value, (Mapping, list, tuple, set, frozenset)) else ' (%s)' % show(value)


def _fail(name, value, rule):
    raise InvalidValue('%s is %s: %s' % (name, show(value), rule))


def check_text(value, name, allow_empty=False, max_len=4096):
    if not isinstance(value, str):
        raise InvalidValue('%s must be a string, got %s%s' % (name, a_type_name(value), _shown_scalar(value)))
    if not allow_empty and not value.strip():
        _fail(name, value, 'it must not be empty or blank')
    if len(value) > max_len:
        _fail(name, value, 'it must be at most %d characters' % max_len)
    chars = bad_chars(value)
    if chars:
        _fail(name, value, 'it must not hold control or invisible characters (found %s)'
              % ', '.join(c.encode('unicode_escape').decode('ascii') for c in chars))
    return value


def check_port(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidValue('%s must be a port number 1-65535, got %s (%s)' % (name, a_type_name(value), show(value)))
    if isinstance(value, str):
        if not re.match(r'^[0-9]{1,5}\Z', value):
            _fail(name, value, 'a port is a number 1-65535')
        value = int(value)
    if not 1 <= value <= 65535:
        _fail(name, value, 'a port is a number 1-65535')
    return value


def check_positive_number(value, name, maximum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and math.isnan(value)):
        raise InvalidValue('%s must be a number greater than 0, got %s (%s)' % (name, a_type_name(value), show(value)))
    if value <= 0 or value == float('inf'):
        _fail(name, value, 'it must be a number greater than 0')
    if maximum is not None and value > maximum:
        _fail(name, value, 'it must be at most %s' % maximum)
    return value


def check_str_list(value, name, item_check=None):
    """A list of strings. A string given where a list belongs is refused (it would be split into characters)."""
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, (list, tuple)):
        raise InvalidValue('%s must be a list of strings, got %s (%s); write a one-item list: [%s]'
                           % (name, a_type_name(value), show(value), show(value) if isinstance(value, str) else '...'))
    out = []
    for i, item in enumerate(value):
        label = '%s[%d]' % (name, i)
        item = check_text(item, label)
        if item_check is not None:
            item = item_check(item, label)
        out.append(item)
    return out


def check_env_name(key, name):
    if not isinstance(key, str) or not ENV_NAME_RE.match(key):
        raise InvalidValue('%s has the name %s: an environment variable name must match %s'
                           % (name, show(key), ENV_NAME_RE.pattern))
    return key


def check_env_value(value, name):
    """One line of an environment file. The value is never quoted in a message: it may be a secret (a proxy URL with
    a password, an API key)."""
    if isinstance(value, (Mapping, list, tuple, set)) or value is None:
        raise InvalidValue('%s must be a string, number or boolean, got %s' % (name, a_type_name(value)))
    text = ('true' if value else 'false') if isinstance(value, bool) else str(value)
    found = [c for c in ('\x00', '\r', '\n') if c in text]
    if found:
        raise InvalidValue('%s holds %s: an environment value must be one line (no NUL, CR or LF); the value is not shown, '
                           'it may be a secret' % (name, ', '.join(c.encode('unicode_escape').decode('ascii') for c in found)))
    return text


def check_env_map(mapping, name, reserved=()):
    """Names and values of a free-form environment map; names the role itself sets (``reserved``) are refused."""
    if not isinstance(mapping, Mapping):
        raise InvalidValue('%s must be a mapping of NAME: value, got %s (%s)' % (name, a_type_name(mapping), show(mapping)))
    reserved_upper = {str(r).upper(): r for r in reserved}
    out = {}
    for key, value in mapping.items():
        check_env_name(key, name)
        if key.upper() in reserved_upper:
            raise InvalidValue('%s sets %s, which the role owns through its own variable; set that variable instead'
                               % (name, key))
        out[key] = check_env_value(value, '%s.%s' % (name, key))
    return out


def _mask_userinfo(url):
    """``url`` with any password in its user info replaced, for messages."""
    return re.sub(r'(//[^/@]*?:)[^/@]*@', r'\1********@', url)


def check_url(value, name, schemes=('http', 'https')):
    """An http(s) URL with a host; a password in its user info is never quoted in a message."""
    if isinstance(value, str) and '@' in value and _mask_userinfo(value) != value:
        _check_url(_mask_userinfo(value), name, schemes)
        return value
    return _check_url(value, name, schemes)


def _check_url(value, name, schemes):
    check_text(value, name)
    if any(ch.isspace() for ch in value):
        _fail(name, value, 'a URL must not hold spaces')
    if '\\' in value:
        _fail(name, value, 'a URL must not hold a backslash (readers disagree on where its host ends)')
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        _fail(name, value, 'it is not a valid URL (%s)' % exc)
    if parts.scheme not in schemes:
        _fail(name, value, 'a URL must start with %s' % ' or '.join('%s://' % s for s in schemes))
    host = parts.netloc.rsplit('@', 1)[-1]
    if port is not None or re.search(r':[^\]]*\Z', host):
        host = re.sub(r':[^:\]]*\Z', '', host)
        if port is None:
            _fail(name, value, 'the port must be a number 1-65535')
    if not host or not HOST_RE.match(host):
        _fail(name, value, 'the URL needs a host name or address (letters, digits, dots, dashes, or [IPv6])')
    if port is not None and not 1 <= port <= 65535:
        _fail(name, value, 'the port must be a number 1-65535')
    return value


def check_abs_path(value, name, shell_safe=False):
    check_text(value, name)
    if not value.startswith('/'):
        _fail(name, value, 'it must be an absolute path')
    if '..' in value.split('/'):
        _fail(name, value, 'it must not hold .. components')
    if shell_safe and not SHELL_SAFE_PATH_RE.match(value):
        _fail(name, value, 'a path that a shell reads may hold only letters, digits and _ . / @ % + = : , -')
    return value
