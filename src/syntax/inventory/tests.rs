//! The inventory forms read to the same groups, hosts and versions; bad input is a diagnostic
//! with a span into the file; no input makes a reader panic or loop.

use std::fmt::Write as _;

use super::*;

/// Each group with its hosts, and each host with its installed versions, as text.
fn summary(inventory: &Inventory) -> (Vec<String>, Vec<String>) {
    let groups = inventory
        .groups
        .values()
        .map(|group| {
            let hosts: Vec<&str> = group.hosts.iter().map(|host| host.value.as_str()).collect();
            format!("{}: {}", group.name.value, hosts.join(" "))
        })
        .collect();
    let hosts = inventory
        .hosts
        .values()
        .map(|host| {
            let installed: Vec<String> =
                host.installed.iter().map(|(component, version)| format!("{component}@{}", version.value)).collect();
            format!("{}: {}", host.name.value, installed.join(" "))
        })
        .collect();
    (groups, hosts)
}

fn read(name: &str, text: &str) -> (Option<Inventory>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let inventory = read_inventory(FileId(0), name, text, &mut diagnostics);
    (inventory, diagnostics)
}

fn clean(name: &str, text: &str) -> (Vec<String>, Vec<String>) {
    let (inventory, diagnostics) = read(name, text);
    assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
    summary(&inventory.expect("an inventory"))
}

/// The messages of `text`'s diagnostics, each with the text its span covers.
fn problems(name: &str, text: &str) -> Vec<(String, String)> {
    let (_, diagnostics) = read(name, text);
    diagnostics
        .iter()
        .map(|diagnostic| {
            let span = diagnostic.primary.span;
            (diagnostic.message.clone(), text[span.start as usize..span.end as usize].to_owned())
        })
        .collect()
}

const INI: &str = "\
# The same fleet in each form.
bastion-1

[app]
app-[1:2] cutover_installed=\"{'dten-core': '3.9.2', 'dten-agent': '3.9.2'}\"
app-3 ansible_host=10.0.0.3

[db]
db-1 cutover_installed='{\"postgres\": \"14.11\"}'

[prod:children]
app
db

[app:vars]
cutover_installed={'dten-core': '4.0.3'}
";

const YAML: &str = "\
all:
  hosts:
    bastion-1:
  children:
    prod:
      children:
        app:
          hosts:
            app-[1:2]:
              cutover_installed: { dten-core: 3.9.2, dten-agent: 3.9.2 }
            app-3: { ansible_host: 10.0.0.3 }
          vars:
            cutover_installed: { dten-core: 4.0.3 }
        db:
          hosts:
            db-1: { cutover_installed: { postgres: 14.11 } }
";

const JSON: &str = r#"{
    "_meta": {
        "hostvars": {
            "app-1": { "cutover_installed": { "dten-core": "3.9.2", "dten-agent": "3.9.2" } },
            "app-2": { "cutover_installed": { "dten-core": "3.9.2", "dten-agent": "3.9.2" } },
            "app-3": { "ansible_host": "10.0.0.3", "cutover_installed": { "dten-core": "4.0.3" } },
            "db-1": { "cutover_installed": { "postgres": "14.11" } }
        }
    },
    "all": { "children": ["ungrouped", "prod"] },
    "ungrouped": { "hosts": ["bastion-1"] },
    "prod": { "children": ["app", "db"] },
    "app": { "hosts": ["app-1", "app-2", "app-3"] },
    "db": { "hosts": ["db-1"] }
}"#;

