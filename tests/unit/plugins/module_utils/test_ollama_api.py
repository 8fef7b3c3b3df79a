# Unit tests for plugins/module_utils/_ollama_api.py: the name grammar, and the client against a real local HTTP server.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import threading

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    QUOTE_LIMIT,
    InvalidValue,
    ModelName,
    ModelNameError,
    OllamaClient,
    OllamaError,
    PullProgress,
    check_arg_types,
    check_headers,
    check_registry_host,
    index_models,
    relaxed_spec,
    validate_model_name,
)
from ollama_model_names import BAD_NAMES, GOOD_NAMES


@pytest.mark.parametrize('name, rule', BAD_NAMES, ids=[repr(n[0])[:40] for n in BAD_NAMES])
def test_bad_names_are_refused_naming_value_and_rule(name, rule):
    with pytest.raises(ModelNameError) as caught:
        validate_model_name(name)
    message = str(caught.value)
    shown = repr(name) if len(name) <= QUOTE_LIMIT else repr(name[:60] + '...')
    assert message.startswith('Invalid model name %s: ' % shown)
    assert rule in message


def test_there_are_enough_bad_names():
    assert len(set(name for name, _rule in BAD_NAMES)) >= 25


@pytest.mark.parametrize('value', [None, 5, ['m'], b'm'])
def test_non_strings_are_refused(value):
    with pytest.raises(ModelNameError, match='must be a string'):
        validate_model_name(value)


@pytest.mark.parametrize('name, allowed, full, short', GOOD_NAMES, ids=[g[0][:40] for g in GOOD_NAMES])
def test_good_names_are_normalised(name, allowed, full, short):
    kwargs = {} if allowed is None else {'allowed_registries': allowed}
    model = validate_model_name(name, **kwargs)
    assert isinstance(model, ModelName)
    assert model.full == full
    assert model.short == short
    assert str(model) == short
    assert '/'.join(model[:3]) + ':' + model.tag == full


@pytest.mark.parametrize('name, words', [
    ('m\u200bx', "'\\u200b' (U+200B ZERO WIDTH SPACE) at position 1"),
    ('m\u202ex', "'\\u202e' (U+202E RIGHT-TO-LEFT OVERRIDE) at position 1"),
    ('q\u0430en', "'\u0430' (U+0430 CYRILLIC SMALL LETTER A) at position 1, a non-ASCII character that may pass for an ASCII one"),
    ('qwen\uff1a7b', 'U+FF1A FULLWIDTH COLON'),
    ('m\u2024x', 'U+2024 ONE DOT LEADER'),
    ('m\x85', 'whitespace, a control character or an invisible character'),
])
def test_invisible_characters_and_look_alikes_are_named(name, words):
    with pytest.raises(ModelNameError) as caught:
        validate_model_name(name)
    assert words in str(caught.value)


def test_the_option_prefixes_the_message():
    with pytest.raises(ModelNameError, match=r"^names\[2\]: Invalid model name 'm\\nx': "):
        validate_model_name('m\nx', option='names[2]')
    with pytest.raises(ModelNameError, match=r"^name: Invalid model name 'e/ns/m': the registry host 'e' is not in allowed_registries"):
        validate_model_name('e/ns/m', option='name')


def test_a_huge_name_is_cut_in_the_message():
    with pytest.raises(ModelNameError) as caught:
        validate_model_name('a' * 70000)
    assert len(str(caught.value)) < 300 and 'the name is 70000 characters long' in str(caught.value)


@pytest.mark.parametrize('registries, words', [
    ('registry.ollama.ai', "allowed_registries must be a list of strings, got a string ('registry.ollama.ai')"),
    (['registry.ollama.ai', 5], 'allowed_registries[1] must be a string'),
    ([' hf.co'], "allowed_registries[0] is ' hf.co': a registry is host or host:port"),
    (['h:0'], "allowed_registries[0] is 'h:0'"),
    (['a..b'], "allowed_registries[0] is 'a..b'"),
    (['hf.co\n'], "allowed_registries[0] is 'hf.co\\n': it must not hold control or invisible characters"),
])
def test_allowed_registries_must_be_a_list_of_hosts(registries, words):
    """Before: a string was split into one-letter hosts by callers that did list(value)."""
    with pytest.raises(InvalidValue) as caught:
        validate_model_name('r/ns/m', allowed_registries=registries)
    assert str(caught.value).startswith(words)


