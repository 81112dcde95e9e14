//! The `--json` outputs' schemas in schemas/cli, compiled with each other so that one may refer to another.

use jsonschema::{Draft, Registry, Resource};
use serde_json::Value;

const BASE: &str = "https://gazette.invalid/schemas/";

/// Fails the test with every way `output` (a command's stdout) breaks
/// `schemas/cli/<file>`.
pub fn assert_matches(file: &str, output: &str) -> Value {
    let document: Value = serde_json::from_str(output)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {output}"));
    let dir = super::repo_root().join("schemas/cli");
    let mut registry = Registry::new();
    for entry in std::fs::read_dir(&dir).expect("schemas/cli") {
        let path = entry.expect("a schema file").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let schema: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("readable")).expect("JSON");
        registry = registry
            .add(format!("{BASE}{name}"), Resource::from_contents(schema))
            .expect("a schema resource");
    }
    let registry = registry.prepare().expect("the schemas resolve");
    let schema: Value =
        serde_json::from_slice(&std::fs::read(dir.join(file)).expect("the schema")).expect("JSON");
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(&registry)
        .with_base_uri(format!("{BASE}{file}"))
        .build(&schema)
        .unwrap_or_else(|e| panic!("{file} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{file}: {errors:#?}\n{output}");
    document
}
