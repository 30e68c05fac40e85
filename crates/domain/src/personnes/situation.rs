//! The situation of a person (family, housing, employment, income sources) and their address, both
//! dated and never overwritten: a change is a new row from a date (`valid_from`), the current value is
//! the latest, and the history stays readable (an evaluation or a benefit refers to the situation of
//! its date).
//!
//! The lists below are working categories of the services, not legal definitions: they can be
//! reworded or extended per département without migrating data (codes are stored, labels are not).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::etat_civil::parse_date_evenement;
use crate::referentiel::{parse_code_postal, InseeCode};
use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

macro_rules! code_list {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant,)+];
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }
            pub fn libelle(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.code() == code.trim())
            }
        }
    };
}

code_list! {
    /// Family situation (situation matrimoniale et conjugale).
    SituationFamiliale {
        Celibataire => "CELIBATAIRE", "Célibataire";
        Marie => "MARIE", "Marié·e";
        Pacse => "PACSE", "Pacsé·e";
        Concubinage => "CONCUBINAGE", "En concubinage (union libre)";
        Separe => "SEPARE", "Séparé·e";
        Divorce => "DIVORCE", "Divorcé·e";
        Veuf => "VEUF", "Veuf ou veuve";
    }
}

code_list! {
    /// Housing situation.
    Logement {
        Proprietaire => "PROPRIETAIRE", "Propriétaire ou accédant";
        LocataireSocial => "LOCATAIRE_SOCIAL", "Locataire du parc social";
        LocatairePrive => "LOCATAIRE_PRIVE", "Locataire du parc privé";
        HebergeTiers => "HEBERGE_TIERS", "Hébergé·e par un tiers ou la famille";
        HebergementInstitution => "HEBERGEMENT_INSTITUTION", "Hébergement collectif (CHRS, foyer, résidence sociale)";
        Hotel => "HOTEL", "Hôtel";
        Precaire => "PRECAIRE", "Habitat précaire (squat, caravane, abri de fortune)";
        SansDomicile => "SANS_DOMICILE", "Sans domicile stable";
    }
}

code_list! {
    /// Situation regarding employment.
    Emploi {
        Cdi => "CDI", "Salarié·e en CDI ou fonctionnaire";
        Cdd => "CDD", "Salarié·e en CDD, intérim ou contrat aidé";
        Independant => "INDEPENDANT", "Travailleur indépendant";
        DemandeurEmploi => "DEMANDEUR_EMPLOI", "Demandeur d'emploi";
        Formation => "FORMATION", "En formation ou étudiant·e";
        Retraite => "RETRAITE", "Retraité·e";
        Inactif => "INACTIF", "Sans activité professionnelle";
        Invalidite => "INVALIDITE", "En invalidité ou inapte au travail";
    }
}

code_list! {
    /// Income sources; a person may have several.
    Ressource {
        Salaire => "SALAIRE", "Revenus d'activité";
        Chomage => "CHOMAGE", "Allocation chômage (ARE, ASS)";
        Rsa => "RSA", "Revenu de solidarité active";
        PrimeActivite => "PRIME_ACTIVITE", "Prime d'activité";
        Aah => "AAH", "Allocation aux adultes handicapés";
        PrestationsFamiliales => "PRESTATIONS_FAMILIALES", "Prestations familiales";
        AideLogement => "AIDE_LOGEMENT", "Aide au logement";
        Retraite => "RETRAITE", "Pension de retraite";
        Aspa => "ASPA", "Allocation de solidarité aux personnes âgées";
        PensionInvalidite => "PENSION_INVALIDITE", "Pension d'invalidité";
        PensionAlimentaire => "PENSION_ALIMENTAIRE", "Pension alimentaire";
        Bourse => "BOURSE", "Bourse d'études";
        Aucune => "AUCUNE", "Aucune ressource";
    }
}

/// The raw fields of the situation form. `ressources` holds the codes of the ticked boxes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct SituationForm {
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub familiale: String,
    #[serde(default)]
    pub logement: String,
    #[serde(default)]
    pub emploi: String,
    #[serde(default)]
    pub ressources: Vec<String>,
}

/// A situation from a date; an empty part is « non renseigné ».
#[derive(Debug, Clone, PartialEq)]
pub struct NewSituation {
    pub valid_from: NaiveDate,
    pub familiale: Option<SituationFamiliale>,
    pub logement: Option<Logement>,
    pub emploi: Option<Emploi>,
    pub ressources: Vec<Ressource>,
}

