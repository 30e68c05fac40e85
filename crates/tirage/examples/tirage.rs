//! Stand-in for the main `parcours` binary: `cargo run --example tirage -- tirage …`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use parcours_tirage::{run, TirageCommand};

#[derive(Parser)]
#[command(name = "parcours")]
struct Cli {
    #[command(subcommand)]
    commande: Commande,
}

#[derive(Subcommand)]
enum Commande {
    /// Tirage au sort leximin exact et vérifiable.
    Tirage(TirageCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Commande::Tirage(cmd) = cli.commande;
    match run(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}
