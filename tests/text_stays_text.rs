//! Text that is not a command never becomes one. Free text the plan set carries into the
//! generated files (the package name, a manifest's file name, an irreversible step's reason, a
//! component name in a "nothing to do" note) can hold line breaks of every kind, quotes, shell
//! and YAML and Jinja syntax: the script and the playbook gain no line from it, the playbook
//! marks every such value `!unsafe`, and the script's `--help` and `--dry-run` run none of it.
//! Names (plans, steps, hosts) are identifiers, refused otherwise (tests/fixtures/err/CUT001-*).

mod common;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// Pieces of hostile text: every line break some reader knows, shell, YAML and Jinja syntax,
/// and the script's own here-document terminator.
const PIECES: &[&str] = &[
    "\n- hosts: all\n  tasks: [{ ansible.builtin.shell: touch PWNED }]\n",
    "\ntouch PWNED\n",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\t",
    "{{ lookup('pipe', 'touch PWNED') }}",
    "{% raw %}",
    "#",
    "'",
    "\"",
    "\\",
    ": ",
    "- ",
    "$(touch PWNED)",
    "`touch PWNED`",
    "\nCUTOVER_TEXT\n",
    "; touch PWNED;",
];

/// The texts of one plan set's free-text places.
#[derive(Clone, Debug)]
struct Texts {
    package: String,
    manifest_file: String,
    reason: String,
    component: String,
}

impl Texts {
    fn benign() -> Self {
        Self { package: "p".into(), manifest_file: "m".into(), reason: "r".into(), component: "c".into() }
    }
}

/// A YAML double-quoted scalar holding exactly `text`.
fn yaml(text: &str) -> String {
    serde_json::to_string(text).expect("a JSON string is a YAML scalar")
}

/// The plan set with `texts` in their places, compiled in memory; it must check clean.
fn lowered(texts: &Texts) -> cutover::lower::LoweredPlan {
    let manifest_path = format!("t/{}.yaml", texts.manifest_file);
    let manifest = format!(
        "package: {}\nversion: 2.0.0\ncomponents:\n  {}: {{ version: 2.0.0, probe: {{ package: {} }}, upgrade_from: [{{ from: \">=1.0.0\" }}] }}\n",
        yaml(&texts.package),
        yaml(&texts.component),
        yaml(&texts.package)
    );
    let inventory =
        format!("groups: {{ app: [h-1] }}\nhosts:\n  h-1: {{ installed: {{ {}: 2.0.0 }} }}\n", yaml(&texts.component));
    let plan = format!(
        "cutover: 1\nplan: text\nmanifest: {}\ninventory: i.yaml\nsteps:\n  \
         - {{ id: snap, do: file.backup, with: {{ path: /var/lib/x }}, on: app }}\n  \
         - {{ id: up, do: up, with: {{ target: {} }}, on: app, after: [snap] }}\n  \
         - {{ id: migrate, run: \"true\", irreversible: {}, on: app, after: [up] }}\n\
         actions:\n  up:\n    params: {{ target: release }}\n    run: \"true\"\n    rollback: \"true\"\n",
        yaml(&format!("{}.yaml", texts.manifest_file)),
        yaml(&format!("{}@2.0.0", texts.component)),
        yaml(&texts.reason)
    );
    let sources = cutover::source::SourceMap::with_files([
        (PathBuf::from("t/plan.yaml"), plan),
        (PathBuf::from(manifest_path), manifest),
        (PathBuf::from("t/i.yaml"), inventory),
    ]);
    let compilation = cutover::compile(sources, Path::new("t/plan.yaml")).expect("in memory");
    let codes: Vec<String> = compilation
        .diagnostics
        .iter()
        .map(|diagnostic| format!("{} {}", diagnostic.code, diagnostic.message))
        .collect();
    compilation.lowered.unwrap_or_else(|| panic!("{texts:?} does not check: {codes:?}"))
}

/// Line breaks as any reader counts them: bash, YAML 1.2, and YAML 1.1 (`PyYAML`).
fn line_breaks(text: &str) -> usize {
    text.matches(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']).count()
}

/// Lines of YAML that start something: a line after one that ends in an escaped line break (an
/// odd run of backslashes) continues a double-quoted scalar, as long values and values with
/// line breaks are written.
fn yaml_lines(text: &str) -> usize {
    let mut lines = 0;
    let mut continues = false;
    for line in text.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        if !continues {
            lines += 1;
        }
        continues = line.chars().rev().take_while(|&character| character == '\\').count() % 2 == 1;
    }
    lines
}

/// The first line of the YAML scalar that holds byte `at`: double-quoted scalars go on over
/// lines that end with an escaped line break.
fn scalar_start(playbook: &str, at: usize) -> &str {
    let mut start = playbook[..at].rfind('\n').map_or(0, |newline| newline + 1);
    while start > 0 && playbook[..start - 1].ends_with('\\') {
        start = playbook[..start - 1].rfind('\n').map_or(0, |newline| newline + 1);
    }
    let end = playbook[start..].find('\n').map_or(playbook.len(), |newline| start + newline);
    &playbook[start..end]
}

