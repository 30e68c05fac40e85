//! Precision, recall and F1 of a pairs file against a ground truth (pair sets compared as they are:
//! no transitive closure).

use std::collections::HashSet;
use std::io::Read;

/// Counts of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mesures {
    pub vrais_positifs: usize,
    pub faux_positifs: usize,
    pub faux_negatifs: usize,
}

impl Mesures {
    pub fn precision(&self) -> f64 {
        ratio(
            self.vrais_positifs,
            self.vrais_positifs + self.faux_positifs,
        )
    }
    pub fn rappel(&self) -> f64 {
        ratio(
            self.vrais_positifs,
            self.vrais_positifs + self.faux_negatifs,
        )
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.rappel());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Reads a pairs CSV (header line, then two ids per line; further columns ignored); ids are ordered.
pub fn lire_paires<R: Read>(lecteur: R) -> anyhow::Result<HashSet<(String, String)>> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(lecteur);
    let mut paires = HashSet::new();
    for (i, ligne) in csv.records().enumerate() {
        let ligne = ligne?;
        let (Some(a), Some(b)) = (ligne.get(0), ligne.get(1)) else {
            anyhow::bail!("ligne {} : deux identifiants attendus", i + 2);
        };
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        paires.insert((a.to_string(), b.to_string()));
    }
    Ok(paires)
}

/// Compares found pairs with the true ones.
pub fn evaluer(
    trouvees: &HashSet<(String, String)>,
    verite: &HashSet<(String, String)>,
) -> Mesures {
    let vp = trouvees.intersection(verite).count();
    Mesures {
        vrais_positifs: vp,
        faux_positifs: trouvees.len() - vp,
        faux_negatifs: verite.len() - vp,
    }
}
