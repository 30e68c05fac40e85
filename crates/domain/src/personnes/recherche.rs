//! Normalisation for the search of people: names folded to lower-case ASCII without accents, hyphens,
//! apostrophes or spaces, so that « Le Goff », « LE-GOFF » and « legoff » meet, and the parsing of what
//! is typed in the search box (names, a birth date, a NIR or a phone number).

use chrono::NaiveDate;

use super::contact::Telephone;
use super::etat_civil::parse_date_text;
use super::nir::looks_like_nir;

/// Folds one name: lower case, accents and ligatures removed, and everything that is not a letter or a
/// digit dropped (hyphens, apostrophes, spaces). The result contains no LIKE wildcard (`%`, `_`), so it
/// can be put in a pattern as is.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                out.push('a')
            }
            'ç' | 'Ç' | 'ć' | 'č' | 'Č' | 'Ć' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ě' | 'ę' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => out.push('i'),
            'ñ' | 'Ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                out.push('o')
            }
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => out.push('u'),
            'ý' | 'ÿ' | 'Ý' | 'Ÿ' => out.push('y'),
            'š' | 'Š' | 'ś' => out.push('s'),
            'ž' | 'Ž' | 'ź' | 'ż' => out.push('z'),
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            // Hyphens, apostrophes, spaces and punctuation separate nothing in a name.
            _ => {}
        }
    }
    out
}

/// The stored search key of a person: each name folded, separated by one space. Birth name first,
/// then the usage name, then the given names in order.
pub fn nom_recherche(nom_naissance: &str, nom_usage: Option<&str>, prenoms: &[String]) -> String {
    std::iter::once(nom_naissance)
        .chain(nom_usage)
        .chain(prenoms.iter().map(String::as_str))
        .map(fold)
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the search box asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recherche {
    /// A NIR, with its key (15 characters) or without (13): matched on the first 13.
    Nir(String),
    /// A phone number, normalised like the stored ones.
    Telephone(String),
    /// Folded name tokens (each must appear in the name key) and an optional birth date, which ranks
    /// the people born that day first.
    Nom {
        tokens: Vec<String>,
        date_naissance: Option<NaiveDate>,
    },
}

impl Recherche {
    /// Reads the search box. `None` when nothing searchable was typed.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(nir) = looks_like_nir(t) {
            return Some(Self::Nir(nir[..13].to_string()));
        }
        let digits_only = t
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '+' | '.' | '-'));
        if digits_only {
            if let Ok(tel) = Telephone::parse(t) {
                return Some(Self::Telephone(tel.as_str().to_string()));
            }
        }
        let mut tokens = Vec::new();
        let mut date_naissance = None;
        for word in t.split_whitespace() {
            match parse_date_text(word) {
                Some(d) if date_naissance.is_none() => date_naissance = Some(d),
                _ => {
                    let f = fold(word);
                    if !f.is_empty() {
                        tokens.push(f);
                    }
                }
            }
        }
        if tokens.is_empty() && date_naissance.is_none() {
            return None;
        }
        Some(Self::Nom {
            tokens,
            date_naissance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_accents_case_hyphens_apostrophes_and_spaces() {
        assert_eq!(fold("Éloïse"), "eloise");
        assert_eq!(fold("LE GOFF"), fold("le-goff"));
        assert_eq!(fold("D'Artagnan"), "dartagnan");
        assert_eq!(fold("N’Diaye"), "ndiaye");
        assert_eq!(fold("Œuvray-Lætitia"), "oeuvraylaetitia");
        assert_eq!(fold("100%_sûr"), "100sur");
    }

    #[test]
    fn the_search_key_holds_every_name_in_order() {
        let prenoms = vec!["Marie-Hélène".to_string(), "Zoé".to_string()];
        assert_eq!(
            nom_recherche("Lefèvre", Some("Le Goff"), &prenoms),
            "lefevre legoff mariehelene zoe"
        );
        assert_eq!(nom_recherche("Durand", None, &[]), "durand");
    }

    #[test]
    fn the_search_box_recognises_nir_phone_names_and_dates() {
        assert_eq!(
            Recherche::parse("1 84 12 76 451 089 46"),
            Some(Recherche::Nir("1841276451089".into()))
        );
        assert_eq!(
            Recherche::parse("06 12 34 56 78"),
            Some(Recherche::Telephone("+33612345678".into()))
        );
        assert_eq!(
            Recherche::parse("Lefèvre marie-hélène 14/03/1992"),
            Some(Recherche::Nom {
                tokens: vec!["lefevre".into(), "mariehelene".into()],
                date_naissance: NaiveDate::from_ymd_opt(1992, 3, 14),
            })
        );
        assert_eq!(Recherche::parse("  "), None);
        assert_eq!(Recherche::parse("' - '"), None);
    }
}