@pytest.mark.parametrize('value', ['registry.ollama.ai', 'REGISTRY.LAN:5000', '_h', '10.0.0.1:5000'])
def test_registry_hosts(value):
    assert check_registry_host(value, 'x') == value


def test_check_headers():
    assert check_headers({'Authorization': 'Bearer t', 'X-N': 5}) == {'Authorization': 'Bearer t', 'X-N': '5'}
    assert check_headers(None) == {}
    for headers, words in [({'A': 'x\r\nB: y'}, 'headers.A holds a line break'), ({'A:': 'x'}, "headers has the header name 'A:'"),
                           ({'A': None}, 'headers.A must be a string, got null'), ('A=b', 'headers must be a mapping'),
                           ({'A': 'x' * 9000}, 'headers.A is 9000 characters long')]:
        with pytest.raises(InvalidValue) as caught:
            check_headers(headers)
        assert str(caught.value).startswith(words) and 'x\r\n' not in str(caught.value)


def test_the_client_refuses_a_header_with_a_line_break_before_any_request(canned_server):
    """Before: http.client refused it while sending, and the message quoted the value escaped (past no_log masking)."""
    with pytest.raises(OllamaError) as caught:
        OllamaClient(canned_server.url, headers={'Authorization': 'Bearer sekrit\r\nX: y'}).tags()
    assert 'sekrit' not in str(caught.value) and 'headers.Authorization holds a line break' in str(caught.value)
    assert canned_server.count() == 0


SPEC = {'s': {'type': 'str'}, 'l': {'type': 'list', 'elements': 'str'}, 'd': {'type': 'dict', 'no_log': True},
        'i': {'type': 'int', 'default': 3}, 'f': {'type': 'float'}, 'b': {'type': 'bool', 'default': False}, 'p': {'type': 'path'}}


@pytest.mark.parametrize('raw, words', [
    ({'s': ['x']}, 's must be a string, got a list'),
    ({'l': 'a,b'}, "l must be a list, got a string ('a,b')"),
    ({'l': ['a', None]}, 'l[1] must be a string, got null'),
    ({'d': 'k=v'}, 'd must be a mapping, got a string'),
    ({'d': 12345678}, 'd must be a mapping, got an integer'),
    ({'i': True}, 'i must be a whole number, got a boolean (true)'),
    ({'i': 1.5}, 'i must be a whole number, got a number (1.5)'),
    ({'i': None}, 'i must be a whole number, got null'),
    ({'i': '1e3'}, "i must be a whole number, got a string ('1e3')"),
    ({'f': False}, 'f must be a number, got a boolean (false)'),
    ({'f': 'nan'}, "f must be a number, got a string ('nan')"),
    ({'b': 'maybe'}, "b must be true or false, got a string ('maybe')"),
    ({'b': 2}, 'b must be true or false, got an integer (2)'),
    ({'p': {'a': 1}}, 'p must be a path (a string), got a mapping'),
])
def test_check_arg_types_refuses_what_ansiblemodule_would_convert_or_word_as_python(raw, words):
    assert check_arg_types(raw, SPEC) == words


def test_check_arg_types_accepts_what_converts_faithfully():
    assert check_arg_types({'s': 'x', 'l': ['a'], 'd': {'k': 'v'}, 'i': '30', 'f': '0.5', 'b': 'yes', 'p': '/x', 'other': 1}, SPEC) is None
    assert check_arg_types({'i': 30.0, 'f': 2, 'b': 0, 's': None, 'l': None}, SPEC) is None
    assert check_arg_types({}, SPEC) is None


def test_relaxed_spec_keeps_no_log_and_defaults():
    relaxed = relaxed_spec(SPEC)
    assert all(spec['type'] == 'raw' and 'elements' not in spec for spec in relaxed.values())
    assert relaxed['d']['no_log'] is True and relaxed['i']['default'] == 3
    assert SPEC['l']['type'] == 'list'


