//! Bad input never panics and never hangs: each case gives a diagnostic (exit 1) or one clear
//! line (exit 2). A watchdog kills a run that takes more than ten seconds (a hang, not a
//! benchmark: speed is measured by `cargo bench`).

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn check(plan: &Path) -> Run {
    run(&["check", plan.to_str().expect("UTF-8 path")])
}

/// Runs `cutover ARGUMENTS` under the watchdog.
fn run(arguments: &[&str]) -> Run {
    run_with_input(arguments, Vec::new())
}

/// Runs `cutover ARGUMENTS` under the watchdog with `input` on its standard input.
fn run_with_input(arguments: &[&str], input: Vec<u8>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(arguments)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("a pipe");
    // A child that stops reading (past a limit) closes the pipe: that write error is expected.
    std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    let pid = child.id();
    // Output is read while waiting (a full pipe would stall the child); the watchdog only kills.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    // Generous: the debug build on a loaded 2-core machine takes seconds on the largest
    // inputs here (a 90,000-step chain); a hang is forever.
    let output = if let Ok(output) = receiver.recv_timeout(Duration::from_secs(60)) {
        output.expect("output")
    } else {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("`cutover {}` hung", arguments.join(" "));
    };
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn assert_clean_failure(run: &Run, expected_code: i32, needle: &str) {
    assert_eq!(run.code, Some(expected_code), "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains(needle), "expected {needle:?} in:\n{all}");
    assert!(!all.contains("panicked") && !all.contains("RUST_BACKTRACE"), "a panic:\n{all}");
    if expected_code == 2 {
        assert_eq!(run.stderr.lines().count(), 1, "one clear line, got:\n{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

const HEADER: &str = "cutover: 1\nplan: bad\nmanifest: manifest.json\ninventory: inventory.yaml\n";

fn plan_set(name: &str, plan: &str, manifest: &[u8]) -> std::path::PathBuf {
    let directory = common::scratch(name);
    std::fs::write(directory.join("plan.yaml"), plan).expect("write plan");
    std::fs::write(directory.join("manifest.json"), manifest).expect("write manifest");
    std::fs::write(directory.join("inventory.yaml"), "groups: { app: [app-1] }\n").expect("write inventory");
    directory.join("plan.yaml")
}

#[test]
fn a_missing_plan_is_one_line() {
    let run = check(&common::root().join("target/no-such-plan.yaml"));
    assert_clean_failure(&run, 2, "no such file");
}

#[test]
fn a_directory_is_one_line() {
    let run = check(&common::scratch("a-directory"));
    assert_clean_failure(&run, 2, "is a directory");
}

#[test]
fn a_manifest_that_is_not_json_is_a_diagnostic() {
    let plan = plan_set("not-json", HEADER, b"this is not json, nor a mapping\n");
    let run = check(&plan);
    assert_clean_failure(&run, 1, "expected a mapping for a package manifest");
}

#[test]
fn a_missing_manifest_is_a_diagnostic_at_its_name() {
    let directory = common::scratch("missing-manifest");
    std::fs::write(directory.join("plan.yaml"), HEADER).expect("write");
    std::fs::write(directory.join("inventory.yaml"), "groups: {}\n").expect("write");
    let run = check(&directory.join("plan.yaml"));
    assert_clean_failure(&run, 1, "CUT007");
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut bomb = String::from(HEADER);
    bomb.push_str("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10u8 {
        let previous = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        let items = vec![format!("*{previous}"); 10].join(", ");
        let _ = writeln!(bomb, "{name}: &{name} [{items}]");
    }
    let plan = plan_set("alias-bomb", &bomb, b"{}");
    let run = check(&plan);
    assert_clean_failure(&run, 1, "CUT001");
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!("{HEADER}steps: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let plan = plan_set("deep-flow", &deep, b"{}");
    assert_clean_failure(&check(&plan), 1, "CUT001");
    // Block nesting needs one more space per level, so 3,000 levels already make 4.5 MB.
    let block: String = (0..3000).map(|level| " ".repeat(level) + "k:\n").collect();
    let plan = plan_set("deep-block", &format!("{HEADER}{block}"), b"{}");
    assert_clean_failure(&check(&plan), 1, "CUT001");
}

#[test]
fn a_twenty_megabyte_plan_is_one_line() {
    let mut huge = String::from(HEADER);
    huge.push_str("steps:\n");
    let step = "  - { id: s, run: \"echo a long command to pad the file out\", rollback: \"true\" }\n";
    while huge.len() < 20 * 1024 * 1024 {
        huge.push_str(step);
    }
    let plan = plan_set("huge", &huge, b"{}");
    assert_clean_failure(&check(&plan), 2, "over the limit");
}

#[test]
fn binary_garbage_is_one_line() {
    let directory = common::scratch("garbage");
    let garbage: Vec<u8> = (0..65_536u32).map(|index| (index.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(directory.join("plan.yaml"), &garbage).expect("write");
    assert_clean_failure(&check(&directory.join("plan.yaml")), 2, "binary");
    // Invalid UTF-8 without NUL bytes.
    let latin1: Vec<u8> = b"cutover: 1\nplan: caf\xe9\n".to_vec();
    std::fs::write(directory.join("latin1.yaml"), latin1).expect("write");
    assert_clean_failure(&check(&directory.join("latin1.yaml")), 2, "not UTF-8");
}

#[test]
fn a_garbage_manifest_is_a_diagnostic() {
    let plan = plan_set("garbage-manifest", HEADER, b"{\"package\": [1, 2, }}}} ::: \x7f");
    assert_clean_failure(&check(&plan), 1, "CUT001");
}

#[test]
fn unusable_arguments_exit_2() {
    let output = common::cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "pdf"]);
    assert_eq!(output.status.code(), Some(2));
    let output = common::cutover(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    let output =
        common::cutover(&["build", "plans/dten-4.2/plan.yaml", "--emit", "json", "-o", "/nonexistent-dir/x.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(common::stderr(&output).lines().count(), 1, "{}", common::stderr(&output));
}

#[test]
fn an_unreadable_plan_among_others_still_checks_the_rest() {
    let output = common::cutover(&[
        "check",
        "plans/dten-4.2/plan.yaml",
        "target/no-such-plan.yaml",
        "plans/gitlab-17/plan.yaml",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stdout = common::stdout(&output);
    assert!(stdout.contains("plans/dten-4.2/plan.yaml: no problems"), "{stdout}");
    assert!(stdout.contains("plans/gitlab-17/plan.yaml: no problems"), "{stdout}");
    assert_eq!(common::stderr(&output).lines().count(), 1);
}

/// A plan of `steps` inline steps, each after the one before it; `closed` makes the first wait
/// for the last, so all of them are one cycle.
fn after_chain(steps: usize, closed: bool) -> String {
    let mut plan = String::from(HEADER);
    plan.push_str("steps:\n");
    for index in 0..steps {
        let before = match index {
            0 if closed => format!(", after: [s{}]", steps - 1),
            0 => String::new(),
            _ => format!(", after: [s{}]", index - 1),
        };
        let _ = writeln!(plan, "  - {{ id: s{index}, run: \"true\", rollback: \"true\"{before} }}");
    }
    plan
}

const EMPTY_MANIFEST: &[u8] = br#"{"package": "p", "version": "1.0.0", "components": {}}"#;

#[test]
fn a_long_after_chain_does_not_overflow_the_stack() {
    // The strongly connected components were found by recursion, one frame per step: check
    // overflowed the main thread's stack at 90,000 steps, lint a worker's at 25,000.
    let plan = plan_set("long-chain", &after_chain(90_000, false), EMPTY_MANIFEST);
    let checked = check(&plan);
    assert_eq!(checked.code, Some(0), "{}", checked.stderr);
    assert!(checked.stdout.contains("no problems (90000 steps"), "{}", checked.stdout);
    let plan = plan_set("long-chain-lint", &after_chain(25_000, false), EMPTY_MANIFEST);
    let linted = run(&["lint", plan.to_str().expect("UTF-8 path")]);
    assert_eq!(linted.code, Some(0), "{}", linted.stderr);
    assert!(linted.stdout.contains("1 plan linted: no problems"), "{}", linted.stdout);
}

#[test]
fn a_long_word_in_a_command_is_quoted_for_ansible_in_one_pass() {
    // Quoting looked ahead to the next space and searched its output at every character: a
    // command of 200,000 characters without a space took 40 seconds.
    let command = format!("echo {}", "x".repeat(200_000));
    let plan = format!("{HEADER}steps:\n  - {{ id: long, run: \"{command}\", rollback: \"true\" }}\n");
    let plan = plan_set("long-word-ansible", &plan, EMPTY_MANIFEST);
    let playbook = plan.with_file_name("playbook");
    let built = run(&[
        "build",
        plan.to_str().expect("UTF-8 path"),
        "--emit",
        "ansible",
        "-o",
        playbook.to_str().expect("UTF-8 path"),
    ]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let text = std::fs::read_to_string(playbook.join("playbook.yml")).expect("the playbook");
    // Broken into escaped line breaks that YAML joins again: every `x` is still there.
    assert!(text.matches('x').count() >= 200_000);
    assert!(text.lines().all(|line| line.chars().count() <= 200), "a line is too long");
}

#[test]
fn thirty_thousand_placeholders_in_one_command_check_in_one_pass() {
    // Each placeholder's span was searched for in the whole command: 30,000 `{x}` in one
    // command took 6 seconds to check, and as many unknown ones far longer.
    let known = vec!["\"{x}\""; 30_000].join(" ");
    let plan = format!(
        "{HEADER}steps:\n  - {{ id: a, do: say, with: {{ x: hi }} }}\nactions:\n  say:\n    params: {{ x: string }}\n    run: '{known}'\n    readonly: true\n"
    );
    let checked = check(&plan_set("many-placeholders", &plan, EMPTY_MANIFEST));
    assert_eq!(checked.code, Some(0), "{}", checked.stderr);
    let unknown = vec!["{y}"; 30_000].join(" ");
    let plan = format!(
        "{HEADER}steps:\n  - {{ id: a, do: say, with: {{ x: hi }} }}\nactions:\n  say:\n    params: {{ x: string }}\n    run: 'echo {unknown}'\n    readonly: true\n"
    );
    let checked = check(&plan_set("many-unknown-placeholders", &plan, EMPTY_MANIFEST));
    assert_clean_failure(&checked, 1, "unknown template parameter `y`");
    assert!(checked.stdout.contains("more CUT006"), "{}", checked.stdout);
}

#[test]
fn standard_input_gets_the_checks_a_file_gets() {
    let nul = run_with_input(&["fmt", "-"], b"cutover 1\nplan \"a\0b\" {\n}\n".to_vec());
    assert_clean_failure(&nul, 2, "cannot read standard input: it holds NUL bytes");
    let latin1 = run_with_input(&["fmt", "-"], b"cutover 1\nplan \"caf\xe9\" {\n}\n".to_vec());
    assert_clean_failure(&latin1, 2, "not UTF-8");
    // 50 MB, past the 16 MiB a file may have; cutover stops reading one byte past the limit.
    let huge = run_with_input(&["fmt", "-"], vec![b'#'; 50 * 1024 * 1024]);
    assert_clean_failure(&huge, 2, "over the limit of 16 MiB");
}

/// `cutover build plans/dten-4.2/plan.yaml --emit FORMAT -o OUTPUT`.
fn build_to(format: &str, output: &Path) -> Run {
    let plan = common::root().join("plans/dten-4.2/plan.yaml");
    run(&["build", plan.to_str().expect("UTF-8 path"), "--emit", format, "-o", output.to_str().expect("UTF-8 path")])
}

#[test]
fn output_through_a_symbolic_link_is_written_to_its_target() {
    use std::os::unix::fs::PermissionsExt as _;
    let directory = common::scratch("output-symlink");
    let target = directory.join("real.json");
    std::fs::write(&target, "old").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    std::os::unix::fs::symlink("real.json", directory.join("link.json")).expect("symlink");
    let built = build_to("json", &directory.join("link.json"));
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let link = std::fs::symlink_metadata(directory.join("link.json")).expect("the link");
    assert!(link.file_type().is_symlink(), "the link is still a link");
    assert!(std::fs::read_to_string(&target).expect("the target").contains("cutover-plan/1"));
    let mode = std::fs::metadata(&target).expect("the target").permissions().mode() & 0o777;
    assert_eq!(mode, 0o750, "the replaced file keeps its permissions");
    // A link to nothing yet creates its target, as a shell's `>` would.
    std::os::unix::fs::symlink("new.json", directory.join("dangling.json")).expect("symlink");
    assert_eq!(build_to("json", &directory.join("dangling.json")).code, Some(0));
    assert!(directory.join("new.json").is_file());
    let mut names: Vec<_> =
        std::fs::read_dir(&directory).expect("list").flatten().map(|entry| entry.file_name()).collect();
    names.sort();
    assert_eq!(names, ["dangling.json", "link.json", "new.json", "real.json"], "no temporary file left");
}

#[test]
fn output_into_a_fifo_or_a_device_is_written_straight_in() {
    let directory = common::scratch("output-fifo");
    let fifo = directory.join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the FIFO"))
    };
    let built = build_to("json", &fifo);
    if built.code != Some(0) {
        // Opening the FIFO for writing lets the reader go, so a failure is not also a hang.
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    }
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let read = String::from_utf8(reader.join().expect("the reader")).expect("UTF-8");
    assert!(read.contains("cutover-plan/1"), "the reader got the plan");
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&std::fs::metadata(&fifo).expect("fifo").file_type()));
    // A device that cannot take the bytes is one clear line, and the device stays a device.
    let full = build_to("json", Path::new("/dev/full"));
    assert_clean_failure(&full, 2, "No space left on device");
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(&std::fs::metadata("/dev/full").expect("dev").file_type()));
}

#[test]
fn output_into_what_cannot_hold_a_file_is_refused() {
    let directory = common::scratch("output-refused");
    assert_clean_failure(&build_to("json", &directory), 2, "it is a directory; name a file");
    let socket = directory.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("a socket");
    assert_clean_failure(&build_to("json", &socket), 2, "it is a socket");
    // A playbook directory: a link to a directory is followed, a file in the way refused.
    std::fs::create_dir(directory.join("real")).expect("mkdir");
    std::os::unix::fs::symlink("real", directory.join("playbook")).expect("symlink");
    assert_eq!(build_to("ansible", &directory.join("playbook")).code, Some(0));
    assert!(std::fs::symlink_metadata(directory.join("playbook")).expect("link").file_type().is_symlink());
    assert!(directory.join("real/playbook.yml").is_file());
    std::fs::write(directory.join("file"), "mine").expect("write");
    assert_clean_failure(&build_to("ansible", &directory.join("file")), 2, "it is a file, not a directory");
    assert_eq!(std::fs::read_to_string(directory.join("file")).expect("kept"), "mine");
}

/// A manifest of about 80 KB on one line whose last component is not a mapping.
fn minified_manifest() -> (Vec<u8>, usize) {
    let mut manifest = String::from(r#"{"package":"p","version":"1.0.0","components":{"#);
    for index in 0..2_500 {
        let _ = write!(manifest, r#""c{index}":{{"version":"1.0.0"}},"#);
    }
    let column = manifest.len() + r#""bogus":"#.len() + 1;
    manifest.push_str(r#""bogus":1}}"#);
    (manifest.into_bytes(), column)
}

#[test]
fn a_diagnostic_far_along_a_minified_line_is_shown_cropped() {
    // miette formatted the column as a width and panicked past 65,535.
    let (manifest, column) = minified_manifest();
    assert!(column > 65_535);
    let plan = plan_set("minified-manifest", HEADER, &manifest);
    let checked = check(&plan);
    assert_clean_failure(&checked, 1, &format!("manifest.json:1:{column}]"));
    assert!(checked.stdout.len() < 2_000, "cropped, not the whole line:\n{}", checked.stdout);
    assert!(checked.stdout.contains("… "), "{}", checked.stdout);
    // Tools get the true place.
    let linted = run(&["lint", "--format", "json", plan.to_str().expect("UTF-8 path")]);
    let report: serde_json::Value = serde_json::from_str(&linted.stdout).expect("JSON");
    let location = &report["plans"][0]["findings"][0]["location"];
    assert_eq!((location["line"].as_u64(), location["column"].as_u64()), (Some(1), Some(column as u64)));
}

#[test]
fn ten_thousand_findings_on_one_line_print_fifty_and_a_count() {
    // Each of the 10,000 reports printed the whole 30 KB line: 600 MB.
    let items = vec!["x"; 10_000].join(", ");
    let plan = plan_set("ten-thousand-items", &format!("{HEADER}steps: [{items}]\n"), EMPTY_MANIFEST);
    let checked = check(&plan);
    assert_clean_failure(&checked, 1, "note: 9950 more CUT001 syntax-error diagnostics in");
    assert!(checked.stdout.len() < 100_000, "{} bytes", checked.stdout.len());
    assert!(checked.stdout.contains("10000 errors"), "every one is counted");
    let linted = run(&["lint", "--format", "json", plan.to_str().expect("UTF-8 path")]);
    let report: serde_json::Value = serde_json::from_str(&linted.stdout).expect("JSON");
    assert_eq!(report["plans"][0]["findings"].as_array().map(Vec::len), Some(10_000), "tools get every one");
}

#[test]
fn a_cycle_of_fifty_thousand_steps_names_the_first_and_counts_the_rest() {
    let plan = plan_set("long-cycle", &after_chain(50_000, true), EMPTY_MANIFEST);
    let checked = check(&plan);
    assert_clean_failure(&checked, 1, "dependency cycle of 50000 steps: s0 → s1 →");
    assert!(checked.stdout.contains("… 49980 more … → s0"), "{}", checked.stdout);
    assert!(checked.stdout.contains("note: 49981 more labels not shown"), "{}", checked.stdout);
    assert!(checked.stdout.len() < 20_000, "{} bytes", checked.stdout.len());
    let linted = run(&["lint", "--format", "json", plan.to_str().expect("UTF-8 path")]);
    let report: serde_json::Value = serde_json::from_str(&linted.stdout).expect("JSON");
    let labels = report["plans"][0]["findings"][0]["labels"].as_array().map(Vec::len);
    assert_eq!(labels, Some(50_000), "tools get an edge per step");
}

/// A standard output that cannot be written (a full disk: `/dev/full`) is one line and exit 2
/// from every command that prints, never a panic and never a silent success.
#[test]
fn an_unwritable_standard_output_is_one_line_and_exit_2() {
    let dten = "plans/dten-4.2/plan.yaml";
    let manifest = "plans/dten-4.2/manifest.json";
    let inventory = "plans/dten-4.2/inventory.yaml";
    let commands: &[&[&str]] = &[
        &["check", dten],
        &["build", dten, "--emit", "json"],
        &["graph", dten],
        &["schema", "plan"],
        &["diff", dten, dten],
        &["explain", "CUT001"],
        &["actions"],
        &["paths", "--manifest", manifest, "--inventory", inventory],
        &["lint", "plans/dten-4.2"],
        &["man"],
    ];
    for arguments in commands {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
            .args(*arguments)
            .current_dir(common::root())
            .env("NO_COLOR", "1")
            .stdout(full)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {stderr}");
        assert!(stderr.contains("cannot write to standard output"), "{arguments:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{arguments:?}: {stderr}");
    }
}
