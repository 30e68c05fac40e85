//! RGPD and the person's rights: consents given or withdrawn, requests to access one's file with their
//! legal deadline (GDPR art. 12(3): one month, extendable by two), what an access export may contain
//! (CRPA L311-6 and L311-7: the person's own data, not a third party's, not an agent's working notes),
//! and the retention rules (reference §8.3 and §8.5) that archive then anonymise a closed dossier.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::personnes::parse_date_evenement;
use crate::validation::{FieldErrors, Invalid};

/// What a consent is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObjetConsentement {
    /// The person was told beforehand that professionals share what is necessary (L226-2-2, L121-6-2).
    InformationSecretPartage,
    /// Reminders of appointments by SMS.
    RappelsSms,
    /// Reminders and letters by e-mail.
    Courriel,
    /// Sharing with a named partner (CCAS, association, bailleur).
    TransmissionPartenaire,
}

impl ObjetConsentement {
    pub const ALL: [ObjetConsentement; 4] = [
        Self::InformationSecretPartage,
        Self::RappelsSms,
        Self::Courriel,
        Self::TransmissionPartenaire,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::InformationSecretPartage => "information_secret_partage",
            Self::RappelsSms => "rappels_sms",
            Self::Courriel => "courriel",
            Self::TransmissionPartenaire => "transmission_partenaire",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::InformationSecretPartage => {
                "Information préalable sur le partage d'informations entre professionnels"
            }
            Self::RappelsSms => "Rappels de rendez-vous par SMS",
            Self::Courriel => "Échanges par courriel",
            Self::TransmissionPartenaire => "Transmission à un partenaire nommé",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ConsentementForm {
    #[serde(default)]
    pub objet: String,
    /// `oui` (given) or `non` (refused or withdrawn).
    #[serde(default)]
    pub donne: String,
    /// écrit, oral, électronique.
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub le: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsentement {
    pub objet: ObjetConsentement,
    pub donne: bool,
    pub mode: &'static str,
    pub le: NaiveDate,
}

pub const MODES: [(&str, &str); 3] = [
    ("ecrit", "Par écrit (signé)"),
    ("oral", "Oralement (noté par l'agent)"),
    ("electronique", "Par voie électronique"),
];

impl NewConsentement {
    pub fn parse(f: &ConsentementForm, today: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let objet = ObjetConsentement::parse(&f.objet).unwrap_or_else(|| {
            e.add("objet", "Choisissez l'objet du consentement.");
            ObjetConsentement::InformationSecretPartage
        });
        let donne = match f.donne.as_str() {
            "oui" => true,
            "non" => false,
            _ => {
                e.add("donne", "Indiquez si la personne consent ou refuse.");
                false
            }
        };
        let mode = MODES
            .iter()
            .find(|(c, _)| *c == f.mode)
            .map(|(c, _)| *c)
            .unwrap_or_else(|| {
                e.add("mode", "Indiquez comment la personne s'est exprimée.");
                "oral"
            });
        let le = parse_date_evenement(&mut e, "le", "La date", &f.le, today);
        e.into_result()?;
        Ok(Self {
            objet,
            donne,
            mode,
            le,
        })
    }
}

/// The answer deadline of an access request received on `recue_le` (GDPR art. 12(3)): one month, or
/// three when the person was told of the extension within the first month.
pub fn echeance_acces(recue_le: NaiveDate, prolongee: bool) -> NaiveDate {
    let mois = if prolongee { 3 } else { 1 };
    recue_le
        .checked_add_months(Months::new(mois))
        .unwrap_or(recue_le)
}

/// What the retention rules decide for a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Sort {
    /// Still in the active base.
    Actif,
    /// Leaves the active base: intermediate archiving, access restricted.
    Archiver,
    /// End of the intermediate archiving: anonymised (destruction needs the visa of the Archives
    /// départementales, Code du patrimoine L212-2; the application records it).
    Anonymiser,
}

/// The rules, from the settings: months of the active base after the last activity of a closed
/// dossier (reference §8.3.3, 2 years, P) and months of intermediate archiving (UNCONFIRMED: the
/// département's tableau de gestion decides, §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regles {
    pub actif_mois: u32,
    pub archive_mois: u32,
}

impl Regles {
    /// Decides for a dossier: open dossiers stay active whatever their age; a closed one is archived
    /// `actif_mois` after its last activity (closure or latest écrit), anonymised `archive_mois` after
    /// its archiving.
    pub fn decider(
        &self,
        today: NaiveDate,
        clos_le: Option<NaiveDate>,
        derniere_activite: NaiveDate,
        archive_le: Option<NaiveDate>,
    ) -> Sort {
        let Some(clos) = clos_le else {
            return Sort::Actif;
        };
        let base = clos.max(derniere_activite);
        match archive_le {
            Some(a) => {
                if a.checked_add_months(Months::new(self.archive_mois))
                    .is_some_and(|limite| limite <= today)
                {
                    Sort::Anonymiser
                } else {
                    Sort::Actif
                }
            }
            None => {
                if base
                    .checked_add_months(Months::new(self.actif_mois))
                    .is_some_and(|limite| limite <= today)
                {
                    Sort::Archiver
                } else {
                    Sort::Actif
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, j).unwrap()
    }

    #[test]
    fn the_access_deadline_is_one_month_or_three_when_extended() {
        assert_eq!(echeance_acces(d(2026, 1, 31), false), d(2026, 2, 28));
        assert_eq!(echeance_acces(d(2026, 1, 15), true), d(2026, 4, 15));
    }

    #[test]
    fn retention_archives_two_years_after_the_last_activity_then_anonymises() {
        let r = Regles {
            actif_mois: 24,
            archive_mois: 60,
        };
        let today = d(2026, 11, 23);
        // Open: never touched.
        assert_eq!(r.decider(today, None, d(2010, 1, 1), None), Sort::Actif);
        // Closed 3 years ago, nothing since: archived.
        assert_eq!(
            r.decider(today, Some(d(2023, 10, 1)), d(2023, 9, 1), None),
            Sort::Archiver
        );
        // Closed 3 years ago but written in last year: still active.
        assert_eq!(
            r.decider(today, Some(d(2023, 10, 1)), d(2025, 6, 1), None),
            Sort::Actif
        );
        // Archived 6 years ago: anonymised.
        assert_eq!(
            r.decider(
                today,
                Some(d(2015, 1, 1)),
                d(2015, 1, 1),
                Some(d(2020, 1, 1))
            ),
            Sort::Anonymiser
        );
    }

    #[test]
    fn a_consent_needs_its_object_answer_mode_and_a_past_date() {
        let Invalid(e) = NewConsentement::parse(
            &ConsentementForm {
                objet: "x".into(),
                donne: String::new(),
                mode: String::new(),
                le: "01/01/2999".into(),
            },
            d(2026, 11, 23),
        )
        .unwrap_err();
        assert_eq!(e.0.len(), 4);
    }
}
