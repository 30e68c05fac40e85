//! Jobs about the référentiel.

pub mod import;
