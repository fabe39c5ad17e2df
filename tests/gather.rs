//! `cutover gather` over the real-ssh fleet (tests/common/fleet.rs: one real sshd per host on
//! 127.0.0.x), the stub standing in for the hosts' package manager: each host asked at once,
//! mixed versions (an epoch and a Debian revision dropped, and said so), a host that cannot be
//! reached, a command probe that prints nothing, and the inventory it writes checked and mapped
//! by `paths` (and `paths --gather`) to the same answer. Then `--from-facts` on the tree that
//! the real `ansible -m package_facts --tree` writes from the same hosts, against the real
//! dpkg: both ways read the same version.

mod common;

use common::fleet::{self, Fleet};
use std::path::{Path, PathBuf};
use std::process::Output;

fn cutover(fleet: &Fleet, arguments: &[&str]) -> Output {
    fleet.command(env!("CARGO_BIN_EXE_cutover")).args(arguments).output().expect("cutover runs")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The line of `host` under `hosts:` in a written inventory.
fn host_line<'a>(inventory: &'a str, host: &str) -> &'a str {
    inventory.lines().find(|line| line.starts_with(&format!("  {host}: {{"))).unwrap_or_else(|| panic!("{inventory}"))
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 20
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            4 | 7 => *byte == b'-',
            10 => *byte == b'T',
            13 | 16 => *byte == b':',
            19 => *byte == b'Z',
            _ => byte.is_ascii_digit(),
        })
}

fn gathered_at(line: &str) -> Option<&str> {
    line.split("gathered: ").nth(1).map(|rest| rest.trim_end_matches(" }"))
}

/// A copy of the dten plan whose inventory is `inventory`.
fn plan_with_inventory(directory: &Path, inventory: &str) -> PathBuf {
    let plan =
        read(&directory.join("plan.yaml")).replace("inventory: inventory.yaml", &format!("inventory: {inventory}"));
    let path = directory.join(format!("plan-{inventory}"));
    std::fs::write(&path, plan).expect("plan");
    path
}

