//! Payment of the financial aids decided in Parcours through a payment provider: a load on a prepaid
//! card or a bank transfer, sent as an order with an idempotency key so that a retry never pays twice.
//!
//! - [`FournisseurHttp`]: the HTTP adapter (`POST /v1/ordres`, `GET /v1/ordres/{cle}`, and the cards:
//!   `POST /v1/cartes`, `POST /v1/cartes/{reference}/blocage`, `GET /v1/cartes/{reference}`), which sorts
//!   every failure into [`ErreurFournisseur::Temporaire`] (retry with the same key) or
//!   [`ErreurFournisseur::Definitive`] (certainly not paid).
//! - the `parcours-fournisseur-test` binary: a test double of the provider's API, run as a real
//!   process, with fault injection; [`processus::FournisseurTest`] starts it from tests.
//!
//! The wire protocol is described in `docs/paiement.md`.

mod carte;
mod client;
mod erreur;
pub mod iban;
mod ordre;
pub mod processus;
pub mod protocole;

pub use carte::{Carte, DemandeBlocage, DemandeCarte};
pub use client::FournisseurHttp;
pub use erreur::ErreurFournisseur;
pub use ordre::{Accuse, Mode, Operation, Ordre};
