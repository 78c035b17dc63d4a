#!/usr/bin/env bash
# The GPU check of `encrypt --device gpu`, in one run: encrypts the same generated cohort on the
# CPU and on the GPU in both modes, prints records/s and encryptions/s side by side (and the GPU's
# time per step), then queries every dataset, decrypts, and checks each released table against
# the CPU dataset's and against a plaintext computation (awk) on the same CSV. Exits non-zero on
# any difference.
#   bench/gpu_check.sh [--bin PATH] [--records N] [--standard-records M]
#     --bin               cipherstat to run (default build/cipherstat)
#     --records           records of the DJN comparison (default 1000000)
#     --standard-records  records of the standard-mode comparison (default 100000: standard
#                         encryption costs about 8 times DJN's on the GPU)
#   bench/gpu_check.sh --bundle DIR [BUILD_DIR]
#     copies BUILD_DIR/cipherstat (stripped) and the shared libraries it loads, except the C
#     library's own, into DIR, for a GPU machine that has no packages: then run there
#     `bench/gpu_check.sh --bin DIR/cipherstat` (DIR/lib is put on LD_LIBRARY_PATH).
# The driver is libcuda.so.1 as the loader finds it, else CIPHERSTAT_CUDA_LIBRARY, else the
# first libcuda.so.1 under /usr/local/nvidia or /usr/lib*. A test runs this script against the
# stub driver (tests/cuda_stub.cc) with small counts.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --bundle ]; then
  dir=${2:?--bundle DIR [BUILD_DIR]}
  build=${3:-build}
  mkdir -p "$dir/lib"
  strip -o "$dir/cipherstat" "$build/cipherstat"
  ldd "$build/cipherstat" | awk '$3 ~ /^\// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$dir/lib/"; done
  du -sh "$dir"
  exit 0
fi

bin=build/cipherstat
records=1000000
standard_records=100000
while (($#)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --standard-records) standard_records=$2; shift 2 ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
bin=$(realpath "$bin")
[ -d "$(dirname "$bin")/lib" ] && export LD_LIBRARY_PATH="$(dirname "$bin")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${CIPHERSTAT_CUDA_LIBRARY:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
  found=$(find /usr/local/nvidia /usr/lib /usr/lib64 -name libcuda.so.1 2>/dev/null | head -1 || true)
  [ -n "$found" ] && export CIPHERSTAT_CUDA_LIBRARY=$found
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "cores: $(nproc); driver: ${CIPHERSTAT_CUDA_LIBRARY:-libcuda.so.1}"

work=$(mktemp -d /tmp/cipherstat-gpu-XXXXXX)
trap 'rm -rf "$work"' EXIT
export CIPHERSTAT_PASSPHRASE=gpu-check CIPHERSTAT_AUDIT_LOG=$work/audit.jsonl CIPHERSTAT_AUDIT_DIR=$work/audit
now() { date +%s.%N; }
sql="SELECT arm, COUNT(*), SUM(cd4), AVG(cd4) FROM cohort GROUP BY arm"

echo "== preparing $records records (2048-bit key)"
"$bin" keygen --fast-kdf --bits 2048 --out "$work/keys" >/dev/null
"$bin" generate --records "$records" --seed 1 --out "$work/cohort.csv" >/dev/null
"$bin" schema --in "$work/cohort.csv" --out "$work/schema.json" --max-records $((records * 2)) >/dev/null
"$bin" clean --schema "$work/schema.json" --in "$work/cohort.csv" --out "$work/clean.csv" >/dev/null
head -n $((standard_records + 1)) "$work/clean.csv" >"$work/clean-standard.csv"

# The plaintext answer of $sql over a clean CSV, as "arm,count,sum,avg" lines: COUNT(*) counts
# every row of the arm; SUM and AVG are over the rows where cd4 is present.
plaintext() {
  local header a c
  header=$(head -1 "$1")
  a=$(echo "$header" | tr ',' '\n' | grep -nx arm | cut -d: -f1)
  c=$(echo "$header" | tr ',' '\n' | grep -nx cd4 | cut -d: -f1)
  awk -F, -v a="$a" -v c="$c" 'NR > 1 {n[$a]++} NR > 1 && $c ~ /^[0-9]+$/ {m[$a]++; s[$a] += $c}
    END {for (k in n) printf "%s,%d,%d,%.4f\n", k, n[k], s[k], s[k] / m[k]}' "$1" | sort
}
# The released table of $sql over a dataset, in the same form.
released() {
  "$bin" query --force --data "$1" --sql "$sql" --out "$1.result.json" >/dev/null
  "$bin" decrypt --key "$work/keys" --in "$1.result.json" --format csv |
    awk -F, 'NR > 1 && $1 != "" {printf "%s,%d,%d,%.4f\n", $1, $2, $3, $4}' | sort
}

failures=0
rows=()
for mode in djn standard; do
  csv=$work/clean.csv; n=$records
  [ "$mode" = standard ] && csv=$work/clean-standard.csv && n=$standard_records
  expected=$(plaintext "$csv")
  declare -A seconds=()
  for device in cpu gpu; do
    out=$work/$mode-$device
    t0=$(now)
    # --min-cell 1: no cell hidden, so every cell can be compared with the plaintext answer.
    "$bin" encrypt --mode "$mode" --device "$device" --min-cell 1 --schema "$work/schema.json" \
      --key "$work/keys" --in "$csv" --out "$out" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
    t1=$(now)
    seconds[$device]=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
    per_record=$(sed -n 's/.*(\([0-9]*\) ciphertexts per record.*/\1/p' "$out.log")
    grep -h "encrypted into\|GPU steps" "$out.log" | sed "s/^/  $mode $device: /"
    rows+=("$(awk -v m="$mode" -v d="$device" -v n="$n" -v k="$per_record" -v s="${seconds[$device]}" \
      'BEGIN { printf "%-9s %-4s %9d %8.2f %12.0f %14.0f", m, d, n, s, n / s, n * k / s }')")
    got=$(released "$out")
    if [ "$got" = "$expected" ]; then
      echo "  $mode $device: released table equals the plaintext computation ($(echo "$got" | wc -l) groups)"
    else
      echo "  $mode $device: MISMATCH against the plaintext computation"
      diff <(echo "$expected") <(echo "$got") | sed 's/^/    /' || true
      failures=$((failures + 1))
    fi
  done
  rows+=("$(awk -v m="$mode" -v c="${seconds[cpu]}" -v g="${seconds[gpu]}" \
    'BEGIN { printf "%-9s gpu/cpu speed-up: %.2fx", m, c / g }')")
  unset seconds
done

echo "== $(nproc) CPU cores beside the GPU; query: $sql"
printf "%-9s %-4s %9s %8s %12s %14s\n" mode dev records seconds records/s encryptions/s
printf "%s\n" "${rows[@]}"
if [ "$failures" -gt 0 ]; then
  echo "FAILED: $failures released tables differ from the plaintext computation"
  exit 1
fi
echo "All released tables equal the plaintext computation"
