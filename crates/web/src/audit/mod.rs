//! Audit: the data-protection officer's audit screen, and who consulted a dossier (« Qui a consulté
//! ce dossier », also read by the person's access archive).

pub mod consultations;
pub mod pages;
pub(crate) mod routes;
