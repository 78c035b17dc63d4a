#!/usr/bin/env bash
# End-to-end speed of cipherstat against two baselines, on a generated cohort:
#   bench/e2e.sh [--records N] [--runs R] [--threads T] [--build DIR] [--sample S]
#                [--standard-records M] [--query-scale K] [--rss-sizes "N1 N2 ..."]
#                [--rss-standard-max M]
#   (defaults: 100000 records, 3 runs, all cores, build/, baseline sample 400 encryptions,
#   standard-mode encryption timed on the first M = min(N, 10000) records; DJN encryption and
#   the query run on all N records — the query over the DJN dataset, whose ciphertexts sum
#   exactly alike)
# Units are the user's (issue 19): one VALUE is one data column of one record — what a
# python-paillier user encrypts one by one. `encrypt` (standard and DJN mode) counts the
# cohort's data columns per record (all but the identifier); the query,
#   SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4), AVG(age), AVG(log10_vl), AVG(viral_suppressed)
#   FROM cohort GROUP BY arm,
# counts one value per record for each column it reads (5), which a one-value-per-ciphertext
# system would add once each. It prints values/s, records/s and peak RSS (/usr/bin/time -v),
# medians over the runs, then the same work per value by
#   - a textbook Paillier baseline in the same run (bench/textbook_e2e.cc: one ciphertext per
#     value, c = g^m·r^n with mpz_powm, sums with mpz_mul + mpz_mod, same threads), and
#   - python-paillier (phe + gmpy2, in a venv under the build folder), single-threaded and
#     multiplied by the thread count,
# both on a SAMPLE of values, scaled per value (they would take hours on the whole cohort),
# and the ratios against the targets (standard >= 40x python, DJN >= 400x, query >= 100x).
# Baseline sums are in-memory only (no file reading), which favours them.
# --query-scale K also runs the query once over K × N records (the DJN dataset's segments
# listed K times, hard-linked by bench/replicate_dataset.cc) for its time and peak RSS at that
# size; its result is not decrypted (the tags refuse sums of records counted K times).
# --rss-sizes encrypts cohorts of each size once per mode (standard only up to
# --rss-standard-max, default 100000: ~1 minute per 100k records on 2 cores) and prints each
# step's peak RSS: memory must not grow with the input.
set -euo pipefail
cd "$(dirname "$0")/.."
records=100000 runs=3 threads=$(nproc) build=build sample=400 standard_records= query_scale=
rss_sizes= rss_standard_max=100000
while (($#)); do
  case $1 in
    --records) records=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --standard-records) standard_records=$2; shift 2 ;;
    --query-scale) query_scale=$2; shift 2 ;;
    --rss-sizes) rss_sizes=$2; shift 2 ;;
    --rss-standard-max) rss_standard_max=$2; shift 2 ;;
    -h|--help) sed -n 2,33p "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=$build/cipherstat
