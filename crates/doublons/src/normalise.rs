//! Normalisation of a person record: folded names, particles, phonetic keys, given names as a set,
//! parsed date, address reduced to comparable parts.

use unicode_normalization::UnicodeNormalization;

use crate::phonetique::cle_phonetique;
use crate::{Date, Record, Sexe};

/// Particles dropped from the significant tokens of a surname (kept in the compact form, so that
/// « Le Gall » and « Legall » still agree exactly).
const PARTICULES: &[&str] = &[
    "DE", "DU", "DES", "D", "LE", "LA", "LES", "L", "DA", "DAS", "DO", "DOS", "DI", "DEL", "DELLA",
    "VAN", "VON", "DER", "DEN", "TEN", "Y", "E",
];

/// Words of an address that carry no identity (street types, fillers).
const MOTS_VIDES_ADRESSE: &[&str] = &[
    "RUE",
    "R",
    "AVENUE",
    "AV",
    "AVE",
    "BOULEVARD",
    "BD",
    "BLVD",
    "CHEMIN",
    "CHE",
    "CH",
    "IMPASSE",
    "IMP",
    "ALLEE",
    "ALL",
    "PLACE",
    "PL",
    "ROUTE",
    "RTE",
    "QUAI",
    "COURS",
    "SQUARE",
    "SQ",
    "RESIDENCE",
    "RES",
    "LOTISSEMENT",
    "LOT",
    "BIS",
    "TER",
    "B",
    "T",
    "DE",
    "DU",
    "DES",
    "D",
    "LA",
    "LE",
    "LES",
    "L",
    "A",
    "AU",
    "AUX",
    "ET",
    "APPARTEMENT",
    "APPT",
    "APT",
    "BATIMENT",
    "BAT",
    "ETAGE",
];

/// A surname normalised in its three useful shapes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nom {
    /// All letters, particles included, no separators (« DELAFONTAINE »).
    pub compact: String,
    /// Significant tokens, particles removed (« FONTAINE »; « MARTIN », « DURAND » for a double name).
    pub jetons: Vec<String>,
    /// Phonetic keys of `jetons`, same order.
    pub phonetiques: Vec<String>,
}

impl Nom {
    /// True when the field was empty (or held only punctuation).
    pub fn est_vide(&self) -> bool {
        self.compact.is_empty()
    }
}

/// A record reduced to what the comparisons need; built once per record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalised {
    pub nom_naissance: Nom,
    pub nom_usage: Nom,
    /// Given names as folded tokens, in the order given (the first is the usual one); compared as a set.
    pub prenoms: Vec<String>,
    pub prenoms_phonetiques: Vec<String>,
    pub sexe: Option<Sexe>,
    pub date_naissance: Option<Date>,
    pub commune_naissance_insee: String,
    /// Street number (digits only) if any.
    pub numero_voie: String,
    /// Significant street words, joined by one space.
    pub voie: String,
    pub code_postal: String,
    pub commune: String,
}

