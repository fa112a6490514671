"""The examples run and type-check: the notebook's code cells and the quickstart and lifecycle scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pseudo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"


def test_scripts_type_check() -> None:
    scripts = [str(EXAMPLES / "quickstart.py"), str(EXAMPLES / "lifecycle.py")]
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", *scripts],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_lifecycle_runs() -> None:
    run = subprocess.run([sys.executable, str(EXAMPLES / "lifecycle.py")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    for step in ["request_not_approved", "cannot_reverse", "the engine refuses it", "restored", "records left"]:
        assert step in out, step
    assert out.rstrip().endswith("lifecycle: OK")


def test_notebook_runs(capsys: object) -> None:
    notebook = json.loads((EXAMPLES / "quickstart.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 5
    namespace: dict[str, object] = {"__name__": "__notebook__"}
    for source in cells:
        exec(compile(source, "quickstart.ipynb", "exec"), namespace)
    assert namespace["restored"] is not None
    registry = namespace["reg"]
    assert isinstance(registry, pseudo.Registry)
    assert [t.name for t in registry.tokens()] == ["spare"]
