//! The end of an accompaniment: a dossier is closed with the reason the accompaniment ended (a
//! closed dossier can no longer be written to), and reopened with a reason when the person comes back
//! or the closing was a mistake. Both stay in the dossier's history.

use serde::{Deserialize, Serialize};

use crate::validation::{optional_text, required_text, FieldErrors, Invalid};

/// Why the accompaniment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MotifCloture {
    ObjectifsAtteints,
    Orientation,
    Demenagement,
    FinAdhesion,
    SansNouvelles,
    Deces,
    Autre,
}

impl MotifCloture {
    pub const ALL: [MotifCloture; 7] = [
        Self::ObjectifsAtteints,
        Self::Orientation,
        Self::Demenagement,
        Self::FinAdhesion,
        Self::SansNouvelles,
        Self::Deces,
        Self::Autre,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Self::ObjectifsAtteints => "objectifs_atteints",
            Self::Orientation => "orientation",
            Self::Demenagement => "demenagement",
            Self::FinAdhesion => "fin_adhesion",
            Self::SansNouvelles => "sans_nouvelles",
            Self::Deces => "deces",
            Self::Autre => "autre",
        }
    }
    pub fn libelle(self) -> &'static str {
        match self {
            Self::ObjectifsAtteints => "Objectifs de l'accompagnement atteints",
            Self::Orientation => "Relais pris par un autre service ou un partenaire",
            Self::Demenagement => "Déménagement hors du territoire",
            Self::FinAdhesion => "La personne met fin à l'accompagnement",
            Self::SansNouvelles => "Sans nouvelles de la personne",
            Self::Deces => "Décès",
            Self::Autre => "Autre motif (à préciser)",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == s)
    }
}

/// The closing form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClotureForm {
    #[serde(default)]
    pub motif: String,
    #[serde(default)]
    pub precision: String,
}

/// A valid closing: its reason and, for « autre » or when the agent adds one, a precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCloture {
    pub motif: MotifCloture,
    pub precision: Option<String>,
}

impl NewCloture {
    pub fn parse(f: &ClotureForm) -> Result<Self, Invalid> {
        let mut e = FieldErrors::new();
        let motif = MotifCloture::parse(f.motif.trim());
        if motif.is_none() {
            e.add(
                "motif",
                "Choisissez le motif de la fin de l'accompagnement.",
            );
        }
        let precision = optional_text(&mut e, "precision", "La précision", &f.precision, 500);
        if motif == Some(MotifCloture::Autre) && precision.is_none() && e.get("precision").is_none()
        {
            e.add(
                "precision",
                "Précisez le motif de la fin de l'accompagnement.",
            );
        }
        e.into_result()?;
        Ok(NewCloture {
            motif: motif.unwrap_or(MotifCloture::Autre),
            precision,
        })
    }
}

/// Why a closed dossier is reopened (required: the history says why writing resumed).
pub fn parse_reouverture(motif: &str) -> Result<String, Invalid> {
    let mut e = FieldErrors::new();
    let m = required_text(
        &mut e,
        "motif_reouverture",
        "Le motif de la réouverture",
        motif,
        500,
    );
    e.into_result()?;
    Ok(m)
}

/// One closing of a dossier, and its reopening if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cloture {
    pub clos_le: String,
    pub motif: MotifCloture,
    pub precision: Option<String>,
    pub par: String,
    pub rouvert_le: Option<String>,
    pub motif_reouverture: Option<String>,
    pub rouvert_par: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_needs_its_reason_and_other_needs_a_precision() {
        let e = NewCloture::parse(&ClotureForm::default()).unwrap_err();
        assert!(e.0.get("motif").is_some());
        let e = NewCloture::parse(&ClotureForm {
            motif: "autre".into(),
            precision: " ".into(),
        })
        .unwrap_err();
        assert!(e.0.get("precision").is_some());
        let ok = NewCloture::parse(&ClotureForm {
            motif: "demenagement".into(),
            precision: String::new(),
        })
        .unwrap();
        assert_eq!(ok.motif, MotifCloture::Demenagement);
        assert!(parse_reouverture("").is_err());
        assert_eq!(
            parse_reouverture(" Nouvelle demande ").unwrap(),
            "Nouvelle demande"
        );
    }
}
