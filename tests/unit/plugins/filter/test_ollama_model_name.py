# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.selfhosted.ai_coding.plugins.filter.ollama_model_name import FilterModule, ollama_model_name


@pytest.mark.parametrize(
    "name, expected",
    [
        ("qwen2.5-coder", "qwen2.5-coder:latest"),
        ("deepseek-coder-v2:16b", "deepseek-coder-v2:16b"),
        ("library/llama3.2:1b", "llama3.2:1b"),
        ("registry.ollama.ai/library/llama3.2:1b", "llama3.2:1b"),
        ("user/model:tag", "user/model:tag"),
    ],
)
def test_normalises_to_the_name_ollama_lists(name, expected):
    assert ollama_model_name(name) == expected


def test_full_form():
    assert ollama_model_name("qwen2.5-coder:7b", form="full") == "registry.ollama.ai/library/qwen2.5-coder:7b"


def test_other_registry_only_when_allowed():
    assert ollama_model_name("registry.lan:5000/team/m:1", ["registry.lan:5000"]) == "registry.lan:5000/team/m:1"
    with pytest.raises(AnsibleFilterError, match="registry.lan:5000.*allowed_registries"):
        ollama_model_name("registry.lan:5000/team/m:1")


@pytest.mark.parametrize("bad", ["../x", "m:", "a/b/c/d", "m;rm -rf /", "", "-m"])
def test_bad_names_name_the_value(bad):
    with pytest.raises(AnsibleFilterError, match="Invalid model name"):
        ollama_model_name(bad)


def test_bad_form():
    with pytest.raises(AnsibleFilterError, match="^ollama_model_name: form is 'long': it must be 'short' or 'full'$"):
        ollama_model_name("m", form="long")
    with pytest.raises(AnsibleFilterError, match="^ollama_model_name: form is a list: it must be 'short' or 'full'$"):
        ollama_model_name("m", form=["short"])


@pytest.mark.parametrize("registries, words", [
    # Before: list('registry.ollama.ai') made every one-letter host "allowed", so 'r/ns/m' passed.
    ("registry.ollama.ai", "ollama_model_name: allowed_registries must be a list of strings, got a string ('registry.ollama.ai')"),
    (None, "ollama_model_name: allowed_registries must be a list of strings, got null"),
    ({"registry.ollama.ai": 1}, "ollama_model_name: allowed_registries must be a list of strings, got a mapping"),
    (["registry.ollama.ai", ""], "ollama_model_name: allowed_registries[1] is '': it must not be empty or blank"),
])
def test_allowed_registries_must_be_a_list(registries, words):
    with pytest.raises(AnsibleFilterError) as caught:
        ollama_model_name("r/ns/m", registries)
    assert str(caught.value).startswith(words)


@pytest.mark.parametrize("bad, words", [
    ("m\nx", "Invalid model name 'm\\nx': it contains whitespace, a control character"),
    ("m\u200b", "U+200B ZERO WIDTH SPACE"),
    ("q\u0430", "U+0430 CYRILLIC SMALL LETTER A"),
    (["m"], "Invalid model name a list: a model name must be a string, not a list"),
    (None, "Invalid model name null: a model name must be a string, not null"),
])
def test_hostile_names_name_the_filter_the_value_and_the_rule(bad, words):
    with pytest.raises(AnsibleFilterError) as caught:
        ollama_model_name(bad)
    assert str(caught.value).startswith("ollama_model_name: ") and words in str(caught.value)
    assert "NoneType" not in str(caught.value) and "<class" not in str(caught.value)


def test_registered():
    assert FilterModule().filters()["ollama_model_name"] is ollama_model_name
