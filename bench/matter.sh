#!/usr/bin/env bash
# bench/matter.sh BINARY: the complycli encrypt/decrypt commands end to end (key unlock, header, audit
# hook, atomic output with fsync) on a random file in the page cache, against age and cp in the same
# run (hyperfine medians), and their peak RSS (/usr/bin/time -f %M).
#
# Targets (issues 3, 14): to /dev/null at least 2x age's throughput; to a file at most 1.3x cp's wall time
# (complycli fsyncs before it renames the file into place, cp does not) and no slower than cp && sync. The
# --sha256 rows show the cost of the optional ciphertext digest. The disk's own floor for a durable
# write of the same size is measured with fio (direct I/O, 8 writes in flight, fsync at the end, no
# reading and no encryption): no program that makes the file durable can beat it;
# peak RSS under 32 MiB for 1 GiB and for 10 GiB. The matter is unlocked with an X25519 identity, so no
# Argon2id run is timed; the RSS of a passphrase unlock (Argon2id MODERATE: 256 MiB by design) is
# printed separately (decrypting: format 2 encryption needs no unlock).
#
# Environment: MATTER_BENCH_MIB (file size, default 1024), MATTER_BENCH_RUNS (default 5; the to-a-file
# rounds MATTER_BENCH_FILE_RUNS default to twice that),
# MATTER_BENCH_10G=0 to skip the 10 GiB memory check (streams through pipes: needs no disk space), TMPDIR.
set -euo pipefail

binary=$(realpath "$1")
bench_dir=$(dirname "$(realpath "$0")")
size_mib=${MATTER_BENCH_MIB:-1024}
runs=${MATTER_BENCH_RUNS:-5}
for tool in hyperfine age age-keygen python3 /usr/bin/time fio; do
  command -v "$tool" >/dev/null || { echo "matter.sh: $tool is missing (scripts/install-deps --bench)" >&2; exit 3; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/complycli-matter-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export COMPLYCLI_HOME="$dir/ws" COMPLYCLI_ACTOR=bench COMPLYCLI_KDF_PROFILE=moderate
unset COMPLYCLI_PASSPHRASE
echo "matter.sh: $(nproc) cores, ${size_mib} MiB random file in $dir, load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$binary" -q init
"$binary" -q identity new -o id.key > id.pub
"$binary" -q matter create bench --recipient "$(cat id.pub)" --no-passphrase
head -c $((size_mib << 20)) /dev/urandom > plain
cat plain > /dev/null # into the page cache
age-keygen -o age.key 2>/dev/null
recipient=$(age-keygen -y age.key)
ours_enc="$binary -q encrypt --matter bench" # format 2: encrypting reads only the public key
ours_dec="$binary -q decrypt --identity id.key"
$ours_enc -o plain.cmply plain
age -r "$recipient" -o plain.age plain

bench() { # NAME ARGS...: hyperfine into NAME.json
  local name=$1
  shift
  hyperfine --style none --warmup 1 --runs "$runs" --export-json "$name.json" "$@" >/dev/null
}
median() { # FILE NAME: the median seconds of command NAME
  python3 -c 'import json,sys; r={x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}; print("%.3f" % r[sys.argv[2]]["median"])' "$1" "$2"
}
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
rate() { python3 -c 'import sys; print("%.2f GB/s" % ('"$size_mib"' * 1048576 / float(sys.argv[1]) / 1e9))' "$1"; }

echo
echo "== to /dev/null (hyperfine, $runs runs; median seconds)"
bench enc_null -n complycli "$ours_enc -o - plain > /dev/null" -n age "age -r $recipient plain > /dev/null"
bench dec_null -n complycli "$ours_dec -o - plain.cmply > /dev/null" -n age "age -d -i age.key plain.age > /dev/null"
for op in enc dec; do
  ours=$(median ${op}_null.json complycli)
  peer=$(median ${op}_null.json age)
  printf '   %-8s complycli %ss (%s)  age %ss (%s)  throughput ratio %sx (target >= 2x)\n' "${op}rypt" \
    "$ours" "$(rate "$ours")" "$peer" "$(rate "$peer")" "$(ratio "$peer" "$ours")"
done

echo
file_runs=${MATTER_BENCH_FILE_RUNS:-$((runs * 2))}
echo "== to a file on the same disk ($file_runs rounds, the commands alternating; each after sync; median seconds)"
# The disk's write-back speed drifts during a run (a virtual disk more so), so the commands alternate
# (bench/alternate.py) rather than run one after the other as hyperfine does: a drift then costs every
# command the same.
prep='rm -f out.*; sync'
alternate() { python3 "$bench_dir/alternate.py" --runs "$file_runs" --prepare "$prep" --export-json "$@"; }
alternate enc_file.json -n complycli "$ours_enc -o out.cmply plain" -n cp "cp plain out.copy" \
  -n cp+sync "cp plain out.copy && sync" -n complycli--sha256 "$ours_enc --sha256 -o out.cmply plain"
alternate dec_file.json -n complycli "$ours_dec -o out.plain plain.cmply" -n cp "cp plain.cmply out.copy" \
  -n cp+sync "cp plain.cmply out.copy && sync" -n complycli--sha256 "$ours_dec --sha256 -o out.plain plain.cmply"
rm -f out.*
# The disk floor: fio's median job runtime over $runs runs (its start-up and file layout excluded).
floor_runs=()
for _ in $(seq "$runs"); do
  rm -f out.fio
  sync
  fio --name=floor --filename=out.fio --size="${size_mib}M" --rw=write --bs=1M --direct=1 --ioengine=libaio \
    --iodepth=8 --end_fsync=1 --output-format=json > fio.json
  floor_runs+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["job_runtime"] / 1000)' fio.json)")
