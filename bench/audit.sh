#!/usr/bin/env bash
# bench/audit.sh BINARY: the audit log against its targets and its peer, sqlite3 (see bench/README.md).
#   1. audit import of 1,000,000 JSON Lines entries (target: >= 500,000 entries/s)
#   2. audit verify of those 1,000,001 entries (target: >= 2,000,000 entries/s)
#   2b. one `audit prove` process (an inclusion proof) in that log
#   2c. the same in a 10,000,001-entry log (target: < 5 ms; AUDIT_BENCH_10M=0 skips it)
#   3. one `complycli audit append` process vs one bare `sqlite3` process inserting one row into a WAL
#      database with synchronous=FULL, in the same hyperfine run (target: ratio <= 2)
#   4. 8 processes appending 1,000 entries each at once (target: 8,000 entries, verify passes, 0 errors)
# 1 and 2 also run bench/audit_peer.py, a Python stdlib prototype of the same log, in the same run.
# Prints medians and ratios. Needs hyperfine, sqlite3, python3.
set -euo pipefail
bin=$(realpath "$1")
peer=$(realpath "$(dirname "$0")/audit_peer.py")
work=$(mktemp -d /tmp/complycli-bench-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export COMPLYCLI_ACTOR=bench

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join(str(x["median"]) for x in r))' "$1"; }

echo "generating 1,000,000 entries..." >&2
awk 'BEGIN { for (i = 0; i < 1000000; i++)
  printf "{\"actor\":\"user%d\",\"action\":\"matter.access\",\"target\":\"matter/%d\",\"outcome\":\"ok\",\"details\":{\"bytes\":%d,\"ip\":\"10.0.%d.%d\"}}\n", i % 50, i % 1000, i, i % 256, i % 200 }' > entries.jsonl

echo "--- 1. import 1,000,000 entries" >&2
hyperfine --style basic --runs 3 --export-json import.json \
  --prepare "rm -rf ws && '$bin' -q --home ws init" \
  --prepare "rm -f peer-import.db peer-import.db-wal peer-import.db-shm" \
  "'$bin' -q --home ws audit import entries.jsonl" \
  "python3 '$peer' import entries.jsonl peer-import.db" >&2
read -r import_s peer_import_s < <(median import.json)

echo "--- 2. verify 1,000,001 entries" >&2
hyperfine --style basic --warmup 1 --runs 5 --export-json verify.json "'$bin' --home ws audit verify" \
  "python3 '$peer' verify peer-import.db" >&2
read -r verify_s peer_verify_s < <(median verify.json)

echo "--- 2b. one inclusion proof (audit prove) in the 1,000,001-entry log" >&2
"$bin" -q --home ws audit checkpoint -o big-cp.txt
hyperfine --style basic -N --warmup 5 --runs 50 --export-json prove.json \
  "'$bin' -q --home ws audit prove 1 --checkpoint big-cp.txt" \
  "'$bin' -q --home ws audit prove 777777 --checkpoint big-cp.txt" \
  "'$bin' -q --home ws audit prove 1000001 --checkpoint big-cp.txt" >&2
read -r prove_first_s prove_mid_s prove_last_s < <(median prove.json)

# 2c. The target's size: a 10,000,001-entry log (1.8 GB; about a minute to import). AUDIT_BENCH_10M=0 skips.
prove10_first_s=0 prove10_mid_s=0 prove10_last_s=0 version_s=0
if [[ ${AUDIT_BENCH_10M:-1} != 0 ]]; then
  echo "--- 2c. one inclusion proof (audit prove) in a 10,000,001-entry log" >&2
  rm -rf ws10 && "$bin" -q --home ws10 init
  awk 'BEGIN { for (i = 0; i < 10000000; i++)
    printf "{\"actor\":\"user%d\",\"action\":\"matter.access\",\"target\":\"matter/%d\",\"outcome\":\"ok\",\"details\":{\"bytes\":%d}}\n", i % 50, i % 1000, i }' \
    | "$bin" -q --home ws10 audit import -
  "$bin" -q --home ws10 audit checkpoint -o cp10.txt
  hyperfine --style basic -N --warmup 10 --runs 100 --export-json prove10.json \
    "'$bin' -q --home ws10 audit prove 1 --checkpoint cp10.txt" \
    "'$bin' -q --home ws10 audit prove 7777777 --checkpoint cp10.txt" \
    "'$bin' -q --home ws10 audit prove 10000001 --checkpoint cp10.txt" \
    "'$bin' --version" >&2
  read -r prove10_first_s prove10_mid_s prove10_last_s version_s < <(median prove10.json)
  rm -rf ws10
