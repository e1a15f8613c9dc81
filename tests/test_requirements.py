"""The requirement registry and the generated docs/requirements.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspec.cli import main
from spec.requirements import RequirementError, load_all, render_markdown, requirement

DOC = Path(__file__).resolve().parent.parent / "docs" / "requirements.md"


def test_docs_requirements_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(load_all()), (
        "docs/requirements.md is stale: run 'kspec requirements --write docs/requirements.md'"
    )


def test_cli_check_detects_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "requirements.md"
    stale.write_text("# Requirements\n\nout of date\n", encoding="utf-8")
    assert main(["requirements", "--check", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert main(["requirements", "--write", str(stale)]) == 0
    assert main(["requirements", "--check", str(stale)]) == 0


def test_every_declared_requirement_is_well_formed() -> None:
    requirements = load_all()
    assert requirements, "no requirement declared"
    for rid, req in requirements.items():
        assert rid == req.id
        assert "MUST" in req.statement
        assert req.source.strip()
        assert req.module.startswith("spec."), f"{rid} declared outside spec/: {req.module}"


@pytest.mark.parametrize(
    ("rid", "statement", "component", "source", "complaint"),
    [
        ("reg-lower", "X MUST hold.", "register", "seed", "must look like"),
        ("NODASH", "X MUST hold.", "register", "seed", "must look like"),
        ("REG-NO-MUST", "X should hold.", "register", "seed", "must say MUST"),
        ("REG-BAD-COMPONENT", "X MUST hold.", "teleporter", "seed", "unknown component"),
        ("REG-NO-SOURCE", "X MUST hold.", "register", " ", "a source is required"),
    ],
)
def test_malformed_declarations_are_rejected(
    rid: str, statement: str, component: str, source: str, complaint: str
) -> None:
    with pytest.raises(RequirementError, match=complaint):
        requirement(rid, statement, component=component, source=source)


def test_an_id_declared_twice_with_different_text_is_rejected() -> None:
    load_all()
    with pytest.raises(RequirementError, match="declared twice"):
        requirement("REG-CONVERGE", "Something else MUST hold.", component="register", source="elsewhere")
