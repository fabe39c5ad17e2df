//! Arbitrary bytes read as a DSL plan and as an action library: never a panic or a hang, and
//! whatever reads cleanly formats to a fixed point.

#![no_main]

use cutover::source::SourceMap;
use cutover::syntax::dsl;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut sources = SourceMap::new();
    let file = sources.add("<fuzz>", text.to_owned());
    let mut diagnostics = Vec::new();
    let _ = dsl::read_plan(file, text, &mut diagnostics);
    let _ = dsl::read_library(file, text, &mut diagnostics);
    if let Ok(formatted) = dsl::format(file, text, &mut Vec::new()) {
        assert_eq!(dsl::format(file, &formatted, &mut Vec::new()).ok().as_deref(), Some(formatted.as_str()));
    }
});
