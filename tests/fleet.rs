//! The real-OpenSSH fleet harness (tests/common/fleet.rs) proves itself: every host is its own
//! machine over real ssh, stops and reboots behave as a real host's do, and a clean run of
//! `plans/dten-4.2` reaches every host through `$CUTOVER_SSH`.

mod common;

use common::fleet::Fleet;
use std::time::{Duration, Instant};

const APP: &[&str] = &["app-1", "app-2", "app-3"];

fn stdout(output: &std::process::Output) -> String {
    common::stdout(output)
}

/// Runs `command` on every host at once; returns the outputs in the order of `hosts`.
fn on_every_host(fleet: &Fleet, hosts: &[&str], command: &str) -> Vec<std::process::Output> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = hosts.iter().map(|host| scope.spawn(move || fleet.ssh(host, command))).collect();
        runs.into_iter().map(|run| run.join().expect("ssh thread")).collect()
    })
}

#[test]
fn every_host_is_its_own_machine() {
    let fleet = Fleet::start("machines", APP);
    let common = fleet.common();
    let outputs = on_every_host(&fleet, APP, "echo $CUTOVER_TEST_HOST; cat /proc/sys/kernel/random/boot_id");
    let mut boot_ids = std::collections::BTreeSet::new();
    for (host, output) in APP.iter().zip(&outputs) {
        assert_eq!(output.status.code(), Some(0), "{host}: {}", common::text(output));
        let lines: Vec<String> = stdout(output).lines().map(str::to_owned).collect();
        assert_eq!(lines, [host.to_string(), fleet.boot_id(host)], "{host}");
        boot_ids.insert(fleet.boot_id(host));
    }
    assert_eq!(boot_ids.len(), APP.len(), "every host has its own boot id");
    assert!(!boot_ids.contains(std::fs::read_to_string("/proc/sys/kernel/random/boot_id").expect("boot id").trim()));

    // A file written under the common path, and in /tmp, on app-1 is app-1's alone.
    let marker = common.join("etc/marker");
    let write = fleet.ssh(
        "app-1",
        &format!(
            "mkdir -p {0} && echo app-1 > {1} && echo app-1 > /tmp/marker",
            common.join("etc").display(),
            marker.display()
        ),
    );
    assert_eq!(write.status.code(), Some(0), "{}", common::text(&write));
    assert_eq!(std::fs::read_to_string(fleet.root("app-1").join("etc/marker")).expect("on app-1"), "app-1\n");
    for (host, output) in APP.iter().zip(on_every_host(&fleet, APP, &format!("cat {} /tmp/marker", marker.display()))) {
        if *host == "app-1" {
            assert_eq!(stdout(&output), "app-1\napp-1\n");
        } else {
            assert_eq!(output.status.code(), Some(1), "{host} sees app-1's files: {}", common::text(&output));
        }
    }
    assert!(!marker.exists(), "the controller's tree is not app-1's");

    // The stub keeps each host's state in its own tree and logs every call with its host.
    let started =
        on_every_host(&fleet, APP, "systemctl start dten-core.service && systemctl is-active dten-core.service");
    assert!(started.iter().all(|output| output.status.success()));
    for host in APP {
        let unit = std::fs::read_to_string(fleet.state(host).join("unit/dten-core.service")).expect("unit state");
        assert_eq!(unit, "active\n", "{host}");
        assert_eq!(
            fleet.calls(host),
            [
                format!("{host} systemctl start dten-core.service"),
                format!("{host} systemctl is-active dten-core.service")
            ]
        );
    }
    let log = fleet.log();
    for host in APP {
        assert!(
            log.iter().any(|line| line.host == *host && line.text == "systemctl start dten-core.service"),
            "{log:#?}"
        );
        assert!(log.iter().any(|line| line.host == *host && line.text.starts_with("fleet up ")), "{log:#?}");
    }
    // Injected faults hit the named call on the named host only.
    fleet.fail("app-2", "dtenctl migrate apply");
    let migrations = on_every_host(&fleet, APP, "dtenctl migrate apply 0042_split_sessions");
    let codes: Vec<Option<i32>> = migrations.iter().map(|output| output.status.code()).collect();
    assert_eq!(codes, [Some(0), Some(1), Some(0)]);
    assert!(common::stderr(&migrations[1]).contains("injected failure"));
    fleet.clear_faults("app-2");
    assert!(fleet.ssh("app-2", "dtenctl migrate apply 0042_split_sessions").status.success());
}

