//! Precision, recall and F1 of a pairs file against the truth file (no transitive closure).
//!
//! Usage: evaluer PAIRES.csv TRUTH.csv   (prints `precision rappel f1 vp fp fn`)

use std::fs::File;

use anyhow::Context;
use parcours_doublons::evaluation::{evaluer, lire_paires};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [paires, verite] = args.as_slice() else {
        anyhow::bail!("usage : evaluer PAIRES.csv TRUTH.csv");
    };
    let trouvees =
        lire_paires(File::open(paires).with_context(|| format!("ouverture de {paires}"))?)?;
    let vraies =
        lire_paires(File::open(verite).with_context(|| format!("ouverture de {verite}"))?)?;
    let m = evaluer(&trouvees, &vraies);
    println!(
        "{:.4} {:.4} {:.4} {} {} {}",
        m.precision(),
        m.rappel(),
        m.f1(),
        m.vrais_positifs,
        m.faux_positifs,
        m.faux_negatifs
    );
    Ok(())
}
