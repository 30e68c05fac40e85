//! The LEXIMIN distribution over quota-respecting panels, computed on volunteer types by column
//! generation (Flanigan et al., Nature 2021), with its optimality certificate.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use highs::{ColProblem, HighsModelStatus, Row, Sense};

use crate::distribution::{decomposer, Distribution, PanelType};
use crate::error::TirageError;
use crate::input::Instance;
use crate::solveur::{meilleur_panel, recherche_locale, verifier_faisabilite, Tarification};

/// What the progress callback receives after each master LP solve.
#[derive(Debug, Clone)]
pub struct Progression {
    /// Master LP solves so far (all stages).
    pub iteration: usize,
    /// Stage number: stage s maximises the s-th distinct probability level.
    pub etape: usize,
    /// Types whose probability is final.
    pub types_fixes: usize,
    pub types: usize,
    /// Current value of the stage's smallest free probability (restricted master).
    pub valeur: f64,
    /// Current upper bound on it from the pricing problem.
    pub borne: f64,
}

/// Callback type for progress reports (the CLI draws an `indicatif` spinner with it).
pub type Rappel = Arc<dyn Fn(&Progression) + Send + Sync>;

/// Tuning knobs; the defaults are what the CLI uses.
#[derive(Clone)]
pub struct Options {
    /// Column generation stops when pricing cannot beat the master by more than this.
    pub tolerance: f64,
    /// Hard cap on master LP solves, to fail instead of looping on a numerically stuck instance.
    pub iterations_max: usize,
    /// Use an interior-point solve at the end of each stage to fix many types at once.
    pub point_interieur: bool,
    /// Columns added per master solve: the exact pricing optimum plus improving neighbours.
    pub colonnes_par_iteration: usize,
    pub progression: Option<Rappel>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tolerance: 1e-9,
            iterations_max: 1_000_000,
            point_interieur: true,
            // Measured on a 239-volunteer, 7-feature instance: 1 → 52 s, 5 → 35 s, 10 → 31 s CPU.
            colonnes_par_iteration: 10,
            progression: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("tolerance", &self.tolerance)
            .field("iterations_max", &self.iterations_max)
            .field("point_interieur", &self.point_interieur)
            .field("colonnes_par_iteration", &self.colonnes_par_iteration)
            .finish()
    }
}

/// Master LP in column form, one column per type-panel:
///   max z  s.t.  Σ_P x_P c_{P,t}/m_t − z ≥ 0   (free type t)
///                Σ_P x_P c_{P,t}/m_t     ≥ f_t (type t fixed at f_t)
///                Σ_P x_P = 1,  x ≥ 0,  z free.
/// Its dual is the type-level version of the reference implementation's dual LP, and the pricing
/// problem is max Σ_t (y_t/m_t)·c_t over quota-respecting count vectors.
struct Maitre {
    lignes: Vec<Row>,
    convexite: Row,
}

struct SolutionMaitre {
    z: f64,
    x: Vec<f64>,
    /// Dual weights per type, normalised so that the free types' weights sum to 1.
    y: Vec<f64>,
}

fn construire(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
    relache: f64,
) -> (ColProblem, Maitre) {
    let mut pb = ColProblem::default();
    let lignes: Vec<Row> = fixes
        .iter()
        .map(|f| match f {
            None => pb.add_row(0.0..),
            Some(v) => pb.add_row((v - relache).max(0.0)..),
        })
        .collect();
    let convexite = pb.add_row(1.0..=1.0);
    let coef_z: Vec<(Row, f64)> = lignes
        .iter()
        .zip(fixes)
        .filter(|(_, f)| f.is_none())
        .map(|(&r, _)| (r, -1.0))
        .collect();
    pb.add_column(1.0, f64::NEG_INFINITY..f64::INFINITY, coef_z);
    let m = Maitre { lignes, convexite };
    for c in colonnes {
        pb.add_column(0.0, 0.0.., coefficients(inst, &m, c));
    }
    (pb, m)
}

fn coefficients(inst: &Instance, m: &Maitre, c: &[u32]) -> Vec<(Row, f64)> {
    let mut v: Vec<(Row, f64)> = c
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(t, &n)| {
            (
                m.lignes[t],
                f64::from(n) / inst.types[t].multiplicite() as f64,
            )
        })
        .collect();
    v.push((m.convexite, 1.0));
    v
}

fn reglages_lp(model: &mut highs::Model, interieur: bool) {
    model.make_quiet();
    model.set_option("threads", 1);
    model.set_option("primal_feasibility_tolerance", 1e-10);
    model.set_option("dual_feasibility_tolerance", 1e-10);
    if interieur {
        // An interior (strictly complementary) dual solution has y_t > 0 for every type that is
        // at the minimum in all optimal solutions, so a whole probability level is fixed at once.
        model.set_option("solver", "ipm");
        model.set_option("run_crossover", "off");
        model.set_option("ipm_optimality_tolerance", 1e-10);
    } else {
        model.set_option("solver", "simplex");
    }
}

