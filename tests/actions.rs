//! `cutover actions [PLAN]` and `cutover explain ACTION [--plan PLAN]`: the action reference as
//! people and tools read it, from the real binary.

mod common;

#[test]
fn actions_lists_the_prelude() {
    let output = common::cutover(&["actions"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    insta::assert_snapshot!("actions_prelude", common::stdout(&output));
}

/// With a plan, its libraries' and its own actions come after the prelude's.
#[test]
fn actions_of_a_plan_include_its_library() {
    let output = common::cutover(&["actions", "plans/dten-4.2/plan.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let text = common::stdout(&output);
    for name in ["config.set", "dten.install", "flag.enable"] {
        assert!(text.lines().any(|line| line.starts_with(&format!("{name} "))), "no `{name}` in\n{text}");
    }
}

#[test]
fn actions_as_json_carry_every_field() {
    let output = common::cutover(&["actions", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["format"], "cutover-actions/1");
    let wait = document["actions"].as_array().unwrap().iter().find(|action| action["name"] == "http.wait").unwrap();
    assert_eq!(wait["readonly"], true);
    assert_eq!(wait["params"][1], serde_json::json!({ "name": "status", "type": "int", "default": "200" }));
    assert_eq!(wait["estimate"], "{timeout}");
    assert!(wait["commands"]["run"].as_str().unwrap().contains("curl"));
    assert!(wait["description"].as_str().unwrap().starts_with("Polls a URL"));
}

#[test]
fn explain_prints_a_prelude_action() {
    let output = common::cutover(&["explain", "service.stop"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    insta::assert_snapshot!("explain_service_stop", common::stdout(&output));
}

/// `--plan` makes the plan's library actions known, and a library action that replaces a
/// prelude one is the one explained.
#[test]
fn explain_with_a_plan_knows_its_actions() {
    let without = common::cutover(&["explain", "flag.enable"]);
    assert_eq!(without.status.code(), Some(2));
    assert!(common::stderr(&without).contains("--plan PLAN"), "{}", common::stderr(&without));

    let with = common::cutover(&["explain", "flag.enable", "--plan", "plans/dten-4.2/plan.yaml"]);
    assert_eq!(with.status.code(), Some(0), "{}", common::stderr(&with));
    let text = common::stdout(&with);
    assert!(text.starts_with("flag.enable: defined in plans/dten-4.2/lib/dten.yaml\n"), "{text}");
    assert!(text.contains("effects:    flag"), "{text}");

    let directory = common::scratch("explain-replaced");
    common::write_tree(
        &directory,
        &[(
            "plan.yaml",
            "cutover: 1\nplan: p\nmanifest: m.json\ninventory: i.yaml\nsteps: []\nactions:\n  reboot:\n    run: \"shutdown -r now\"\n    rollback: \"true\"\n",
        )],
    );
    let replaced = common::cutover_in(&directory, &["explain", "reboot", "--plan", "plan.yaml"]);
    assert_eq!(replaced.status.code(), Some(0), "{}", common::stderr(&replaced));
    let text = common::stdout(&replaced);
    assert!(text.starts_with("reboot: defined in plan.yaml, in place of the prelude's\n"), "{text}");
    assert!(text.contains("shutdown -r now") && !text.contains("systemctl reboot"), "{text}");
}

/// A name that is neither a rule nor an action: one line, exit 2, with the nearest name.
#[test]
fn explain_an_unknown_name_suggests_the_nearest() {
    let output = common::cutover(&["explain", "config.sett"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = common::stderr(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("neither a rule nor an action; did you mean `config.set`?"), "{stderr}");
    assert!(common::stdout(&output).is_empty());
}

/// A plan that does not read cleanly gets its diagnostics and exit 1, not a partial list.
#[test]
fn actions_of_a_broken_plan_report_it() {
    let directory = common::scratch("actions-broken");
    common::write_tree(&directory, &[("plan.yaml", "cutover: 1\nplan: p\nuse: [missing.yaml]\nsteps: []\n")]);
    let output = common::cutover_in(&directory, &["actions", "plan.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(common::stdout(&output).is_empty());
    assert!(common::stderr(&output).contains("CUT007"), "{}", common::stderr(&output));
}
