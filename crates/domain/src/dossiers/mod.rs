//! Dossiers (capability 2, « dossier unique »): the file shared by the services that follow a person or
//! a foyer — its journal of écrits (never silently edited), its documents, its référents per service and
//! its plan d'action — and the rules of the secret partagé that decide who reads each piece.

mod cloture;
mod documents;
mod ecrits;
mod plan;
pub mod secret;

pub use cloture::*;
pub use documents::*;
pub use ecrits::*;
pub use plan::*;
pub use secret::{AccesMotiveForm, BaseLegale, NewAccesMotive, Visibilite};

use serde::{Deserialize, Serialize};

/// What a dossier is about: one person, or a whole foyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Titulaire {
    Personne(i64),
    Foyer(i64),
}

/// A dossier and the services that follow it today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dossier {
    pub id: i64,
    pub titulaire: Titulaire,
    pub intitule: String,
    pub ouvert_le: String,
    pub clos_le: Option<String>,
    /// Services following the dossier now (their agents share what is written « au dossier »).
    pub services: Vec<i64>,
}

impl Dossier {
    pub fn est_clos(&self) -> bool {
        self.clos_le.is_some()
    }
}

/// A référent: the agent who carries the dossier for a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referent {
    pub service_id: i64,
    pub service_nom: String,
    pub agent_id: i64,
    pub agent_nom: String,
    pub depuis: String,
}
