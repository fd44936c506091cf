#!/usr/bin/env bash
# deb_contents.sh BUILD: `make package`'s script builds the .deb from the build folder BUILD; check its
# Depends line and that every file the package promises is in it (docs/packaging.md). ctest package.deb;
# skipped (77) without dpkg-dev (scripts/install-deps --package). No root needed.
set -euo pipefail
build=$(realpath "$1")
source=$(cd "$(dirname "$0")/../.." && pwd)
command -v dpkg-shlibdeps >/dev/null || { echo "skip: dpkg-shlibdeps is missing (scripts/install-deps --package)"; exit 77; }
"$source/packaging/package.sh" "$build"
deb=$(ls "$build"/package/complycli_*_amd64.deb)
depends=$(dpkg-deb -f "$deb" Depends)
status=0
# libxlsxwriter4 is written in CMakeLists.txt (the binary loads it with dlopen); libc6 by dpkg-shlibdeps.
if [[ ! $depends =~ ^libxlsxwriter4\ \(\>=\ [0-9.]+\),\ libc6\ \(\>=\ [0-9.]+\)$ ]]; then
  echo "FAIL Depends is not 'libxlsxwriter4 (>= V), libc6 (>= V)': $depends"; status=1
fi
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for path in /usr/bin/complycli /usr/share/man/man1/complycli.1.gz /usr/share/man/man1/complycli-check.1.gz \
            /usr/share/complycli/templates/check-report.html.mustache \
            /usr/share/bash-completion/completions/complycli /usr/share/zsh/vendor-completions/_complycli \
            /usr/share/fish/vendor_completions.d/complycli.fish \
            /usr/share/doc/complycli/README.md /usr/share/doc/complycli/copyright \
            /usr/share/doc/complycli/examples/northwind-legal/profile.yaml; do
  grep -qx "$path" <<< "$contents" || { echo "FAIL the .deb lacks $path"; status=1; }
done
checks=$(grep -c '^/usr/share/complycli/checks/.*\.yaml$' <<< "$contents" || true)
want=$(find "$source/checks" -name '*.yaml' | wc -l)
[[ $checks == "$want" ]] || { echo "FAIL the .deb has $checks checks, the source $want"; status=1; }
outside=$(grep -v '^/usr/\(bin\|share\)/\|^/usr/$\|^/$' <<< "$contents" || true)
[[ -z $outside ]] || { echo "FAIL files outside /usr/bin and /usr/share: $outside"; status=1; }
(( status == 0 )) && echo "ok: $(basename "$deb"): Depends: $depends; $(wc -l <<< "$contents") entries, $checks checks"
exit $status
