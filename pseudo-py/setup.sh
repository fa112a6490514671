#!/usr/bin/env bash
# One-time setup of the Python bindings' tools, called by .ci/setup: the virtual environment
# (.venv at the repo root) with maturin, pytest, mypy, pandas, polars, pyarrow, tqdm, pyspark and
# cryptography, and a Java runtime for the Spark test. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s py-deps
# tests/test_spark.py runs a real local Spark, which needs a Java runtime (Debian's package).
if ! command -v java >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless
fi
