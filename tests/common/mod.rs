//! Shared helpers for the integration tests: run the real binary.

#![allow(dead_code)]

pub mod ansible;
pub mod fleet;

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

/// `cutover build PLAN --emit FORMAT -o OUTPUT`, which must succeed.
pub fn build(plan: &Path, format: &str, output: &Path) {
    let result = cutover(&[
        "build",
        plan.to_str().expect("UTF-8 path"),
        "--emit",
        format,
        "-o",
        output.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(result.status.code(), Some(0), "{}: {}", plan.display(), text(&result));
}

/// The lowered plan of `plan`, as `build --emit json` prints it.
pub fn lowered(plan: &Path) -> serde_json::Value {
    let json = cutover(&["build", plan.to_str().expect("UTF-8 path"), "--emit", "json"]);
    serde_json::from_slice(&json.stdout).expect("lowered plan")
}

/// The tools the dten plan calls, which the rehearsals' stub stands in for.
pub const DTEN_TOOLS: &[&str] = &[
    "systemctl",
    "apt-get",
    "dpkg-query",
    "dtenctl",
    "runuser",
    "install",
    "curl",
    "df",
    "openssl",
    "pg_isready",
    "logger",
];

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

/// A rehearsal copy of the plan set `plans/PLAN` under `directory`: the set in `plan/`, with
/// each absolute path prefix in `moved` put under `root/` wherever the plan or its libraries
/// (`lib/`) name it, and the stub tool (tests/rehearsal/stub) linked into `bin/` under each of
/// `tools`' names. Returns the plan set's folder. The caller seeds `root/` with what the plan's
/// commands read, and the stub's state (`stub/state/HOST`) with what the hosts start from; the
/// stub writes under `root/` when `STUB_ROOT` names it.
pub fn rehearsal(plan: &str, directory: &Path, tools: &[&str], moved: &[&str]) -> PathBuf {
    let root = directory.join("root");
    let plan_directory = directory.join("plan");
    moved_plan(plan, &plan_directory, &root, moved);
    std::fs::create_dir_all(&root).expect("root");
    std::fs::create_dir_all(directory.join("stub")).expect("stub");
    link_stub(&directory.join("bin"), tools);
    plan_directory
}

/// A copy of the plan set `plans/PLAN` in `plan_directory`, with each absolute path prefix in
/// `moved` put under `root` wherever the plan or its libraries (`lib/`) name it.
pub fn moved_plan(plan: &str, plan_directory: &Path, root: &Path, moved: &[&str]) {
    moved_plan_gated(plan, plan_directory, root, moved, QUICK_GATE);
}

/// The gate of `plans/dten-4.2`'s reboot as the plan writes it (3 passes 5 s apart, then 30 s of
/// soak: 40 s a batch), and as the copies of `moved_plan` write it: one check, so that a run of
/// the plan costs a second a batch. The gate's own tests choose theirs (`moved_plan_gated`).
pub const DTEN_GATE: &str = "interval: 5s, passes: 3, soak: 30s";
pub const QUICK_GATE: &str = "interval: 1s, passes: 1, soak: 0s";

/// `moved_plan`, with `gate` in place of `DTEN_GATE`'s timing.
pub fn moved_plan_gated(plan: &str, plan_directory: &Path, root: &Path, moved: &[&str], gate: &str) {
    copy_tree(&self::root().join("plans").join(plan), plan_directory);
    let root_text = root.to_str().expect("UTF-8 path");
    let mut files = vec![plan_directory.join("plan.yaml")];
    if let Ok(entries) = std::fs::read_dir(plan_directory.join("lib")) {
        let mut libraries: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        libraries.sort();
        files.extend(libraries);
    }
    for path in files {
        let mut text = std::fs::read_to_string(&path).expect("plan file");
        for prefix in moved {
            text = text.replace(prefix, &format!("{root_text}{prefix}"));
        }
        text = text.replace(DTEN_GATE, gate);
        std::fs::write(&path, text).expect("rewrite");
    }
}

/// Links the stub tool into `folder` under each of `names`.
pub fn link_stub(folder: &Path, names: &[&str]) {
    std::fs::create_dir_all(folder).expect("stub folder");
    for name in names {
        std::os::unix::fs::symlink(root().join("tests/rehearsal/stub"), folder.join(name)).expect("stub");
    }
}

/// Writes `files` (path relative to `folder`, contents), making their folders.
pub fn write_tree(folder: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = folder.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
}

/// Every file under `folder` (path relative to it, contents), sorted by path; none when the
/// folder does not exist.
pub fn read_tree(folder: &Path) -> Vec<(String, String)> {
    files_under(folder)
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(folder).expect("under the folder").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("UTF-8 file");
            (name, text)
        })
        .collect()
}

