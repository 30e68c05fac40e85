//! The two commands without the rest of the `parcours` binary, for the benchmark (builds in a
//! fraction of the time): `sectorisation …` and `affectation …` as in `parcours`.

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    commande: Commande,
}

#[derive(Subcommand)]
enum Commande {
    Sectorisation(parcours_sectorisation::SectorisationCommand),
    Affectation(parcours_sectorisation::AffectationCommand),
}

fn main() {
    let r = match Cli::parse().commande {
        Commande::Sectorisation(c) => parcours_sectorisation::run_sectorisation(c),
        Commande::Affectation(c) => parcours_sectorisation::run_affectation(c),
    };
    if let Err(e) = r {
        eprintln!("erreur : {e:#}");
        std::process::exit(1);
    }
}
