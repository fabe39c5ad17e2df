#!/usr/bin/env bash
# What the generated bash script spends per step instance, apart from the commands themselves:
# plans whose every command is `true`, at 500, 5,000 and 30,000 instances (steps × 10 hosts),
# run as a rehearsal (`--local`, so no ssh) one instance at a time and 10 at a time. Prints the
# wall time, the wall time per instance and the CPU time per instance (the script and all it
# ran; the steadier figure on a shared machine); docs/performance.md gives the figures.
# Needs GNU time (/usr/bin/time).
#
#   scripts/bench-script.sh                    # all three sizes
#   SIZES="500 5000" scripts/bench-script.sh   # some
#   CUTOVER=target/debug/cutover scripts/bench-script.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CUTOVER=${CUTOVER:-$PWD/target/release/cutover}
OUT=${OUT:-target/bench/script}
SIZES=${SIZES:-500 5000 30000}
HOSTS=10
[[ -x $CUTOVER ]] || cargo build --release --locked --bin cutover
mkdir -p "$OUT"

printf 'package: bench\nversion: 1.0.0\ncomponents:\n  bench-core: { version: 1.0.0 }\n' >"$OUT/manifest.yaml"
{
    printf 'groups:\n  app: ['
    for ((host = 1; host <= HOSTS; host++)); do
        printf '%sapp-%d' "$([[ $host == 1 ]] || printf ', ')" "$host"
    done
    printf ']\nhosts:\n'
    for ((host = 1; host <= HOSTS; host++)); do
        printf '  app-%d: { installed: { bench-core: 1.0.0 } }\n' "$host"
    done
} >"$OUT/inventory.yaml"

printf '%-10s %-9s %10s %14s %16s\n' instances parallel seconds "ms/instance" "CPU ms/instance"
for instances in $SIZES; do
    steps=$((instances / HOSTS))
    plan="$OUT/plan-$instances.yaml"
    {
        printf 'cutover: 1\nplan: bench-%d\nmanifest: manifest.yaml\ninventory: inventory.yaml\nsteps:\n' "$instances"
        for ((step = 0; step < steps; step++)); do
            printf '  - { id: s%d, run: "true", rollback: "true", on: app, estimate: 1s }\n' "$step"
        done
    } >"$plan"
    "$CUTOVER" build "$plan" --emit sh -o "$OUT/bench-$instances.sh"
    for parallel in 1 10; do
        state="$OUT/state-$instances-$parallel"
        rm -rf "$state"
        # Wall time, and the CPU time of the script and everything it ran (user + system).
        CUTOVER_STATE_DIR=$state /usr/bin/time -f '%e %U %S' -o "$OUT/time" \
            bash "$OUT/bench-$instances.sh" --local --parallel "$parallel" >/dev/null
        read -r wall user system <"$OUT/time"
        python3 -c "import sys; w, u, s = map(float, sys.argv[1:4]); n = int(sys.argv[4]); \
print(f'{n:<10} {sys.argv[5]:<9} {w:10.1f} {w * 1000 / n:14.2f} {(u + s) * 1000 / n:16.2f}')" \
            "$wall" "$user" "$system" "$instances" "$parallel"
        [[ $(grep -c '^done ' "$state/journal") == "$instances" ]] || {
            echo "the run did not finish every instance" >&2
            exit 1
        }
    done
done
