//! The plan d'action of a dossier: objectives agreed with the person, the actions that serve them,
//! their due dates and their outcome.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::personnes::parse_date_text;
use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

/// Where an objective or an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatutPlan {
    EnCours,
    Atteint,
    PartiellementAtteint,
    NonAtteint,
    Abandonne,
}

impl StatutPlan {
    pub const ALL: [StatutPlan; 5] = [
        Self::EnCours,
        Self::Atteint,
        Self::PartiellementAtteint,
        Self::NonAtteint,
        Self::Abandonne,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::EnCours => "en_cours",
            Self::Atteint => "atteint",
            Self::PartiellementAtteint => "partiel",
            Self::NonAtteint => "non_atteint",
            Self::Abandonne => "abandonne",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::EnCours => "En cours",
            Self::Atteint => "Atteint",
            Self::PartiellementAtteint => "Partiellement atteint",
            Self::NonAtteint => "Non atteint",
            Self::Abandonne => "Abandonné",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// An objective or an action of the plan, as typed. `objectif_id` is empty for an objective.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanForm {
    #[serde(default)]
    pub objectif_id: String,
    #[serde(default)]
    pub libelle: String,
    #[serde(default)]
    pub echeance: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlanItem {
    pub objectif_id: Option<i64>,
    pub libelle: String,
    pub echeance: Option<NaiveDate>,
}

impl NewPlanItem {
    /// A due date may be in the future (that is its point) but not before the dossier opened.
    pub fn parse(f: &PlanForm, ouvert_le: NaiveDate) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let libelle = required_text(&mut e, "libelle", "Le libellé", &f.libelle, 300);
        let echeance = match f.echeance.trim() {
            "" => None,
            t => match parse_date_text(t) {
                Some(d) if d < ouvert_le => {
                    e.add(
                        "echeance",
                        "L'échéance ne peut pas précéder l'ouverture du dossier.",
                    );
                    None
                }
                Some(d) => Some(d),
                None => {
                    e.add(
                        "echeance",
                        format!("« {t} » n'est pas une date existante (JJ/MM/AAAA)."),
                    );
                    None
                }
            },
        };
        let objectif_id = match f.objectif_id.trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    e.add("objectif_id", "Objectif inconnu.");
                    None
                }
            },
        };
        e.into_result()?;
        Ok(Self {
            objectif_id,
            libelle,
            echeance,
        })
    }
}

/// Recording the outcome of an objective or an action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ResultatForm {
    #[serde(default)]
    pub statut: String,
    #[serde(default)]
    pub resultat: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResultat {
    pub statut: StatutPlan,
    pub resultat: Option<String>,
}

impl NewResultat {
    pub fn parse(f: &ResultatForm) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let statut = StatutPlan::parse(&f.statut).unwrap_or_else(|| {
            e.add("statut", "Choisissez où en est cet élément du plan.");
            StatutPlan::EnCours
        });
        let resultat = optional_text(&mut e, "resultat", "Le résultat", &f.resultat, 2000);
        if statut != StatutPlan::EnCours && resultat.is_none() && e.get("statut").is_none() {
            e.add("resultat", "Décrivez le résultat obtenu.");
        }
        e.into_result()?;
        Ok(Self { statut, resultat })
    }
}

/// One line of the plan (an objective, or an action under it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    pub id: i64,
    pub objectif_id: Option<i64>,
    pub libelle: String,
    pub echeance: Option<String>,
    pub statut: StatutPlan,
    pub resultat: Option<String>,
    pub created_at: String,
}

/// An objective with its actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objectif {
    pub item: PlanItem,
    pub actions: Vec<PlanItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_and_outcomes() {
        let ouvert = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
        let ok = NewPlanItem::parse(
            &PlanForm {
                objectif_id: String::new(),
                libelle: "Accéder à un logement autonome".into(),
                echeance: "30/06/2027".into(),
            },
            ouvert,
        )
        .unwrap();
        assert_eq!(ok.echeance, NaiveDate::from_ymd_opt(2027, 6, 30));
        let Invalid(e) = NewPlanItem::parse(
            &PlanForm {
                objectif_id: "x".into(),
                libelle: String::new(),
                echeance: "31/02/2027".into(),
            },
            ouvert,
        )
        .unwrap_err();
        assert_eq!(e.0.len(), 3);
        let Invalid(e) = NewResultat::parse(&ResultatForm {
            statut: "atteint".into(),
            resultat: String::new(),
        })
        .unwrap_err();
        assert!(e.get("resultat").is_some());
    }
}
