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
