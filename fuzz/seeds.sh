#!/usr/bin/env bash
# Writes the seed inputs of the fuzz targets into corpus/TARGET/seed-*: the plans of plans/ and
# the attacks cutover has been hardened against, one file each. The seeds are committed; what
# libFuzzer adds to the corpus is not (.gitignore). BIG=1 also writes the large cases at full
# size (a 25,000-step chain, over a megabyte), which the repository keeps small.
set -euo pipefail
cd "$(dirname "$0")"
PARSE=corpus/parse
YAML=corpus/plan_yaml
mkdir -p "$PARSE" "$YAML"
rm -f "$PARSE"/seed-* "$YAML"/seed-*

for plan in ../plans/*/; do
  name=$(basename "$plan")
  cp "$plan/plan.cutover" "$PARSE/seed-plan-$name.cutover"
  cp "$plan/plan.yaml" "$YAML/seed-plan-$name.yaml"
done

# A DSL plan around $1 (items of the plan block) and $2 (what follows the block).
dsl() {
  printf 'cutover 1\nplan "attack" {\n  manifest  "manifest.json"\n  inventory "inventory.yaml"\n%b}\n%b' "$1" "${2-}"
}
# A YAML plan of the dten set with $1 as its steps.
yaml() {
  printf 'cutover: 1\nplan: attack\nmanifest: manifest.json\ninventory: inventory.yaml\nuse: [lib/dten.yaml]\nsteps:\n%b' "$1"
}
# `count` a's.
as() {
  head -c "$1" /dev/zero | tr '\0' a
}

# Names are identifiers: a line break in one would be a line of the script (CUT001).
printf 'cutover 1\nplan "x\\ntouch /tmp/x" {\n  manifest  "manifest.json"\n  inventory "inventory.yaml"\n}\n' \
  > "$PARSE/seed-plan-name-newline.cutover"
printf 'cutover 1\nplan "x\ntouch /tmp/x" {\n  manifest  "manifest.json"\n  inventory "inventory.yaml"\n}\n' \
  > "$PARSE/seed-plan-name-raw-newline.cutover"
dsl '  step "a\ntouch /tmp/x" on app {\n    run "true"\n    readonly\n  }\n' > "$PARSE/seed-step-id-newline.cutover"
dsl '  step a on "-oProxyCommand=touch /tmp/x" {\n    run "true"\n    readonly\n  }\n' > "$PARSE/seed-host-option.cutover"
# A placeholder where no quoting holds (CUT006).
dsl '  step a on app: greet(name: world)\n' \
  'action greet(name: string) {\n  run "echo '"'"'hello {name}'"'"'"\n  readonly\n}\n' > "$PARSE/seed-placeholder-in-single-quotes.cutover"
# A bare CR ends a comment for YAML 1.1 readers: the notify after it must stay in the comment.
dsl '  # a note\rnotify "touch /tmp/x"\n' > "$PARSE/seed-comment-with-cr.cutover"
dsl '  step a on app {\n    run "true"\n  }\n' '# cutover: allow CUT030 -- x' > "$PARSE/seed-trailing-suppression.cutover"
# Commands that do not end where their text ends, and a NUL byte (CUT006).
dsl '  step a on app {\n    run      "echo '"'"'it is done"\n    rollback "true\\n}\\ntouch /tmp/x"\n  }\n  step b on app {\n    run      "echo a\\0b"\n    rollback "cat <<EOF"\n  }\n' \
  > "$PARSE/seed-unended-commands.cutover"
# A component named twice in upgrade (CUT001), and names too long for a YAML key.
dsl '  upgrade dten-core@4.2.0\n  upgrade dten-core@4.2.0\n' > "$PARSE/seed-upgrade-twice.cutover"
long=$(as 1100)
dsl "  step s on app: $long($long: x)\n" "action $long($long: string) {\n  run \"echo {$long}\"\n  readonly\n}\n" \
  > "$PARSE/seed-long-names.cutover"
# A 70 KB line.
dsl "  step a on app {\n    run \"$(as 70000)\"\n    readonly\n  }\n" > "$PARSE/seed-long-line.cutover"

# A chain of `after`: each step after the one before.
chain() {
  dsl "  step s1 on app {\\n    run \"true\"\\n    readonly\\n  }\\n$(for ((step = 2; step <= $1; step++)); do
    printf '  step s%d on app after s%d {\\n    run "true"\\n    readonly\\n  }\\n' "$step" "$((step - 1))"
  done)"
}
chain 1000 > "$PARSE/seed-after-chain-1000.cutover"
if [[ ${BIG-} == 1 ]]; then
  chain 25000 > "$PARSE/seed-after-chain-25000.cutover"
fi

yaml '  - { id: "a\\ntouch /tmp/x", run: "true", readonly: true, on: app }\n' > "$YAML/seed-step-id-newline.yaml"
yaml '  - { id: a, run: "true", on: app, irreversible: "drops it\\n}\\ntouch /tmp/x\\u2028$(touch /tmp/x)" }\n' \
  > "$YAML/seed-free-text.yaml"
yaml '  - &s { id: a, run: "echo '"'"'a", on: app, readonly: true }\n  - { <<: *s, id: b, run: !!str "true\\n}\\ntouch /tmp/x" }\n' \
  > "$YAML/seed-anchors-and-unended-commands.yaml"
yaml '  - { id: a, run: "echo a\\0b", on: app, readonly: true }\n' > "$YAML/seed-nul-in-command.yaml"
yaml '  - id: a  # cutover: allow CUT030 -- x\n    run: ./a.sh\n    on: app\n' > "$YAML/seed-suppression.yaml"
yaml "  - { id: a, run: \"$(as 70000)\", on: app, readonly: true }\n" > "$YAML/seed-long-line.yaml"
yaml "  - { id: a, run: \"true\", on: app, readonly: true, timeout: 99999999999999999999h, retries: 18446744073709551616 }\n" \
  > "$YAML/seed-huge-numbers.yaml"
printf 'cutover: 1\nplan: deep\nsteps: %s%s\n' "$(printf '[%.0s' {1..200})" "$(printf ']%.0s' {1..200})" \
  > "$YAML/seed-deep-nesting.yaml"