def test_parts_and_defaults():
    assert validate_model_name('m') == ModelName('registry.ollama.ai', 'library', 'm', 'latest')


def test_allowed_registries_none_accepts_any_host_and_default_is_strict():
    assert validate_model_name('evil.example/ns/m', allowed_registries=None).host == 'evil.example'
    with pytest.raises(ModelNameError, match='not in allowed_registries'):
        validate_model_name('evil.example/ns/m')
    with pytest.raises(ModelNameError, match=r'not in allowed_registries \(empty\)'):
        validate_model_name('m', allowed_registries=[])


def test_port_must_be_listed_with_the_port():
    with pytest.raises(ModelNameError, match="'registry.lan:5000' is not in allowed_registries"):
        validate_model_name('registry.lan:5000/team/m', allowed_registries=['registry.lan'])


def test_key_ignores_case():
    assert validate_model_name('Qwen2.5-Coder:7B').key == validate_model_name('qwen2.5-coder:7b').key
    assert validate_model_name('Qwen2.5-Coder:7B').short == 'Qwen2.5-Coder:7B'  # case kept for display


def test_index_models_matches_every_spelling():
    index = index_models([{'name': 'qwen2.5-coder:7b', 'digest': 'a'}, {'model': 'bench/m01:latest', 'digest': 'b'},
                          {'name': 'not a valid name!', 'digest': 'c'}, 'junk'])
    assert index[validate_model_name('registry.ollama.ai/library/qwen2.5-coder:7b').key]['digest'] == 'a'
    assert index[validate_model_name('bench/m01').key]['digest'] == 'b'
    assert index['not a valid name!']['digest'] == 'c'


def test_pull_progress_handles_missing_completed_and_layers():
    tally = PullProgress()
    assert tally.percent is None
    tally.update({'status': 'pulling manifest'})
    tally.update({'status': 'pulling aaa', 'digest': 'sha256:aaa', 'total': 1000})  # no "completed" yet
    assert (tally.completed, tally.total, tally.percent) == (0, 1000, 0)
    tally.update({'status': 'pulling aaa', 'digest': 'sha256:aaa', 'total': 1000, 'completed': 500})
    tally.update({'status': 'pulling bbb', 'digest': 'sha256:bbb', 'total': 1000})
    assert tally.percent == 25
    tally.update({'status': 'pulling aaa', 'digest': 'sha256:aaa', 'completed': 1000})  # total omitted: kept
    tally.update({'status': 'pulling bbb', 'digest': 'sha256:bbb', 'total': 1000, 'completed': 5000})  # clamped
    assert tally.as_dict() == {'status': 'pulling bbb', 'completed': 2000, 'total': 2000, 'percent': 100}
    tally.update({'status': 'pulling bbb', 'digest': 'sha256:bbb', 'total': 1000})  # "completed" dropped again: kept
    assert tally.completed == 2000
    tally.update({'status': 'verifying sha256 digest', 'completed': 'x'})
    assert tally.status == 'verifying sha256 digest' and tally.percent == 100


# -- the client, against tests/fixtures/canned_http.CannedServer ---------------------------------------------------------

TAGS = {'models': [
    {'name': 'qwen2.5-coder:7b', 'model': 'qwen2.5-coder:7b', 'digest': 'd7b', 'size': 4683087332},
    {'name': 'bench/m01:latest', 'model': 'bench/m01:latest', 'digest': 'd01', 'size': 100},
]}


def pull_stream(*extra_before_success, success=True):
    records = [{'status': 'pulling manifest'},
               {'status': 'pulling 6a0746a1ec1a', 'digest': 'sha256:6a07', 'total': 1000},
               {'status': 'pulling 6a0746a1ec1a', 'digest': 'sha256:6a07', 'total': 1000, 'completed': 400},
               {'status': 'pulling 6a0746a1ec1a', 'digest': 'sha256:6a07', 'total': 1000, 'completed': 1000}]
    records.extend(extra_before_success)
    records += [{'status': 'verifying sha256 digest'}, {'status': 'writing manifest'}, {'status': 'removing any unused layers'}]
    if success:
        records.append({'status': 'success'})
    return records


