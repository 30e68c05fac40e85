//! The état civil of a person (names, sex, birth, NIR), their contacts, and the parsing of the person
//! form into these values with one French message per field.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::contact::Telephone;
use super::nir::Nir;
use crate::referentiel::{is_email, InseeCode};
use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

/// Oldest age accepted for a birth date: beyond it the date is a typing error.
pub const AGE_MAXIMUM: i32 = 130;

/// Sex as recorded in the état civil. Codes follow ISO/IEC 5218, whose 1 and 2 are also INSEE's
/// (and the NIR's first digit); 0 « non renseigné » lets the front desk record a person before the
/// état civil is known, and matches no NIR, so it is never checked against one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sexe {
    Inconnu,
    Masculin,
    Feminin,
}

impl Sexe {
    pub const ALL: [Sexe; 3] = [Self::Feminin, Self::Masculin, Self::Inconnu];
    pub fn code(self) -> i64 {
        match self {
            Self::Inconnu => 0,
            Self::Masculin => 1,
            Self::Feminin => 2,
        }
    }
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Inconnu => "Non renseigné",
            Self::Masculin => "Masculin",
            Self::Feminin => "Féminin",
        }
    }
    /// Reads the form value: the code ("0", "1", "2"), or "F"/"M", or empty for unknown.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_uppercase().as_str() {
            "" | "0" => Some(Self::Inconnu),
            "1" | "M" => Some(Self::Masculin),
            "2" | "F" => Some(Self::Feminin),
            _ => None,
        }
    }
}

/// An INSEE country code (Code officiel géographique, pays et territoires étrangers): 99 then 3 digits.
/// 99100 is France, where the commune of birth is recorded instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodePays(String);

impl CodePays {
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let ok = t.len() == 5 && t.starts_with("99") && t.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(format!(
                "« {t} » n'est pas un code INSEE de pays (99 suivi de 3 chiffres, par exemple 99350 pour le Maroc)."
            ));
        }
        if t == "99100" {
            return Err(
                "Pour une personne née en France, indiquez la commune de naissance plutôt que le pays."
                    .into(),
            );
        }
        Ok(Self(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a person was born: a French commune or a foreign country, never both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LieuNaissance {
    Commune(InseeCode),
    Pays(CodePays),
}

/// A date typed the French way (JJ/MM/AAAA) or by a date input (AAAA-MM-DD). `None` for a date that
/// does not exist (30 February) or any other text.
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .ok()
        // chrono accepts years of 1 to 3 digits; a four-digit year is what people mean.
        .filter(|d| (1000..=9999).contains(&d.year()))
}

/// A date of birth: a real date, not in the future, at most `AGE_MAXIMUM` years ago.
pub fn parse_date_naissance(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let Some(d) = parse_date_text(text) else {
        return Err(format!(
            "« {} » n'est pas une date existante (JJ/MM/AAAA).",
            text.trim()
        ));
    };
    if d > today {
        return Err("La date de naissance ne peut pas être dans le futur.".into());
    }
    let limit = today
        .with_year(today.year() - AGE_MAXIMUM)
        // 29 February of a year that has none: the day before is as good a limit.
        .or_else(|| today.pred_opt()?.with_year(today.year() - AGE_MAXIMUM));
    if limit.is_some_and(|l| d < l) {
        return Err(format!(
            "La date de naissance donnerait plus de {AGE_MAXIMUM} ans : vérifiez l'année."
        ));
    }
    Ok(d)
}

/// A dated event of a person's record (situation, address, arrival in a foyer): a real date, not in
/// the future, not before 1900.
pub fn parse_date_evenement(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    text: &str,
    today: NaiveDate,
) -> NaiveDate {
    if text.trim().is_empty() {
        errors.add(field, format!("{label} est obligatoire."));
        return today;
    }
    match parse_date_text(text) {
        None => errors.add(
            field,
            format!(
                "« {} » n'est pas une date existante (JJ/MM/AAAA).",
                text.trim()
            ),
        ),
        Some(d) if d > today => {
            errors.add(field, format!("{label} ne peut pas être dans le futur."))
        }
        Some(d) if d.year() < 1900 => errors.add(field, format!("{label} est antérieure à 1900.")),
        Some(d) => return d,
    }
    today
}

/// The raw fields of the person form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct PersonneForm {
    #[serde(default)]
    pub nom_naissance: String,
    #[serde(default)]
    pub nom_usage: String,
    /// Given names in the order of the état civil, separated by commas (as in an acte de naissance:
    /// a space may belong to one given name, « Marie Claire »).
    #[serde(default)]
    pub prenoms: String,
    #[serde(default)]
    pub sexe: String,
    #[serde(default)]
    pub date_naissance: String,
    #[serde(default)]
    pub commune_naissance: String,
    #[serde(default)]
    pub pays_naissance: String,
    #[serde(default)]
    pub nir: String,
    #[serde(default)]
    pub telephone: String,
    #[serde(default)]
    pub telephone_2: String,
    #[serde(default)]
    pub email: String,
}

