# Property suite for ollama_model: hostile options are refused before any request; valid ones converge in one run.
# SPDX-License-Identifier: GPL-3.0-or-later
"""For each option of ollama_model, generated hostile values - control characters, line breaks, invisible characters,
look-alike letters, traversal, shell syntax, huge and empty values, wrong types (a string where a list belongs, a
boolean for seconds) - must fail the module, in check mode too, with a message that names the option, never names
a Python type and never shows a header value in any form; and no request may reach the Ollama fake, whose installed
models stay as they were. Generated valid options must be accepted, and the module must be idempotent against the
fake: a first run reports a change, a second identical run none (state present, latest and absent; check mode
predicts the change and changes nothing).

The fake is tests/fixtures/canned_http.CannedServer (a real local HTTP server, the canned_server fixture) with routes
that keep a model store, as Ollama's /api/tags, /api/pull and /api/delete do. The module runs in-process through its
main(), with its arguments as a task would pass them (before AnsibleModule converts them).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from ansible.module_utils.testing import patch_module_args

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import model_key
from ansible_collections.selfhosted.ai_coding.plugins.modules import ollama_model
from hostile import (
    CONTROL,
    INVISIBLE,
    bad_url,
    blank_text,
    huge_text,
    hostile_text,
    safe_text,
    str_for_list,
    text_with_control,
    text_with_invisible,
    text_with_lookalike,
    text_with_newline_injection,
    text_with_shell,
    text_with_traversal,
    valid_host,
    valid_port,
    wrong_type_for_int,
    wrong_type_for_str,
)

# What a message must never say: Python's names for types, AnsibleModule's own wording of them.
INTERNAL = ('NoneType', '<class', '_Ansible', 'of type', "'dict'", "'list'", 'Traceback')
# Marks generated header values, so a test can tell that none of them reached the result in any form.
SECRET_MARK = 'Zq7W'
# AnsibleModule refuses a NUL in an option that is logged (not no_log) itself, while logging its arguments to syslog,
# before the module's own checks run: refused, nothing sent, but the message cannot name the option.
SYSLOG_NUL = 'Failed to log to syslog (embedded null character)'


# -- the Ollama fake --------------------------------------------------------------------------------------------------

class OllamaFake(object):
    """Routes on the canned server that keep a model store: pull adds, delete removes, tags lists (as Ollama does)."""

    def __init__(self, server, installed=()):
        self.server = server
        self.installed = {}
        server.reset()
        server.route('GET', '/api/tags', lambda request: server.json({'models': list(self.installed.values())}))
        server.route('POST', '/api/pull', self.pull)
        server.route('DELETE', '/api/delete', self.delete)
        for name in installed:
            self.add(name)

    def add(self, name):
        self.installed[model_key(name)] = {'name': name, 'model': name, 'size': 1000,
                                           'digest': hashlib.sha256(model_key(name).encode()).hexdigest()}

    def pull(self, request):
        self.add(request.json['model'])
        return self.server.ndjson([{'status': 'pulling manifest'}, {'status': 'verifying sha256 digest'}, {'status': 'success'}])

    def delete(self, request):
        if self.installed.pop(model_key(request.json['model']), None) is None:
            return self.server.json({'error': 'model not found'}, status=404)
        return self.server.text('', content_type='application/json')

    def snapshot(self):
        return json.dumps(self.installed, sort_keys=True)


@pytest.fixture(autouse=True)
def plain_http_context(monkeypatch):
    """open_url builds a TLS context for every request, loading the system's CA store (about 0.2 s), even for the
    plain http:// servers used here; a bare context keeps hundreds of generated runs fast and changes nothing else."""
    import ssl

    from ansible.module_utils import urls

    monkeypatch.setattr(urls, 'make_context', lambda *args, **kwargs: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))


@pytest.fixture
def ollama(canned_server):
    """A function making a fresh fake (each generated example starts from its own store)."""
    return lambda installed=(): OllamaFake(canned_server, installed)


def run(args):
    """Run ollama_model's main() with ``args`` as a task would pass them; returns (result, everything it printed)."""
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            ollama_model.main()
    return json.loads(out.getvalue()), out.getvalue()


def assert_refused(fake, args, option, secret=None):
    """``args`` fail in check mode and in a real run, naming ``option``; nothing is sent and nothing changes."""
    before = fake.snapshot()
    for check in (True, False):
        result, printed = run(dict(args, url=args.get('url', fake.server.url), _ansible_check_mode=check))
        assert result.get('failed') is True, result
        msg = result['msg']
        if SYSLOG_NUL not in msg:
            assert option in msg, msg
            assert not any(word in msg for word in INTERNAL), msg
        if secret is not None:
            assert SECRET_MARK not in printed
    assert fake.server.count() == 0
    assert fake.snapshot() == before


# -- strategies -------------------------------------------------------------------------------------------------------

def _part(first, rest, size):
    return st.tuples(st.sampled_from(first), st.text(alphabet=rest, max_size=size)).map(''.join).filter(lambda s: '..' not in s)


