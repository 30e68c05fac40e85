//! Independent re-checking of a published distribution or draw: inputs, quotas, probabilities,
//! leximin optimality (by recomputation), seed commitments and the selected panel.

use std::collections::{BTreeMap, BTreeSet};

use crate::distribution::{decomposer, Distribution, PanelType, Resultat};
use crate::error::TirageError;
use crate::graine::{draw, graine_depuis_revelations};
use crate::input::Instance;
use crate::leximin::{leximin, Options, Statistiques};

/// Tolerance for internal consistency of a file (sums, recomputed probabilities).
pub const TOLERANCE_COHERENCE: f64 = 1e-9;
/// Tolerance when comparing with an independent recomputation of the leximin optimum.
pub const TOLERANCE_OPTIMUM: f64 = 1e-6;

/// Where the verifier takes the seed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceGraine {
    /// The seed string, e.g. digits of a public lottery result.
    Chaine(String),
    /// Values revealed after publication, checked against the published commitments.
    Revelations(Vec<String>),
}

/// What was checked, for the CLI's confirmation message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rapport {
    pub panels: usize,
    pub min_probability: f64,
    pub dual_bound: f64,
    pub selected: Vec<String>,
}

/// False for NaN, so a missing or corrupt number is refuted rather than accepted.
fn proche(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

fn refute(msg: String) -> TirageError {
    TirageError::Refute(msg)
}

/// Checks a distribution against the inputs: same files, valid panels, consistent probabilities,
/// and (if `recalcul`) equal to an independent leximin computation.
pub fn verifier_distribution(
    inst: &Instance,
    d: &Distribution,
    recalcul: bool,
    options: &Options,
) -> Result<(), TirageError> {
    if d.empreintes.quotas_sha256 != inst.quotas.empreinte {
        return Err(refute("features.csv diffère de celui utilisé pour le résultat (empreinte SHA-256 « empreintes.quotas_sha256 »)".into()));
    }
    if d.empreintes.volontaires_sha256 != inst.volontaires.empreinte {
        return Err(refute("people.csv diffère de celui utilisé pour le résultat (empreinte SHA-256 « empreintes.volontaires_sha256 »)".into()));
    }
    if d.taille != inst.taille {
        return Err(refute(format!(
            "champ « taille » : {} publié, {} demandé",
            d.taille, inst.taille
        )));
    }
    // Concrete panels: known, distinct members; right size; quotas respected.
    let index: BTreeMap<&str, usize> = inst
        .volontaires
        .liste
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.as_str(), i))
        .collect();
    let type_de: Vec<usize> = {
        let mut v = vec![0; inst.volontaires.liste.len()];
        for (t, ty) in inst.types.iter().enumerate() {
            for &i in &ty.membres {
                v[i] = t;
            }
        }
        v
    };
    let mut proba = vec![0.0; inst.volontaires.liste.len()];
    let mut somme = 0.0;
    for (n, p) in d.panels.iter().enumerate() {
        let lieu = format!("« panels »[{n}]");
        if !(p.probability >= 0.0 && p.probability.is_finite()) {
            return Err(refute(format!(
                "{lieu} : probabilité {} invalide",
                p.probability
            )));
        }
        let mut effectifs = vec![0u32; inst.types.len()];
        let mut vus = BTreeSet::new();
        for id in &p.members {
            let Some(&i) = index.get(id.as_str()) else {
                return Err(refute(format!(
                    "{lieu} : « {id} » n'est pas dans people.csv"
                )));
            };
            if !vus.insert(i) {
                return Err(refute(format!("{lieu} : « {id} » apparaît deux fois")));
            }
            effectifs[type_de[i]] += 1;
            proba[i] += p.probability;
        }
        if !inst.respecte_quotas(&effectifs) {
            return Err(refute(format!(
                "{lieu} : ce panel ne respecte pas la taille ou les quotas"
            )));
        }
        somme += p.probability;
    }
    if (somme - 1.0).abs() > TOLERANCE_COHERENCE {
        return Err(refute(format!(
            "« panels » : les probabilités somment à {somme} au lieu de 1"
        )));
    }
    for (v, &p) in inst.volontaires.liste.iter().zip(&proba) {
        match d.probabilities.get(&v.id) {
            None => return Err(refute(format!("« probabilities » : « {} » absent", v.id))),
            Some(&q) if (q - p).abs() > TOLERANCE_COHERENCE => {
                return Err(refute(format!(
                    "« probabilities »[« {} »] = {q} mais les panels publiés donnent {p}",
                    v.id
                )))
            }
            Some(_) => {}
        }
    }
    if d.probabilities.len() != inst.volontaires.liste.len() {
        return Err(refute(
            "« probabilities » contient des identifiants absents de people.csv".into(),
        ));
    }
    let min = proba.iter().copied().fold(f64::INFINITY, f64::min);
    if (d.min_probability - min).abs() > TOLERANCE_COHERENCE {
        return Err(refute(format!(
            "« min_probability » = {} mais la plus petite probabilité publiée est {min}",
            d.min_probability
        )));
    }
    if (d.dual_bound - d.min_probability).abs() > TOLERANCE_OPTIMUM {
        return Err(refute(format!(
            "certificat : « dual_bound » ({}) ≠ « min_probability » ({})",
            d.dual_bound, d.min_probability
        )));
    }
    // Type-level panels must decompose into exactly the published concrete panels.
    let libelles: BTreeMap<String, usize> = (0..inst.types.len())
        .map(|t| (inst.libelle_type(t), t))
        .collect();
    let mut pts = Vec::with_capacity(d.panels_types.len());
    for (n, p) in d.panels_types.iter().enumerate() {
        let mut effectifs = vec![0u32; inst.types.len()];
        for (l, &c) in &p.effectifs {
            let Some(&t) = libelles.get(l) else {
                return Err(refute(format!(
                    "« panels_types »[{n}] : type « {l} » inconnu"
                )));
            };
            effectifs[t] = c;
        }
        if !inst.respecte_quotas(&effectifs) {
            return Err(refute(format!(
                "« panels_types »[{n}] : ne respecte pas la taille ou les quotas"
            )));
        }
        pts.push(PanelType {
            effectifs,
            probabilite: p.probability,
        });
    }
    let refait = decomposer(inst, pts, d.dual_bound, Statistiques::default());
    if refait.panels.len() != d.panels.len() {
        return Err(refute(format!(
            "« panels » : {} panels publiés, la décomposition de « panels_types » en donne {}",
            d.panels.len(),
            refait.panels.len()
        )));
    }
    for (n, (a, b)) in d.panels.iter().zip(&refait.panels).enumerate() {
        if a.members != b.members || (a.probability - b.probability).abs() > TOLERANCE_COHERENCE {
            return Err(refute(format!(
                "« panels »[{n}] diffère de la décomposition de « panels_types »"
            )));
        }
    }
    if recalcul {
        let r = leximin(inst, options)?;
        for (id, &q) in &r.probabilities {
            let p = d.probabilities.get(id).copied().unwrap_or(f64::NAN);
            if !proche(p, q, TOLERANCE_OPTIMUM) {
                return Err(refute(format!(
                    "« probabilities »[« {id} »] = {p} alors que le leximin recalculé donne {q}"
                )));
            }
        }
        if !proche(r.dual_bound, d.dual_bound, TOLERANCE_OPTIMUM) {
            return Err(refute(format!(
                "« dual_bound » = {} alors que le recalcul donne {}",
                d.dual_bound, r.dual_bound
            )));
        }
    }
    Ok(())
}

