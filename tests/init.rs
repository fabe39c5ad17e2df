//! `cutover init` on the manifests of plans/: the scaffold checks clean, and what is left is the
//! list of TODOs it prints.

mod common;

#[test]
fn scaffolds_from_every_plan_set_check_clean() {
    for set in ["dten-4.2", "postgres-16", "gitlab-17"] {
        let directory = common::scratch(&format!("init-{set}"));
        let manifest = common::root().join(format!("plans/{set}/manifest.json"));
        let inventory = common::root().join(format!("plans/{set}/inventory.yaml"));
        let output = common::cutover(&[
            "init",
            "--manifest",
            manifest.to_str().expect("UTF-8"),
            "--inventory",
            inventory.to_str().expect("UTF-8"),
            directory.to_str().expect("UTF-8"),
        ]);
        assert_eq!(output.status.code(), Some(0), "{set}: {}", common::stderr(&output));
        let printed = common::stdout(&output);
        assert!(printed.contains("TODOs to settle"), "{printed}");
        assert!(printed.lines().filter(|line| line.contains(": TODO")).count() >= 3, "{printed}");
        let compilation = cutover::compile_path(&directory.join("plan.yaml")).expect("the scaffold loads");
        let codes: Vec<String> = compilation
            .diagnostics
            .iter()
            .map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message))
            .collect();
        assert!(codes.is_empty(), "{set}: {codes:#?}");
        // Every required stop is in place: the scaffold lowers, and each host reaches the goal.
        assert!(compilation.lowered.is_some(), "{set}");
        // Running again does not overwrite anything.
        let again = common::cutover(&[
            "init",
            "--manifest",
            manifest.to_str().expect("UTF-8"),
            "--inventory",
            inventory.to_str().expect("UTF-8"),
            directory.to_str().expect("UTF-8"),
        ]);
        assert_eq!(again.status.code(), Some(2));
        assert!(common::stderr(&again).contains("exists already"), "{}", common::stderr(&again));
    }
}

/// The dten scaffold keeps the required stop before the target and a snapshot before the
/// irreversible migration.
#[test]
fn the_dten_scaffold_has_the_stop_and_the_snapshot() {
    let directory = common::scratch("init-dten-shape");
    let output = common::cutover(&[
        "init",
        "--manifest",
        "plans/dten-4.2/manifest.json",
        "--inventory",
        "plans/dten-4.2/inventory.yaml",
        directory.to_str().expect("UTF-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let plan = std::fs::read_to_string(directory.join("plan.yaml")).expect("plan");
    let stop = plan.find("target: dten-core@4.0.3").expect("the required stop");
    let target = plan.find("target: dten-core@4.2.0").expect("the target");
    assert!(stop < target, "{plan}");
    let snapshot = plan.find("effects: [snapshot]").expect("a snapshot");
    let migration = plan.find("id: 0042_split_sessions").expect("the migration");
    assert!(snapshot < migration, "{plan}");
}