#[test]
fn the_three_ansible_forms_read_alike() {
    let groups = [
        "all: bastion-1 app-1 app-2 app-3 db-1",
        "ungrouped: bastion-1",
        "app: app-1 app-2 app-3",
        "db: db-1",
        "prod: app-1 app-2 app-3 db-1",
    ];
    let hosts = [
        "bastion-1: ",
        "app-1: dten-core@3.9.2 dten-agent@3.9.2",
        "app-2: dten-core@3.9.2 dten-agent@3.9.2",
        "app-3: dten-core@4.0.3",
        "db-1: postgres@14.11.0",
    ];
    let (ini_groups, ini_hosts) = clean("hosts.ini", INI);
    assert_eq!(ini_hosts, hosts);
    let mut sorted = ini_groups.clone();
    sorted.sort();
    let mut expected: Vec<String> = groups.iter().map(|group| (*group).to_owned()).collect();
    expected.sort();
    assert_eq!(sorted, expected, "INI");
    // Order of first appearance: `all` and `ungrouped`, then as each file names them.
    assert_eq!(ini_groups[..2], groups[..2]);
    let (yaml_groups, yaml_hosts) = clean("inventory.yml", YAML);
    assert_eq!(yaml_hosts, hosts);
    assert_eq!(
        yaml_groups,
        [
            "all: bastion-1 app-1 app-2 app-3 db-1",
            "ungrouped: bastion-1",
            "prod: app-1 app-2 app-3 db-1",
            "app: app-1 app-2 app-3",
            "db: db-1"
        ]
    );
    let (json_groups, json_hosts) = clean("inventory.json", JSON);
    assert_eq!(json_hosts, hosts);
    assert_eq!(
        json_groups,
        [
            "all: bastion-1 app-1 app-2 app-3 db-1",
            "ungrouped: bastion-1",
            "prod: app-1 app-2 app-3 db-1",
            "app: app-1 app-2 app-3",
            "db: db-1"
        ]
    );
}

#[test]
fn the_form_follows_the_extension_then_the_content() {
    assert_eq!(Form::of("hosts", "[web]\nweb-1\n"), Form::Ini);
    assert_eq!(Form::of("hosts", "# fleet\nweb-1\nweb-2\n"), Form::Ini);
    assert_eq!(Form::of("hosts", "all:\n  hosts:\n"), Form::Tree);
    assert_eq!(Form::of("inventory.yaml", "[web]\nweb-1\n"), Form::Ini);
    assert_eq!(Form::of("inventory.yaml", "groups: {}\n"), Form::Tree);
    assert_eq!(Form::of("i.json", "{}"), Form::Tree);
    assert_eq!(Form::of("i.ini", "all:\n"), Form::Ini);
}

#[test]
fn cutovers_own_form_reads_as_before_and_takes_gathered() {
    let text = "gathered: 2025-05-01T10:00:00Z\ngroups: { app: [app-1, app-2] }\nhosts:\n  app-1: { installed: { dten-core: 3.9.2 }, gathered: 2025-05-01T10:00:01Z }\n";
    let (groups, hosts) = clean("inventory.yaml", text);
    assert_eq!(groups, ["app: app-1 app-2"], "no implicit `all` in cutover's own form");
    assert_eq!(hosts, ["app-1: dten-core@3.9.2", "app-2: "]);
    let problems = problems("inventory.yaml", "groups: {}\nhosts: {}\nall: {}\n");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].0.contains("unknown field `all`"), "{problems:?}");
}

#[test]
fn a_hosts_own_value_replaces_its_groups_and_deeper_groups_win() {
    let text = "\
[all:vars]
cutover_installed={'openssl': '3.0.13'}
[web]
web-1
web-2 cutover_installed=\"{'nginx': '1.24'}\"
[edge]
web-1
[edge:vars]
cutover_installed={'openssl': '3.0.14'}
[web:vars]
cutover_installed={'openssl': '3.0.15'}
[lone]
solo
";
    let (_, hosts) = clean("hosts", text);
    // web-1 is in `edge` and `web` at the same depth: the later name, `web`, wins.
    assert_eq!(hosts, ["web-1: openssl@3.0.15", "web-2: nginx@1.24.0", "solo: openssl@3.0.13"]);
    let priority = format!("{text}[edge:vars]\nansible_group_priority=10\n");
    assert_eq!(clean("hosts", &priority).1[0], "web-1: openssl@3.0.14");
}