/// Every file under `folder`, at any depth, sorted by path; none when the folder does not
/// exist. The one directory walk of the tests.
pub fn files_under(folder: &Path) -> Vec<PathBuf> {
    fn walk(folder: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(folder) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(folder, &mut files);
    files.sort();
    files
}

/// The fixture plans under `tests/fixtures` (those whose first line is `# expect: …`), sorted.
pub fn fixture_plans() -> Vec<PathBuf> {
    files_under(&root().join("tests/fixtures"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .filter(|path| std::fs::read_to_string(path).is_ok_and(|text| text.starts_with("# expect:")))
        .collect()
}

/// Seeds the stub's state for `host`: installed package versions and unit states.
pub fn seed_host(directory: &Path, host: &str, packages: &[(&str, &str)], units: &[(&str, &str)]) {
    let state = directory.join("stub/state").join(host);
    for (name, version) in packages {
        write_tree(&state.join("pkg"), &[(name, &format!("{version}\n"))]);
    }
    for (unit, active) in units {
        write_tree(&state.join("unit"), &[(unit, &format!("{active}\n"))]);
    }
}

/// A rehearsal copy of `plans/dten-4.2` under `directory` (see `rehearsal`): `/etc/` and
/// `/var/backups` moved under `root/`, which holds the config and cron files the plan edits,
/// and the stub's state seeded with the inventory's installed versions.
pub fn dten_rehearsal(directory: &Path, tools: &[&str]) -> PathBuf {
    let plan_directory = rehearsal("dten-4.2", directory, tools, &["/etc/", "/var/backups"]);
    let root = directory.join("root");
    std::fs::create_dir_all(root.join("var/backups")).expect("backups");
    write_tree(
        &root.join("etc"),
        &[("dten/dten.conf", DTEN_CONFIG), ("cron.d/dten-compact", "0 3 * * * dten dtenctl compact\n")],
    );
    for host in ["app-1", "app-2", "app-3"] {
        seed_host(directory, host, &[("dten-core", "3.9.2"), ("dten-agent", "3.9.2")], &[]);
    }
    plan_directory
}

/// The 14 data directory of the postgres rehearsal, as it starts.
pub const PG14_DATA: &[(&str, &str)] = &[
    ("PG_VERSION", "14\n"),
    ("global/pg_control", "pg_control of the billing cluster, 14\n"),
    ("base/16384/16385", "billing.invoices rows\n"),
    ("postgresql.conf", "# PostgreSQL 14\nmax_connections = 200\n"),
    ("postgresql.auto.conf", "# Do not edit this file manually!\nwork_mem = '64MB'\n"),
    ("pg_hba.conf", "local all all peer\nhost replication replicator 10.0.0.0/24 scram-sha-256\n"),
    ("conf.d/10-billing.conf", "shared_buffers = '8GB'\nwal_level = replica\n"),
];

/// A rehearsal copy of `plans/postgres-16` under `directory` (see `rehearsal`): `/var/lib/pgsql`,
/// `/usr/pgsql-NN` and `/var/backups` moved under `root/`, the 14 cluster's data directory
/// seeded (`PG14_DATA`), the stub linked as the PGDG 16 binaries the plan calls by path, and
/// both hosts running 14 from the PGDG packages, started at boot.
pub fn postgres_rehearsal(directory: &Path, tools: &[&str]) -> PathBuf {
    let plan_directory = rehearsal("postgres-16", directory, tools, &["/var/lib/pgsql", "/usr/pgsql-", "/var/backups"]);
    let root = directory.join("root");
    write_tree(&root.join("var/lib/pgsql/14/data"), PG14_DATA);
    std::fs::create_dir_all(root.join("var/backups")).expect("backups");
    std::fs::create_dir_all(root.join("usr/pgsql-14/bin")).expect("pgsql-14");
    link_stub(&root.join("usr/pgsql-16/bin"), &["postgresql-16-setup", "pg_upgrade", "vacuumdb", "pg_basebackup"]);
    for host in ["db-1", "db-2"] {
        seed_host(
            directory,
            host,
            &[("postgresql14", "14.13"), ("postgresql14-server", "14.13"), ("postgresql14-contrib", "14.13")],
            &[("postgresql-14.service", "active")],
        );
        write_tree(&directory.join("stub/state").join(host).join("boot"), &[("postgresql-14.service", "enabled\n")]);
    }
    plan_directory
}

/// A rehearsal copy of `plans/gitlab-17` under `directory` (see `rehearsal`): `/etc/gitlab` and
/// `/var/opt/gitlab` moved under `root/` and seeded with a repository and an upload, and
/// gitlab-1 running 16.3.6 from the Linux package, not in maintenance mode.
pub fn gitlab_rehearsal(directory: &Path, tools: &[&str]) -> PathBuf {
    let plan_directory = rehearsal("gitlab-17", directory, tools, &["/etc/gitlab", "/var/opt/gitlab"]);
    let root = directory.join("root");
    write_tree(
        &root,
        &[
            ("etc/gitlab/gitlab.rb", "external_url 'https://gitlab.example.com'\n"),
            ("var/opt/gitlab/git-data/repositories/billing/api.git/HEAD", "ref: refs/heads/main\n"),
            ("var/opt/gitlab/gitlab-rails/uploads/logo.svg", "<svg/>\n"),
        ],
    );
    std::fs::create_dir_all(root.join("var/opt/gitlab/backups")).expect("backups");
    seed_host(directory, "gitlab-1", &[("gitlab-ee", "16.3.6-ee.0")], &[]);
    write_tree(&directory.join("stub/state/gitlab-1"), &[("maintenance-mode", "off\n")]);
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

/// Kills (-9) every process that holds `file` open: the commands a killed script left behind,
/// which keep its lock.
pub fn kill_holders(file: &Path) {
    let Ok(target) = std::fs::canonicalize(file) else { return };
    let Ok(processes) = std::fs::read_dir("/proc") else { return };
    for process in processes.flatten() {
        let Some(pid) = process.file_name().to_str().and_then(|name| name.parse::<i32>().ok()) else { continue };
        let Ok(descriptors) = std::fs::read_dir(process.path().join("fd")) else { continue };
        let holds = descriptors.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|link| link == target));
        if holds {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}