standard_records=${standard_records:-$((records < 10000 ? records : 10000))}
[ -x "$bin" ] && [ -x "$build/textbook_e2e" ] && [ -x "$build/replicate_dataset" ] || { echo "build first: scripts/setup $build" >&2; exit 2; }
venv=$build/pyvenv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import phe, gmpy2' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q phe gmpy2
fi
work=$(mktemp -d "$build/e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "e2e: $records records, $runs runs, $threads threads, work in $work"

# Peak RSS (KiB) and wall seconds of a command, appended to $work/times as "label secs kib".
timed() {
  local label=$1; shift
  if ! /usr/bin/time -v "$@" >"$work/$label.out" 2>"$work/$label.time"; then
    echo "$label failed:" >&2; grep -v '^\s' "$work/$label.time" >&2; exit 1
  fi
  local secs kib
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$label.time")
  kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$label.time")
  echo "$label $secs $kib" >>"$work/times"
}

printf 'e2e-bench-passphrase\n' >"$work/pass"
"$bin" generate --records "$records" --seed 7 --out "$work/cohort.csv" >/dev/null
"$bin" schema --in "$work/cohort.csv" --out "$work/schema.json" --max-records "$((records * ${query_scale:-1}))" >/dev/null
"$bin" clean --schema "$work/schema.json" --in "$work/cohort.csv" --out "$work/clean.csv" >/dev/null
head -n $((standard_records + 1)) "$work/clean.csv" >"$work/clean_standard.csv"
"$bin" keygen --out "$work/keys" --bits 2048 --fast-kdf --passphrase-file "$work/pass" >/dev/null
sql="SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4), AVG(age), AVG(log10_vl), AVG(viral_suppressed) FROM cohort GROUP BY arm"
for ((r = 1; r <= runs; r++)); do
  rm -rf "$work/ds" "$work/ds_djn"
  timed "encrypt_standard" "$bin" encrypt --schema "$work/schema.json" --key "$work/keys" \
    --in "$work/clean_standard.csv" --out "$work/ds" --passphrase-file "$work/pass" \
    --threads "$threads"
  timed "encrypt_djn" "$bin" encrypt --mode djn --schema "$work/schema.json" --key "$work/keys" \
    --in "$work/clean.csv" --out "$work/ds_djn" --passphrase-file "$work/pass" \
    --threads "$threads"
  rm -f "$work/result.json"
  # Warm the page cache first: the baselines add in memory, so the query should not be timed
  # on a cold disk (1M records are ~5 GB; cold, the first read ran at disk speed, ~600 MB/s).
  cat "$work/ds_djn"/segments/* >/dev/null
  timed "query" "$bin" query --data "$work/ds_djn" --sql "$sql" --out "$work/result.json" \
    --threads "$threads"
  # Baselines in every run, right after ours, so that both see the same machine load.
  "$build/textbook_e2e" --threads "$threads" --encrypt "$sample" --add 200000 >"$work/textbook.$r"
  "$venv/bin/python" bench/python_baseline.py $((sample / 4)) 20000 >"$work/python.$r"
done
if [ -n "$query_scale" ]; then
  "$build/replicate_dataset" "$work/ds_djn" "$work/ds_scaled" "$query_scale"
  cat "$work/ds_djn"/segments/* >/dev/null
  timed "query_scaled" "$bin" query --data "$work/ds_scaled" --sql "$sql" \
    --out "$work/result_scaled.json" --threads "$threads"
  # Not decrypted: the replicated dataset's sums are not the signed ones, and the tags say so.
fi
"$bin" decrypt --key "$work/keys" --in "$work/result.json" --passphrase-file "$work/pass" \
  >"$work/table.txt"
echo "--- query result (decrypted, for a sanity look) ---"
cat "$work/table.txt"


for size in $rss_sizes; do
  rm -rf "$work/rss" && mkdir "$work/rss"
  "$bin" generate --records "$size" --seed 11 --out "$work/rss/cohort.csv" >/dev/null
  "$bin" schema --in "$work/rss/cohort.csv" --out "$work/rss/schema.json" --max-records "$size" >/dev/null
  timed "rss_clean_$size" "$bin" clean --schema "$work/rss/schema.json" --in "$work/rss/cohort.csv" \
    --out "$work/rss/clean.csv"
  modes=djn
  ((size <= rss_standard_max)) && modes="standard djn"
  for mode in $modes; do
    timed "rss_encrypt_${mode}_$size" "$bin" encrypt --mode "$mode" --schema "$work/rss/schema.json" \
      --key "$work/keys" --in "$work/rss/clean.csv" --out "$work/rss/ds_$mode" \
      --passphrase-file "$work/pass" --threads "$threads"
  done
  timed "rss_query_$size" "$bin" query --data "$work/rss/ds_djn" --sql "$sql" \
    --out "$work/rss/result.json" --threads "$threads"
  rm -rf "$work/rss"
done

python3 - "$work" "$records" "$threads" "$standard_records" "$runs" "${query_scale:-1}" <<'PY'
import json, statistics, sys
work, records, threads, standard_records, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
times = {}
for line in open(work + "/times"):
    label, secs, kib = line.split()
    times.setdefault(label, []).append((float(secs), int(kib)))
kv = lambda path: {l.split()[0]: float(l.split()[1]) for l in open(path) if l.strip()}
tbs = [kv(work + "/textbook.%d" % r) for r in range(1, runs + 1)]
pys = [kv(work + "/python.%d" % r) for r in range(1, runs + 1)]
# Medians of the baselines' rates for display; ratios are taken run by run, then the median.
tb = {k: statistics.median(t[k] for t in tbs) for k in tbs[0]}
py = {k: statistics.median(p[k] for p in pys) for k in pys[0]}
manifest = json.load(open(work + "/ds_djn/manifest.json"))
layout = manifest["layout"] if isinstance(manifest["layout"], dict) else json.loads(manifest["layout"])
cts, bits = layout["ciphertexts"], layout["plaintext_bits"]
# Data slots only: each plaintext's tag slot (issue 17) authenticates the others, it is no value.
slots = [s for s in layout["slots"] if s["kind"] != "tag"]
tag_bits = sum(s["width"] for s in layout["slots"] if s["kind"] == "tag")
used = sum(s["width"] for s in slots)
result = json.load(open(work + "/result.json"))
touched = set(result["ciphertexts"])
# Values per record, in the user's unit: data columns for encryption (all but the identifier),
# the columns the query reads for the query.
schema = json.load(open(work + "/schema.json"))
data_columns = [c["name"] for c in schema["columns"] if c["kind"] != "identifier"]
query_columns = ["arm", "cd4", "age", "log10_vl", "viral_suppressed"]
med = lambda label, i: statistics.median(t[i] for t in times[label])
print()
print("schema: %d slots in %d ciphertexts per record; packing density %.1f%% (%d of %d plaintext bits, %d more in tags)"
      % (len(slots), cts, 100.0 * used / (cts * bits), used, cts * bits, tag_bits))
print("query reads %d of %d ciphertexts per record; values per record: %d data columns "
      "encrypted, %d columns the query reads" % (len(touched), cts, len(data_columns), len(query_columns)))
print("baselines on a sample, scaled per value: textbook %d encryptions / %d additions on %d threads; "
      "python-paillier %d / %d on 1 thread x %d threads"
      % (tb["textbook_encrypt_sample_values"], tb["textbook_add_sample_values"], tb["textbook_threads"],
         py["python_encrypt_sample_values"], py["python_add_sample_values"], threads))
print()
print("standard encryption timed on %d records, DJN encryption and the query on %d"
      % (standard_records, records))
print("%-18s %10s %12s %14s %10s %14s %12s %10s %10s" % ("step", "median s", "records/s", "values/s",
      "peak MiB", "textbook v/s", "python v/s", "x textbook", "x python"))
rows = [("encrypt_standard", standard_records, len(data_columns), "textbook_encrypt_values_per_s",
         "python_encrypt_values_per_s", 40),
        ("encrypt_djn", records, len(data_columns), "textbook_encrypt_values_per_s",
         "python_encrypt_values_per_s", 400),
        ("query", records, len(query_columns), "textbook_add_values_per_s",
         "python_add_values_per_s", 100)]
for label, n, per_record, tkey, pkey, target in rows:
    secs = med(label, 0)
    vps = n * per_record / secs
    x_tb = statistics.median(n * per_record / times[label][r][0] / tbs[r][tkey] for r in range(runs))
    x_py = statistics.median(n * per_record / times[label][r][0] / (pys[r][pkey] * threads)
                             for r in range(runs))
    print("%-18s %10.2f %12.0f %14.0f %10.1f %14.0f %12.0f %10.1f %10.1f   target >= %dx python: %s"
          % (label, secs, n / secs, vps, med(label, 1) / 1024.0, tb[tkey], py[pkey] * threads, x_tb,
             x_py, target, "met" if x_py >= target else "NOT met"))
x_io = statistics.median(records * len(query_columns) / times["query"][r][0] /
                         tbs[r]["textbook_add_io_values_per_s"] for r in range(runs))
if "query_scaled" in times:
    secs, kib = times["query_scaled"][0]
    n = records * int(sys.argv[6])
    print("query over %d records (the dataset repeated %s times): %.2f s, %.0f records/s, "
          "%.0f values/s, peak %.1f MiB" % (n, sys.argv[6], secs, n / secs, n * len(query_columns) / secs,
                                            kib / 1024.0))
print("query vs a textbook system that also reads its stored ciphertexts (SHA-256 + base64 + "
      "import per value, %.0f v/s): %.1fx" % (tb["textbook_add_io_values_per_s"], x_io))
rss = sorted((l.split("_")[-1], l) for l in times if l.startswith("rss_"))
if rss:
    print("peak RSS by input size (one run each):")
    for size, label in sorted(rss, key=lambda x: (int(x[0]), x[1])):
        secs, kib = times[label][0]
        print("  %-28s %8.1f s  %8.1f MiB" % (label, secs, kib / 1024.0))
print("ratios: median over runs of (ours / baseline measured in the same run)")
print("(all runs, seconds/peak KiB: %s)" % {k: v for k, v in times.items()})
PY
