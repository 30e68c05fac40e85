//! Agents: the staff records of the département, in pages and in `/api/v1`.

pub mod api;
pub mod pages;
pub(crate) mod routes;