/// The état civil and contacts of a person, valid.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPersonne {
    pub nom_naissance: String,
    pub nom_usage: Option<String>,
    pub prenoms: Vec<String>,
    pub sexe: Sexe,
    /// Unknown for someone received before their papers are seen (accueil, MNA being assessed).
    pub date_naissance: Option<NaiveDate>,
    /// Unknown as long as the date is; a commune or a country, never both.
    pub lieu_naissance: Option<LieuNaissance>,
    pub nir: Option<Nir>,
    pub telephones: Vec<Telephone>,
    pub email: Option<String>,
}

/// Collapses runs of spaces inside a name (« Le   Goff » is « Le Goff »).
fn clean_name(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl NewPersonne {
    /// Parses the form; `today` bounds the birth date (passed in so that tests do not depend on the
    /// clock).
    pub fn parse(f: &PersonneForm, today: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let nom_naissance = clean_name(&required_text(
            &mut e,
            "nom_naissance",
            "Le nom de naissance",
            &f.nom_naissance,
            80,
        ));
        let nom_usage = optional_text(&mut e, "nom_usage", "Le nom d'usage", &f.nom_usage, 80)
            .map(|n| clean_name(&n));
        let prenoms: Vec<String> = f
            .prenoms
            .split(',')
            .map(clean_name)
            .filter(|p| !p.is_empty())
            .collect();
        if prenoms.is_empty() {
            e.add("prenoms", "Au moins un prénom est obligatoire.");
        } else if prenoms.len() > 10 || prenoms.iter().any(|p| p.chars().count() > 60) {
            e.add(
                "prenoms",
                "Dix prénoms au plus, de 60 caractères au plus chacun, séparés par des virgules.",
            );
        }
        for (field, value) in [("nom_naissance", &nom_naissance), ("prenoms", &f.prenoms)] {
            if !value.is_empty() && super::fold(value).is_empty() {
                e.add(field, "Saisissez au moins une lettre.");
            }
        }
        let sexe = Sexe::parse(&f.sexe).unwrap_or_else(|| {
            e.add("sexe", "Choisissez le sexe (ou « non renseigné »).");
            Sexe::Inconnu
        });
        let date_naissance = if f.date_naissance.trim().is_empty() {
            None
        } else {
            match parse_date_naissance(&f.date_naissance, today) {
                Ok(d) => Some(d),
                Err(m) => {
                    e.add("date_naissance", m);
                    None
                }
            }
        };
        let commune = f.commune_naissance.trim();
        let pays = f.pays_naissance.trim();
        let lieu_naissance = match (commune.is_empty(), pays.is_empty()) {
            (true, true) => None,
            (false, false) => {
                e.add(
                    "pays_naissance",
                    "Indiquez soit la commune de naissance (né en France), soit le pays, pas les deux.",
                );
                None
            }
            (false, true) => match InseeCode::parse(commune) {
                Ok(c) => Some(LieuNaissance::Commune(c)),
                Err(m) => {
                    e.add("commune_naissance", m);
                    None
                }
            },
            (true, false) => match CodePays::parse(pays) {
                Ok(p) => Some(LieuNaissance::Pays(p)),
                Err(m) => {
                    e.add("pays_naissance", m);
                    None
                }
            },
        };
        let nir = if f.nir.trim().is_empty() {
            None
        } else {
            match Nir::parse(&f.nir) {
                Ok(n) => {
                    for (field, m) in n.incoherences(sexe, date_naissance) {
                        e.add(field, m);
                    }
                    Some(n)
                }
                Err(m) => {
                    e.add("nir", m);
                    None
                }
            }
        };
        let mut telephones = Vec::new();
        for (field, value) in [("telephone", &f.telephone), ("telephone_2", &f.telephone_2)] {
            if value.trim().is_empty() {
                continue;
            }
            match Telephone::parse(value) {
                Ok(t) if telephones.contains(&t) => {
                    e.add(field, "Ce numéro est déjà saisi dans l'autre champ.")
                }
                Ok(t) => telephones.push(t),
                Err(m) => e.add(field, m),
            }
        }
        let email = match f.email.trim().to_lowercase() {
            m if m.is_empty() => None,
            m if is_email(&m) => Some(m),
            _ => {
                e.add(
                    "email",
                    "Saisissez une adresse électronique valide, par exemple prenom.nom@exemple.fr.",
                );
                None
            }
        };
        e.into_result()?;
        Ok(Self {
            nom_naissance,
            nom_usage,
            prenoms,
            sexe,
            date_naissance,
            lieu_naissance,
            nir,
            telephones,
            email,
        })
    }

    /// The name key stored for the search.
    pub fn nom_recherche(&self) -> String {
        super::nom_recherche(
            &self.nom_naissance,
            self.nom_usage.as_deref(),
            &self.prenoms,
        )
    }
}

/// A person as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Personne {
    pub id: i64,
    pub nom_naissance: String,
    pub nom_usage: Option<String>,
    pub prenoms: Vec<String>,
    pub sexe: Sexe,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_naissance: Option<NaiveDate>,
    /// INSEE code of the commune of birth (born in France).
    pub commune_naissance: Option<String>,
    /// INSEE code of the country of birth (born abroad).
    pub pays_naissance: Option<String>,
    /// Never serialised: reference §8.6, the NIR is shown only where it is needed.
    #[serde(skip)]
    pub nir: Option<String>,
    /// International form (+33…).
    pub telephones: Vec<String>,
    pub email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Personne {
    /// « NOM d'usage (né NOM de naissance) Prénoms » as a list shows it.
    pub fn nom_complet(&self) -> String {
        nom_complet(
            &self.nom_naissance,
            self.nom_usage.as_deref(),
            &self.prenoms,
        )
    }
}

/// What a list or a search shows of a person.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PersonneResume {
    pub id: i64,
    pub nom_naissance: String,
    pub nom_usage: Option<String>,
    pub prenoms: Vec<String>,
    pub sexe: Sexe,
    #[schema(value_type = Option<String>, format = Date)]
    pub date_naissance: Option<NaiveDate>,
}

