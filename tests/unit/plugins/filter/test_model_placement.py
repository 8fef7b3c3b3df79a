# Unit tests for the model_placement filter of plugins/filter/model_fit.py.
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.filter.model_fit import FilterModule, model_placement, need_mib
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import ModelNameError, validate_model_name

# Two 24 GB cards as nvidia-smi reports them and one 8 GB card.
NODES = [
    {'name': 'gpu-a', 'memory_mib': 24564},
    {'name': 'gpu-b', 'memory_mib': 24564},
    {'name': 'gpu-small', 'memory_mib': 8192},
]


def test_each_model_goes_to_every_node_it_fits():
    # 14b (9.0 GB = 8583 MiB) needs 11323.9 MiB: too much for 8 GiB; 1.5b (0.986 GB) fits everywhere.
    assert model_placement(['qwen2.5-coder:14b', 'qwen2.5-coder:1.5b'], NODES) == {
        'gpu-a': ['qwen2.5-coder:1.5b', 'qwen2.5-coder:14b'],
        'gpu-b': ['qwen2.5-coder:1.5b', 'qwen2.5-coder:14b'],
        'gpu-small': ['qwen2.5-coder:1.5b'],
    }


def test_exactly_the_need_fits_and_one_mib_less_does_not():
    need = need_mib(1024.0)   # a 1 GiB model: 1024 * 1.2 + 1024 = 2252.8 MiB
    nodes = [{'name': 'fits', 'memory_mib': need}, {'name': 'short', 'memory_mib': need - 1}]
    assert model_placement([{'name': 'm', 'size_gib': 1}], nodes) == {'fits': ['m'], 'short': []}


def test_pinned_model_goes_only_to_its_nodes():
    models = ['qwen2.5-coder:1.5b', {'name': 'qwen2.5-coder:7b', 'nodes': ['gpu-small']}]
    assert model_placement(models, NODES) == {
        'gpu-a': ['qwen2.5-coder:1.5b'],
        'gpu-b': ['qwen2.5-coder:1.5b'],
        'gpu-small': ['qwen2.5-coder:1.5b', 'qwen2.5-coder:7b'],
    }


def test_pinned_to_several_nodes_keeps_the_node_order():
    models = [{'name': 'tinyllama', 'size_gib': 0.6, 'nodes': ['gpu-small', 'gpu-a']}]
    result = model_placement(models, NODES)
    assert list(result) == ['gpu-a', 'gpu-b', 'gpu-small']
    assert result == {'gpu-a': ['tinyllama'], 'gpu-b': [], 'gpu-small': ['tinyllama']}


def test_pinned_node_too_small_is_refused_with_need_and_memory():
    models = [{'name': 'qwen2.5-coder:14b', 'nodes': ['gpu-a', 'gpu-small']}]
    with pytest.raises(AnsibleFilterError) as err:
        model_placement(models, NODES)
    msg = str(err.value)
    assert msg.startswith('model_placement: models[0].nodes pins qwen2.5-coder:14b (8.4 GiB) to gpu-small, whose 8192 MiB')
    assert 'it needs 11324 MiB (size + 20 % headroom + 1024 MiB overhead)' in msg


def test_pinned_to_an_unknown_node_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"^model_placement: models\[0\]\.nodes pins tinyllama to 'gpu-z', which is not a node "
                                                 r"\(nodes: gpu-a, gpu-b, gpu-small\)$"):
        model_placement([{'name': 'tinyllama', 'size_gib': 0.6, 'nodes': ['gpu-z']}], NODES)


def test_model_fitting_no_node_names_model_need_and_largest_node():
    # 70b: 39 GB = 37193 MiB, needs 37193 * 1.2 + 1024 = 45656 MiB (rounded up).
    with pytest.raises(AnsibleFilterError) as err:
        model_placement(['qwen2.5-coder:1.5b', 'codellama:70b'], NODES)
    assert str(err.value) == ('model_placement: models[1] (codellama:70b, 36.3 GiB) fits no node: it needs 45656 MiB (size + 20 % '
                              'headroom + 1024 MiB overhead) and the largest node, gpu-a, has 24564 MiB')


def test_headroom_and_overhead_are_the_model_fit_rule():
    nodes = [{'name': 'n', 'memory_mib': 3000}]
    assert model_placement([{'name': 'm', 'size_gib': 1}], nodes, 0.5, 1024) == {'n': ['m']}        # 2560 MiB
    with pytest.raises(AnsibleFilterError, match='needs 3072 MiB'):
        model_placement([{'name': 'm', 'size_gib': 1}], nodes, headroom=1, overhead_mib=1024)


