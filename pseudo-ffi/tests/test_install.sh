#!/usr/bin/env bash
# make test-install: what `make install` gives a C/C++ user, checked from an installed prefix.
# Usage: test_install.sh DIR   (DIR/prefix holds a fresh `make install PREFIX=DIR/prefix`)
#  1. the layout: SONAME, symlinks, stripped libraries, pkg-config and CMake files;
#  2. examples/cpp-etl/etl.cpp built four ways, each run in its `selftest` mode:
#     pkg-config shared (pseudo.pc), pkg-config static (pseudo-static.pc),
#     CMake shared (pseudo::pseudo), CMake static (pseudo::pseudo_static);
#  3. the prefix moved elsewhere: the shared build runs with LD_LIBRARY_PATH, and one linked with
#     the rpath $ORIGIN/../lib runs as it is (pseudo-ffi/README.md, "Moving the library").
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$1"
prefix="$dir/prefix"
csv="$repo/examples/cpp-etl/patients.csv"
etl="$repo/examples/cpp-etl/etl.cpp"
CXX="${CXX:-g++}"
fail() { echo "test-install: $*" >&2; exit 1; }
# needs BINARY PATTERN: whether BINARY records a NEEDED library matching PATTERN (whole output first,
# so that grep -q stopping early cannot fail the pipeline under pipefail).
needs() { local d; d="$(readelf -d "$1")"; grep -q "(NEEDED).*\[$2\]" <<<"$d"; }
selftest() { # BINARY NAME: runs the ETL example's selftest into its own folder
  rm -rf "$dir/run-$2"
  "$1" selftest "$csv" patient_id "$dir/run-$2" >"$dir/run-$2.log" 2>&1 || { cat "$dir/run-$2.log"; fail "$2: selftest failed"; }
  echo "  ok  $2"
}

# 1. Layout.
version="$(sed -n 's/^#define PSEUDO_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/pseudo.h")"
major="${version%%.*}"
lib="$prefix/lib"
[ -f "$lib/libpseudo.so.$version" ] && [ ! -L "$lib/libpseudo.so.$version" ] || fail "no libpseudo.so.$version"
[ "$(readlink "$lib/libpseudo.so.$major")" = "libpseudo.so.$version" ] || fail "libpseudo.so.$major is not a link to libpseudo.so.$version"
[ "$(readlink "$lib/libpseudo.so")" = "libpseudo.so.$major" ] || fail "libpseudo.so is not a link to libpseudo.so.$major"
dyn="$(readelf -d "$lib/libpseudo.so.$version")"
grep -q "(SONAME).*\[libpseudo.so.$major\]" <<<"$dyn" || fail "SONAME is not libpseudo.so.$major"
sections="$(readelf -S "$lib/libpseudo.so.$version")"
grep -qE '\.symtab|\.debug_' <<<"$sections" && fail "libpseudo.so.$version is not stripped"
sections="$(readelf -S "$lib/libpseudo.a" 2>/dev/null)"
grep -q '\.debug_' <<<"$sections" && fail "libpseudo.a still has debug sections"
export PKG_CONFIG_PATH="$lib/pkgconfig"
[ "$(pkg-config --modversion pseudo)" = "$version" ] || fail "pseudo.pc version"
[ "$(pkg-config --modversion pseudo-static)" = "$version" ] || fail "pseudo-static.pc version"
printf '  installed %s\n' "$(cd "$lib" && du -b libpseudo.so.$version libpseudo.a | awk '{printf "%s %.1f MB  ", $2, $1/1e6}')"

# 2. Four builds from the installed prefix.
# pkg-config, shared: the program records libpseudo.so.MAJOR and finds it through the rpath given.
# shellcheck disable=SC2046
"$CXX" -std=c++17 -O2 "$etl" $(pkg-config --cflags --libs pseudo) -Wl,-rpath,"$(pkg-config --variable=libdir pseudo)" \
  -o "$dir/etl-pc-shared"
needs "$dir/etl-pc-shared" "libpseudo.so.$major" || fail "pkg-config shared build does not need libpseudo.so.$major"
selftest "$dir/etl-pc-shared" pkg-config-shared

# pkg-config, static: the archive itself, no libpseudo.so at run time.
# shellcheck disable=SC2046
"$CXX" -std=c++17 -O2 "$etl" $(pkg-config --static --cflags --libs pseudo-static) -o "$dir/etl-pc-static"
needs "$dir/etl-pc-static" "libpseudo[^]]*" && fail "pkg-config static build still needs libpseudo.so"
selftest "$dir/etl-pc-static" pkg-config-static

# CMake, shared and static, through find_package(pseudo CONFIG).
for kind in shared static; do
  opt=OFF; [ "$kind" = static ] && opt=ON
  cmake -S "$repo/pseudo-ffi/tests/cmake" -B "$dir/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DPSEUDO_STATIC=$opt >"$dir/cmake-$kind.log" 2>&1 \
    && cmake --build "$dir/cmake-$kind" >>"$dir/cmake-$kind.log" 2>&1 || { cat "$dir/cmake-$kind.log"; fail "CMake $kind build"; }
  if [ "$kind" = shared ]; then
    needs "$dir/cmake-$kind/pseudo-etl" "libpseudo.so.$major" || fail "CMake shared build does not need libpseudo.so.$major"
  else
    needs "$dir/cmake-$kind/pseudo-etl" "libpseudo[^]]*" && fail "CMake static build still needs libpseudo.so"
  fi
  selftest "$dir/cmake-$kind/pseudo-etl" "cmake-$kind"
done

# 3. Move the prefix. A program linked without an rpath finds the library through LD_LIBRARY_PATH;
#    one installed in PREFIX/bin with the rpath $ORIGIN/../lib moves along with the prefix.
# shellcheck disable=SC2046
"$CXX" -std=c++17 -O2 "$etl" $(pkg-config --cflags --libs pseudo) -o "$dir/etl-no-rpath"
mkdir -p "$prefix/bin"
# shellcheck disable=SC2046,SC2016
"$CXX" -std=c++17 -O2 "$etl" $(pkg-config --cflags --libs pseudo) -Wl,-rpath,'$ORIGIN/../lib' -o "$prefix/bin/pseudo-etl"
rm -rf "$dir/moved"
mv "$prefix" "$dir/moved"
if "$dir/etl-no-rpath" selftest "$csv" patient_id "$dir/run-none" >/dev/null 2>&1; then
  fail "a program without rpath ran with the library moved away: the checks below prove nothing"
fi
LD_LIBRARY_PATH="$dir/moved/lib" selftest "$dir/etl-no-rpath" moved-LD_LIBRARY_PATH
selftest "$dir/moved/bin/pseudo-etl" "moved-rpath-ORIGIN"
mv "$dir/moved" "$prefix"
echo "test-install: all builds ran from the installed prefix"
