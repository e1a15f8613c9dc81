"""The node-join example of docs/security-authn.md runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "security-authn.md"


@pytest.mark.requirement("SEC-JOIN-BOOTSTRAP")
def test_node_join_example_runs() -> None:
    text = DOC.read_text()
    section = text[text.index("## Node join") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(DOC), "exec"), {})
    assert "401 Unauthorized" in out.getvalue()
