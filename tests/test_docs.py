"""Docs that come from the code must be current; the contract doc must name every key."""

import importlib.util
from pathlib import Path

import threadsmith
from threadsmith.model import Family

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current() -> None:
    generator = _generator()
    for name, build in generator.GENERATED.items():
        current = (DOCS / name).read_text(encoding="utf-8")
        assert current == build(), f"docs/{name} is stale: run `make docs`"


def test_every_check_is_in_the_reference() -> None:
    text = (DOCS / "checks.md").read_text(encoding="utf-8")
    for check in threadsmith.all_checks():
        assert f"## {check.code}" in text


def test_contract_doc_names_every_key_and_family() -> None:
    text = (DOCS / "audit-json.md").read_text(encoding="utf-8")
    finding = threadsmith.Finding("ST004", "empty-content", Family.STRUCTURE, threadsmith.Severity.ERROR, "m")
    for key in finding.to_dict():
        assert f"`{key}`" in text, key
    for family in Family:
        assert f"`{family.value}`" in text, family
