//! Personnes et foyers (capability 2, « personne, foyer et dossier unique »): the état civil of the
//! people the services receive (names, sex, birth, NIR, contacts), their dated situation and address,
//! the foyers they belong to over time, and the normalisation used to find them again.

mod contact;
mod etat_civil;
mod foyer;
pub mod nir;
mod recherche;
mod situation;

pub use contact::{ContactKind, Telephone};
pub use etat_civil::*;
pub use foyer::*;
pub use nir::Nir;
pub use recherche::{fold, nom_recherche, Recherche};
pub use situation::*;
