//! The DSL front end (SPEC §4): `.cutover` text to the same [`crate::model`] the YAML front end
//! produces, and the way back: the model printed as canonical DSL (`cutover fmt`, `convert --to
//! dsl`) or as YAML (`convert --to yaml`), comments carried along.
//!
//! - `grammar/cutover.pest` is the language; [`parser`] reads its parse tree into the model,
//!   reporting wrong forms and unknown fields as the YAML reader does.
//! - [`errors`] turns pest's failures into diagnostics in words people use, and recovers so that
//!   one typo does not hide the next.
//! - [`comments`] finds the comments of either form; [`print`] and [`yaml_out`] write the model;
//!   [`faithful`] reads what they wrote back and refuses it unless it means the same, every
//!   suppression comment covering what it covered.

pub mod comments;
pub mod errors;
pub mod faithful;
pub mod parser;
pub mod print;
pub mod quote;
pub mod yaml_out;

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::model::{Library, Plan};
use crate::source::FileId;

pub use parser::{read_library, read_plan};

/// The file extension of plans and libraries written in the DSL.
pub const EXTENSION: &str = "cutover";

/// Whether a path names a DSL file (by its extension; everything else is read as YAML).
#[must_use]
pub fn is_dsl(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == EXTENSION)
}

/// What a file holds once read, whichever form it was written in: a plan, or only actions.
#[derive(Debug)]
pub enum Document {
    Plan(Box<Plan>),
    Library(Library),
}

/// Reads a file of either form as a plan, or as a library when it holds only actions.
/// Returns `None` when it could not be read at all (syntax errors are in `diagnostics`).
#[must_use]
pub fn read_document(file: FileId, text: &str, dsl: bool, diagnostics: &mut Vec<Diagnostic>) -> Option<Document> {
    if dsl {
        let is_library = parser::holds_only_actions(text);
        if is_library {
            return Some(Document::Library(read_library(file, text, diagnostics)));
        }
        return read_plan(file, text, diagnostics).map(|plan| Document::Plan(Box::new(plan)));
    }
    let root = match crate::syntax::yaml::parse(file, text) {
        Ok(root) => root,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    read_yaml_document(file, &root, diagnostics)
}

/// Reads a YAML tree as a plan, or as a library when it holds only actions.
fn read_yaml_document(
    file: FileId,
    root: &crate::syntax::yaml::Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let is_library = matches!(&root.kind, crate::syntax::yaml::NodeKind::Mapping(entries)
        if entries.iter().all(|(key, _)| key.as_scalar().is_some_and(|scalar| scalar.text == "actions")));
    if is_library {
        Some(Document::Library(crate::syntax::plan::read_library(file, root, diagnostics)))
    } else {
        crate::syntax::plan::read_plan(file, root, diagnostics).map(|plan| Document::Plan(Box::new(plan)))
    }
}

/// The two written forms of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Dsl,
    Yaml,
}

/// Why [`convert`] or [`format`] wrote nothing.
#[derive(Debug)]
pub enum NotConverted {
    /// The text does not read cleanly: a plan with a mistake in it is not rewritten, since what
    /// the mistake dropped would be lost. The diagnostics say why.
    Unreadable,
    /// What would be written does not mean what the text means (a suppression comment would
    /// cover something else); the refusal says which comment and why.
    Unfaithful(faithful::Refusal),
}

/// Reads `text` (DSL when `from_dsl`, YAML otherwise) and prints it in `to`, comments carried:
/// each suppression comment where it covers the same steps with the same codes, every other
/// comment before the element it preceded or at the end of its line. What is printed is read
/// back before it is returned ([`faithful::verify`]).
///
/// # Errors
/// [`NotConverted::Unreadable`] when the text does not read cleanly (the diagnostics say why),
/// [`NotConverted::Unfaithful`] when what would be written would mean something else.
pub fn convert(
    file: FileId,
    text: &str,
    from_dsl: bool,
    to: Form,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<String, NotConverted> {
    let before = diagnostics.len();
    let (document, mut comments) = if from_dsl {
        let document = read_document(file, text, true, diagnostics);
        (document, comments::Comments::of_dsl(text))
    } else {
        match crate::syntax::yaml::parse(file, text) {
            Ok(root) => {
                let document = read_yaml_document(file, &root, diagnostics);
                (document, comments::Comments::of_yaml(text, &root.scalar_spans()))
            }
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                (None, comments::Comments::none())
            }
        }
    };
    let document = document.ok_or(NotConverted::Unreadable)?;
    if diagnostics.len() > before {
        return Err(NotConverted::Unreadable);
    }
    if to == Form::Dsl {
        comments.skip_yaml_modeline();
    }
    let reach = faithful::Reach::of(file, text, &document);
    reach.reserve(&mut comments);
    let written = match (&document, to) {
        (Document::Plan(plan), Form::Dsl) => print::plan(plan, &mut comments),
        (Document::Plan(plan), Form::Yaml) => yaml_out::plan(plan, &mut comments),
        (Document::Library(library), Form::Dsl) => print::library(library, &mut comments),
        (Document::Library(library), Form::Yaml) => yaml_out::library(library, &mut comments),
    };
    let done = match (from_dsl, to) {
        (true, Form::Dsl) => "formatted",
        (_, Form::Dsl) => "written as DSL",
        (_, Form::Yaml) => "written as YAML",
    };
    faithful::verify(file, &document, &reach, &comments, &written, to, done).map_err(NotConverted::Unfaithful)?;
    Ok(written)
}

/// `cutover fmt` on DSL text: the canonical form of the same plan or library.
///
/// # Errors
/// As [`convert`].
pub fn format(file: FileId, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Result<String, NotConverted> {
    convert(file, text, true, Form::Dsl, diagnostics)
}
