# Python bindings (pseudo-py): included by the root Makefile; paths are relative to the repo root.
#   make test-py   builds the extension into .venv (maturin, release) and runs pytest (incl. stubtest)
#   make demo-py   runs examples/python/quickstart.py and lifecycle.py
#   make bench-py  installs the peers (Tink, pyca/cryptography, PyJWT) and runs benches/python/peers.py
# The virtual environment is made and filled on first use; later runs only rebuild what changed.

PY_BASE ?= python3
PY_VENV ?= .venv
PY := $(PY_VENV)/bin/python
PY_DEPS := $(PY_VENV)/.pseudo-test-deps
PY_BENCH_DEPS := $(PY_VENV)/.pseudo-bench-deps
PY_TEST_REQS := "maturin>=1.9.4,<2" "pytest>=8" "mypy>=1.10" "pandas>=1.5" "cryptography>=42" \
	"polars>=1.0" "pyarrow>=14" "tqdm>=4.60" "pyspark>=4.0"
PY_BENCH_REQS := "tink>=1.9" "cryptography>=42" "PyJWT[crypto]>=2.8"

.PHONY: py-deps py-develop test-py demo-py bench-py

$(PY):
	$(PY_BASE) -m venv $(PY_VENV)

$(PY_DEPS): $(PY) pseudo-py/py.mk
	$(PY) -m pip install -q --disable-pip-version-check $(PY_TEST_REQS)
	touch $@

py-deps: $(PY_DEPS)

py-develop: $(PY_DEPS)
	cd pseudo-py && VIRTUAL_ENV="$(abspath $(PY_VENV))" "$(abspath $(PY_VENV))/bin/maturin" develop --release -q

test-py: py-develop
	cd pseudo-py && "$(abspath $(PY))" -m pytest -q

demo-py: py-develop
	$(PY) examples/python/quickstart.py
	$(PY) examples/python/lifecycle.py

$(PY_BENCH_DEPS): $(PY_DEPS)
	$(PY) -m pip install -q --disable-pip-version-check $(PY_BENCH_REQS)
	touch $@

bench-py: py-develop $(PY_BENCH_DEPS)
	$(PY) benches/python/peers.py
