//! The foyer (household): people who live together, each with a role and the dates they arrived and
//! left. Membership runs from the arrival day included to the departure day excluded, so a person who
//! moves from one foyer to another the same day is in exactly one foyer on every date, and the
//! composition on any past date can be read back.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::etat_civil::{parse_date_evenement, parse_date_text, PersonneResume};
use crate::referentiel::parse_id;
use crate::validation::{FieldErrors, Invalid};

/// The role of a member in the foyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleFoyer {
    Demandeur,
    Conjoint,
    Enfant,
    Autre,
}

impl RoleFoyer {
    pub const ALL: [RoleFoyer; 4] = [Self::Demandeur, Self::Conjoint, Self::Enfant, Self::Autre];
    pub fn code(self) -> &'static str {
        match self {
            Self::Demandeur => "DEMANDEUR",
            Self::Conjoint => "CONJOINT",
            Self::Enfant => "ENFANT",
            Self::Autre => "AUTRE",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::Demandeur => "Demandeur",
            Self::Conjoint => "Conjoint ou concubin",
            Self::Enfant => "Enfant",
            Self::Autre => "Autre personne du foyer",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code.trim())
    }
}

/// A stretch of time in a foyer: from `arrivee` included to `depart` excluded (`None`: still there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Periode {
    #[schema(value_type = String, format = Date)]
    pub arrivee: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub depart: Option<NaiveDate>,
}

impl Periode {
    /// Whether the person is in the foyer on `date`.
    pub fn contient(&self, date: NaiveDate) -> bool {
        self.arrivee <= date && self.depart.is_none_or(|d| date < d)
    }

    /// Whether two periods share at least one day.
    pub fn chevauche(&self, other: &Periode) -> bool {
        let ends_after = |p: &Periode, start: NaiveDate| p.depart.is_none_or(|d| d > start);
        // A period that ends the day it starts holds no day and overlaps nothing.
        !self.vide()
            && !other.vide()
            && ends_after(self, other.arrivee)
            && ends_after(other, self.arrivee)
    }

    fn vide(&self) -> bool {
        self.depart.is_some_and(|d| d <= self.arrivee)
    }
}

/// The message for a new membership that overlaps an existing one, or `None` when it fits. The same
/// person cannot be in two foyers (nor twice in one) on the same date.
pub fn chevauchement(existantes: &[Periode], nouvelle: &Periode) -> Option<String> {
    let p = existantes.iter().find(|p| p.chevauche(nouvelle))?;
    Some(match p.depart {
        None => format!(
            "Cette personne fait déjà partie d'un foyer depuis le {} : enregistrez d'abord son départ.",
            p.arrivee.format("%d/%m/%Y")
        ),
        Some(d) => format!(
            "Cette personne faisait déjà partie d'un foyer du {} au {} : une personne ne peut pas être dans deux foyers à la même date.",
            p.arrivee.format("%d/%m/%Y"),
            d.format("%d/%m/%Y")
        ),
    })
}

/// The raw fields of the « add a member » form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct MembreForm {
    #[serde(default)]
    pub personne_id: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub arrivee: String,
    #[serde(default)]
    pub depart: String,
}

/// A membership to record, valid on its own (the overlap with other foyers is checked by the store,
/// which sees them).
#[derive(Debug, Clone, PartialEq)]
pub struct NewMembre {
    pub personne_id: i64,
    pub role: RoleFoyer,
    pub periode: Periode,
}

/// Checks a departure date against the arrival; the message goes beside the `depart` field.
pub fn check_depart(arrivee: NaiveDate, depart: NaiveDate) -> Result<(), String> {
    if depart < arrivee {
        Err(format!(
            "La date de départ ne peut pas précéder la date d'arrivée ({}).",
            arrivee.format("%d/%m/%Y")
        ))
    } else {
        Ok(())
    }
}

/// Parses the departure date of the « leave » form (not in the future: it records a fact).
pub fn parse_depart(text: &str, today: NaiveDate) -> Result<NaiveDate, Invalid> {
    let mut e = FieldErrors::new();
    let d = parse_date_evenement(&mut e, "depart", "La date de départ", text, today);
    e.into_result()?;
    Ok(d)
}

impl NewMembre {
    pub fn parse(f: &MembreForm, today: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let personne_id = parse_id(
            &mut e,
            "personne_id",
            &f.personne_id,
            "Choisissez la personne.",
        );
        let role = RoleFoyer::parse(&f.role);
        if role.is_none() {
            e.add("role", "Choisissez le rôle dans le foyer.");
        }
        let arrivee =
            parse_date_evenement(&mut e, "arrivee", "La date d'arrivée", &f.arrivee, today);
        let depart = if f.depart.trim().is_empty() {
            None
        } else {
            match parse_date_text(&f.depart) {
                Some(d) if d > today => {
                    e.add(
                        "depart",
                        "La date de départ ne peut pas être dans le futur.",
                    );
                    None
                }
                Some(d) => {
                    if e.get("arrivee").is_none() {
                        if let Err(m) = check_depart(arrivee, d) {
                            e.add("depart", m);
                        }
                    }
                    Some(d)
                }
                None => {
                    e.add(
                        "depart",
                        format!(
                            "« {} » n'est pas une date existante (JJ/MM/AAAA).",
                            f.depart.trim()
                        ),
                    );
                    None
                }
            }
        };
        e.into_result()?;
        Ok(Self {
            personne_id,
            role: role.unwrap_or(RoleFoyer::Autre),
            periode: Periode { arrivee, depart },
        })
    }
}

