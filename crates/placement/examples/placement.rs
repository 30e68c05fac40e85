//! Stand-in for the main `parcours` binary: `cargo run --release --example placement -- placement …`
//! (the benchmark uses it to avoid building the whole application).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parcours_placement::{run, PlacementCommand};

#[derive(Parser)]
#[command(name = "parcours")]
struct Cli {
    #[command(subcommand)]
    commande: Commande,
}

#[derive(Subcommand)]
enum Commande {
    /// Propositions d'orientation des enfants vers les places d'accueil.
    Placement(PlacementCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Commande::Placement(cmd) = cli.commande;
    match run(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}