#[test]
fn a_stopped_host_refuses_connections_until_started_again() {
    let fleet = Fleet::start("stop", &["app-1", "app-2"]);
    let boot_id = fleet.boot_id("app-1");
    // A session open when the host goes down is cut off too.
    let mut session = std::process::Command::new("ssh")
        .arg("-F")
        .arg(fleet.ssh_config())
        .args(["app-1", "logger session open; sleep 30"])
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("ssh");
    let opened = Instant::now();
    while fleet.calls("app-1").is_empty() {
        assert!(opened.elapsed() < Duration::from_secs(10), "the session never opened");
        std::thread::sleep(Duration::from_millis(10));
    }
    fleet.stop("app-1");
    assert!(!fleet.is_up("app-1"));
    assert_eq!(session.wait().expect("session").code(), Some(255), "the open session was cut off");
    let refused = fleet.ssh("app-1", "true");
    assert_eq!(refused.status.code(), Some(255), "{}", common::text(&refused));
    assert!(common::stderr(&refused).contains("Connection refused"), "{}", common::text(&refused));
    assert!(fleet.ssh("app-2", "true").status.success(), "app-2 stays up");

    fleet.start_again("app-1");
    let back = fleet.ssh("app-1", "cat /proc/sys/kernel/random/boot_id");
    assert_eq!(back.status.code(), Some(0), "{}", common::text(&back));
    assert_eq!(stdout(&back).trim(), boot_id, "a stop is not a reboot");
    let changes: Vec<String> = fleet
        .log()
        .into_iter()
        .filter(|line| line.host == "app-1" && line.text.starts_with("fleet "))
        .map(|line| line.text)
        .collect();
    assert_eq!(changes, [format!("fleet up {boot_id}"), "fleet down".into(), format!("fleet up {boot_id}")]);
}

#[test]
fn systemctl_reboot_takes_the_host_down_and_back_with_a_new_boot_id() {
    let fleet = Fleet::start("reboot", &["app-1", "app-2"]);
    fleet.set_downtime("app-1", Duration::from_secs(1));
    let before = fleet.boot_id("app-1");
    assert!(fleet.ssh("app-1", "touch /tmp/before-reboot").status.success());
    let downtime = fleet.sampler();
    // It returns, and the session ends, before the host goes down: ssh exits 0, not 255.
    let reboot = fleet.ssh("app-1", "systemctl reboot");
    assert_eq!(reboot.status.code(), Some(0), "systemctl reboot returns at once: {}", common::text(&reboot));
    let gone = Instant::now();
    while fleet.is_up("app-1") {
        assert!(gone.elapsed() < Duration::from_secs(20), "app-1 never went down");
        std::thread::sleep(Duration::from_millis(10));
    }
    let down = fleet.ssh("app-1", "true");
    assert_eq!(down.status.code(), Some(255), "{}", common::text(&down));
    fleet.wait_up("app-1", Duration::from_secs(10));
    let samples = downtime.finish();
    assert!(samples.saw_down("app-1") && !samples.saw_down("app-2"), "{samples:?}");
    assert_eq!(samples.most_down_at_once(), 1);

    let after = fleet.ssh("app-1", "cat /proc/sys/kernel/random/boot_id; ls /tmp");
    assert_eq!(after.status.code(), Some(0), "{}", common::text(&after));
    assert_eq!(stdout(&after).trim(), fleet.boot_id("app-1"), "a boot starts with an empty /tmp");
    assert_ne!(fleet.boot_id("app-1"), before, "a new boot id");

    // In the log: the reboot call, then down, then the new boot and up, at least the
    // downtime after going down.
    let log = fleet.log();
    let at = |text: &str| {
        log.iter()
            .find(|line| line.host == "app-1" && line.text.starts_with(text))
            .unwrap_or_else(|| panic!("{text}: {log:#?}"))
            .milliseconds
    };
    let (called, went_down, booted) = (at("systemctl reboot"), at("fleet down"), at("fleet reboot"));
    assert!(called <= went_down && went_down + 1000 <= booted, "{log:#?}");
    assert_eq!(log.last().map(|line| line.text.clone()), Some(format!("fleet up {}", fleet.boot_id("app-1"))));
}
