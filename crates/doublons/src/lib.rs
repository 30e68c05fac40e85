//! Détection des doublons de personnes : normalisation (accents, particules, clé phonétique française),
//! blocage sur plusieurs clés, score de Fellegi–Sunter avec règles pour jumeaux et parent/enfant,
//! lecture/écriture CSV et commande `parcours doublons` pour le traitement par lot.
//!
//! Used two ways: at person creation (`Index` + `candidates_for`: warn on likely duplicates) and in
//! batch (`find_pairs`: score the whole base, fill the review queue).

pub mod blocage;
pub mod cli;
pub mod csvio;
pub mod evaluation;
pub mod normalise;
pub mod phonetique;
pub mod score;
pub mod synthese;

pub use blocage::{candidates_for, find_pairs, Candidat, Index};
pub use cli::{run, DoublonsCommand};
pub use csvio::{read_records, write_pairs, ErreurCsv};
pub use normalise::{normalise, Normalised};
pub use score::score;

/// Sex as recorded (« M » or « F »); anything else is treated as missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sexe {
    M,
    F,
}

/// A calendar date (validated on parsing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    pub annee: u16,
    pub mois: u8,
    pub jour: u8,
}

impl Date {
    /// Builds a date if it exists in the Gregorian calendar.
    pub fn new(annee: u16, mois: u8, jour: u8) -> Option<Date> {
        let bissextile =
            (annee.is_multiple_of(4) && !annee.is_multiple_of(100)) || annee.is_multiple_of(400);
        let max = match mois {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if bissextile => 29,
            2 => 28,
            _ => return None,
        };
        (annee >= 1 && (1..=max).contains(&jour)).then_some(Date { annee, mois, jour })
    }

    /// Parses `YYYY-MM-DD` strictly.
    pub fn parse(texte: &str) -> Option<Date> {
        let b = texte.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |s: &str| -> Option<u16> {
            if s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let annee = num(texte.get(0..4)?)?;
        let mois = u8::try_from(num(texte.get(5..7)?)?).ok()?;
        let jour = u8::try_from(num(texte.get(8..10)?)?).ok()?;
        Date::new(annee, mois, jour)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.annee, self.mois, self.jour)
    }
}

/// One person record as read from the base or the CSV; empty strings are missing values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub record_id: String,
    pub nom_naissance: String,
    pub nom_usage: String,
    /// Given names separated by spaces or commas, usual one first.
    pub prenoms: String,
    pub sexe: Option<Sexe>,
    pub date_naissance: Option<Date>,
    pub commune_naissance_insee: String,
    pub adresse: String,
    pub code_postal: String,
    pub commune: String,
}

impl Record {
    /// A record from a person as the base holds it (birth and usage names, given names in order, sex
    /// and birth date of the domain): the one conversion used by the creation check and by the batch
    /// job, so that both score the same fields the same way. Birth place and address are added with
    /// [`Record::ne_a`] and [`Record::domicile`] when known.
    pub fn from_parts(
        record_id: impl ToString,
        nom_naissance: &str,
        nom_usage: Option<&str>,
        prenoms: &[String],
        sexe: parcours_domain::personnes::Sexe,
        date_naissance: Option<chrono::NaiveDate>,
    ) -> Record {
        use chrono::Datelike;
        use parcours_domain::personnes::Sexe as S;
        Record {
            record_id: record_id.to_string(),
            nom_naissance: nom_naissance.to_string(),
            nom_usage: nom_usage.unwrap_or_default().to_string(),
            prenoms: prenoms.join(" "),
            sexe: match sexe {
                S::Feminin => Some(Sexe::F),
                S::Masculin => Some(Sexe::M),
                S::Inconnu => None,
            },
            date_naissance: date_naissance.and_then(|d| {
                Date::new(
                    u16::try_from(d.year()).ok()?,
                    u8::try_from(d.month()).ok()?,
                    u8::try_from(d.day()).ok()?,
                )
            }),
            ..Default::default()
        }
    }

    /// The INSEE code of the birth commune (empty: unknown).
    pub fn ne_a(mut self, commune_insee: &str) -> Record {
        self.commune_naissance_insee = commune_insee.to_string();
        self
    }

    /// The current address: its lines and postcode.
    pub fn domicile(mut self, adresse: &str, code_postal: &str) -> Record {
        self.adresse = adresse.to_string();
        self.code_postal = code_postal.to_string();
        self
    }
}

/// A pair judged to be the same person; `record_id_a < record_id_b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub record_id_a: String,
    pub record_id_b: String,
    pub score: f64,
}

impl Pair {
    /// Orders the two ids.
    pub fn new(x: &str, y: &str, score: f64) -> Pair {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        Pair {
            record_id_a: a.to_string(),
            record_id_b: b.to_string(),
            score,
        }
    }
}

/// Thresholds of the matcher.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Score from which a pair is written by the batch (judged the same person).
    pub seuil: f64,
    /// Score from which a candidate is shown when creating a person (lower: a warning is cheap).
    pub seuil_alerte: f64,
}

/// Default batch threshold, chosen for the best F1 on the synthetic data (see bench/doublons).
pub const SEUIL_PAR_DEFAUT: f64 = 0.5;

impl Default for Options {
    fn default() -> Self {
        Options {
            seuil: SEUIL_PAR_DEFAUT,
            seuil_alerte: 0.2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_built_from_the_fields_of_the_base() {
        let r = Record::from_parts(
            42,
            "Lefèvre",
            Some("Martin"),
            &["Marie".to_string(), "Hélène".to_string()],
            parcours_domain::personnes::Sexe::Feminin,
            chrono::NaiveDate::from_ymd_opt(1992, 3, 14),
        )
        .ne_a("96001")
        .domicile("4 rue des Écoles", "96100");
        assert_eq!(r.record_id, "42");
        assert_eq!(r.nom_usage, "Martin");
        assert_eq!(r.prenoms, "Marie Hélène");
        assert_eq!(r.sexe, Some(Sexe::F));
        assert_eq!(r.date_naissance, Date::parse("1992-03-14"));
        assert_eq!(r.commune_naissance_insee, "96001");
        assert_eq!(
            (r.adresse.as_str(), r.code_postal.as_str()),
            ("4 rue des Écoles", "96100")
        );
        let unknown = Record::from_parts(
            1,
            "X",
            None,
            &[],
            parcours_domain::personnes::Sexe::Inconnu,
            None,
        );
        assert_eq!((unknown.sexe, unknown.nom_usage.as_str()), (None, ""));
    }
}
