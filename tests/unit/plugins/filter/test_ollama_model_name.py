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
    with pytest.raises(AnsibleFilterError, match="form"):
        ollama_model_name("m", form="long")


def test_registered():
    assert FilterModule().filters()["ollama_model_name"] is ollama_model_name