done
rm -f out.fio fio.json
floor=$(printf '%s\n' "${floor_runs[@]}" | sort -g | python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print("%.3f" % v[len(v) // 2])')
for op in enc dec; do
  ours=$(median ${op}_file.json complycli)
  hashed=$(median ${op}_file.json complycli--sha256)
  cp_time=$(median ${op}_file.json cp)
  cp_sync=$(median ${op}_file.json cp+sync)
  printf '   %-8s complycli %ss  cp %ss  cp+sync %ss  ratio to cp %sx (target <= 1.3x), to cp+sync %sx (target <= 1x)\n' \
    "${op}rypt" "$ours" "$cp_time" "$cp_sync" "$(ratio "$ours" "$cp_time")" "$(ratio "$ours" "$cp_sync")"
  printf '   %-8s with --sha256 %ss (ratio to cp %sx)\n' "" "$hashed" "$(ratio "$hashed" "$cp_time")"
  printf '   %-8s ratio to the disk floor %sx (the floor itself is %sx this cp)\n' "" "$(ratio "$ours" "$floor")" \
    "$(ratio "$floor" "$cp_time")"
done
printf '   disk floor: fio durable write of %s MiB %ss (%s)\n' "$size_mib" "$floor" "$(rate "$floor")"

echo
echo "== peak RSS (/usr/bin/time -f %M; target < 32 MiB)"
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
printf '   encrypt %s MiB to stdout: %s KiB\n' "$size_mib" "$(rss $ours_enc -o - plain)"
printf '   decrypt %s MiB to stdout: %s KiB\n' "$size_mib" "$(rss $ours_dec -o - plain.cmply)"
printf '   encrypt %s MiB to a file: %s KiB\n' "$size_mib" "$(rss $ours_enc --force -o out.cmply plain)"
printf '   decrypt %s MiB to a file: %s KiB\n' "$size_mib" "$(rss $ours_dec --force -o out.plain plain.cmply)"
rm -f out.*
if [[ ${MATTER_BENCH_10G:-1} != 0 ]]; then
  enc10=$(head -c 10G /dev/zero | /usr/bin/time -f %M $ours_enc -o - - 2>&1 >/dev/null | tail -1)
  dec10=$( (head -c 10G /dev/zero | $ours_enc -o - -) | /usr/bin/time -f %M $ours_dec -o - - 2>&1 >/dev/null | tail -1)
  printf '   encrypt 10 GiB (pipe) to stdout: %s KiB\n' "$enc10"
  printf '   decrypt 10 GiB (pipe) to stdout: %s KiB\n' "$dec10"
else
  echo "   10 GiB: skipped (MATTER_BENCH_10G=0)"
fi
printf 'secret\n' > pass.txt
"$binary" -q matter create with-passphrase --passphrase-file pass.txt
head -c 1M /dev/zero | "$binary" -q encrypt --matter with-passphrase -o with-passphrase.cmply -
printf '   decrypt 1 MiB unlocked by passphrase (Argon2id MODERATE, 256 MiB by design): %s KiB\n' \
  "$(/usr/bin/time -f %M "$binary" -q decrypt --passphrase-file pass.txt -o - with-passphrase.cmply 2>&1 >/dev/null \
      | tail -1)"
