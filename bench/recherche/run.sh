#!/usr/bin/env bash
# Figure of the person search (issue 4, item 5): p50/p99 of `store::personnes::search` with N
# synthetic persons loaded, on SQLite and on PostgreSQL (`parcours bench recherche`).
#
# Usage: bench/recherche/run.sh [PERSONNES]        (default: 1000000)
# Env:   PROFILE=release|dev (default release), REQUETES (default 2000), SEED (default 1),
#        PG_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database
#        parcours_bench_recherche is created there and dropped at the end), BASES (default
#        "sqlite postgres").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/parcours-target}"
personnes="${1:-1000000}"
requetes="${REQUETES:-2000}"
seed="${SEED:-1}"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
profile="${PROFILE:-release}"
out="$here/out"
mkdir -p "$out"

echo "== build ($profile)" >&2
if [[ "$profile" == release ]]; then
  (cd "$root" && cargo build --release -p parcours-app >&2)
  bin="$CARGO_TARGET_DIR/release/parcours"
else
  (cd "$root" && cargo build -p parcours-app >&2)
  bin="$CARGO_TARGET_DIR/debug/parcours"
fi

for base in ${BASES:-sqlite postgres}; do
  echo "== $base, $personnes personnes" >&2
  args=(bench recherche --personnes "$personnes" --requetes "$requetes" --seed "$seed" --base "$base")
  if [[ "$base" == postgres ]]; then
    args+=(--url "$pg_url")
  fi
  "$bin" "${args[@]}" | tee "$out/$base-$personnes.txt"
done
