#!/usr/bin/env bash
# Reproduces the numbers in docs/performance.md: a release build, the generated plan sets,
# `cutover check` and `cutover lint` timed with hyperfine, peak memory with /usr/bin/time -v,
# `cutover check` against `ansible-playbook --syntax-check` on the same 2,000 steps (in one
# hyperfine run, side by side), then `cargo bench` over the stages (skip it with BENCH=0).
#
# Needs: hyperfine (`apt-get install hyperfine`), GNU time (/usr/bin/time), python3 with venv
# for ansible-core (installed into $OUT/ansible-venv on the first run).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-target/bench}
CUTOVER=$PWD/target/release/cutover
GENERATE=target/release/examples/generate
mkdir -p "$OUT"

echo "== machine"
nproc
grep -m1 'model name' /proc/cpuinfo || true
uptime

echo "== release build"
cargo build --release --locked --bin cutover --example generate

echo "== plan sets"
for steps in 1000 10000 50000; do
    "$GENERATE" --steps "$steps" --hosts 3 --groups 3 --out "$OUT/plan-$steps"
done
"$GENERATE" --steps 2000 --hosts 3 --groups 3 --out "$OUT/plan-2000"
"$GENERATE" --steps 50 --hosts 3 --groups 3 --plans 1000 --out "$OUT/lint-1000"
ls -l "$OUT"/plan-*/plan.yaml

echo "== cutover check: 1k, 10k, 50k steps"
hyperfine -N --warmup 3 --runs 20 --export-markdown "$OUT/check.md" \
    "$CUTOVER check $OUT/plan-1000/plan.yaml" \
    "$CUTOVER check $OUT/plan-10000/plan.yaml" \
    "$CUTOVER check $OUT/plan-50000/plan.yaml"

echo "== peak memory"
for steps in 1000 10000 50000; do
    /usr/bin/time -v "$CUTOVER" check "$OUT/plan-$steps/plan.yaml" 2>&1 >/dev/null \
        | grep -E 'Maximum resident set size|Elapsed \(wall clock\)' | sed "s/^/$steps steps: /"
done

echo "== cutover lint: 1,000 plans of 50 steps"
hyperfine -N --warmup 1 --runs 10 --export-markdown "$OUT/lint.md" "$CUTOVER lint $OUT/lint-1000"
/usr/bin/time -v "$CUTOVER" lint "$OUT/lint-1000" 2>&1 >/dev/null \
    | grep -E 'Percent of CPU|Elapsed \(wall clock\)|Maximum resident'

echo "== cutover check against ansible-playbook --syntax-check, 2,000 steps"
if [ ! -x "$OUT/ansible-venv/bin/ansible-playbook" ]; then
    python3 -m venv "$OUT/ansible-venv"
    "$OUT/ansible-venv/bin/pip" install --quiet --disable-pip-version-check ansible-core==2.19.14
fi
"$OUT/ansible-venv/bin/ansible-playbook" --version > "$OUT/ansible-version.txt"
head -n 1 "$OUT/ansible-version.txt"
(
    cd "$OUT/plan-2000"
    hyperfine -N --warmup 1 --runs 10 --export-markdown ../ansible.md \
        "$CUTOVER check plan.yaml" \
        "../ansible-venv/bin/ansible-playbook --syntax-check -i hosts.ini playbook.yml"
)
# The same, interleaved round by round, so that a drift in the machine's speed hits both.
python3 scripts/versus-ansible.py "$CUTOVER" "$PWD/$OUT/ansible-venv/bin/ansible-playbook" "$OUT/plan-2000" 10

if [ "${BENCH:-1}" != 0 ]; then
    echo "== cargo bench (stages at 1k, 10k, 50k steps; a few minutes)"
    cargo bench --locked --bench pipeline
fi
