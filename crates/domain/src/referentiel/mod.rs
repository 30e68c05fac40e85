//! Référentiel (capability 1): the territorial organisation of the département — territoires
//! (UTASI/DTS/TIS), sites (MDS/MDD/CMS), secteurs, communes by INSEE code, permanences sociales,
//! services, métiers, postes and agents — with the validation of each and the CSV imports.

pub mod import;
mod types;

pub use types::*;