_LETTERS = string.ascii_letters + string.digits + '_'
model_part = _part(_LETTERS, _LETTERS + '.-', 20)
namespace_part = _part(_LETTERS, _LETTERS + '-', 20)
registry = st.tuples(valid_host, st.one_of(st.none(), valid_port)).map(lambda t: t[0] if t[1] is None else '%s:%d' % t)


@st.composite
def valid_name(draw):
    """A model name in Ollama's grammar, and the registry it needs allowed (or None for the default one)."""
    form = draw(st.sampled_from(['model', 'namespace', 'host']))
    name = draw(model_part)
    host = None
    if form != 'model':
        name = '%s/%s' % (draw(namespace_part), name)
    if form == 'host':
        host = draw(registry)
        name = '%s/%s' % (host, name)
    if draw(st.booleans()):
        name += ':' + draw(model_part)
    return name, host


# Hostile model names: none of them is a name in the grammar.
hostile_name = st.one_of(hostile_text, text_with_lookalike, text_with_shell, text_with_traversal, huge_text,
                         st.sampled_from(['..', '../x', 'a/../b', 'm:', '/m', 'a/b/c/d', 'm@sha256:' + 'a' * 64,
                                          'https://registry.ollama.ai/library/m', 'evil.example/ns/m', 'm\u200bx']))
state = st.sampled_from(['present', 'absent', 'latest'])


# -- hostile values: refused, no request, nothing changed -------------------------------------------------------------

@given(name=hostile_name, state=state, via_list=st.booleans(), position=st.integers(min_value=0, max_value=2))
@example(name='qwen2.5-coder\n', state='present', via_list=False, position=0)  # a name with a newline: the option is named
@example(name='m\u200bx', state='present', via_list=True, position=1)
def test_hostile_model_names_are_refused(ollama, name, state, via_list, position):
    fake = ollama(['qwen2.5-coder:7b'])
    if via_list:
        names = ['qwen2.5-coder:7b', 'llama3.2:1b'][:position] + [name]
        assert_refused(fake, {'names': names, 'state': state}, 'names[%d]' % position)
    else:
        assert_refused(fake, {'name': name, 'state': state}, 'name')


not_a_string = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=True), st.none(), st.dictionaries(safe_text, safe_text, max_size=2))


@given(value=st.one_of(str_for_list, not_a_string, st.lists(st.one_of(hostile_text, not_a_string), min_size=1, max_size=3)),
       option=st.sampled_from(['names', 'allowed_registries']))
@example(value='registry.ollama.ai,evil.example', option='allowed_registries')  # was split at commas: evil allowed
@example(value='a:1,b:1', option='names')  # was split at commas into two models, both pulled
def test_lists_are_lists_of_clean_strings(ollama, value, option):
    fake = ollama()
    args = {'names': value} if option == 'names' else {'name': 'evil.example/ns/m', 'allowed_registries': value}
    if option == 'names' and isinstance(value, list) and all(isinstance(item, str) for item in value):
        option = 'names['  # each item is a model name: the grammar names the entry
    assert_refused(fake, args, option)


@given(value=st.one_of(st.lists(st.one_of(text_with_control, text_with_invisible, blank_text, huge_text, text_with_shell,
                                          st.sampled_from(['h:0', 'h:65536', 'h:x', 'a..b', 'h/x', '-h']),
                                          ), min_size=1, max_size=3).map(lambda items: ['registry.ollama.ai'] + items)))
@example(value=['registry.ollama.ai', 'evil.example\n'])
def test_registry_entries_are_hosts(ollama, value):
    assert_refused(ollama(), {'name': 'm', 'allowed_registries': value}, 'allowed_registries[')


@given(option=st.sampled_from(['timeout', 'pull_timeout']),
       value=st.one_of(wrong_type_for_int, st.integers(max_value=0), st.integers(min_value=7 * 86400 + 1),
                       st.sampled_from(['', '30s', '1e3', '-5', 'nan', '1.5'])))
@example(option='timeout', value=True)  # was taken as 1 second
@example(option='pull_timeout', value=False)
def test_seconds_are_positive_whole_numbers(ollama, option, value):
    maximum = 86400 if option == 'timeout' else 7 * 86400
    if isinstance(value, int) and not isinstance(value, bool) and 86400 < value <= 7 * 86400:
        value = maximum + 1  # within pull_timeout's bound but above timeout's
    # A float with nothing after the point is a whole number: valid when in range.
    assume(not (isinstance(value, float) and value.is_integer() and 1 <= value <= maximum))
    assert_refused(ollama(), {'name': 'm', option: value}, option)


@given(url=st.one_of(bad_url, text_with_control, blank_text, wrong_type_for_str,
                     st.tuples(valid_host, text_with_newline_injection).map(lambda t: 'http://%s:11434/%s' % t)))
@example(url='http://127.0.0.1:11434\r\nX-Evil: 1')
def test_urls_are_refused(ollama, url):
    assert_refused(ollama(), {'name': 'm', 'url': url}, 'url')


