//! Jobs of the RGPD: the retention passes.

pub mod conservation;
