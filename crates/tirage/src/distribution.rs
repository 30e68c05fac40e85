//! The published distribution: type-level panels, their exact decomposition into concrete panels
//! of volunteers, per-person probabilities, and the JSON layout of published files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::Instance;
use crate::leximin::Statistiques;

/// A panel at type level: how many members of each type it seats.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelType {
    /// Count per type, indexed like `Instance::types`.
    pub effectifs: Vec<u32>,
    pub probabilite: f64,
}

/// A concrete panel: the ids of its members (sorted) and its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    pub members: Vec<String>,
    pub probability: f64,
}

/// A published type: the shared feature values and the members, sorted by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypePublie {
    pub id: String,
    pub valeurs: BTreeMap<String, String>,
    pub membres: Vec<String>,
}

/// A published type-level panel: count per type label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelTypePublie {
    pub effectifs: BTreeMap<String, u32>,
    pub probability: f64,
}

/// Digests of the inputs, so that a verifier fed different files says so first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empreintes {
    pub quotas_sha256: String,
    pub volontaires_sha256: String,
}

/// Figures about the computation; informative only (never compared by the verifier). No timing
/// here: the file must be byte-identical when recomputed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calcul {
    pub algorithme: String,
    pub iterations: usize,
    pub etapes: usize,
    pub colonnes: usize,
}

/// The leximin distribution, as published before the draw (`parcours tirage publier`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub format: u32,
    pub taille: usize,
    pub empreintes: Empreintes,
    /// Smallest selection probability of a volunteer.
    pub min_probability: f64,
    /// Upper bound on the smallest probability over all distributions (optimality certificate).
    pub dual_bound: f64,
    pub probabilities: BTreeMap<String, f64>,
    pub types: Vec<TypePublie>,
    pub panels_types: Vec<PanelTypePublie>,
    /// Concrete panels; the draw picks one of these.
    pub panels: Vec<Panel>,
    /// SHA-256 commitments of seed values to be revealed later (commit-then-reveal), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engagements: Vec<String>,
    pub calcul: Calcul,
}

/// A published draw: the distribution plus seed and selected panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resultat {
    #[serde(flatten)]
    pub distribution: Distribution,
    pub seed: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revelations: Vec<String>,
    pub selected: Vec<String>,
}

fn pgcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        pgcd(b, a % b)
    }
}

/// Splits a type-level panel into concrete panels by systematic sampling with one offset U,
/// uniform on [0,1), shared by all types: in a type with m members of which c are seated, member
/// i owns [i·c/m, (i+1)·c/m) on a line of length c and is seated iff it owns one of U, U+1, …,
/// U+c−1. Each member is seated with probability exactly c/m, exactly c are seated, and U only
/// matters through the interval between consecutive multiples of gcd(c,m)/m it falls in: one
/// concrete panel per such interval of the union over types.
fn systematique(inst: &Instance, effectifs: &[u32]) -> Vec<(Vec<usize>, f64)> {
    // Breakpoints j/d as reduced fractions (num, den), d = m / gcd(c, m).
    let mut points: Vec<(u64, u64)> = vec![(0, 1)];
    for (t, &c) in effectifs.iter().enumerate() {
        let m = inst.types[t].multiplicite() as u64;
        let c = u64::from(c);
        if c == 0 || c == m {
            continue;
        }
        let d = m / pgcd(c, m);
        for j in 1..d {
            let g = pgcd(j, d);
            points.push((j / g, d / g));
        }
    }
    // Exact comparison of fractions by cross-multiplication (denominators ≤ pool size).
    points.sort_by(|a, b| {
        (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
    });
    points.dedup();
    let valeur = |p: (u64, u64)| p.0 as f64 / p.1 as f64;
    let mut out = Vec::with_capacity(points.len());
    for (i, &p) in points.iter().enumerate() {
        let debut = valeur(p);
        let fin = points.get(i + 1).map_or(1.0, |&q| valeur(q));
        let longueur = fin - debut;
        let u = (debut + fin) / 2.0;
        let mut membres = Vec::with_capacity(inst.taille);
        for (t, &c) in effectifs.iter().enumerate() {
            let ty = &inst.types[t];
            let m = ty.multiplicite();
            if c == 0 {
                continue;
            }
            if c as usize == m {
                membres.extend_from_slice(&ty.membres);
                continue;
            }
            for j in 0..c {
                let idx = ((u + f64::from(j)) * m as f64 / f64::from(c)).floor() as usize;
                membres.push(ty.membres[idx.min(m - 1)]);
            }
        }
        membres.sort_unstable();
        out.push((membres, longueur));
    }
    out
}

/// Builds the published distribution from type-level panels (probabilities summing to 1).
pub(crate) fn decomposer(
    inst: &Instance,
    panels_types: Vec<PanelType>,
    dual_bound: f64,
    stats: Statistiques,
) -> Distribution {
    let ids = |v: &[usize]| -> Vec<String> {
        v.iter()
            .map(|&i| inst.volontaires.liste[i].id.clone())
            .collect()
    };
    let mut concrets: BTreeMap<Vec<usize>, f64> = BTreeMap::new();
    for p in &panels_types {
        for (membres, longueur) in systematique(inst, &p.effectifs) {
            *concrets.entry(membres).or_insert(0.0) += p.probabilite * longueur;
        }
    }
    let mut proba = vec![0.0; inst.volontaires.liste.len()];
    for (membres, &x) in &concrets {
        for &i in membres {
            proba[i] += x;
        }
    }
    let probabilities: BTreeMap<String, f64> = inst
        .volontaires
        .liste
        .iter()
        .zip(&proba)
        .map(|(v, &p)| (v.id.clone(), p))
        .collect();
    let min_probability = proba.iter().copied().fold(f64::INFINITY, f64::min);
    let types = inst
        .types
        .iter()
        .enumerate()
        .map(|(t, ty)| TypePublie {
            id: inst.libelle_type(t),
            valeurs: inst
                .quotas
                .caracteristiques
                .iter()
                .zip(&ty.valeurs)
                .map(|(c, &v)| (c.nom.clone(), c.valeurs[v].nom.clone()))
                .collect(),
            membres: ids(&ty.membres),
        })
        .collect();
    let panels_types_publies = panels_types
        .iter()
        .map(|p| PanelTypePublie {
            effectifs: p
                .effectifs
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(t, &c)| (inst.libelle_type(t), c))
                .collect(),
            probability: p.probabilite,
        })
        .collect();
    let panels = concrets
        .into_iter()
        .map(|(m, x)| Panel {
            members: ids(&m),
            probability: x,
        })
        .collect();
    Distribution {
        format: 1,
        taille: inst.taille,
        empreintes: Empreintes {
            quotas_sha256: inst.quotas.empreinte.clone(),
            volontaires_sha256: inst.volontaires.empreinte.clone(),
        },
        min_probability,
        dual_bound,
        probabilities,
        types,
        panels_types: panels_types_publies,
        panels,
        engagements: Vec::new(),
        calcul: Calcul {
            algorithme: "leximin exact par types (génération de colonnes, HiGHS)".into(),
            iterations: stats.iterations,
            etapes: stats.etapes,
            colonnes: stats.colonnes,
        },
    }
}

/// Deterministic JSON: struct fields in declaration order, maps sorted (BTreeMap), floats in
/// shortest round-trip form (ryu), two-space indentation, final newline.
pub fn vers_json<T: Serialize>(valeur: &T) -> String {
    let mut s = serde_json::to_string_pretty(valeur).unwrap_or_default();
    s.push('\n');
    s
}
