#!/usr/bin/env bash
# Benchmark of `parcours tirage` (exact leximin) against the peer `sortition-algorithms` (PyPI)
# on deterministic instances shaped like those of Flanigan et al. (Nature 2021).
#
# Usage: bench/tirage/run.sh [INSTANCE ...]     (default: all shapes of generer.py)
# Env:   PEER=0 to skip the peer; GUROBI=0 not to install gurobipy (the peer then falls back to
#        maximin); TIMEOUT=seconds per run (default 900).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$here/../../crates/tirage"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/tirage-target}"
timeout_s="${TIMEOUT:-900}"
inst_dir="$here/instances"
out_dir="$here/out"
mkdir -p "$inst_dir" "$out_dir"

echo "== build (release)" >&2
(cd "$crate" && cargo build --release --example tirage >&2)
bin="$CARGO_TARGET_DIR/release/examples/tirage"

if [[ "${PEER:-1}" != 0 ]]; then
  if [[ ! -x "$here/.venv/bin/python" ]]; then
    echo "== venv + sortition-algorithms" >&2
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install -q sortition-algorithms >&2
  fi
  # The peer's leximin needs Gurobi; the PyPI wheel carries a size-limited licence (2,000
  # variables and constraints), enough for the smaller instances. Beyond it the peer fails.
  if [[ "${GUROBI:-1}" != 0 ]] && ! "$here/.venv/bin/python" -c "import gurobipy" 2>/dev/null; then
    "$here/.venv/bin/pip" install -q gurobipy >&2
  fi
  peer_version="$("$here/.venv/bin/pip" show sortition-algorithms 2>/dev/null | awk '/^Version/{print $2}')"
  echo "== peer: sortition-algorithms $peer_version" >&2
fi

echo "== instances" >&2
python3 "$here/generer.py" "$inst_dir" "$@" > "$out_dir/instances.txt"

secs() { awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
rss() { awk -F': ' '/Maximum resident/{printf "%.0f", $2/1024}' "$1"; }

printf '%-15s %5s %4s %3s %5s | %9s %6s %12s %12s %7s %6s | %-8s %9s %12s %7s\n' \
  instance n k F types parcours_s MiB min_prob dual_bound verif panels peer_algo peer_s peer_min_p ratio
while read -r dir k; do
  name="$(basename "$dir")"
  n=$(($(wc -l < "$dir/people.csv") - 1))
  nf=$(($(head -1 "$dir/people.csv" | tr ',' '\n' | wc -l) - 1))
  res="$out_dir/$name.json"
  log="$out_dir/$name.parcours.time"
  if /usr/bin/time -v timeout "$timeout_s" "$bin" tirage --quotas "$dir/features.csv" \
       --volontaires "$dir/people.csv" --taille "$k" --graine "bench-$name" --sortie "$res" \
       2> "$log"; then
    t=$(secs "$log"); mem=$(rss "$log")
    read -r minp dual types panels < <(python3 -c "
import json,sys; d=json.load(open('$res'))
print('%.9f %.9f %d %d' % (d['min_probability'], d['dual_bound'], len(d['types']), len(d['panels'])))")
    # Full re-check of the published file (quotas, sums, seed, draw); the leximin recomputation
    # is skipped here because it would just time the same computation twice.
    if "$bin" tirage verifier --quotas "$dir/features.csv" --volontaires "$dir/people.csv" \
         --taille "$k" --graine "bench-$name" --resultat "$res" --sans-recalcul > /dev/null 2>&1; then
      verif=ok; else verif=REFUTE; fi
  else
    t="timeout"; mem="-"; minp="-"; dual="-"; types="-"; panels="-"; verif="-"
  fi
  palgo="-"; pt="-"; pmin="-"; ratio="-"
  if [[ "${PEER:-1}" != 0 ]]; then
    plog="$out_dir/$name.peer.time"
    if /usr/bin/time -v timeout "$timeout_s" "$here/.venv/bin/python" "$here/pair.py" \
         "$dir/features.csv" "$dir/people.csv" "$k" > "$out_dir/$name.peer.json" 2> "$plog"; then
      read -r palgo pmin fb < <(python3 -c "
import json; d=json.load(open('$out_dir/$name.peer.json'))
print(d['ran'], '%.9f' % d['min_probability'], 'fallback' if d['ran'] != d['requested'] else 'asked')")
      pt=$(secs "$plog")
      [[ "$fb" == fallback ]] && palgo="$palgo*"
      if [[ "$t" != timeout ]]; then ratio=$(python3 -c "print('%.2f' % ($pt / $t))"); fi
    else
      # 124: killed by `timeout`; otherwise the peer failed (e.g. beyond Gurobi's free licence).
      if [[ $? == 124 ]]; then palgo="timeout"; else palgo="error"; fi
      pt="$(secs "$plog" || echo timeout)"
    fi
  fi
  printf '%-15s %5s %4s %3s %5s | %9s %6s %12s %12s %7s %6s | %-8s %9s %12s %7s\n' \
    "$name" "$n" "$k" "$nf" "$types" "$t" "$mem" "$minp" "$dual" "$verif" "$panels" "$palgo" "$pt" "$pmin" "$ratio"
done < "$out_dir/instances.txt"
if [[ "${PEER:-1}" != 0 ]]; then
  echo "(*) the peer was asked for leximin but ran the algorithm shown: without Gurobi its leximin"
  echo "    is unavailable and it falls back to maximin (only the smallest probability is optimised)."
  echo "    error: the peer failed (see out/NAME.peer.time; e.g. a model beyond Gurobi's free licence)."
  echo "    ratio = peer time / parcours time."
fi
