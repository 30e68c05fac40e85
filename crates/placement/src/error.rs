//! The crate's error type: every failure a user can cause, with a French message naming where it is.

use thiserror::Error;

/// Everything that can go wrong while reading an instance or a fixing file, or solving.
/// Messages are in French because they are shown to users as is.
#[derive(Debug, Error)]
pub enum PlacementError {
    /// A cell (or a row) of an input file is wrong: file, line (header is line 1), column.
    #[error("{fichier}, ligne {ligne}, colonne {colonne} : {message}")]
    Donnee {
        fichier: String,
        ligne: u64,
        colonne: String,
        message: String,
    },

    /// A column is missing from the header line.
    #[error("{fichier}, ligne 1 : colonne « {colonne} » manquante dans l'en-tête")]
    ColonneManquante { fichier: String, colonne: String },

    /// The file cannot be opened or is not valid CSV / UTF-8.
    #[error("{fichier} : {detail}")]
    Fichier { fichier: String, detail: String },

    /// The fixings leave no feasible solution (the children already placed cannot all stay placed).
    #[error("fixations impossibles à respecter : {0}")]
    FixationsIncompatibles(String),

    /// HiGHS failed in an unexpected way.
    #[error("échec du solveur HiGHS : {0}")]
    Solveur(String),
}

impl PlacementError {
    pub(crate) fn donnee(
        fichier: &str,
        ligne: u64,
        colonne: &str,
        message: impl Into<String>,
    ) -> Self {
        PlacementError::Donnee {
            fichier: fichier.to_owned(),
            ligne,
            colonne: colonne.to_owned(),
            message: message.into(),
        }
    }

    /// Stable short name of the variant, handy for tests.
    pub fn code(&self) -> &'static str {
        match self {
            PlacementError::Donnee { .. } => "donnee",
            PlacementError::ColonneManquante { .. } => "colonne_manquante",
            PlacementError::Fichier { .. } => "fichier",
            PlacementError::FixationsIncompatibles(_) => "fixations_incompatibles",
            PlacementError::Solveur(_) => "solveur",
        }
    }
}
