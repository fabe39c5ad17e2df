//! `cutover paths` and `cutover scan-config`, run as the real binary: the plan sets' upgrade
//! paths (snapshotted as text and JSON), hosts with no path or already at the target, and config
//! files of each supported form with their exit codes.

mod common;

use common::{cutover, scratch, stderr, stdout};

const DTEN_MANIFEST: &str = "plans/dten-4.2/manifest.json";
const CONFIG_MANIFEST: &str = "tests/fixtures/config/manifest.yml";

fn paths(manifest: &str, inventory: &str, format: &str) -> std::process::Output {
    cutover(&["paths", "--manifest", manifest, "--inventory", inventory, "--format", format])
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output)).expect("valid JSON")
}

#[test]
fn dten_paths_human() {
    let output = paths(DTEN_MANIFEST, "plans/dten-4.2/inventory.yaml", "human");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("app-1  dten-core   3.9.2 → 4.0.3 (required stop) → 4.2.0\n"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn dten_paths_json() {
    let output = paths(DTEN_MANIFEST, "plans/dten-4.2/inventory.yaml", "json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["format"], "cutover-paths/1");
    // Hosts without the component are listed, with a null path.
    let db = &value["hosts"][0];
    assert_eq!(db["host"], "db-1");
    assert_eq!(db["components"][0]["status"], "not-installed");
    assert!(db["components"][0]["path"].is_null());
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn gitlab_paths_land_on_every_required_stop() {
    let manifest = "plans/gitlab-17/manifest.json";
    let inventory = "plans/gitlab-17/inventory.yaml";
    let human = paths(manifest, inventory, "human");
    assert_eq!(human.status.code(), Some(0), "{}", stderr(&human));
    insta::assert_snapshot!("gitlab_paths_human", stdout(&human));
    let output = paths(manifest, inventory, "json");
    assert_eq!(output.status.code(), Some(0));
    let value = json(&output);
    assert_eq!(
        value["hosts"][0]["components"][0]["stops"],
        serde_json::json!(["16.3.9", "16.7.10", "16.11.10", "17.1.8", "17.3.6"])
    );
    insta::assert_snapshot!("gitlab_paths_json", stdout(&output));
}

/// An inventory with a host at the target, hosts with no path, and a host mid-way.
fn mixed_inventory() -> String {
    let directory = scratch("paths-mixed");
    let inventory = directory.join("inventory.yaml");
    std::fs::write(
        &inventory,
        "hosts:\n\
         \x20 app-current: { installed: { dten-core: 4.2.0, dten-agent: 4.2.0 } }\n\
         \x20 app-ancient: { installed: { dten-core: 3.1.0, dten-agent: 4.1.0 } }\n\
         \x20 app-ahead:   { installed: { dten-core: 4.3.0 } }\n\
         \x20 app-midway:  { installed: { dten-core: 4.0.3 } }\n\
         \x20 db-1:        { installed: { postgres: 14.11 } }\n",
    )
    .expect("scratch inventory");
    inventory.display().to_string()
}

#[test]
fn hosts_with_no_path_and_hosts_at_the_target() {
    let inventory = mixed_inventory();
    let human = paths(DTEN_MANIFEST, &inventory, "human");
    // A host with no upgrade path is what CUT012 reports as an error: exit 1.
    assert_eq!(human.status.code(), Some(1), "{}", stderr(&human));
    let text = stdout(&human);
    assert!(text.contains("app-current  dten-core   already at 4.2.0\n"), "{text}");
    assert!(text.contains("app-ancient  dten-core   no upgrade path from 3.1.0 to 4.2.0"), "{text}");
    insta::assert_snapshot!("mixed_paths_human", text);

    let output = paths(DTEN_MANIFEST, &inventory, "json");
    assert_eq!(output.status.code(), Some(1));
    let value = json(&output);
    let row = |host: usize, component: usize| value["hosts"][host]["components"][component].clone();
    assert_eq!(row(0, 0)["status"], "at-target");
    assert_eq!(row(0, 0)["path"], serde_json::json!([]));
    assert_eq!(row(1, 0)["no_path"]["kind"], "no-matching-range");
    assert_eq!(row(2, 0)["no_path"]["kind"], "newer-than-target");
    assert_eq!(row(2, 1)["status"], "not-installed");
    assert_eq!(row(3, 0)["path"], serde_json::json!(["4.2.0"]));
    insta::assert_snapshot!("mixed_paths_json", stdout(&output));
}

#[test]
fn paths_exit_codes_for_bad_inputs() {
    let missing = paths("no-such-manifest.json", "plans/dten-4.2/inventory.yaml", "human");
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(stderr(&missing), "error: cannot read `no-such-manifest.json`: no such file\n");
    // An inventory given as the manifest: its errors are rendered, and the run exits 1.
    let swapped = paths("plans/dten-4.2/inventory.yaml", "plans/dten-4.2/inventory.yaml", "human");
    assert_eq!(swapped.status.code(), Some(1));
    assert!(stderr(&swapped).contains("CUT002 unknown-field"), "{}", stderr(&swapped));
    assert!(stdout(&swapped).is_empty());
    let no_inventory = cutover(&["paths", "--manifest", DTEN_MANIFEST]);
    assert_eq!(no_inventory.status.code(), Some(2));
}

fn scan(manifest: &str, files: &[&str], format: &str) -> std::process::Output {
    let mut arguments = vec!["scan-config", "--manifest", manifest, "--format", format];
    arguments.extend_from_slice(files);
    cutover(&arguments)
}

#[test]
fn key_equals_value_with_a_removed_key_exits_1() {
    let output = scan(DTEN_MANIFEST, &["tests/fixtures/config/removed.conf"], "human");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "tests/fixtures/config/removed.conf:4: removed key dten.legacy.fallback \
         (removed in 4.2.0; use dten.hybrid.enable instead)\n\
         1 file scanned: 1 removed key, 0 deprecated keys\n"
    );
}

#[test]
fn every_form_of_config_file() {
    let files = [
        "tests/fixtures/config/removed.conf",
        "tests/fixtures/config/deprecated.yml",
        "tests/fixtures/config/sections.ini",
        "tests/fixtures/config/clean.conf",
    ];
    let output = scan(CONFIG_MANIFEST, &files, "human");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!("scan_human", stdout(&output));
    let output = scan(CONFIG_MANIFEST, &files, "json");
    assert_eq!(output.status.code(), Some(1));
    let value = json(&output);
    assert_eq!(value["format"], "cutover-scan-config/1");
    assert_eq!(value["summary"], serde_json::json!({ "files": 4, "removed": 2, "deprecated": 3 }));
    insta::assert_snapshot!("scan_json", stdout(&output));
}

#[test]
fn only_deprecated_keys_exit_0() {
    let output = scan(CONFIG_MANIFEST, &["tests/fixtures/config/deprecated.yml"], "human");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "tests/fixtures/config/deprecated.yml:3: deprecated key dten.cache.size \
         (deprecated in 4.1.0; to be removed in 4.4.0; use dten.cache.bytes instead)\n\
         1 file scanned: 0 removed keys, 1 deprecated key\n"
    );
}

#[test]
fn ini_sections_and_comments() {
    let output = scan(CONFIG_MANIFEST, &["tests/fixtures/config/sections.ini"], "json");
    assert_eq!(output.status.code(), Some(1));
    let value = json(&output);
    let findings = value["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2, "{value}");
    // `fallback` under `[dten.legacy]`, not the commented-out line above it.
    assert_eq!(findings[0]["line"], 8);
    assert_eq!(findings[0]["key"], "dten.legacy.fallback");
    assert_eq!(findings[0]["written"], "fallback");
    assert_eq!(findings[0]["section"], "dten.legacy");
    assert_eq!(findings[0]["code"], "CUT015");
    assert_eq!(findings[1]["code"], "CUT016");
}

#[test]
fn a_clean_file_exits_0() {
    let output = scan(CONFIG_MANIFEST, &["tests/fixtures/config/clean.conf"], "human");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "1 file scanned: no deprecated or removed keys\n");
}

#[test]
fn unreadable_files_exit_2_with_one_line_each() {
    let output =
        scan(CONFIG_MANIFEST, &["tests/fixtures/config/removed.conf", "tests/fixtures/config/nope.conf"], "human");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), "error: cannot read `tests/fixtures/config/nope.conf`: no such file\n");
    // The readable file is still scanned.
    assert!(stdout(&output).contains("removed.conf:4: removed key dten.legacy.fallback"));

    let directory = scan(CONFIG_MANIFEST, &["tests/fixtures/config"], "human");
    assert_eq!(directory.status.code(), Some(2));
    assert_eq!(stderr(&directory), "error: cannot read `tests/fixtures/config`: it is a directory, not a file\n");

    let missing_manifest = scan("no-such-manifest.yml", &["tests/fixtures/config/clean.conf"], "human");
    assert_eq!(missing_manifest.status.code(), Some(2));
    assert_eq!(stderr(&missing_manifest), "error: cannot read `no-such-manifest.yml`: no such file\n");

    let no_files = cutover(&["scan-config", "--manifest", CONFIG_MANIFEST]);
    assert_eq!(no_files.status.code(), Some(2));
}
