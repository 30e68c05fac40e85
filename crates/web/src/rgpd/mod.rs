//! RGPD: the person's rights (consents, access requests, the access archive, transmissions to other
//! teams), the retention passes, and the DPO's register of the requests, in pages and in `/api/v1`.

pub mod api;
pub mod conservation;
pub mod pages;
pub mod registre;
pub(crate) mod routes;
