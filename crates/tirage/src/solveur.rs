//! Integer programs over type counts solved with HiGHS: the pricing problem (best panel for given
//! weights), the feasibility check and the smallest relaxation of infeasible quotas.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use highs::{ColProblem, HighsModelStatus, Row, Sense};

use crate::error::{Relaxation, TirageError};
use crate::input::Instance;

/// Profiling counters (microseconds and counts, process-wide), printed by the leximin trace
/// (`PARCOURS_TIRAGE_TRACE`); informative only.
pub(crate) static T_LP: AtomicU64 = AtomicU64::new(0);
pub(crate) static T_MIP: AtomicU64 = AtomicU64::new(0);
pub(crate) static N_LP: AtomicU64 = AtomicU64::new(0);
pub(crate) static N_MIP: AtomicU64 = AtomicU64::new(0);

/// Integer solutions come back as floats within HiGHS' feasibility tolerance: round, then check
/// exactly, so that a published panel is never one that only "almost" respects the quotas.
pub(crate) fn arrondir(valeurs: &[f64]) -> Vec<u32> {
    valeurs
        .iter()
        .map(|&x| {
            if x.is_finite() && x > 0.0 {
                x.round() as u32
            } else {
                0
            }
        })
        .collect()
}

pub(crate) fn reglages_mip(model: &mut highs::Model, ecart: f64) {
    model.make_quiet();
    // The default relative gap (1e-4) would make the optimality certificate approximate: the
    // exact solve uses 0; a looser gap is only used to find improving columns faster.
    model.set_option("mip_rel_gap", ecart);
    model.set_option("mip_abs_gap", 1e-12);
    model.set_option("mip_feasibility_tolerance", 1e-9);
    // Deterministic and fair to the other processes sharing the machine.
    model.set_option("threads", 1);
    // Primal heuristics (feasibility jump, RINS, RENS, root reduced-cost sub-MIPs) cost more than
    // the whole branch and bound on these small programs, whose LP bound is tight: measured
    // 80 → 43 ms per pricing problem on a 205-type instance.
    model.set_option("mip_heuristic_run_feasibility_jump", false);
    model.set_option("mip_heuristic_effort", 0.0);
    model.set_option("mip_heuristic_run_rins", false);
    model.set_option("mip_heuristic_run_rens", false);
    model.set_option("mip_heuristic_run_root_reduced_cost", false);
}

/// The rows common to every type-count program: total size, then one row per quota.
pub(crate) fn lignes_quotas(inst: &Instance, pb: &mut ColProblem) -> (Row, Vec<Vec<Row>>) {
    let k = inst.taille as f64;
    let total = pb.add_row(k..=k);
    let quotas = inst
        .quotas
        .caracteristiques
        .iter()
        .map(|c| {
            c.valeurs
                .iter()
                .map(|v| pb.add_row(f64::from(v.min)..=f64::from(v.max)))
                .collect()
        })
        .collect();
    (total, quotas)
}

/// Best panel for the weights (one weight per type, applied to the type's count).
#[derive(Debug, Clone)]
pub(crate) struct Tarification {
    pub effectifs: Vec<u32>,
    /// Proven upper bound on the objective over all feasible panels.
    pub borne: f64,
}

fn probleme_tarification(inst: &Instance, poids: &[f64], entier: bool) -> ColProblem {
    let mut pb = ColProblem::default();
    let (total, quotas) = lignes_quotas(inst, &mut pb);
    for (t, ty) in inst.types.iter().enumerate() {
        let mut coefs = vec![(total, 1.0)];
        for (f, &v) in ty.valeurs.iter().enumerate() {
            coefs.push((quotas[f][v], 1.0));
        }
        pb.add_column_with_integrality(poids[t], 0.0..=ty.multiplicite() as f64, coefs, entier);
    }
    pb
}

fn valeur(poids: &[f64], effectifs: &[u32]) -> f64 {
    effectifs
        .iter()
        .zip(poids)
        .map(|(&c, &w)| f64::from(c) * w)
        .sum()
}

/// Outcome of the LP relaxation of the pricing problem.
pub(crate) enum TarifRelaxe {
    /// No panel at all (the relaxation is infeasible).
    Aucun,
    /// The relaxation has an integral optimum: it is optimal for the integer program.
    Exact(Tarification),
    /// Fractional optimum: `borne` (the LP value) bounds every panel, and `arrondi` is a feasible
    /// panel rounded from the LP solution, if the repair succeeded.
    Fractionnaire {
        borne: f64,
        arrondi: Option<Vec<u32>>,
    },
}

