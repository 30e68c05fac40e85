//! Field-level validation errors shared by every form and API payload: one French message per field,
//! so a form can re-render with what was typed and a message beside each field.

use std::collections::BTreeMap;

/// Messages per field name, in the order of the form.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Ok when no field is in error.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self))
        }
    }
}

/// Input that breaks a rule; carries the messages per field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("saisie invalide : {}", .0.0.values().cloned().collect::<Vec<_>>().join(" ; "))]
pub struct Invalid(pub FieldErrors);

impl Invalid {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, message);
        Invalid(e)
    }
}

/// Trims a required text field and bounds its length.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, format!("{label} est obligatoire."));
    } else if v.chars().count() > max {
        errors.add(
            field,
            format!("{label} ne doit pas dépasser {max} caractères."),
        );
    }
    v.to_string()
}

/// Trims an optional text field; `None` when empty.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > max {
        errors.add(
            field,
            format!("{label} ne doit pas dépasser {max} caractères."),
        );
    }
    Some(v.to_string())
}
