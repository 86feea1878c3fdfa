#!/usr/bin/env bash
# Side by side, on one generated CSV extract (the bundled spec's template, ROWS rows):
#   discreet protect (the bundled spec: distinct people in every cohort table with every
#     margin, suppression, the audit, the written release; release build);
#   DuckDB: GROUP BY CUBE(ward, age band, sex, ethnicity) with count(*), then with
#     count(DISTINCT person_id);
#   Polars: the same sixteen grouping sets (its group_by has no CUBE), len and n_unique.
# Each engine reads the CSV itself. Prints the wall times, the peak memory of each run
# (GNU time's maximum resident set), and discreet's ratios to the others.
#
# Usage: Benchmarks/compare.sh [ROWS]          (default 10000000)
# DuckDB and Polars come from PyPI into a virtual environment of the project's own
# (.venv-compare, made on first use). The extract is generated once per ROWS into
# $TMPDIR (or /tmp) and kept for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
venv=.venv-compare
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q duckdb polars
fi
swift build -c release --product discreet > /dev/null
bin=.build/release/discreet
tmp=${TMPDIR:-/tmp}
csv="$tmp/discreet-compare-$rows.csv"
if [ ! -f "$csv" ]; then
    echo "generating $rows rows in $csv"
    "$bin" generate --spec fixtures/transitions/spec.yaml --out "$csv.partial.csv" --rows "$rows" --seed 7 > /dev/null
    mv "$csv.partial.csv" "$csv"
fi
out=$(mktemp -d "$tmp/discreet-compare-XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "$(wc -c < "$csv" | awk '{printf "%.0f MB", $1 / 1e6}'), $rows rows, $(nproc) cores"

# Wall seconds and peak MB of a command (its output dropped).
measure() {
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" > /dev/null 2> "$out/err" || { cat "$out/err" >&2; exit 1; }
    read -r seconds kb < "$out/time"
    printf '%-44s %8.2f s %8.0f MB\n' "$name" "$seconds" "$((kb / 1024))"
    echo "$seconds" > "$out/$name.s"
}

measure "discreet protect" "$bin" protect --spec fixtures/transitions/spec.yaml --input "$csv" --out "$out/release" --overwrite
band="CASE WHEN age <= 17 THEN '14-17' ELSE '18-25' END"
for what in "count(*)" "count(DISTINCT person_id)"; do
    measure "duckdb CUBE $what" "$venv/bin/python" -c "
import duckdb
duckdb.sql(\"SELECT ward, $band AS band, sex, ethnicity, $what FROM read_csv('$csv') WHERE age BETWEEN 14 AND 25 GROUP BY CUBE(ward, band, sex, ethnicity)\").fetchall()"
done
for what in "len" "n_unique"; do
    agg=$([ "$what" = len ] && echo "pl.len()" || echo "pl.col('person_id').n_unique()")
    measure "polars 16 grouping sets $what" "$venv/bin/python" -c "
import itertools, polars as pl
lf = pl.scan_csv('$csv').filter(pl.col('age').is_between(14, 25)).with_columns(
    pl.when(pl.col('age') <= 17).then(pl.lit('14-17')).otherwise(pl.lit('18-25')).alias('band'))
keys = ['ward', 'band', 'sex', 'ethnicity']
sets = [list(s) for k in range(5) for s in itertools.combinations(keys, k)]
frames = [lf.group_by(s).agg($agg) if s else lf.select($agg) for s in sets]
pl.collect_all(frames)"
done
d=$(cat "$out/discreet protect.s")
for f in "$out"/*.s; do
    name=$(basename "$f" .s)
    [ "$name" = "discreet protect" ] && continue
    awk -v d="$d" -v o="$(cat "$f")" -v n="$name" 'BEGIN { printf "discreet / %-36s %6.2f\n", n, d / o }'
done
