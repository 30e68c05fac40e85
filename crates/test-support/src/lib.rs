#![doc = include_str!("../README.md")]

pub mod attaque;
mod db;
mod fixture;
pub mod smtp;

pub use attaque::lever_la_garde_du_journal;
pub use db::{TestBackend, TestDb};
pub use fixture::{AgentsB, Fixture, OtherFixture, COMMUNES, PASSWORD};