/// Solves the LP relaxation of max Σ_t poids[t]·c_t over quota-respecting count vectors.
///
/// With two features the constraint matrix is totally unimodular, and with more it is still
/// often integral at a vertex; an integral vertex optimum of the relaxation is optimal for the
/// integer program, with the LP value as proven bound.
pub(crate) fn tarifer_relaxation(
    inst: &Instance,
    poids: &[f64],
) -> Result<TarifRelaxe, TirageError> {
    let t_lp = Instant::now();
    N_LP.fetch_add(1, Ordering::Relaxed);
    let mut lp = probleme_tarification(inst, poids, false)
        .try_optimise(Sense::Maximise)
        .map_err(|e| TirageError::Solveur(format!("modèle invalide : {e:?}")))?;
    lp.make_quiet();
    lp.set_option("threads", 1);
    lp.set_option("solver", "simplex");
    let solved = lp
        .try_solve()
        .map_err(|e| TirageError::Solveur(format!("{e:?}")))?;
    T_LP.fetch_add(t_lp.elapsed().as_micros() as u64, Ordering::Relaxed);
    match solved.status() {
        HighsModelStatus::Optimal => {
            let cols = solved.get_solution().columns().to_vec();
            let obj = solved.objective_value();
            let entier = cols.iter().all(|x| (x - x.round()).abs() <= 1e-9);
            if entier {
                let effectifs = arrondir(&cols);
                if inst.respecte_quotas(&effectifs) {
                    let v = valeur(poids, &effectifs);
                    let borne = obj.max(v) + 1e-12;
                    return Ok(TarifRelaxe::Exact(Tarification { effectifs, borne }));
                }
            }
            Ok(TarifRelaxe::Fractionnaire {
                borne: obj + 1e-12,
                arrondi: reparer(inst, poids, &cols),
            })
        }
        // The relaxation is infeasible, hence so is the integer program.
        HighsModelStatus::Infeasible => Ok(TarifRelaxe::Aucun),
        _ => Ok(TarifRelaxe::Fractionnaire {
            borne: f64::INFINITY,
            arrondi: None,
        }),
    }
}

/// A feasible panel close to a fractional LP solution: round down, then add seats one at a time,
/// first where a `min` quota is unmet, then by fractional part and weight, never exceeding a
/// `max`. `None` if the greedy repair gets stuck (the caller then falls back to the MIP).
fn reparer(inst: &Instance, poids: &[f64], x: &[f64]) -> Option<Vec<u32>> {
    let mut c: Vec<u32> = x
        .iter()
        .map(|&v| {
            if v.is_finite() && v > 0.0 {
                (v + 1e-9).floor() as u32
            } else {
                0
            }
        })
        .collect();
    let cars = &inst.quotas.caracteristiques;
    let mut compte: Vec<Vec<u32>> = cars.iter().map(|car| vec![0; car.valeurs.len()]).collect();
    for (ty, &n) in inst.types.iter().zip(&c) {
        for (f, cf) in compte.iter_mut().enumerate() {
            cf[ty.valeurs[f]] += n;
        }
    }
    // Rounding down can only break `min` quotas and the size; `max` quotas still hold.
    let mut total: usize = c.iter().map(|&n| n as usize).sum();
    while total < inst.taille {
        let mut meilleur: Option<(usize, f64, f64, usize)> = None;
        for (t, ty) in inst.types.iter().enumerate() {
            if c[t] as usize >= ty.multiplicite() {
                continue;
            }
            let mut aide = 0usize;
            let mut possible = true;
            for (f, &v) in ty.valeurs.iter().enumerate() {
                let q = &cars[f].valeurs[v];
                if compte[f][v] >= q.max {
                    possible = false;
                    break;
                }
                if compte[f][v] < q.min {
                    aide += 1;
                }
            }
            if !possible {
                continue;
            }
            let frac = x[t] - f64::from(c[t]);
            let cle = (aide, frac, poids[t], t);
            let mieux = match &meilleur {
                None => true,
                Some(m) => (cle.0, cle.1, cle.2)
                    .partial_cmp(&(m.0, m.1, m.2))
                    .is_some_and(|o| o == std::cmp::Ordering::Greater),
            };
            if mieux {
                meilleur = Some(cle);
            }
        }
        let (_, _, _, t) = meilleur?;
        c[t] += 1;
        total += 1;
        for (f, cf) in compte.iter_mut().enumerate() {
            cf[inst.types[t].valeurs[f]] += 1;
        }
    }
    inst.respecte_quotas(&c).then_some(c)
}