fn extraire(solved: &highs::SolvedModel, fixes: &[Option<f64>]) -> Option<SolutionMaitre> {
    if solved.status() != HighsModelStatus::Optimal {
        return None;
    }
    let sol = solved.get_solution();
    let cols = sol.columns();
    let duals = sol.dual_rows();
    let nt = fixes.len();
    // HiGHS' sign convention for duals of a maximisation is not the textbook one: orient the
    // duals so that the free types' weights sum to +1, as the dual LP requires.
    let somme: f64 = (0..nt)
        .filter(|&t| fixes[t].is_none())
        .map(|t| duals[t])
        .sum();
    let s = if somme < 0.0 { -1.0 } else { 1.0 };
    let y = (0..nt).map(|t| (s * duals[t]).max(0.0)).collect();
    Some(SolutionMaitre {
        z: cols[0],
        x: cols[1..].to_vec(),
        y,
    })
}

fn resoudre(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
    interieur: bool,
) -> Result<(Option<highs::SolvedModel>, Maitre, Option<SolutionMaitre>), TirageError> {
    // Fixed probabilities come from a floating-point optimum: if the restricted master becomes
    // infeasible by a hair, relax the fixed levels a little, as the reference implementation does.
    let mut relache = 1e-10;
    for _ in 0..6 {
        let (pb, m) = construire(inst, colonnes, fixes, relache);
        let mut model = pb
            .try_optimise(Sense::Maximise)
            .map_err(|e| TirageError::Solveur(format!("PL maître invalide : {e:?}")))?;
        reglages_lp(&mut model, interieur);
        let solved = model
            .try_solve()
            .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
        if let Some(s) = extraire(&solved, fixes) {
            return Ok((Some(solved), m, Some(s)));
        }
        if interieur {
            let (_, m) = construire(inst, &[], fixes, relache);
            return Ok((None, m, None));
        }
        relache *= 10.0;
    }
    Err(TirageError::Solveur(
        "PL maître infaisable malgré la relaxation des probabilités fixées".into(),
    ))
}

fn poids_types(inst: &Instance, y: &[f64]) -> Vec<f64> {
    y.iter()
        .zip(&inst.types)
        .map(|(&w, t)| w / t.multiplicite() as f64)
        .collect()
}

fn valeur_colonne(poids: &[f64], c: &[u32]) -> f64 {
    c.iter().zip(poids).map(|(&n, &w)| f64::from(n) * w).sum()
}

/// Statistics of a computation, published with the distribution.
#[derive(Debug, Clone, Default)]
pub struct Statistiques {
    pub iterations: usize,
    pub etapes: usize,
    pub colonnes: usize,
}

