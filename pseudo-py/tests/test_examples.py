"""The examples run and type-check: the notebook's code cells and the quickstart script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def test_quickstart_type_checks() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_notebook_runs(capsys: object) -> None:
    notebook = json.loads((EXAMPLES / "quickstart.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 5
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    for source in cells:
        exec(compile(source, "quickstart.ipynb", "exec"), namespace)
    assert namespace["restored"] is not None
