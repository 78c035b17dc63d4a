#!/usr/bin/env bash
# Manual resource check: streams GB gigabytes of generated CSV through a pipe into
# `cipherstat schema --in /dev/stdin` and `cipherstat clean` (output to a file that stays
# small because every row repeats the same 64 distinct rows... clean writes them all, so
# clean is given GB_CLEAN, default 1) and prints each command's peak RSS (GNU time %M).
# Memory must stay flat however large the input; the normal suite checks the same at 64 MB
# (BoundsTest.AStreamedLargeInputIsReadInBoundedMemory).
#   fuzz/stream_bounds.sh [GB=10] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${1:-10}
bin=${2:-build}/cipherstat
gb_clean=${GB_CLEAN:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 64 rows of about 40 bytes, repeated: a fixed set of distinct values per column.
rows=$(for i in $(seq 0 63); do
  site=Kampala; ((i % 3 == 0)) && site=Mbarara
  echo "$site,$((i % 4)),$((20 + i % 50)),$(((i * 37) % 1500)),$((i * 1000 + 7))"
done)
generate() {  # generate GIGABYTES
  echo "site,arm,age,cd4,viral_load"
  { yes "$rows" || true; } | head -c "$(($1 * 1024 * 1024 * 1024))"
  echo
}

echo "schema over $gb GB:"
generate "$gb" | /usr/bin/time -f "  peak RSS %M KiB, %e s" "$bin" schema --in /dev/stdin \
  --out "$work/schema.json" --max-records 100000000000
echo "clean over $gb_clean GB:"
generate "$gb_clean" | /usr/bin/time -f "  peak RSS %M KiB, %e s" "$bin" clean \
  --schema "$work/schema.json" --in /dev/stdin --out "$work/clean.csv"
