//! The hooks of `.pre-commit-hooks.yaml` run by the real pre-commit (pinned in the Makefile, from
//! the test venv; `CUTOVER_PRE_COMMIT` names another) over a git repository holding a copy of
//! plans/ (each set as YAML and as DSL): `pre-commit run --all-files` hands the hook every YAML file (manifests, inventories,
//! libraries, `.pre-commit-config.yaml` itself), and the hook lints the plans among them and
//! skips the rest with a note. A broken plan fails it.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The field `field` of hook `id` in `.pre-commit-hooks.yaml`, as written (one line each).
fn hook_field(id: &str, field: &str) -> Option<String> {
    let hooks = std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).expect("the hooks file");
    let start = hooks.find(&format!("- id: {id}\n")).unwrap_or_else(|| panic!("hook {id}"));
    let rest = &hooks[start..];
    let end = rest[1..].find("\n- id:").map_or(rest.len(), |offset| offset + 1);
    rest[..end].lines().find_map(|line| line.trim().strip_prefix(&format!("{field}: ")).map(str::to_owned))
}

/// The repository's hooks as a `repo: local` configuration: the same entry, file selection and
/// serial run, with `cutover` being the binary under test instead of one pre-commit builds.
fn local_config() -> String {
    let binary = env!("CARGO_BIN_EXE_cutover");
    let mut config = String::from("repos:\n  - repo: local\n    hooks:\n");
    for id in ["cutover-lint", "cutover-fmt"] {
        let entry = hook_field(id, "entry").expect("an entry");
        let arguments = entry.strip_prefix("cutover").expect("the entry runs cutover");
        let files = hook_field(id, "files").expect("a file selection");
        let _ = write!(
            config,
            "      - id: {id}\n        name: {id}\n        entry: {binary}{arguments}\n        language: system\n        files: '{files}'\n"
        );
        if let Some(serial) = hook_field(id, "require_serial") {
            let _ = writeln!(config, "        require_serial: {serial}");
        }
    }
    config
}

fn copy_tree(from: &Path, to: &Path) {
    for file in common::files_under(from) {
        let target = to.join(file.strip_prefix(from).expect("under the tree"));
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&file, &target).expect("copy");
    }
}

fn git(directory: &Path, arguments: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=cutover", "-c", "user.email=cutover@localhost", "-c", "init.defaultBranch=main"])
        .args(arguments)
        .current_dir(directory)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {arguments:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn pre_commit(directory: &Path) -> (Option<i32>, String) {
    let tool = std::env::var_os("CUTOVER_PRE_COMMIT")
        .map_or_else(|| common::root().join(".venv/bin/pre-commit"), PathBuf::from);
    assert!(tool.is_file(), "pre-commit is not at {}: run `make setup`, which installs the pinned one", tool.display());
    let output: Output = Command::new(&tool)
        .args(["run", "--all-files", "--verbose", "--color", "never"])
        .current_dir(directory)
        // Its cache stays in the scratch folder: nothing outside the test is read or written.
        .env("PRE_COMMIT_HOME", directory.join(".cache-pre-commit"))
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

#[test]
fn the_hooks_pass_on_the_example_plans_and_fail_on_a_broken_one() {
    let directory = common::scratch("pre-commit");
    copy_tree(&common::root().join("plans"), &directory.join("plans"));
    std::fs::write(directory.join(".pre-commit-config.yaml"), local_config()).expect("write");
    std::fs::write(directory.join(".gitignore"), ".cache-pre-commit/\n").expect("write");
    git(&directory, &["init", "-q"]);
    git(&directory, &["add", "."]);

    let (code, text) = pre_commit(&directory);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("6 plans linted: no problems"), "{text}");
    // What is not a plan is named once, as a note.
    for skipped in [".pre-commit-config.yaml", "plans/dten-4.2/inventory.yaml", "plans/dten-4.2/lib/dten.yaml"] {
        let note = format!("note: skipped `{skipped}`: not a plan (no top-level `cutover:` key)");
        assert_eq!(text.matches(&note).count(), 1, "{note}\n{text}");
    }
    assert!(!text.contains("error"), "{text}");

    // A step of the dten plan waits for a step that does not exist.
    let plan = std::fs::read_to_string(directory.join("plans/dten-4.2/plan.yaml")).expect("the dten plan");
    assert!(plan.contains("after: ["), "the dten plan has an `after`");
    std::fs::write(directory.join("plans/dten-4.2/plan.yaml"), plan.replacen("after: [", "after: [no-such-step, ", 1))
        .expect("write");
    git(&directory, &["add", "."]);
    let (code, text) = pre_commit(&directory);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("CUT004"), "{text}");
    assert!(text.contains("6 plans linted: 1 error"), "{text}");
}
