//! `cutover init` on the manifests of plans/: the scaffold reads and resolves clean, and what is
//! left is the list of TODOs it prints, each a CUT040 error until it is settled.

mod common;

#[test]
fn a_scaffold_fails_until_its_todos_are_settled() {
    for set in ["dten-4.2", "postgres-16", "gitlab-17"] {
        let directory = common::scratch(&format!("init-{set}"));
        let manifest = common::root().join(format!("plans/{set}/manifest.json"));
        let inventory = common::root().join(format!("plans/{set}/inventory.yaml"));
        let output = init(&manifest, &inventory, &directory);
        assert_eq!(output.status.code(), Some(0), "{set}: {}", common::stderr(&output));
        let printed = common::stdout(&output);
        assert!(printed.contains("TODOs to settle"), "{printed}");
        assert!(printed.lines().filter(|line| line.contains(": TODO")).count() >= 3, "{printed}");
        let todos = printed.lines().filter(|line| line.contains(": TODO")).count();
        // Straight from `init`, every TODO it listed is an error, and nothing else is reported.
        let compilation = cutover::compile_path(&directory.join("plan.yaml")).expect("the scaffold loads");
        let codes: Vec<&str> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect();
        assert_eq!(codes, vec!["CUT040"; todos], "{set}: {:#?}", compilation.diagnostics);
        let lint = common::cutover(&["lint", directory.to_str().expect("UTF-8")]);
        assert_eq!(lint.status.code(), Some(1), "{set}: {}", common::stdout(&lint));
        // Once the TODOs are replaced, the plan checks clean and lint passes.
        for name in ["plan.yaml", "lib.yaml"] {
            let path = directory.join(name);
            let text = std::fs::read_to_string(&path).expect("a scaffold file");
            std::fs::write(&path, settle(&text)).expect("write");
        }
        let compilation = cutover::compile_path(&directory.join("plan.yaml")).expect("the settled plan loads");
        let codes: Vec<String> = compilation
            .diagnostics
            .iter()
            .map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message))
            .collect();
        assert!(codes.is_empty(), "{set}: {codes:#?}");
        // Every required stop is in place: the scaffold lowers, and each host reaches the goal.
        assert!(compilation.lowered.is_some(), "{set}");
        let lint = common::cutover(&["lint", directory.to_str().expect("UTF-8")]);
        assert_eq!(lint.status.code(), Some(0), "{set}: {}", common::stdout(&lint));
        // Running again does not overwrite anything.
        let again = init(&manifest, &inventory, &directory);
        assert_eq!(again.status.code(), Some(2));
        assert!(common::stderr(&again).contains("exists already"), "{}", common::stderr(&again));
    }
}

/// `cutover init --manifest M --inventory I DIRECTORY`.
fn init(manifest: &std::path::Path, inventory: &std::path::Path, directory: &std::path::Path) -> std::process::Output {
    let text = |path: &std::path::Path| path.to_str().expect("UTF-8").to_owned();
    common::cutover(&["init", "--manifest", &text(manifest), "--inventory", &text(inventory), &text(directory)])
}

/// What a person does with the scaffold's TODOs, roughly: the comments go, and each placeholder
/// text says what was decided instead.
fn settle(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.find("# TODO:").map_or(line, |at| line[..at].trim_end());
            line.replace("'TODO: ", "'settled: ").replace("\"TODO: ", "\"settled: ") + "\n"
        })
        .collect()
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

/// `init` reads an Ansible inventory as a plan does: the scaffold names it, runs each release
/// on the Ansible groups whose hosts have the component, and nothing in it is about the
/// inventory (this manifest's irreversible migrations still need a snapshot step: CUT031).
#[test]
fn init_reads_an_ansible_inventory() {
    let directory = common::scratch("init-ansible-ini");
    let manifest = common::root().join("tests/fixtures/common/manifest.yaml");
    let inventory = common::root().join("tests/fixtures/ok/ansible/hosts.ini");
    let output = init(&manifest, &inventory, &directory);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let plan = std::fs::read_to_string(directory.join("plan.yaml")).expect("a plan");
    assert!(plan.contains("ansible/hosts.ini"), "{plan}");
    assert!(plan.contains("on: app") && plan.contains("on: gl"), "{plan}");
    let compilation = cutover::compile_path(&directory.join("plan.yaml")).expect("the scaffold loads");
    let codes: Vec<&str> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect();
    assert!(codes.iter().all(|code| matches!(*code, "CUT040" | "CUT031")), "{:#?}", compilation.diagnostics);
    assert!(codes.contains(&"CUT040"));
}

const MIXED_MANIFEST: &str = "package: web\nversion: 3.0.0\ncomponents:\n  web:\n    version: 3.0.0\n    \
    upgrade_from:\n      - from: \">=2.8.4, <3.0.0\"\n      - from: \">=2.0.0, <2.8.4\"\n        via: [2.8.4]\n";

/// A group whose hosts sit at different versions: web-1 and web-3 are below the 2.8.4 stop,
/// web-2 is past it, web-4 already runs the target. The stop runs only where it is needed (on
/// the group that holds exactly those hosts, else host by host), the release on the whole
/// group, and the scaffold checks clean once its TODOs are settled.
#[test]
fn a_mixed_group_gets_each_stop_only_where_it_is_needed() {
    let hosts = "hosts:\n  web-1: { installed: { web: 2.7.0 } }\n  web-2: { installed: { web: 2.9.0 } }\n  \
                 web-3: { installed: { web: 2.7.0 } }\n  web-4: { installed: { web: 3.0.0 } }\n";
    for (name, groups, stop_on) in [
        ("group", "groups:\n  web: [web-1, web-2, web-3, web-4]\n  old: [web-1, web-3]\n", &["old"][..]),
        ("hosts", "groups:\n  web: [web-1, web-2, web-3, web-4]\n", &["web-1", "web-3"][..]),
    ] {
        let directory = common::scratch(&format!("init-mixed-{name}"));
        let inputs = directory.join("inputs");
        std::fs::create_dir_all(&inputs).expect("inputs");
        std::fs::write(inputs.join("manifest.yaml"), MIXED_MANIFEST).expect("manifest");
        std::fs::write(inputs.join("inventory.yaml"), format!("{groups}{hosts}")).expect("inventory");
        let set = directory.join("set");
        let output = init(&inputs.join("manifest.yaml"), &inputs.join("inventory.yaml"), &set);
        assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
        let plan = std::fs::read_to_string(set.join("plan.yaml")).expect("plan");
        let stops: Vec<&str> = plan
            .split("\n  - id: ")
            .filter(|step| step.contains("target: web@2.8.4"))
            .filter_map(|step| step.lines().find_map(|line| line.trim().strip_prefix("on: ")))
            .collect();
        assert_eq!(stops, stop_on, "{plan}");
        assert!(plan.contains("    with: { target: web@3.0.0 }\n    on: web\n"), "{plan}");
        for file in ["plan.yaml", "lib.yaml"] {
            let path = set.join(file);
            let text = std::fs::read_to_string(&path).expect("a scaffold file");
            std::fs::write(&path, settle(&text)).expect("write");
        }
        let compilation = cutover::compile_path(&set.join("plan.yaml")).expect("the settled plan loads");
        let codes: Vec<String> = compilation
            .diagnostics
            .iter()
            .map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message))
            .collect();
        assert!(codes.is_empty(), "{name}: {codes:#?}\n{plan}");
        assert!(compilation.lowered.is_some());
    }
}
