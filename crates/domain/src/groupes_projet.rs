//! Groupes projet of the schéma drawn by lot among volunteers (seed 003): their life cycle and the
//! validation of their form. The computation itself (LEXIMIN, draw, verification) is the `tirage`
//! crate's.

use serde::Serialize;

use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

/// Where a group stands. Registrations close when the distribution is computed, so that the published
/// inputs stay those the draw used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Statut {
    Inscriptions,
    Calcul,
    EchecCalcul,
    Publie,
    Tire,
}

impl Statut {
    pub fn code(self) -> &'static str {
        match self {
            Statut::Inscriptions => "inscriptions",
            Statut::Calcul => "calcul",
            Statut::EchecCalcul => "echec_calcul",
            Statut::Publie => "publie",
            Statut::Tire => "tire",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Statut::Inscriptions,
            Statut::Calcul,
            Statut::EchecCalcul,
            Statut::Publie,
            Statut::Tire,
        ]
        .into_iter()
        .find(|x| x.code() == s)
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Statut::Inscriptions => "inscriptions ouvertes",
            Statut::Calcul => "calcul des chances en cours",
            Statut::EchecCalcul => "calcul impossible",
            Statut::Publie => "chances publiées, tirage à venir",
            Statut::Tire => "tiré au sort",
        }
    }
    /// Volunteers may register or be imported only before the computation.
    pub fn inscriptions_ouvertes(self) -> bool {
        matches!(self, Statut::Inscriptions | Statut::EchecCalcul)
    }
}

/// The form of a new group, parsed (the quotas are checked by the `tirage` crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroupe {
    pub nom: String,
    pub description: String,
    pub taille: i64,
    pub quotas_csv: String,
}

impl NewGroupe {
    pub fn parse(
        nom: &str,
        description: &str,
        taille: &str,
        quotas_csv: &str,
    ) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let nom = required_text(&mut e, "nom", "Le nom", nom, 120);
        let description = optional_text(&mut e, "description", "La description", description, 2000)
            .unwrap_or_default();
        let taille = match taille.trim().parse::<i64>() {
            Ok(t) if (1..=1000).contains(&t) => t,
            _ => {
                e.add(
                    "taille",
                    "La taille du groupe est un nombre entier entre 1 et 1000.",
                );
                0
            }
        };
        let quotas_csv = quotas_csv.trim().replace("\r\n", "\n");
        if quotas_csv.is_empty() {
            e.add(
                "quotas",
                "Les quotas sont obligatoires (en-tête feature,value,min,max).",
            );
        }
        e.into_result()?;
        Ok(Self {
            nom,
            description,
            taille,
            quotas_csv: format!("{quotas_csv}\n"),
        })
    }
}

/// An identifier of a volunteer as written in the published `people.csv`: no comma, quote or line
/// break, so that the published file reads the same everywhere.
pub fn valid_identifiant(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_needs_a_name_a_size_and_quotas() {
        let err = NewGroupe::parse("", "", "0", "").unwrap_err();
        for f in ["nom", "taille", "quotas"] {
            assert!(err.0.get(f).is_some(), "{f}");
        }
        let ok = NewGroupe::parse(
            "Groupe accueil",
            "",
            "12",
            "feature,value,min,max\r\nservice,ASE,1,3",
        )
        .unwrap();
        assert_eq!(ok.quotas_csv, "feature,value,min,max\nservice,ASE,1,3\n");
    }

    #[test]
    fn registrations_close_once_the_chances_are_computed() {
        assert!(Statut::Inscriptions.inscriptions_ouvertes());
        assert!(!Statut::Publie.inscriptions_ouvertes());
        assert!(!Statut::Tire.inscriptions_ouvertes());
    }
}
