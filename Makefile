# pseudo — top-level tasks. `make demo` runs the end-to-end demo, `make test` every test.
# The C ABI (pseudo-ffi/ffi.mk) and Python (pseudo-py/py.mk) parts add their own targets.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: demo test setup demo-rust test-rust test-spec bench lint vectors demo-ffi test-ffi demo-py test-py

demo: demo-rust demo-ffi demo-py

test: lint test-rust test-spec test-ffi test-py

setup:
	bash .ci/setup

demo-rust:
	$(CARGO) run -q --release -p pseudo-core --example quickstart
	$(CARGO) run -q --release -p pseudo-core --example lifecycle

test-rust:
	$(CARGO) test --workspace --exclude pseudo-py

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --exclude pseudo-py --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --exclude pseudo-py --no-deps -q

# docs/SPEC.md checked by an independent implementation (pyca/cryptography) against the vectors.
test-spec: py-deps
	$(PY) docs/reference/pseudo_ref.py

bench:
	$(CARGO) bench -p pseudo-core --bench transforms

# Regenerates pseudo-core/tests/vectors/vectors.json (the tests fail when it drifts).
vectors:
	$(CARGO) run -q -p pseudo-core --example gen_vectors > pseudo-core/tests/vectors/vectors.json

-include pseudo-ffi/ffi.mk
-include pseudo-py/py.mk
