# Python distribution (pseudo-py): included by the root Makefile.
#   make wheel       abi3 manylinux2014 (glibc 2.17) wheels for x86_64 and, when the Rust target
#                    can be had, aarch64, plus an sdist, into dist/ (maturin --zig: no container)
#   make test-wheel  builds the x86_64 wheel, installs it into a fresh virtual environment with
#                    nothing from this tree on its path, and runs the quickstart there
# The distribution is `pseudo-incert` (`pseudo` on PyPI is an unrelated project); the import
# name stays `pseudo`.

WHEEL_DIR ?= dist
WHEEL_DEPS := $(PY_VENV)/.pseudo-wheel-deps
# maturin's zig linker support is tested against ziglang below 0.13.
WHEEL_REQS := "ziglang>=0.11,<0.13"
# maturin finds zig as `python3 -m ziglang` on PATH: the venv first.
WHEEL_MATURIN = cd pseudo-py && PATH="$(abspath $(PY_VENV))/bin:$$PATH" VIRTUAL_ENV="$(abspath $(PY_VENV))" "$(abspath $(PY_VENV))/bin/maturin"

.PHONY: wheel wheel-x86_64 test-wheel

$(WHEEL_DEPS): $(PY_DEPS)
	$(PY) -m pip install -q --disable-pip-version-check $(WHEEL_REQS)
	touch $@

wheel-x86_64: $(WHEEL_DEPS)
	$(WHEEL_MATURIN) build --release --zig --compatibility manylinux2014 \
	  --target x86_64-unknown-linux-gnu --out "$(abspath $(WHEEL_DIR))"

wheel: wheel-x86_64
	@if rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$$' \
	    || rustup target add aarch64-unknown-linux-gnu; then \
	  $(WHEEL_MATURIN) build --release --zig --compatibility manylinux2014 \
	    --target aarch64-unknown-linux-gnu --out "$(abspath $(WHEEL_DIR))"; \
	else echo "wheel: no aarch64 Rust target here (rustup target add aarch64-unknown-linux-gnu); x86_64 only"; fi
	$(WHEEL_MATURIN) sdist --out "$(abspath $(WHEEL_DIR))"
	ls -l $(WHEEL_DIR)

# A fresh venv outside the tree; the wheel and pandas (the quickstart's DataFrame) from PyPI are
# all it gets. The quickstart runs from a temporary folder so that `import pseudo` cannot pick up
# pseudo-py/python.
test-wheel: WHEEL_DIR := $(or $(CARGO_TARGET_DIR),target)/wheel-test
test-wheel: wheel-x86_64
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	whl=$$(ls -t $(WHEEL_DIR)/pseudo_incert-*-cp*-abi3-manylinux*2014_x86_64*.whl | head -1); \
	echo "test-wheel: $$(basename $$whl) ($$(du -h $$whl | cut -f1))"; \
	$(PY_BASE) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check "$$whl" "pandas>=1.5"; \
	"$$tmp/venv/bin/python" -m pip show pseudo-incert | grep -E '^(Name|Version):'; \
	cp examples/python/quickstart.py "$$tmp/"; \
	cd "$$tmp" && ./venv/bin/python -c 'import pseudo, sys; assert "site-packages" in pseudo.__file__, pseudo.__file__' \
	  && ./venv/bin/python quickstart.py >/dev/null && echo "test-wheel: quickstart ran from the installed wheel"