/// Folds a text to upper-case ASCII letters, digits and single spaces: accents removed
/// (NFD then marks dropped), ligatures expanded, hyphens, apostrophes and punctuation become spaces.
pub fn plier(texte: &str) -> String {
    let mut out = String::with_capacity(texte.len());
    let mut espace = true;
    // Most fields are plain ASCII: skip the NFD decomposition for them (it dominates the cost).
    let caracteres: Box<dyn Iterator<Item = char>> = if texte.is_ascii() {
        Box::new(texte.chars())
    } else {
        Box::new(texte.nfd())
    };
    for c in caracteres {
        let remplace: &str = match c {
            'œ' | 'Œ' => "OE",
            'æ' | 'Æ' => "AE",
            'ß' => "SS",
            _ => "",
        };
        if !remplace.is_empty() {
            out.push_str(remplace);
            espace = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
            espace = false;
        } else if unicode_normalization::char::is_combining_mark(c) {
            // An accent: dropped, the base letter was already pushed.
        } else if !espace {
            out.push(' ');
            espace = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Normalises a surname field.
pub fn normaliser_nom(texte: &str) -> Nom {
    let plie = plier(texte);
    let compact: String = plie.chars().filter(|c| *c != ' ').collect();
    let tous: Vec<&str> = plie.split(' ').filter(|t| !t.is_empty()).collect();
    let mut jetons: Vec<String> = tous
        .iter()
        .filter(|t| !PARTICULES.contains(t))
        .map(|t| t.to_string())
        .collect();
    if jetons.is_empty() && !compact.is_empty() {
        // A name made only of particles (« Le ») is still a name.
        jetons.push(compact.clone());
    }
    let phonetiques = jetons.iter().map(|j| cle_phonetique(j)).collect();
    Nom {
        compact,
        jetons,
        phonetiques,
    }
}

/// Normalises a record. Never fails: a missing or malformed field just becomes empty.
pub fn normalise(record: &Record) -> Normalised {
    let prenoms: Vec<String> = plier(&record.prenoms)
        .split(' ')
        .filter(|t| t.len() > 1)
        .map(str::to_string)
        .collect();
    let prenoms_phonetiques = prenoms.iter().map(|p| cle_phonetique(p)).collect();
    let adresse = plier(&record.adresse);
    let mut numero_voie = String::new();
    let mut voie = Vec::new();
    for mot in adresse.split(' ').filter(|m| !m.is_empty()) {
        if mot.bytes().all(|b| b.is_ascii_digit()) {
            if numero_voie.is_empty() && voie.is_empty() {
                numero_voie = mot.trim_start_matches('0').to_string();
            }
        } else if !MOTS_VIDES_ADRESSE.contains(&mot) {
            voie.push(mot);
        }
    }
    Normalised {
        nom_naissance: normaliser_nom(&record.nom_naissance),
        nom_usage: normaliser_nom(&record.nom_usage),
        prenoms,
        prenoms_phonetiques,
        sexe: record.sexe,
        date_naissance: record.date_naissance,
        commune_naissance_insee: plier(&record.commune_naissance_insee).replace(' ', ""),
        numero_voie,
        voie: voie.join(" "),
        code_postal: plier(&record.code_postal).replace(' ', ""),
        commune: plier(&record.commune).replace("SAINT", "ST"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pliage_accents_casse_tirets_apostrophes() {
        assert_eq!(plier("Hélène"), "HELENE");
        assert_eq!(plier("  Jean-François  "), "JEAN FRANCOIS");
        assert_eq!(plier("D'Artagnan"), "D ARTAGNAN");
        assert_eq!(plier("Lætitia Cœur"), "LAETITIA COEUR");
        assert_eq!(plier("MAËLYS"), "MAELYS");
        assert_eq!(plier(""), "");
    }

    #[test]
    fn particules() {
        let n = normaliser_nom("de la Fontaine");
        assert_eq!(n.compact, "DELAFONTAINE");
        assert_eq!(n.jetons, vec!["FONTAINE"]);
        let n = normaliser_nom("Le Gall");
        assert_eq!(n.compact, "LEGALL");
        assert_eq!(n.jetons, vec!["GALL"]);
        assert_eq!(normaliser_nom("Legall").compact, "LEGALL");
        let n = normaliser_nom("Martin-Durand");
        assert_eq!(n.jetons, vec!["MARTIN", "DURAND"]);
        assert_eq!(normaliser_nom("Le").jetons, vec!["LE"]);
        assert!(normaliser_nom(" - ").est_vide());
    }

    #[test]
    fn adresse() {
        let r = Record {
            adresse: "12 bis, Rue de la Paix".into(),
            commune: "Saint-Omer".into(),
            ..Record::default()
        };
        let n = normalise(&r);
        assert_eq!(n.numero_voie, "12");
        assert_eq!(n.voie, "PAIX");
        assert_eq!(n.commune, "ST OMER");
    }
}
