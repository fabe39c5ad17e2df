//! Syntax errors of the DSL in words people use, and recovery.
//!
//! pest reports the rules it tried at the furthest position; [`describe`] turns each into what a
//! person would call it (`a step name`, `` `after` ``, `a duration like 5m`). To find more than
//! the first mistake, the statement holding an error is blanked out (bytes become spaces, so
//! every later offset stays true) and the text is parsed again, up to [`MAX_ERRORS`] times. An
//! error at the very end of the text after an earlier one is a consequence of that one (a brace
//! left open by the blanking) and is not reported.

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};

use super::parser::{DslParser, Rule};
use crate::codes::{CUT001, CUT002};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::source::{FileId, Span};

/// Most syntax errors reported for one file; past this, the rest are usually echoes.
pub const MAX_ERRORS: usize = 20;

/// Every syntax error of a text that does not parse, in order.
#[must_use]
pub fn syntax_errors(file: FileId, text: &str) -> Vec<Diagnostic> {
    if let Some(diagnostic) = unterminated_string(file, text) {
        return vec![diagnostic];
    }
    let mut diagnostics = Vec::new();
    let mut current = text.to_owned();
    let mut last_position = None;
    while diagnostics.len() < MAX_ERRORS {
        let Err(error) = DslParser::parse(Rule::file, &current) else { break };
        let position = match error.location {
            InputLocation::Pos(position) | InputLocation::Span((position, _)) => position,
        };
        if last_position.is_some_and(|last| position <= last) {
            break;
        }
        let at_end = current[position..].trim().is_empty();
        if at_end && last_position.is_some() {
            break;
        }
        let (positives, negatives) = match &error.variant {
            ErrorVariant::ParsingError { positives, negatives } => (positives.clone(), negatives.clone()),
            ErrorVariant::CustomError { .. } => (Vec::new(), Vec::new()),
        };
        diagnostics.push(describe(file, &current, position, &positives, &negatives));
        last_position = Some(position);
        if at_end {
            break;
        }
        match blank_statement(&current, position) {
            Some(next) => current = next,
            None => break,
        }
    }
    diagnostics
}

/// One syntax error as a diagnostic: what was expected, in words, and what was found.
fn describe(file: FileId, text: &str, position: usize, positives: &[Rule], negatives: &[Rule]) -> Diagnostic {
    let found_length = token_length(&text[position..]);
    let found_text = &text[position..position + found_length];
    let found = if found_length == 0 { "the end of the file".to_owned() } else { format!("`{found_text}`") };
    let span = Span::new(file, position, position + found_length);
    let mut expected: Vec<&'static str> = Vec::new();
    for rule in positives {
        if let Some(words) = words(*rule)
            && !expected.contains(&words)
        {
            expected.push(words);
        }
    }
    if expected.is_empty() && !negatives.is_empty() {
        expected.push("something else");
    }
    let mut keywords: Vec<&str> = Vec::new();
    for word in positives.iter().filter_map(|rule| keyword(*rule)) {
        if !keywords.contains(&word) {
            keywords.push(word);
        }
    }
    let is_word = found_text.chars().next().is_some_and(|first| first.is_ascii_alphabetic());
    let suggestion = if is_word { did_you_mean(found_text, keywords.iter().copied()) } else { None };
    if let Some(help) = suggestion {
        return Diagnostic::new(CUT002, span, format!("unknown keyword `{found_text}`"))
            .with_primary_label(format!("expected {}", list(&expected)))
            .with_help(help);
    }
    // A block or a step header accepts many keywords; name them in the help, not the message.
    let mut help = None;
    if keywords.len() > 4 {
        help = Some(format!(
            "{} can follow here",
            keywords.iter().map(|word| format!("`{word}`")).collect::<Vec<_>>().join(", ")
        ));
        expected.retain(|words| keyword_of_words(words).is_none());
        expected.push(if positives.contains(&Rule::close_brace) { "a field" } else { "a clause" });
    }
    let message = format!("expected {}, found {found}", list(&expected));
    let diagnostic = Diagnostic::new(CUT001, span, message).with_primary_label(format!("expected {}", list(&expected)));
    let opens_statement = matches!(found_text, "step" | "preflight" | "action" | "plan");
    if positives.contains(&Rule::close_brace) && (found_length == 0 || opens_statement) {
        return diagnostic.with_help("every `{` needs a matching `}`: close the block above");
    }
    if let Some(help) = help {
        return diagnostic.with_help(help);
    }
    if found_text.starts_with('\\') {
        return diagnostic.with_help("escapes are \\\" \\\\ \\n \\t \\r \\0 and \\u{41}");
    }
    if found_text == "'" {
        return diagnostic.with_help("strings are written in double quotes: \"…\"");
    }
    diagnostic
}