/// Computes the exact leximin distribution. Errors with the smallest relaxation if the quotas
/// admit no panel.
pub fn leximin(inst: &Instance, options: &Options) -> Result<Distribution, TirageError> {
    let nt = inst.types.len();
    let premier = verifier_faisabilite(inst)?;
    let mut colonnes: Vec<Vec<u32>> = vec![premier.clone()];
    let mut connues: HashSet<Vec<u32>> = HashSet::from([premier]);
    let mut fixes: Vec<Option<f64>> = vec![None; nt];
    let mut dual_bound: Option<f64> = None;
    let mut iteration = 0usize;
    let mut etape = 0usize;
    let mut derniere: Option<SolutionMaitre> = None;

    while fixes.iter().any(Option::is_none) {
        etape += 1;
        let (solved, maitre, sol) = resoudre(inst, &colonnes, &fixes, false)?;
        let mut model: highs::Model = solved
            .ok_or_else(|| TirageError::Solveur("PL maître sans solution".into()))?
            .into();
        let mut sol = sol.ok_or_else(|| TirageError::Solveur("PL maître sans solution".into()))?;
        // Column generation: add a panel the current duals undervalue, until none is.
        let borne_etape;
        loop {
            iteration += 1;
            if iteration > options.iterations_max {
                return Err(TirageError::Solveur(format!(
                    "plus de {} itérations sans convergence",
                    options.iterations_max
                )));
            }
            let poids = poids_types(inst, &sol.y);
            let chapeau = colonnes
                .iter()
                .map(|c| valeur_colonne(&poids, c))
                .fold(f64::NEG_INFINITY, f64::max);
            let seuil = chapeau + options.tolerance;
            let fixe_terme: f64 = fixes
                .iter()
                .zip(&sol.y)
                .filter_map(|(f, &y)| f.map(|v| v * y))
                .sum();
            let tar: Tarification = meilleur_panel(inst, &poids, 0.0)?.ok_or_else(|| {
                TirageError::Solveur("problème de tarification infaisable".into())
            })?;
            // (y, max_P Σ y_t c_t/m_t) is feasible for the full dual LP, hence this bound.
            let borne = tar.borne - fixe_terme;
            if let Some(p) = &options.progression {
                p(&Progression {
                    iteration,
                    etape,
                    types_fixes: fixes.iter().filter(|f| f.is_some()).count(),
                    types: nt,
                    valeur: sol.z,
                    borne,
                });
            }
            if tar.borne <= seuil || connues.contains(&tar.effectifs) {
                borne_etape = borne;
                break;
            }
            // Besides the best panel, add a few improving neighbours of the best current panels:
            // more columns per master solve means fewer (costly) master solves.
            let mut lot = vec![tar.effectifs];
            if options.colonnes_par_iteration > 1 {
                let mut meilleures: Vec<(f64, usize)> = colonnes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (valeur_colonne(&poids, c), i))
                    .collect();
                meilleures.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                for &(_, i) in meilleures.iter().take(2 * options.colonnes_par_iteration) {
                    if lot.len() >= options.colonnes_par_iteration {
                        break;
                    }
                    let c = recherche_locale(inst, &poids, &colonnes[i]);
                    if valeur_colonne(&poids, &c) > seuil
                        && !connues.contains(&c)
                        && !lot.contains(&c)
                    {
                        lot.push(c);
                    }
                }
            }
            for nouvelle in lot {
                model.add_col(0.0, 0.0.., coefficients(inst, &maitre, &nouvelle));
                connues.insert(nouvelle.clone());
                colonnes.push(nouvelle);
            }
            let solved = model
                .try_solve()
                .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
            sol = match extraire(&solved, &fixes) {
                Some(s) => {
                    model = solved.into();
                    s
                }
                None => {
                    // Warm start went astray numerically: rebuild from scratch (with relaxation).
                    let (s2, _, sol2) = resoudre(inst, &colonnes, &fixes, false)?;
                    let s2 = s2.ok_or_else(|| TirageError::Solveur("PL maître".into()))?;
                    let sol2 = sol2.ok_or_else(|| TirageError::Solveur("PL maître".into()))?;
                    model = s2.into();
                    sol2
                }
            };
        }
        if dual_bound.is_none() {
            dual_bound = Some(borne_etape);
        }
        let z = sol.z;
        let mut a_fixer: Vec<usize> = Vec::new();
        if options.point_interieur {
            if let Some(yi) = duals_interieurs(inst, &colonnes, &fixes, z)? {
                let ecart = yi.1;
                let seuil = (ecart * 1e6).max(1e-6);
                a_fixer = (0..nt)
                    .filter(|&t| fixes[t].is_none() && yi.0[t] > seuil)
                    .collect();
            }
        }
        if a_fixer.is_empty() {
            // Vertex duals: y_t > 0 means the type's constraint binds in every optimal solution.
            a_fixer = (0..nt)
                .filter(|&t| fixes[t].is_none() && sol.y[t] > 1e-9)
                .collect();
        }
        if a_fixer.is_empty() {
            // Σ free y_t = 1 guarantees a positive weight; take the largest to ensure progress.
            if let Some(t) = (0..nt)
                .filter(|&t| fixes[t].is_none())
                .max_by(|&a, &b| sol.y[a].total_cmp(&sol.y[b]))
            {
                a_fixer.push(t);
            }
        }
        for t in a_fixer {
            fixes[t] = Some(z.max(0.0));
        }
        derniere = Some(sol);
    }

    let sol = derniere.ok_or_else(|| TirageError::Solveur("aucune étape".into()))?;
    let mut panels: BTreeMap<Vec<u32>, f64> = BTreeMap::new();
    for (c, &x) in colonnes.iter().zip(&sol.x) {
        if x > 1e-12 {
            *panels.entry(c.clone()).or_insert(0.0) += x;
        }
    }
    let somme: f64 = panels.values().sum();
    let panels_types: Vec<PanelType> = panels
        .into_iter()
        .map(|(effectifs, x)| PanelType {
            effectifs,
            probabilite: x / somme,
        })
        .collect();
    let stats = Statistiques {
        iterations: iteration,
        etapes: etape,
        colonnes: colonnes.len(),
    };
    Ok(decomposer(
        inst,
        panels_types,
        dual_bound.unwrap_or(f64::NAN),
        stats,
    ))
}

/// Interior-point duals of the converged restricted master, accepted only if they are also
/// (near-)optimal for the full dual, checked with one pricing solve. Returns (y, duality gap).
fn duals_interieurs(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
    z: f64,
) -> Result<Option<(Vec<f64>, f64)>, TirageError> {
    let (_, _, sol) = resoudre(inst, colonnes, fixes, true)?;
    let Some(sol) = sol else { return Ok(None) };
    let poids = poids_types(inst, &sol.y);
    let Some(tar) = meilleur_panel(inst, &poids, 0.0)? else {
        return Ok(None);
    };
    let fixe_terme: f64 = fixes
        .iter()
        .zip(&sol.y)
        .filter_map(|(f, &y)| f.map(|v| v * y))
        .sum();
    let somme_libres: f64 = (0..fixes.len())
        .filter(|&t| fixes[t].is_none())
        .map(|t| sol.y[t])
        .sum();
    if (somme_libres - 1.0).abs() > 1e-6 {
        return Ok(None);
    }
    let ecart = tar.borne - fixe_terme - z;
    if !(ecart.is_finite()) || ecart > 1e-8 {
        return Ok(None);
    }
    Ok(Some((sol.y, ecart.max(0.0))))
}
