//! The NIR (numéro d'inscription au répertoire, the social-security number): its shape, its control
//! key, and its consistency with the état civil. Reference §8.6: the NIR is used only to exchange with
//! social-security bodies and for benefits, never as a general identifier, and is not shown where it is
//! not needed (the web layer masks it by default).
//!
//! UNCONFIRMED (reference §8.6 is P, §11 item 15): the exact entries of the décret n° 2019-341 annex
//! that apply to départements are to be checked with the service juridique before the NIR is collected
//! beyond the exchanges with CAF, MSA, CNAV and CPAM; the field stays optional for that reason.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Sexe;

/// A NIR whose shape and control key are valid: 15 characters, upper case, no spaces
/// (sex, year, month, département (2A/2B for Corsica), commune, order number, key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Nir(String);

impl Nir {
    /// Parses a NIR as typed (spaces, dots and dashes are ignored) and checks its key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = compact(text);
        if !t.is_ascii() {
            return Err(format!(
                "« {} » n'est pas un NIR : seuls des chiffres sont admis (2A ou 2B pour la Corse).",
                text.trim()
            ));
        }
        let b = t.as_bytes();
        if b.len() != 15 {
            return Err(format!(
                "Le NIR compte 15 caractères (13 chiffres et une clé de 2 chiffres) ; « {} » en compte {}.",
                text.trim(),
                b.len()
            ));
        }
        let corse = &t[5..7] == "2A" || &t[5..7] == "2B";
        let shape = b
            .iter()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (corse && i == 6));
        if !shape {
            return Err(format!(
                "« {} » n'est pas un NIR : seuls des chiffres sont admis (2A ou 2B pour la Corse).",
                text.trim()
            ));
        }
        if !matches!(b[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
            return Err(
                "Le premier chiffre du NIR (le sexe) doit être 1 ou 2 (3, 4, 7 ou 8 pour un numéro provisoire)."
                    .into(),
            );
        }
        let Some(body) = numeric_body(&t[..13]) else {
            return Err(format!("« {} » n'est pas un NIR.", text.trim()));
        };
        let key: u64 = t[13..]
            .parse()
            .map_err(|_| "La clé du NIR est illisible.")?;
        if key != control_key(body) {
            return Err(
                "La clé du NIR ne correspond pas aux 13 premiers chiffres : vérifiez la saisie."
                    .into(),
            );
        }
        Ok(Self(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 13 characters, without the key (what a search by NIR matches on).
    pub fn sans_cle(&self) -> &str {
        &self.0[..13]
    }

    /// Sex digit: 1 (man) or 2 (woman); 3/4 and 7/8 are the provisional numbers (NIA) of the same
    /// sexes for people being registered.
    pub fn sexe(&self) -> Sexe {
        match self.0.as_bytes()[0] {
            b'1' | b'3' | b'7' => Sexe::Masculin,
            b'2' | b'4' | b'8' => Sexe::Feminin,
            _ => Sexe::Inconnu,
        }
    }

    /// The last two digits of the year of birth.
    pub fn annee(&self) -> u32 {
        self.0[1..3].parse().unwrap_or(0)
    }

    /// The month of birth when the NIR gives one (01 to 12); other values (20 and above) mean the
    /// month was unknown at registration.
    pub fn mois(&self) -> Option<u32> {
        self.0[3..5].parse().ok().filter(|m| (1..=12).contains(m))
    }

    /// Checks the NIR against the état civil where both are known; a mismatch names the field of the
    /// état civil, since the NIR is the one checked by its key.
    pub fn incoherences(
        &self,
        sexe: Sexe,
        date_naissance: Option<NaiveDate>,
    ) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if sexe != Sexe::Inconnu && self.sexe() != Sexe::Inconnu && sexe != self.sexe() {
            out.push((
                "sexe",
                format!(
                    "Le sexe ne correspond pas au NIR (premier chiffre {}).",
                    &self.0[..1]
                ),
            ));
        }
        if let Some(d) = date_naissance {
            if d.year().rem_euclid(100) as u32 != self.annee() {
                out.push((
                    "date_naissance",
                    format!(
                        "L'année de naissance ne correspond pas au NIR (année « {} »).",
                        &self.0[1..3]
                    ),
                ));
            } else if let Some(m) = self.mois() {
                if m != d.month() {
                    out.push((
                        "date_naissance",
                        format!(
                            "Le mois de naissance ne correspond pas au NIR (mois « {} »).",
                            &self.0[3..5]
                        ),
                    ));
                }
            }
        }
        out
    }
}

/// Upper case without the separators people type (spaces, dots, dashes).
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
        .collect::<String>()
        .to_uppercase()
}

