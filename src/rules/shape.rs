//! Structural check of a rule file against the JSON Schema generated from the
//! rule model, over the positioned tree, so that every unknown field, missing
//! field and bad enum value of a file is reported at once with its line
//! (serde stops at the first). Used when serde rejects a file.

use serde_json::Value as Json;

use super::RuleError;
use crate::facts::tree::{Node, Value};

/// Every shape problem of a rule file, each with its line.
pub fn shape_errors(file: &str, doc: &Node) -> Vec<RuleError> {
    let schema = match serde_json::to_value(schemars::schema_for!(super::RuleFile)) {
        Ok(s) => s,
        Err(_) => return Vec::new(),
    };
    let mut errors = Vec::new();
    let mut ctx = Ctx {
        file,
        defs: schema.get("definitions").cloned().unwrap_or(Json::Null),
        errors: &mut errors,
    };
    ctx.check(doc, &schema, "");
    errors
}

struct Ctx<'a> {
    file: &'a str,
    defs: Json,
    errors: &'a mut Vec<RuleError>,
}

impl Ctx<'_> {
    fn push(&mut self, line: u32, message: String, hint: Option<String>) {
        self.errors.push(RuleError {
            file: self.file.to_string(),
            line,
            column: 1,
            message,
            hint,
        });
    }

    fn resolve<'s>(&'s self, schema: &'s Json) -> &'s Json {
        let mut current = schema;
        for _ in 0..8 {
            match current.get("$ref").and_then(Json::as_str) {
                Some(r) => {
                    let name = r.rsplit('/').next().unwrap_or_default();
                    match self.defs.get(name) {
                        Some(def) => current = def,
                        None => return current,
                    }
                }
                None => return current,
            }
        }
        current
    }

    /// Errors the node would give against `schema`, without recording them.
    fn trial(&self, node: &Node, schema: &Json, at: &str) -> usize {
        let mut errors = Vec::new();
        let mut ctx = Ctx {
            file: self.file,
            defs: self.defs.clone(),
            errors: &mut errors,
        };
        ctx.check(node, schema, at);
        errors.len()
    }

    fn check(&mut self, node: &Node, schema: &Json, at: &str) {
        let schema = self.resolve(schema).clone();
        for key in ["anyOf", "oneOf"] {
            if let Some(alts) = schema.get(key).and_then(Json::as_array) {
                // An enum documented per variant is a oneOf of one-value enums: check the union.
                let values: Option<Vec<Json>> = alts
                    .iter()
                    .map(|a| {
                        self.resolve(a)
                            .get("enum")
                            .and_then(Json::as_array)
                            .cloned()
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|v| v.into_iter().flatten().collect());
                if let Some(values) = values {
                    let merged = serde_json::json!({ "enum": values });
                    self.check(node, &merged, at);
                    return;
                }
                // Prefer the alternatives of the node's own type (an object is not `null`).
                let actual = json_type(node);
                let same_type: Vec<&Json> = alts
                    .iter()
                    .filter(|a| {
                        schema_type(self.resolve(a))
                            .is_none_or(|t| t == actual || (t == "number" && actual == "integer"))
                    })
                    .collect();
                let pool: Vec<&Json> = if same_type.is_empty() {
                    alts.iter().collect()
                } else {
                    same_type
                };
                let best = pool.into_iter().min_by_key(|alt| self.trial(node, alt, at));
                if let Some(best) = best {
                    self.check(node, best, at);
                }
                return;
            }
        }
        if let Some(all) = schema.get("allOf").and_then(Json::as_array) {
            for s in all {
                self.check(node, s, at);
            }
        }
        if let Some(values) = schema.get("enum").and_then(Json::as_array) {
            let text = node
                .scalar_text()
                .map(|t| t.into_owned())
                .unwrap_or_default();
            let allowed: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
            if !allowed.is_empty() && !allowed.contains(&text.as_str()) {
                self.push(
                    node.line,
                    format!(
                        "`{at}`: unknown value `{text}`, expected one of {}",
                        quote(&allowed)
                    ),
                    super::closest(&text, &allowed).map(|c| format!("did you mean `{c}`?")),
                );
            }
            return;
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Json::String(t)) => vec![t.as_str()],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let actual = json_type(node);
        let type_ok = types.is_empty()
            || types.contains(&actual)
            || (actual == "integer" && types.contains(&"number"));
        if !type_ok {
            self.push(
                node.line,
                format!(
                    "`{}`: expected {}, found {actual}",
                    display(at),
                    types.join(" or ")
                ),
                None,
            );
            return;
        }
        match &node.value {
            Value::Map(entries) => {
                let props = schema.get("properties").and_then(Json::as_object);
                let closed = schema.get("additionalProperties") == Some(&Json::Bool(false));
                if let Some(props) = props {
                    let known: Vec<&str> = props.keys().map(String::as_str).collect();
                    for (key, value) in entries {
                        let child_at = join(at, key);
                        match props.get(key.as_str()) {
                            Some(s) => self.check(value, s, &child_at),
                            None if closed => self.push(
                                value.line,
                                format!(
                                    "unknown field `{key}`{}, expected one of {}",
                                    in_(at),
                                    quote(&known)
                                ),
                                super::closest(key, &known).map(|c| format!("did you mean `{c}`?")),
                            ),
                            None => {}
                        }
                    }
                }
                if let Some(required) = schema.get("required").and_then(Json::as_array) {
                    for r in required.iter().filter_map(Json::as_str) {
                        if !entries.iter().any(|(k, _)| k == r) {
                            self.push(node.line, format!("missing field `{r}`{}", in_(at)), None);
                        }
                    }
                }
            }
            Value::Seq(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.check(item, item_schema, &format!("{at}[{i}]"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The JSON Schema type name of a node.
fn json_type(node: &Node) -> &'static str {
    match &node.value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.contains(['.', 'e', 'E']) => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

/// The single type a schema asks for, when it names one (`object` when it only lists properties).
fn schema_type(schema: &Json) -> Option<&str> {
    match schema.get("type") {
        Some(Json::String(t)) => Some(t.as_str()),
        _ if schema.get("properties").is_some() => Some("object"),
        _ => None,
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn display(at: &str) -> &str {
    if at.is_empty() { "(rule)" } else { at }
}

fn in_(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!(" in `{at}`")
    }
}

fn quote(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::tree;

    #[test]
    fn reports_every_unknown_field_with_its_line() {
        let text = "id: x\nseverity: critcal\ntittle: {en: a, zh: b}\nmatch:\n  log:\n    regx: 'a'\nsummary: {en: a, zh: b}\nremediation: {en: a}\n";
        let doc = tree::parse_yaml(text, &tree::Limits::default()).expect("yaml");
        let errors = shape_errors("r.yaml", &doc[0]);
        let lines: Vec<(u32, &str)> = errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert!(
            lines.iter().any(|(l, m)| *l == 2 && m.contains("critcal")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|(l, m)| *l == 3 && m.contains("tittle")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|(l, m)| *l == 6 && m.contains("regx")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|(_, m)| m.contains("missing field `zh`")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|(_, m)| m.contains("missing field `title`")),
            "{lines:?}"
        );
        let hint = errors
            .iter()
            .find(|e| e.message.contains("tittle"))
            .and_then(|e| e.hint.clone());
        assert_eq!(hint.as_deref(), Some("did you mean `title`?"));
    }
}