/// Parses an optional choice of a code list; a value that is not in the list is an error.
fn choice<T>(
    e: &mut FieldErrors,
    field: &str,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    message: &str,
) -> Option<T> {
    if value.trim().is_empty() {
        return None;
    }
    let v = parse(value);
    if v.is_none() {
        e.add(field, message);
    }
    v
}

impl NewSituation {
    pub fn parse(f: &SituationForm, today: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let valid_from = parse_date_evenement(
            &mut e,
            "valid_from",
            "La date de début",
            &f.valid_from,
            today,
        );
        let familiale = choice(
            &mut e,
            "familiale",
            &f.familiale,
            SituationFamiliale::parse,
            "Choisissez une situation familiale de la liste.",
        );
        let logement = choice(
            &mut e,
            "logement",
            &f.logement,
            Logement::parse,
            "Choisissez une situation de logement de la liste.",
        );
        let emploi = choice(
            &mut e,
            "emploi",
            &f.emploi,
            Emploi::parse,
            "Choisissez une situation d'emploi de la liste.",
        );
        let mut ressources = Vec::new();
        for code in f.ressources.iter().filter(|c| !c.trim().is_empty()) {
            match Ressource::parse(code) {
                Some(r) if !ressources.contains(&r) => ressources.push(r),
                Some(_) => {}
                None => e.add("ressources", "Choisissez les ressources dans la liste."),
            }
        }
        if ressources.contains(&Ressource::Aucune) && ressources.len() > 1 {
            e.add(
                "ressources",
                "« Aucune ressource » ne peut pas être cochée avec une autre ressource.",
            );
        }
        if familiale.is_none() && logement.is_none() && emploi.is_none() && ressources.is_empty() {
            e.add(
                "familiale",
                "Renseignez au moins un élément de la situation.",
            );
        }
        e.into_result()?;
        ressources.sort_by_key(|r| r.code());
        Ok(Self {
            valid_from,
            familiale,
            logement,
            emploi,
            ressources,
        })
    }
}

/// A situation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Situation {
    pub id: i64,
    pub personne_id: i64,
    #[schema(value_type = String, format = Date)]
    pub valid_from: NaiveDate,
    pub familiale: Option<SituationFamiliale>,
    pub logement: Option<Logement>,
    pub emploi: Option<Emploi>,
    pub ressources: Vec<Ressource>,
    /// Who recorded it (agent id), for the history.
    pub created_by: Option<i64>,
    pub created_at: String,
}

/// The raw fields of the address form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct AdresseForm {
    #[serde(default)]
    pub ligne_1: String,
    #[serde(default)]
    pub ligne_2: String,
    #[serde(default)]
    pub ligne_3: String,
    #[serde(default)]
    pub code_postal: String,
    #[serde(default)]
    pub commune_insee: String,
    #[serde(default)]
    pub valid_from: String,
}

/// An address from a date. A person without a stable home gives the address of their domiciliation
/// (CCAS or approved body), which is what decides the competent secteur.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdresse {
    /// One to three lines (number and street, building, locality).
    pub lignes: Vec<String>,
    pub code_postal: String,
    pub commune_insee: InseeCode,
    pub valid_from: NaiveDate,
}

impl NewAdresse {
    pub fn parse(f: &AdresseForm, today: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let mut lignes = vec![required_text(
            &mut e,
            "ligne_1",
            "L'adresse",
            &f.ligne_1,
            120,
        )];
        for (field, value) in [("ligne_2", &f.ligne_2), ("ligne_3", &f.ligne_3)] {
            if let Some(l) = optional_text(&mut e, field, "Ce complément", value, 120) {
                lignes.push(l);
            }
        }
        let code_postal = parse_code_postal(&f.code_postal).unwrap_or_else(|m| {
            e.add("code_postal", m);
            String::new()
        });
        let commune_insee = match InseeCode::parse(&f.commune_insee) {
            Ok(c) => Some(c),
            Err(m) => {
                e.add("commune_insee", m);
                None
            }
        };
        let valid_from = parse_date_evenement(
            &mut e,
            "valid_from",
            "La date d'emménagement",
            &f.valid_from,
            today,
        );
        e.into_result()?;
        let Some(commune_insee) = commune_insee else {
            return Err(Invalid::field(
                "commune_insee",
                "La commune est obligatoire.",
            ));
        };
        Ok(Self {
            lignes,
            code_postal,
            commune_insee,
            valid_from,
        })
    }
}

