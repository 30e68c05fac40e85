//! RGPD: the person's rights (consents, access requests, the access archive, transmissions to other
//! teams) and the retention passes, in pages and in `/api/v1`.

pub mod api;
pub mod conservation;
pub mod pages;
pub(crate) mod routes;
