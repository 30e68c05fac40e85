//! Explanations of a proposal, per child: the place chosen and its cost by term, then the next-best
//! admissible places (cost difference, full or not) and the nearest places a hard constraint
//! excludes (which one). Written as CSV for the agent.

use std::io::Write;

use crate::cout::{c5_groupe, c5_places, cout_choix, termes, Solution};
use crate::instance::{Exclusion, Instance};

/// One line of explanation.
#[derive(Debug, Clone)]
pub struct Explication {
    pub child_id: String,
    pub place_id: String,
    /// C1..C4 of the chosen place.
    pub termes: [i64; 4],
    /// This child's share of its group's C5 (split evenly among placed members).
    pub c5: i64,
    pub c6: i64,
    pub total: i64,
    pub alternatives: Vec<String>,
}

/// How many better-looking alternatives and excluded places to list.
const N_ALTERNATIVES: usize = 3;
const N_EXCLUES: usize = 2;

/// Explains every child's choice in `sol`.
pub fn expliquer(inst: &Instance, sol: &Solution) -> Vec<Explication> {
    let mut occ = vec![0u32; inst.places.len()];
    for p in sol.iter().flatten() {
        occ[*p] += 1;
    }
    let mut out = Vec::with_capacity(sol.len());
    for (c, &choix) in sol.iter().enumerate() {
        let ch = &inst.children[c];
        let g = ch.group;
        let c5g = c5_groupe(inst, g, sol);
        let places_membres: Vec<usize> = inst.groups[g]
            .iter()
            .filter(|&&d| sol[d].is_some())
            .copied()
            .collect();
        let c5 = match places_membres.iter().position(|&d| d == c) {
            Some(i) => {
                let k = places_membres.len() as i64;
                c5g / k + i64::from((i as i64) < c5g % k)
            }
            None => 0,
        };
        let (t, c6) = match choix {
            Some(p) => (termes(inst, c, p), 0),
            None => ([0; 4], cout_choix(inst, c, None)),
        };
        let base = cout_choix(inst, c, choix) + c5g;
        let mut alternatives: Vec<(i64, String)> = Vec::new();
        let mut exclues: Vec<(u32, String)> = Vec::new();
        for p in 0..inst.places.len() {
            if Some(p) == choix {
                continue;
            }
            let pl = &inst.places[p];
            match inst.exclusion(c, p) {
                Some(e) => {
                    let d = inst.dist(ch.home, pl.commune) + inst.dist(ch.school, pl.commune);
                    exclues.push((d, format!("{} exclue : {e}", pl.id)));
                }
                None if inst.fixations[c].is_some() => {
                    alternatives.push((i64::MAX, format!("{} : {}", pl.id, Exclusion::Fixe)));
                }
                None => {
                    let c5_apres = c5_places(
                        inst,
                        inst.groups[g]
                            .iter()
                            .map(|&d| if d == c { Some(p) } else { sol[d] }),
                    );
                    let delta = cout_choix(inst, c, Some(p)) + c5_apres - base;
                    let complete = occ[p] >= pl.capacity;
                    let detail = if complete {
                        format!(" (complète : {} lit(s) pris)", pl.capacity)
                    } else {
                        String::new()
                    };
                    alternatives.push((delta, format!("{} : {delta:+}{detail}", pl.id)));
                }
            }
        }
        alternatives.sort();
        exclues.sort();
        let mut texte: Vec<String> = alternatives
            .into_iter()
            .take(N_ALTERNATIVES)
            .map(|(_, s)| s)
            .collect();
        if choix.is_none() && texte.is_empty() {
            texte.push("aucune place compatible (H3–H6)".to_owned());
        }
        texte.extend(exclues.into_iter().take(N_EXCLUES).map(|(_, s)| s));
        out.push(Explication {
            child_id: ch.id.clone(),
            place_id: choix.map(|p| inst.places[p].id.clone()).unwrap_or_default(),
            termes: t,
            c5,
            c6,
            total: t.iter().sum::<i64>() + c5 + c6,
            alternatives: texte,
        });
    }
    out
}

/// Writes the explanations as CSV.
pub fn ecrire_explications(sortie: impl Write, ex: &[Explication]) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(sortie);
    w.write_record([
        "child_id",
        "place_id",
        "c1",
        "c2",
        "c3",
        "c4",
        "c5",
        "c6",
        "total",
        "alternatives",
    ])?;
    for e in ex {
        w.write_record([
            e.child_id.clone(),
            e.place_id.clone(),
            e.termes[0].to_string(),
            e.termes[1].to_string(),
            e.termes[2].to_string(),
            e.termes[3].to_string(),
            e.c5.to_string(),
            e.c6.to_string(),
            e.total.to_string(),
            e.alternatives.join(" ; "),
        ])?;
    }
    w.flush()?;
    Ok(())
}
