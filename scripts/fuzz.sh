#!/usr/bin/env bash
# Run every libFuzzer target in BUILD_DIR for SECONDS each, two at a time,
# starting from the committed corpus (read-only: new inputs go to a scratch
# folder). A crash fails the run and leaves the reproducer in out/fuzz/.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?build dir}; secs=${2:-60}
case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac
work="$root/out/fuzz"
rm -rf "$work"; mkdir -p "$work"
pids=(); names=(); fail=0
run_one() {
  local bin=$1 name; name=$(basename "$bin"); name=${name#fuzz_}
  mkdir -p "$work/$name/new"
  ( cd "$work/$name" && "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 new "$root/fuzz/corpus/$name" >"$work/$name/log" 2>&1 )
}
for bin in "$dir"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  run_one "$bin" & pids+=($!); names+=("$(basename "$bin")")
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || { echo "FAIL ${names[0]}"; fail=1; }
    pids=("${pids[@]:1}"); names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do wait "${pids[$i]}" || { echo "FAIL ${names[$i]}"; fail=1; }; done
for log in "$work"/*/log; do
  n=$(basename "$(dirname "$log")")
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz $n: ${execs:-?} runs in ${secs}s"
done
if [ $fail -ne 0 ]; then
  grep -h -A30 'ERROR: ' "$work"/*/log | head -80
  echo "fuzzing found a failure; reproducers are in $work"
  exit 1
fi
