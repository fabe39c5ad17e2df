//! The generated script run for real over the real-ssh fleet (tests/common/fleet.rs), for what
//! only the script does or says: its summary and `--rollback` after a host was lost, a runner
//! killed while a command runs and while it rolls back, a hand edit between two runs, a
//! batch's parallelism, `CUTOVER_SSH`. The faults both runners share (a
//! failure, a lost host, a timeout, reboots, `max_fail`, config edits, a large command) are rows of
//! `tests/fault_matrix.rs`. Each test asserts the outcome host by host. Never `--local`, never
//! a fake ssh.

mod common;

use common::fleet::{self, Fleet, LogLine};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// A plan set of its own under the fleet's folder, its script built, and its own state folder.
struct Script<'a> {
    fleet: &'a Fleet,
    directory: PathBuf,
    path: PathBuf,
    /// Given to every run: the plan's approvals, approved ahead (no terminal to ask on).
    approvals: &'static [&'static str],
}

impl<'a> Script<'a> {
    /// Plan `name` in `fleet.directory()/name`: a manifest with no components, an inventory
    /// whose group `app` holds `hosts`, and `steps` (the items of `steps:`, where `COMMON`
    /// stands for `fleet.common()`).
    fn new(fleet: &'a Fleet, name: &str, hosts: &[&str], steps: &str) -> Self {
        let directory = fleet::plan_set(fleet, name, hosts, steps);
        let path = directory.join(format!("{name}.sh"));
        common::build(&directory.join("plan.yaml"), "sh", &path);
        Self { fleet, directory, path, approvals: &[] }
    }

    /// The dten plan set of `fleet::dten`.
    fn dten(fleet: &'a Fleet) -> Self {
        let directory = fleet::dten(fleet);
        let path = directory.join("dten.sh");
        common::build(&directory.join("plan.yaml"), "sh", &path);
        Self { fleet, directory, path, approvals: &["--approve", "go-migrate"] }
    }

