# Unit tests for plugins/module_utils/_api.py: the base the Ollama, Coolify and OpenHands clients and modules share.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest

from ansible.module_utils.urls import url_argument_spec

from ansible_collections.selfhosted.ai_coding.plugins.module_utils import _api
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._coolify_api import COMMON_ARGS, CoolifyClient, CoolifyError
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import OllamaClient, OllamaError
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._openhands_api import OpenHandsError
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue
from ansible_collections.selfhosted.ai_coding.plugins.modules import ollama_model


def test_the_families_errors_are_one_error_class():
    for cls in (OllamaError, CoolifyError, OpenHandsError):
        assert issubclass(cls, _api.ApiError)
    exc = CoolifyError('boom', status=502, url='http://h')
    assert (str(exc), exc.msg, exc.status, exc.url) == ('boom', 'boom', 502, 'http://h')


@pytest.mark.parametrize('url', ['127.0.0.1:3000', 'ftp://host', 'http://', '', None, 'http:// host', 'http://?x', 'http://#x'])
def test_one_base_url_rule_for_every_client(url):
    with pytest.raises(OllamaError, match='The Ollama URL .* must start with http:// or https:// and name a host'):
        OllamaClient(url)
    with pytest.raises(CoolifyError, match='The Coolify URL .* must start with http:// or https:// and name a host'):
        CoolifyClient(url, 't')


def test_base_url_is_stripped():
    assert _api.check_base_url('  http://h:1/x ', 'X') == 'http://h:1/x'


@pytest.mark.parametrize('value', [0, -1, True, None, 'x', float('nan'), float('inf'), 3601])
def test_check_timeout_refuses(value):
    with pytest.raises(InvalidValue, match='^timeout '):
        _api.check_timeout(value, 'timeout', maximum=3600)


def test_check_timeout_accepts():
    assert _api.check_timeout(0.5, 'timeout', maximum=3600) == 0.5


def test_check_ca_path(tmp_path):
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('-----BEGIN CERTIFICATE-----\n')
    assert _api.check_ca_path(None) is None
    assert _api.check_ca_path(str(bundle)) == str(bundle)
    with pytest.raises(InvalidValue, match="ca_path is '.*missing.pem': it must be a readable file"):
        _api.check_ca_path(str(tmp_path / 'missing.pem'))
    with pytest.raises(InvalidValue, match='ca_path is .*: it must be a readable file'):
        _api.check_ca_path(str(tmp_path))
    with pytest.raises(InvalidValue, match='absolute path'):
        _api.check_ca_path('ca.pem')


def test_connection_options_come_from_url_argument_spec():
    base = url_argument_spec()
    for spec, url_option in ((ollama_model.argument_spec(), 'url'), (COMMON_ARGS, 'api_url')):
        assert spec['validate_certs'] == base['validate_certs']
        assert spec[url_option]['type'] == base['url']['type']
        assert spec['ca_path'] == {'type': 'path'}
        assert spec['timeout'] == {'type': 'int', 'default': 30}


def test_clients_hand_ca_path_to_the_request(monkeypatch):
    seen = []
    monkeypatch.setattr('ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api.request_json',
                        lambda method, url, **kwargs: seen.append(kwargs) or {'version': '1'})
    assert OllamaClient('http://h:1', ca_path='/etc/ssl/private-ca.pem').version() == '1'
    assert seen[0]['ca_path'] == '/etc/ssl/private-ca.pem' and seen[0]['validate_certs'] is True


# -- the resource base: read -> compare -> create/update/delete, check mode, diff -----------------------------------------

class FakeModule(object):
    def __init__(self, state, check=False, diff=True):
        self.params = {'state': state, 'value': 'new'}
        self.check_mode = check
        self._diff = diff


class Thing(_api.Resource):
    """A stand-in resource: ``store`` holds the object (or None); ``done`` lists the mutations."""

    result_key = 'thing'

    def __init__(self, module, store):
        super(Thing, self).__init__(module, client=None)
        self.store, self.done = store, []

    def read(self):
        return self.store.get('obj')

    def view(self, current):
        return dict(current or {})

    def planned(self):
        return {'id': None, 'value': self.params['value']}

    def create(self, planned):
        self.done.append('create')
        return dict(planned, id=7)

    def changes(self, current):
        return {'value': self.params['value']} if current['value'] != self.params['value'] else {}

    def update(self, current, changes):
        self.done.append(('update', changes))

    def delete(self, current):
        self.done.append('delete')


@pytest.mark.parametrize('state, obj, check, changed, after, done', [
    ('present', None, False, True, {'id': 7, 'value': 'new'}, ['create']),
    ('present', None, True, True, {'id': None, 'value': 'new'}, []),
    ('present', {'id': 1, 'value': 'old'}, False, True, {'id': 1, 'value': 'new'}, [('update', {'value': 'new'})]),
    ('present', {'id': 1, 'value': 'old'}, True, True, {'id': 1, 'value': 'new'}, []),
    ('present', {'id': 1, 'value': 'new'}, False, False, {'id': 1, 'value': 'new'}, []),
    ('absent', {'id': 1, 'value': 'old'}, False, True, {}, ['delete']),
    ('absent', {'id': 1, 'value': 'old'}, True, True, {}, []),
    ('absent', None, False, False, {}, []),
])
def test_resource_flow(state, obj, check, changed, after, done):
    thing = Thing(FakeModule(state, check=check), {'obj': obj})
    result = thing.run()
    assert result == {'changed': changed, 'thing': after, 'diff': {'before': dict(obj or {}), 'after': after}}
    assert thing.done == done


def test_resource_without_diff_returns_none():
    result = Thing(FakeModule('present', diff=False), {'obj': None}).run()
    assert 'diff' not in result


def test_ollama_model_checks_ca_path_with_the_other_options(tmp_path):
    params = {'url': 'https://ollama.example.org', 'timeout': 30, 'pull_timeout': 60, 'headers': None,
              'allowed_registries': ['registry.ollama.ai'], 'ca_path': str(tmp_path / 'missing.pem')}
    with pytest.raises(InvalidValue, match="ca_path is '.*': it must be a readable file"):
        ollama_model.check_options(params)
