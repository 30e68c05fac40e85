//! Référentiel: the département's organisation (territoires, sites, secteurs, communes, permanences,
//! services), its CSV imports, in pages and in `/api/v1`.

pub mod api;
pub mod crud;
pub mod pages;
pub(crate) mod routes;