/// Exact branch and bound for the pricing problem; `depart` is a feasible incumbent.
pub(crate) fn tarifer_entier(
    inst: &Instance,
    poids: &[f64],
    depart: Option<&[u32]>,
) -> Result<Option<Tarification>, TirageError> {
    let t_mip = Instant::now();
    N_MIP.fetch_add(1, Ordering::Relaxed);
    let mut model = probleme_tarification(inst, poids, true)
        .try_optimise(Sense::Maximise)
        .map_err(|e| TirageError::Solveur(format!("modèle invalide : {e:?}")))?;
    reglages_mip(&mut model, 0.0);
    if let Some(d) = depart {
        // A good feasible panel (local search) as incumbent prunes the branch and bound.
        let v: Vec<f64> = d.iter().map(|&c| f64::from(c)).collect();
        let _ = model.try_set_solution(Some(&v), None, None, None);
    }
    let solved = model
        .try_solve()
        .map_err(|e| TirageError::Solveur(format!("{e:?}")))?;
    T_MIP.fetch_add(t_mip.elapsed().as_micros() as u64, Ordering::Relaxed);
    match solved.status() {
        HighsModelStatus::Optimal => {}
        HighsModelStatus::Infeasible => return Ok(None),
        s => return Err(TirageError::Solveur(format!("statut inattendu {s:?}"))),
    }
    let effectifs = arrondir(solved.get_solution().columns());
    if !inst.respecte_quotas(&effectifs) {
        return Err(TirageError::Solveur(
            "solution entière arrondie hors quotas".into(),
        ));
    }
    let v = valeur(poids, &effectifs);
    let obj = solved.objective_value();
    let gap = solved.mip_gap();
    let gap = if gap.is_finite() { gap.max(0.0) } else { 0.0 };
    let borne = obj.max(v) + gap * obj.abs() + 1e-12;
    Ok(Some(Tarification { effectifs, borne }))
}

/// Solves max Σ_t poids[t]·c_t over quota-respecting count vectors exactly. `None` if there is
/// none. The LP relaxation is tried first; only fractional cases go to the (much slower) branch
/// and bound.
pub(crate) fn meilleur_panel(
    inst: &Instance,
    poids: &[f64],
    depart: Option<&[u32]>,
) -> Result<Option<Tarification>, TirageError> {
    match tarifer_relaxation(inst, poids)? {
        TarifRelaxe::Aucun => Ok(None),
        TarifRelaxe::Exact(t) => Ok(Some(t)),
        TarifRelaxe::Fractionnaire { arrondi, .. } => {
            let depart = match (depart, arrondi.as_deref()) {
                (Some(d), Some(a)) => Some(if valeur(poids, a) > valeur(poids, d) {
                    a
                } else {
                    d
                }),
                (d, a) => d.or(a),
            };
            tarifer_entier(inst, poids, depart)
        }
    }
}

/// Smallest total relaxation of min/max bounds (in seats) making a panel possible.
pub(crate) fn relaxation_minimale(inst: &Instance) -> Result<Vec<Relaxation>, TirageError> {
    let mut pb = ColProblem::default();
    let k = inst.taille as f64;
    let total = pb.add_row(k..=k);
    let mut bas = Vec::new();
    let mut haut = Vec::new();
    for c in &inst.quotas.caracteristiques {
        let mut b = Vec::new();
        let mut h = Vec::new();
        for v in &c.valeurs {
            b.push(pb.add_row(f64::from(v.min)..));
            h.push(pb.add_row(..=f64::from(v.max)));
        }
        bas.push(b);
        haut.push(h);
    }
    for ty in &inst.types {
        let mut coefs = vec![(total, 1.0)];
        for (f, &v) in ty.valeurs.iter().enumerate() {
            coefs.push((bas[f][v], 1.0));
            coefs.push((haut[f][v], 1.0));
        }
        pb.add_integer_column(0.0, 0.0..=ty.multiplicite() as f64, coefs);
    }
    // Slack columns, in the same (feature, value) order as the rows, lowering min then raising max.
    let mut ordre = Vec::new();
    for (f, c) in inst.quotas.caracteristiques.iter().enumerate() {
        for (v, q) in c.valeurs.iter().enumerate() {
            pb.add_integer_column(1.0, 0.0..=f64::from(q.min), [(bas[f][v], 1.0)]);
            ordre.push((f, v, "min"));
            pb.add_integer_column(1.0, 0.0..=k, [(haut[f][v], -1.0)]);
            ordre.push((f, v, "max"));
        }
    }
    let mut model = pb
        .try_optimise(Sense::Minimise)
        .map_err(|e| TirageError::Solveur(format!("modèle invalide : {e:?}")))?;
    reglages_mip(&mut model, 0.0);
    let solved = model
        .try_solve()
        .map_err(|e| TirageError::Solveur(format!("{e:?}")))?;
    if solved.status() != HighsModelStatus::Optimal {
        return Err(TirageError::Solveur(format!(
            "relaxation des quotas : statut {:?}",
            solved.status()
        )));
    }
    let sol = arrondir(solved.get_solution().columns());
    let n_types = inst.types.len();
    let mut out = Vec::new();
    for (i, &(f, v, colonne)) in ordre.iter().enumerate() {
        let d = sol[n_types + i];
        if d == 0 {
            continue;
        }
        let c = &inst.quotas.caracteristiques[f];
        let q = &c.valeurs[v];
        let (actuel, propose) = if colonne == "min" {
            (q.min, q.min.saturating_sub(d))
        } else {
            (q.max, q.max.saturating_add(d))
        };
        out.push(Relaxation {
            ligne: q.ligne,
            caracteristique: c.nom.clone(),
            valeur: q.nom.clone(),
            colonne,
            actuel,
            propose,
        });
    }
    Ok(out)
}

