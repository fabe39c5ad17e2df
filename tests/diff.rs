//! `cutover diff`: pairs of plans that differ in typical ways, and a plan against its own past
//! through a git revision.

mod common;

use std::path::Path;

const INVENTORY: &str = "groups: { app: [app-1, app-2] }\nhosts:\n  app-1: { installed: { core: 3.9.2 } }\n  app-2: { installed: { core: 3.9.2 } }\n";
const MANIFEST: &str = "package: p\nversion: 4.2.0\ncomponents:\n  core:\n    version: 4.2.0\n    upgrade_from: [{ from: \">=3.6.0, <4.2.0\" }]\n";
const MANIFEST_WITH_STOP: &str = "package: p\nversion: 4.2.0\ncomponents:\n  core:\n    version: 4.2.0\n    upgrade_from:\n      - { from: \">=4.0.0, <4.2.0\" }\n      - { from: \">=3.6.0, <4.0.0\", via: [4.0.3] }\n";
const ACTIONS: &str = "actions:\n  install:\n    params: { target: release }\n    run: \"install.sh {target.component} {target.version}\"\n    rollback: \"install.sh {target.component} {target.from}\"\n    estimate: 3m\n";

fn plan(steps: &str, rollback_of_drain: &str) -> String {
    format!(
        "cutover: 1\nplan: p\nmanifest: manifest.yaml\ninventory: inventory.yaml\nupgrade: {{ core: 4.2.0 }}\nsteps:\n{steps}  - {{ id: drain, run: ./drain.sh, rollback: {rollback_of_drain}, on: app, estimate: 1m }}\n  - {{ id: notify, run: ./notify.sh, rollback: \"true\", estimate: 10s }}\n  - {{ id: install, do: install, with: {{ target: core@4.2.0 }}, on: app, after: [drain] }}\n{ACTIONS}"
    )
}

fn write_set(directory: &Path, plan: &str, manifest: &str) {
    std::fs::create_dir_all(directory).expect("mkdir");
    std::fs::write(directory.join("plan.yaml"), plan).expect("write");
    std::fs::write(directory.join("manifest.yaml"), manifest).expect("write");
    std::fs::write(directory.join("inventory.yaml"), INVENTORY).expect("write");
}

