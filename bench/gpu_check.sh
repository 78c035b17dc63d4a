#!/usr/bin/env bash
# The GPU check of `encrypt --device gpu`, in one run: encrypts the same generated cohort on the
# CPU and on the GPU in both modes, prints records/s and encryptions/s side by side (and the GPU's
# time per step), then queries every dataset, decrypts, and checks each released table against
# a plaintext computation (awk) on the same CSV. Exits non-zero on any difference.
#   bench/gpu_check.sh [--bin PATH] [--records N] [--sample-records M] [--alt-batch B]
#     --bin             cipherstat to run (default build/cipherstat)
#     --records         records of the main comparison, DJN on the CPU and on the GPU with the
#                       defaults (default 1000000)
#     --sample-records  the first M of them, for the other runs (default 100000): both GPU
#                       kernels (--gpu-kernel group|thread), DJN with --gpu-batch B too, and
#                       standard mode (about 8 times DJN's cost on the GPU)
#     --alt-batch       that other --gpu-batch (default 65536)
#   bench/gpu_check.sh --bundle DIR [BUILD_DIR]
#     copies this script, BUILD_DIR/cipherstat (stripped), the shared libraries it loads
#     except the C library's own, and the kernels' PTX into DIR, for a GPU machine that has no packages: then run
#     there `DIR/gpu_check.sh --bin DIR/cipherstat` (DIR/lib goes on LD_LIBRARY_PATH). That
#     machine needs a C library at least as new as this one's (DIR/GLIBC_MIN; checked).
# The driver is libcuda.so.1 as the loader finds it, else CIPHERSTAT_CUDA_LIBRARY, else the
# first libcuda.so.1 under /usr/local/nvidia or /usr/lib*. A test runs this script against the
# stub driver (tests/cuda_stub.cc) with small counts.
set -Eeuo pipefail

if [ "${1:-}" = --bundle ]; then
  dir=$(realpath -m "${2:?--bundle DIR [BUILD_DIR]}")
  build=$(realpath "${3:-$(dirname "$0")/../build}")
  mkdir -p "$dir/lib"
  cp "$0" "$dir/gpu_check.sh"
  strip -o "$dir/cipherstat" "$build/cipherstat"
  cp "$build/generated/gpu_kernel.ptx" "$dir/"
  ldd "$build/cipherstat" | awk '$3 ~ /^\// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$dir/lib/"; done
  getconf GNU_LIBC_VERSION | awk '{print $2}' >"$dir/GLIBC_MIN"
  du -sh "$dir"
  exit 0
fi

bin=$(dirname "$0")/../build/cipherstat
records=1000000
sample_records=100000
alt_batch=65536
while (($#)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --sample-records) sample_records=$2; shift 2 ;;
    --alt-batch) alt_batch=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
    *) echo "unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
bin=$(realpath "$bin")
bundle=$(dirname "$bin")
if [ -f "$bundle/GLIBC_MIN" ]; then
  have=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
  need=$(cat "$bundle/GLIBC_MIN")
  if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    echo "this machine's C library is $have; the bundle in $bundle was built against $need" >&2
    exit 2
  fi
fi
[ -d "$bundle/lib" ] && export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${CIPHERSTAT_CUDA_LIBRARY:-}" ] && ! grep -q 'libcuda\.so\.1 ' < <(ldconfig -p 2>/dev/null); then
  found=$(find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 -name libcuda.so.1 2>/dev/null |
    head -1 || true)
  [ -n "$found" ] && export CIPHERSTAT_CUDA_LIBRARY=$found
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "cores: $(nproc); driver: ${CIPHERSTAT_CUDA_LIBRARY:-libcuda.so.1}"
# Where a CUDA toolkit is installed: each kernel's registers, stack and spills for this GPU, and
# how long compiling the PTX takes (what the driver does at `load`, before caching it).
ptxas=$(command -v ptxas || ls /usr/local/cuda/bin/ptxas 2>/dev/null || true)
if [ -n "$ptxas" ] && [ -f "$bundle/gpu_kernel.ptx" ]; then
  arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d . || true)
  t0=$(date +%s.%N)
  "$ptxas" -arch="sm_${arch:-90}" -v "$bundle/gpu_kernel.ptx" -o /dev/null 2>&1 |
    grep -E "Compiling entry|bytes stack frame|Used [0-9]+ registers" | sed 's/^/  ptxas: /' || true
  echo "  ptxas: the whole module in $(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') s"