fn assert_text_stays_text(texts: &Texts, pwned: &Path) {
    let hostile = lowered(texts);
    let benign = lowered(&Texts::benign());
    let script = cutover::emit::sh::emit(&hostile);
    assert_eq!(
        line_breaks(&script),
        line_breaks(&cutover::emit::sh::emit(&benign)),
        "the script gained a line from {texts:?}"
    );
    let playbook = cutover::emit::ansible::emit(&hostile, ".");
    let benign_playbook = cutover::emit::ansible::emit(&benign, ".");
    for ((name, text), (_, benign_text)) in playbook.iter().zip(&benign_playbook) {
        if Path::new(name).extension().is_some_and(|extension| extension == "yml") {
            assert_eq!(yaml_lines(text), yaml_lines(benign_text), "{name} gained a line from {texts:?}");
        }
    }
    // The playbook's own lookups (its journal) are templated; hostile text adds none: every
    // lookup beyond those of the benign build is inside an `!unsafe` scalar or a comment.
    let templated = |playbook: &str| -> Vec<String> {
        playbook
            .match_indices("lookup(")
            .map(|(at, _)| scalar_start(playbook, at))
            .filter(|start| !start.contains("!unsafe") && !start.trim_start().starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    let (_, playbook) = &playbook[0];
    let (_, benign_playbook) = &benign_playbook[0];
    assert_eq!(templated(playbook), templated(benign_playbook), "a templated lookup came from {texts:?}");
    let directory = pwned.parent().expect("scratch");
    let path = directory.join("plan.sh");
    std::fs::write(&path, script).expect("write the script");
    for flag in ["--help", "--dry-run", "--status"] {
        let run = std::process::Command::new("bash")
            .arg(&path)
            .arg(flag)
            .current_dir(directory)
            .env("CUTOVER_STATE_DIR", directory.join("state"))
            .output()
            .expect("bash runs");
        assert_eq!(run.status.code(), Some(0), "{flag}: {}", common::text(&run));
    }
    assert!(!pwned.exists(), "text from {texts:?} ran");
}

fn hostile(pieces: &[usize], pwned: &str, around: &str) -> String {
    let mut text = String::from(around);
    for &piece in pieces {
        text.push_str(&PIECES[piece].replace("PWNED", pwned));
        text.push_str(around);
    }
    text
}

#[test]
fn every_piece_in_every_place_stays_text() {
    let scratch = common::scratch("text-stays-text");
    let pwned = scratch.join("pwned");
    let pwned_text = pwned.to_str().expect("UTF-8");
    for piece in 0..PIECES.len() {
        let text = hostile(&[piece], pwned_text, "x");
        let texts = Texts { package: text.clone(), manifest_file: text.clone(), reason: text.clone(), component: text };
        assert_text_stays_text(&texts, &pwned);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hostile_text_stays_text(
        package in proptest::collection::vec(0..PIECES.len(), 0..4),
        manifest_file in proptest::collection::vec(0..PIECES.len(), 0..4),
        reason in proptest::collection::vec(0..PIECES.len(), 0..4),
        component in proptest::collection::vec(0..PIECES.len(), 0..4),
    ) {
        let scratch = common::scratch("text-stays-text-property");
        let pwned = scratch.join("pwned");
        let pwned_text = pwned.to_str().expect("UTF-8");
        let texts = Texts {
            package: hostile(&package, pwned_text, "p"),
            manifest_file: hostile(&manifest_file, pwned_text, "m"),
            reason: hostile(&reason, pwned_text, "r"),
            component: hostile(&component, pwned_text, "c"),
        };
        assert_text_stays_text(&texts, &pwned);
    }
}

/// Plays and tasks of a playbook as the real `ansible-playbook --list-tasks` (`PyYAML`, YAML 1.1)
/// reads it: the number of plays and of tasks.
fn plays_and_tasks(files: &[(&'static str, String)], directory: &Path) -> (usize, usize) {
    common::write_tree(directory, &files.iter().map(|(name, text)| (*name, text.as_str())).collect::<Vec<_>>());
    let playbook = std::env::var_os("CUTOVER_ANSIBLE_PLAYBOOK")
        .map_or_else(|| common::root().join(".venv/bin/ansible-playbook"), PathBuf::from);
    assert!(playbook.is_file(), "ansible-playbook is not at {}: run `make test`", playbook.display());
    let run = std::process::Command::new(playbook)
        .args(["-i", "inventory.yml", "playbook.yml", "--list-tasks"])
        .current_dir(directory)
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .expect("ansible-playbook runs");
    assert_eq!(run.status.code(), Some(0), "{}", common::text(&run));
    let listing = common::stdout(&run);
    let plays = listing.lines().filter(|line| line.trim_start().starts_with("play #")).count();
    let tasks = listing.lines().filter(|line| line.ends_with("TAGS: []")).count();
    (plays, tasks)
}

/// Every piece at once in every place: Ansible itself reads the same plays and tasks as from
/// plain text, and nothing ran.
#[test]
fn ansible_reads_the_same_plays_from_hostile_text() {
    let scratch = common::scratch("text-stays-text-ansible");
    let pwned = scratch.join("pwned");
    let all: Vec<usize> = (0..PIECES.len()).collect();
    let text = hostile(&all, pwned.to_str().expect("UTF-8"), "x");
    let texts = Texts { package: text.clone(), manifest_file: text.clone(), reason: text.clone(), component: text };
    let hostile = plays_and_tasks(&cutover::emit::ansible::emit(&lowered(&texts), "."), &scratch.join("hostile"));
    let benign =
        plays_and_tasks(&cutover::emit::ansible::emit(&lowered(&Texts::benign()), "."), &scratch.join("benign"));
    assert!(benign.0 > 3 && benign.1 > 3, "{benign:?}");
    assert_eq!(hostile, benign);
    assert!(!pwned.exists(), "text ran");
}