/// Verifies a published draw: the distribution (see [`verifier_distribution`]), the seed
/// (including commitments), and that the selected panel is the one the seed picks.
/// `publie` is the distribution published before the draw, if any: it must be identical.
pub fn verify(
    inst: &Instance,
    resultat: &Resultat,
    graine: &SourceGraine,
    publie: Option<&Distribution>,
    recalcul: bool,
    options: &Options,
) -> Result<Rapport, TirageError> {
    let d = &resultat.distribution;
    if let Some(p) = publie {
        if p.engagements != d.engagements {
            return Err(refute(
                "« engagements » diffère de la distribution publiée avant le tirage".into(),
            ));
        }
        if p.panels != d.panels {
            return Err(refute(
                "« panels » diffère de la distribution publiée avant le tirage".into(),
            ));
        }
        if p.probabilities != d.probabilities {
            return Err(refute(
                "« probabilities » diffère de la distribution publiée avant le tirage".into(),
            ));
        }
    }
    let seed = match graine {
        SourceGraine::Chaine(s) => s.clone(),
        SourceGraine::Revelations(r) => {
            if r != &resultat.revelations {
                return Err(refute(
                    "« revelations » diffère des valeurs révélées fournies".into(),
                ));
            }
            graine_depuis_revelations(&d.engagements, r).map_err(|e| refute(e.to_string()))?
        }
    };
    if !d.engagements.is_empty() && matches!(graine, SourceGraine::Chaine(_)) {
        graine_depuis_revelations(&d.engagements, &resultat.revelations)
            .map_err(|e| refute(e.to_string()))?;
    }
    if resultat.seed != seed {
        return Err(refute(format!(
            "« seed » = « {} » mais la graine fournie est « {seed} »",
            resultat.seed
        )));
    }
    verifier_distribution(inst, d, recalcul, options)?;
    let tire = draw(d, &seed);
    if tire.members != resultat.selected {
        let diff = tire
            .members
            .iter()
            .zip(&resultat.selected)
            .position(|(a, b)| a != b)
            .unwrap_or(tire.members.len().min(resultat.selected.len()));
        return Err(refute(format!(
            "« selected »[{diff}] : la graine désigne {:?}, le résultat indique {:?}",
            tire.members.get(diff),
            resultat.selected.get(diff)
        )));
    }
    Ok(Rapport {
        panels: d.panels.len(),
        min_probability: d.min_probability,
        dual_bound: d.dual_bound,
        selected: tire.members,
    })
}