    /// The script with `arguments`, the fleet's environment and this plan set's state folder.
    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = self.fleet.command("bash");
        command
            .arg(&self.path)
            .args(arguments)
            .args(self.approvals)
            .current_dir(&self.directory)
            .env("CUTOVER_STATE_DIR", self.state());
        command
    }

    fn state(&self) -> PathBuf {
        self.directory.join("state")
    }

    fn run(&self, arguments: &[&str]) -> Output {
        self.command(arguments).output().expect("the script runs")
    }

    /// Starts the script in the background, its output in `NAME.out` (not a pipe: the
    /// commands it leaves behind when killed would hold a pipe open).
    fn spawn(&self) -> Child {
        let output = std::fs::File::create(self.output_file()).expect("output file");
        self.command(&[])
            .stdout(output.try_clone().expect("output file"))
            .stderr(output)
            .spawn()
            .expect("the script starts")
    }

    fn output_file(&self) -> PathBuf {
        self.path.with_extension("out")
    }

    fn spawned_output(&self) -> String {
        std::fs::read_to_string(self.output_file()).unwrap_or_default()
    }

    /// Reruns the script until the lock a killed run left to its commands is free (a rerun
    /// that is refused changes nothing); returns the first rerun that was not refused.
    fn rerun_once_free(&self, timeout: Duration) -> Output {
        let started = Instant::now();
        loop {
            let output = self.run(&[]);
            if !(output.status.code() == Some(2) && common::text(&output).contains("lock")) {
                return output;
            }
            assert!(started.elapsed() < timeout, "the lock is still held after {timeout:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Host `host`'s file `name` under `common()`, as lines; none when it does not exist.
fn lines(fleet: &Fleet, host: &str, name: &str) -> Vec<String> {
    common::read_lines(&fleet.root(host).join(name))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The `text`s of the log lines of `host` that start with `prefix`.
fn logged(log: &[LogLine], host: &str, prefix: &str) -> Vec<u64> {
    log.iter().filter(|line| line.host == host && line.text.starts_with(prefix)).map(|line| line.milliseconds).collect()
}

/// Lost mid-run: app-3 goes down while it verifies the 4.0.3 stop it has just installed. The
/// others finish that batch and everything is rolled back except on app-3, which the summary
/// names (exit 3); nothing after the stop runs anywhere. Once app-3 is back, `--rollback`
/// rolls it back too, the instance it was cut off in included (its outcome was unknown).
#[test]
fn a_host_lost_mid_run_stops_the_run_and_is_named_in_the_summary() {
    let fleet = Fleet::start("script-lost", &["app-1", "app-2", "app-3", "db-1"]);
    let script = Script::dten(&fleet);
    // The verify of install-core-4-0-3.
    let verify_stop = "dpkg-query -W -f=${Version} dten-core";
    let mut run = script.spawn();
    // The drift guard asks every host first, with the same dpkg-query (dten-agent last).
    let guard = fleet.wait_for_log(Duration::from_secs(60), |line| {
        line.host == "app-3" && line.text == "dpkg-query -W -f=${Version} dten-agent"
    });
    fleet.delay("app-3", verify_stop, Duration::from_secs(60));
    fleet.wait_for_log(Duration::from_secs(60), |line| {
        line.host == "app-3" && line.text == verify_stop && line.milliseconds > guard.milliseconds
    });
    fleet.stop("app-3");
    let status = run.wait().expect("the script ends");
    let output = script.spawned_output();
    assert_eq!(status.code(), Some(3), "{output}");

    let summary = output.split("\nsummary of plan dten-4.2: ").nth(1).unwrap_or_else(|| panic!("{output}"));
    assert!(summary.starts_with("install-core-4-0-3 failed on app-3\n"), "{summary}");
    assert!(summary.lines().any(|line| line.split_whitespace().eq(["unreachable:", "app-3"])), "{summary}");
    assert!(
        summary.lines().any(|line| line.split_whitespace().eq([
            "unreachable:",
            "[22/43]",
            "install-core-4-0-3",
            "@",
            "app-3"
        ])),
        "{summary}"
    );
    let still: Vec<&str> = summary
        .lines()
        .skip_while(|line| line.trim() != "still done, not rolled back:")
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .map(str::trim)
        .collect();
    let mut still = still;
    still.sort_unstable();
    let reason = "(app-3 could not be reached: its state is unknown)";
    assert_eq!(
        still,
        [
            format!("[09/43] stop-agent @ app-3 {reason}"),
            format!("[12/43] pause-compaction @ app-3 {reason}"),
            format!("[15/43] stop-core @ app-3 {reason}"),
            format!("[18/43] drop-legacy-fallback @ app-3 {reason}"),
            format!("[22/43] install-core-4-0-3 @ app-3 {reason}"),
        ],
        "{summary}"
    );

    let rolled_back = |host: &str| {
        assert_eq!(fleet.installed(host, "dten-core"), "3.9.2", "{host}");
        assert_eq!(fleet.installed(host, "dten-agent"), "3.9.2", "{host}");
        assert_eq!(read(&fleet.root(host).join("etc/dten/dten.conf")), common::DTEN_CONFIG, "{host}");
        assert_eq!(read(&fleet.root(host).join("etc/cron.d/dten-compact")), "0 3 * * * dten dtenctl compact\n");
        let calls = fleet.calls(host);
        assert_eq!(calls.last().map(String::as_str), Some(&*format!("{host} systemctl start dten-agent.service")));
    };
    for host in ["app-1", "app-2"] {
        rolled_back(host);
        assert!(fleet.calls(host).iter().any(|call| call.ends_with(" dten-core=4.0.3")), "{host}");
    }
    // app-3 as it was cut off: the stop installed, nothing of it rolled back.
    assert_eq!(fleet.installed("app-3", "dten-core"), "4.0.3");
    assert_eq!(
        read(&fleet.root("app-3").join("etc/dten/dten.conf")),
        common::DTEN_CONFIG.replace("dten.legacy.fallback = true\n", "")
    );
    assert!(fleet.root("app-3").join("etc/cron.d/dten-compact.cutover-paused").exists());
    assert_eq!(fleet.calls("app-3").last().map(String::as_str), Some(&*format!("app-3 {verify_stop}")));
    let db_calls = fleet.calls("db-1");
    assert!(db_calls.last().is_some_and(|call| call.contains("pg_restore --clean")), "{db_calls:#?}");
    // Nothing after the stop ran anywhere: no 4.2.0, no migration, on no host nor the controller.
    let log = fleet.log();
    assert!(
        !log.iter().any(|line| line.text.contains("=4.2.0") || line.text.starts_with("dtenctl migrate apply")),
        "{log:#?}"
    );

    // app-3 back: `--rollback` undoes what it had done, and nothing on the others.
    fleet.clear_faults("app-3");
    fleet.start_again("app-3");
    let others: Vec<Vec<String>> = ["app-1", "app-2", "db-1"].iter().map(|host| fleet.calls(host)).collect();
    let rollback = script.run(&["--rollback"]);
    assert_eq!(rollback.status.code(), Some(0), "{}", common::text(&rollback));
    rolled_back("app-3");
    let after: Vec<Vec<String>> = ["app-1", "app-2", "db-1"].iter().map(|host| fleet.calls(host)).collect();
    assert_eq!(after, others, "--rollback touched a host already rolled back");
}

/// The runner killed (-9) while a command runs: its ssh goes on and keeps the lock, so a rerun
/// is refused; once it is done, a rerun verifies the instance in doubt instead of running it
/// again.
#[test]
fn a_killed_runner_is_refused_until_its_command_ends_then_verified() {
    let hosts = ["app-1", "app-2"];
    let fleet = Fleet::start("script-killed", &hosts);
    let script = Script::new(
        &fleet,
        "counted",
        &hosts,
        "  - id: count\n    on: app\n    run: \"logger counting; sleep 3; echo counted >> COMMON/counter\"\n    \
         verify: \"grep -qx counted COMMON/counter\"\n    rollback: \"rm -f COMMON/counter\"\n",
    );
    let mut run = script.spawn();
    for host in hosts {
        fleet.wait_for_log(Duration::from_secs(20), |line| line.host == host && line.text == "logger counting");
    }
    run.kill().expect("kill -9 the runner");
    run.wait().expect("the runner is gone");

    let refused = script.run(&[]);
    assert_eq!(refused.status.code(), Some(2), "{}", common::text(&refused));
    assert!(common::stderr(&refused).contains("holds"), "{}", common::text(&refused));
    assert!(common::stderr(&refused).contains("/lock; nothing was done"), "{}", common::text(&refused));
    for host in hosts {
        assert!(lines(&fleet, host, "counter").is_empty(), "{host}: the refused run did something");
    }

    let rerun = script.rerun_once_free(Duration::from_secs(20));
    let text = common::text(&rerun);
    assert_eq!(rerun.status.code(), Some(0), "{text}");
    for host in hosts {
        let [doubt, verified] = [" … in doubt (the last run stopped while it ran): verifying", " … verified done"]
            .map(|end| format!("count @ {host}{end}"));
        assert!(text.contains(&doubt) && text.contains(&verified), "{host}: {text}");
        assert_eq!(lines(&fleet, host, "counter"), ["counted"], "{host}: run once");
    }
    assert!(!text.contains("… ok"), "nothing ran again: {text}");
    assert!(text.contains("plan counted done"), "{text}");
}

/// The runner killed (-9) while it rolls back: `--status` says it was rolling back, and the
/// rerun goes on rolling back (the interrupted rollback again, then the rest), never forward.
#[test]
fn a_runner_killed_while_rolling_back_resumes_rolling_back() {
    let hosts = ["app-1", "app-2"];
    let fleet = Fleet::start("script-killed-undo", &hosts);
    let script = Script::new(
        &fleet,
        "undone",
        &hosts,
        "  - id: one\n    on: app\n    run: \"echo run1 >> COMMON/trace\"\n    rollback: \"echo undo1 >> COMMON/trace\"\n\
         \x20 - id: two\n    on: app\n    after: [one]\n    run: \"echo run2 >> COMMON/trace\"\n    \
         rollback: \"logger undo2; sleep 3; echo undo2 >> COMMON/trace\"\n\
         \x20 - id: three\n    on: app\n    after: [two]\n    run: \"echo run3 >> COMMON/trace; false\"\n    \
         rollback: \"echo undo3 >> COMMON/trace\"\n",
    );
    let mut run = script.spawn();
    let first = fleet.wait_for_log(Duration::from_secs(30), |line| line.text == "logger undo2");
    run.kill().expect("kill -9 the runner");
    run.wait().expect("the runner is gone");
    let interrupted = first.host.as_str();
    let other = if interrupted == "app-1" { "app-2" } else { "app-1" };

    let status = script.run(&["--status"]);
    assert_eq!(status.status.code(), Some(0), "{}", common::text(&status));
    let status_text = common::stdout(&status);
    assert!(
        status_text.contains("\nrolling back: a rerun or --rollback goes on rolling back, never forward\n"),
        "{status_text}"
    );
    // Instances 3 and 4 are step two on app-1 and app-2.
    let two = if interrupted == "app-1" { 3 } else { 4 };
    assert!(
        status_text
            .contains(&format!("in doubt  [{two}/6] two @ {interrupted} (its rollback was running: it runs again)")),
        "{status_text}"
    );

    let rerun = script.rerun_once_free(Duration::from_secs(20));
    let text = common::text(&rerun);
    assert_eq!(rerun.status.code(), Some(1), "{text}");
    assert!(text.contains("was rolling back when it stopped: rolling back, never forward"), "{text}");
    assert_eq!(
        lines(&fleet, interrupted, "trace"),
        ["run1", "run2", "run3", "undo3", "undo2", "undo2", "undo1"],
        "{interrupted}: the interrupted rollback ran again, then the rest: {text}"
    );
    assert_eq!(lines(&fleet, other, "trace"), ["run1", "run2", "run3", "undo3", "undo2", "undo1"], "{other}: {text}");
    let after = script.run(&["--status"]);
    assert!(common::stdout(&after).contains("rolled back: the next run starts over"), "{}", common::text(&after));
}

const APP_CONFIG: &str = "# app.conf: alpha and beta are set by the plan\nalphabet = kept\nalpha = 1\n\
    # alpha = in a comment\n\n  beta: two  \ngamma=3\ttabbed\r\nunicode = é ✓\nlast = line\n";

/// A hand edit made between two plans' runs survives the second plan's rollback: it restores
/// its own copy, taken before its own first edit.
#[test]
fn a_hand_edit_between_two_runs_survives_the_second_runs_rollback() {
    let hosts = ["app-1", "app-2"];
    let fleet = Fleet::start("script-hand-edit", &hosts);
    for host in hosts {
        common::write_tree(&fleet.root(host), &[("etc/app.conf", APP_CONFIG)]);
    }
    let first = Script::new(
        &fleet,
        "first",
        &hosts,
        "  - id: set-x\n    do: config.set\n    with: { file: COMMON/etc/app.conf, key: x, value: \"1\" }\n    on: app\n",
    );
    let run = first.run(&[]);
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    let after_first = format!("{APP_CONFIG}x = 1\n");
    for host in hosts {
        assert_eq!(read(&fleet.root(host).join("etc/app.conf")), after_first, "{host}");
    }
    let edited = after_first.replace("gamma=3", "gamma=4 # by hand") + "by.hand = yes\n";
    std::fs::write(fleet.root("app-1").join("etc/app.conf"), &edited).expect("hand edit");

    let second = Script::new(
        &fleet,
        "second",
        &hosts,
        "  - id: set-y\n    do: config.set\n    with: { file: COMMON/etc/app.conf, key: y, value: \"2\" }\n    on: app\n\
         \x20 - id: boom\n    on: app\n    after: [set-y]\n    run: \"false\"\n    rollback: \"true\"\n",
    );
    let run = second.run(&[]);
    assert_eq!(run.status.code(), Some(1), "{}", common::text(&run));
    assert_eq!(read(&fleet.root("app-1").join("etc/app.conf")), edited, "app-1: the hand edit is gone");
    assert_eq!(read(&fleet.root("app-2").join("etc/app.conf")), after_first, "app-2");
}

/// The hosts' `[start, end]` of the nap step in `log`, from `since` on.
fn naps(log: &[LogLine], hosts: &[&str], since: u64) -> Vec<(u64, u64)> {
    hosts
        .iter()
        .map(|host| {
            let starts: Vec<u64> =
                logged(log, host, "logger nap-start").into_iter().filter(|&at| at >= since).collect();
            let ends: Vec<u64> = logged(log, host, "logger nap-end").into_iter().filter(|&at| at >= since).collect();
            assert!(starts.len() == 1 && ends.len() == 1, "{host}: {log:#?}");
            (starts[0], ends[0])
        })
        .collect()
}

/// The most naps under way at one moment.
fn most_at_once(naps: &[(u64, u64)]) -> usize {
    naps.iter()
        .map(|&(start, _)| {
            naps.iter().filter(|&&(other_start, other_end)| other_start <= start && start < other_end).count()
        })
        .max()
        .unwrap_or(0)
}

/// A batch's hosts run at once (10 by default), and at most `--parallel N` at a time.
#[test]
fn a_batch_runs_its_hosts_at_once_up_to_parallel() {
    let hosts = ["app-1", "app-2", "app-3", "app-4", "app-5", "app-6"];
    let fleet = Fleet::start("script-parallel", &hosts);
    let steps =
        "  - id: nap\n    on: app\n    run: \"logger nap-start; sleep 2; logger nap-end\"\n    rollback: \"true\"\n";
    let at_once = Script::new(&fleet, "at-once", &hosts, steps);
    let started = Instant::now();
    let run = at_once.run(&[]);
    let elapsed = started.elapsed();
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    let log = fleet.log();
    let all = naps(&log, &hosts, 0);
    assert_eq!(most_at_once(&all), 6, "every nap overlaps every other: {all:?}");

    let two_at_a_time = Script::new(&fleet, "two-at-a-time", &hosts, steps);
    let since = log.last().map_or(0, |line| line.milliseconds + 1);
    let started = Instant::now();
    let run = two_at_a_time.run(&["--parallel", "2"]);
    let elapsed = started.elapsed();
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    assert!(elapsed >= Duration::from_secs(6), "{elapsed:?}");
    let paired = naps(&fleet.log(), &hosts, since);
    assert_eq!(most_at_once(&paired), 2, "{paired:?}");
}

/// `CUTOVER_SSH` is read as shell words: a quoted argument with a space stays one argument,
/// and a value that is not a command (an unmatched quote) stops the run before anything runs.
#[test]
fn cutover_ssh_is_read_as_shell_words() {
    let hosts = ["app-1"];
    let fleet = Fleet::start("script-ssh-words", &hosts);
    let steps = "  - { id: mark, on: app, run: \"touch COMMON/marked\", rollback: \"rm -f COMMON/marked\" }\n";
    let script = Script::new(&fleet, "words", &hosts, steps);
    let spaced = fleet.directory().join("a folder with spaces");
    std::fs::create_dir_all(&spaced).expect("folder");
    let config = spaced.join("ssh config");
    std::fs::copy(fleet.ssh_config(), &config).expect("copy the ssh config");

    let broken = script.command(&[]).env("CUTOVER_SSH", "ssh -F 'unended").output().expect("runs");
    assert_eq!(broken.status.code(), Some(2), "{}", common::text(&broken));
    assert!(common::text(&broken).contains("CUTOVER_SSH is not a command"), "{}", common::text(&broken));
    assert!(!fleet.root("app-1").join("marked").exists(), "nothing ran");

    let quoted = format!("ssh -F '{}'", config.display());
    let run = script.command(&[]).env("CUTOVER_SSH", &quoted).output().expect("runs");
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    assert!(fleet.root("app-1").join("marked").exists(), "the step ran on app-1 through the quoted -F");
}
