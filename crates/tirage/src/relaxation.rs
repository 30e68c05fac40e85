//! Shortcut through the compact relaxation: its leximin point (fractional counts, a few small LPs)
//! and a greedy decomposition of that point into panels, which, when it succeeds, is the exact
//! leximin distribution without column generation.
//!
//! Why it is exact: every distribution over panels has its expected counts in the convex hull `H`
//! of the quota-respecting count vectors, which lies inside the relaxation polytope `R` (the same
//! constraints with fractional counts). The leximin point of `R` is therefore at least as good, in
//! the leximin order, as anything reachable; if it is also a convex combination of panels (a
//! point of `H`), it is the leximin optimum over `H`, and the decomposition is an optimal
//! distribution. When it is not, nothing is lost but the time of the attempt: the panels found
//! seed the column generation.

use std::time::Instant;

use highs::{ColProblem, HighsModelStatus, Sense};

use crate::error::TirageError;
use crate::input::Instance;
use crate::leximin::{duales_types, lignes_types, Alea};
use crate::solveur::{arrondir, lignes_quotas, reglages_mip};

/// A count within this distance of a bound is at that bound (the LP tolerances are 1e-10 on
/// probabilities; counts are at most a few hundred).
const TOL_FACE: f64 = 1e-7;

/// Optimum of one stage of the compact LP relaxation (fractional counts instead of panels):
///   max z  s.t.  p_t − z ≥ 0 (free t),  p_t ≥ f_t (fixed t),  (m_t p_t)_t within the quotas,
///                Σ_t m_t p_t = k,  0 ≤ p ≤ 1.
pub(crate) struct RelaxationCompacte {
    pub z: f64,
    /// Selection probability per type.
    pub p: Vec<f64>,
    /// Duals of the free types' rows, non-negative and summing to 1: feasible for the master's
    /// dual, and within the pricing problem's integrality gap of its optimum.
    pub y: Vec<f64>,
}

/// Solves one stage of the compact relaxation, each fixed level lowered by `relache` (see
/// [`lignes_types`]); `None` if it does not solve to optimality.
pub(crate) fn relaxation_compacte(
    inst: &Instance,
    fixes: &[Option<f64>],
    relache: f64,
) -> Option<RelaxationCompacte> {
    let mut pb = ColProblem::default();
    let (total, quotas) = lignes_quotas(inst, &mut pb);
    let lignes = lignes_types(&mut pb, fixes, relache);
    for (t, ty) in inst.types.iter().enumerate() {
        let m = ty.multiplicite() as f64;
        let mut coefs = vec![(total, m), (lignes[t], 1.0)];
        for (f, &v) in ty.valeurs.iter().enumerate() {
            coefs.push((quotas[f][v], m));
        }
        pb.add_column(0.0, 0.0..=1.0, coefs);
    }
    let mut model = pb.try_optimise(Sense::Maximise).ok()?;
    model.make_quiet();
    model.set_option("threads", 1);
    model.set_option("solver", "simplex");
    model.set_option("primal_feasibility_tolerance", 1e-10);
    model.set_option("dual_feasibility_tolerance", 1e-10);
    let solved = model.try_solve().ok()?;
    if solved.status() != HighsModelStatus::Optimal {
        return None;
    }
    let sol = solved.get_solution();
    let cols = sol.columns();
    let duals = &sol.dual_rows()[1 + quotas.iter().map(Vec::len).sum::<usize>()..];
    Some(RelaxationCompacte {
        z: cols[0],
        p: cols[1..].iter().map(|v| v.clamp(0.0, 1.0)).collect(),
        y: duales_types(duals, fixes)?,
    })
}

/// Leximin point of the relaxation (see [`relaxation_compacte`]), stage after stage.
pub(crate) struct LeximinRelaxe {
    /// Selection probability per type.
    pub p: Vec<f64>,
    pub etapes: usize,
    /// The first stage's duals: their pricing optimum bounds every distribution's minimum.
    pub y1: Vec<f64>,
}