/// Errors with the conflicting quotas and their smallest relaxation if no panel exists.
pub(crate) fn verifier_faisabilite(inst: &Instance) -> Result<Vec<u32>, TirageError> {
    let zeros = vec![0.0; inst.types.len()];
    match meilleur_panel(inst, &zeros, None)? {
        Some(t) => Ok(t.effectifs),
        None => {
            let relaxations = relaxation_minimale(inst)?;
            let total = relaxations
                .iter()
                .map(|r| r.actuel.abs_diff(r.propose))
                .sum();
            Err(TirageError::QuotasIncompatibles {
                taille: inst.taille,
                total,
                relaxations,
            })
        }
    }
}

/// Cheap extra columns: from a feasible panel, move one seat at a time from a type to a
/// better-weighted one while the quotas allow it, until no move improves. Used to add several
/// columns per master solve (each solve refactorises a large basis); the exact pricing still
/// decides convergence.
pub(crate) fn recherche_locale(inst: &Instance, poids: &[f64], depart: &[u32]) -> Vec<u32> {
    let mut c = depart.to_vec();
    let nf = inst.quotas.caracteristiques.len();
    let mut compte: Vec<Vec<u32>> = inst
        .quotas
        .caracteristiques
        .iter()
        .map(|car| vec![0; car.valeurs.len()])
        .collect();
    for (ty, &n) in inst.types.iter().zip(&c) {
        for (f, cf) in compte.iter_mut().enumerate() {
            cf[ty.valeurs[f]] += n;
        }
    }
    let mut ordre: Vec<usize> = (0..inst.types.len()).collect();
    ordre.sort_by(|&a, &b| poids[b].total_cmp(&poids[a]).then(a.cmp(&b)));
    let possible = |compte: &Vec<Vec<u32>>, a: usize, b: usize| -> bool {
        let (va, vb) = (&inst.types[a].valeurs, &inst.types[b].valeurs);
        (0..nf).all(|f| {
            va[f] == vb[f] || {
                let car = &inst.quotas.caracteristiques[f];
                compte[f][va[f]] > car.valeurs[va[f]].min
                    && compte[f][vb[f]] < car.valeurs[vb[f]].max
            }
        })
    };
    // Each move strictly increases the objective; the cap is only a safeguard.
    for _ in 0..(4 * inst.taille + 16) {
        let mut ameliore = false;
        'recherche: for (ib, &b) in ordre.iter().enumerate() {
            if c[b] as usize >= inst.types[b].multiplicite() {
                continue;
            }
            for &a in ordre[ib + 1..].iter().rev() {
                if c[a] == 0 || poids[a] >= poids[b] - 1e-12 {
                    continue;
                }
                if possible(&compte, a, b) {
                    c[a] -= 1;
                    c[b] += 1;
                    for (f, cf) in compte.iter_mut().enumerate() {
                        cf[inst.types[a].valeurs[f]] -= 1;
                        cf[inst.types[b].valeurs[f]] += 1;
                    }
                    ameliore = true;
                    break 'recherche;
                }
            }
        }
        if !ameliore {
            break;
        }
    }
    c
}
