//! Business rules of Parcours: types, validation and decisions, with no HTTP and no SQL.
//! Each business module has a folder here and the same name in `store` and `web`.

pub mod accueil;
pub mod agenda;
pub mod aides;
pub mod audit;
pub mod demo;
pub mod dossiers;
pub mod echeancier;
pub mod export;
pub mod groupes_projet;
pub mod habilitations;
pub mod personnes;
pub mod procedures;
pub mod referentiel;
pub mod rgpd;
pub mod temps;
pub mod validation;

pub use validation::{FieldErrors, Invalid};
