//! Fair, exact and verifiable sortition (« tirage au sort ») of project groups: leximin
//! selection probabilities under quotas, seeded draw, and independent verification.
#![doc = include_str!("../README.md")]

mod cli;
mod distribution;
mod error;
mod graine;
mod input;
mod leximin;
mod relaxation;
mod solveur;
mod verification;

pub use cli::{run, PublierArgs, TirageAction, TirageCommand, TirerArgs, VerifierArgs};
pub use distribution::{
    vers_json, Calcul, Distribution, Empreintes, Panel, PanelTypePublie, Resultat, TypePublie,
};
pub use error::{Relaxation, TirageError};
pub use graine::{draw, engagement, graine_depuis_revelations, uniforme, SEPARATEUR};
pub use input::{
    parse_quotas, parse_volontaires, Caracteristique, Instance, Quotas, Type, ValeurQuota,
    Volontaire, Volontaires,
};
pub use leximin::{leximin, Options, Progression, Rappel, GRAND_MAITRE};
pub use verification::{
    verifier_distribution, verify, Rapport, SourceGraine, TOLERANCE_COHERENCE, TOLERANCE_OPTIMUM,
};

/// Draws with `seed` from `distribution` and packages the publishable result.
pub fn tirer(distribution: Distribution, seed: &str, revelations: Vec<String>) -> Resultat {
    let panel = draw(&distribution, seed);
    Resultat {
        distribution,
        seed: seed.to_owned(),
        revelations,
        selected: panel.members,
    }
}
