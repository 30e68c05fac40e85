//! Contacts of a person: phone numbers normalised to the international form (+33…), so that the same
//! number typed « 06 12 34 56 78 » or « +33 6 12 34 56 78 » is stored, compared and searched once, and
//! e-mail addresses.

use serde::{Deserialize, Serialize};

/// A phone number in international form: `+` then 8 to 15 digits (ITU-T E.164 length).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Telephone(String);

/// Overseas départements have their own country codes although their national numbers start with 0
/// like the mainland's: the first four digits of the national number select them.
const OUTRE_MER: &[(&str, &str)] = &[
    ("0262", "262"),
    ("0263", "262"),
    ("0692", "262"),
    ("0693", "262"),
    ("0269", "262"),
    ("0639", "262"),
    ("0590", "590"),
    ("0690", "590"),
    ("0691", "590"),
    ("0596", "596"),
    ("0696", "596"),
    ("0697", "596"),
    ("0594", "594"),
    ("0694", "594"),
];

impl Telephone {
    /// Reads a number as people type it: spaces, dots, dashes and brackets are ignored; a French
    /// national number (10 digits starting with 0) gets its country code; `00` is read as `+`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '(' | ')' | '/'))
            .collect();
        let bad = || {
            format!(
                "« {} » n'est pas un numéro de téléphone (10 chiffres, par exemple 06 12 34 56 78, ou +… pour l'étranger).",
                text.trim()
            )
        };
        let international = if let Some(rest) = t.strip_prefix('+') {
            rest.to_string()
        } else if let Some(rest) = t.strip_prefix("00") {
            rest.to_string()
        } else if t.len() == 10 && t.starts_with('0') && t.bytes().all(|b| b.is_ascii_digit()) {
            let cc = OUTRE_MER
                .iter()
                .find(|(p, _)| t.starts_with(p))
                .map_or("33", |(_, cc)| cc);
            format!("{cc}{}", &t[1..])
        } else {
            return Err(bad());
        };
        // +33 0 6… is a frequent way of writing; the trunk 0 is not part of the international number.
        let international = match international.strip_prefix("330") {
            Some(rest) if rest.len() == 9 => format!("33{rest}"),
            _ => international,
        };
        let ok = (8..=15).contains(&international.len())
            && international.bytes().all(|b| b.is_ascii_digit())
            && !international.starts_with('0');
        if !ok || (international.starts_with("33") && international.len() != 11) {
            return Err(bad());
        }
        Ok(Self(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as French people read it: « 06 12 34 56 78 » for +33, the stored form otherwise.
    pub fn affichage(&self) -> String {
        match self.0.strip_prefix("+33") {
            Some(rest) if rest.len() == 9 => {
                let national = format!("0{rest}");
                national
                    .as_bytes()
                    .chunks(2)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => self.0.clone(),
        }
    }
}

/// The kinds of contact stored for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    Telephone,
    Email,
}

impl ContactKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Telephone => "telephone",
            Self::Email => "email",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Telephone, Self::Email]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_are_stored_in_international_form_whatever_the_typing() {
        for typed in [
            "06 12 34 56 78",
            "06.12.34.56.78",
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "0033612345678",
        ] {
            assert_eq!(
                Telephone::parse(typed).map(|t| t.0),
                Ok("+33612345678".to_string()),
                "{typed}"
            );
        }
        assert_eq!(
            Telephone::parse("0262 12 34 56").unwrap().as_str(),
            "+262262123456"
        );
        assert_eq!(
            Telephone::parse("+32 470 12 34 56").unwrap().as_str(),
            "+32470123456"
        );
        assert_eq!(
            Telephone::parse("0612345678").unwrap().affichage(),
            "06 12 34 56 78"
        );
    }

    #[test]
    fn malformed_numbers_are_refused_in_french() {
        for bad in [
            "06 12 34 56",
            "6 12 34 56 78",
            "+33 6 12 34 56 789",
            "téléphone",
            "+0123",
        ] {
            assert!(
                Telephone::parse(bad).unwrap_err().contains("numéro"),
                "{bad}"
            );
        }
    }
}