fi

echo "--- 3. one append vs one sqlite3 insert (WAL, synchronous=FULL)" >&2
rm -rf small && "$bin" -q --home small init
sqlite3 peer.db "PRAGMA journal_mode=WAL; CREATE TABLE entries(seq INTEGER PRIMARY KEY, time TEXT, actor TEXT, action TEXT, target TEXT, outcome TEXT, details TEXT, prev_hash BLOB, hash BLOB);" >/dev/null
hyperfine --style basic -N --warmup 10 --runs 200 --export-json append.json \
  "'$bin' -q --home small audit append --action bench.append --target t --details '{\"n\":1}'" \
  "sqlite3 peer.db \"PRAGMA synchronous=FULL; INSERT INTO entries(time, actor, action, target, outcome, details, prev_hash, hash) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ'), 'bench', 'bench.append', 't', 'ok', '{\\\"n\\\":1}', randomblob(32), randomblob(32))\"" >&2
read -r append_s sqlite_s < <(median append.json)

echo "--- 4. 8 processes x 1,000 appends at once" >&2
rm -rf conc && "$bin" -q --home conc init
start=$(date +%s.%N)
for w in 1 2 3 4 5 6 7 8; do
  ( for i in $(seq 1 1000); do
      "$bin" -q --home conc --actor "w$w" audit append --action bench.concurrent --target "i$i" || echo "worker $w append $i failed"
    done ) > "errors-$w.txt" 2>&1 &
done
wait
end=$(date +%s.%N)
errors=$(cat errors-*.txt | wc -l)
entries=$("$bin" --home conc audit stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')
verify_status=0
"$bin" --home conc audit verify >/dev/null || verify_status=$?

python3 - "$import_s" "$verify_s" "$append_s" "$sqlite_s" "$start" "$end" "$errors" "$entries" "$verify_status" \
  "$peer_import_s" "$peer_verify_s" "$prove_first_s" "$prove_mid_s" "$prove_last_s" \
  "$prove10_first_s" "$prove10_mid_s" "$prove10_last_s" "$version_s" <<'PY'
import sys
imp, ver, app, sq, start, end = map(float, sys.argv[1:7])
errors, entries, status = map(int, sys.argv[7:10])
peer_imp, peer_ver = map(float, sys.argv[10:12])
proves = list(map(float, sys.argv[12:15]))
print("audit log benchmark (medians)")
print(f"  import 1,000,000 entries      {imp:8.3f} s   {1e6 / imp:12,.0f} entries/s   (target >= 500,000)")
print(f"    Python stdlib prototype     {peer_imp:8.3f} s   {1e6 / peer_imp:12,.0f} entries/s   ratio {peer_imp / imp:.2f}x")
print(f"  verify 1,000,001 entries      {ver:8.3f} s   {1000001 / ver:12,.0f} entries/s   (target >= 2,000,000)")
print(f"    Python stdlib prototype     {peer_ver:8.3f} s   {1e6 / peer_ver:12,.0f} entries/s   ratio {peer_ver / ver:.2f}x")
print(f"  audit prove (1M log), process {max(proves) * 1000:8.2f} ms   (slowest of entries 1, 777777, 1000001)")
proves10 = list(map(float, sys.argv[15:18]))
version_s = float(sys.argv[18])
if version_s > 0:
    print(f"  audit prove (10M log), process{max(proves10) * 1000:8.2f} ms   (slowest of entries 1, 7777777, 10000001; "
          f"target < 5 ms; `complycli --version` alone {version_s * 1000:.2f} ms)")
else:
    print("  audit prove (10M log)         skipped (AUDIT_BENCH_10M=0)")
print(f"  complycli audit append        {app * 1000:8.2f} ms")
print(f"  sqlite3 insert (WAL, FULL)    {sq * 1000:8.2f} ms")
print(f"  ratio append / sqlite3        {app / sq:8.2f} x   (target <= 2)")
print(f"  8 x 1,000 concurrent appends  {end - start:8.1f} s   {8000 / (end - start):12,.0f} appends/s; "
      f"entries {entries} (expected 8001 with init), errors {errors}, verify exit {status}")
PY
