#!/usr/bin/env bash
# Benchmark of `parcours sectorisation` and `parcours affectation` on generated instances:
# - the engine (default effort) against a search twenty times longer (three seeds, best per MDS) on
#   3,000-unit, 36-MDS, 554-post départements: MDS in the best class known, compactness gap in it;
# - the engine against the exact model (HiGHS) on départements of small MDS;
# - the assignment of 5,600 new situations: unassigned, hors secteur, Z, time.
# Usage: bench/sectorisation/run.sh [OUT_DIR]. Prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-${TMPDIR:-/tmp}/bench-sectorisation}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/parcours-target}
cargo build --release -q -p parcours-sectorisation --example sectorisation
BIN=$CARGO_TARGET_DIR/release/examples/sectorisation
mkdir -p "$OUT"
GRANDES=${GRANDES:-"d3000a 3000 36 554 1
d3000b 3000 36 554 2"}
PETITES=${PETITES:-"p400a 400 16 80 1
p400b 400 16 80 2"}
EXACTE_TEMPS=${EXACTE_TEMPS:-120}

secondes() { sed -n 's/^temps : \([0-9.]*\) s$/\1/p' "$1" | tail -1; }

comparer() { # moteur.csv reference.csv → summary line (python, no dependency)
  python3 - "$1" "$2" <<'PY'
import csv, sys
a = {r["mds_id"]: r for r in csv.DictReader(open(sys.argv[1]))}
b = {r["mds_id"]: r for r in csv.DictReader(open(sys.argv[2]))}
meme, mieux, pire, ecarts = 0, 0, 0, []
for m, ra in a.items():
    rb = b[m]
    ta, tb = float(ra["tau"]), float(rb["tau"])
    if ta < tb - 1e-9: mieux += 1
    elif ta > tb + 1e-9: pire += 1
    else:
        meme += 1
        ca, cb = float(ra["c_km"]), float(rb["c_km"])
        ecarts.append(0.0 if cb == 0 else 100 * (ca - cb) / cb)
dans1 = sum(1 for e in ecarts if e <= 1.0)
print(f"{len(a)} | {mieux + meme} ({mieux} meilleures) | {pire} | {dans1} | {max(ecarts, default=0):.2f} % | {sum(ecarts)/max(len(ecarts),1):.2f} %")
PY
}

echo "## Re-sectorisation : moteur contre recherche longue"
echo
echo "| instance | temps moteur | temps longue | MDS | MDS dans la meilleure classe connue | MDS dans une classe moins bonne | MDS à ≤ 1 % de la meilleure C | écart C max | écart C moyen |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r nom u m p g; do
  [ -z "$nom" ] && continue
  [ -d "$OUT/$nom" ] || "$BIN" sectorisation generer --unites "$u" --mds "$m" --postes "$p" --graine "$g" --sortie "$OUT/$nom" 2>/dev/null
  "$BIN" sectorisation --instance "$OUT/$nom" --sortie "$OUT/$nom.moteur.csv" >"$OUT/$nom.moteur.txt"
  "$BIN" sectorisation --instance "$OUT/$nom" --sortie "$OUT/$nom.longue.csv" --methode longue >"$OUT/$nom.longue.txt"
  for x in moteur longue; do
    "$BIN" sectorisation mesurer --instance "$OUT/$nom" --carte "$OUT/$nom.$x.csv" --par-mds "$OUT/$nom.$x.mds.csv" >/dev/null
  done
  echo "| $nom | $(secondes "$OUT/$nom.moteur.txt") s | $(secondes "$OUT/$nom.longue.txt") s | $(comparer "$OUT/$nom.moteur.mds.csv" "$OUT/$nom.longue.mds.csv") |"
done <<<"$GRANDES"

echo
echo "## Re-sectorisation : moteur contre modèle exact (HiGHS, ${EXACTE_TEMPS} s par classe)"
echo
echo "| instance | temps moteur | temps exact | MDS | MDS dans la classe de l'exact ou mieux | MDS dans une classe moins bonne | MDS à ≤ 1 % de C exacte | écart C max | écart C moyen | preuves |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r nom u m p g; do
  [ -z "$nom" ] && continue
  [ -d "$OUT/$nom" ] || "$BIN" sectorisation generer --unites "$u" --mds "$m" --postes "$p" --graine "$g" --sortie "$OUT/$nom" 2>/dev/null
  "$BIN" sectorisation --instance "$OUT/$nom" --sortie "$OUT/$nom.moteur.csv" >"$OUT/$nom.moteur.txt"
  "$BIN" sectorisation --instance "$OUT/$nom" --sortie "$OUT/$nom.exacte.csv" --methode exacte \
    --exacte-max-unites 1000 --exacte-temps "$EXACTE_TEMPS" >"$OUT/$nom.exacte.txt" 2>"$OUT/$nom.exacte.err"
  for x in moteur exacte; do
    "$BIN" sectorisation mesurer --instance "$OUT/$nom" --carte "$OUT/$nom.$x.csv" --par-mds "$OUT/$nom.$x.mds.csv" >/dev/null
  done
  echo "| $nom | $(secondes "$OUT/$nom.moteur.txt") s | $(secondes "$OUT/$nom.exacte.txt") s | $(comparer "$OUT/$nom.moteur.mds.csv" "$OUT/$nom.exacte.mds.csv") | $(sed -n 's/^modèle exact : //p' "$OUT/$nom.exacte.err") |"
done <<<"$PETITES"

echo
echo "## Affectation de 5 600 situations"
echo
echo "| instance | carte | non affectées | hors secteur | Z | Z avant | temps |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
while read -r nom u m p g; do
  [ -z "$nom" ] && continue
  for carte in en-vigueur moteur; do
    opt=(); [ "$carte" = moteur ] && opt=(--carte "$OUT/$nom.moteur.csv")
    "$BIN" affectation --instance "$OUT/$nom" --sortie "$OUT/$nom.affectation.$carte.csv" "${opt[@]}" >"$OUT/$nom.affectation.$carte.txt"
    f="$OUT/$nom.affectation.$carte.txt"
    v() { sed -n "s/^$1 : \([0-9.]*\).*/\1/p" "$f" | head -1; }
    z=$(sed -n 's/^Z .* : \([0-9.]*\) (avant : \([0-9.]*\))$/\1 | \2/p' "$f")
    echo "| $nom | $carte | $(v "non affectées") | $(v "hors secteur") | $z | $(secondes "$f") s |"
  done
done <<<"$GRANDES"
