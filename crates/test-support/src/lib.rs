#![doc = include_str!("../README.md")]

mod db;
mod fixture;
pub mod smtp;

pub use db::{TestBackend, TestDb};
pub use fixture::{AgentsB, Fixture, OtherFixture, COMMUNES, PASSWORD};
