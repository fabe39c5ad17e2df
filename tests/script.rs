//! The generated bash script, run for real: `plans/dten-4.2` rehearsed with `--local` and stub
//! tools on PATH that record their calls (tests/rehearsal/stub), failures injected at each
//! mutating step in turn, a crash and a resume, two runs at once, and hostile values.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A copy of a plan set with its absolute paths moved under a scratch root, its script built,
/// and stub tools ready.
struct Rehearsal {
    directory: PathBuf,
    plan: PathBuf,
    script: PathBuf,
    lowered: serde_json::Value,
}

impl Rehearsal {
    fn new(name: &str) -> Self {
        let directory = common::scratch(&format!("script-{name}"));
        // `sleep` too, so that retry delays are recorded instead of waited out.
        let plan_directory = common::dten_rehearsal(&directory, &[common::DTEN_TOOLS, &["sleep"]].concat());
        std::os::unix::fs::symlink(common::root().join("tests/rehearsal/bash"), directory.join("bin/bash"))
            .expect("bash stub");

        let script = directory.join("dten.sh");
        let plan = plan_directory.join("plan.yaml");
        common::build(&plan, "sh", &script);
        let lowered = common::lowered(&plan);
        Self { directory, plan: plan_directory, script, lowered }
    }

    /// The script with `arguments` and the plan's approval (`go-migrate`) given ahead: a
    /// rehearsal has no terminal to ask on.
    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = self.unapproved(arguments);
        command.args(["--approve", "go-migrate"]);
        command
    }

    /// The script with `arguments` alone.
    fn unapproved(&self, arguments: &[&str]) -> Command {
        let real_bash = common::which("bash");
        let path = format!("{}:{}", self.directory.join("bin").display(), std::env::var("PATH").unwrap_or_default());
        let mut command = Command::new(&real_bash);
        command
            .arg(&self.script)
            .args(arguments)
            .current_dir(&self.plan)
            .env("PATH", path)
            .env("REAL_BASH", &real_bash)
            .env("STUB_DIR", self.directory.join("stub"))
            .env("CUTOVER_STATE_DIR", self.directory.join("state"))
            .env_remove("STUB_FAIL")
            .env_remove("STUB_HANG");
        command
    }

    fn run(&self, arguments: &[&str], fail: Option<&str>) -> Output {
        let mut command = self.command(arguments);
        if let Some(function) = fail {
            command.env("STUB_FAIL", function);
        }
        command.output().expect("the script runs")
    }

    /// Generated functions called, in order.
    fn trace(&self) -> Vec<String> {
        common::read_lines(&self.directory.join("stub/trace"))
    }

    /// Tool calls, in order: "HOST TOOL ARGS…".
    fn calls(&self) -> Vec<String> {
        common::read_lines(&self.directory.join("stub/calls"))
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.directory.join("root/etc/dten/dten.conf")).expect("config")
    }

    fn instances(&self) -> &Vec<serde_json::Value> {
        self.lowered["instances"].as_array().expect("instances")
    }

    fn step(&self, id: &str) -> &serde_json::Value {
        self.lowered["steps"].as_array().expect("steps").iter().find(|step| step["id"] == id).expect("step")
    }
}

#[test]
fn a_clean_rehearsal_runs_every_instance_once_then_cleans_up() {
    let rehearsal = Rehearsal::new("clean");
    let output = rehearsal.run(&["--local"], None);
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
    let trace = rehearsal.trace();
    let runs: Vec<&String> = trace.iter().filter(|function| function.ends_with("_run")).collect();
    let expected: Vec<String> = rehearsal
        .instances()
        .iter()
        .filter(|instance| instance["noop"].is_null())
        .map(|instance| format!("i{}_run", instance["index"]))
        .collect();
    assert_eq!(runs, expected.iter().collect::<Vec<_>>());
    assert!(!trace.iter().any(|function| function.ends_with("_rollback")), "no rollback on success");
    // The flag's cleanup and the cron file's, after success.
    assert!(trace.iter().any(|function| function.contains("_cleanup_")));
    let calls = rehearsal.calls();
    assert!(calls.iter().any(|call| call == "local dtenctl flags promote sessions.split-reads"), "{calls:#?}");
    assert!(rehearsal.config().contains("dten.hybrid.enable = true"));
    assert!(!rehearsal.config().contains("dten.legacy.fallback"));
    assert!(common::text(&output).contains("plan dten-4.2 done"));
    // Progress lines and notifications.
    let total = rehearsal.instances().len();
    assert!(
        common::text(&output).contains(&format!("[07/{total}] stop-agent @ app-1 … ok")),
        "{}",
        common::text(&output)
    );
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- start: starting plan dten-4.2")));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- progress: stop-agent done")));
    assert!(calls.iter().any(|call| call.contains(" logger -t cutover-dten -- done: plan dten-4.2 done")));
    // A second run finds the plan complete and does nothing.
    let again = rehearsal.run(&["--local"], None);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(rehearsal.trace().len(), trace.len(), "nothing runs twice");
}