#[test]
fn gather_asks_every_host_over_ssh_and_names_what_it_could_not() {
    let fleet = Fleet::start("gather", &["app-1", "app-2", "app-3", "db-1"]);
    let directory = fleet::dten(&fleet);
    let manifest = directory.join("manifest.json");
    let inventory = directory.join("inventory.yaml");

    // As the inventory says: every answer matches, the plan checks with what was written, and
    // compiles for the same versions.
    let written = directory.join("gathered.yaml");
    let run = cutover(
        &fleet,
        &["gather", "--manifest", path(&manifest), "--inventory", path(&inventory), "-o", path(&written)],
    );
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    let text = read(&written);
    let app_1 = host_line(&text, "app-1");
    assert!(
        app_1.starts_with("  app-1: { installed: { dten-core: 3.9.2, dten-agent: 3.9.2, openssl: 3.0.13 }, gathered: ")
    );
    assert!(gathered_at(app_1).is_some_and(is_timestamp), "{app_1}");
    assert!(text.lines().any(|line| line.strip_prefix("gathered: ").is_some_and(is_timestamp)), "{text}");
    assert_eq!(host_line(&text, "db-1").split(", gathered").next(), Some("  db-1: { installed: { postgres: 14.11.0 }"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    for host in ["app-1", "app-2", "app-3", "db-1"] {
        assert_eq!(stderr.lines().filter(|line| line.starts_with(&format!("{host}: "))).count(), 1, "{stderr}");
    }
    let build = |plan: &Path| {
        let output = common::cutover(&["build", path(plan), "--emit", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
        serde_json::from_str::<serde_json::Value>(&common::stdout(&output)).expect("JSON")["compiled_for"].clone()
    };
    let compiled = build(&directory.join("plan.yaml"));
    assert_eq!(compiled["app-2"]["dten-core"], "3.9.2");
    assert_eq!(build(&plan_with_inventory(&directory, "gathered.yaml")), compiled);

    // Mixed: app-2's core is 4.0.3 as dpkg spells it, app-3 is down, and the agent is asked by
    // a command that prints nothing on app-2.
    fleet.seed("app-2", &[("dten-core", "1:4.0.3-1ubuntu2")], &[]);
    fleet.stop("app-3");
    let agent_version = fleet.common().join("agent-version");
    std::fs::write(fleet.root("app-1").join("agent-version"), "dten-agent 3.9.2 (build 77)\n").expect("seed");
    let mut commanded: serde_json::Value = serde_json::from_str(&read(&manifest)).expect("manifest JSON");
    commanded["components"]["dten-agent"]["probe"] = serde_json::json!({
        "command": format!("cat {} 2>/dev/null", agent_version.display()),
        "pattern": "dten-agent ([0-9.]+)",
    });
    let manifest = directory.join("manifest-commanded.json");
    std::fs::write(&manifest, commanded.to_string()).expect("manifest");
    let written = directory.join("mixed.yaml");
    let run = cutover(
        &fleet,
        &["gather", "--manifest", path(&manifest), "--inventory", path(&inventory), "-o", path(&written)],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "some host could not tell: {stderr}");
    assert!(stderr.lines().any(|line| line.starts_with("app-3: not gathered: ssh exited 255")), "{stderr}");
    assert!(
        stderr
            .contains("app-2: dten-core 4.0.3 (from 1:4.0.3-1ubuntu2), dten-agent unknown: the probe printed nothing")
    );
    assert!(stderr.contains("app-1: dten-core 3.9.2, dten-agent 3.9.2\n"), "{stderr}");
    let text = read(&written);
    assert!(host_line(&text, "app-1").starts_with("  app-1: { installed: { dten-core: 3.9.2, dten-agent: 3.9.2,"));
    assert!(host_line(&text, "app-2").starts_with("  app-2: { installed: { dten-core: 4.0.3, dten-agent: 3.9.2,"));
    assert!(text.contains("  # app-2: dten-core 4.0.3 read from 1:4.0.3-1ubuntu2\n"), "{text}");
    assert!(text.contains("  # app-2: dten-agent not gathered: the probe printed nothing; kept at 3.9.2\n"), "{text}");
    let app_3 = host_line(&text, "app-3");
    assert!(gathered_at(app_3).is_none(), "app-3 was not gathered: {app_3}");
    assert!(text.contains("  # app-3: not gathered: ssh exited 255"), "{text}");

    // `paths` on what was written, and `paths --gather` asking again, say the same.
    let paths =
        common::cutover(&["paths", "--manifest", path(&manifest), "--inventory", path(&written), "--format", "json"]);
    assert_eq!(paths.status.code(), Some(0), "{}", common::text(&paths));
    let mapped: serde_json::Value = serde_json::from_str(&common::stdout(&paths)).expect("JSON");
    let app_2 = mapped["hosts"].as_array().expect("hosts").iter().find(|host| host["host"] == "app-2").expect("app-2");
    assert_eq!(app_2["components"][0]["installed"], "4.0.3", "{app_2}");
    let again = cutover(
        &fleet,
        &["paths", "--gather", "--manifest", path(&manifest), "--inventory", path(&inventory), "--format", "json"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", common::text(&again));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&common::stdout(&again)).expect("JSON"), mapped);
}

#[test]
fn from_facts_reads_what_ansible_package_facts_wrote() {
    // No stub for dpkg-query: both ways read this machine's real dpkg.
    let fleet = Fleet::start_with_tools("gather-facts", &["web-1", "web-2"], &["systemctl"]);
    let directory = fleet.directory().join("facts-plan");
    common::write_tree(
        &directory,
        &[
            (
                "manifest.yaml",
                "package: shell\nversion: 9.0.0\ncomponents:\n  bash:\n    version: 9.0.0\n    probe: { package: bash }\n    \
                 upgrade_from: [{ from: \">=4.0.0\" }]\n",
            ),
            ("inventory.ini", "[web]\nweb-1\nweb-2\n"),
        ],
    );
    fleet.stop("web-2");
    let tree = directory.join("facts");
    let ansible = common::ansible::ansible_playbook().with_file_name("ansible");
    let mut command = fleet.command(ansible);
    command
        .args(["all", "-i"])
        .arg(directory.join("inventory.ini"))
        .args(["-m", "ansible.builtin.package_facts", "-e", "ansible_python_interpreter=/usr/bin/python3", "--tree"])
        .arg(&tree)
        .env("ANSIBLE_SSH_ARGS", format!("-F {}", fleet.ssh_config().display()))
        .env("ANSIBLE_TIMEOUT", "5");
    common::ansible::quiet(&mut command, &directory.join("ansible"));
    let facts = command.output().expect("ansible runs");
    assert_eq!(facts.status.code(), Some(4), "web-2 is unreachable: {}", common::text(&facts));

    let manifest = directory.join("manifest.yaml");
    let inventory = directory.join("inventory.ini");
    let from_facts = cutover(
        &fleet,
        &["gather", "--manifest", path(&manifest), "--inventory", path(&inventory), "--from-facts", path(&tree)],
    );
    let stderr = String::from_utf8_lossy(&from_facts.stderr);
    assert_eq!(from_facts.status.code(), Some(1), "web-2 could not be asked: {stderr}");
    assert!(stderr.lines().any(|line| line.starts_with("web-2: not gathered: package_facts unreachable")), "{stderr}");
    let over_ssh = cutover(&fleet, &["gather", "--manifest", path(&manifest), "--inventory", path(&inventory)]);
    assert_eq!(over_ssh.status.code(), Some(1), "{}", common::text(&over_ssh));

    let real = std::process::Command::new("dpkg-query").args(["-W", "-f=${Version}", "bash"]).output().expect("dpkg");
    let real = String::from_utf8_lossy(&real.stdout).into_owned();
    let upstream = real.split_once(':').map_or(real.as_str(), |(_, rest)| rest);
    let upstream = upstream.rsplit_once('-').map_or(upstream, |(version, _)| version);
    for output in [&from_facts, &over_ssh] {
        let text = common::stdout(output);
        let web_1 = host_line(&text, "web-1");
        assert!(web_1.starts_with(&format!("  web-1: {{ installed: {{ bash: {upstream} }}, gathered: ")), "{text}");
        assert!(text.contains("  # web-2: not gathered: "), "{text}");
    }
}
