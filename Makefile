# pseudo — top-level tasks. `make demo` runs the end-to-end demo, `make test` every test.
# The C ABI (pseudo-ffi/ffi.mk) and Python (pseudo-py/py.mk) parts add their own targets.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: demo test setup demo-rust test-rust test-features test-spec bench wire-memory fuzz lint vectors demo-ffi test-ffi demo-py test-py

# Both start with `setup` (idempotent, quick once done), so they work on a fresh machine.
demo: setup demo-rust demo-ffi demo-py demo-server

test: setup lint test-rust test-features test-spec test-ffi test-install test-py test-wheel test-server test-postgres test-portal

setup:
	bash .ci/setup

demo-rust:
	$(CARGO) run -q --release -p pseudo-core --example quickstart
	$(CARGO) run -q --release -p pseudo-core --example lifecycle

# The server and command line have their own target (test-server) that runs their tests once.
test-rust:
	$(CARGO) test --workspace --exclude pseudo-py --exclude pseudo-server --exclude pseudo-cli

# pseudo-core for an engine-only service (no registry, no SQLite): builds, and its tests, examples
# and docs stay warning-free; the crate's package file list is complete.
test-features:
	$(CARGO) build -q -p pseudo-core --no-default-features
	$(CARGO) clippy -q -p pseudo-core --no-default-features --all-targets -- -D warnings
	$(CARGO) package -q -p pseudo-core --list --allow-dirty >/dev/null

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --exclude pseudo-py --no-deps -q

# docs/SPEC.md checked by an independent implementation (pyca/cryptography) against the vectors.
test-spec: py-deps
	$(PY) docs/reference/pseudo_ref.py

bench:
	$(CARGO) bench -p pseudo-core --bench transforms

# Peak memory of one 1 M-value wire request (JSON and CSV), with /usr/bin/time -v.
wire-memory:
	$(CARGO) build -q --release -p pseudo-core --example wire_memory
	for f in json csv; do /usr/bin/time -v target/release/examples/wire_memory $$f 2>&1 | grep -E 'values|Maximum resident'; done

# Runs every fuzzer for FUZZ_SECONDS each (cargo-fuzz on the stable toolchain: RUSTC_BOOTSTRAP=1
# unlocks the sanitizer flags it passes). New corpus entries land in fuzz/corpus/<target>/;
# `make test` replays the committed corpora on stable Rust.
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in $$(RUSTC_BOOTSTRAP=1 $(CARGO) fuzz list); do \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done

# Regenerates pseudo-core/tests/vectors/vectors.json (the tests fail when it drifts).
vectors:
	$(CARGO) run -q -p pseudo-core --example gen_vectors > pseudo-core/tests/vectors/vectors.json

-include pseudo-ffi/ffi.mk
-include pseudo-py/py.mk
-include pseudo-py/wheel.mk
-include pseudo-server/server.mk
-include postgres.mk
-include pseudo-server/portal.mk
