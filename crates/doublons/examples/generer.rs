//! Generates a synthetic test set: `records.csv` and `truth.csv` (true duplicate pairs).
//!
//! Usage: generer --n 100000 --seed 42 --sortie DIR

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use parcours_doublons::csvio::write_records;
use parcours_doublons::synthese::generer;

/// Génère un jeu de personnes synthétiques et la vérité terrain des doublons.
#[derive(Parser)]
struct Cli {
    /// Nombre de fiches
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    /// Graine du générateur
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Dossier de sortie
    #[arg(long, default_value = ".")]
    sortie: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    std::fs::create_dir_all(&cli.sortie)
        .with_context(|| format!("création de {}", cli.sortie.display()))?;
    let jeu = generer(cli.n, cli.seed);
    let records = File::create(cli.sortie.join("records.csv"))?;
    write_records(BufWriter::new(records), &jeu.records)?;
    let mut verite = BufWriter::new(File::create(cli.sortie.join("truth.csv"))?);
    writeln!(verite, "record_id_a,record_id_b")?;
    for (a, b) in &jeu.verite {
        writeln!(verite, "{a},{b}")?;
    }
    verite.flush()?;
    eprintln!(
        "{} fiches, {} paires de doublons vraies",
        jeu.records.len(),
        jeu.verite.len()
    );
    Ok(())
}
