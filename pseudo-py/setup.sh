#!/usr/bin/env bash
# One-time setup of the Python bindings' tools, called by .ci/setup: the virtual environment
# (.venv at the repo root) with maturin, pytest, mypy, pandas and cryptography. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s py-deps