/// A foyer as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Foyer {
    pub id: i64,
    pub created_at: String,
}

/// A membership as stored, with what a list shows of the person.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Membre {
    pub id: i64,
    pub foyer_id: i64,
    pub role: RoleFoyer,
    pub periode: Periode,
    pub personne: PersonneResume,
}

/// The members present on `date`, demandeur first, then conjoint, children, others.
pub fn composition_le(membres: &[Membre], date: NaiveDate) -> Vec<&Membre> {
    let mut out: Vec<&Membre> = membres
        .iter()
        .filter(|m| m.periode.contient(date))
        .collect();
    out.sort_by_key(|m| (m.role as u8, m.personne.date_naissance, m.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personnes::Sexe;

    fn d(y: i32, m: u32, j: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, j).unwrap()
    }
    fn p(a: NaiveDate, b: Option<NaiveDate>) -> Periode {
        Periode {
            arrivee: a,
            depart: b,
        }
    }

    #[test]
    fn a_departure_day_is_no_longer_in_the_foyer_so_a_same_day_move_fits() {
        let left = p(d(2024, 1, 1), Some(d(2024, 3, 1)));
        assert!(left.contient(d(2024, 2, 29)));
        assert!(!left.contient(d(2024, 3, 1)));
        assert!(chevauchement(&[left], &p(d(2024, 3, 1), None)).is_none());
        assert!(chevauchement(&[left], &p(d(2023, 1, 1), Some(d(2024, 1, 1)))).is_none());
    }

    #[test]
    fn overlapping_memberships_are_refused_with_a_french_message() {
        let open = p(d(2024, 1, 1), None);
        let m = chevauchement(&[open], &p(d(2025, 1, 1), None)).unwrap();
        assert!(m.contains("01/01/2024") && m.contains("départ"), "{m}");
        let closed = p(d(2024, 1, 1), Some(d(2024, 6, 1)));
        let m = chevauchement(&[closed], &p(d(2023, 1, 1), Some(d(2024, 1, 2)))).unwrap();
        assert!(m.contains("deux foyers"), "{m}");
        // A period that holds no day (arrival = departure) overlaps nothing.
        assert!(chevauchement(&[open], &p(d(2025, 1, 1), Some(d(2025, 1, 1)))).is_none());
    }

    #[test]
    fn the_member_form_refuses_a_departure_before_the_arrival() {
        let today = d(2026, 5, 20);
        let f = MembreForm {
            personne_id: "12".into(),
            role: "ENFANT".into(),
            arrivee: "2025-03-01".into(),
            depart: "28/02/2025".into(),
        };
        let err = NewMembre::parse(&f, today).unwrap_err();
        assert!(err.0.get("depart").unwrap().contains("précéder"));
        let ok = NewMembre::parse(
            &MembreForm {
                depart: "01/03/2025".into(),
                ..f
            },
            today,
        )
        .unwrap();
        assert_eq!(ok.role, RoleFoyer::Enfant);
        let err = NewMembre::parse(&MembreForm::default(), today).unwrap_err();
        for field in ["personne_id", "role", "arrivee"] {
            assert!(err.0.get(field).is_some(), "{field}");
        }
        assert!(parse_depart("2030-01-01", today).is_err());
    }

    #[test]
    fn the_composition_on_a_date_lists_the_members_present_that_day() {
        let membre = |id, role, periode| Membre {
            id,
            foyer_id: 1,
            role,
            periode,
            personne: PersonneResume {
                id,
                nom_naissance: format!("P{id}"),
                nom_usage: None,
                prenoms: vec![],
                sexe: Sexe::Inconnu,
                date_naissance: None,
            },
        };
        let ms = [
            membre(3, RoleFoyer::Enfant, p(d(2020, 5, 1), None)),
            membre(1, RoleFoyer::Demandeur, p(d(2018, 1, 1), None)),
            membre(
                2,
                RoleFoyer::Conjoint,
                p(d(2018, 1, 1), Some(d(2022, 1, 1))),
            ),
        ];
        let ids = |date| {
            composition_le(&ms, date)
                .iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(d(2019, 1, 1)), [1, 2]);
        assert_eq!(ids(d(2021, 1, 1)), [1, 2, 3]);
        assert_eq!(ids(d(2022, 1, 1)), [1, 3]);
        assert!(ids(d(2017, 12, 31)).is_empty());
    }
}
