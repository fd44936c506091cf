#!/usr/bin/env bash
# zsh.sh BINARY: the generated zsh completion, loaded the way zsh loads an installed one (a file named
# _complycli on $fpath, autoloaded by compinit at the first <Tab>), driven in a real interactive zsh
# through the zpty module: type a prefix, press <Tab>, read the line zle made of it. ctest
# completion.zsh; skipped (77) when zsh is not installed (scripts/install-deps).
set -euo pipefail
binary=$(realpath "$1")
command -v zsh >/dev/null || { echo "skip: zsh is not installed (scripts/install-deps)"; exit 77; }
zsh -f -c 'zmodload zsh/zpty' 2>/dev/null || { echo "skip: zsh has no zsh/zpty module"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/fpath"
ln -s "$binary" "$work/bin/complycli"
export PATH=$work/bin:$PATH
"$binary" completion zsh -o "$work/fpath/_complycli"
zsh -f -n "$work/fpath/_complycli"
# A workspace with two matters, for the matter-name completion (complycli completion --list-matters).
export COMPLYCLI_HOME=$work/ws COMPLYCLI_PASSPHRASE=correct-horse
complycli init >/dev/null 2>&1 && complycli matter create acme-v-globex >/dev/null 2>&1 && complycli matter create beta >/dev/null 2>&1
cd "$work" && touch baseline.json
cat > drive.zsh <<'ZSH'
# drive.zsh FPATH LINE...: for each LINE, type it and a <Tab> in one interactive zsh, then print what
# the edit buffer became (the dump widget, bound to ^X^D, appends it to buffers.txt).
zmodload zsh/zpty
: > buffers.txt
fpath_dir=$1; shift
zpty -b z 'zsh -f -i'
zpty -w z "PS1='%% '; fpath=($fpath_dir \$fpath); autoload -U compinit && compinit -u -D"
zpty -w z "dump() { print -r -- \"[\$BUFFER]\" >> buffers.txt; BUFFER=; }; zle -N dump; bindkey '^X^D' dump; echo READY"
zpty -r z x '*READY*'; zpty -r z x '*READY*'
for line in "$@"; do
  n=$(( $(wc -l < buffers.txt 2>/dev/null || echo 0) + 1 ))
  zpty -w -n z "$line"$'\t'
  sleep 0.3
  zpty -w -n z $'\C-x\C-d'
  for i in {1..200}; do (( $(wc -l < buffers.txt 2>/dev/null || echo 0) >= n )) && break; sleep 0.1; done
  while zpty -r -t z junk; do :; done
done
zpty -d z
cat buffers.txt
ZSH
got=$(timeout 150 zsh -f drive.zsh "$work/fpath" \
  'complycli comp' \
  'complycli check --format sa' \
  'complycli check --fail-on cr' \
  'complycli -q matter rot' \
  'complycli check --baseline basel' \
  'complycli matter show ac' \
  'complycli encrypt --matter be')
want='[complycli completion ]
[complycli check --format sarif ]
[complycli check --fail-on critical ]
[complycli -q matter rotate ]
[complycli check --baseline baseline.json ]
[complycli matter show acme-v-globex ]
[complycli encrypt --matter beta ]'
if [[ $got != "$want" ]]; then
  echo "FAIL: the zsh completion made these lines:"; echo "$got"; echo "expected:"; echo "$want"; exit 1
fi
echo "ok: zsh $(zsh --version | cut -d' ' -f2) completed $(echo "$want" | wc -l) prefixes"
