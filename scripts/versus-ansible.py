#!/usr/bin/env python3
"""cutover check against ansible-playbook --syntax-check on the same plan, interleaved.

One hyperfine run of each command gives all of one, then all of the other; on a machine whose
speed drifts (a VM sharing its host), the ratio then depends on which phase each command fell
into. Here each round times `cutover check` (5 runs) and ansible-playbook (1 run) back to back
with hyperfine (no shell, `-N`), and the ratio is taken per round; the median round is
reported.

Usage: scripts/versus-ansible.py CUTOVER ANSIBLE_PLAYBOOK PLAN_DIR [ROUNDS]
(PLAN_DIR holds plan.yaml, hosts.ini and playbook.yml, as examples/generate.rs writes them.)
"""
import json
import statistics
import subprocess
import sys
import tempfile


def mean_seconds(command, runs, cwd):
    with tempfile.NamedTemporaryFile(suffix=".json") as export:
        subprocess.run(
            ["hyperfine", "-N", "--style", "none", "--warmup", "1", "--runs", str(runs),
             "--export-json", export.name, command],
            cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return json.load(open(export.name))["results"][0]["mean"]


def main():
    cutover, ansible, plan_dir = sys.argv[1:4]
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    check = f"{cutover} check plan.yaml"
    syntax = f"{ansible} --syntax-check -i hosts.ini playbook.yml"
    ours, theirs, ratios = [], [], []
    for _ in range(rounds):
        mine = mean_seconds(check, 5, plan_dir)
        other = mean_seconds(syntax, 1, plan_dir)
        ours.append(mine)
        theirs.append(other)
        ratios.append(other / mine)
    print(f"rounds: {rounds} (each: cutover check, 5 runs; then ansible-playbook --syntax-check, 1 run)")
    print(f"cutover check:                   median {statistics.median(ours) * 1000:.1f} ms "
          f"(min {min(ours) * 1000:.1f}, max {max(ours) * 1000:.1f})")
    print(f"ansible-playbook --syntax-check: median {statistics.median(theirs):.3f} s "
          f"(min {min(theirs):.3f}, max {max(theirs):.3f})")
    print(f"ratio per round: median {statistics.median(ratios):.0f}x "
          f"(min {min(ratios):.0f}x, max {max(ratios):.0f}x)")


if __name__ == "__main__":
    main()
