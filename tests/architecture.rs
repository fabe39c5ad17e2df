//! ARCHITECTURE.md's boundaries, checked on the source: which module may use which (`crate::…`
//! references outside test code), that only `parallel` starts threads, and that only `source` and
//! `cli` touch files and the terminal. A new edge fails here: add it to [`ALLOWED`] only when
//! ARCHITECTURE.md says why it belongs.

mod common;

use std::collections::{BTreeMap, BTreeSet};

/// The modules each top-level module of `src/` may name, in pipeline order, then the modules
/// beside the pipeline. Shared leaves (`codes`, `diagnostic`, `source`, `config`, `parallel`)
/// hold data types and helpers every stage may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("source", &[]),
    ("codes", &[]),
    ("diagnostic", &["codes", "source"]),
    ("config", &["codes"]),
    ("parallel", &["diagnostic"]),
    ("syntax", &["codes", "diagnostic", "model", "parallel", "source"]),
    ("model", &["codes", "diagnostic", "source"]),
    ("resolve", &["codes", "config", "diagnostic", "model", "parallel", "source"]),
    ("graph", &["model", "resolve", "source"]),
    // `syntax::suppression`: suppressions are comments, which only the text holds.
    ("check", &["codes", "config", "diagnostic", "graph", "model", "parallel", "resolve", "source", "syntax"]),
    ("probe", &["model", "resolve"]),
    ("lower", &["check", "graph", "model", "probe", "resolve"]),
    ("emit", &["lower", "probe", "source"]),
    ("driver", &["check", "codes", "config", "diagnostic", "lower", "model", "resolve", "source", "syntax"]),
    ("actions", &["driver", "model", "source"]),
    ("diff", &["driver", "lower", "model"]),
    ("init", &["model"]),
    ("report", &["check", "codes", "diagnostic", "driver", "model", "source"]),
    ("scan", &["codes", "model"]),
    ("gather", &["model", "probe"]),
    ("schema", &[]),
    ("testing", &["codes", "config", "diagnostic", "driver", "model", "source"]),
];

/// Modules whose every edge is fine: the command line and the binary sit on top of everything.
const TOP: &[&str] = &["cli", "lib", "main"];

/// Each `src/` file's text without its test module, with its top-level module's name.
fn sources() -> Vec<(String, String, String)> {
    let root = common::root().join("src");
    common::files_under(&root)
        .into_iter()
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .map(|path| {
            let relative = path.strip_prefix(&root).expect("under src").to_string_lossy().into_owned();
            let module = relative.split('/').next().expect("a first part").trim_end_matches(".rs").to_owned();
            let mut text = std::fs::read_to_string(&path).expect("a source file");
            // Tests may reach anything; what ships may not. A `tests.rs` file is test code too.
            if let Some(tests) = text.find("#[cfg(test)]\nmod tests") {
                text.truncate(tests);
            }
            if relative.ends_with("/tests.rs") {
                text.clear();
            }
            // Comments may show anything (a doc example prints); only code counts.
            let code: Vec<&str> = text.lines().filter(|line| !line.trim_start().starts_with("//")).collect();
            (relative, module, code.join("\n"))
        })
        .collect()
}

/// The top-level modules a file's text names through `crate::`, outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name.chars().next().is_some_and(|first| first.is_ascii_lowercase()) {
                found.insert(name);
            }
            if rest.starts_with('{') {
                // `use crate::{a::b, c};`: every first name in the braces.
                let inner = &rest[1..rest.find('}').unwrap_or(rest.len())];
                for item in inner.split(',') {
                    let name: String =
                        item.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    if name.chars().next().is_some_and(|first| first.is_ascii_lowercase()) {
                        found.insert(name);
                    }
                }
            }
        }
    }
    found
}

#[test]
fn modules_use_only_what_architecture_allows() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut problems = Vec::new();
    let mut seen_modules = BTreeSet::new();
    // `use crate::{a, b}` written over several lines: join them first.
    for (file, module, text) in sources() {
        seen_modules.insert(module.clone());
        if TOP.contains(&module.as_str()) {
            continue;
        }
        let Some(permitted) = allowed.get(module.as_str()) else {
            problems.push(format!("{file}: module `{module}` is not in ALLOWED (add it, and to ARCHITECTURE.md)"));
            continue;
        };
        let joined = text.replace(",\n", ", ").replace("{\n", "{");
        for name in named_modules(&joined) {
            if name != module && !permitted.contains(&name.as_str()) {
                problems.push(format!("{file}: `{module}` uses `crate::{name}`, which ARCHITECTURE.md does not allow"));
            }
        }
    }
    for (module, _) in ALLOWED {
        assert!(seen_modules.contains(*module), "ALLOWED names `{module}`, which src/ no longer has");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `parallel` is the one place that starts a thread, and the one place that decides how.
#[test]
fn only_parallel_starts_threads() {
    for (file, module, text) in sources() {
        if module == "parallel" {
            continue;
        }
        for needle in ["thread::spawn", "thread::scope", "thread::Builder", "spawn_scoped"] {
            assert!(!text.contains(needle), "{file} starts a thread (`{needle}`): use crate::parallel");
        }
    }
}

/// No file or terminal I/O outside `source` and `cli` (and the binary).
#[test]
fn only_source_and_cli_touch_files_and_the_terminal() {
    for (file, module, text) in sources() {
        if matches!(module.as_str(), "source" | "cli" | "main") {
            continue;
        }
        for needle in
            ["std::fs", "fs::", "File::", "println!", "eprintln!", "print!(", "io::stdout", "io::stdin", "io::stderr"]
        {
            assert!(!text.contains(needle), "{file} does I/O (`{needle}`): only source and cli may");
        }
    }
}
