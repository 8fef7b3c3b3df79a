# Unit tests for the pure parts of the coolify_* modules and their input validation (the API flows are in the contract suite).
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.modules import coolify_application, coolify_deploy, coolify_project


@pytest.mark.parametrize('repo', ['https://github.com/Owner/Repo', 'https://github.com/owner/repo.git', 'git@github.com:owner/repo.git',
                                  'owner/repo', 'https://user@github.com/owner/repo/'])
def test_repo_key_normalises(repo):
    assert coolify_application.repo_key(repo) == 'owner/repo'


def test_domain_set_compares_as_sets():
    assert coolify_application.domain_set('https://b.x/, https://a.x') == coolify_application.domain_set(['https://a.x', 'https://b.x'])
    assert coolify_application.domain_set(None) == []


def test_log_tail_reads_coolify_records_and_text():
    logs = json.dumps([{'output': 'one\ntwo', 'hidden': False}, {'output': 'secret', 'hidden': True}, {'output': 'three'}])
    assert coolify_deploy.log_tail(logs, 2) == ['two', 'three']
    assert coolify_deploy.log_tail('a\nb\nc', 1) == ['c']
    assert coolify_deploy.log_tail(None, 5) == [] and coolify_deploy.log_tail('a', 0) == []


@pytest.mark.parametrize('args, words', [
    ({'ports_exposes': '3000;4000'}, ['ports_exposes', '3000;4000']),
    ({'domains': ['web.example.com']}, ['domains', 'web.example.com']),
    ({'env': {'1BAD': 'x'}}, ['env names', '1BAD']),
])
def test_application_refuses_bad_input_before_any_request(run_module, args, words):
    base = {'api_url': 'http://127.0.0.1:9', 'api_token': 'unit-test-token-0123456789', 'project': 'p', 'name': 'n', 'git_repository': 'o/r'}
    base.update(args)
    res = run_module(coolify_application.main, base)
    assert res.failed and all(w in res.result['msg'] for w in words), res


def test_private_sources_need_their_credential(run_module):
    res = run_module(coolify_application.main, {'api_token': 'unit-test-token-0123456789', 'project': 'p', 'name': 'n', 'git_repository': 'o/r',
                                                'source': 'private-deploy-key'})
    assert res.failed and 'private_key_uuid' in res.result['msg']


def test_blank_project_name_is_refused(run_module):
    res = run_module(coolify_project.main, {'api_token': 'unit-test-token-0123456789', 'name': '  '})
    assert res.failed and 'name must not be empty' in res.result['msg']


def test_missing_token_is_refused(run_module):
    res = run_module(coolify_project.main, {'name': 'x'})
    assert res.failed and 'api_token or api_token_file' in res.result['msg']