fn diff(name: &str, old: (&str, &str), new: (&str, &str), format: &str) -> String {
    let root = common::scratch(&format!("diff-{name}"));
    write_set(&root.join("old"), old.0, old.1);
    write_set(&root.join("new"), new.0, new.1);
    let output = common::cutover_in(&root, &["diff", "old/plan.yaml", "new/plan.yaml", "--format", format]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    common::stdout(&output)
}

#[test]
fn a_reordered_step() {
    let old = plan("", "./undrain.sh");
    // `notify` now declared first: it runs before `drain`.
    let new = old.replacen(
        "  - { id: drain, run: ./drain.sh, rollback: ./undrain.sh, on: app, estimate: 1m }\n  - { id: notify, run: ./notify.sh, rollback: \"true\", estimate: 10s }\n",
        "  - { id: notify, run: ./notify.sh, rollback: \"true\", estimate: 10s }\n  - { id: drain, run: ./drain.sh, rollback: ./undrain.sh, on: app, estimate: 1m }\n",
        1,
    );
    assert_ne!(old, new);
    let text = diff("reordered", (&old, MANIFEST), (&new, MANIFEST), "human");
    assert!(text.contains("moved"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_changed_rollback() {
    let old = plan("", "./undrain.sh");
    let new = plan("", "./undrain.sh --force");
    let text = diff("rollback", (&old, MANIFEST), (&new, MANIFEST), "human");
    assert!(text.contains("~ step drain: rollback changed on app-1, app-2"), "{text}");
    insta::assert_snapshot!(text);
    insta::assert_snapshot!(
        "a_changed_rollback_markdown",
        diff("rollback-md", (&old, MANIFEST), (&new, MANIFEST), "markdown")
    );
}

/// `install` waited for `drain` and now waits for `notify`: the schedule is the same, and the
/// diff still says who waits for whom, in both formats.
#[test]
fn a_changed_dependency() {
    let old = plan("", "./undrain.sh");
    let new = old.replacen("on: app, after: [drain] }", "on: app, after: [notify] }", 1);
    assert_ne!(old, new);
    let text = diff("dependency", (&old, MANIFEST), (&new, MANIFEST), "human");
    assert!(text.contains("- install no longer waits for drain (written `after`)"), "{text}");
    assert!(text.contains("+ install now waits for notify (written `after`)"), "{text}");
    insta::assert_snapshot!(text);
    let markdown = diff("dependency-md", (&old, MANIFEST), (&new, MANIFEST), "markdown");
    assert!(markdown.contains("step `install` no longer waits for `drain` (written `after`)"), "{markdown}");
    assert!(markdown.contains("step `install` now waits for `notify` (written `after`)"), "{markdown}");
    insta::assert_snapshot!("a_changed_dependency_markdown", markdown);
    let json = diff("dependency-json", (&old, MANIFEST), (&new, MANIFEST), "json");
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["format"], "cutover-diff/1");
    assert_eq!(value["changed"], true);
    let dependencies = value["dependencies"].as_array().expect("a list");
    let change = |step: &str, waits_for: &str, change: &str| {
        dependencies.iter().any(|dependency| {
            dependency["step"] == step
                && dependency["waits_for"] == waits_for
                && dependency["change"] == change
                && dependency["kind"] == "written"
                && dependency["reason"].is_null()
        })
    };
    assert!(change("install", "drain", "removed"), "{json}");
    assert!(change("install", "notify", "added"), "{json}");
    insta::assert_snapshot!("a_changed_dependency_json", json);
}

/// An inferred dependency that appears is in the JSON with its kind and the manifest's reason;
/// the schedule carries both totals.
#[test]
fn a_new_required_stop_in_json() {
    let old = plan("", "./undrain.sh");
    let new = plan("  - { id: install-stop, do: install, with: { target: core@4.0.3 }, on: app }\n", "./undrain.sh");
    let json = diff("stop-json", (&old, MANIFEST), (&new, MANIFEST_WITH_STOP), "json");
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["steps"]["added"], serde_json::json!(["install-stop"]));
    assert_eq!(value["schedule"], serde_json::json!({ "before_seconds": 250, "after_seconds": 430 }));
    let inferred = value["dependencies"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|dependency| dependency["kind"] == "inferred")
        .unwrap_or_else(|| panic!("an inferred dependency: {json}"));
    assert_eq!(inferred["step"], "install");
    assert_eq!(inferred["waits_for"], "install-stop");
    assert_eq!(inferred["change"], "added");
    assert!(inferred["reason"].as_str().is_some_and(|reason| reason.contains("4.0.3")), "{json}");
    // Same input, same bytes.
    assert_eq!(json, diff("stop-json-again", (&old, MANIFEST), (&new, MANIFEST_WITH_STOP), "json"));
}

#[test]
fn a_new_required_stop() {
    let old = plan("", "./undrain.sh");
    let new = plan("  - { id: install-stop, do: install, with: { target: core@4.0.3 }, on: app }\n", "./undrain.sh");
    let text = diff("stop", (&old, MANIFEST), (&new, MANIFEST_WITH_STOP), "human");
    assert!(text.contains("+ step install-stop"), "{text}");
    assert!(text.contains("schedule: 4m10s → 7m10s"), "{text}");
    // The target's rollback now goes back to the stop, not to the inventory's version.
    assert!(text.contains("+ install.sh 'core' '4.0.3'"), "{text}");
    // The stop comes before the target because the manifest says so: an inferred dependency.
    assert!(text.contains("+ install now waits for install-stop (inferred: "), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_plan_against_its_own_past_in_git() {
    let root = common::scratch("diff-git");
    write_set(&root, &plan("", "./undrain.sh"), MANIFEST);
    let git = |arguments: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=cutover", "-c", "user.email=cutover@localhost", "-c", "init.defaultBranch=main"])
            .args(arguments)
            .current_dir(&root)
            .output()
            .expect("git runs");
        assert!(status.status.success(), "git {arguments:?}: {}", String::from_utf8_lossy(&status.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "before"]);
    std::fs::write(root.join("plan.yaml"), plan("", "./undrain.sh --force")).expect("write");
    let output = common::cutover_in(&root, &["diff", "HEAD:plan.yaml", "plan.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    assert!(common::stdout(&output).contains("rollback changed"), "{}", common::stdout(&output));
    let missing = common::cutover_in(&root, &["diff", "no-such-rev:plan.yaml", "plan.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(common::stderr(&missing).lines().count(), 1, "{}", common::stderr(&missing));
}