def test_names_given_by_the_caller_appear_in_messages():
    with pytest.raises(AnsibleFilterError, match=r'^model_placement: inference_gateway_models\[0\] \(codellama:70b'):
        model_placement(['codellama:70b'], NODES, models_name='inference_gateway_models', nodes_name='inference_gateway_nodes')
    with pytest.raises(AnsibleFilterError, match=r'^model_placement: inference_gateway_nodes\[1\]\.memory_mib'):
        model_placement([{'name': 'x', 'size_gib': 1}], [{'name': 'a', 'memory_mib': 1}, {'name': 'b', 'memory_mib': 0}],
                        models_name='inference_gateway_models', nodes_name='inference_gateway_nodes')


def test_result_is_deterministic_whatever_the_model_order():
    models = ['qwen2.5-coder:7b', {'name': 'Zeta', 'size_gib': 1}, {'name': 'alpha', 'size_gib': 1}, 'qwen2.5-coder:1.5b']
    first = model_placement(models, NODES)
    second = model_placement(list(reversed(models)), NODES)
    assert first == second
    assert first['gpu-a'] == ['alpha', 'qwen2.5-coder:1.5b', 'qwen2.5-coder:7b', 'Zeta']


def test_node_without_models_is_still_listed():
    assert model_placement([{'name': 'big', 'size_gib': 15}], NODES) == {'gpu-a': ['big'], 'gpu-b': ['big'], 'gpu-small': []}


def test_empty_model_list_places_nothing():
    assert model_placement([], NODES) == {'gpu-a': [], 'gpu-b': [], 'gpu-small': []}


def test_memory_as_digits_from_jinja():
    assert model_placement([{'name': 'm', 'size_gib': 1}], [{'name': 'n', 'memory_mib': '4096', 'address': '10.0.0.1'}]) == {'n': ['m']}


@pytest.mark.parametrize('models, rule', [
    ('tinyllama', r"models must be a list of model names or \{name, size_gib, nodes\} dicts, got a string \('tinyllama'\)"),
    ({'name': 'x'}, r'models must be a list .*, got a mapping'),
    (None, r'models must be a list .*, got null'),
    ([42], r'models\[0\]: a candidate must be a model name or a dict'),
    (['no such model'], r'models\[0\]'),
    (['unknown-model:1b'], r'models\[0\]: the model unknown-model:1b is not in the size table'),
    ([{'name': 'm', 'size_gib': 0}], r'models\[0\]: the size_gib of m must be > 0, got 0'),
    ([{'name': 'm', 'size_gib': True}], r'the size_gib of m must be a number, got a boolean'),
    ([{'name': 'm', 'size_gib': 'nan'}], r'must be a finite number'),
    ([{'name': 'm', 'size_gib': 1, 'nodes': 'gpu-a'}], r"models\[0\]\.nodes \(of m\) must be a non-empty list of node names, got a "
                                                       r"string \('gpu-a'\); a string is not split"),
    ([{'name': 'm', 'size_gib': 1, 'nodes': []}], r'models\[0\]\.nodes \(of m\) must be a non-empty list'),
    ([{'name': 'm', 'size_gib': 1, 'nodes': [None]}], r'models\[0\]\.nodes\[0\] \(of m\) must be a node name .*, got null'),
    (['qwen3', 'qwen3:latest'], r"models\[1\] is 'qwen3:latest', the same model as models\[0\] \('qwen3'\)"),
    ([{'name': 'tinyllama:latest', 'size_gib': 0.6}, {'name': 'TinyLlama', 'size_gib': 0.6}],
     r"models\[1\] is 'TinyLlama', the same model as models\[0\] \('tinyllama:latest'\): name each model once"),
    (['qwen3:8b', 'registry.ollama.ai/library/qwen3:8b'], r'the same model as models\[0\]'),
])
def test_bad_models_are_refused(models, rule):
    with pytest.raises(AnsibleFilterError, match=rule):
        model_placement(models, NODES)


