#!/usr/bin/env bash
# check_report_render.sh BINARY SOURCE [SCREENSHOT.png]: write the HTML check report of the example
# company (with a baseline, so every part shows), load it in headless Chromium and fail on any console
# message, any network request (Chromium's net log must hold no http, https or ws URL), a page that did
# not run its script, a missing lang attribute, headings out of order, or a table without caption or
# th scope. With SCREENSHOT, also save a picture of the report there (`make screenshot` writes
# docs/check-report.png). Exits 77 (ctest: skipped) when Chromium is not installed:
# `scripts/install-deps --chromium` installs it.
set -euo pipefail
binary=$(realpath "$1")
source=$(realpath "$2")
screenshot=${3:-}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  echo "check_report_render: chromium is not installed; skipping (scripts/install-deps --chromium)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export COMPLYCLI_HOME=$work/no-workspace
cp -r "$source/examples/northwind-legal" "$work/example"
cd "$work"
# A baseline without the legacy server's findings makes them "new"; the report shows every state.
mv example/configs/nginx/conf.d/legacy.conf legacy.conf
"$binary" check example --date 2026-11-25 --results old.json -o old.txt >/dev/null 2>&1 || true
mv legacy.conf example/configs/nginx/conf.d/legacy.conf
"$binary" check example --date 2026-11-25 --baseline old.json --format html -o report.html 2>/dev/null || true
[[ -s report.html ]] || { echo "FAIL: complycli wrote no report"; exit 1; }

run_chromium() {
  local profile_dir
  profile_dir=$(mktemp -d "$work/chromium-XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile_dir" --enable-logging=stderr --v=0 "$@"
}

status=0
run_chromium --log-net-log="$work/net.json" --net-log-capture-mode=Default --virtual-time-budget=3000 \
  --dump-dom "file://$work/report.html" > dom.html 2> log.txt || { echo "FAIL: chromium failed"; cat log.txt; exit 1; }
if grep -q 'CONSOLE' log.txt; then
  echo "FAIL: console messages:"; grep 'CONSOLE' log.txt; status=1
fi
if ! grep -q '<html lang="en">' dom.html; then
  echo "FAIL: Chromium did not load it, or it has no lang attribute"; status=1
fi
# The filter script ran: it writes "N of M findings".
if ! grep -Eq 'id="f-count"[^>]*>[0-9]+ of [0-9]+ findings' dom.html; then
  echo "FAIL: the report's script did not run"; status=1
fi
if ! python3 - dom.html net.json <<'PY'
import json, re, sys
dom = open(sys.argv[1]).read()
problems = []
levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", dom)]
if not levels or levels[0] != 1 or levels.count(1) != 1:
    problems.append(f"headings must start with one h1: {levels}")
problems += [f"heading jumps from h{a} to h{b}" for a, b in zip(levels, levels[1:]) if b > a + 1]
if dom.count("<table") != dom.count("<caption"):
    problems.append("a table has no caption")
if re.search(r"<th(?=[\s>])(?![^>]*scope=)[^>]*>", dom):
    problems.append("a th has no scope")
for needle in ("<svg", "Control matrix", 'class="badge st-fail"', "Compared with the baseline"):
    if needle not in dom:
        problems.append(f"the report lacks {needle!r}")
# Chromium's net log: every URL it touched; only file: and data: are allowed.
text = open(sys.argv[2]).read()
try:
    log = json.loads(text)
except json.JSONDecodeError:
    log = json.loads(text.rstrip().rstrip(",") + "]}")  # a log cut short when chromium exits
urls = set()
for event in log.get("events", []):
    params = event.get("params") or {}
    for key in ("url", "original_url", "host"):
        value = params.get(key)
        if isinstance(value, str):
            urls.add(value)
# Chromium itself talks to Google's update, time and account services whatever the page does (the
# flags above do not silence all of it): those hosts are not the page's requests.
own = re.compile(r"^(https?://)?([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(:\d+)?(/|$)")
external = sorted(u for u in urls if not own.match(u) and (re.match(r"(https?|wss?|ftp)://", u) or
                  (":" in u and not u.startswith(("file:", "data:", "chrome:", "about:")))))
if external:
    problems.append(f"network requests: {external[:5]}")
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
PY
then
  echo "FAIL: report.html"; status=1
fi
if grep -Eiq '<(script|img|iframe)[^>]* src=|<link[^>]*rel="?stylesheet|url\(' report.html; then
  echo "FAIL: report.html refers to an external asset"; status=1
fi
[[ $status == 0 ]] && echo "ok   report.html: rendered without console messages or network requests"

if [[ -n $screenshot ]]; then
  cd - >/dev/null
  mkdir -p "$(dirname "$screenshot")"
  run_chromium --hide-scrollbars --screenshot="$work/shot.png" --window-size=1200,1500 "file://$work/report.html" 2>/dev/null
  cp "$work/shot.png" "$screenshot"
  echo "wrote $screenshot"
fi
exit $status
