#!/usr/bin/env bash
# package.sh BUILD: build complycli_VERSION_amd64.deb with CPack from the configured build folder BUILD
# (`make package`, docs/packaging.md) and print its path and Depends line.
# The binary links its libraries statically except glibc, so it refuses a binary that needs any other
# shared library. CPack runs dpkg-shlibdeps on the binary, which writes the libc6 Depends from glibc's
# shlibs file; libxlsxwriter4 (Debian ships libxlsxwriter only shared; `answer --format xlsx` loads it
# with dlopen, which dpkg-shlibdeps cannot see) is written in CMakeLists.txt.
set -euo pipefail
build=$(realpath "$1")
binary=$build/cli/complycli
# What the package holds, and nothing more (CPack's own pre-install step does not build `all`:
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY in CMakeLists.txt, so the tests and benchmarks are not built for it).
cmake --build "$build" --target complycli completions man_pages >/dev/null
needed=$(objdump -p "$binary" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
for lib in $needed; do
  case $lib in
    libc.so.*|libm.so.*|ld-linux*) ;;  # glibc: Debian's libc6
    *) echo "package: error: $binary needs $lib; configure with -DCOMPLYCLI_STATIC_DEPS=ON" >&2; exit 3 ;;
  esac
done
for tool in cpack dpkg-shlibdeps dpkg-deb readelf; do
  command -v $tool >/dev/null || { echo "package: error: $tool is missing (scripts/install-deps --package)" >&2; exit 3; }
done
rm -f "$build"/package/complycli_*_amd64.deb
log=$build/package/cpack.log
mkdir -p "$build/package"
if ! (cd "$build" && cpack -G DEB >"$log" 2>&1); then
  echo "package: error: cpack failed; its output:" >&2; cat "$log" >&2; exit 3
fi
deb=$(ls "$build"/package/complycli_*_amd64.deb)
depends=$(dpkg-deb -f "$deb" Depends)
for want in libc6 libxlsxwriter4; do
  [[ ", $depends," == *", $want "* ]] || { echo "package: error: Depends lacks $want: $depends" >&2; exit 3; }
done
extract=$(mktemp -d); trap 'rm -rf "$extract"' EXIT
dpkg-deb -x "$deb" "$extract"
if readelf -S "$extract/usr/bin/complycli" | grep -Eq '\.(debug_info|symtab)'; then
  echo "package: error: the packaged binary is not stripped" >&2; exit 3
fi
echo "package: $deb"
echo "package: Depends: $depends (the binary needs $needed)"
