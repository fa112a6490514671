# C ABI targets, included by the root Makefile (run from the repository root).
#   make test-ffi   release libpseudo.{so,a}, header drift check, C and C++ consumers,
#                   valgrind (shared library) and AddressSanitizer (static library) runs
#   make demo-ffi   the C++ ETL example on its sample CSV
#   make header-ffi regenerate include/pseudo.h (commit the result)
#   make install PREFIX=...   header, libpseudo.so.X.Y.Z (+ .so.X, .so links), libpseudo.a,
#                   pkg-config files and the CMake package, libraries stripped (alias: install-ffi)
#   make test-install installs into a temporary prefix and builds the C++ ETL example from it four
#                   ways (pkg-config and CMake, shared and static), then moves the prefix and runs it
FFI_TARGET ?= $(or $(CARGO_TARGET_DIR),target)
FFI_LIBDIR := $(FFI_TARGET)/release
FFI_OUT := $(FFI_TARGET)/ffi
FFI_CC ?= gcc
FFI_CXX ?= g++
FFI_WARN := -Wall -Wextra -Werror -pedantic
# System libraries libpseudo.a needs (rustc --print native-static-libs, less what cc adds itself).
FFI_STATIC_LIBS := -lpthread -ldl -lm -lrt -lutil
# The library version is the header's; the SONAME carries its major number (pseudo-ffi/build.rs).
FFI_VERSION = $(shell sed -n 's/^\#define PSEUDO_VERSION_STRING "\(.*\)"/\1/p' include/pseudo.h)
FFI_SOMAJOR = $(firstword $(subst ., ,$(FFI_VERSION)))
FFI_SHARED := -Iinclude -L$(FFI_LIBDIR) -lpseudo -Wl,-rpath,$(abspath $(FFI_LIBDIR))
FFI_VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
CBINDGEN := cbindgen --quiet --config pseudo-ffi/cbindgen.toml --crate pseudo-ffi

.PHONY: build-ffi header-ffi check-header-ffi

# The libpseudo.so.MAJOR link lets programs linked against the build tree find the SONAME they record.
build-ffi:
	$(CARGO) build --release -p pseudo-ffi
	ln -sfn libpseudo.so $(FFI_LIBDIR)/libpseudo.so.$(FFI_SOMAJOR)

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

# Installs under $(DESTDIR)$(PREFIX) (default /usr/local):
#   include/pseudo.h
#   lib/libpseudo.so.X.Y.Z, lib/libpseudo.so.X -> .so.X.Y.Z, lib/libpseudo.so -> .so.X   (stripped)
#   lib/libpseudo.a              (debug info and the LLVM bitcode only rustc's LTO reads stripped)
#   lib/pkgconfig/pseudo.pc (shared), lib/pkgconfig/pseudo-static.pc (the archive)
#   lib/cmake/pseudo/pseudoConfig.cmake + pseudoConfigVersion.cmake (pseudo::pseudo, pseudo::pseudo_static)
# After installing into a directory ld.so searches (/usr/local/lib), run `ldconfig` as root.
PREFIX ?= /usr/local
STRIP ?= strip
FFI_DEST = $(DESTDIR)$(PREFIX)
FFI_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(FFI_VERSION)|g' -e 's|@SOMAJOR@|$(FFI_SOMAJOR)|g' \
  -e 's|@STATIC_LIBS@|$(FFI_STATIC_LIBS)|g'
.PHONY: install install-ffi test-install
install: install-ffi
install-ffi: build-ffi
	@test -n "$(FFI_VERSION)" || { echo "no PSEUDO_VERSION_STRING in include/pseudo.h"; exit 1; }
	install -d $(FFI_DEST)/include $(FFI_DEST)/lib/pkgconfig $(FFI_DEST)/lib/cmake/pseudo
	install -m 644 include/pseudo.h $(FFI_DEST)/include/
	install -m 755 $(FFI_LIBDIR)/libpseudo.so $(FFI_DEST)/lib/libpseudo.so.$(FFI_VERSION)
	$(STRIP) --strip-unneeded $(FFI_DEST)/lib/libpseudo.so.$(FFI_VERSION)
	ln -sfn libpseudo.so.$(FFI_VERSION) $(FFI_DEST)/lib/libpseudo.so.$(FFI_SOMAJOR)
	ln -sfn libpseudo.so.$(FFI_SOMAJOR) $(FFI_DEST)/lib/libpseudo.so
	install -m 644 $(FFI_LIBDIR)/libpseudo.a $(FFI_DEST)/lib/
	$(STRIP) --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd $(FFI_DEST)/lib/libpseudo.a
	$(FFI_SUBST) pseudo-ffi/pseudo.pc.in > $(FFI_DEST)/lib/pkgconfig/pseudo.pc
	$(FFI_SUBST) pseudo-ffi/pseudo-static.pc.in > $(FFI_DEST)/lib/pkgconfig/pseudo-static.pc
	$(FFI_SUBST) pseudo-ffi/cmake/pseudoConfig.cmake.in > $(FFI_DEST)/lib/cmake/pseudo/pseudoConfig.cmake
	$(FFI_SUBST) pseudo-ffi/cmake/pseudoConfigVersion.cmake.in > $(FFI_DEST)/lib/cmake/pseudo/pseudoConfigVersion.cmake

# Everything the install gives a C/C++ user, from a throw-away prefix (pseudo-ffi/tests/test_install.sh).
test-install: build-ffi
	rm -rf $(FFI_OUT)/install
	$(MAKE) --no-print-directory install-ffi PREFIX=$(abspath $(FFI_OUT))/install/prefix >/dev/null
	bash pseudo-ffi/tests/test_install.sh $(abspath $(FFI_OUT))/install