/// The 13-character body as a number; Corsica's 2A and 2B count as 19 and 18, which is the INSEE rule
/// for the key (the body with A or B read as 0, minus 1 000 000 or 2 000 000).
fn numeric_body(body: &str) -> Option<u64> {
    let digits = match &body[5..7] {
        "2A" => format!("{}19{}", &body[..5], &body[7..]),
        "2B" => format!("{}18{}", &body[..5], &body[7..]),
        _ => body.to_string(),
    };
    digits.parse().ok()
}

/// The control key: 97 − (body mod 97), between 1 and 97.
pub fn control_key(body: u64) -> u64 {
    97 - body % 97
}

/// Looks like a NIR typed in a search box: 13 or 15 characters once compacted, digits (2A/2B allowed).
pub fn looks_like_nir(text: &str) -> Option<String> {
    let t = compact(text);
    let ok = (t.len() == 13 || t.len() == 15)
        && t.bytes().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || (i == 6 && (c == b'A' || c == b'B') && t.as_bytes()[5] == b'2')
        });
    ok.then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a NIR with its right key from a 13-character body.
    fn with_key(body: &str) -> String {
        format!("{body}{:02}", control_key(numeric_body(body).unwrap()))
    }

    #[test]
    fn a_known_nir_has_the_key_computed_by_97_minus_the_remainder() {
        // INSEE's worked example: 1 84 12 76 451 089, key 46.
        assert_eq!(control_key(1_841_276_451_089), 46);
        let n = Nir::parse("1 84 12 76 451 089 46").unwrap();
        assert_eq!(n.as_str(), "184127645108946");
        assert_eq!(n.sans_cle(), "1841276451089");
        assert_eq!(
            (n.sexe(), n.annee(), n.mois()),
            (Sexe::Masculin, 84, Some(12))
        );
    }

    #[test]
    fn a_wrong_key_or_a_wrong_shape_is_refused_in_french() {
        assert!(Nir::parse("184127645108947").unwrap_err().contains("clé"));
        assert!(Nir::parse("18412764510894")
            .unwrap_err()
            .contains("15 caractères"));
        assert!(Nir::parse("1841276X5108946")
            .unwrap_err()
            .contains("chiffres"));
        assert!(Nir::parse("584127645108946")
            .unwrap_err()
            .contains("premier chiffre"));
    }

    #[test]
    fn corsican_nirs_count_2a_as_19_and_2b_as_18() {
        let a = with_key("285062A004123");
        let b = with_key("179022B033045");
        assert_eq!(&a[13..], &format!("{:02}", 97 - 2_850_619_004_123u64 % 97));
        assert!(Nir::parse(&a).is_ok(), "{a}");
        assert!(Nir::parse(&b.to_lowercase()).is_ok(), "{b}");
        // The same digits with the other Corsican département do not pass the key.
        let swapped = a.replacen("2A", "2B", 1);
        assert!(Nir::parse(&swapped).unwrap_err().contains("clé"));
        // A letter outside the département part is refused.
        assert!(Nir::parse("2850A2A00412301").is_err());
    }

    #[test]
    fn the_nir_is_checked_against_sex_and_birth_year_and_month() {
        let n = Nir::parse(&with_key("2920375123456")).unwrap();
        let d = |y, m, j| NaiveDate::from_ymd_opt(y, m, j);
        assert!(n.incoherences(Sexe::Feminin, d(1992, 3, 14)).is_empty());
        assert!(n.incoherences(Sexe::Inconnu, None).is_empty());
        let e = n.incoherences(Sexe::Masculin, d(1993, 3, 14));
        assert_eq!(
            e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            ["sexe", "date_naissance"]
        );
        assert!(e[1].1.contains("année"));
        let e = n.incoherences(Sexe::Feminin, d(1992, 4, 14));
        assert!(e[0].1.contains("mois"), "{e:?}");
        // Month 20 and above: unknown month, only the year is checked.
        let unknown = Nir::parse(&with_key("2924099123456")).unwrap();
        assert!(unknown
            .incoherences(Sexe::Feminin, d(1992, 7, 1))
            .is_empty());
    }

    #[test]
    fn a_search_text_is_recognised_as_a_nir_with_or_without_key() {
        assert_eq!(
            looks_like_nir("1 84 12 76 451 089").as_deref(),
            Some("1841276451089")
        );
        assert!(looks_like_nir("285062a00412301").is_some());
        assert!(looks_like_nir("Dupont").is_none());
        assert!(looks_like_nir("0612345678").is_none());
    }
}