/// "a, b or c".
fn list(items: &[&str]) -> String {
    match items {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The length of the token at the start of `text`: a word, a string's opening quote, or one
/// character; zero at the end.
fn token_length(text: &str) -> usize {
    let word = text.find(|c: char| !(c.is_alphanumeric() || "_./-@+%".contains(c))).unwrap_or(text.len());
    if word > 0 {
        return word;
    }
    text.chars().next().map_or(0, char::len_utf8)
}

/// What a rule is called in an error message; `None` for rules never worth naming.
#[allow(clippy::too_many_lines)]
fn words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::language | Rule::kw_cutover => "`cutover`",
        Rule::language_version => "a language version like 1",
        Rule::plan | Rule::kw_plan => "`plan`",
        Rule::plan_name => "a plan name",
        Rule::action | Rule::kw_action => "`action`",
        Rule::manifest | Rule::kw_manifest => "`manifest`",
        Rule::inventory | Rule::kw_inventory => "`inventory`",
        Rule::window | Rule::kw_window => "`window`",
        Rule::buffer | Rule::kw_buffer => "`buffer`",
        Rule::uses | Rule::kw_use => "`use`",
        Rule::upgrade | Rule::kw_upgrade => "`upgrade`",
        Rule::notify | Rule::kw_notify => "`notify`",
        Rule::preflight | Rule::kw_preflight => "`preflight`",
        Rule::step | Rule::kw_step => "`step`",
        Rule::step_name | Rule::dependency => "a step name",
        Rule::on_clause | Rule::kw_on => "`on`",
        Rule::serial_clause | Rule::kw_serial => "`serial`",
        Rule::serial_ramp => "a ramp of batch sizes like [1, 10%, 50%]",
        // A bracket opens only a ramp of `serial`.
        Rule::open_bracket => "a ramp like [1, 10%, 50%]",
        Rule::close_bracket => "`]`",
        Rule::after_clause | Rule::kw_after => "`after`",
        Rule::max_fail_clause | Rule::kw_max_fail => "`max_fail`",
        Rule::failure_budget | Rule::host_count => "a host count like 1 or a share like 25%",
        Rule::target => "a group or host name",
        Rule::call => "an action call like service.stop(unit: \"x.service\")",
        Rule::action_name => "an action name",
        Rule::argument => "an argument like `unit: \"x.service\"`",
        Rule::argument_name => "an argument name",
        Rule::argument_value | Rule::value | Rule::bare => "a value",
        Rule::run | Rule::kw_run => "`run`",
        Rule::rollback | Rule::kw_rollback => "`rollback`",
        Rule::irreversible | Rule::kw_irreversible => "`irreversible`",
        Rule::verify | Rule::kw_verify => "`verify`",
        Rule::cleanup | Rule::kw_cleanup => "`cleanup`",
        Rule::estimate | Rule::kw_estimate => "`estimate`",
        Rule::timeout | Rule::kw_timeout => "`timeout`",
        Rule::retries | Rule::kw_retries => "`retries`",
        Rule::retry_option => "`backoff`, `base` or `max`",
        Rule::kw_backoff => "`backoff`",
        Rule::kw_base => "`base`",
        Rule::kw_max => "`max`",
        Rule::retry_count => "a retry count like 3",
        Rule::effects | Rule::kw_effects => "`effects`",
        Rule::effect => "an effect like snapshot",
        Rule::readonly | Rule::kw_readonly => "`readonly`",
        Rule::gate | Rule::kw_gate => "`gate`",
        Rule::gate_field | Rule::gate_key => {
            "a gate field: `http`, `status`, `body`, `command`, `interval`, `passes`, `soak` or `timeout`"
        }
        Rule::kw_http => "`http`",
        Rule::kw_status => "`status`",
        Rule::kw_body => "`body`",
        Rule::kw_command => "`command`",
        Rule::kw_interval => "`interval`",
        Rule::kw_passes => "`passes`",
        Rule::kw_soak => "`soak`",
        Rule::boolean => "`true` or `false`",
        Rule::param => "a parameter like `target: release`",
        Rule::param_name => "a parameter name",
        Rule::param_type => "a parameter type like string or release",
        Rule::param_default => "a default value",
        Rule::path_value => "a file path like \"manifest.json\"",
        Rule::duration => "a duration like 5m",
        Rule::percentage => "a percentage like 25%",
        Rule::release => "a release like dten-core@4.2.0",
        Rule::command => "a command in double quotes",
        Rule::reason => "a reason in double quotes",
        Rule::string | Rule::string_text => "a string",
        Rule::escape => "an escape like \\n",
        Rule::open_brace | Rule::block => "`{`",
        Rule::close_brace => "`}`",
        Rule::open_paren => "`(`",
        Rule::close_paren => "`)`",
        Rule::colon => "`:`",
        Rule::comma => "`,`",
        Rule::equals => "`=`",
        Rule::unknown_item | Rule::unknown_field => "a field",
        _ => return None,
    })
}

