#!/usr/bin/env bash
# Benchmark of `parcours placement`: greedy, engine (10 s) and the reference (engine, then the MIP
# restricted to each child's best candidate places, warm-started from the engine, long limit) on
# generated instances; prints a Markdown table.
# Usage: bench/placement/run.sh [REFERENCE_SECONDS=300] [OUT_DIR]
# INSTANCES="name children places seed shape…" (shape: standard | regroupable), one per line.
# EXACT=1 also runs the whole exact MIP (hopeless beyond ~100 children: no solution in 956 s on 500).
set -euo pipefail
cd "$(dirname "$0")/../.."
REF=${1:-300}
OUT=${2:-${TMPDIR:-/tmp}/bench-placement}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/main-target}
cargo build --release -q -p parcours-placement --example placement
BIN=$CARGO_TARGET_DIR/release/examples/placement
mkdir -p "$OUT"
INSTANCES=${INSTANCES:-"s30a 30 120 1 standard
s50a 50 200 1 standard
s50b 50 200 2 standard
m500a 500 2000 1 standard
m500b 500 2000 2 standard
l2000a 2000 8000 1 standard
l2000b 2000 8000 2 standard
m500a-r 500 2000 1 regroupable
l2000a-r 2000 8000 1 regroupable"}

champ() { sed -n "s/^$1 : \([0-9.-]*\).*/\1/p" "$2" | head -1; }

run() { # dir methode temps → fichier de sortie
  local f="$OUT/$1.$2.txt"
  /usr/bin/time -f "%e" -o "$f.time" "$BIN" placement --instance "$OUT/$1" --sortie "$OUT/$1.$2.csv" \
    --methode "$2" --temps "$3" >"$f" 2>"$f.err" || echo "échec $1 $2" >&2
  echo "$f"
}

echo "| instance | forme | enfants/places | glouton | moteur (10 s) | temps moteur | référence (${REF} s) | borne MIP restreint | borne valide | glouton/meilleure | moteur/meilleure | moteur/borne valide |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r nom n m g forme; do
  [ -z "$nom" ] && continue
  "$BIN" placement generer --enfants "$n" --places "$m" --graine "$g" --forme "${forme:-standard}" \
    --sortie "$OUT/$nom" 2>/dev/null
  fg=$(run "$nom" glouton 10); fm=$(run "$nom" moteur 10); fr=$(run "$nom" reference "$REF")
  vg=$(champ objectif "$fg"); vm=$(champ objectif "$fm"); vr=$(champ objectif "$fr")
  bm=$(champ "borne inférieure" "$fm"); br=$(champ "borne inférieure" "$fr")
  bres=$(sed -n 's/^borne du MIP restreint.* : \([0-9-]*\)$/\1/p' "$fr" | head -1)
  if [ "${EXACT:-0}" = 1 ]; then
    fe=$(run "$nom" exact "$REF"); ve=$(champ objectif "$fe")
    [ -n "$ve" ] && [ "$ve" -lt "$vr" ] && vr=$ve
  fi
  tm=$(cat "$fm.time")
  best=$vm; [ -n "$vr" ] && [ "$vr" -lt "$best" ] && best=$vr
  borne=${bm:-0}; [ -n "$br" ] && [ "$br" -gt "$borne" ] && borne=$br
  preuve=""; grep -q "optimal (prouvé)" "$fm" && preuve=" (prouvé)"
  r() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "-" }'; }
  echo "| $nom | ${forme:-standard} | $n/$m | $vg | $vm$preuve | ${tm} s | ${vr:-aucune} | ${bres:--} | $borne | $(r "$vg" "$best") | $(r "$vm" "$best") | $(r "$vm" "$borne") |"
done <<<"$INSTANCES"
