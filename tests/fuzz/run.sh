#!/usr/bin/env bash
# run.sh BUILD SECONDS [TARGET...]: run each libFuzzer target of BUILD (default: all of tests/fuzz)
# for SECONDS on its corpus BUILD/corpus/TARGET, one after the other, under nice. Any crash, leak,
# UBSan report, timeout (-timeout=5 per input, 15 for questionnaire) or out-of-memory (-rss_limit_mb=2048) fails the run;
# the input that caused it is saved as BUILD/artifacts/TARGET/crash-* (or leak-, timeout-, oom-).
# Prints one line per target: seconds, executions, corpus size, and a summary at the end.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: run.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD SECONDS [TARGET...]}
shift 2
targets=("$@")
if (( ${#targets[@]} == 0 )); then
  for source in tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$source" .cpp)
    targets+=("${name#fuzz_}")
  done
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Stack traces with function names and lines when a symbolizer is installed (llvm-NN).
for symbolizer in llvm-symbolizer-16 llvm-symbolizer; do
  if command -v "$symbolizer" >/dev/null; then
    export ASAN_SYMBOLIZER_PATH=$(command -v "$symbolizer")
    break
  fi
done
failed=()
for target in "${targets[@]}"; do
  binary=$build/tests/fuzz/fuzz_$target
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target/
  log=$build/logs/$target.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  dict=()
  [[ -f tests/fuzz/dict/$target.dict ]] && dict=(-dict=tests/fuzz/dict/$target.dict)
  # One input may take 5 s; questionnaire answers a whole questionnaire per input (~1 s under the
  # sanitizers, 0.1 s in a release build), which a loaded machine stretched past 5 s.
  timeout=5
  [[ $target == questionnaire ]] && timeout=15
  start=$SECONDS
  nice -n 10 "$binary" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  if (( status == 0 )); then
    echo "fuzz: $target: $((SECONDS - start)) s, ${execs:-?} executions, corpus $size, no finding"
  else
    echo "fuzz: $target: FAILED (exit $status) after $((SECONDS - start)) s; log $log, input in $artifacts" >&2
    grep -m1 -E '^==[0-9]+==ERROR|runtime error|ALARM|out-of-memory|LeakSanitizer' "$log" >&2 || tail -5 "$log" >&2
    failed+=("$target")
  fi
done
if (( ${#failed[@]} > 0 )); then
  echo "fuzz: ${#failed[@]} failed, $(( ${#targets[@]} - ${#failed[@]} )) passed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