/// The keyword a rule starts with, for "did you mean".
fn keyword(rule: Rule) -> Option<&'static str> {
    words(rule).and_then(keyword_of_words)
}

fn keyword_of_words(words: &'static str) -> Option<&'static str> {
    words
        .strip_prefix('`')
        .and_then(|rest| rest.strip_suffix('`'))
        .filter(|word| word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// A string whose closing quote never comes: reported at its opening quote, since pest would
/// point at the end of the file.
fn unterminated_string(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut chars = text.char_indices();
    while let Some((index, next)) = chars.next() {
        match next {
            '#' => {
                for (_, skipped) in chars.by_ref() {
                    if skipped == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                let mut closed = false;
                while let Some((_, inside)) = chars.next() {
                    match inside {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    let line_end = text[index..].find('\n').map_or(text.len(), |offset| index + offset);
                    return Some(
                        Diagnostic::new(CUT001, Span::new(file, index, line_end), "unterminated string")
                            .with_primary_label("this string is never closed")
                            .with_help("end it with `\"`; a `\"` inside a string is written `\\\"`"),
                    );
                }
            }
            _ => {}
        }
    }
    None
}

/// The text with the statement around `position` replaced by spaces: its line, and when that
/// line opens a block, every line up to the block's end. `None` when nothing would change.
fn blank_statement(text: &str, position: usize) -> Option<String> {
    let start = text[..position].rfind('\n').map_or(0, |newline| newline + 1);
    let mut end = text[position..].find('\n').map_or(text.len(), |offset| position + offset);
    let mut depth = brace_balance(&text[start..end]);
    while depth > 0 && end < text.len() {
        let next_end = text[end + 1..].find('\n').map_or(text.len(), |offset| end + 1 + offset);
        depth += brace_balance(&text[end + 1..next_end]);
        end = next_end;
    }
    if text[start..end].trim().is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for byte in &mut bytes[start..end] {
        if *byte != b'\n' {
            *byte = b' ';
        }
    }
    String::from_utf8(bytes).ok()
}

/// Opening minus closing braces on a line, outside strings and comments.
fn brace_balance(line: &str) -> i64 {
    let mut balance = 0;
    let mut in_string = false;
    let mut escaped = false;
    for next in line.chars() {
        if in_string {
            match (escaped, next) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match next {
            '"' => in_string = true,
            '#' => break,
            '{' => balance += 1,
            '}' => balance -= 1,
            _ => {}
        }
    }
    balance
}