@pytest.fixture
def ollama(canned_server):
    canned_server.route('GET', '/api/tags', canned_server.json(TAGS))
    return canned_server


def test_client_refuses_a_url_without_scheme():
    with pytest.raises(OllamaError, match="The Ollama URL '127.0.0.1:11434' must start with http:// or https://"):
        OllamaClient('127.0.0.1:11434')


def test_version(ollama):
    ollama.route('GET', '/api/version', ollama.json({'version': '0.33.1'}))
    assert OllamaClient(ollama.url + '/').version() == '0.33.1'


def test_version_without_version_field(ollama):
    ollama.route('GET', '/api/version', ollama.json({'hello': 1}))
    with pytest.raises(OllamaError, match='without a version'):
        OllamaClient(ollama.url).version()


def test_tags_and_null_models(ollama):
    client = OllamaClient(ollama.url)
    assert [m['name'] for m in client.tags()] == ['qwen2.5-coder:7b', 'bench/m01:latest']
    ollama.route('GET', '/api/tags', ollama.json({'models': None}))
    assert client.tags() == []


def test_tags_that_are_not_a_list(ollama):
    ollama.route('GET', '/api/tags', ollama.json({'error_page': True}))
    with pytest.raises(OllamaError, match='answered /api/tags with something that is not a model list'):
        OllamaClient(ollama.url).tags()


@pytest.mark.parametrize('name, digest', [
    ('qwen2.5-coder:7b', 'd7b'),
    ('registry.ollama.ai/library/qwen2.5-coder:7b', 'd7b'),
    ('library/Qwen2.5-Coder:7B', 'd7b'),
    ('bench/m01', 'd01'),
    ('bench/m01:latest', 'd01'),
    (ModelName('registry.ollama.ai', 'bench', 'm01', 'latest'), 'd01'),
    ('qwen2.5-coder', None),  # :latest is not :7b
    ('m01', None),  # library/m01 is not bench/m01
])
def test_find_matches_normalised_names_with_one_request(ollama, name, digest):
    found = OllamaClient(ollama.url).find(name)
    assert (found or {}).get('digest') == digest
    assert ollama.count() == 1


def test_headers_reach_the_server(ollama):
    OllamaClient(ollama.url, headers={'Authorization': 'Bearer tok'}).tags()
    assert ollama.requests[0].headers['Authorization'] == 'Bearer tok'


def test_server_error_names_url_and_path(ollama):
    # (was on /api/show; the client's show() had no caller but this test and is gone: same message, another endpoint)
    ollama.route('GET', '/api/tags', ollama.json({'error': 'boom'}, status=500))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).tags()
    assert str(caught.value) == 'Ollama at %s answered 500 for /api/tags: boom' % ollama.url
    assert caught.value.status == 500
    assert caught.value.url == ollama.url + '/api/tags'


def test_404_message_names_url_path_and_server_text(ollama):
    ollama.route('POST', '/api/generate', ollama.json({'error': "model 'x' not found"}, status=404))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).generate('x', 'hi')
    assert str(caught.value) == "Ollama at %s answered 404 for /api/generate: model 'x' not found" % ollama.url


def test_error_without_body_uses_status_text(ollama):
    ollama.route('GET', '/api/tags', ollama.text('', status=502))
    with pytest.raises(OllamaError, match='answered 502 for /api/tags: Bad Gateway'):
        OllamaClient(ollama.url).tags()


def test_auth_proxy_refusal_hints_at_headers(ollama):
    ollama.route('GET', '/api/tags', ollama.text('<html><body>Login required</body></html>', status=401))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url, headers={'Authorization': 'Bearer wrong-secret'}).tags()
    assert 'answered 401 for /api/tags: <html><body>Login required</body></html> (check the headers option' in str(caught.value)
    assert 'wrong-secret' not in str(caught.value)


def test_unreachable_server_names_the_url(closed_url):
    with pytest.raises(OllamaError) as caught:
        OllamaClient(closed_url).tags()
    message = str(caught.value)
    assert message.startswith('Could not connect to Ollama at %s: ' % closed_url)
    assert 'refused' in message.lower() and message.endswith('(GET /api/tags)')
    assert caught.value.status is None


