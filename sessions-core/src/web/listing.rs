//! The method list a browser is served at `GET {base}/methods`: what it can call.

use serde_json::{Map, Value as Json};

use crate::{methods, Engine};

/// The OpenRPC document of what a client of `engine` can call: every method of the table
/// that needs no object, and each exported object's methods under their object paths
/// (`Line1/Oven.SetTarget`, with `x-object` the path), not the type-level names
/// (`Oven.SetTarget`) that only refuse a call. Without `rust_paths`, the Rust path of
/// each method (`x-rust-path`) is left out: a browser has no use for the server's source
/// layout.
pub(super) fn served_methods(engine: &Engine, rust_paths: bool) -> Json {
    let mut document = methods().openrpc();
    let mut by_name: Map<String, Json> = Map::new();
    if let Some(Json::Array(entries)) = document.get_mut("methods").map(Json::take) {
        for entry in entries {
            if let Some(name) = entry.get("name").and_then(Json::as_str) {
                by_name.insert(name.to_owned(), entry);
            }
        }
    }
    let table = methods();
    let mut served: Vec<Json> = table
        .iter()
        .filter(|method| !method.is_instance())
        .filter_map(|method| by_name.get(method.name()).cloned())
        .collect();
    for (path, of_type) in engine.object_methods() {
        for method in of_type.iter() {
            let (Some(member), Some(Json::Object(entry))) =
                (method.member(), by_name.get(method.name()))
            else {
                continue;
            };
            let mut entry = entry.clone();
            entry.insert("name".to_owned(), format!("{path}.{member}").into());
            entry.insert("x-object".to_owned(), path.clone().into());
            served.push(Json::Object(entry));
        }
    }
    if !rust_paths {
        for entry in &mut served {
            if let Some(entry) = entry.as_object_mut() {
                entry.remove("x-rust-path");
            }
        }
    }
    served.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    document["methods"] = Json::Array(served);
    document
}
