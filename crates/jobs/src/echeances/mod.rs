//! Jobs of the échéancier: the daily digest of due dates (escalation).

pub mod relances;