def test_timeout_names_the_url(ollama):
    ollama.route('GET', '/api/version', ollama.json({'version': '1'}, delay=2))
    with pytest.raises(OllamaError, match=r'Could not connect to Ollama at http://127\.0\.0\.1:\d+: timed out: no answer within 0\.3 seconds'):
        OllamaClient(ollama.url, timeout=0.3).version()


def test_delete(ollama):
    ollama.route('DELETE', '/api/delete', ollama.text('', content_type='application/json'), ollama.json({'error': 'not found'}, status=404),
                 ollama.json({'error': 'disk on fire'}, status=500))
    client = OllamaClient(ollama.url)
    assert client.delete('m') is True
    assert client.delete(validate_model_name('bench/m01')) is False
    with pytest.raises(OllamaError, match='answered 500 for /api/delete: disk on fire'):
        client.delete('m')
    assert [r.json for r in ollama.matching('DELETE')] == [{'model': 'm'}, {'model': 'bench/m01:latest'}, {'model': 'm'}]


def test_generate_plain_and_streamed(ollama):
    ollama.route('POST', '/api/generate',
                 ollama.json({'response': 'def f(): pass', 'done': True}),
                 ollama.ndjson([{'response': 'def ', 'done': False}, '', {'response': 'f()', 'done': False}, {'response': '', 'done': True}]))
    client = OllamaClient(ollama.url)
    assert client.generate('m', 'write f', options={'num_ctx': 4096}, keep_alive=0) == 'def f(): pass'
    assert client.generate('m', 'write f', stream=True) == 'def f()'
    first, second = ollama.matching('POST', '/api/generate')
    assert first.json == {'model': 'm', 'prompt': 'write f', 'stream': False, 'options': {'num_ctx': 4096}, 'keep_alive': 0}
    assert second.json['stream'] is True


def test_generate_stream_error_and_truncation(ollama):
    ollama.route('POST', '/api/generate', ollama.ndjson([{'response': 'a', 'done': False}, {'error': 'out of memory'}]),
                 ollama.ndjson([{'response': 'a', 'done': False}]))
    client = OllamaClient(ollama.url)
    with pytest.raises(OllamaError, match='reported an error during POST /api/generate: out of memory'):
        client.generate('m', 'x', stream=True)
    with pytest.raises(OllamaError, match='ended before "done"'):
        client.generate('m', 'x', stream=True)


def test_generate_without_response(ollama):
    ollama.route('POST', '/api/generate', ollama.json({'done': True}))
    with pytest.raises(OllamaError, match='without a response'):
        OllamaClient(ollama.url).generate('m', 'x')


# -- pull ---------------------------------------------------------------------------------------------------------------

def test_pull_reports_every_line_and_resolves_digest(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson(pull_stream()))
    seen = []
    result = OllamaClient(ollama.url).pull(validate_model_name('qwen2.5-coder:7b'), on_progress=seen.append)
    assert [r['status'] for r in seen] == [r['status'] for r in pull_stream()]
    assert 'completed' not in seen[1]
    assert result['digest'] == 'd7b' and result['size'] == 4683087332 and result['name'] == 'qwen2.5-coder:7b'
    assert result['duration'] >= 0
    assert ollama.matching('POST', '/api/pull')[0].json == {'model': 'qwen2.5-coder:7b', 'stream': True}
    assert [(r.method, r.path) for r in ollama.requests] == [('POST', '/api/pull'), ('GET', '/api/tags')]


def test_pull_progress_arrives_while_the_stream_is_open(ollama):
    gate = threading.Event()
    answer = ollama.ndjson([{'status': 'pulling manifest'}, gate, {'status': 'success'}])
    ollama.route('POST', '/api/pull', answer)
    seen = []

    def on_progress(record):
        seen.append(record['status'])
        gate.set()

    OllamaClient(ollama.url).pull('qwen2.5-coder:7b', on_progress=on_progress, resolve=False)
    assert seen == ['pulling manifest', 'success']
    assert answer.gates_timed_out == 0


def test_pull_without_resolve_makes_one_request(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson(pull_stream()))
    result = OllamaClient(ollama.url).pull('m', insecure=True, resolve=False)
    assert (result['digest'], result['size']) == (None, None)
    assert ollama.count() == 1
    assert ollama.requests[0].json == {'model': 'm', 'stream': True, 'insecure': True}


