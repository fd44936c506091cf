#!/usr/bin/env bash
# bench/crypto.sh BINARY: throughput and memory of the crypto core (lib/crypto streaming, measured by
# the stream_bench harness built beside BINARY) against its peers in the same run: `openssl speed`,
# age (encrypt/decrypt to /dev/null and to a file) and cp. Prints hyperfine medians and the ratios the
# issue sets: ours vs age to /dev/null (target >= 2x), ours vs cp to a file (target <= 1.3x), peak RSS
# (target < 32 MiB for 1 GiB and for 10 GiB).
#
# Environment: STREAM_BENCH (the harness; default: bench/stream_bench in the build tree of BINARY,
# i.e. $(dirname BINARY)/../bench/stream_bench), CRYPTO_BENCH_MIB
# (file size, default 1024), CRYPTO_BENCH_RUNS (hyperfine runs, default 5), CRYPTO_BENCH_10G=0 to skip
# the 10 GiB memory check (it streams through pipes and needs no disk space), TMPDIR.
set -euo pipefail

binary=$(realpath "$1")
harness=${STREAM_BENCH:-$(dirname "$binary")/../bench/stream_bench}
if [[ ! -x $harness ]]; then
  echo "crypto.sh: no stream_bench at $harness (build the stream_bench target, or set STREAM_BENCH)" >&2
  exit 3
fi
harness=$(realpath "$harness")
size_mib=${CRYPTO_BENCH_MIB:-1024}
runs=${CRYPTO_BENCH_RUNS:-5}
for tool in hyperfine age age-keygen openssl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "crypto.sh: $tool is missing (scripts/install-deps --bench)" >&2; exit 3; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/complycli-crypto-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
echo "crypto.sh: $(nproc) cores, ${size_mib} MiB random file in $dir, load average $(cut -d' ' -f1-3 /proc/loadavg)"
head -c $((size_mib << 20)) /dev/urandom > plain
cat plain > /dev/null # into the page cache
age-keygen -o age.key 2>/dev/null
recipient=$(age-keygen -y age.key)
"$harness" encrypt plain plain.cmply 2>/dev/null
age -r "$recipient" -o plain.age plain

echo
echo "== openssl speed -evp aes-256-gcm -seconds 3 (16384-byte blocks)"
speed() { awk '/^AES-256-GCM/ { printf "%.2f GB/s", $NF * 1000 / 1e9 }'; }
echo "   one core:  $(openssl speed -evp aes-256-gcm -seconds 3 2>/dev/null | speed)"
echo "   $(nproc) cores: $(openssl speed -multi "$(nproc)" -evp aes-256-gcm -seconds 3 -bytes 16384 2>/dev/null | speed)"

bench() { # NAME COMMAND...: hyperfine into NAME.json
  local name=$1
  shift
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$name.json" "$@" >/dev/null
}

echo
echo "== timing (hyperfine, $runs runs each; median seconds)"
bench enc_null -n ours "$harness encrypt plain /dev/null --no-digest" \
  -n ours+sha256 "$harness encrypt plain /dev/null" \
  -n age "age -r $recipient -o /dev/null plain"
bench dec_null -n ours "$harness decrypt plain.cmply /dev/null --no-digest" \
  -n ours+sha256 "$harness decrypt plain.cmply /dev/null" \
  -n age "age -d -i age.key -o /dev/null plain.age"
bench enc_file -n ours "$harness encrypt plain out.cmply --no-digest" \
  -n ours+sha256 "$harness encrypt plain out.cmply" \
  -n age "age -r $recipient -o out.age plain" \
  -n cp "cp plain out.copy"
bench dec_file -n ours "$harness decrypt plain.cmply out.plain --no-digest" \
  -n ours+sha256 "$harness decrypt plain.cmply out.plain" \
  -n age "age -d -i age.key -o out.plain2 plain.age" \
  -n cp "cp plain.cmply out.copy2"
rm -f out.*

echo
echo "== peak RSS (/usr/bin/time)"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
printf '   encrypt %s MiB to /dev/null: %s KiB\n' "$size_mib" "$(rss "$harness" encrypt plain /dev/null)"
printf '   decrypt %s MiB to /dev/null: %s KiB\n' "$size_mib" "$(rss "$harness" decrypt plain.cmply /dev/null)"
if [[ ${CRYPTO_BENCH_10G:-1} != 0 ]]; then
  # 10 GiB through pipes: no 10 GiB file on disk.
  enc10=$(head -c 10G /dev/zero | /usr/bin/time -f %M "$harness" encrypt /dev/stdin /dev/null 2>&1 | tail -1)
  dec10=$( (head -c 10G /dev/zero | "$harness" encrypt /dev/stdin - 2>/dev/null) |
    /usr/bin/time -f %M "$harness" decrypt /dev/stdin /dev/null 2>&1 | tail -1)
  printf '   encrypt 10 GiB (pipe) to /dev/null: %s KiB\n' "$enc10"
  printf '   decrypt 10 GiB (pipe) to /dev/null: %s KiB\n' "$dec10"
fi

echo
python3 - "$size_mib" <<'EOF'
import json, sys
size = int(sys.argv[1]) * 1024 * 1024
def medians(name):
    return {r["command"]: r["median"] for r in json.load(open(f"{name}.json"))["results"]}
rows = [("encrypt to /dev/null", "enc_null"), ("decrypt to /dev/null", "dec_null"),
        ("encrypt to a file", "enc_file"), ("decrypt to a file", "dec_file")]
print("== medians (GB/s = plaintext bytes / median)")
for label, name in rows:
    m = medians(name)
    print(f"   {label}:")
    for command, t in m.items():
        print(f"      {command:12s} {t:7.3f} s  {size / t / 1e9:5.2f} GB/s")
print("== ratios")
for label, name in rows[:2]:
    m = medians(name)
    print(f"   {label}: ours {m['age'] / m['ours']:.2f}x age's throughput "
          f"(with SHA-256: {m['age'] / m['ours+sha256']:.2f}x); target >= 2x")
for label, name in rows[2:]:
    m = medians(name)
    print(f"   {label}: ours {m['ours'] / m['cp']:.2f}x cp's wall time "
          f"(with SHA-256: {m['ours+sha256'] / m['cp']:.2f}x; age {m['age'] / m['cp']:.2f}x); target <= 1.3x")
EOF
