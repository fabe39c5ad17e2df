//! Generated documentation stays in step with its source: `docs/rules.md` with the rule files,
//! `docs/actions.md` with the prelude and the action reference. `UPDATE_DOCS=1 cargo test --test
//! docs` rewrites them.

mod common;

#[test]
fn the_rule_reference_is_current() {
    let path = common::root().join("docs/rules.md");
    let generated = cutover::check::rules::reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/rules.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`");
}

#[test]
fn the_action_reference_is_current() {
    let path = common::root().join("docs/actions.md");
    let generated = cutover::actions::Reference::prelude().markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/actions.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "docs/actions.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`");
}

/// Every rule has documentation with the four sections, in order.
#[test]
fn every_rule_is_documented() {
    for code in cutover::codes::Code::all() {
        let documentation =
            cutover::check::rules::documentation(code).unwrap_or_else(|| panic!("{code} has no rule file"));
        assert!(
            documentation.starts_with(&format!("{code} `{}`", code.name())),
            "{code}: first line is `{code} `name``"
        );
        let headings: Vec<&str> = documentation.lines().filter(|line| line.starts_with("## ")).collect();
        assert_eq!(headings, ["## What it does", "## Why it matters", "## Example", "## Fix"], "{code}");
    }
}

/// `cutover explain` prints the same text, by code or by name; an unknown rule is one line, exit 2.
#[test]
fn explain_prints_the_rule_documentation() {
    let by_code = common::cutover(&["explain", "CUT013"]);
    assert_eq!(by_code.status.code(), Some(0));
    let by_name = common::cutover(&["explain", "skipped-required-stop"]);
    assert_eq!(by_code.stdout, by_name.stdout);
    let expected = cutover::check::rules::documentation(cutover::codes::CUT013).expect("documented");
    assert_eq!(common::stdout(&by_code), expected);
    let unknown = common::cutover(&["explain", "skiped-required-stop"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(common::stderr(&unknown).contains("did you mean `skipped-required-stop`?"), "{}", common::stderr(&unknown));
}
