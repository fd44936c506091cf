#!/usr/bin/env bash
# html_render.sh BINARY SOURCE [SCREENSHOT.png]: render the HTML documents (trust page, register, DPA)
# of the example company with every check passed, load each in headless Chromium and fail on any
# console message, any external asset, a missing lang attribute, headings out of order, or a table without caption or th scope. With SCREENSHOT, also save a
# screenshot of the trust page over the example's own check results there (`make screenshot` writes
# docs/trust-page.png). Exits 77 (ctest: skipped) when Chromium is not installed: CI stays lean;
# `scripts/install-deps --chromium` installs it.
set -euo pipefail
binary=$(realpath "$1")
source=$(realpath "$2")
screenshot=${3:-}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  echo "html_render: chromium is not installed; skipping (scripts/install-deps --chromium)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$source/tests/data/documents
common=(--profile "$source/examples/northwind-legal/profile.yaml" --date 2026-11-26)
export COMPLYCLI_HOME=$work/no-workspace
# Documents render only from signed results: sign the fixtures with the test log key (docs/trust-chain.md).
sign=${COMPLYCLI_SIGN_FIXTURE:-$(dirname "$binary")/../tests/sign_results_fixture}
"$sign" sign "$data/test-log.key" "$source/examples/northwind-legal/profile.yaml" "$data/results-pass.json" "$work/pass.json"
"$sign" sign "$data/test-log.key" "$source/examples/northwind-legal/profile.yaml" "$source/examples/northwind-legal/results.json" "$work/example.json"
trusted=(--pubkey "$data/test-log.pub")
"$binary" trust-page "${common[@]}" "${trusted[@]}" --results "$work/pass.json" -o "$work/site"
"$binary" trust-page "${common[@]}" "${trusted[@]}" --results "$work/example.json" -o "$work/site-example" 2>/dev/null
"$binary" register "${common[@]}" --format html -o "$work/register.html"
"$binary" dpa "${common[@]}" "${trusted[@]}" --results "$work/pass.json" --customer "Acme Legal LLP" --format html -o "$work/dpa.html"

run_chromium() {
  local profile_dir
  profile_dir=$(mktemp -d "$work/chromium-XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile_dir" --enable-logging=stderr --v=0 "$@"
}

status=0
for page in "$work/site/index.html" "$work/site-example/index.html" "$work/register.html" "$work/dpa.html"; do
  name=${page#"$work"/}
  run_chromium --dump-dom "file://$page" > "$work/dom.html" 2> "$work/log.txt" || { echo "FAIL $name: chromium failed"; cat "$work/log.txt"; status=1; continue; }
  if grep -q 'CONSOLE' "$work/log.txt"; then
    echo "FAIL $name: console messages:"; grep 'CONSOLE' "$work/log.txt"; status=1
  fi
  if ! grep -q '<html lang="en">' "$work/dom.html"; then
    echo "FAIL $name: Chromium did not load it, or it has no lang attribute"; status=1
  fi
  # Accessibility basics: one h1 first, no skipped heading level, every table captioned, every th scoped.
  if ! python3 - "$work/dom.html" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", dom)]
problems = []
if not levels or levels[0] != 1 or levels.count(1) != 1:
    problems.append(f"headings must start with one h1: {levels}")
problems += [f"heading jumps from h{a} to h{b}" for a, b in zip(levels, levels[1:]) if b > a + 1]
if dom.count("<table") != dom.count("<caption"):
    problems.append("a table has no caption")
if re.search(r"<th(?=[\s>])(?![^>]*scope=)[^>]*>", dom):
    problems.append("a th has no scope")
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
PY
  then
    echo "FAIL $name: accessibility"; status=1
  fi
  if grep -Eiq '<(script|img|iframe)[^>]* src=|<link[^>]*rel="?stylesheet|url\(' "$page"; then
    echo "FAIL $name: refers to an external asset"; status=1
  fi
  [[ $status == 0 ]] && echo "ok   $name: rendered without console messages"
done

if [[ -n $screenshot ]]; then
  mkdir -p "$(dirname "$screenshot")"
  run_chromium --hide-scrollbars --screenshot="$work/shot.png" --window-size=1200,2000 "file://$work/site-example/index.html" 2>/dev/null
  cp "$work/shot.png" "$screenshot"
  echo "wrote $screenshot"
fi
exit $status
