//! Doublons: the review of likely duplicate persons, their merge and its undo, in pages and in
//! `/api/v1`.

pub mod api;
pub mod pages;
pub(crate) mod routes;
