//! The plan sets under `plans/`: they check clean, build the same bytes twice, and their outputs
//! for `plans/dten-4.2` are snapshotted.

mod common;

use common::{cutover, stdout};

fn plan_files() -> Vec<String> {
    let mut plans: Vec<String> = std::fs::read_dir(common::root().join("plans"))
        .expect("plans/ exists")
        .flatten()
        .filter(|entry| entry.path().join("plan.yaml").is_file())
        .map(|entry| format!("plans/{}/plan.yaml", entry.file_name().to_string_lossy()))
        .collect();
    plans.sort();
    plans
}

#[test]
fn every_plan_set_checks_clean() {
    let plans = plan_files();
    assert!(plans.len() >= 3, "expected the dten, PostgreSQL and GitLab plan sets, found {plans:?}");
    for plan in plans {
        let compilation = cutover::compile_path(&common::root().join(&plan)).expect("plan loads");
        let codes: Vec<String> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.to_string()).collect();
        assert!(codes.is_empty(), "{plan}: {codes:?}");
        assert!(compilation.lowered.is_some(), "{plan} lowers");
        let output = cutover(&["check", &plan]);
        assert_eq!(output.status.code(), Some(0), "{plan}: {}", stdout(&output));
    }
}

#[test]
fn builds_are_deterministic() {
    for plan in plan_files() {
        for format in ["json", "dot", "mermaid", "sh", "runbook"] {
            let first = cutover(&["build", &plan, "--emit", format]);
            let second = cutover(&["build", &plan, "--emit", format]);
            assert_eq!(first.status.code(), Some(0), "{plan} {format}");
            assert!(!first.stdout.is_empty());
            assert_eq!(first.stdout, second.stdout, "{plan} --emit {format} differs between runs");
        }
    }
}

#[test]
fn dten_json() {
    let output = cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(value["format"], "cutover-plan/1");
    insta::assert_snapshot!(text);
}

/// The schedule of `plans/dten-4.2`, added up by hand from its estimates (the step's own, its
/// action's in lib/dten.yaml or the prelude's) in the compiled order, a rolling step once per
/// batch (`serial: 1` on the three app hosts: 3 batches), every other step one batch:
///
/// preflight: verify-package 5s + app-healthy 10s + db-ready 5s + backup-space 5s = 25s;
/// stop-agent 3 × 30s = 90s, pause-compaction 10s, stop-core 30s, drop-legacy-fallback 10s,
/// snapshot-db 8m = 480s, install-core-4-0-3 4m = 240s, install-core 3m = 180s, set-hybrid 2s,
/// go-migrate (an approval) 2m = 120s, migrate-sessions 5m = 300s, start-core 1m = 60s, install-agent 2m = 120s, start-agent
/// 3 × 30s = 90s, reboot-app 3 × (4m + its gate: 2 × 5s between the 3 passes, then 30s of
/// soak) = 3 × 280s = 840s, enable-split-reads 30s;
/// 25 + 90 + 10 + 30 + 10 + 480 + 240 + 180 + 2 + 120 + 300 + 60 + 120 + 90 + 840 + 30 = 2627s,
/// 43m47s: inside the 45m budget (1h window, 25% buffer).
#[test]
fn dten_schedule_is_the_sum_of_its_batches() {
    let compilation = cutover::compile_path(&common::root().join("plans/dten-4.2/plan.yaml")).expect("plan loads");
    let lowered = compilation.lowered.expect("lowers");
    assert_eq!(lowered.schedule.total_seconds, 2627);
    assert_eq!(lowered.budget_seconds, Some(2700));
    let reboot = lowered.schedule.steps.iter().find(|step| step.step == "reboot-app").expect("reboot-app");
    assert_eq!((reboot.batches, reboot.duration_seconds), (3, 840));
    // Each step starts when the one before it ends.
    let mut expected_start = 0;
    for step in &lowered.schedule.steps {
        assert_eq!(step.start_seconds, expected_start, "{}", step.step);
        expected_start += step.duration_seconds;
    }
    assert_eq!(expected_start, lowered.schedule.total_seconds);
}

