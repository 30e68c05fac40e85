//! Jobs about sign-in sessions.

pub mod purger;