fi

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
head -n $((sample_records + 1)) "$work/clean.csv" >"$work/clean-sample.csv"

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

# mode, device, kernel, --gpu-batch, records (full or sample)
runs=(
  "djn cpu - 16384 full"
  "djn gpu group 16384 full"
  "djn cpu - 16384 sample"
  "djn gpu group $alt_batch sample"
  "djn gpu thread 16384 sample"
  "standard cpu - 16384 sample"
  "standard gpu group 16384 sample"
  "standard gpu thread 16384 sample"
)
declare -A expected=([full]=$(plaintext "$work/clean.csv") [sample]=$(plaintext "$work/clean-sample.csv"))
declare -A cpu_rate=()
failures=0
rows=()
for run in "${runs[@]}"; do
  read -r mode device kernel batch set <<<"$run"
  csv=$work/clean.csv; n=$records
  [ "$set" = sample ] && csv=$work/clean-sample.csv && n=$sample_records
  label=$device; flags=(--device "$device")
  if [ "$device" = gpu ]; then
    label="gpu $kernel $batch"; flags+=(--gpu-kernel "$kernel" --gpu-batch "$batch")
  fi
  out=$work/$mode-$device-$kernel-$batch-$set
  t0=$(now)
  # --min-cell 1: no cell hidden, so every cell can be compared with the plaintext answer.
  "$bin" encrypt --mode "$mode" "${flags[@]}" --min-cell 1 --schema "$work/schema.json" \
    --key "$work/keys" --in "$csv" --out "$out" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
  t1=$(now)
  seconds=$(awk -v a="$t1" -v b="$t0" 'BEGIN { s = a - b; printf "%.2f", s < 0.01 ? 0.01 : s }')
  rate=$(awk -v n="$n" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
  [ "$device" = cpu ] && cpu_rate[$mode]=$rate
  per_record=$(sed -n 's/.*(\([0-9]*\) ciphertexts per record.*/\1/p' "$out.log")
  grep -h "encrypted into\|GPU steps" "$out.log" | sed "s/^/  $mode $label: /"
  rows+=("$(awk -v m="$mode" -v d="$label" -v n="$n" -v k="$per_record" -v s="$seconds" \
    -v r="$rate" -v c="${cpu_rate[$mode]}" \
    'BEGIN { printf "%-9s %-18s %9d %8.2f %12.0f %14.0f %8.2fx", m, d, n, s, r, r * k, r / c }')")
  if ! got=$(released "$out" 2>"$out.err"); then
    echo "  $mode $label: FAILED to query or decrypt: $(tail -3 "$out.err")"
    failures=$((failures + 1))
  elif [ "$got" = "${expected[$set]}" ]; then
    echo "  $mode $label: released table equals the plaintext computation ($(echo "$got" | wc -l) groups)"
  else
    echo "  $mode $label: MISMATCH against the plaintext computation"
    diff <(echo "${expected[$set]}") <(echo "$got") | sed 's/^/    /' || true
    failures=$((failures + 1))
  fi
  rm -rf "$out" "$out.result.json"
done

echo "== $(nproc) CPU cores beside the GPU; query: $sql"
printf "%-9s %-18s %9s %8s %12s %14s %9s\n" mode device records seconds records/s encryptions/s "vs cpu"
printf "%s\n" "${rows[@]}"
if [ "$failures" -gt 0 ]; then
  echo "FAILED: $failures released tables differ from the plaintext computation"
  exit 1
fi
echo "All released tables equal the plaintext computation"