def test_pull_skips_blank_keepalive_lines(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson(['', {'status': 'pulling manifest'}, '   ', '', {'status': 'success'}, '']))
    seen = []
    OllamaClient(ollama.url).pull('m', on_progress=seen.append, resolve=False)
    assert seen == [{'status': 'pulling manifest'}, {'status': 'success'}]


def test_pull_error_line_under_http_200(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson(pull_stream({'error': 'max retries exceeded: unexpected EOF'})))
    seen = []
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).pull('qwen2.5-coder:7b', on_progress=seen.append)
    assert str(caught.value) == 'Ollama at %s reported an error during POST /api/pull: max retries exceeded: unexpected EOF' % ollama.url
    assert caught.value.status == 200
    assert seen and seen[-1]['status'].startswith('pulling')  # the lines before the error were still reported


def test_pull_unknown_model_error(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson([{'status': 'pulling manifest'}, {'error': 'pull model manifest: file does not exist'}]))
    with pytest.raises(OllamaError, match='pull model manifest: file does not exist'):
        OllamaClient(ollama.url).pull('nope')


def test_pull_html_instead_of_json(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson(['<!DOCTYPE html>', '<html><body>Bad Gateway</body></html>']))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).pull('m')
    assert "sent a line that is not a JSON object during POST /api/pull: '<!DOCTYPE html>'" in str(caught.value)
    assert ollama.url in str(caught.value)


@pytest.mark.parametrize('line', ['[1, 2]', '"success"', '{"status": "pulling", ', 'null'])
def test_pull_json_that_is_not_an_object(ollama, line):
    ollama.route('POST', '/api/pull', ollama.ndjson([line]))
    with pytest.raises(OllamaError, match='not a JSON object'):
        OllamaClient(ollama.url).pull('m')


@pytest.mark.parametrize('truncate', [False, True], ids=['clean-end', 'connection-dropped'])
def test_pull_stream_ending_without_success(ollama, truncate):
    ollama.route('POST', '/api/pull', ollama.ndjson(pull_stream(success=False), truncate=truncate))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).pull('qwen2.5-coder:7b')
    message = str(caught.value)
    assert ollama.url in message
    assert 'ended before "success"' in message or 'Lost the connection' in message
    assert ollama.count('GET', '/api/tags') == 0  # no digest lookup after a failed pull


def test_pull_empty_stream(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson([]))
    with pytest.raises(OllamaError, match=r"ended before \"success\" \(last status: 'nothing received'\)"):
        OllamaClient(ollama.url).pull('m')


def test_pull_rejected_before_streaming(ollama):
    ollama.route('POST', '/api/pull', ollama.json({'error': 'invalid model name'}, status=400))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).pull('m')
    assert str(caught.value) == 'Ollama at %s answered 400 for /api/pull: invalid model name' % ollama.url


def test_pull_success_but_not_listed(ollama):
    ollama.route('POST', '/api/pull', ollama.ndjson(pull_stream()))
    with pytest.raises(OllamaError, match="reported success pulling 'ghost' but /api/tags does not list it"):
        OllamaClient(ollama.url).pull('ghost')


def test_pull_overall_time_limit(ollama):
    records = [{'status': 'pulling manifest'}] + [{'status': 'pulling x', 'digest': 'sha256:x', 'total': 10, 'completed': i} for i in range(10)]
    ollama.route('POST', '/api/pull', ollama.ndjson(records + [{'status': 'success'}], line_delay=0.25))
    with pytest.raises(OllamaError) as caught:
        OllamaClient(ollama.url).pull('m', timeout=1)
    # Either the overall limit or the silence limit (the same second) ended it, under load the latter can win.
    assert 'did not finish within 1 seconds' in str(caught.value) or 'no answer within 1 seconds' in str(caught.value)


def test_pull_unreachable(closed_url):
    with pytest.raises(OllamaError, match='Could not connect to Ollama at %s: .*\\(POST /api/pull\\)' % closed_url):
        OllamaClient(closed_url).pull('m')
