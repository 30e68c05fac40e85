#!/usr/bin/env bash
# Benchmark of `parcours doublons` against the peer Splink (PyPI `splink`, DuckDB backend) on
# deterministic synthetic French person records with a ground truth (crates/doublons/src/synthese.rs).
#
# Usage: bench/doublons/run.sh [SIZES...]        (default: 10000 100000 1000000)
# Env:   PEER=0 to skip Splink; PEER_MAX=largest size Splink runs on (default 1000000, killed
#        after PEER_TIMEOUT seconds, default 600); SEED (default 1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$here/../../crates/doublons"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/doublons-target}"
sizes=("${@:-10000 100000 1000000}")
read -r -a sizes <<<"${sizes[*]}"
seed="${SEED:-1}"
peer_max="${PEER_MAX:-1000000}"
peer_timeout="${PEER_TIMEOUT:-600}"
data="$here/data"
out="$here/out"
mkdir -p "$data" "$out"

echo "== build (release)" >&2
(cd "$crate" && cargo build --release --examples >&2)
bin="$CARGO_TARGET_DIR/release/examples"

if [[ "${PEER:-1}" != 0 && ! -x "$here/.venv/bin/python" ]]; then
  echo "== venv + splink" >&2
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q splink pandas >&2
fi
if [[ "${PEER:-1}" != 0 ]]; then
  peer_version="$("$here/.venv/bin/pip" show splink 2>/dev/null | awk '/^Version/{print $2}')"
  echo "== peer: splink $peer_version" >&2
fi

# run NAME SIZE CMD... : times CMD with /usr/bin/time -v, prints "wall_s rss_mib" (or "timeout").
mesurer() {
  local log="$1"; shift
  if ! timeout "$peer_timeout" /usr/bin/time -v "$@" 2>"$log" >/dev/null; then
    echo "echec"; return
  fi
  local wall rss
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')"
  rss="$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$log")"
  echo "$wall $rss"
}

rows=()
declare -A parcours_time splink_time
for n in "${sizes[@]}"; do
  d="$data/$n"
  if [[ ! -f "$d/records.csv" ]]; then
    echo "== generate $n records" >&2
    "$bin/generer" --n "$n" --seed "$seed" --sortie "$d" >&2
  fi
  echo "== parcours $n" >&2
  read -r t rss <<<"$(mesurer "$out/parcours-$n.time" "$bin/doublons" --entree "$d/records.csv" --sortie "$out/parcours-$n.csv")"
  read -r p r f _ <<<"$("$bin/evaluer" "$out/parcours-$n.csv" "$d/truth.csv")"
  parcours_time[$n]="$t"
  rows+=("$(printf '%-9s %9s %9s %9s %9s %9s %9s' parcours "$n" "$t" "$rss" "$p" "$r" "$f")")
  if [[ "${PEER:-1}" != 0 && "$n" -le "$peer_max" ]]; then
    echo "== splink $n (timeout ${peer_timeout}s)" >&2
    res="$(mesurer "$out/splink-$n.time" "$here/.venv/bin/python" "$here/splink_doublons.py" "$d/records.csv" "$out/splink-$n.csv" 0.9)"
    if [[ "$res" == echec ]]; then
      rows+=("$(printf '%-9s %9s %9s' splink "$n" "> ${peer_timeout} s ou échec")")
    else
      read -r t rss <<<"$res"
      read -r p r f _ <<<"$("$bin/evaluer" "$out/splink-$n.csv" "$d/truth.csv")"
      splink_time[$n]="$t"
      rows+=("$(printf '%-9s %9s %9s %9s %9s %9s %9s' splink "$n" "$t" "$rss" "$p" "$r" "$f")")
    fi
  fi
done

echo
printf '%-9s %9s %9s %9s %9s %9s %9s\n' outil fiches temps_s rss_mib precision rappel f1
printf '%s\n' "${rows[@]}"
for n in "${sizes[@]}"; do
  if [[ -n "${splink_time[$n]:-}" && -n "${parcours_time[$n]:-}" ]]; then
    awk -v n="$n" -v s="${splink_time[$n]}" -v p="${parcours_time[$n]}" \
      'BEGIN { printf "rapport de vitesse à %s fiches : splink / parcours = %.1f×\n", n, s / (p > 0 ? p : 0.01) }'
  fi
done
