//! Jobs about the groupes projet drawn by lot.

pub mod calcul;
