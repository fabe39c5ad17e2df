//! Shared helpers for the integration tests: run the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cutover` with `arguments` from the repository root, without colour.
pub fn cutover(arguments: &[&str]) -> Output {
    cutover_in(&root(), arguments)
}

pub fn cutover_in(directory: &Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(arguments)
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .output()
        .expect("the cutover binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("output is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("output is UTF-8")
}

/// A fresh, empty directory under the target directory, removed and recreated on each call.
pub fn scratch(name: &str) -> PathBuf {
    let directory = root().join("target").join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).expect("scratch directory");
    directory
}

/// The dten config file before any plan touched it.
pub const DTEN_CONFIG: &str =
    "# dten 3.9 configuration\nlisten = 0.0.0.0:8080\ndten.legacy.fallback = true\nsessions.ttl = 3600\n";

/// A rehearsal copy of `plans/dten-4.2` under `directory`: the plan set in `plan/` with its
/// absolute paths moved under `root/` (which holds the config and cron files the plan edits),
/// the stub tool (tests/rehearsal/stub) linked into `bin/` under each of `tools`' names, and the
/// stub's state seeded with the inventory's installed versions. Returns the plan set's folder.
pub fn dten_rehearsal(directory: &Path, tools: &[&str]) -> PathBuf {
    let root = directory.join("root");
    let plan_directory = directory.join("plan");
    copy_tree(&self::root().join("plans/dten-4.2"), &plan_directory);
    let root_text = root.to_str().expect("UTF-8 path");
    for file in ["plan.yaml", "lib/dten.yaml"] {
        let path = plan_directory.join(file);
        let text = std::fs::read_to_string(&path).expect("plan file");
        let moved = text
            .replace("/etc/", &format!("{root_text}/etc/"))
            .replace("/var/backups", &format!("{root_text}/var/backups"));
        std::fs::write(&path, moved).expect("rewrite");
    }
    std::fs::create_dir_all(root.join("etc/dten")).expect("etc");
    std::fs::create_dir_all(root.join("etc/cron.d")).expect("cron.d");
    std::fs::create_dir_all(root.join("var/backups")).expect("backups");
    std::fs::write(root.join("etc/dten/dten.conf"), DTEN_CONFIG).expect("config");
    std::fs::write(root.join("etc/cron.d/dten-compact"), "0 3 * * * dten dtenctl compact\n").expect("cron");
    let bin = directory.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    for tool in tools {
        std::os::unix::fs::symlink(self::root().join("tests/rehearsal/stub"), bin.join(tool)).expect("stub");
    }
    for host in ["app-1", "app-2", "app-3"] {
        let packages = directory.join("stub/state").join(host).join("pkg");
        std::fs::create_dir_all(&packages).expect("state");
        std::fs::write(packages.join("dten-core"), "3.9.2\n").expect("state");
        std::fs::write(packages.join("dten-agent"), "3.9.2\n").expect("state");
    }
    plan_directory
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A program's path, found on PATH.
pub fn which(program: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .map(|directory| Path::new(directory).join(program))
        .find(|candidate| candidate.is_file())
        .expect(program)
}

/// A file's lines; none when it does not exist.
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).map(|text| text.lines().map(str::to_owned).collect()).unwrap_or_default()
}

/// Standard output and standard error together.
pub fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