@pytest.mark.parametrize('nodes, rule', [
    ('gpu-a', r"nodes must be a list of \{name, memory_mib\} dicts, got a string \('gpu-a'\)"),
    ([], r'nodes is empty: there is no node to place a model on'),
    (['gpu-a'], r"nodes\[0\] must be a dict with name and memory_mib, got a string \('gpu-a'\)"),
    ([{'memory_mib': 1}], r'nodes\[0\]\.name must be a node name .*, got null'),
    ([{'name': ' a', 'memory_mib': 1}], r"nodes\[0\]\.name must be a node name"),
    ([{'name': 'a\nb', 'memory_mib': 1}], r"nodes\[0\]\.name must be a node name"),
    ([{'name': 'a', 'memory_mib': 1}, {'name': 'a', 'memory_mib': 2}], r"nodes\[1\]\.name is 'a', as nodes\[0\]\.name already is"),
    ([{'name': 'a'}], r'nodes\[0\]\.memory_mib \(of node a\) must be a number, got null'),
    ([{'name': 'a', 'memory_mib': 0}], r'nodes\[0\]\.memory_mib \(of node a\) must be > 0, got 0'),
    ([{'name': 'a', 'memory_mib': -5}], r'nodes\[0\]\.memory_mib \(of node a\) must be > 0, got -5'),
    ([{'name': 'a', 'memory_mib': 'lots'}], r"nodes\[0\]\.memory_mib \(of node a\) must be a number, got 'lots'"),
    ([{'name': 'a', 'memory_mib': float('inf')}], r'nodes\[0\]\.memory_mib \(of node a\) must be a finite number'),
])
def test_bad_nodes_are_refused(nodes, rule):
    with pytest.raises(AnsibleFilterError, match='^model_placement: ' + rule):
        model_placement([{'name': 'm', 'size_gib': 0.5}], nodes)


@pytest.mark.parametrize('headroom, overhead, rule', [
    (-0.1, 1024, r'headroom .* must be >= 0'),
    (2, 1024, r'headroom .* must be <= 1'),
    (0.2, -1, r'overhead_mib must be >= 0'),
    (0.2, None, r'overhead_mib must be a number, got null'),
])
def test_bad_sizing_arguments_are_refused(headroom, overhead, rule):
    with pytest.raises(AnsibleFilterError, match=rule):
        model_placement(['qwen3'], NODES, headroom, overhead)


def test_filter_is_registered():
    assert FilterModule().filters()['model_placement'] is model_placement


# Properties: the placement is the model_fit rule applied to every (model, node) pair, whatever the sizes and orders.
SIZES = st.floats(min_value=0.1, max_value=300, allow_nan=False, allow_infinity=False)
MEMORIES = st.integers(min_value=1, max_value=2 ** 20)


@settings(max_examples=150, deadline=None)
@given(sizes=st.lists(SIZES, min_size=1, max_size=6), memories=st.lists(MEMORIES, min_size=1, max_size=5), data=st.data())
@example(sizes=[1.0], memories=[2253], data=None)   # exactly the need of a 1 GiB model, rounded up: fits
def test_property_each_model_on_exactly_the_nodes_it_fits(sizes, memories, data):
    models = [{'name': 'm%d' % i, 'size_gib': size} for i, size in enumerate(sizes)]
    nodes = [{'name': 'n%d' % i, 'memory_mib': memory} for i, memory in enumerate(memories)]
    fits = {m['name']: [n['name'] for n in nodes if need_mib(m['size_gib'] * 1024.0) <= n['memory_mib']] for m in models}
    if not all(fits.values()):
        with pytest.raises(AnsibleFilterError, match=r'fits no node: it needs \d+ MiB .* and the largest node, n\d+, has %d MiB'
                           % max(memories)):
            model_placement(models, nodes)
        return
    result = model_placement(models, nodes)
    assert list(result) == [n['name'] for n in nodes]
    for node in nodes:
        assert result[node['name']] == sorted(m for m, where in fits.items() if node['name'] in where)
    if data is not None:   # the order of the models does not matter
        assert model_placement(data.draw(st.permutations(models)), nodes) == result


@settings(max_examples=150, deadline=None)
@given(name=st.text(min_size=1, max_size=30), position=st.integers(min_value=0, max_value=3))
@example(name='bad name', position=0)
@example(name='x\n', position=2)
def test_property_a_bad_model_name_is_refused_naming_its_position(name, position):
    try:
        validate_model_name(name, allowed_registries=None)
    except ModelNameError:
        models = [{'name': 'ok%d' % i, 'size_gib': 1} for i in range(position)] + [{'name': name, 'size_gib': 1}]
        with pytest.raises(AnsibleFilterError, match=r'^model_placement: models\[%d\]' % position):
            model_placement(models, NODES)
    else:
        assert model_placement([{'name': name, 'size_gib': 1}], NODES)['gpu-a'] == [name]
