#!/usr/bin/env bash
# fish.sh BINARY: the generated fish completion, loaded from a vendor_completions.d folder the way fish
# finds an installed one ($XDG_DATA_DIRS), and asked for candidates with fish's own `complete -C`.
# (not --no-config: fish sets its completion path in its own config.fish; HOME is a fresh folder.)
# ctest completion.fish; skipped (77) when fish is not installed (scripts/install-deps).
set -euo pipefail
binary=$(realpath "$1")
command -v fish >/dev/null || { echo "skip: fish is not installed (scripts/install-deps)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/share/fish/vendor_completions.d" "$work/home"
ln -s "$binary" "$work/bin/complycli"
export PATH=$work/bin:$PATH HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share
export XDG_DATA_DIRS=$work/share:/usr/share
"$binary" completion fish -o "$work/share/fish/vendor_completions.d/complycli.fish"
fish --no-execute "$work/share/fish/vendor_completions.d/complycli.fish"
export COMPLYCLI_HOME=$work/ws COMPLYCLI_PASSPHRASE=correct-horse
complycli init >/dev/null 2>&1 && complycli matter create acme-v-globex >/dev/null 2>&1 && complycli matter create beta >/dev/null 2>&1
cd "$work" && touch baseline.json
failures=0
expect() { # expect LINE WORD...: fish's candidates for LINE must include each WORD (!WORD: must not)
  local line=$1; shift
  local got; got=$(fish -c "complete -C '$line'" | cut -f1 | tr '\n' ' ')
  for want in "$@"; do
    if [[ $want == '!'* ]]; then
      [[ " $got" != *" ${want#!} "* ]] || { echo "FAIL '$line': ${want#!} offered: $got"; failures=$((failures + 1)); }
    else
      [[ " $got" == *" $want "* ]] || { echo "FAIL '$line': want $want, got: $got"; failures=$((failures + 1)); }
    fi
  done
}
expect "complycli " init check matter audit completion
expect "complycli ch" check checks '!init'
expect "complycli -q ch" check checks
expect "complycli check --format " table json sarif html oscal
expect "complycli check --fail-on c" critical '!low'
expect "complycli check --framework " soc2 iso27001_2022 gdpr hipaa
expect "complycli matter " create list show rotate shred
expect "complycli matter show " acme-v-globex beta
expect "complycli encrypt --matter a" acme-v-globex '!beta'
expect "complycli check --baseline basel" baseline.json
expect "complycli check --fo" --format
(( failures == 0 )) || exit 1
echo "ok: fish $(fish --version | cut -d' ' -f3) completed 11 prefixes"