impl PersonneResume {
    pub fn nom_complet(&self) -> String {
        nom_complet(
            &self.nom_naissance,
            self.nom_usage.as_deref(),
            &self.prenoms,
        )
    }
}

fn nom_complet(naissance: &str, usage: Option<&str>, prenoms: &[String]) -> String {
    let prenoms = prenoms.join(" ");
    match usage {
        Some(u) if u != naissance => format!(
            "{} (né·e {}) {prenoms}",
            u.to_uppercase(),
            naissance.to_uppercase()
        ),
        _ => format!("{} {prenoms}", naissance.to_uppercase()),
    }
}

/// Splits the stored given names (comma-separated, in order).
pub fn split_prenoms(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
    }

    fn form() -> PersonneForm {
        PersonneForm {
            nom_naissance: " Lefèvre ".into(),
            nom_usage: "Le  Goff".into(),
            prenoms: "Marie-Hélène, Zoé ,, Marie Claire".into(),
            sexe: "2".into(),
            date_naissance: "14/03/1992".into(),
            commune_naissance: "2a004".into(),
            nir: String::new(),
            telephone: "06 12 34 56 78".into(),
            email: " Marie@Exemple.FR ".into(),
            ..PersonneForm::default()
        }
    }

    #[test]
    fn a_complete_form_is_parsed_into_clean_values() {
        let p = NewPersonne::parse(&form(), today()).unwrap();
        assert_eq!(p.nom_naissance, "Lefèvre");
        assert_eq!(p.nom_usage.as_deref(), Some("Le Goff"));
        assert_eq!(p.prenoms, ["Marie-Hélène", "Zoé", "Marie Claire"]);
        assert_eq!(p.sexe, Sexe::Feminin);
        assert_eq!(p.date_naissance, NaiveDate::from_ymd_opt(1992, 3, 14));
        assert!(
            matches!(&p.lieu_naissance, Some(LieuNaissance::Commune(c)) if c.as_str() == "2A004")
        );
        assert_eq!(p.telephones[0].as_str(), "+33612345678");
        assert_eq!(p.email.as_deref(), Some("marie@exemple.fr"));
        assert_eq!(
            p.nom_recherche(),
            "lefevre legoff mariehelene zoe marieclaire"
        );
    }

    #[test]
    fn impossible_future_and_too_old_birth_dates_are_refused() {
        let t = today();
        for (typed, word) in [
            ("30/02/2000", "existante"),
            ("2001-02-29", "existante"),
            ("31/04/1990", "existante"),
            ("21/05/2026", "futur"),
            ("19/05/1896", "130 ans"),
            ("hier", "existante"),
            ("1/1/92", "existante"),
        ] {
            let err = parse_date_naissance(typed, t).unwrap_err();
            assert!(err.contains(word), "{typed}: {err}");
        }
        assert!(parse_date_naissance("29/02/2000", t).is_ok());
        assert!(parse_date_naissance("20/05/1896", t).is_ok());
        assert!(parse_date_naissance("2026-05-20", t).is_ok());
    }

    #[test]
    fn every_bad_field_gets_its_own_french_message() {
        let f = PersonneForm {
            nom_naissance: "".into(),
            prenoms: " , ".into(),
            sexe: "Z".into(),
            date_naissance: "30/02/1990".into(),
            commune_naissance: "123".into(),
            nir: "123".into(),
            telephone: "12".into(),
            telephone_2: "abc".into(),
            email: "pas-une-adresse".into(),
            ..PersonneForm::default()
        };
        let err = NewPersonne::parse(&f, today()).unwrap_err();
        for field in [
            "nom_naissance",
            "prenoms",
            "sexe",
            "date_naissance",
            "commune_naissance",
            "nir",
            "telephone",
            "telephone_2",
            "email",
        ] {
            assert!(err.0.get(field).is_some(), "no message for {field}: {err}");
        }
    }

    #[test]
    fn commune_and_country_of_birth_are_exclusive_and_checked() {
        let mut f = form();
        f.pays_naissance = "99350".into();
        let err = NewPersonne::parse(&f, today()).unwrap_err();
        assert!(err
            .0
            .get("pays_naissance")
            .unwrap()
            .contains("pas les deux"));
        f.commune_naissance.clear();
        let p = NewPersonne::parse(&f, today()).unwrap();
        assert!(matches!(&p.lieu_naissance, Some(LieuNaissance::Pays(c)) if c.as_str() == "99350"));
        f.pays_naissance = "99100".into();
        let err = NewPersonne::parse(&f, today()).unwrap_err();
        assert!(err.0.get("pays_naissance").unwrap().contains("commune"));
        f.pays_naissance = "12345".into();
        assert!(NewPersonne::parse(&f, today())
            .unwrap_err()
            .0
            .get("pays_naissance")
            .is_some());
    }

    #[test]
    fn a_nir_inconsistent_with_the_etat_civil_names_the_field() {
        // 2 92 03 2A 004 123: a woman born in March 1992 in Corsica.
        let body = 2_920_319_004_123u64;
        let nir = format!("292032A004123{:02}", super::super::nir::control_key(body));
        let mut f = form();
        f.nir = nir.clone();
        assert!(NewPersonne::parse(&f, today()).is_ok());
        f.sexe = "1".into();
        f.date_naissance = "14/04/1992".into();
        let err = NewPersonne::parse(&f, today()).unwrap_err();
        assert!(err.0.get("sexe").unwrap().contains("NIR"));
        assert!(err.0.get("date_naissance").unwrap().contains("mois"));
        assert!(err.0.get("nir").is_none());
        f.nir = format!("{}00", &nir[..13]);
        let err = NewPersonne::parse(&f, today()).unwrap_err();
        assert!(err.0.get("nir").unwrap().contains("clé"));
    }

    #[test]
    fn the_same_phone_twice_and_unknown_sex_are_handled() {
        let mut f = form();
        f.telephone_2 = "+33612345678".into();
        let err = NewPersonne::parse(&f, today()).unwrap_err();
        assert!(err.0.get("telephone_2").is_some());
        f.telephone_2.clear();
        f.sexe.clear();
        assert_eq!(NewPersonne::parse(&f, today()).unwrap().sexe, Sexe::Inconnu);
    }
}
