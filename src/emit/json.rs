//! `--emit json`: the lowered plan as JSON (`"format": "cutover-plan/1"`), keys in a fixed order.

use crate::lower::LoweredPlan;

/// Pretty-printed JSON with a trailing newline.
///
/// # Panics
/// Never: the lowered plan is plain data (strings, numbers, ordered maps) that always serializes.
#[must_use]
pub fn emit(plan: &LoweredPlan) -> String {
    let mut text = serde_json::to_string_pretty(plan).expect("the lowered plan is plain data");
    text.push('\n');
    text
}
