//! Conversion of a letter's JSON data into Typst values.
//!
//! Strings become Typst `str` values: shown by the template they are text, never parsed markup.

use typst::foundations::{Array, Dict, Str, Value};

pub(crate) fn valeur(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            // Larger than i64 or fractional: Typst's json() makes the same choice.
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Str(Str::from(s.as_str())),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(valeur).collect::<Array>()),
        serde_json::Value::Object(o) => Value::Dict(
            o.iter()
                .map(|(k, v)| (Str::from(k.as_str()), valeur(v)))
                .collect::<Dict>(),
        ),
    }
}
