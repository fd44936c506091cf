#!/usr/bin/env bash
# fresh_root_install.sh DEB SOURCE: install the .deb with `dpkg -i` into a fresh Debian 12 root (the
# debootstrap base that ../shared/tools/fresh-machine-check builds and caches, or a new minbase one),
# then run `complycli --version`, `man complycli`, the bash completion and a `check` of the example
# company against the installed checks. `make package-test` runs it; it needs root (chroot) and the
# Debian mirror, so `make test` leaves it out. Exits 77 (skipped) when not root.
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
expect "dpkg -i installs it (Depends: libc6 only)" "dpkg -i /tmp/complycli.deb && dpkg -s complycli | grep -E '^Depends: libc6 \(>= [0-9.]+\)$'"
expect "complycli --version" "complycli --version | grep -q '^complycli '"
expect "man pages, checks, templates, completions, README and copyright are in place" \
  "test -f /usr/share/man/man1/complycli.1* && ls /usr/share/complycli/checks/*.yaml >/dev/null && test -f /usr/share/complycli/templates/check-report.html.mustache && test -f /usr/share/bash-completion/completions/complycli && test -f /usr/share/zsh/vendor-completions/_complycli && test -f /usr/share/fish/vendor_completions.d/complycli.fish && test -f /usr/share/doc/complycli/README.md && test -f /usr/share/doc/complycli/copyright"
if run "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends man-db >/dev/null" >/dev/null 2>&1; then
  expect "man complycli" "MANPAGER=cat man complycli | grep -q 'EXIT STATUS'"
else
  echo "skip man complycli: man-db could not be installed from the mirror"
fi
expect "a check against the installed checks" \
  "cd /tmp && complycli check northwind-legal --date 2026-11-25 --format html -o report.html; test \$? = 1 && grep -q 'complycli check report' report.html"
expect "the bash completion completes subcommands" \
  "source /usr/share/bash-completion/completions/complycli && COMP_WORDS=(complycli che) COMP_CWORD=1 && _complycli && [[ \" \${COMPREPLY[*]} \" == *' check '* ]]"
expect "dpkg -r removes it" "dpkg -r complycli >/dev/null && ! test -e /usr/bin/complycli"
exit $status
