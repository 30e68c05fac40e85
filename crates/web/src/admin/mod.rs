//! Administration: the job queue and the API tokens of service accounts.

pub mod pages;
pub(crate) mod routes;