/// A failure injected at each mutating step in turn: its own rollback, then the rollbacks of
/// every completed instance in reverse order of completion, then the cleanups of every
/// instance that ran; exit 1; the config file back byte for byte.
#[test]
fn a_failure_at_each_mutating_step_rolls_everything_back() {
    let probe = Rehearsal::new("probe");
    let mutating: Vec<(String, u64)> = probe.lowered["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|step| step["readonly"] == false)
        .map(|step| {
            let first = probe.instances().iter().find(|instance| instance["step"] == step["id"]).expect("an instance");
            (step["id"].as_str().expect("id").to_owned(), first["index"].as_u64().expect("index"))
        })
        .collect();
    assert!(mutating.len() >= 10, "{mutating:?}");
    for (step, index) in mutating {
        let rehearsal = Rehearsal::new(&format!("fail-{step}"));
        let output = rehearsal.run(&["--local"], Some(&format!("i{index}_run")));
        assert_eq!(output.status.code(), Some(1), "failure at {step}: {}", common::text(&output));

        let trace = rehearsal.trace();
        let failed_at =
            trace.iter().position(|function| *function == format!("i{index}_run")).expect("the failing run");
        let completed: Vec<u64> = trace[..failed_at]
            .iter()
            .filter_map(|function| function.strip_suffix("_run")?.strip_prefix('i')?.parse().ok())
            .collect();
        let undo = |index: u64| -> Option<String> {
            let instance = &rehearsal.instances()[(index - 1) as usize];
            instance["rollback"].is_string().then(|| format!("i{index}_rollback"))
        };
        let mut expected_rollbacks: Vec<String> = undo(index).into_iter().collect();
        expected_rollbacks.extend(completed.iter().rev().filter_map(|index| undo(*index)));
        let rollbacks: Vec<&String> =
            trace[failed_at..].iter().filter(|function| function.ends_with("_rollback")).collect();
        assert_eq!(rollbacks, expected_rollbacks.iter().collect::<Vec<_>>(), "rollbacks after a failure at {step}");

        let ran: BTreeSet<u64> = completed.iter().copied().chain([index]).collect();
        let expected_cleanups: Vec<String> = ran
            .iter()
            .rev()
            .flat_map(|index| {
                let count = rehearsal.instances()[(*index - 1) as usize]["cleanup"].as_array().map_or(0, Vec::len);
                (1..=count).map(move |number| format!("i{index}_cleanup_{number}"))
            })
            .collect();
        let cleanups: Vec<&String> = trace.iter().filter(|function| function.contains("_cleanup_")).collect();
        assert_eq!(cleanups, expected_cleanups.iter().collect::<Vec<_>>(), "cleanups after a failure at {step}");
        let last_rollback = trace.iter().rposition(|function| function.ends_with("_rollback"));
        let first_cleanup = trace.iter().position(|function| function.contains("_cleanup_"));
        if let (Some(rollback), Some(cleanup)) = (last_rollback, first_cleanup) {
            assert!(rollback < cleanup, "cleanups come after the rollbacks");
        }

        assert_eq!(rehearsal.config(), common::DTEN_CONFIG, "config restored byte for byte after a failure at {step}");
        if rehearsal.step(&step)["irreversible"].is_string()
            || completed.iter().any(|index| rehearsal.instances()[(*index - 1) as usize]["step"] == "migrate-sessions")
        {
            assert!(common::text(&output).contains("is irreversible and stays done"), "{}", common::text(&output));
        }
        assert!(rehearsal.calls().iter().any(|call| call.contains(" logger -t cutover-dten -- rolled-back:")));
    }
}

/// A rollback that fails stops the rollback of its host where it is (that host's earlier
/// instances may depend on it), the other hosts still roll back: exit 3, the failed rollback
/// named and what is still done listed; the cleanups still run.
#[test]
fn a_failed_rollback_exits_3_and_says_what_is_left() {
    let rehearsal = Rehearsal::new("rollback-fails");
    let index_of = |step: &str| {
        rehearsal.instances().iter().find(|instance| instance["step"] == step).expect("step")["index"]
            .as_u64()
            .expect("index")
    };
    let start_core = index_of("start-core");
    let set_hybrid = index_of("set-hybrid");
    let total = rehearsal.instances().len();
    let output = rehearsal.run(&["--local"], Some(&format!("i{start_core}_run i{set_hybrid}_rollback")));
    assert_eq!(output.status.code(), Some(3), "{}", common::text(&output));
    let all = common::text(&output);
    assert!(all.contains(&format!("the rollback of [{set_hybrid:02}/{total}] set-hybrid @ app-1 failed")), "{all}");
    assert!(all.contains("still done, not rolled back:"), "{all}");
    assert!(all.contains("stop-agent @ app-1"), "{all}");
    let trace = rehearsal.trace();
    let on_app_1 = |step: &str| {
        let instance = rehearsal
            .instances()
            .iter()
            .find(|instance| instance["step"] == step && instance["host"] == "app-1")
            .expect("an instance on app-1");
        format!("i{}_rollback", instance["index"])
    };
    for earlier in ["install-core", "stop-core", "stop-agent"] {
        assert!(!trace.contains(&on_app_1(earlier)), "no rollback on app-1 past the failed one: {earlier}");
    }
    let on_app_2 = rehearsal
        .instances()
        .iter()
        .find(|instance| instance["step"] == "stop-agent" && instance["host"] == "app-2")
        .expect("stop-agent on app-2")["index"]
        .clone();
    assert!(trace.contains(&format!("i{on_app_2}_rollback")), "app-2 still rolls back: {trace:?}");
    assert!(trace.iter().any(|function| function.contains("_cleanup_")), "cleanups still run");
    // The journal still holds what was not rolled back, so --rollback can finish the job.
    let status = common::text(&rehearsal.run(&["--status"], None));
    assert!(status.contains("rolling back: a rerun or --rollback goes on rolling back, never forward"), "{status}");
    assert!(status.contains(&format!("done      [{set_hybrid:02}/{total}] set-hybrid @ app-1")), "{status}");
}

/// A cleanup that fails is reported and the others still run; the run itself succeeded.
#[test]
fn a_failing_cleanup_does_not_stop_the_others() {
    let rehearsal = Rehearsal::new("cleanup-fails");
    let flag =
        rehearsal.instances().iter().find(|instance| instance["step"] == "enable-split-reads").expect("flag")["index"]
            .as_u64()
            .expect("index");
    let total = rehearsal.instances().len();
    let output = rehearsal.run(&["--local"], Some(&format!("i{flag}_cleanup_1")));
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
    assert!(
        common::text(&output).contains(&format!(
            "cleanup 1 of [{flag}/{total}] enable-split-reads @ local failed (the others still run)"
        )),
        "{}",
        common::text(&output)
    );
    let cleanups: Vec<String> =
        rehearsal.trace().into_iter().filter(|function| function.contains("_cleanup_")).collect();
    let expected: usize =
        rehearsal.instances().iter().map(|instance| instance["cleanup"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(cleanups.len(), expected, "every instance's cleanups, the failed one's too: {cleanups:?}");
    assert!(expected >= 10, "the flag's, the cron files' and the config copies': {expected}");
}

/// After a failure at `start-core`, app-1's dten-core steps back down through the stop:
/// 4.2.0 → 4.0.3 → 3.9.2.
#[test]
fn versions_step_back_down_through_the_stop() {
    let rehearsal = Rehearsal::new("versions");
    let start_core =
        rehearsal.instances().iter().find(|instance| instance["step"] == "start-core").expect("start-core");
    let output = rehearsal.run(&["--local"], Some(&format!("i{}_run", start_core["index"])));
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    let installs: Vec<String> = rehearsal
        .calls()
        .iter()
        .filter(|call| call.starts_with("app-1 apt-get") && call.contains("dten-core="))
        .map(|call| call.rsplit(' ').next().expect("last word").to_owned())
        .collect();
    assert_eq!(installs, ["dten-core=4.0.3", "dten-core=4.2.0", "dten-core=4.0.3", "dten-core=3.9.2"]);
    let installed = std::fs::read_to_string(rehearsal.directory.join("stub/state/app-1/pkg/dten-core")).expect("state");
    assert_eq!(installed.trim(), "3.9.2");
}

/// A failing install is retried as its action says (2 retries, exponential from 10s), then
/// rolled back.
#[test]
fn retries_back_off_before_giving_up() {
    let rehearsal = Rehearsal::new("retries");
    let install =
        rehearsal.instances().iter().find(|instance| instance["step"] == "install-core").expect("install-core");
    let index = install["index"].as_u64().expect("index");
    let output = rehearsal.run(&["--local"], Some(&format!("i{index}_run")));
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    let attempts = rehearsal.trace().iter().filter(|function| **function == format!("i{index}_run")).count();
    assert_eq!(attempts, 3, "one try and two retries");
    let sleeps: Vec<String> = rehearsal.calls().iter().filter(|call| call.contains(" sleep ")).cloned().collect();
    assert_eq!(sleeps, ["none sleep 10", "none sleep 20"]);
    assert!(common::text(&output).contains("retry 1 of 2 in 10s"), "{}", common::text(&output));
}

#[test]
fn a_crash_resumes_at_the_first_unfinished_instance() {
    let rehearsal = Rehearsal::new("crash");
    let hang_at = rehearsal
        .instances()
        .iter()
        .find(|instance| instance["step"] == "install-core")
        .expect("install-core")["index"]
        .as_u64()
        .expect("index");
    let mut command = rehearsal.command(&["--local"]);
    command.env("STUB_HANG", format!("i{hang_at}_run")).process_group(0);
    let mut child = command.spawn().expect("spawn");
    let started = std::time::Instant::now();
    while !rehearsal.trace().contains(&format!("i{hang_at}_run")) {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the run never reached instance {hang_at}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // kill -9 of the whole process group: the script and the stub bash. The command's
    // `timeout` runs in a process group of its own and goes on, holding the lock: a rerun
    // meanwhile is refused, so that nothing overlaps the orphan.
    let group = child.id();
    let _ = Command::new("kill").args(["-9", "--", &format!("-{group}")]).status();
    let _ = child.wait();
    let lock = rehearsal.directory.join("state/lock");
    let refused = rehearsal.run(&["--local"], None);
    assert_eq!(refused.status.code(), Some(2), "{}", common::text(&refused));
    assert!(common::text(&refused).contains("or a command one started, holds"), "{}", common::text(&refused));
    common::kill_holders(&lock);

    let before = rehearsal.trace();
    let output = rehearsal.run(&["--local"], None);
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output));
    assert!(common::text(&output).contains("resuming plan dten-4.2"), "{}", common::text(&output));
    let after = rehearsal.trace()[before.len()..].to_vec();
    let first_resumed = after.iter().find(|function| function.ends_with("_run")).expect("a run");
    assert_eq!(*first_resumed, format!("i{hang_at}_run"), "resumes at the instance that was cut off");
    for index in 1..hang_at {
        let run = format!("i{index}_run");
        let count = rehearsal.trace().iter().filter(|function| **function == run).count();
        assert!(count <= 1, "{run} ran {count} times");
    }
}

#[test]
fn a_second_run_is_refused_while_one_holds_the_lock() {
    let rehearsal = Rehearsal::new("lock");
    let mut command = rehearsal.command(&["--local"]);
    command.env("STUB_HANG", "i6_run").process_group(0);
    let mut first = command.spawn().expect("spawn");
    let started = std::time::Instant::now();
    while !rehearsal.trace().contains(&"i6_run".to_owned()) {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the first run never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let trace_before = rehearsal.trace();
    let journal_before = std::fs::read(rehearsal.directory.join("state/journal")).expect("journal");
    let second = rehearsal.run(&["--local"], None);
    assert_eq!(second.status.code(), Some(2), "{}", common::text(&second));
    assert!(
        common::text(&second).contains("another run of plan dten-4.2, or a command one started, holds"),
        "{}",
        common::text(&second)
    );
    assert_eq!(rehearsal.trace(), trace_before, "the second run ran nothing");
    assert_eq!(std::fs::read(rehearsal.directory.join("state/journal")).expect("journal"), journal_before);
    let _ = Command::new("kill").args(["-9", "--", &format!("-{}", first.id())]).status();
    let _ = first.wait();
    common::kill_holders(&rehearsal.directory.join("state/lock"));
}

#[test]
fn dry_run_status_and_rollback() {
    let rehearsal = Rehearsal::new("modes");
    let dry = rehearsal.run(&["--dry-run"], None);
    assert_eq!(dry.status.code(), Some(0));
    assert!(common::text(&dry).contains("rollback: none: irreversible"), "{}", common::text(&dry));
    assert!(rehearsal.trace().is_empty(), "a dry run runs nothing");
    assert!(!rehearsal.directory.join("state").exists(), "a dry run writes nothing");

    let help = rehearsal.run(&["--help"], None);
    assert_eq!(help.status.code(), Some(0));
    assert!(common::text(&help).contains("--rollback"));
    // --local runs the real commands on this machine: the help says so, not "a rehearsal" alone.
    assert!(
        common::text(&help).contains("for real, here on THIS machine instead of over ssh"),
        "{}",
        common::text(&help)
    );

    let output = rehearsal.run(&["--local"], Some("i12_run"));
    assert_eq!(output.status.code(), Some(1));
    let status = rehearsal.run(&["--status"], None);
    let total = rehearsal.instances().len();
    assert!(common::text(&status).contains(&format!("0 of {total} step instances done")), "{}", common::text(&status));

    // A full run, then --rollback undoes what it can. The run's cleanups removed its copies of
    // the config file, so its config edits cannot be undone any more: said, exit 3.
    let done = rehearsal.run(&["--local"], None);
    assert_eq!(done.status.code(), Some(0), "{}", common::text(&done));
    assert!(common::text(&rehearsal.run(&["--status"], None)).contains("complete"));
    let undone = rehearsal.run(&["--rollback", "--local"], None);
    let text = common::text(&undone);
    assert_eq!(undone.status.code(), Some(3), "{text}");
    assert!(text.contains("no copy of") && text.contains("this run's cleanups removed it"), "{text}");
    assert!(text.contains("is irreversible and stays done"), "{text}");
    assert!(text.contains("still done, not rolled back:"), "{text}");
    assert!(text.contains("set-hybrid @ app-3\n"), "{text}");
    let installed = std::fs::read_to_string(rehearsal.directory.join("stub/state/app-3/pkg/dten-agent"));
    assert_eq!(installed.expect("state").trim(), "3.9.2", "app-3's packages rolled back all the same");
}

/// The go/no-go before the irreversible migration: with no terminal to ask on and no
/// `--approve`, the run stops before it with exit 4, nothing from the approval on has run, and
/// `--status` says what the run waits for; a rerun with `--approve go-migrate` goes on from
/// there without running again what was done, and the journal says who approved it.
#[test]
fn the_migration_waits_for_its_approval() {
    let rehearsal = Rehearsal::new("approval");
    let output = rehearsal.unapproved(&["--local"]).stdin(Stdio::null()).output().expect("the script runs");
    let text = common::text(&output);
    assert_eq!(output.status.code(), Some(4), "{text}");
    assert!(text.contains("waiting for approval of go-migrate: dten-core 4.2.0 is installed and stopped"), "{text}");
    let approval = rehearsal
        .instances()
        .iter()
        .find(|instance| instance["step"] == "go-migrate")
        .and_then(|instance| instance["index"].as_u64())
        .expect("the approval's instance");
    let runs = |rehearsal: &Rehearsal| -> Vec<u64> {
        rehearsal
            .trace()
            .iter()
            .filter_map(|function| function.strip_prefix('i')?.strip_suffix("_run")?.parse().ok())
            .collect()
    };
    let before = runs(&rehearsal);
    assert!(!before.is_empty() && before.iter().all(|index| *index < approval), "{before:?}");
    assert!(!rehearsal.calls().iter().any(|call| call.contains("dtenctl migrate apply")), "{:#?}", rehearsal.calls());

    let total = rehearsal.instances().len();
    let status = common::text(&rehearsal.unapproved(&["--status"]).output().expect("the script runs"));
    assert!(
        status.contains("  waiting   for approval of go-migrate (rerun with --approve go-migrate to go on)"),
        "{status}"
    );
    assert!(status.contains(&format!("  next      [{approval:02}/{total}] go-migrate @ local")), "{status}");

    let approved =
        rehearsal.command(&["--local"]).env("USER", "bob").env_remove("SUDO_USER").output().expect("the script runs");
    assert_eq!(approved.status.code(), Some(0), "{}", common::text(&approved));
    assert!(common::text(&approved).contains("go-migrate approved by bob"), "{}", common::text(&approved));
    let after = runs(&rehearsal);
    assert_eq!(after.len(), after.iter().collect::<BTreeSet<_>>().len(), "nothing ran twice: {after:?}");
    assert!(rehearsal.calls().iter().any(|call| call.contains("dtenctl migrate apply")), "{:#?}", rehearsal.calls());
    let journal = common::read_lines(&rehearsal.directory.join("state/journal"));
    let lines: Vec<&String> = journal.iter().filter(|line| line.starts_with("approved ")).collect();
    assert_eq!(lines.len(), 1, "{journal:#?}");
    assert!(lines[0].starts_with("approved go-migrate by bob at 20"), "{lines:?}");
    let status = common::text(&rehearsal.unapproved(&["--status"]).output().expect("the script runs"));
    assert!(status.contains("complete") && !status.contains("waiting"), "{status}");
}

/// A plan whose values hold quotes, `$(…)` and backticks: nothing is executed, and the tool
/// receives each value as one argument, unchanged, both locally and through `$CUTOVER_SSH`
/// (a stand-in ssh that hands its command line to a shell, as sshd does).
#[test]
fn hostile_values_are_never_executed() {
    hostile_values_run(false);
    hostile_values_run(true);
}

fn hostile_values_run(through_ssh: bool) {
    let directory = common::scratch(if through_ssh { "script-hostile-ssh" } else { "script-hostile" });
    let pwned = directory.join("pwned");
    let pwned = pwned.to_str().expect("UTF-8");
    std::fs::write(directory.join("manifest.yaml"), "package: p\nversion: 1.0.0\ncomponents: {}\n").expect("write");
    std::fs::write(directory.join("inventory.yaml"), "groups: { app: [h-1] }\n").expect("write");
    let values = [
        format!("'; touch {pwned}; '"),
        format!("$(touch {pwned})"),
        format!("`touch {pwned}`"),
        "a\"b\\c $HOME".to_owned(),
    ];
    let mut plan =
        String::from("cutover: 1\nplan: hostile\nmanifest: manifest.yaml\ninventory: inventory.yaml\nsteps:\n");
    for (number, value) in values.iter().enumerate() {
        let yaml = serde_json::to_string(value).expect("JSON string");
        let _ = writeln!(plan, "  - {{ id: s{number}, do: record, with: {{ value: {yaml} }}, on: app }}");
    }
    plan.push_str("actions:\n  record:\n    params: { value: string }\n    run: \"printf '%s\\\\n' {value} >> record.txt\"\n    rollback: \"true\"\n");
    std::fs::write(directory.join("plan.yaml"), plan).expect("write");
    let script = directory.join("hostile.sh");
    common::build(&directory.join("plan.yaml"), "sh", &script);
    let mut command = Command::new("bash");
    command.arg(&script).current_dir(&directory).env("CUTOVER_STATE_DIR", directory.join("state"));
    if through_ssh {
        // `ssh HOST COMMAND`: the remote side runs COMMAND with `sh -c`, in the login directory.
        let fake_ssh = directory.join("fake-ssh");
        std::fs::write(
            &fake_ssh,
            format!(
                "#!/bin/sh\ntest \"$1\" = -- && shift\nprintf '%s\\n' \"$1\" >> {}/ssh-hosts\ncd {} && exec sh -c \"$2\"\n",
                directory.display(),
                directory.display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(&fake_ssh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        command.env("CUTOVER_SSH", fake_ssh.to_str().expect("UTF-8"));
    } else {
        command.arg("--local");
    }
    let run = command.output().expect("runs");
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    if through_ssh {
        let hosts = std::fs::read_to_string(directory.join("ssh-hosts")).expect("ssh was used");
        assert_eq!(hosts.lines().collect::<Vec<_>>(), ["h-1"; 4], "the host name reaches ssh as one argument");
    }
    assert!(!Path::new(pwned).exists(), "a value was executed");
    let recorded = std::fs::read_to_string(directory.join("record.txt")).expect("recorded");
    let expected: String = values.iter().map(|value| value.clone() + "\n").collect();
    assert_eq!(recorded, expected);
}

/// A command that outlives its step's `timeout` is stopped, and the step fails and rolls back.
#[test]
fn a_step_that_outlives_its_timeout_fails() {
    let directory = common::scratch("script-timeout");
    std::fs::write(directory.join("manifest.yaml"), "package: p\nversion: 1.0.0\ncomponents: {}\n").expect("write");
    std::fs::write(directory.join("inventory.yaml"), "groups: {}\n").expect("write");
    std::fs::write(
        directory.join("plan.yaml"),
        "cutover: 1\nplan: slow\nmanifest: manifest.yaml\ninventory: inventory.yaml\nsteps:\n  - { id: first, run: \"touch first\", rollback: \"rm first\" }\n  - { id: slow, run: \"sleep 30\", rollback: \"true\", timeout: 1s, after: [first] }\n",
    )
    .expect("write");
    let script = directory.join("slow.sh");
    common::build(&directory.join("plan.yaml"), "sh", &script);
    let started = std::time::Instant::now();
    let run = Command::new("bash")
        .arg(&script)
        .current_dir(&directory)
        .env("CUTOVER_STATE_DIR", directory.join("state"))
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(1), "{}", common::text(&run));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "the timeout stopped the command");
    assert!(!directory.join("first").exists(), "the first step was rolled back");
}

/// A rehearsal whose commands sleep their estimates keeps the schedule `check` promises: steps
/// one after another, batches one after another, the hosts of a batch at once. It finishes
/// within 15% of the schedule's total (and not sooner than it).
#[test]
fn a_rehearsal_keeps_the_schedule() {
    let directory = common::scratch("script-schedule");
    std::fs::write(directory.join("manifest.yaml"), "package: p\nversion: 1.0.0\ncomponents: {}\n").expect("write");
    std::fs::write(
        directory.join("inventory.yaml"),
        "groups:\n  app: [app-1, app-2, app-3, app-4]\nhosts:\n  app-1: {}\n  app-2: {}\n  app-3: {}\n  app-4: {}\n",
    )
    .expect("write");
    // 4 batches of 2s, then one of 3s, one local 1s, 2 batches of 2s: 4×2 + 3 + 1 + 2×2 = 16s.
    std::fs::write(
        directory.join("plan.yaml"),
        "cutover: 1\nplan: schedule\nmanifest: manifest.yaml\ninventory: inventory.yaml\nsteps:\n\
         \x20 - { id: one-by-one, run: \"sleep 2\", rollback: \"true\", verify: \"true\", on: app, serial: 1, estimate: 2s }\n\
         \x20 - { id: all-at-once, run: \"sleep 3\", rollback: \"true\", on: app, estimate: 3s }\n\
         \x20 - { id: here, run: \"sleep 1\", rollback: \"true\", estimate: 1s }\n\
         \x20 - { id: halves, run: \"sleep 2\", rollback: \"true\", verify: \"true\", on: app, serial: 50%, estimate: 2s }\n",
    )
    .expect("write");
    let plan = directory.join("plan.yaml");
    let promised = common::lowered(&plan)["schedule"]["total_seconds"].as_f64().expect("the schedule's total");
    assert!((promised - 16.0).abs() < f64::EPSILON, "the schedule: {promised}");
    let script = directory.join("schedule.sh");
    common::build(&plan, "sh", &script);
    let started = std::time::Instant::now();
    let run = Command::new("bash")
        .arg(&script)
        .args(["--local", "--parallel", "10"])
        .current_dir(&directory)
        .env("CUTOVER_STATE_DIR", directory.join("state"))
        .output()
        .expect("runs");
    let took = started.elapsed().as_secs_f64();
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    assert!(took >= promised, "faster than its own sleeps: {took:.1}s");
    assert!(took <= promised * 1.15, "the run took {took:.1}s against a schedule of {promised}s");
}
