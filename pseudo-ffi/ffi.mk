# C ABI targets, included by the root Makefile (run from the repository root).
#   make test-ffi   release libpseudo.{so,a}, header drift check, C and C++ consumers,
#                   valgrind (shared library) and AddressSanitizer (static library) runs
#   make demo-ffi   the C++ ETL example on its sample CSV
#   make header-ffi regenerate include/pseudo.h (commit the result)
FFI_TARGET ?= $(or $(CARGO_TARGET_DIR),target)
FFI_LIBDIR := $(FFI_TARGET)/release
FFI_OUT := $(FFI_TARGET)/ffi
FFI_CC ?= gcc
FFI_CXX ?= g++
FFI_WARN := -Wall -Wextra -Werror -pedantic
FFI_STATIC_LIBS := -lpthread -ldl -lm -lrt -lutil
FFI_SHARED := -Iinclude -L$(FFI_LIBDIR) -lpseudo -Wl,-rpath,$(abspath $(FFI_LIBDIR))
FFI_VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
CBINDGEN := cbindgen --quiet --config pseudo-ffi/cbindgen.toml --crate pseudo-ffi

.PHONY: build-ffi header-ffi check-header-ffi

build-ffi:
	$(CARGO) build --release -p pseudo-ffi

header-ffi:
	$(CBINDGEN) --output include/pseudo.h pseudo-ffi

check-header-ffi:
	@mkdir -p $(FFI_OUT)
	$(CBINDGEN) --output $(FFI_OUT)/pseudo.h pseudo-ffi
	@diff -u include/pseudo.h $(FFI_OUT)/pseudo.h || { echo "include/pseudo.h differs from cbindgen's output: run 'make header-ffi' and commit it"; exit 1; }

test-ffi: build-ffi check-header-ffi
	@mkdir -p $(FFI_OUT)
	$(FFI_CC) -std=c11 $(FFI_WARN) -g -pthread pseudo-ffi/tests/test_ffi.c $(FFI_SHARED) -o $(FFI_OUT)/test_ffi
	$(FFI_CC) -std=c11 $(FFI_WARN) -g -pthread pseudo-ffi/tests/test_registry.c $(FFI_SHARED) -o $(FFI_OUT)/test_registry
	$(FFI_CXX) -std=c++17 $(FFI_WARN) -g pseudo-ffi/tests/test_header.cpp $(FFI_SHARED) -o $(FFI_OUT)/test_header_cpp
	$(FFI_CXX) -std=c++17 $(FFI_WARN) -g examples/cpp-etl/etl.cpp $(FFI_SHARED) -o $(FFI_OUT)/pseudo-etl
	$(FFI_OUT)/test_ffi
	$(FFI_OUT)/test_registry
	$(FFI_OUT)/test_header_cpp
	$(FFI_VALGRIND) $(FFI_OUT)/test_ffi
	$(FFI_VALGRIND) $(FFI_OUT)/test_registry
	$(FFI_VALGRIND) $(FFI_OUT)/test_header_cpp
	$(FFI_CC) -std=c11 $(FFI_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer -pthread -Iinclude \
	  pseudo-ffi/tests/test_ffi.c $(FFI_LIBDIR)/libpseudo.a $(FFI_STATIC_LIBS) -o $(FFI_OUT)/test_ffi_asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1 $(FFI_OUT)/test_ffi_asan
	$(FFI_CC) -std=c11 $(FFI_WARN) -g -fsanitize=address,undefined -fno-omit-frame-pointer -pthread -Iinclude \
	  pseudo-ffi/tests/test_registry.c $(FFI_LIBDIR)/libpseudo.a $(FFI_STATIC_LIBS) -o $(FFI_OUT)/test_registry_asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1 $(FFI_OUT)/test_registry_asan
	$(FFI_OUT)/pseudo-etl selftest examples/cpp-etl/patients.csv patient_id $(FFI_OUT)/etl-selftest
	cd $(FFI_OUT)/etl-selftest && for op in pseudonymise:psn:patients.csv:file-psn.csv reverse:rev:file-psn.csv:file-back.csv; do \
	  IFS=: read -r mode tok in out <<< "$$op"; \
	  ../pseudo-etl $$mode --keyring keyring.hex --verifying-key verifying-key.pem --issuer https://portal.example \
	    --audience pseudo-engine --token-file $$tok.token --column patient_id --batch 3 \
	    $$( [ $$in = patients.csv ] && echo $(abspath examples/cpp-etl/patients.csv) || echo $$in ) $$out || exit 1; \
	done && cmp file-back.csv restored.csv && cmp file-psn.csv pseudonymised.csv
	$(MAKE) --no-print-directory install-ffi PREFIX=$(abspath $(FFI_OUT))/prefix >/dev/null
	PKG_CONFIG_PATH=$(FFI_OUT)/prefix/lib/pkgconfig $(FFI_CXX) -std=c++17 pseudo-ffi/tests/test_header.cpp \
	  $$(PKG_CONFIG_PATH=$(FFI_OUT)/prefix/lib/pkgconfig pkg-config --cflags --libs pseudo) \
	  -Wl,-rpath,$(abspath $(FFI_OUT))/prefix/lib -o $(FFI_OUT)/test_header_pkgconfig
	$(FFI_OUT)/test_header_pkgconfig

demo-ffi: build-ffi
	@mkdir -p $(FFI_OUT)
	$(FFI_CXX) -std=c++17 $(FFI_WARN) -O2 examples/cpp-etl/etl.cpp $(FFI_SHARED) -o $(FFI_OUT)/pseudo-etl
	$(FFI_OUT)/pseudo-etl demo examples/cpp-etl/patients.csv patient_id $(FFI_OUT)/etl-demo

# Installs header, libraries and pseudo.pc under PREFIX (default /usr/local).
PREFIX ?= /usr/local
.PHONY: install-ffi
install-ffi: build-ffi
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/pseudo.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(FFI_LIBDIR)/libpseudo.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(FFI_LIBDIR)/libpseudo.a $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e "s|@VERSION@|$$(sed -n 's/^#define PSEUDO_VERSION_STRING "\(.*\)"/\1/p' include/pseudo.h)|" \
	  pseudo-ffi/pseudo.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/pseudo.pc
