//! Adapting JSON Schemas between OpenAI tools and Gemini function
//! declarations.
//!
//! Gemini's `FunctionDeclaration.parameters` is Google's OpenAPI-style
//! `Schema` message, parsed as protobuf JSON: any key it does not know fails
//! the whole request with `Invalid JSON payload received. Unknown name ...`.
//! OpenAI tools routinely carry such keys (the SDKs' strict mode adds
//! `additionalProperties: false` everywhere). In the other direction Google's
//! SDKs send upper-case type names (`OBJECT`), which OpenAI rejects.

use serde_json::{Map, Value};

/// Keywords removed from `parameters` on the way to Gemini, at every level
/// of the schema. They are JSON Schema (or OpenAI) keywords with no field in
/// Google's `Schema`, so Gemini rejects them:
/// - `$schema`, `$id`, `$comment`: document metadata;
/// - `additionalProperties`, `unevaluatedProperties`, `patternProperties`:
///   object shape constraints Gemini cannot express;
/// - `strict`: OpenAI's flag, sometimes put inside `parameters` by clients;
/// - `examples`: Google's field is the singular `example`.
///
/// `const` is rewritten as a one-value `enum` when it is a string (Gemini's
/// enums are strings) and removed otherwise. A type list with `null`
/// (`["string", "null"]`, what OpenAI strict mode uses for optional fields)
/// becomes the type plus `nullable: true`. `$ref`/`$defs` are passed as
/// given: resolving references is out of scope, and newer Gemini models
/// accept them.
const STRIPPED_KEYWORDS: [&str; 8] = [
    "$schema",
    "$id",
    "$comment",
    "additionalProperties",
    "unevaluatedProperties",
    "patternProperties",
    "strict",
    "examples",
];

/// Keys whose value is one schema.
const SCHEMA_KEYS: [&str; 3] = ["items", "not", "additionalProperties"];
/// Keys whose value is a map of name → schema.
const SCHEMA_MAP_KEYS: [&str; 4] = ["properties", "$defs", "definitions", "patternProperties"];
/// Keys whose value is a list of schemas.
const SCHEMA_LIST_KEYS: [&str; 4] = ["anyOf", "oneOf", "allOf", "prefixItems"];

/// `parameters` of an OpenAI function as Gemini accepts them, or `None` when
/// the function takes no arguments: Gemini rejects an `OBJECT` schema with
/// empty `properties`, and a parameterless declaration omits the field.
pub(crate) fn parameters_for_gemini(schema: &Value) -> Option<Value> {
    if takes_no_arguments(schema) {
        return None;
    }
    let mut schema = schema.clone();
    clean_for_gemini(&mut schema);
    Some(schema)
}

fn takes_no_arguments(schema: &Value) -> bool {
    let Some(object) = schema.as_object() else {
        return false;
    };
    let is_object = object.get("type").and_then(Value::as_str) == Some("object");
    let no_properties = object
        .get("properties")
        .and_then(Value::as_object)
        .is_none_or(Map::is_empty);
    is_object && no_properties && !object.contains_key("anyOf")
}

fn clean_for_gemini(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    for keyword in STRIPPED_KEYWORDS {
        object.remove(keyword);
    }
    if let Some(constant) = object.remove("const")
        && constant.is_string()
    {
        object.insert("enum".into(), Value::Array(vec![constant]));
    }
    nullable_from_type_list(object);
    for_each_subschema(object, clean_for_gemini);
}

/// `"type": ["string", "null"]` → `"type": "string", "nullable": true`.
fn nullable_from_type_list(object: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = object.get("type") else {
        return;
    };
    let non_null: Vec<&Value> = types
        .iter()
        .filter(|t| t.as_str() != Some("null"))
        .collect();
    let has_null = non_null.len() < types.len();
    if let [only] = non_null[..] {
        let only = only.clone();
        object.insert("type".into(), only);
        if has_null {
            object.insert("nullable".into(), Value::Bool(true));
        }
    }
}

/// A Gemini `Schema` (upper-case types) as JSON Schema for OpenAI.
pub(crate) fn schema_for_openai(schema: &Value) -> Value {
    let mut schema = schema.clone();
    lowercase_types(&mut schema);
    schema
}

fn lowercase_types(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    match object.get_mut("type") {
        Some(Value::String(name)) => *name = name.to_ascii_lowercase(),
        Some(Value::Array(names)) => {
            for name in names {
                if let Value::String(name) = name {
                    *name = name.to_ascii_lowercase();
                }
            }
        }
        _ => {}
    }
    for_each_subschema(object, lowercase_types);
}

/// Calls `visit` on every direct subschema of `object`, knowing which keys
/// hold schemas so that property *names* (`"strict"`, `"type"`) are never
/// mistaken for keywords.
fn for_each_subschema(object: &mut Map<String, Value>, visit: fn(&mut Value)) {
    for (key, value) in object.iter_mut() {
        let key = key.as_str();
        if SCHEMA_KEYS.contains(&key) {
            match value {
                // `items` may still be a list in old (draft-04) schemas.
                Value::Array(list) => list.iter_mut().for_each(visit),
                other => visit(other),
            }
        } else if SCHEMA_MAP_KEYS.contains(&key) {
            if let Value::Object(map) = value {
                map.values_mut().for_each(visit);
            }
        } else if SCHEMA_LIST_KEYS.contains(&key)
            && let Value::Array(list) = value
        {
            list.iter_mut().for_each(visit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strips_rejected_keywords_at_every_level_but_not_property_names() {
        let openai = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "strict": true,
            "additionalProperties": false,
            "properties": {
                "strict": {"type": "boolean", "examples": [true]},
                "unit": {"type": ["string", "null"], "enum": ["c", "f"]},
                "kind": {"const": "celsius"},
                "n": {"const": 3},
                "tags": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": false,
                              "properties": {"k": {"type": "string"}}}
                },
                "either": {"anyOf": [{"type": "string", "$comment": "x"}, {"type": "integer"}]}
            },
            "required": ["strict"]
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "strict": {"type": "boolean"},
                "unit": {"type": "string", "nullable": true, "enum": ["c", "f"]},
                "kind": {"enum": ["celsius"]},
                "n": {},
                "tags": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"k": {"type": "string"}}}
                },
                "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
            },
            "required": ["strict"]
        });
        assert_eq!(parameters_for_gemini(&openai), Some(expected));
    }

    #[test]
    fn parameterless_functions_have_no_parameters() {
        assert_eq!(
            parameters_for_gemini(&json!({"type": "object", "properties": {}})),
            None
        );
        assert_eq!(parameters_for_gemini(&json!({"type": "object"})), None);
        assert_eq!(
            parameters_for_gemini(&json!({"type": "string"})),
            Some(json!({"type": "string"}))
        );
    }

    #[test]
    fn multi_type_lists_are_left_alone() {
        let schema = json!({"type": ["string", "integer"]});
        assert_eq!(parameters_for_gemini(&schema), Some(schema));
    }

    #[test]
    fn lowercases_google_types_for_openai() {
        let gemini = json!({
            "type": "OBJECT",
            "properties": {
                "type": {"type": "STRING", "enum": ["A", "B"]},
                "list": {"type": "ARRAY", "items": {"type": "INTEGER"}}
            },
            "propertyOrdering": ["type", "list"]
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["A", "B"]},
                "list": {"type": "array", "items": {"type": "integer"}}
            },
            "propertyOrdering": ["type", "list"]
        });
        assert_eq!(schema_for_openai(&gemini), expected);
    }
}
