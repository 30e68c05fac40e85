//! Sectorisation and workload (`sectorisation.md`): instances read and checked, sector maps and
//! their measures (balance class, compactness), the re-sectorisation engine, the assignment of new
//! situations under the caps, and a generator of instances.
// Units, posts and workers are indices shared by parallel arrays: index loops read best.
#![allow(clippy::needless_range_loop)]

mod affectation;
mod carte;
mod cli;
mod error;
mod exact;
mod generateur;
mod instance;
mod mesure;
mod partition;

pub use affectation::{
    affecter, depart_actuel, depart_selon_carte, heures_tiennent, verifier, Bilan, Depart,
    HEURES_ETP,
};
pub use carte::{composantes, ecrire_partition, lire_partition, valider};
pub use cli::{
    resume, run_affectation, run_sectorisation, AffectationCommand, GenererArgs, MesurerArgs,
    Methode, SectorisationAction, SectorisationCommand,
};
pub use error::SectorisationError;
pub use exact::{exact, ResultatExact};
pub use generateur::{generer, Forme, GRILLE};
pub use instance::{Agent, Instance, Mode, Poids, Poste, Situation, Unite, KIND_RSA};
pub use mesure::{classe, cout_secteur, distance, mesurer, tau, Mesure, MesureMds, MesurePoste};
pub use partition::{resectoriser, Options, Probleme};
