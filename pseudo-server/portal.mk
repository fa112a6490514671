# The portal's browser suite (pseudo-server/tests/portal): included by the root Makefile.
#   make test-portal   builds the release `pseudo`, installs selenium and pytest into .venv and drives
#                      Debian's headless chromium (chromium-driver) against `pseudo serve` on 127.0.0.1.
# Screenshots of every page land in pseudo-server/tests/portal/artifacts/ (git-ignored).
PY_BASE ?= python3
PY_VENV ?= .venv
PY ?= $(PY_VENV)/bin/python
PORTAL_DEPS := $(PY_VENV)/.pseudo-portal-deps
PORTAL_REQS := "selenium>=4.20,<5" "pytest>=8"

.PHONY: test-portal

$(PORTAL_DEPS): pseudo-server/portal.mk
	test -x $(PY) || $(PY_BASE) -m venv $(PY_VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(PORTAL_REQS)
	touch $@

test-portal: $(PORTAL_DEPS)
	$(CARGO) build -q --release -p pseudo-cli
	PSEUDO_BIN="$(abspath target/release/pseudo)" $(PY) -m pytest -q pseudo-server/tests/portal
