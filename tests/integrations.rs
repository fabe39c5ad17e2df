//! Where teams already work: shell completions, the man page, the pre-commit hooks and the
//! GitHub workflow under examples/.

mod common;

use std::fmt::Write as _;

use cutover::source::FileId;
use cutover::syntax::yaml::{Node, NodeKind, parse};

#[test]
fn completions_for_each_shell_know_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = common::cutover(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let text = common::stdout(&output);
        for command in ["check", "build", "lint", "explain", "graph", "diff", "paths", "scan-config"] {
            assert!(text.contains(command), "{shell} completions lack `{command}`");
        }
    }
    assert_eq!(common::cutover(&["completions", "tcsh"]).status.code(), Some(2));
}

/// After `explain`, completions offer the rule codes and the prelude's actions.
#[test]
fn completions_offer_rules_and_actions_after_explain() {
    for shell in ["bash", "zsh", "fish"] {
        let text = common::stdout(&common::cutover(&["completions", shell]));
        let offered: Vec<&str> = text
            .lines()
            .filter(|line| line.contains("CUT013"))
            .filter(|line| line.contains("config.set") && line.contains("http.wait"))
            .collect();
        assert!(!offered.is_empty(), "{shell} completions do not offer rule codes and actions");
        if shell == "fish" {
            assert!(offered.iter().all(|line| line.contains("__fish_cutover_using_subcommand explain")), "{offered:?}");
        }
    }
}

/// One page: every command on it (no `cutover-COMMAND(1)` page cited that nothing writes),
/// with exit status, environment and examples.
#[test]
fn the_man_page_renders() {
    let output = common::cutover(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let text = common::stdout(&output);
    assert!(text.contains(".TH cutover 1"), "{text}");
    for section in [".SH COMMANDS", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH EXAMPLES"] {
        assert!(text.contains(section), "no `{section}` in the man page");
    }
    assert!(!text.contains("cutover\\-check(1)") && !text.contains("cutover-check(1)"), "cites a page nothing writes");
    for command in ["check", "build", "lint", "explain", "actions", "diff", "init", "paths", "scan-config", "fmt"] {
        assert!(text.contains(&format!(".SS \"cutover {command}\"")), "`{command}` has no subsection");
    }
    insta::assert_snapshot!("man", text);
}

/// Every command's `--help` shows an example.
#[test]
fn every_help_shows_an_example() {
    for command in
        ["check", "build", "lint", "explain", "actions", "graph", "diff", "paths", "scan-config", "completions", "man"]
    {
        let output = common::cutover(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        assert!(common::stdout(&output).contains("Example: cutover"), "`cutover {command} --help` has no example");
    }
}

fn mapping(node: &Node) -> &[(Node, Node)] {
    match &node.kind {
        NodeKind::Mapping(entries) => entries,
        other => panic!("expected a mapping, found {other:?}"),
    }
}

fn get<'n>(node: &'n Node, key: &str) -> &'n Node {
    mapping(node)
        .iter()
        .find(|(name, _)| name.as_scalar().is_some_and(|scalar| scalar.text == key))
        .map_or_else(|| panic!("no `{key}`"), |(_, value)| value)
}

fn text(node: &Node) -> &str {
    &node.as_scalar().expect("a scalar").text
}

/// The workflow parses, runs lint as SARIF, uploads it, and posts the Markdown summary.
#[test]
fn the_github_workflow_lints_uploads_and_comments() {
    let source = std::fs::read_to_string(common::root().join("examples/github/cutover.yml")).expect("workflow");
    let workflow = parse(FileId(0), &source).expect("valid YAML");
    let NodeKind::Sequence(steps) = &get(get(get(&workflow, "jobs"), "lint"), "steps").kind else { panic!("steps") };
    let runs: Vec<&str> = steps
        .iter()
        .filter_map(|step| {
            mapping(step).iter().find(|(key, _)| key.as_scalar().is_some_and(|scalar| scalar.text == "run"))
        })
        .map(|(_, value)| text(value))
        .collect();
    let uses: Vec<&str> = steps
        .iter()
        .filter_map(|step| {
            mapping(step).iter().find(|(key, _)| key.as_scalar().is_some_and(|scalar| scalar.text == "uses"))
        })
        .map(|(_, value)| text(value))
        .collect();
    assert!(runs.iter().any(|run| run.contains("cutover lint . --format sarif > cutover.sarif")), "{runs:?}");
    assert!(runs.iter().any(|run| run.contains("--format markdown")), "{runs:?}");
    assert!(uses.iter().any(|action| action.starts_with("github/codeql-action/upload-sarif@")), "{uses:?}");
    assert_eq!(text(get(get(&workflow, "permissions"), "security-events")), "write");
}

/// The pre-commit hooks name commands that exist.
#[test]
fn the_pre_commit_hooks_run_real_commands() {
    let source = std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).expect("hooks");
    let hooks = parse(FileId(0), &source).expect("valid YAML");
    let NodeKind::Sequence(hooks) = &hooks.kind else { panic!("a list of hooks") };
    let ids: Vec<&str> = hooks.iter().map(|hook| text(get(hook, "id"))).collect();
    assert_eq!(ids, ["cutover-lint", "cutover-fmt"]);
    for hook in hooks {
        let entry = text(get(hook, "entry"));
        let arguments: Vec<&str> = entry.split_whitespace().skip(1).chain(["--help"]).collect();
        let output = common::cutover(&arguments);
        assert_eq!(output.status.code(), Some(0), "`{entry}` is not a cutover command");
    }
}

/// What `--help` says, for the program and every command: a snapshot, so a change to it is
/// reviewed like any other output people read.
#[test]
fn help_texts() {
    let top = common::cutover(&["--help"]);
    assert_eq!(top.status.code(), Some(0));
    let mut all = common::stdout(&top);
    let commands: Vec<String> = all
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix("  ").filter(|rest| !rest.starts_with(' ')))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|command| command != "help")
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in commands {
        let help = common::cutover(&[&command, "--help"]);
        assert_eq!(help.status.code(), Some(0), "{command}");
        let _ = write!(all, "\n===== cutover {command} --help\n\n{}", common::stdout(&help));
    }
    insta::assert_snapshot!("help", all);
}
