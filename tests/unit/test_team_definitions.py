# SPDX-License-Identifier: GPL-3.0-or-later
"""The teams' definitions load and validate against the real schemas, and what they ask for exists.

- extensions/awx/controller.yml: every item is validated by ansible-core's ArgumentSpecValidator with the argument
  spec that the pinned awx.awx module (24.6.1, from the `ansible` 12.3.0 wheel, SHA-256 pinned in
  tests/testbed/awx_collection.py) builds in its own main(): an unknown key, a wrong type or a bad choice fails as
  the module would fail on AWX. Surveys are checked against AWX's survey rules (the checks AWX's survey_spec endpoint
  makes), the workflow graph against the job templates it names.
- extensions/semaphore/project.yml: the request bodies playbooks/semaphore_apply.yml sends are validated against a
  transcript of Semaphore's API schema (tests/fixtures/semaphore_api_schema.json).
- Every survey variable is an option of a role's meta/argument_specs.yml with a compatible type; every template's
  playbook exists in the collection.
- collections/requirements.yml and the execution environment pin what the `ansible` package CI uses ships.
Each validator is also shown a deliberately broken copy and must refuse it, so none of these checks can pass vacuously.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import pathlib
import re
import sys
import types

import jsonschema
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.compat.version import LooseVersion

ROOT = pathlib.Path(__file__).resolve().parents[2]
AWX_DEFS = ROOT / "extensions" / "awx" / "controller.yml"
SEM_DEFS = ROOT / "extensions" / "semaphore" / "project.yml"
SEM_SCHEMA = ROOT / "tests" / "fixtures" / "semaphore_api_schema.json"

sys.path.insert(0, str(ROOT / "tests" / "testbed"))
import awx_collection  # noqa: E402  pylint: disable=wrong-import-position


# ---------------------------------------------------------------------------------------------------------------
# awx.awx's own argument specs


class _Captured(Exception):
    def __init__(self, kwargs):
        super().__init__("captured")
        self.kwargs = kwargs


@pytest.fixture(scope="session")
def awx_root():
    try:
        return awx_collection.ensure()
    except awx_collection.Unavailable as exc:
        pytest.skip(f"the pinned awx.awx collection cannot be had here, so nothing is validated against it: {exc}")


_SPECS: dict[str, dict] = {}


def awx_module_spec(awx_root: pathlib.Path, module: str) -> dict:
    """The keyword arguments awx.awx.<module>'s main() passes to ControllerAPIModule: argument_spec (plus the auth
    options ControllerModule adds) and the mutually_exclusive/required_if/... rules."""
    if module in _SPECS:
        return _SPECS[module]
    pkg = "_awx_under_test"
    if pkg not in sys.modules:
        for name, path in ((pkg, awx_root), (f"{pkg}.plugins", awx_root / "plugins"),
                           (f"{pkg}.plugins.modules", awx_root / "plugins" / "modules"),
                           (f"{pkg}.plugins.module_utils", awx_root / "plugins" / "module_utils")):
            mod = types.ModuleType(name)
            mod.__path__ = [str(path)]
            sys.modules[name] = mod
    spec = importlib.util.spec_from_file_location(f"{pkg}.plugins.modules.{module}",
                                                  awx_root / "plugins" / "modules" / f"{module}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    real = mod.ControllerAPIModule
    auth = dict(real.AUTH_ARGSPEC)

    def capture(**kwargs):
        raise _Captured(kwargs)

    mod.ControllerAPIModule = capture
    with pytest.raises(_Captured) as got:
        mod.main()
    kwargs = dict(got.value.kwargs)
    argument_spec = dict(auth)
    argument_spec.update(kwargs.pop("argument_spec"))
    _SPECS[module] = {"argument_spec": argument_spec, **kwargs}
    return _SPECS[module]


def awx_errors(awx_root, module: str, params: dict) -> list[str]:
    spec = awx_module_spec(awx_root, module)
    validator = ArgumentSpecValidator(
        spec["argument_spec"],
        mutually_exclusive=spec.get("mutually_exclusive"), required_together=spec.get("required_together"),
        required_one_of=spec.get("required_one_of"), required_if=spec.get("required_if"),
        required_by=spec.get("required_by"))
    return list(validator.validate(copy.deepcopy(params)).error_messages)


def load_awx() -> dict:
    return yaml.safe_load(AWX_DEFS.read_text())


def load_semaphore() -> dict:
    return yaml.safe_load(SEM_DEFS.read_text())


def awx_items():
    return [pytest.param(module, index, id=f"{module}-{item.get('name', item.get('identifier'))}")
            for module, items in load_awx().items() for index, item in enumerate(items)]


@pytest.mark.parametrize(("module", "index"), awx_items())
def test_awx_item_validates_against_the_module_argument_spec(awx_root, module, index):
    item = load_awx()[module][index]
    assert awx_errors(awx_root, module, item) == [], f"awx.awx.{module} refuses {item.get('name')}"


@pytest.mark.parametrize(("module", "change", "expect"), [
    ("job_template", {"surveyspec": {}}, "surveyspec. Supported parameters include"),
    ("job_template", {"job_type": "deploy"}, "job_type"),
    ("job_template", {"forks": "many"}, "forks"),
    ("workflow_job_template_node", {"success_nodes": "verify", "always_nodes": {"x": 1}}, "always_nodes"),
    ("project", {"scm_type": "svn-ish"}, "scm_type"),
])
def test_a_broken_awx_item_is_refused(awx_root, module, change, expect):
    item = copy.deepcopy(load_awx()[module][0]) | change
    errors = awx_errors(awx_root, module, item)
    assert any(expect in e for e in errors), errors


def test_awx_apply_applies_every_kind_with_its_module():
    play = yaml.safe_load((ROOT / "playbooks" / "awx_apply.yml").read_text())[0]
    applied = [next(k for k in task if k.startswith("awx.awx.")) for task in play["tasks"]
               if any(k.startswith("awx.awx.") for k in task)]
    assert [m.removeprefix("awx.awx.") for m in applied] == list(load_awx()), \
        "each kind of extensions/awx/controller.yml is applied, in the file's order, by its own awx.awx module"
    assert all(f"{{{{ {m.removeprefix('awx.awx.')} }}}}" in json.dumps(t) for m, t in
               zip(applied, [t for t in play["tasks"] if any(k.startswith("awx.awx.") for k in t)]))


def test_awx_requirements_pin_the_validated_collection():
    reqs = yaml.safe_load((ROOT / "extensions" / "awx" / "requirements.yml").read_text())["collections"]
    assert reqs == [{"name": "awx.awx", "version": awx_collection.AWX_VERSION}]


# ---------------------------------------------------------------------------------------------------------------
# AWX survey rules (what AWX's /survey_spec/ endpoint checks before it stores a survey)

AWX_SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def awx_survey_problems(survey: dict) -> list[str]:
    problems = []
    for field in ("name", "description", "spec"):
        if field not in survey:
            problems.append(f"Field '{field}' is missing from survey spec.")
    if not isinstance(survey.get("spec"), list):
        return problems + ["'spec' must be a list of items."]
    seen = set()
    for n, q in enumerate(survey["spec"]):
        where = f"survey question {n} ({q.get('variable')})"
        for field in ("type", "question_name", "variable", "required"):
            if field not in q:
                problems.append(f"'{field}' missing from {where}.")
        unknown = set(q) - {"type", "question_name", "question_description", "variable", "required", "default",
                            "choices", "min", "max", "new_question"}
        if unknown:
            problems.append(f"{where} has unknown fields {sorted(unknown)}.")
        qtype = q.get("type")
        if qtype not in AWX_SURVEY_TYPES:
            problems.append(f"{where}: '{qtype}' is not a valid question type ({sorted(AWX_SURVEY_TYPES)}).")
        if not isinstance(q.get("required"), bool):
            problems.append(f"{where}: 'required' must be a boolean.")
        var = q.get("variable")
        if not isinstance(var, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var or ""):
            problems.append(f"{where}: 'variable' must be a valid variable name.")
        if var in seen:
            problems.append(f"'variable' '{var}' duplicated in survey question {n}.")
        seen.add(var)
        for bound in ("min", "max"):
            if bound in q and not (isinstance(q[bound], (int, float)) and not isinstance(q[bound], bool)):
                problems.append(f"{where}: '{bound}' must be a number.")
        choices = q.get("choices")
        if qtype in ("multiplechoice", "multiselect"):
            if isinstance(choices, str):
                choices = [c for c in choices.split("\n") if c]
            if not isinstance(choices, list) or not choices:
                problems.append(f"{where}: '{qtype}' needs a non-empty list of choices.")
                choices = []
        elif choices not in (None, "", []):
            problems.append(f"{where}: choices are only for multiplechoice and multiselect.")
        if "default" in q and q["default"] not in ("", None):
            default = q["default"]
            if qtype == "integer" and not (isinstance(default, int) and not isinstance(default, bool)):
                problems.append(f"{where}: default {default!r} is not an integer.")
            if qtype == "float" and not isinstance(default, (int, float)):
                problems.append(f"{where}: default {default!r} is not a number.")
            if qtype in ("text", "textarea", "password") and not isinstance(default, str):
                problems.append(f"{where}: default {default!r} is not a string.")
            if qtype == "multiplechoice" and default not in choices:
                problems.append(f"{where}: default {default!r} is not one of the choices.")
            if qtype == "multiselect":
                picked = default.split("\n") if isinstance(default, str) else default
                if not isinstance(picked, list) or any(p not in choices for p in picked):
                    problems.append(f"{where}: default {default!r} is not among the choices.")
    return problems


def awx_surveys():
    out = []
    for module in ("job_template", "workflow_job_template"):
        for item in load_awx().get(module, []):
            if item.get("survey_enabled") or item.get("survey_spec"):
                out.append(pytest.param(item, id=f"{module}-{item['name']}"))
    return out


@pytest.mark.parametrize("template", awx_surveys())
def test_awx_survey_follows_awx_rules(template):
    assert template.get("survey_enabled") is True, "a survey spec that is not enabled is never asked"
    assert awx_survey_problems(template["survey_spec"]) == []


def test_there_is_a_survey_asking_domain_models_and_versions():
    asked = {q["variable"] for t in awx_surveys() for q in t.values[0]["survey_spec"]["spec"]}
    assert {"reverse_proxy_domain", "ollama_models", "ollama_version", "openhands_version", "coolify_version"} <= asked


@pytest.mark.parametrize(("change", "expect"), [
    (lambda q: q.update(type="number"), "not a valid question type"),
    (lambda q: q.update(type="integer", default="eight"), "is not an integer"),
    (lambda q: q.update(type="multiplechoice", choices=[]), "non-empty list of choices"),
    (lambda q: q.pop("variable"), "'variable' missing"),
    (lambda q: q.update(required="yes"), "'required' must be a boolean"),
    (lambda q: q.update(defualt="x"), "unknown fields"),
])
def test_a_broken_awx_survey_is_refused(change, expect):
    survey = copy.deepcopy(awx_surveys()[0].values[0]["survey_spec"])
    change(survey["spec"][0])
    assert any(expect in p for p in awx_survey_problems(survey)), awx_survey_problems(survey)


def test_a_survey_with_a_duplicate_or_missing_description_is_refused():
    survey = copy.deepcopy(awx_surveys()[0].values[0]["survey_spec"])
    survey["spec"].append(copy.deepcopy(survey["spec"][0]))
    del survey["description"]
    problems = awx_survey_problems(survey)
    assert any("duplicated" in p for p in problems) and any("'description' is missing" in p for p in problems)


# ---------------------------------------------------------------------------------------------------------------
# Survey variables exist in the roles' argument specs with a compatible type


def role_options() -> dict[str, list[dict]]:
    options: dict[str, list[dict]] = {}
    for spec_file in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        role = spec_file.parts[-3]
        for entry, spec in yaml.safe_load(spec_file.read_text())["argument_specs"].items():
            for name, option in (spec.get("options") or {}).items():
                options.setdefault(name, []).append({"role": role, "entry": entry, **option})
    return options


# survey type -> what the answer is, and the role option types that take it
AWX_COMPATIBLE = {"text": {"str", "raw", "path"}, "textarea": {"str", "raw", "path"}, "password": {"str", "raw"},
                  "integer": {"int", "raw"}, "float": {"float", "raw"}, "multiplechoice": {"str", "raw"},
                  "multiselect": {"list"}}
SEMAPHORE_COMPATIBLE = {"": {"str", "raw", "path"}, "text": {"str", "raw", "path"}, "int": {"int", "raw"},
                        "enum": {"str", "raw"}, "secret": {"str", "raw"}}


def survey_var_problems(variable: str, qtype: str, table: dict, secret: bool, choices=None) -> list[str]:
    options = role_options().get(variable)
    if not options:
        return [f"{variable}: no role's meta/argument_specs.yml has this option"]
    problems = []
    for opt in options:
        otype = opt.get("type", "str")
        where = f"{variable} ({opt['role']}:{opt['entry']}, type {otype})"
        if otype not in table[qtype]:
            problems.append(f"{where}: a '{qtype}' survey answer does not fit")
        if otype == "list" and opt.get("elements", "str") not in ("str", "raw"):
            problems.append(f"{where}: a multiselect gives strings, the option takes {opt.get('elements')}")
        if secret and not opt.get("no_log"):
            problems.append(f"{where}: a secret question must feed a no_log option")
        if not secret and opt.get("no_log"):
            problems.append(f"{where}: a no_log option must be asked as a secret, not in clear text")
        if choices and opt.get("choices") and not set(choices) <= set(opt["choices"]):
            problems.append(f"{where}: choices {sorted(set(choices) - set(opt['choices']))} are not allowed")
    return problems


def awx_questions():
    return [pytest.param(q, id=f"{t.values[0]['name']}-{q['variable']}")
            for t in awx_surveys() for q in t.values[0]["survey_spec"]["spec"]]


@pytest.mark.parametrize("question", awx_questions())
def test_awx_survey_variable_is_a_role_option_of_a_compatible_type(question):
    assert survey_var_problems(question["variable"], question["type"], AWX_COMPATIBLE,
                               question["type"] == "password", question.get("choices")) == []


@pytest.mark.parametrize(("variable", "qtype", "expect"), [
    ("ollama_modles", "multiselect", "no role's meta/argument_specs.yml"),
    ("ollama_models", "text", "does not fit"),
    ("ollama_context_length", "text", "does not fit"),
    ("reverse_proxy_domain", "integer", "does not fit"),
    ("reverse_proxy_domain", "password", "must feed a no_log option"),
    ("backups_password", "text", "must be asked as a secret"),
])
def test_a_survey_variable_that_does_not_fit_is_refused(variable, qtype, expect):
    problems = survey_var_problems(variable, qtype, AWX_COMPATIBLE, qtype == "password")
    assert any(expect in p for p in problems), problems


def template_playbooks():
    awx = [pytest.param(t["playbook"], id=f"awx-{t['name']}") for t in load_awx()["job_template"]]
    sem = [pytest.param(t["playbook"], id=f"semaphore-{t['name']}") for t in load_semaphore()["semaphore_templates"]]
    return awx + sem


@pytest.mark.parametrize("playbook", template_playbooks())
def test_template_playbook_exists_in_the_collection(playbook):
    path = ROOT / playbook
    assert path.is_file(), f"{playbook}: no such playbook in the collection (the project sync would not find it)"
    assert isinstance(yaml.safe_load(path.read_text()), list)


def test_workflow_runs_backup_then_deploy_then_verify():
    defs = load_awx()
    templates = {t["name"] for t in defs["job_template"]}
    workflows = {w["name"] for w in defs["workflow_job_template"]}
    nodes = defs["workflow_job_template_node"]
    by_id = {n["identifier"]: n for n in nodes}
    for position, node in enumerate(nodes):
        assert node["workflow_job_template"] in workflows
        assert node["unified_job_template"] in templates, f"{node['identifier']} runs an unknown job template"
        for child in node.get("success_nodes", []) + node.get("failure_nodes", []) + node.get("always_nodes", []):
            assert child in [n["identifier"] for n in nodes[:position]], \
                f"{node['identifier']} leads to {child}, which must be created before it"
    roots = set(by_id) - {c for n in nodes for c in n.get("success_nodes", [])}
    chain, node = [], by_id[roots.pop()]
    while True:
        chain.append(node["unified_job_template"])
        if not node.get("success_nodes"):
            break
        assert not node.get("failure_nodes") and not node.get("always_nodes"), "a failure stops the workflow"
        node = by_id[node["success_nodes"][0]]
    playbooks = {t["name"]: t["playbook"] for t in defs["job_template"]}
    assert [playbooks[n] for n in chain] == ["playbooks/backup.yml", "site.yml", "playbooks/verify.yml"]


# ---------------------------------------------------------------------------------------------------------------
# Semaphore


def semaphore_requests(defs: dict) -> list[tuple[str, dict]]:
    """The request bodies playbooks/semaphore_apply.yml sends, with the names resolved to ids the way it does."""
    project_id = 7
    ids = {kind: {item["name"]: 100 + n for n, item in enumerate(defs[f"semaphore_{kind}"])}
           for kind in ("keys", "repositories", "inventories", "environments")}
    out = [("ProjectRequest", defs["semaphore_project"])]
    out += [("AccessKeyRequest", k | {"project_id": project_id}) for k in defs["semaphore_keys"]]
    for repo in defs["semaphore_repositories"]:
        body = {k: v for k, v in repo.items() if k != "ssh_key"}
        out.append(("RepositoryRequest", body | {"ssh_key_id": ids["keys"][repo["ssh_key"]], "project_id": project_id}))
    for inv in defs["semaphore_inventories"]:
        body = {k: v for k, v in inv.items() if k not in ("ssh_key", "become_key", "repository")}
        out.append(("InventoryRequest", body | {
            "ssh_key_id": ids["keys"][inv["ssh_key"]], "become_key_id": ids["keys"][inv["become_key"]],
            "repository_id": ids["repositories"][inv["repository"]], "project_id": project_id}))
    out += [("EnvironmentRequest", e | {"project_id": project_id}) for e in defs["semaphore_environments"]]
    for tpl in defs["semaphore_templates"]:
        body = {k: v for k, v in tpl.items() if k not in ("inventory", "repository", "environment", "vaults")}
        vaults = [{"name": v["name"], "type": v["type"], "vault_key_id": ids["keys"][v["vault_key"]]}
                  for v in tpl.get("vaults", [])]
        out.append(("TemplateRequest", body | {
            "project_id": project_id, "inventory_id": ids["inventories"][tpl["inventory"]],
            "repository_id": ids["repositories"][tpl["repository"]],
            "environment_id": ids["environments"][tpl["environment"]], "vaults": vaults}))
    return out


def semaphore_errors(definition: str, body: dict) -> list[str]:
    schema = json.loads(SEM_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator({**schema, "$ref": f"#/definitions/{definition}"})
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def test_semaphore_schema_transcript_says_what_it_stands_in_for():
    first = SEM_SCHEMA.read_text().splitlines()[0]
    assert "Stands in for Semaphore UI's OpenAPI file api-docs.yml" in first and "2.16.14" in first
    jsonschema.Draft7Validator.check_schema(json.loads(SEM_SCHEMA.read_text()))


@pytest.mark.parametrize(("definition", "body"),
                         [pytest.param(d, b, id=f"{d}-{b.get('name')}") for d, b in semaphore_requests(load_semaphore())])
def test_semaphore_request_validates_against_the_api_schema(definition, body):
    assert semaphore_errors(definition, body) == []


@pytest.mark.parametrize(("break_it", "expect"), [
    (lambda d: d["semaphore_templates"][1].update(survey=[]), "Additional properties are not allowed ('survey'"),
    (lambda d: d["semaphore_templates"][1]["survey_vars"][0].update(type="string"), "'string' is not one of"),
    (lambda d: d["semaphore_inventories"][0].update(type="yaml"), "'yaml' is not one of"),
    (lambda d: d["semaphore_keys"][0].update(type="password"), "'password' is not one of"),
    (lambda d: d["semaphore_project"].update(max_parallel_tasks=-1), "less than the minimum"),
    (lambda d: d["semaphore_templates"][0].update(arguments=["--tags", "ollama"]), "is not of type 'string'"),
])
def test_a_broken_semaphore_definition_is_refused(break_it, expect):
    defs = load_semaphore()
    break_it(defs)
    errors = [e for d, b in semaphore_requests(defs) for e in semaphore_errors(d, b)]
    assert any(expect in e for e in errors), errors


def test_semaphore_references_name_defined_objects():
    defs = load_semaphore()
    names = {kind: {i["name"] for i in defs[f"semaphore_{kind}"]}
             for kind in ("keys", "repositories", "inventories", "environments")}
    with pytest.raises(KeyError):
        broken = copy.deepcopy(defs)
        broken["semaphore_templates"][0]["inventory"] = "prod"
        semaphore_requests(broken)
    for tpl in defs["semaphore_templates"]:
        assert tpl["inventory"] in names["inventories"] and tpl["repository"] in names["repositories"]
        assert tpl["environment"] in names["environments"]
        assert all(v["vault_key"] in names["keys"] for v in tpl.get("vaults", []))
    assert json.loads(next(t for t in defs["semaphore_templates"])["arguments"]) == []


def semaphore_questions():
    return [pytest.param(v, id=f"{t['name']}-{v['name']}") for t in load_semaphore()["semaphore_templates"]
            for v in t.get("survey_vars", [])]


@pytest.mark.parametrize("var", semaphore_questions())
def test_semaphore_survey_variable_is_a_role_option_of_a_compatible_type(var):
    choices = [v["value"] for v in var.get("values") or []] or None
    assert survey_var_problems(var["name"], var["type"], SEMAPHORE_COMPATIBLE, var["type"] == "secret", choices) == []


def test_a_semaphore_survey_variable_that_does_not_fit_is_refused():
    assert survey_var_problems("ollama_models", "", SEMAPHORE_COMPATIBLE, False)
    assert survey_var_problems("ollama_context_length", "", SEMAPHORE_COMPATIBLE, False)
    assert survey_var_problems("coolify_root_user_password", "", SEMAPHORE_COMPATIBLE, False)
    assert survey_var_problems("coolify_root_user_password", "secret", SEMAPHORE_COMPATIBLE, True) == []


def test_semaphore_deploy_survey_asks_domain_and_versions():
    asked = {v["name"] for v in semaphore_questions_values()}
    assert {"reverse_proxy_domain", "ollama_version", "openhands_version", "coolify_version"} <= asked


def semaphore_questions_values():
    return [p.values[0] for p in semaphore_questions()]


# ---------------------------------------------------------------------------------------------------------------
# The pins: collections/requirements.yml, galaxy.yml, the execution environment


def shipped_versions() -> dict[str, str]:
    import ansible_collections  # the `ansible` package's tree in the venv

    base = next(pathlib.Path(p) for p in ansible_collections.__path__
                if (pathlib.Path(p) / "community" / "general" / "MANIFEST.json").is_file())
    out = {}
    for manifest in base.glob("*/*/MANIFEST.json"):
        info = json.loads(manifest.read_text())["collection_info"]
        out[f"{info['namespace']}.{info['name']}"] = info["version"]
    return out


def test_collections_requirements_pin_what_the_ansible_package_ships():
    reqs = yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())["collections"]
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    shipped = shipped_versions()
    assert {r["name"] for r in reqs} == set(galaxy["dependencies"]), "the same collections as galaxy.yml depends on"
    assert "ansible.utils" in {r["name"] for r in reqs}
    for req in reqs:
        assert req["version"] == shipped[req["name"]], f"{req['name']}: pin {req['version']}, ansible ships {shipped[req['name']]}"
        for clause in galaxy["dependencies"][req["name"]].split(","):
            op, version = re.fullmatch(r"(>=|<=|==|!=|>|<)(.+)", clause.strip()).groups()
            have, want = LooseVersion(req["version"]), LooseVersion(version)
            assert {">=": have >= want, "<": have < want, ">": have > want, "<=": have <= want,
                    "==": have == want, "!=": have != want}[op], f"{req['name']} {req['version']} outside {clause}"


def test_execution_environment_pins_the_same_collections_and_this_one():
    ee_dir = ROOT / "extensions" / "ee"
    ee = yaml.safe_load((ee_dir / "execution-environment.yml").read_text())
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    project = yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())["collections"]
    baked = yaml.safe_load((ee_dir / ee["dependencies"]["galaxy"]).read_text())["collections"]
    tarball = f"selfhosted-ai_coding-{galaxy['version']}.tar.gz"
    assert [c for c in baked if c.get("type") != "file"] == project
    assert {"name": f"/build/collections/{tarball}", "type": "file"} in baked, "the collection itself, this version"
    assert {"src": tarball, "dest": "collections"} in ee["additional_build_files"]
    assert "fedora" not in ee["images"]["base_image"]["name"]
    core = ee["dependencies"]["ansible_core"]["package_pip"]
    assert core == next(line for line in (ROOT / "requirements-test.txt").read_text().splitlines()
                        if line.startswith("ansible-core=="))


def test_meta_execution_environment_names_files_that_exist_and_netaddr():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    python_file = ROOT / meta["dependencies"]["python"]
    system_file = ROOT / meta["dependencies"]["system"]
    assert python_file.is_file() and system_file.is_file()
    names = [re.split(r"[<>=!~ ;\[]", line)[0] for line in python_file.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert "netaddr" in names
    used = {m.group(0) for p in ROOT.glob("roles/**/*.yml") for m in re.finditer(r"ansible\.utils\.ipaddr", p.read_text())}
    assert used, "netaddr is listed because the roles use ansible.utils.ipaddr; drop it if they stop"
