//! Jobs about the audit log.

pub mod verifier;
