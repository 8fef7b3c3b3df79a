"""Hypothesis strategies for hostile and careless input, shared by the property suite (tests/unit/properties).

Each strategy yields values that a careful attacker or a careless operator could hand to a module option, a filter
or a role variable: control characters, line breaks, traversal, shell syntax, huge and empty values, wrong types and
unicode look-alikes. The property tests assert that each is refused with a message naming the option, with no request
sent and no file changed; the ``valid_*`` strategies yield values that must be accepted.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# At least 100 generated examples per property (the platform's design asks for it); no deadline: CI machines are slow
# and timing never decides a test here. No example database: a clean clone and a developer's checkout run the same.
settings.register_profile('hostile', max_examples=120, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.function_scoped_fixture])
settings.load_profile('hostile')

CONTROL = [chr(c) for c in range(0, 32)] + ['\x7f', '\x85', '\u2028', '\u2029']
INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u202d', '\u2066']
# Look-alikes of ASCII letters (Cyrillic a, e, o; Greek omicron; fullwidth letters) and of / and .
LOOKALIKE = ['\u0430', '\u0435', '\u043e', '\u03bf', '\uff41', '\u2215', '\u2024', '\uff0e', '\u02d0']
SHELL = ['$(id)', '`id`', '${IFS}', ';id', '&&id', '|id', '>x', '<x', '"', "'", '\\', '*', '?', '!', '~', '#']
TRAVERSAL = ['..', '../', '/..', '../../etc/passwd', '/etc/../etc/shadow', './', '//']

safe_text = st.text(alphabet=string.ascii_letters + string.digits + '_-.', min_size=1, max_size=24)
control_char = st.sampled_from(CONTROL)
invisible_char = st.sampled_from(INVISIBLE)
lookalike_char = st.sampled_from(LOOKALIKE)


def _with(inner, chars):
    """``inner`` text with one of ``chars`` inserted at a random place."""
    return st.tuples(inner, st.sampled_from(chars) if isinstance(chars, list) else chars,
                     st.integers(min_value=0, max_value=40)).map(
        lambda t: t[0][:t[2]] + t[1] + t[0][t[2]:])


text_with_control = _with(safe_text, CONTROL)
text_with_invisible = _with(safe_text, INVISIBLE)
text_with_lookalike = _with(safe_text, LOOKALIKE)
text_with_newline_injection = st.tuples(safe_text, st.sampled_from(['\n', '\r\n', '\r']), safe_text).map(
    lambda t: '%s%s%s=%s' % (t[0], t[1], t[2].upper(), t[0]))
text_with_shell = _with(safe_text, SHELL)
text_with_traversal = _with(safe_text, TRAVERSAL)
blank_text = st.sampled_from(['', ' ', '\t', '   ', '\n'])
huge_text = st.integers(min_value=5000, max_value=70000).map(lambda n: 'a' * n)

# Any string no module option should take as a name, host, path or one-line value.
hostile_text = st.one_of(text_with_control, text_with_invisible, text_with_newline_injection, blank_text)

# Values of the wrong type for an option that wants a string.
wrong_type_for_str = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=True), st.none(),
                               st.lists(safe_text, max_size=3), st.dictionaries(safe_text, safe_text, max_size=2))
# Values of the wrong type for an option that wants a port or a count.
wrong_type_for_int = st.one_of(st.booleans(), st.none(), st.floats(allow_nan=True), safe_text.filter(
    lambda s: not s.isdigit()), st.lists(st.integers(), max_size=2))
bad_port = st.one_of(st.booleans(), st.integers(max_value=0), st.integers(min_value=65536),
                     st.sampled_from(['', 'x', '80a', '-1', '65536', ' 80']))
valid_port = st.integers(min_value=1, max_value=65535)

valid_env_name = st.from_regex(r'\A[A-Z_][A-Z0-9_]{0,30}\Z')
bad_env_name = st.one_of(st.from_regex(r'\A[0-9][A-Z0-9_]{0,10}\Z'), text_with_control,
                         st.sampled_from(['', 'A B', 'A=B', 'A-B', 'A.B', '$A', 'A;B']), text_with_lookalike)
valid_env_value = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='\x00\r\n'),
                          max_size=60)

# A string given where a list belongs (it must be refused, never split into characters).
str_for_list = st.text(alphabet=string.ascii_lowercase + '.-', min_size=1, max_size=30)

valid_host = st.from_regex(r'\A[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}\Z')
bad_url = st.one_of(
    st.tuples(valid_host, st.sampled_from([' ', '\r\n', '\t', '\x00'])).map(lambda t: 'http://%s%sx/' % t),
    st.tuples(valid_host, st.one_of(st.integers(min_value=65536, max_value=10 ** 7),
                                    st.sampled_from(['x', '8o', '', '-1']))).map(lambda t: 'http://%s:%s/' % t),
    st.tuples(st.sampled_from(['ftp', 'file', 'gopher', 'javascript', '']), valid_host).map(
        lambda t: '%s://%s/' % t),
    st.sampled_from(['http://', 'http:///x', '//host/', 'host:80', 'http://:80/', 'http://a b/']),
)
valid_url = st.tuples(st.sampled_from(['http', 'https']), valid_host, st.one_of(st.none(), valid_port)).map(
    lambda t: '%s://%s%s/' % (t[0], t[1], '' if t[2] is None else ':%d' % t[2]))
