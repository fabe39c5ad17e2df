//! `cutover fmt FILE… [--check]`: DSL files rewritten in the canonical form. `--check` writes
//! nothing and shows a diff of each file that is not formatted (exit 1); `-` reads standard
//! input and prints the result. A file that does not read cleanly is left as it is (exit 1), and
//! so is one whose comments the canonical form cannot place so that each suppression covers what
//! it covers now (one line naming the comment; exit 2 once every file was tried).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;
use super::render::Renderer;
use crate::source::SourceMap;
use crate::syntax::dsl::{self, NotConverted};

pub fn run(files: &[PathBuf], check: bool, renderer: &Renderer) -> Result<ExitCode, Failure> {
    let mut failed = false;
    let mut refused = false;
    let mut out = String::new();
    for path in files {
        let from_stdin = path.as_os_str() == "-";
        if !from_stdin && !dsl::is_dsl(path) {
            return Err(Failure(format!(
                "cannot format `{}`: fmt formats DSL files (`.cutover`); `cutover convert {} --to dsl` writes one",
                path.display(),
                path.display()
            )));
        }
        let text = if from_stdin {
            crate::source::read_standard_input()
                .map_err(|reason| Failure(format!("cannot read standard input: {reason}")))?
        } else {
            crate::source::read_text(path).map_err(|error| Failure(error.to_string()))?
        };
        let name = if from_stdin { "<stdin>".to_owned() } else { path.display().to_string() };
        let mut sources = SourceMap::new();
        let file = sources.add(name.clone(), text.clone());
        let mut diagnostics = Vec::new();
        let formatted = match dsl::format(file, &text, &mut diagnostics) {
            Ok(formatted) => formatted,
            Err(NotConverted::Unreadable) => {
                eprint!("{}", renderer.diagnostics(&diagnostics, &sources));
                eprintln!("{name}: not formatted, it has {}", super::render::tally(&diagnostics));
                failed = true;
                continue;
            }
            Err(NotConverted::Unfaithful(refusal)) => {
                let place = super::convert::refusal_place(&name, sources.get(file), &refusal);
                eprintln!("error: {place}: not formatted: {}", refusal.message);
                refused = true;
                continue;
            }
        };
        if from_stdin && !check {
            out.push_str(&formatted);
        } else if formatted != text {
            if check {
                out.push_str(&diff(&name, &text, &formatted));
                failed = true;
            } else {
                super::output::write_file(path, &formatted)?;
                eprintln!("formatted {name}");
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush())
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure(format!("cannot write to standard output: {error}")));
    }
    Ok(if refused {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A unified diff of two texts, three lines of context. Files too large for a line-by-line
/// comparison are shown whole, old then new.
#[must_use]
pub fn diff(name: &str, old: &str, new: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let mut out = format!("--- {name}\n+++ {name} (formatted)\n");
    if old_lines.len().saturating_mul(new_lines.len()) > 16_000_000 {
        out.extend(old_lines.iter().map(|line| format!("-{line}\n")));
        out.extend(new_lines.iter().map(|line| format!("+{line}\n")));
        return out;
    }
    // Longest common subsequence, then the edit script from it.
    let (rows, columns) = (old_lines.len(), new_lines.len());
    let mut table = vec![0u32; (rows + 1) * (columns + 1)];
    for row in (0..rows).rev() {
        for column in (0..columns).rev() {
            table[row * (columns + 1) + column] = if old_lines[row] == new_lines[column] {
                table[(row + 1) * (columns + 1) + column + 1] + 1
            } else {
                table[(row + 1) * (columns + 1) + column].max(table[row * (columns + 1) + column + 1])
            };
        }
    }
    let mut edits: Vec<(char, usize, usize)> = Vec::new();
    let (mut row, mut column) = (0, 0);
    while row < rows || column < columns {
        if row < rows && column < columns && old_lines[row] == new_lines[column] {
            edits.push((' ', row, column));
            row += 1;
            column += 1;
        } else if row < rows
            && (column == columns
                || table[(row + 1) * (columns + 1) + column] >= table[row * (columns + 1) + column + 1])
        {
            edits.push(('-', row, column));
            row += 1;
        } else {
            edits.push(('+', row, column));
            column += 1;
        }
    }
    let changed: Vec<usize> =
        edits.iter().enumerate().filter(|(_, edit)| edit.0 != ' ').map(|(index, _)| index).collect();
    let mut index = 0;
    while index < changed.len() {
        let start = changed[index].saturating_sub(3);
        let mut end = changed[index];
        while index < changed.len() && changed[index] <= end + 6 {
            end = changed[index];
            index += 1;
        }
        let end = (end + 4).min(edits.len());
        let (old_start, new_start) = (edits[start].1, edits[start].2);
        let old_count = edits[start..end].iter().filter(|edit| edit.0 != '+').count();
        let new_count = edits[start..end].iter().filter(|edit| edit.0 != '-').count();
        let _ = writeln!(out, "@@ -{},{old_count} +{},{new_count} @@", old_start + 1, new_start + 1);
        for &(kind, old_index, new_index) in &edits[start..end] {
            let line = if kind == '+' { new_lines[new_index] } else { old_lines[old_index] };
            out.push(kind);
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
