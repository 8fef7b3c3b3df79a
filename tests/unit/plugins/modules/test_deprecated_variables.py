# Unit tests for the deprecated_variables module: one deprecation per renamed variable, bad tables refused, no change.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.selfhosted.ai_coding.plugins.modules import deprecated_variables


def run_in_own_process(args):
    """Run the module as Ansible does, in a process of its own: in the test process, a controller-side import made by
    another test (the plugin loader, Display) routes module deprecations elsewhere and they would not be in the result."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, f)
    try:
        proc = subprocess.run([sys.executable, '-m', deprecated_variables.__name__, f.name],
                              capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    finally:
        os.unlink(f.name)
    return json.loads(proc.stdout)


def test_one_deprecation_per_variable_naming_the_replacement_and_the_release():
    result = run_in_own_process({'variables': [
        {'name': 'ollama_container_manage_docker', 'replacement': 'docker_engine_install'},
        {'name': 'openhands_image_cache_dir', 'replacement': 'docker_engine_image_cache_dir'}]})
    assert not result.get('failed') and result['changed'] is False
    assert result['deprecated'] == ['ollama_container_manage_docker', 'openhands_image_cache_dir']
    deprecations = result['deprecations']
    assert [d['version'] for d in deprecations] == ['0.3.0', '0.3.0']
    # ansible-core 2.19+ reports {event: {msg}, deprecator: {resolved_name}}; older cores {msg, collection_name}
    assert all(d.get('collection_name', d.get('deprecator', {}).get('resolved_name')) == 'selfhosted.ai_coding' for d in deprecations)
    msgs = [d.get('msg', d.get('event', {}).get('msg')) for d in deprecations]
    assert 'ollama_container_manage_docker is deprecated: use docker_engine_install' in msgs[0]
    assert 'openhands_image_cache_dir is deprecated: use docker_engine_image_cache_dir' in msgs[1]


def test_nothing_set_warns_nothing(run_module):
    run = run_module(deprecated_variables.main, {'variables': []})
    assert not run.failed and run.result['deprecated'] == [] and not run.result.get('deprecations')


@pytest.mark.parametrize('variables, removed_in, expect', [
    ([{'name': 'bad name', 'replacement': 'x'}], '0.3.0', "variables[0].name is 'bad name': it must be a variable name"),
    ([{'name': 'old', 'replacement': 'new\nline'}], '0.3.0', "variables[0].replacement is 'new\\nline': it must be one non-empty line"),
    ([{'name': 'old'}], '0.3.0', "variables[0].replacement is None"),
    ([{'name': 'old', 'replacement': 'new'}], 'soon', "removed_in is 'soon': it must be a release number X.Y.Z"),
])
def test_a_bad_table_is_refused_naming_the_value_and_the_rule(run_module, variables, removed_in, expect):
    run = run_module(deprecated_variables.main, {'variables': variables, 'removed_in': removed_in})
    assert run.failed and expect in run.result['msg']
    assert not run.result.get('deprecations')
