//! Arbitrary bytes read as a YAML plan of the dten plan set (its manifest, inventory and
//! library served from memory) and run through the whole pipeline: never a panic or a hang, a
//! plan without errors lowers, every span lies within its file, and every emitter writes.
//! `tests/fuzz_plans.rs` runs the same pipeline on stable over mutated plans, with more
//! invariants (the script's code, bash, fmt and convert).

#![no_main]

use std::path::{Path, PathBuf};

use cutover::source::SourceMap;

const PLAN: &str = "plans/dten-4.2/plan.yaml";

/// The plan set's other files, as the repository holds them.
const FILES: &[(&str, &str)] = &[
    ("plans/dten-4.2/manifest.json", include_str!("../../plans/dten-4.2/manifest.json")),
    ("plans/dten-4.2/inventory.yaml", include_str!("../../plans/dten-4.2/inventory.yaml")),
    ("plans/dten-4.2/lib/dten.yaml", include_str!("../../plans/dten-4.2/lib/dten.yaml")),
    ("plans/dten-4.2/certs/chain.pem", include_str!("../../plans/dten-4.2/certs/chain.pem")),
    ("plans/dten-4.2/certs/dten-4.2.pem", include_str!("../../plans/dten-4.2/certs/dten-4.2.pem")),
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let files = FILES
        .iter()
        .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
        .chain([(PathBuf::from(PLAN), text.to_owned())]);
    let compilation = cutover::compile(SourceMap::with_files(files), Path::new(PLAN)).expect("the plan is in memory");
    assert_eq!(compilation.lowered.is_some(), !compilation.has_errors(), "{:?}", compilation.diagnostics);
    let count = compilation.sources.files().count();
    for diagnostic in &compilation.diagnostics {
        for label in std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary) {
            assert!((label.span.file.0 as usize) < count, "{diagnostic:?}");
            let file = &compilation.sources.get(label.span.file).text;
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            assert!(start <= end && end <= file.len(), "{diagnostic:?}");
            assert!(file.is_char_boundary(start) && file.is_char_boundary(end), "{diagnostic:?}");
        }
    }
    if let Some(lowered) = &compilation.lowered {
        let script = cutover::emit::sh::emit(lowered);
        assert!(!script.contains('\0'), "bash drops a NUL byte from the script");
        let _ = cutover::emit::ansible::emit(lowered);
        let _ = cutover::emit::runbook::emit(lowered);
        let _ = cutover::emit::json::emit(lowered);
        let _ = cutover::emit::dot::emit(lowered);
        let _ = cutover::emit::mermaid::emit(lowered);
    }
});