/// Stage after stage, fixes the free types whose dual is positive (binding in every optimal
/// solution) at the stage's value. `None` if a stage does not solve to optimality.
pub(crate) fn leximin_relaxation(inst: &Instance) -> Option<LeximinRelaxe> {
    let nt = inst.types.len();
    let mut fixes: Vec<Option<f64>> = vec![None; nt];
    let mut etapes = 0;
    let mut y1 = None;
    let mut p = Vec::new();
    while fixes.iter().any(Option::is_none) {
        etapes += 1;
        // The point is published: the slack of the column generation's master (1e-10), so that
        // its minimum matches the bound to the ninth digit (1e-9 loses one on 825/75/4).
        let r = relaxation_compacte(inst, &fixes, 1e-10)?;
        let libres: Vec<usize> = (0..nt).filter(|&t| fixes[t].is_none()).collect();
        if r.z >= 1.0 - 1e-9 {
            // p ≤ 1: every free type is at 1 in every optimal solution.
            for &t in &libres {
                fixes[t] = Some(1.0);
            }
        } else {
            let niveau = r.z.clamp(0.0, 1.0);
            let mut a_fixer: Vec<usize> =
                libres.iter().copied().filter(|&t| r.y[t] > 1e-9).collect();
            if a_fixer.is_empty() {
                a_fixer.extend(
                    libres
                        .iter()
                        .copied()
                        .max_by(|&a, &b| r.y[a].total_cmp(&r.y[b])),
                );
            }
            for t in a_fixer {
                fixes[t] = Some(niveau);
            }
        }
        p = r.p;
        y1.get_or_insert(r.y);
    }
    Some(LeximinRelaxe { p, etapes, y1: y1? })
}

/// Outcome of [`decomposer_point`].
pub(crate) struct Decomposition {
    /// Panels (count vectors) with their weights, summing to `1 − reste`.
    pub panels: Vec<(Vec<u32>, f64)>,
    /// Weight left undecomposed (0 when the point was fully decomposed).
    pub reste: f64,
}

