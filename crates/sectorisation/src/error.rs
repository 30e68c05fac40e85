//! The crate's error type: every failure a user can cause, with a French message naming where it is.

use thiserror::Error;

/// Everything that can go wrong while reading an instance or a map, or solving. Messages are in
/// French because they are shown to users as is.
#[derive(Debug, Error)]
pub enum SectorisationError {
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

    /// The files are each well formed but do not fit together (an MDS whose units are not
    /// linked, more posts than units, a post with no unit in a map…).
    #[error("{fichier} : {message}")]
    Incoherence { fichier: String, message: String },

    /// HiGHS failed in an unexpected way.
    #[error("échec du solveur HiGHS : {0}")]
    Solveur(String),
}

impl SectorisationError {
    pub(crate) fn donnee(
        fichier: &str,
        ligne: u64,
        colonne: &str,
        message: impl Into<String>,
    ) -> Self {
        SectorisationError::Donnee {
            fichier: fichier.to_owned(),
            ligne,
            colonne: colonne.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn incoherence(fichier: &str, message: impl Into<String>) -> Self {
        SectorisationError::Incoherence {
            fichier: fichier.to_owned(),
            message: message.into(),
        }
    }

    /// Stable short name of the variant, handy for tests.
    pub fn code(&self) -> &'static str {
        match self {
            SectorisationError::Donnee { .. } => "donnee",
            SectorisationError::ColonneManquante { .. } => "colonne_manquante",
            SectorisationError::Fichier { .. } => "fichier",
            SectorisationError::Incoherence { .. } => "incoherence",
            SectorisationError::Solveur(_) => "solveur",
        }
    }
}
