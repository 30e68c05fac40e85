#!/usr/bin/env bash
# Figures of the foundation (issue « Fondations »), on the release binary and SQLite:
#   - cold start: from the process spawn to the first 200 answer of /connexion, on an empty database
#     (migrations + demo included, i.e. `serve --demo`) and on an existing one;
#   - memory (VmRSS) of the idle server after 100 requests, then 5 s idle;
#   - `parcours demo` at the default scale and at the nord scale (wall time, max RSS).
# Usage: bash bench/fondations/mesures.sh   (runs 5 times each and prints the median)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/parcours-target}"
cargo build --release -q -p parcours-app
BIN="$CARGO_TARGET_DIR/release/parcours"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18181
export PARCOURS_LISTEN=127.0.0.1:$port PARCOURS_COOKIE_SECURE=non

first_answer() { # prints ms from spawn to the first 200 of /connexion; the pid goes to $work/pid
  local start end
  start=$(date +%s%N)
  "$BIN" serve "$@" >/dev/null 2>&1 &
  echo $! > "$work/pid"
  for _ in $(seq 1 2000); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/connexion"; then break; fi
    sleep 0.005
  done
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cold_empty=(); cold_existing=(); rss=(); demo_t=()
for i in 1 2 3 4 5; do
  export PARCOURS_DATABASE_URL="sqlite://$work/c$i.db"
  cold_empty+=("$(first_answer --demo)"); pid=$(cat "$work/pid"); kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  cold_existing+=("$(first_answer)"); pid=$(cat "$work/pid")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/connexion"; done
  sleep 5
  rss+=("$(awk '/VmRSS/ {print $2}' /proc/$pid/status)")
  kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  export PARCOURS_DATABASE_URL="sqlite://$work/d$i.db"
  "$BIN" migrate >/dev/null
  s=$(date +%s%N); "$BIN" demo --seed "$i" >/dev/null; e=$(date +%s%N)
  demo_t+=("$(( (e - s) / 1000000 ))")
done
export PARCOURS_DATABASE_URL="sqlite://$work/nord.db"
"$BIN" migrate >/dev/null
nord=$( { /usr/bin/time -f "%e s, %M KiB" "$BIN" demo --scale nord >/dev/null; } 2>&1 | tail -1)

echo "Démarrage à froid jusqu'à la première réponse (base vide, migrations + démo) : $(printf '%s\n' "${cold_empty[@]}" | median) ms (médiane de 5 : ${cold_empty[*]})"
echo "Démarrage à froid jusqu'à la première réponse (base existante)               : $(printf '%s\n' "${cold_existing[@]}" | median) ms (médiane de 5 : ${cold_existing[*]})"
echo "Mémoire du serveur au repos (VmRSS)                                          : $(printf '%s\n' "${rss[@]}" | median) KiB (médiane de 5 : ${rss[*]})"
echo "parcours demo, échelle par défaut (421 891 hab., 177 agents)                 : $(printf '%s\n' "${demo_t[@]}" | median) ms (médiane de 5 : ${demo_t[*]})"
echo "parcours demo --scale nord (2,6 M hab.)                                      : $nord"
