#!/usr/bin/env bash
# install_tree.sh BUILD: `make install` (cmake --install) from the build folder BUILD into two scratch
# prefixes, /usr-like and /usr/local-like, and check that the binary, man pages, checks, templates and
# the three shell completions land where each shell looks (docs/packaging.md). ctest package.install.
set -euo pipefail
build=$(realpath "$1")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0
for prefix in "$work/usr" "$work/usr/local"; do
  cmake --install "$build" --prefix "$prefix" >/dev/null
  if [[ $prefix == */local ]]; then zsh_dir=site-functions; else zsh_dir=vendor-completions; fi
  for path in bin/complycli share/man/man1/complycli.1.gz share/complycli/templates/check-report.html.mustache \
              share/bash-completion/completions/complycli share/zsh/$zsh_dir/_complycli \
              share/fish/vendor_completions.d/complycli.fish share/doc/complycli/README.md share/doc/complycli/copyright; do
    [[ -f $prefix/$path ]] || { echo "FAIL ${prefix#"$work"}: no $path"; status=1; }
  done
  ls "$prefix"/share/complycli/checks/*.yaml >/dev/null || { echo "FAIL ${prefix#"$work"}: no checks"; status=1; }
  grep -q '^complete -F _complycli complycli' "$prefix/share/bash-completion/completions/complycli" || { echo "FAIL ${prefix#"$work"}: the bash completion is not the generated one"; status=1; }
done
(( status == 0 )) && echo "ok: make install puts the completions in share/bash-completion, share/zsh/{vendor-completions,site-functions} and share/fish/vendor_completions.d"
exit $status