# A tab is allowed in a header value (RFC 9110); every other control or invisible character is not.
secret = st.one_of(
    text_with_newline_injection,
    st.tuples(safe_text, st.sampled_from([c for c in CONTROL + INVISIBLE if c != '\t']), safe_text).map(''.join),
    huge_text.map(lambda s: s + 'x' * 9000),
).map(lambda s: SECRET_MARK + s)


@given(headers=st.one_of(
    st.tuples(st.sampled_from(['Authorization', 'X-Auth-Token', 'Cookie']), secret).map(lambda t: {t[0]: t[1]}),
    st.tuples(st.one_of(text_with_control, st.sampled_from(['A B', 'A:', '', 'A\nB', '\u0430uth'])), st.just(SECRET_MARK + 'v')).map(
        lambda t: {t[0]: t[1]}),
    # Not a mapping. (AnsibleModule masks every no_log value wherever it appears in the output, even one letter: the
    # generated values are long enough not to mask the words of the message.)
    st.one_of(st.booleans(), st.integers(min_value=10 ** 6), st.lists(safe_text.map(lambda s: SECRET_MARK + s), min_size=1, max_size=2),
              str_for_list.map(lambda s: SECRET_MARK + s))))
@example(headers={'Authorization': SECRET_MARK + 'Bearer t\r\nX-Evil: 1'})  # was quoted escaped in the message
def test_headers_are_one_line_and_never_shown(ollama, headers):
    assert_refused(ollama(), {'name': 'm', 'headers': headers}, 'headers', secret=True)


@given(path=st.one_of(safe_text.map(lambda s: '/tmp/' + s), text_with_traversal, st.just('/etc/passwd')))
@example(path='/etc/passwd')
def test_the_internal_progress_file_is_the_action_plugins(ollama, path):
    assert_refused(ollama(), {'name': 'm', '_progress_file': path}, '_progress_file')


# -- valid values: accepted and idempotent --------------------------------------------------------------------------

@given(names=st.lists(valid_name(), min_size=1, max_size=3), single=st.booleans(), state=st.sampled_from(['present', 'latest']),
       timeout=st.integers(min_value=1, max_value=86400), headers=st.dictionaries(
           st.from_regex(r'\AX-[A-Za-z0-9-]{1,12}\Z'),
           st.text(alphabet=string.printable.strip() + ' \t', min_size=6, max_size=40).map(lambda v: 'v-' + v), max_size=2))
@example(names=[('qwen2.5-coder:7b', None)], single=True, state='present', timeout=30, headers={})
def test_valid_models_are_pulled_once_then_left_alone(ollama, names, single, state, timeout, headers):
    fake = ollama()
    hosts = sorted(set(host.upper() if i % 2 else host for i, (unused_name, host) in enumerate(names) if host))
    args = {'state': state, 'timeout': timeout, 'headers': headers, 'allowed_registries': ['registry.ollama.ai'] + hosts}
    if single:
        args['name'] = names[0][0]
        wanted = {model_key(names[0][0])}
    else:
        args['names'] = [name for name, unused_host in names]
        wanted = set(model_key(name) for name, unused_host in names)

    predicted = run(dict(args, url=fake.server.url, _ansible_check_mode=True))[0]
    assert predicted.get('failed') is not True, predicted
    assert predicted['changed'] is True and fake.installed == {}
    assert [r.method for r in fake.server.requests] == ['GET']

    first = run(dict(args, url=fake.server.url))[0]
    assert first.get('failed') is not True, first
    assert first['changed'] is True
    assert set(fake.installed) == wanted
    assert all(m['state'] == 'present' and m['digest'] for m in first['models'])
    after_first = fake.snapshot()

    sent = fake.server.count()
    second = run(dict(args, url=fake.server.url))[0]
    assert second['changed'] is False, second
    assert [m['digest'] for m in second['models']] == [m['digest'] for m in first['models']]
    assert fake.snapshot() == after_first
    if state == 'present':
        assert fake.server.count() - sent == 1  # nothing to do: one GET /api/tags


@given(names=st.lists(valid_name(), min_size=1, max_size=3), others=st.lists(valid_name(), max_size=2))
@example(names=[('registry.lan:5000/team/coder:v3', 'registry.lan:5000'), ('Qwen2.5-Coder:7B', None)], others=[('qwen2.5-coder:7b', None)])
def test_valid_models_are_removed_once_then_left_alone(ollama, names, others):
    keep = [name for name, unused_host in others if model_key(name) not in set(model_key(n) for n, unused_h in names)]
    fake = ollama([name for name, unused_host in names] + keep)
    hosts = sorted(set(host for unused_name, host in names if host))
    args = {'names': [name for name, unused_host in names], 'state': 'absent', 'allowed_registries': ['registry.ollama.ai'] + hosts}
    first = run(dict(args, url=fake.server.url))[0]
    assert first.get('failed') is not True, first
    assert first['changed'] is True
    assert set(fake.installed) == set(model_key(name) for name in keep)
    second = run(dict(args, url=fake.server.url))[0]
    assert second['changed'] is False
    assert set(fake.installed) == set(model_key(name) for name in keep)
