#!/usr/bin/env bash
# Installs the pinned cbindgen that generates include/pseudo.h. Called by .ci/setup; idempotent.
set -euo pipefail
CBINDGEN_VERSION=0.29.2
if command -v cbindgen >/dev/null && [ "$(cbindgen --version)" = "cbindgen ${CBINDGEN_VERSION}" ]; then
  exit 0
fi
cargo install cbindgen --locked --version "${CBINDGEN_VERSION}"
