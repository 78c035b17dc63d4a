#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) if needed and runs each for SECONDS,
# one at a time, starting from the checked-in seed corpora in fuzz/corpus/<target>/.
#   fuzz/run.sh SECONDS [TARGET...]        (default: every *_fuzz target)
# New inputs the fuzzer finds go to BUILD/corpus/<target>/ (not the checked-in seeds);
# crashes, leaks, timeouts and OOMs go to BUILD/findings/<target>/. Exit status 1 if any
# target produced a finding. Environment: FUZZ_BUILD (default build-fuzz), FUZZ_RSS_MB (2048),
# FUZZ_JOBS for the build (2).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
build=${FUZZ_BUILD:-build-fuzz}
rss_mb=${FUZZ_RSS_MB:-2048}

# clang with libFuzzer's runtime, from Debian's packages like the rest (scripts/setup).
if ! command -v clang++ >/dev/null && ! command -v clang++-14 >/dev/null ||
  ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "installing: clang libclang-rt-14-dev (for libFuzzer)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq &&
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev \
      >/dev/null || exit 2
fi
cxx=$(command -v clang++ || command -v clang++-14)
cc=$(command -v clang || command -v clang-14)

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" .cc)"); done
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=$cc CXX=$cxx cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCIPHERSTAT_FUZZ=ON -DCIPHERSTAT_BENCH=OFF >/dev/null || exit 2
fi
cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target "${targets[@]}" make_seeds || exit 2

# The per-target maximum input size: a little over the largest seed, at least 4 KiB, so
# the fuzzer explores lengths around real files without wasting time on huge inputs.
max_len_for() {
  local largest
  largest=$(find "fuzz/corpus/$1" -type f -printf '%s\n' 2>/dev/null | sort -n | tail -1)
  largest=${largest:-0}
  local len=$((largest * 3 / 2))
  ((len < 4096)) && len=4096
  echo "$len"
}

status=0
summary=()
for t in "${targets[@]}"; do
  seeds=fuzz/corpus/$t
  work=$build/corpus/$t
  findings=$build/findings/$t
  mkdir -p "$work" "$findings"
  [ -d "$seeds" ] || "$build/fuzz/make_seeds" fuzz/corpus
  max_len=$(max_len_for "$t")
  echo "== $t: ${seconds}s, -max_len=$max_len, -rss_limit_mb=$rss_mb"
  log=$build/$t.log
  "$build/fuzz/$t" "$work" "$seeds" -max_total_time="$seconds" -max_len="$max_len" \
    -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$findings/" >"$log" 2>&1 &
  pid=$!
  wait "$pid"
  rc=$?
  # The targets' scratch files are named after their process (fuzz_common.h).
  rm -rf /dev/shm/cipherstat-fuzz-"$pid"-* /tmp/cipherstat-fuzz-"$pid"-*
  found=$(find "$findings" -type f | wc -l)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo ?)
  if ((rc != 0 || found > 0)); then
    status=1
    summary+=("$t: FINDING (exit $rc, $found artifacts in $findings; log $log)")
    grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5
  else
    summary+=("$t: ok, $execs runs, coverage $cov edges")
  fi
done
echo
echo "== fuzz/run.sh $seconds summary"
printf '%s\n' "${summary[@]}"
exit $status
