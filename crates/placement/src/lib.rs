//! Orientation of children entrusted to the ASE towards places (`placement.md`): instance parsing
//! and validation, the objective and an independent checker, a greedy baseline, the engine
//! (relaxation bound, local and large-neighbourhood search with HiGHS) and the exact MIP,
//! explanations of each proposal, and a generator of instances.
#![doc = include_str!("../README.md")]
// Children and places are indices shared by many parallel arrays: index loops read best.
#![allow(clippy::needless_range_loop)]

mod candidats;
mod cli;
mod cout;
mod error;
mod explication;
mod generateur;
mod glouton;
mod instance;
mod lagrangien;
mod mip;
mod moteur;
mod relaxation;

pub use candidats::candidats;
pub use cli::{
    ecrire_solution, resume, run, GenererArgs, PlacementAction, PlacementCommand, ResoudreArgs,
};
pub use cout::{
    c5_groupe, c5_places, cout, cout_choix, cout_non_place, cout_paire, termes, verifier, Detail,
    Solution,
};
pub use error::PlacementError;
pub use explication::{ecrire_explications, expliquer, Explication};
pub use generateur::{ecrire_instance, generer, generer_forme, Forme};
pub use glouton::glouton;
pub use instance::{
    distance_km, isqrt, Child, Commune, Exclusion, Instance, Place, SexePlace, BESOIN_H, BESOIN_T,
};
pub use lagrangien::{borne_lagrangienne, Paires};
pub use mip::{exact, ResultatMip};
pub use moteur::{resoudre, Methode, Options, Rappel, Resultat};
pub use relaxation::{relaxation, Relaxation};
