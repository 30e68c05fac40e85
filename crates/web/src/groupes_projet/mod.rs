//! Groupes projet (seed 003): groups drawn by lot among volunteers, with their published chances.

pub mod pages;
pub(crate) mod routes;
