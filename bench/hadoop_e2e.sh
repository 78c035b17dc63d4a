#!/usr/bin/env bash
# End to end on the single-node Hadoop: the same aggregate query as a Hadoop Streaming job over
# the encrypted dataset (cipherstat query --engine hadoop) and over the plaintext CSV (a plain
# Streaming job: awk mapper with in-mapper combining, awk combiner/reducer), both on YARN.
#   bench/hadoop_e2e.sh [--mode standard|djn] [RECORDS] [BUILD_DIR]
#   (default: standard mode, 1000000 records, build/)
# Env: SEGMENT_RECORDS (default RECORDS: one segment), MAP_RECORDS (records a map task reads,
# default 524288: two map tasks at 1M records, whatever the segments), KEEP_CLUSTER=1 leaves
# the cluster running.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
mode=standard
positional=()
while (($#)); do
  case $1 in
    --mode) mode=$2; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) positional+=("$1"); shift ;;
  esac
done
case $mode in standard|djn) ;; *) echo "--mode standard|djn, not '$mode'" >&2; exit 2 ;; esac
records=${positional[0]:-1000000}
build=${positional[1]:-build}
bin=$build/cipherstat
segment_records=${SEGMENT_RECORDS:-$records}
map_records=${MAP_RECORDS:-524288}
sql="SELECT arm, COUNT(*), AVG(cd4) FROM cohort GROUP BY arm"

was_running=0
hadoop/status >/dev/null 2>&1 && was_running=1
out=$(hadoop/start)
eval "$(echo "$out" | grep '^export ')"
source hadoop/env.sh
work=$(mktemp -d /tmp/cipherstat-bench-XXXXXX)
finish() {
  rm -rf "$work"
  if [ "$was_running" = 0 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then hadoop/stop >/dev/null; fi
}
trap finish EXIT
root=/cipherstat-bench/$$
hdfs="hdfs://$CIPHERSTAT_WEBHDFS$root"
export CIPHERSTAT_PASSPHRASE=bench
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

echo "== preparing $records records (key 2048 bits, $mode encryption, $segment_records records per segment, $map_records per map task)"
"$bin" keygen --fast-kdf --bits 2048 --out "$work/keys" >/dev/null
"$bin" generate --records "$records" --seed 1 --out "$work/cohort.csv" >/dev/null
"$bin" schema --in "$work/cohort.csv" --out "$work/schema.json" --max-records $((records * 2)) >/dev/null
"$bin" clean --schema "$work/schema.json" --in "$work/cohort.csv" --out "$work/clean.csv" >/dev/null
t0=$(now)
"$bin" encrypt --mode "$mode" --schema "$work/schema.json" --key "$work/keys" --in "$work/clean.csv" \
  --segment-records "$segment_records" --out "$hdfs/encrypted"
t1=$(now)
echo "encrypt + upload: $(minus "$t1" "$t0") s"
hadoop_java org.apache.hadoop.fs.FsShell -put "$work/clean.csv" "$root/plain.csv" 2>/dev/null

echo "== encrypted: cipherstat query --engine hadoop (YARN)"
t0=$(now)
"$bin" query --engine hadoop --hadoop-framework yarn --map-records "$map_records" \
  --data "$hdfs/encrypted" --sql "$sql" --out "$hdfs/result.json" 2>"$work/enc.log"
t1=$(now)
enc=$(minus "$t1" "$t0")
"$bin" decrypt --key "$work/keys" --in "$hdfs/result.json" --format csv

echo "== plaintext: Streaming sum job over the CSV (YARN)"
header=$(head -1 "$work/clean.csv")
col() { echo "$header" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
a=$(col arm); c=$(col cd4)
# COUNT(*) counts every row of the arm; AVG(cd4) is over the rows where cd4 is present.
mapper="awk -F, '\$$a != \"arm\" {n[\$$a]++} \$$a != \"arm\" && \$$c ~ /^[0-9.]+\$/ {m[\$$a]++; s[\$$a]+=\$$c} END {for (k in n) print k\"\\t\"n[k]\"\\t\"m[k]+0\"\\t\"s[k]+0}'"
reducer="awk -F'\\t' '{n[\$1]+=\$2; m[\$1]+=\$3; s[\$1]+=\$4} END {for (k in n) print k\"\\t\"n[k]\"\\t\"m[k]\"\\t\"s[k]}'"
t0=$(now)
hadoop_java org.apache.hadoop.streaming.HadoopStreaming -D mapreduce.job.reduces=1 \
  -D mapreduce.framework.name=yarn \
  -input "$root/plain.csv" -output "$root/plain-out" \
  -mapper "$mapper" -combiner "$reducer" -reducer "$reducer" >"$work/plain.log" 2>&1 ||
  { tail -30 "$work/plain.log"; exit 1; }
t1=$(now)
plain=$(minus "$t1" "$t0")
hadoop_java org.apache.hadoop.fs.FsShell -cat "$root/plain-out/part-*" 2>/dev/null |
  awk -F'\t' '{printf "%s,%d,%.4f\n", $1, $2, $4 / $3}' | sort
hadoop_java org.apache.hadoop.fs.FsShell -rm -r -f -skipTrash /cipherstat-bench >/dev/null 2>&1 || true

echo "== $records records ($mode encryption), query: $sql"
printf "encrypted (cipherstat, Hadoop Streaming on YARN): %8.1f s\n" "$enc"
printf "plaintext (awk, Hadoop Streaming on YARN):        %8.1f s\n" "$plain"
printf "ratio encrypted / plaintext:                      %8.2f x\n" "$(awk -v a="$enc" -v b="$plain" 'BEGIN { print a / b }')"
