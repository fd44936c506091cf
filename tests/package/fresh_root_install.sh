#!/usr/bin/env bash
# fresh_root_install.sh DEB SOURCE: install the .deb with `dpkg -i` into a fresh Debian 12 root (a
# debootstrap minbase root, built once and cached as a tar under $FRESH_CACHE like
# ../shared/tools/fresh-machine-check does: nothing of the build machine is in it), let
# `apt-get -f install` bring the Depends (libxlsxwriter4 and what it needs), then run `complycli
# --version`, `man complycli`, the bash completion and a `check` of the example company against the
# installed checks, asserting their outputs. A Depends line that misses a library fails here: the
# binary would not start. `make package-test` runs it; it needs root (chroot) and the Debian mirror, so
# `make test` leaves it out (ctest's package.fresh_root runs it only when COMPLYCLI_PACKAGE_TEST=1).
# Exits 77 (skipped) when not root.
set -euo pipefail
deb=$(realpath "$1")
source=$(realpath "$2")
[[ $(id -u) == 0 ]] || { echo "package-test: needs root (chroot); skipping"; exit 77; }
cache=${FRESH_CACHE:-/var/tmp/complycli-fresh}
mirror=${FRESH_MIRROR:-$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)}
[[ -n $mirror ]] || mirror=$(awk '/^deb / && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
mkdir -p "$cache"
base=$cache/minbase.tar
if [[ ! -f $base ]]; then
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  echo "package-test: building a minbase Debian 12 root once (about a minute)" >&2
  rm -rf "$cache/minbase"
  debootstrap --variant=minbase bookworm "$cache/minbase" "$mirror" >"$cache/minbase.log" 2>&1
  cp /etc/resolv.conf "$cache/minbase/etc/resolv.conf" 2>/dev/null || true
  tar -C "$cache/minbase" -cf "$base" . && rm -rf "$cache/minbase"
fi
root=$(mktemp -d "$cache/pkg.XXXX")
cleanup() { umount "$root/proc" 2>/dev/null || true; umount "$root/dev" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
tar -C "$root" -xf "$base"
mount --bind /dev "$root/dev"; mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/complycli.deb"
cp -r "$source/examples/northwind-legal" "$root/tmp/northwind-legal"
run() { chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb bash -c "$1"; }
status=0
expect() { # expect DESCRIPTION COMMAND
  if out=$(run "$2" 2>&1); then echo "ok   $1"; else echo "FAIL $1: $2"; echo "$out" | tail -20; status=1; fi
}
if ! run "apt-get update -qq" >/dev/null 2>&1; then
  echo "FAIL apt-get update in the fresh root (the mirror $mirror)"; exit 1
fi
expect "Depends is libc6 and libxlsxwriter4, each with a version" \
  "dpkg-deb -f /tmp/complycli.deb Depends | grep -E '^libxlsxwriter4 \(>= [0-9.]+\), libc6 \(>= [0-9.]+\)\$'"
echo "     $(run "dpkg-deb -f /tmp/complycli.deb Depends")"
expect "dpkg -i stops on the missing libxlsxwriter4 (the fresh root lacks it)" \
  "! dpkg -i /tmp/complycli.deb >/tmp/dpkg.log 2>&1 && grep -q 'depends on libxlsxwriter4' /tmp/dpkg.log"
expect "apt-get -f install brings the Depends and configures complycli" \
  "DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq --no-install-recommends >/dev/null && dpkg -s complycli | grep -qx 'Status: install ok installed'"
expect "every shared library the binary needs is installed" "! ldd /usr/bin/complycli | grep -q 'not found'"
expect "complycli --version prints the package's version" \
  "complycli --version > /tmp/version.txt && test \"\$(head -1 /tmp/version.txt)\" = \"complycli \$(dpkg-query -W -f='\${Version}' complycli)\" && grep -q '^OpenSSL 3' /tmp/version.txt"
expect "man pages, checks, templates, completions, README and copyright are in place" \
  "test -f /usr/share/man/man1/complycli.1.gz && ls /usr/share/complycli/checks/*.yaml >/dev/null && test -f /usr/share/complycli/templates/check-report.html.mustache && test -f /usr/share/bash-completion/completions/complycli && test -f /usr/share/zsh/vendor-completions/_complycli && test -f /usr/share/fish/vendor_completions.d/complycli.fish && test -f /usr/share/doc/complycli/README.md && grep -q '^License: Apache-2.0' /usr/share/doc/complycli/copyright"
if run "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends man-db >/dev/null" >/dev/null 2>&1; then
  expect "man complycli" "MANPAGER=cat MANWIDTH=80 man complycli > /tmp/man.txt && grep -q '^EXIT STATUS' /tmp/man.txt && grep -Eq '^ +complycli +- prove' /tmp/man.txt"
  expect "man complycli-check" "MANPAGER=cat MANWIDTH=80 man complycli-check | grep -Eq '^ +complycli-check +- check'"
else
  echo "FAIL man-db could not be installed from the mirror"; status=1
fi
# The example company fails some checks (exit 1); the summary counts every installed check, and one
# fewer when one is moved away, so the checks read are the installed ones.
expect "a check against the installed checks" \
  "cd /tmp && n=\$(ls /usr/share/complycli/checks/*.yaml | wc -l) && { complycli check northwind-legal --date 2026-11-25 > out.txt; test \$? = 1; } && tail -1 out.txt | grep -E \"^\$n checks: [0-9]+ pass, [1-9][0-9]* fail\" && mv /usr/share/complycli/checks/tls-strong-ciphers.yaml /tmp/ && { complycli check northwind-legal --date 2026-11-25 > out2.txt; mv /tmp/tls-strong-ciphers.yaml /usr/share/complycli/checks/; } && tail -1 out2.txt | grep -E \"^\$((n - 1)) checks: \""
echo "     $(run "tail -1 /tmp/out.txt")"
expect "an HTML report of the check" \
  "cd /tmp && { complycli check northwind-legal --date 2026-11-25 --format html -o report.html; test \$? = 1; } && grep -q 'complycli check report' report.html && grep -q '<svg' report.html"
# libxlsxwriter is loaded with dlopen (docs/packaging.md): the Depends must have brought it.
expect "answer writes XLSX with the libxlsxwriter the Depends brought" \
  "mkdir -p /tmp/xlsx && cd /tmp/xlsx && complycli -q init && { complycli check ../northwind-legal --date 2026-11-25 --results results.json >/dev/null 2>&1; test \$? = 1; } && complycli answer --questionnaire ../northwind-legal/fragebogen-acme.csv --question-column Frage --profile ../northwind-legal/profile.yaml --results results.json --format xlsx -o answers.xlsx >/dev/null 2>&1 && test \"\$(head -c 2 answers.xlsx)\" = PK"
expect "the bash completion completes subcommands" \
  "source /usr/share/bash-completion/completions/complycli && COMP_WORDS=(complycli che) COMP_CWORD=1 && _complycli && [[ \" \${COMPREPLY[*]} \" == *' check '* ]]"
expect "dpkg -r removes it" "dpkg -r complycli >/dev/null && ! test -e /usr/bin/complycli"
exit $status