#[test]
fn dten_dot() {
    let output = cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "dot"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn dten_mermaid() {
    let output = cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "mermaid"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn dten_script() {
    let output = cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "sh"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn dten_runbook() {
    let output = cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "runbook"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn dten_graph_text() {
    let output = cutover(&["graph", "plans/dten-4.2/plan.yaml"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
}

/// `.from` follows earlier releases per host: after the 4.0.3 stop, the 4.2.0 step's rollback
/// goes back to 4.0.3, not to the inventory's 3.9.2.
#[test]
fn release_from_follows_the_graph() {
    let compilation = cutover::compile_path(&common::root().join("plans/dten-4.2/plan.yaml")).expect("loads");
    let lowered = compilation.lowered.expect("lowers");
    let core_releases: Vec<(&str, Option<&str>, &str)> = lowered
        .instances
        .iter()
        .filter(|instance| instance.host == "app-1")
        .flat_map(|instance| instance.releases.iter())
        .filter(|release| release.component == "dten-core")
        .map(|release| (release.component.as_str(), release.from.as_deref(), release.to.as_str()))
        .collect();
    assert_eq!(core_releases, [("dten-core", Some("3.9.2"), "4.0.3"), ("dten-core", Some("4.0.3"), "4.2.0")]);
    let target = lowered
        .instances
        .iter()
        .find(|instance| {
            instance.host == "app-1"
                && instance.releases.iter().any(|release| release.to == "4.2.0" && release.component == "dten-core")
        })
        .expect("the 4.2.0 instance on app-1");
    let rollback = target.rollback.as_deref().expect("a rollback");
    assert!(rollback.contains("'4.0.3'"), "rollback should reinstall the stop: {rollback}");
    assert!(!rollback.contains("3.9.2"), "rollback must not skip back to the inventory's version: {rollback}");
}

#[test]
fn output_file_is_written_whole_and_only_on_success() {
    let scratch = common::scratch("build-output");
    let target = scratch.join("plan.json");
    let output =
        cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "json", "-o", target.to_str().expect("UTF-8")]);
    assert_eq!(output.status.code(), Some(0));
    let written = std::fs::read_to_string(&target).expect("written");
    assert!(written.starts_with('{') && written.ends_with("}\n"));
    let leftovers: Vec<_> = std::fs::read_dir(&scratch)
        .expect("listable")
        .flatten()
        .filter(|entry| entry.file_name() != "plan.json")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");

    let broken = scratch.join("broken.yaml");
    std::fs::write(&broken, "cutover: 1\nplan: x\nsteps: [{ id: a, run: ./a.sh }]\n").expect("write");
    let not_written = scratch.join("not.json");
    let output = cutover(&[
        "build",
        broken.to_str().expect("UTF-8"),
        "--emit",
        "json",
        "-o",
        not_written.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!not_written.exists(), "no output on errors");
}

/// `--start` puts a clock time beside every T+… of the runbook, against the window.
#[test]
fn dten_runbook_with_a_start_has_clock_times() {
    let output =
        cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "runbook", "--start", "2026-03-14T02:00+01:00"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("| Window | 1h, from 02:00:00 to 03:00:00 |"), "{text}");
    assert!(text.contains("| 1 | stop-agent | T+00:25 | T+01:55 | 02:00:25 |"), "{text}");
    assert!(text.contains("The schedule ends at T+43:47 (02:43:47), 16m13s before the window closes."), "{text}");
}

/// A `--start` that is not a time, or one given to another format, is one line and exit 2.
#[test]
fn a_bad_start_is_one_line_and_exit_2() {
    for arguments in [
        &["--emit", "runbook", "--start", "25:00"][..],
        &["--emit", "runbook", "--start", "2026-02-30T02:00"],
        &["--emit", "runbook", "--start", "tonight"],
        &["--emit", "json", "--start", "02:00"],
    ] {
        let mut all = vec!["build", "plans/dten-4.2/plan.yaml"];
        all.extend_from_slice(arguments);
        let output = cutover(&all);
        let error = common::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {error}");
        assert_eq!(error.lines().count(), 1, "{arguments:?}: {error}");
        assert!(error.starts_with("error: ") && error.contains("--start"), "{arguments:?}: {error}");
        assert!(output.stdout.is_empty());
    }
}
