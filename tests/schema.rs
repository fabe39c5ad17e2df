//! The JSON Schemas under schemas/ are current, and every file in plans/ validates against its
//! schema (with the `jsonschema` crate). `UPDATE_SCHEMAS=1 cargo test --test schema` rewrites them.

mod common;

use std::path::Path;

use cutover::schema::{Kind, schema};
use cutover::source::FileId;
use cutover::syntax::yaml::{Node, NodeKind, parse};
use serde_json::Value;

#[test]
fn committed_schemas_are_current() {
    for kind in Kind::ALL {
        let path = common::root().join("schemas").join(kind.file_name());
        let generated = schema(kind);
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &generated).expect("write the schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == generated, "{} is stale: run `UPDATE_SCHEMAS=1 cargo test --test schema`", path.display());
    }
}

/// YAML as an editor's language server reads it (YAML 1.2 core schema): plain scalars that look
/// like numbers or booleans are typed.
fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Scalar(scalar) if scalar.plain => match scalar.text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" | "~" => Value::Null,
            text => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(text.to_owned())),
        },
        NodeKind::Scalar(scalar) => Value::String(scalar.text.clone()),
        NodeKind::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Mapping(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, value)| {
                    (key.as_scalar().map(|scalar| scalar.text.clone()).unwrap_or_default(), to_json(value))
                })
                .collect(),
        ),
    }
}

fn validate(kind: Kind, path: &Path) {
    let text = std::fs::read_to_string(path).expect("readable");
    let document = if path.extension().is_some_and(|extension| extension == "json") {
        serde_json::from_str(&text).expect("valid JSON")
    } else {
        to_json(&parse(FileId(0), &text).expect("valid YAML"))
    };
    let schema: Value = serde_json::from_str(&schema(kind)).expect("a schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> =
        validator.iter_errors(&document).map(|error| format!("{} at {}", error, error.instance_path())).collect();
    assert!(errors.is_empty(), "{} does not match the {kind:?} schema:\n{}", path.display(), errors.join("\n"));
}

#[test]
fn every_file_in_plans_validates() {
    let mut checked = 0;
    for entry in std::fs::read_dir(common::root().join("plans")).expect("plans/").flatten() {
        let set = entry.path();
        if !set.is_dir() {
            continue;
        }
        validate(Kind::Plan, &set.join("plan.yaml"));
        validate(Kind::Inventory, &set.join("inventory.yaml"));
        validate(Kind::Manifest, &set.join("manifest.json"));
        for library in std::fs::read_dir(set.join("lib")).expect("lib/").flatten() {
            validate(Kind::Library, &library.path());
        }
        checked += 1;
    }
    assert!(checked >= 3);
}

/// The schema is not a rubber stamp: a misspelt field and a bad duration are refused.
#[test]
fn the_plan_schema_refuses_what_the_checker_refuses() {
    let schema: Value = serde_json::from_str(&schema(Kind::Plan)).expect("a schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let good = serde_json::json!({ "cutover": 1, "plan": "p", "manifest": "m.json", "inventory": "i.yaml", "window": "1h30m",
        "steps": [{ "id": "a", "run": "true", "rollback": "true", "serial": "25%" }] });
    assert!(validator.is_valid(&good));
    let misspelt = serde_json::json!({ "cutover": 1, "plan": "p", "manifest": "m", "inventory": "i", "steps": [{ "id": "a", "serail": 1 }] });
    assert!(!validator.is_valid(&misspelt));
    let bad_duration =
        serde_json::json!({ "cutover": 1, "plan": "p", "manifest": "m", "inventory": "i", "window": "an hour" });
    assert!(!validator.is_valid(&bad_duration));
}
