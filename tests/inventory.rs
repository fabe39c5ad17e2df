//! Ansible inventories as a plan's `inventory:` (issue 16): the INI, YAML and `--list` JSON
//! forms of one fleet give the same hosts and versions through the real binary, and the
//! `inventory.yml` that `build --emit ansible` writes reads back as the plan's groups.

mod common;

use std::path::Path;

use cutover::model::Inventory;
use cutover::source::SourceMap;

const FORMS: [&str; 3] = ["hosts.ini", "inventory.yml", "inventory.json"];

/// Reads an inventory file as a plan's `inventory:` is read, which must be clean.
fn read(path: &Path) -> Inventory {
    let mut sources = SourceMap::new();
    let file = sources.load(path, path.display().to_string()).expect("readable");
    let source = sources.get(file);
    let mut diagnostics = Vec::new();
    let inventory =
        cutover::syntax::inventory::read_inventory(file, &source.name, &source.text, &mut diagnostics).expect("read");
    assert!(diagnostics.is_empty(), "{}: {diagnostics:#?}", path.display());
    inventory
}

/// Each group with its hosts, `all` and `ungrouped` left out, sorted by name.
fn groups(inventory: &Inventory) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = inventory
        .groups
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "all" | "ungrouped"))
        .map(|(name, group)| (name.clone(), group.hosts.iter().map(|host| host.value.clone()).collect()))
        .collect();
    groups.sort();
    groups
}

/// `cutover paths` of the fixture fleet in each form: the same hosts, versions and paths.
#[test]
fn the_three_forms_give_the_same_paths() {
    let mut reports = Vec::new();
    for form in FORMS {
        let inventory = format!("tests/fixtures/ok/ansible/{form}");
        let output = common::cutover(&[
            "paths",
            "--manifest",
            "tests/fixtures/common/manifest.yaml",
            "--inventory",
            &inventory,
            "--format",
            "json",
        ]);
        assert_eq!(output.status.code(), Some(0), "{form}: {}", common::text(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        // `--list` JSON names hosts in its sorted order; compare host by host.
        let mut hosts: Vec<String> =
            report["hosts"].as_array().expect("hosts").iter().map(ToString::to_string).collect();
        hosts.sort();
        reports.push(hosts);
    }
    assert_eq!(reports[0].len(), 7, "every host of the fleet, ranges expanded");
    assert_eq!(reports[0], reports[1], "INI and YAML");
    assert_eq!(reports[0], reports[2], "INI and JSON");
    let human = common::cutover(&[
        "paths",
        "--manifest",
        "tests/fixtures/common/manifest.yaml",
        "--inventory",
        "tests/fixtures/ok/ansible/hosts.ini",
    ]);
    insta::assert_snapshot!("ini_paths", common::stdout(&human));
}

#[test]
fn the_three_forms_give_the_same_groups() {
    let expected = groups(&read(&common::root().join("tests/fixtures/ok/ansible/hosts.ini")));
    assert_eq!(
        expected,
        [
            ("app".to_owned(), vec!["app-1".to_owned(), "app-2".to_owned()]),
            ("db".to_owned(), vec!["db01".to_owned()]),
            ("gl".to_owned(), vec!["gl-a".to_owned(), "gl-b".to_owned(), "gl-c".to_owned()]),
            ("prod".to_owned(), vec!["app-1".to_owned(), "app-2".to_owned(), "db01".to_owned()]),
        ]
    );
    for form in &FORMS[1..] {
        let inventory = read(&common::root().join("tests/fixtures/ok/ansible").join(form));
        assert_eq!(groups(&inventory), expected, "{form}");
        assert_eq!(inventory.groups["ungrouped"].hosts.len(), 1, "{form}: bastion-1");
        assert_eq!(inventory.groups["all"].hosts.len(), 7, "{form}");
    }
}

/// What `build --emit ansible` writes is an inventory cutover reads: the same groups and hosts
/// as the plan's, for a plan with cutover's own inventory and for one with an Ansible one.
#[test]
fn the_inventory_emit_ansible_writes_reads_back() {
    for (name, plan, inventory) in [
        ("dten", "plans/dten-4.2/plan.yaml", "plans/dten-4.2/inventory.yaml"),
        ("ini", "tests/fixtures/ok/ansible-ini.yaml", "tests/fixtures/ok/ansible/hosts.ini"),
    ] {
        let out = common::scratch(&format!("inventory-read-back-{name}"));
        common::build(&common::root().join(plan), "ansible", &out.join("playbook"));
        let written = read(&out.join("playbook/inventory.yml"));
        let original = read(&common::root().join(inventory));
        assert_eq!(groups(&written), groups(&original), "{plan}");
        let hosts = |inventory: &Inventory| {
            let mut hosts: Vec<String> = inventory.hosts.keys().cloned().collect();
            hosts.sort();
            hosts
        };
        assert_eq!(hosts(&written), hosts(&original), "{plan}");
        assert!(!groups(&written).is_empty());
    }
}