/// Greedy Carathéodory decomposition of the point `m_t·p_t` into panels: take a panel on the
/// smallest face of the relaxation containing the residual point (every panel of a decomposition
/// must lie there), as close to it as possible, and remove as much of it as keeps the residual in
/// the relaxation; each step makes one more constraint tight. Stops when nothing is left, or when
/// the face holds no panel (the residual left the hull `H`, or the point was never in it).
pub(crate) fn decomposer_point(inst: &Instance, p: &[f64]) -> Result<Decomposition, TirageError> {
    let nt = inst.types.len();
    let m: Vec<f64> = inst.types.iter().map(|t| t.multiplicite() as f64).collect();
    let mut r: Vec<f64> = p.iter().zip(&m).map(|(&p, &m)| p * m).collect();
    let mut reste = 1.0f64;
    let mut panels = Vec::new();
    let cars = &inst.quotas.caracteristiques;
    let membres_valeur: Vec<Vec<Vec<usize>>> = cars
        .iter()
        .enumerate()
        .map(|(f, c)| {
            let mut v = vec![Vec::new(); c.valeurs.len()];
            for (t, ty) in inst.types.iter().enumerate() {
                v[ty.valeurs[f]].push(t);
            }
            v
        })
        .collect();
    let t0 = Instant::now();
    let trace = std::env::var("PARCOURS_TIRAGE_TRACE").is_ok_and(|v| v != "0");
    let (mut n_heur, mut n_proche, mut n_face, mut t_proche, mut t_face) = (0, 0, 0, 0.0, 0.0);
    let mut alea = Alea(0x2545_F491_4F6C_DD1D);
    let limite = 2 * (nt + membres_valeur.iter().map(Vec::len).sum::<usize>()) + 10;
    for _ in 0..limite {
        let x: Vec<f64> = r.iter().map(|&v| (v / reste).max(0.0)).collect();
        // Bounds of the face: a type at 0 or at its size stays there.
        let face: Vec<(f64, f64)> = (0..nt)
            .map(|t| {
                if x[t] <= TOL_FACE {
                    (0.0, 0.0)
                } else if x[t] >= m[t] - TOL_FACE {
                    (m[t], m[t])
                } else {
                    (0.0, m[t])
                }
            })
            .collect();
        let lignes: Vec<Vec<(f64, f64)>> = cars
            .iter()
            .enumerate()
            .map(|(f, c)| {
                c.valeurs
                    .iter()
                    .enumerate()
                    .map(|(v, q)| {
                        let s: f64 = membres_valeur[f][v].iter().map(|&t| x[t]).sum();
                        let (lo, hi) = (f64::from(q.min), f64::from(q.max));
                        if s <= lo + TOL_FACE {
                            (lo, lo)
                        } else if s >= hi - TOL_FACE {
                            (hi, hi)
                        } else {
                            (lo, hi)
                        }
                    })
                    .collect()
            })
            .collect();
        // First the panels that round the point (each count to its floor or ceiling), else any
        // panel of the face.
        let proches: Vec<(f64, f64)> = (0..nt)
            .map(|t| {
                let (a, b) = face[t];
                (
                    (x[t] + TOL_FACE).floor().clamp(a, b),
                    (x[t] - TOL_FACE).ceil().clamp(a, b),
                )
            })
            .collect();
        let mut c = arrondi_face(inst, &x, &proches, &lignes, &mut alea);
        if c.is_some() {
            n_heur += 1;
        }
        if c.is_none() {
            let t1 = Instant::now();
            c = panel_face(inst, &proches, &lignes)?;
            n_proche += 1;
            t_proche += t1.elapsed().as_secs_f64();
        }
        if c.is_none() {
            let t1 = Instant::now();
            c = panel_face(inst, &face, &lignes)?;
            n_face += 1;
            t_face += t1.elapsed().as_secs_f64();
        }
        let Some(c) = c else {
            break;
        };
        let lambda = pas_maximal(inst, &x, &c, &m, &membres_valeur);
        if lambda <= 1e-12 {
            break;
        }
        let w = reste * lambda;
        for t in 0..nt {
            r[t] = (r[t] - w * f64::from(c[t])).max(0.0);
        }
        panels.push((c, w));
        reste -= w;
        if lambda >= 1.0 - 1e-12 || reste <= 1e-12 {
            reste = reste.max(0.0);
            break;
        }
    }
    if trace {
        eprintln!(
            "[tirage] décomposition de la relaxation : {} panels, reste {reste:.3e}, {:.2} s ; heuristique {n_heur}, PLNE arrondi {n_proche} ({t_proche:.2} s), PLNE face {n_face} ({t_face:.2} s)",
            panels.len(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(Decomposition { panels, reste })
}

/// Largest λ ≤ 1 such that `(x − λ c)/(1 − λ)` stays in the relaxation.
fn pas_maximal(
    inst: &Instance,
    x: &[f64],
    c: &[u32],
    m: &[f64],
    membres_valeur: &[Vec<Vec<usize>>],
) -> f64 {
    let mut lambda = 1.0f64;
    for t in 0..x.len() {
        let ct = f64::from(c[t]);
        if ct > 0.0 {
            lambda = lambda.min(x[t] / ct);
        }
        if ct < m[t] {
            lambda = lambda.min((m[t] - x[t]) / (m[t] - ct));
        }
    }
    for (f, car) in inst.quotas.caracteristiques.iter().enumerate() {
        for (v, q) in car.valeurs.iter().enumerate() {
            let s: f64 = membres_valeur[f][v].iter().map(|&t| x[t]).sum();
            let n: f64 = membres_valeur[f][v].iter().map(|&t| f64::from(c[t])).sum();
            let (lo, hi) = (f64::from(q.min), f64::from(q.max));
            if n > lo {
                lambda = lambda.min((s - lo) / (n - lo));
            }
            if n < hi {
                lambda = lambda.min((hi - s) / (hi - n));
            }
        }
    }
    lambda.max(0.0)
}

/// A panel with counts within `bornes` and quota sums within `lignes` (a feasibility integer
/// program), or `None` if there is none.
fn panel_face(
    inst: &Instance,
    bornes: &[(f64, f64)],
    lignes: &[Vec<(f64, f64)>],
) -> Result<Option<Vec<u32>>, TirageError> {
    let mut pb = ColProblem::default();
    let k = inst.taille as f64;
    let total = pb.add_row(k..=k);
    let rows: Vec<Vec<highs::Row>> = lignes
        .iter()
        .map(|l| l.iter().map(|&(a, b)| pb.add_row(a..=b)).collect())
        .collect();
    for (t, ty) in inst.types.iter().enumerate() {
        let mut coefs = vec![(total, 1.0)];
        for (f, &v) in ty.valeurs.iter().enumerate() {
            coefs.push((rows[f][v], 1.0));
        }
        let (a, b) = bornes[t];
        pb.add_column_with_integrality(0.0, a..=b, coefs, true);
    }
    let mut model = pb
        .try_optimise(Sense::Maximise)
        .map_err(|e| TirageError::Solveur(format!("modèle invalide : {e:?}")))?;
    reglages_mip(&mut model, 0.0);
    let solved = model
        .try_solve()
        .map_err(|e| TirageError::Solveur(format!("{e:?}")))?;
    match solved.status() {
        HighsModelStatus::Optimal => {}
        HighsModelStatus::Infeasible => return Ok(None),
        s => return Err(TirageError::Solveur(format!("statut inattendu {s:?}"))),
    }
    let c = arrondir(solved.get_solution().columns());
    Ok(inst.respecte_quotas(&c).then_some(c))
}

/// Probability of a random move in [`arrondi_face`].
/// Measured on 321/30/8 (296 types), roundings found without an integer program: 0 → 107 of
/// 258, 0.15 → 243 of 258, 0.3 → 246 of 256, with 1727/110/7 fully decomposed in 0.4 s at 0.15.
const BRUIT: f64 = 0.15;

/// Fast search for a panel rounding `x` (each count within `bornes`, quota sums within
/// `lignes`), without an integer program: start from the nearest rounding, then repair the
/// violated quotas by local search (WalkSAT-like: a random violated row, the best flip among its
/// types, a short tabu list against cycling). `None` if it gives up; the integer program decides
/// then.
fn arrondi_face(
    inst: &Instance,
    x: &[f64],
    bornes: &[(f64, f64)],
    lignes: &[Vec<(f64, f64)>],
    alea: &mut Alea,
) -> Option<Vec<u32>> {
    let nt = inst.types.len();
    // Rows: 0 is the size, then the quotas in order.
    let mut debut = Vec::with_capacity(lignes.len());
    let mut bas: Vec<i64> = vec![inst.taille as i64];
    let mut haut: Vec<i64> = vec![inst.taille as i64];
    for l in lignes {
        debut.push(bas.len());
        for &(a, b) in l {
            bas.push(a.round() as i64);
            haut.push(b.round() as i64);
        }
    }
    let rangs: Vec<Vec<usize>> = inst
        .types
        .iter()
        .map(|ty| {
            let mut r = vec![0];
            r.extend(ty.valeurs.iter().enumerate().map(|(f, &v)| debut[f] + v));
            r
        })
        .collect();
    let mut c: Vec<i64> = (0..nt)
        .map(|t| {
            let (a, b) = bornes[t];
            if b > a && x[t] - a >= 0.5 {
                b as i64
            } else {
                a as i64
            }
        })
        .collect();
    let mut somme = vec![0i64; bas.len()];
    for t in 0..nt {
        for &r in &rangs[t] {
            somme[r] += c[t];
        }
    }
    let viol = |r: usize, s: i64| (bas[r] - s).max(0) + (s - haut[r]).max(0);
    let mut membres: Vec<Vec<usize>> = vec![Vec::new(); bas.len()];
    for t in 0..nt {
        if bornes[t].1 > bornes[t].0 {
            for &r in &rangs[t] {
                membres[r].push(t);
            }
        }
    }
    let mut tabou = vec![0usize; nt];
    let max_pas = 20 * nt + 200;
    for pas in 1..=max_pas {
        let violees: Vec<usize> = (0..bas.len()).filter(|&r| viol(r, somme[r]) > 0).collect();
        if violees.is_empty() {
            let c: Vec<u32> = c.iter().map(|&v| v as u32).collect();
            return inst.respecte_quotas(&c).then_some(c);
        }
        let r = violees[((alea.tirer() * violees.len() as f64) as usize).min(violees.len() - 1)];
        let monter = somme[r] < bas[r];
        let mut meilleur: Option<(i64, f64, usize)> = None;
        let bruit = alea.tirer() < BRUIT;
        for &t in &membres[r] {
            let (a, b) = bornes[t];
            let nouveau = if monter { c[t] + 1 } else { c[t] - 1 };
            if (nouveau as f64) < a || (nouveau as f64) > b {
                continue;
            }
            let d = nouveau - c[t];
            let delta: i64 = rangs[t]
                .iter()
                .map(|&q| viol(q, somme[q] + d) - viol(q, somme[q]))
                .sum();
            // Tabu moves only when they improve strictly.
            if tabou[t] > pas && delta >= 0 {
                continue;
            }
            // Now and then a random move of the row instead of the best one (random walk).
            let cle = (if bruit { 0 } else { delta }, alea.tirer(), t);
            if meilleur.is_none_or(|m| (cle.0, cle.1) < (m.0, m.1)) {
                meilleur = Some(cle);
            }
        }
        let Some((_, _, t)) = meilleur else {
            continue;
        };
        let d = if monter { 1 } else { -1 };
        c[t] += d;
        for &q in &rangs[t] {
            somme[q] += d;
        }
        tabou[t] = pas + 7;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 120 volunteers, 4 features with uneven values, tight quotas, k = 20.
    fn instance() -> Instance {
        let mut graine = 11u64;
        let mut tirer = |n: u64| {
            graine = graine
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (graine >> 33) % n
        };
        let mut people = String::from("id,a,b,c,d\n");
        for i in 0..120 {
            let v: Vec<u64> = (0..4).map(|_| tirer(10)).collect();
            people.push_str(&format!(
                "p{i},a{},b{},c{},d{}\n",
                u64::from(v[0] >= 6) + u64::from(v[0] >= 9),
                u64::from(v[1] >= 7),
                u64::from(v[2] >= 5) + u64::from(v[2] >= 8),
                u64::from(v[3] >= 6)
            ));
        }
        let quotas = "feature,value,min,max\na,a0,6,8\na,a1,6,8\na,a2,5,7\nb,b0,9,11\nb,b1,9,11\nc,c0,6,8\nc,c1,6,8\nc,c2,5,7\nd,d0,9,11\nd,d1,9,11\n";
        Instance::depuis_lecteurs(quotas.as_bytes(), people.as_bytes(), 20).unwrap()
    }

    #[test]
    fn decomposition_exacte_du_point_leximin() {
        let inst = instance();
        let rel = leximin_relaxation(&inst).unwrap();
        assert!(rel.etapes >= 2);
        let p = rel.p;
        // The relaxation's point respects the size exactly.
        let m: Vec<f64> = inst.types.iter().map(|t| t.multiplicite() as f64).collect();
        let taille: f64 = p.iter().zip(&m).map(|(p, m)| p * m).sum();
        assert!((taille - 20.0).abs() < 1e-6);
        let d = decomposer_point(&inst, &p).unwrap();
        assert!(d.reste <= 1e-9, "reste {}", d.reste);
        let somme: f64 = d.panels.iter().map(|(_, w)| w).sum();
        assert!((somme - 1.0).abs() < 1e-9);
        // Every panel meets the quotas, and the panels' average is the point itself.
        let mut moyenne = vec![0.0; p.len()];
        for (c, w) in &d.panels {
            assert!(inst.respecte_quotas(c));
            assert!(*w > 0.0);
            for (t, &n) in c.iter().enumerate() {
                moyenne[t] += w * f64::from(n);
            }
        }
        for t in 0..p.len() {
            assert!(
                (moyenne[t] / m[t] - p[t]).abs() < 1e-7,
                "type {t} : {} au lieu de {}",
                moyenne[t] / m[t],
                p[t]
            );
        }
    }
}