/// An address as stored, with the secteur it resolved to when it was recorded (`None`: a commune
/// outside the département or not attached to a secteur).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Adresse {
    pub id: i64,
    pub personne_id: i64,
    pub lignes: Vec<String>,
    pub code_postal: String,
    pub commune_insee: String,
    pub secteur_id: Option<i64>,
    #[schema(value_type = String, format = Date)]
    pub valid_from: NaiveDate,
    pub created_at: String,
}

/// The entry in force on `date` of a dated history: the latest `valid_from` not after `date` (the
/// later recorded wins between two of the same date). `entries` are in any order.
pub fn en_vigueur<T>(
    entries: &[T],
    date: NaiveDate,
    key: impl Fn(&T) -> (NaiveDate, i64),
) -> Option<&T> {
    entries
        .iter()
        .filter(|x| key(x).0 <= date)
        .max_by_key(|x| key(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()
    }

    #[test]
    fn a_situation_form_is_parsed_and_its_income_sources_deduplicated() {
        let f = SituationForm {
            valid_from: "01/02/2026".into(),
            familiale: "PACSE".into(),
            logement: "LOCATAIRE_PRIVE".into(),
            emploi: String::new(),
            ressources: vec!["RSA".into(), "AIDE_LOGEMENT".into(), "RSA".into()],
        };
        let s = NewSituation::parse(&f, today()).unwrap();
        assert_eq!(s.valid_from, NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
        assert_eq!(s.familiale, Some(SituationFamiliale::Pacse));
        assert_eq!(s.emploi, None);
        assert_eq!(s.ressources, [Ressource::AideLogement, Ressource::Rsa]);
    }

    #[test]
    fn a_bad_situation_form_names_each_field() {
        let f = SituationForm {
            valid_from: "2026-06-01".into(),
            familiale: "BIGAME".into(),
            logement: "CHATEAU".into(),
            emploi: "ROI".into(),
            ressources: vec!["AUCUNE".into(), "RSA".into()],
        };
        let err = NewSituation::parse(&f, today()).unwrap_err();
        assert!(err.0.get("valid_from").unwrap().contains("futur"));
        for field in ["familiale", "logement", "emploi", "ressources"] {
            assert!(err.0.get(field).is_some(), "{field}");
        }
        let empty = NewSituation::parse(
            &SituationForm {
                valid_from: "2026-01-01".into(),
                ..SituationForm::default()
            },
            today(),
        )
        .unwrap_err();
        assert!(empty.0.get("familiale").unwrap().contains("au moins"));
    }

    #[test]
    fn an_address_form_checks_postcode_commune_and_date() {
        let f = AdresseForm {
            ligne_1: " 3 rue du Moulin ".into(),
            ligne_3: "Bâtiment B".into(),
            code_postal: "96100".into(),
            commune_insee: "96001".into(),
            valid_from: "2025-09-01".into(),
            ..AdresseForm::default()
        };
        let a = NewAdresse::parse(&f, today()).unwrap();
        assert_eq!(a.lignes, ["3 rue du Moulin", "Bâtiment B"]);
        let bad = AdresseForm {
            valid_from: "31/09/2025".into(),
            ..AdresseForm::default()
        };
        let err = NewAdresse::parse(&bad, today()).unwrap_err();
        for field in ["ligne_1", "code_postal", "commune_insee", "valid_from"] {
            assert!(err.0.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn the_entry_in_force_is_the_latest_started_on_or_before_the_date() {
        let d = |m, j| NaiveDate::from_ymd_opt(2025, m, j).unwrap();
        let h = [
            (d(1, 1), 1, "a"),
            (d(6, 1), 3, "c"),
            (d(6, 1), 2, "b"),
            (d(3, 1), 4, "m"),
        ];
        let at = |date| en_vigueur(&h, date, |x| (x.0, x.1)).map(|x| x.2);
        assert_eq!(at(d(1, 1)), Some("a"));
        assert_eq!(at(d(5, 31)), Some("m"));
        assert_eq!(at(d(6, 1)), Some("c"));
        assert_eq!(at(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()), None);
    }
}
