//! The `parcours doublons` command: reads records, finds the duplicate pairs, writes them.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{find_pairs, read_records, write_pairs, Options};

/// Détecte les doublons probables d'un fichier de personnes.
#[derive(Debug, Clone, clap::Args)]
pub struct DoublonsCommand {
    /// Fichier CSV des personnes (en-tête : record_id,nom_naissance,nom_usage,prenoms,sexe,
    /// date_naissance,commune_naissance_insee,adresse,code_postal,commune)
    #[arg(long, value_name = "FICHIER")]
    pub entree: PathBuf,
    /// Fichier CSV des paires écrit (record_id_a,record_id_b,score)
    #[arg(long, value_name = "FICHIER")]
    pub sortie: PathBuf,
    /// Score minimal (entre 0 et 1) d'une paire retenue
    #[arg(long, value_name = "SCORE")]
    pub seuil: Option<f64>,
}

/// Runs the command; progress goes to stderr.
pub fn run(cmd: DoublonsCommand) -> anyhow::Result<()> {
    let mut options = Options::default();
    if let Some(s) = cmd.seuil {
        if !(0.0..=1.0).contains(&s) {
            bail!("--seuil doit être compris entre 0 et 1 (reçu {s})");
        }
        options.seuil = s;
    }
    let fichier = File::open(&cmd.entree)
        .with_context(|| format!("ouverture impossible de {}", cmd.entree.display()))?;
    let records = read_records(BufReader::with_capacity(1 << 20, fichier))
        .with_context(|| format!("lecture de {}", cmd.entree.display()))?;
    eprintln!("{} personnes lues", records.len());
    let debut = std::time::Instant::now();

    let barre = ProgressBar::new(0);
    barre.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} paires candidates ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    barre.set_message("comparaison");
    let paires = find_pairs(&records, &options, |fait, total| {
        barre.set_length(total);
        barre.set_position(fait);
    });
    barre.finish_and_clear();
    if std::env::var_os("DOUBLONS_DEBUG").is_some() {
        eprintln!("comparaison : {:?}", debut.elapsed());
    }

    let sortie = File::create(&cmd.sortie)
        .with_context(|| format!("création impossible de {}", cmd.sortie.display()))?;
    write_pairs(BufWriter::new(sortie), &paires)
        .with_context(|| format!("écriture de {}", cmd.sortie.display()))?;
    eprintln!(
        "{} paires de doublons probables écrites dans {}",
        paires.len(),
        cmd.sortie.display()
    );
    Ok(())
}