#[test]
fn children_are_transitive_and_cycles_are_diagnostics() {
    let text = "[a:children]\nb\n[b:children]\nc\n[c]\nc-1\n[c:children]\na\n";
    let (inventory, diagnostics) = read("hosts", text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert!(diagnostics[0].message.contains("a → b → c → a"), "{}", diagnostics[0].message);
    let span = diagnostics[0].primary.span;
    assert_eq!(&text[span.start as usize..span.end as usize], "a");
    let (groups, _) = summary(&inventory.expect("read on after the cycle"));
    assert!(groups.contains(&"a: c-1".to_owned()), "{groups:?}");
    let yaml = "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n";
    assert!(problems("i.yml", yaml)[0].0.contains("a → b → a"));
}

#[test]
fn bad_input_points_into_the_file() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("hosts", "[web]\nweb-[3:1]\n", "after its end", "[3:1]"),
        ("hosts", "[web:children]\napp\n", "no group of this inventory", "app"),
        ("hosts", "[web]\nweb-1 cutover_installed=\"{'dten-core': 'four'}\"\n", "four", "'four'"),
        ("hosts", "[web]\nweb-1 cutover_installed={'dten-core': 1}\n", "expected `key=value`", "1}"),
        ("hosts", "[web]\nweb-1 a='open\n", "never closed", "'"),
        ("hosts", "[web servers]\n", "not a section header", "[web servers]"),
        ("hosts", "[web:hostz]\n", "unknown type", "hostz"),
        ("hosts", "[web:vars]\nx\n", "expected `key=value`", "x"),
        ("hosts", "[ghost:vars]\nx=1\n", "never declared", "ghost"),
        ("hosts", "[web]\n-oProxyCommand=x\n", "starts with `-`", "-oProxyCommand=x"),
        ("hosts", "[web:vars]\ncutover_installed=\"{'a': '1'}\"\n", "quoted string", "\"{'a': '1'}\""),
        ("i.yml", "all:\n  hosts:\n    app-[1:x]:\n", "two numbers or two letters", "[1:x]"),
        ("i.yml", "all:\n  host:\n    app-1:\n", "unknown field `host`", "host"),
        ("i.yml", "all:\n  vars:\n    cutover_installed: 3.9.2\n", "not a mapping", "3.9.2"),
        ("i.json", r#"{"all": {"hosts": ["a b"]}}"#, "holds", "\"a b\""),
        ("i.json", r#"{"all": {"hosts": {"db-1": {"cutover_installed": {"pg": "x.y"}}}}}"#, "", "\"x.y\""),
    ];
    for (name, text, message, covered) in cases {
        let found = problems(name, text);
        assert!(
            found
                .iter()
                .any(|(found_message, found_covered)| found_message.contains(message) && found_covered == covered),
            "{text:?}: expected {message:?} at {covered:?}, found {found:?}"
        );
    }
}

#[test]
fn what_emit_ansible_writes_reads_back() {
    let written = "---\n# Inventory of plan p.\nall:\n  children:\n    \"db\":\n      hosts:\n        \"db-1\": {}\n    \"app\":\n      hosts:\n        \"app-1\": {}\n        \"app-2\": {}\n";
    let (groups, _) = clean("inventory.yml", written);
    assert_eq!(groups, ["all: db-1 app-1 app-2", "ungrouped: ", "db: db-1", "app: app-1 app-2"]);
}

/// No bytes make a reader panic or hang, in any form.
#[test]
fn garbage_is_read_without_panicking() {
    let pieces = [
        "[",
        "]",
        ":",
        "=",
        "'",
        "\"",
        "\\",
        "#",
        ";",
        "\n",
        " ",
        "{",
        "}",
        "a",
        "-",
        "0",
        "9",
        "[1:3]",
        "[a:c]",
        "[g:children]",
        "[g:vars]",
        "all:",
        "hosts:",
        "children:",
        "vars:",
        "cutover_installed",
        "_meta",
        ",",
        "é",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut text = String::new();
        for _ in 0..(state % 40) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        for name in ["hosts", "i.ini", "i.yml", "i.json"] {
            let mut diagnostics = Vec::new();
            let _ = read_inventory(FileId(0), name, &text, &mut diagnostics);
            for diagnostic in &diagnostics {
                let span = diagnostic.primary.span;
                assert!(span.start <= span.end && span.end as usize <= text.len(), "{text:?}: {diagnostic:?}");
            }
        }
    }
}

#[test]
fn huge_ranges_and_group_chains_stay_cheap() {
    let problems = problems("hosts", "[a]\nh[0:99999][0:99999]\n");
    assert!(problems[0].0.contains("more than"), "{problems:?}");
    let mut chain = String::from("[g0]\nh[1:5000]\n");
    for index in 1..2000 {
        let _ = write!(chain, "[g{index}:children]\ng{}\n", index - 1);
    }
    let (inventory, diagnostics) = read("hosts", &chain);
    assert!(inventory.is_none() && diagnostics[0].message.contains("too big"), "{diagnostics:?}");
}
