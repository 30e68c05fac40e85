//! What every CSV export shares: a cell that a spreadsheet would run as a formula is neutralised.

use std::borrow::Cow;

/// The text of a CSV cell, with a leading `'` when it starts like a formula (`=`, `+`, `-`, `@`, tab,
/// carriage return): a spreadsheet then shows it as text instead of running it (CSV injection, OWASP).
/// Every CSV export of Parcours writes its text cells through this function.
pub fn cellule_csv(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_starts_like_a_formula_is_shown_as_text() {
        for danger in [
            "=HYPERLINK(\"http://x\")",
            "+33 6",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(cellule_csv(danger), format!("'{danger}"), "{danger:?}");
        }
        for safe in ["Dupont", "12", "", "a=b", "MDS d'Aubier"] {
            assert_eq!(cellule_csv(safe), safe);
        }
    }
}
