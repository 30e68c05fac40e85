//! Jobs of the duplicate review: the batch analysis of the whole base.

pub mod analyse;
