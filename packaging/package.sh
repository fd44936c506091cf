#!/usr/bin/env bash
# package.sh BUILD: build complycli_VERSION_amd64.deb with CPack from the configured build folder BUILD
# (`make package`). Checks that the binary needs no shared library but glibc's, sets the libc6
# version in Depends to the newest GLIBC_ symbol version it uses, and prints the package's path.
set -euo pipefail
build=$(realpath "$1")
binary=$build/cli/complycli
needed=$(objdump -p "$binary" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
for lib in $needed; do
  case $lib in
    libc.so.*|libm.so.*|ld-linux*) ;;  # all in Debian's libc6
    *) echo "package: error: $binary needs $lib; configure with COMPLYCLI_STATIC_DEPS=ON" >&2; exit 3 ;;
  esac
done
glibc=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
cmake -DCOMPLYCLI_DEB_LIBC="libc6 (>= $glibc)" "$build" >/dev/null
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls -t "$build"/package/complycli_*_amd64.deb | head -1)
extract=$(mktemp -d); trap 'rm -rf "$extract"' EXIT
dpkg-deb -x "$deb" "$extract"
if readelf -S "$extract/usr/bin/complycli" | grep -Eq '\.(debug_info|symtab)'; then
  echo "package: error: the packaged binary is not stripped" >&2; exit 3
fi
echo "package: $deb (Depends: libc6 (>= $glibc); needs $needed)"
