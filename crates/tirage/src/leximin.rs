//! The LEXIMIN distribution over quota-respecting panels, computed on volunteer types (the
//! relaxation's leximin point decomposed into panels when it is reachable, column generation
//! after Flanigan et al., Nature 2021, otherwise), with its optimality certificate.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use highs::{Col, ColProblem, HighsModelStatus, Row, RowProblem, Sense};

use crate::distribution::{decomposer, Distribution, PanelType};
use crate::error::TirageError;
use crate::input::Instance;
use crate::relaxation::{
    decomposer_point, leximin_relaxation, relaxation_compacte, Decomposition, LeximinRelaxe,
};
use crate::solveur::{
    self, meilleur_panel, recherche_locale, tarifer_entier, tarifer_relaxation,
    verifier_faisabilite, TarifRelaxe, Tarification,
};

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

/// Number of types from which the master counts as large (see [`Options::perturbees`]).
pub const GRAND_MAITRE: usize = 500;

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
    /// Start each stage's smoothing from the duals of the stage's compact LP relaxation (on every
    /// instance measured, their bound already equals the stage's optimum).
    pub centre_relaxation: bool,
    /// Wentges smoothing factor in [0, 1): 0 prices at the master's duals only.
    pub lissage: f64,
    /// Use the rounded LP relaxation of the pricing problem as a column when it improves the
    /// master, skipping the branch and bound (which still runs before a stage can end).
    pub arrondi: bool,
    /// Perturbed pricings seeding the first stage around the compact relaxation's duals.
    pub amorces: usize,
    /// On masters with at least [`GRAND_MAITRE`] types, LP pricings at random perturbations of
    /// the separation point per iteration, for more (good) columns per costly master solve.
    pub perturbees: usize,
    /// Solve the first stage's master in its dual form (rows = panels) with the dual simplex.
    pub maitre_dual: bool,
    /// First try the leximin point of the compact relaxation, decomposed into panels (exact
    /// when the decomposition succeeds; see the `relaxation` module).
    pub raccourci: bool,
    pub progression: Option<Rappel>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tolerance: 1e-9,
            iterations_max: 1_000_000,
            // Measured: the interior-point step (one more LP and pricing solve per stage) costs
            // more than the extra stages it saves (321/30/8: 20.4 → 15.6 s CPU).
            point_interieur: false,
            // Measured on a 239-volunteer, 7-feature instance: 1 → 52 s, 5 → 35 s, 10 → 31 s CPU.
            colonnes_par_iteration: 10,
            // Measured on 1727/110/7, value after ~90 s: 0.5 → 0.03800, 0.9 → 0.03825 (bound
            // 0.03892); no difference beyond noise on 239 to 825 volunteers.
            lissage: 0.9,
            // Measured on 321/30/8 (from the first stage only → every stage): pricing 8.3 → 1.8 s,
            // total 16.7 → 10.1 s; neutral on 239/30/7, 312/35/6 and 825/75/4.
            centre_relaxation: true,
            // Measured on 321/30/8: 148 → 34 branch and bounds, 22 → 11 s.
            arrondi: true,
            // Measured on 1727/110/7 (769 types): value after 60 s 0.03771 → 0.03785 with 400
            // seeds and 10 perturbed pricings per iteration; no gain on 296 types.
            amorces: 400,
            perturbees: 10,
            maitre_dual: true,
            // Measured (2026-12-05): 1727/110/7 > 1,500 s → 2.4 s, 321/30/8 10.1 → 2.4 s,
            // 312/35/6 6.0 → 1.7 s, 825/75/4 2.2 → 0.3 s; see the crate's README.
            raccourci: true,
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
            .field("lissage", &self.lissage)
            .field("arrondi", &self.arrondi)
            .field("amorces", &self.amorces)
            .field("perturbees", &self.perturbees)
            .field("maitre_dual", &self.maitre_dual)
            .field("raccourci", &self.raccourci)
            .finish()
    }
}

/// Master LP in column form, one column per type-panel:
///   max z  s.t.  Σ_P x_P c_{P,t}/m_t − z ≥ 0   (free type t)
///                Σ_P x_P c_{P,t}/m_t     ≥ f_t (type t fixed at f_t)
///                Σ_P x_P = 1,  x ≥ 0,  z free.
/// Its dual is the type-level version of the reference implementation's dual LP, and the pricing
/// problem is max Σ_t (y_t/m_t)·c_t over quota-respecting count vectors.
///
/// The HiGHS model is kept alive between solves: new columns are appended and the previous basis,
/// still primal feasible, is re-optimised by the primal simplex. Between stages the model is
/// rebuilt (the rows change) and warm-started from the previous distribution, which is feasible
/// for the new stage.
struct Maitre {
    model: Option<highs::Model>,
    lignes: Vec<Row>,
    convexite: Option<Row>,
    /// Set when the master is held in its dual form (see [`construire_dual`]).
    duale: Option<Duale>,
}

/// Variables of the dual form of the master: one weight per type, and the bound `V`.
struct Duale {
    y: Vec<Col>,
    v: Col,
}

/// Dual form of the master, one row per panel:
///   min V − Σ_{t fixed} f_t y_t  s.t.  Σ_t y_t c_{P,t}/m_t − V ≤ 0 (every panel P),
///                                      Σ_{t free} y_t = 1,  y ≥ 0,  V free.
/// A new panel is a new row: the previous basis stays dual feasible and HiGHS' dual simplex (its
/// strongest algorithm) re-optimises from it, which copes much better with the heavy degeneracy
/// of large masters than the primal simplex on the column form. The panel weights `x_P` are the
/// duals of the panel rows.
fn construire_dual(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
    relache: f64,
) -> (RowProblem, Duale) {
    let mut pb = RowProblem::default();
    let y: Vec<Col> = fixes
        .iter()
        .map(|f| pb.add_column(-f.map_or(0.0, |v| (v - relache).max(0.0)), 0.0..))
        .collect();
    let v = pb.add_column(1.0, f64::NEG_INFINITY..f64::INFINITY);
    let norme: Vec<(Col, f64)> = y
        .iter()
        .zip(fixes)
        .filter(|(_, f)| f.is_none())
        .map(|(&c, _)| (c, 1.0))
        .collect();
    pb.add_row(1.0..=1.0, norme);
    let duale = Duale { y, v };
    for c in colonnes {
        pb.add_row(f64::NEG_INFINITY..=0.0, ligne_duale(inst, &duale, c));
    }
    (pb, duale)
}

fn ligne_duale(inst: &Instance, d: &Duale, c: &[u32]) -> Vec<(Col, f64)> {
    let mut v: Vec<(Col, f64)> = c
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(t, &n)| (d.y[t], f64::from(n) / inst.types[t].multiplicite() as f64))
        .collect();
    v.push((d.v, -1.0));
    v
}

fn extraire_dual(solved: &highs::SolvedModel, fixes: &[Option<f64>]) -> Option<SolutionMaitre> {
    if solved.status() != HighsModelStatus::Optimal {
        return None;
    }
    let sol = solved.get_solution();
    let cols = sol.columns();
    let duals = sol.dual_rows();
    let nt = fixes.len();
    let mut y: Vec<f64> = cols[..nt].iter().map(|&v| v.max(0.0)).collect();
    let libres: f64 = (0..nt).filter(|&t| fixes[t].is_none()).map(|t| y[t]).sum();
    if !(libres.is_finite() && libres > 0.5) {
        return None;
    }
    for v in &mut y {
        *v /= libres;
    }
    // Row duals of a minimisation are ≤ 0 on rows at their upper bound; the sign convention is
    // normalised by the sum, which must be 1 (dual constraint of the free column V).
    let brut: Vec<f64> = duals[1..].to_vec();
    let somme: f64 = brut.iter().sum();
    if !(somme.is_finite() && somme.abs() > 0.5) {
        return None;
    }
    let x: Vec<f64> = brut.iter().map(|&d| (d / somme).max(0.0)).collect();
    Some(SolutionMaitre {
        z: solved.objective_value(),
        x,
        y,
    })
}

struct SolutionMaitre {
    z: f64,
    x: Vec<f64>,
    /// Dual weights per type, normalised so that the free types' weights sum to 1.
    y: Vec<f64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Warm re-solve: the basis is primal feasible after adding columns.
    Primal,
    /// Cold solve.
    Dual,
    /// Interior point without crossover (strictly complementary duals).
    Interieur,
}

fn construire(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
    relache: f64,
) -> (ColProblem, Vec<Row>, Row) {
    let mut pb = ColProblem::default();
    let lignes = lignes_types(&mut pb, fixes, relache);
    let convexite = pb.add_row(1.0..=1.0);
    for c in colonnes {
        pb.add_column(0.0, 0.0.., coefficients(inst, &lignes, convexite, c));
    }
    (pb, lignes, convexite)
}

/// One row per type, `p_t − z ≥ 0` (free) or `p_t ≥ f_t − relache` (fixed; fixed levels come from
/// a floating-point optimum, and a hair of slack keeps the next stage feasible), and the column
/// of `z`, maximised. The caller adds each type's `p_t` terms to its row.
pub(crate) fn lignes_types(pb: &mut ColProblem, fixes: &[Option<f64>], relache: f64) -> Vec<Row> {
    let lignes: Vec<Row> = fixes
        .iter()
        .map(|f| match f {
            None => pb.add_row(0.0..),
            Some(v) => pb.add_row((v - relache).max(0.0)..),
        })
        .collect();
    let coef_z: Vec<(Row, f64)> = lignes
        .iter()
        .zip(fixes)
        .filter(|(_, f)| f.is_none())
        .map(|(&r, _)| (r, -1.0))
        .collect();
    pb.add_column(1.0, f64::NEG_INFINITY..f64::INFINITY, coef_z);
    lignes
}

fn coefficients(inst: &Instance, lignes: &[Row], convexite: Row, c: &[u32]) -> Vec<(Row, f64)> {
    let mut v: Vec<(Row, f64)> = c
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(t, &n)| {
            (
                lignes[t],
                f64::from(n) / inst.types[t].multiplicite() as f64,
            )
        })
        .collect();
    v.push((convexite, 1.0));
    v
}

fn reglages_lp(model: &mut highs::Model, mode: Mode) {
    model.make_quiet();
    model.set_option("threads", 1);
    model.set_option("primal_feasibility_tolerance", 1e-10);
    model.set_option("dual_feasibility_tolerance", 1e-10);
    match mode {
        Mode::Interieur => {
            // An interior (strictly complementary) dual solution has y_t > 0 for every type that
            // is at the minimum in all optimal solutions, so a whole level is fixed at once.
            model.set_option("solver", "ipm");
            model.set_option("run_crossover", "off");
            model.set_option("ipm_optimality_tolerance", 1e-10);
        }
        Mode::Primal => {
            model.set_option("solver", "simplex");
            // After columns are appended the old basis stays primal feasible: the primal simplex
            // goes on from it (measured 2.5× faster than the dual simplex on these re-solves).
            model.set_option("simplex_strategy", 4);
        }
        Mode::Dual => {
            model.set_option("solver", "simplex");
            model.set_option("simplex_strategy", 1);
        }
    }
}

fn extraire(solved: &highs::SolvedModel, fixes: &[Option<f64>]) -> Option<SolutionMaitre> {
    if solved.status() != HighsModelStatus::Optimal {
        return None;
    }
    let sol = solved.get_solution();
    let cols = sol.columns();
    let duals = sol.dual_rows();
    Some(SolutionMaitre {
        z: cols[0],
        x: cols[1..].to_vec(),
        y: duales_types(duals, fixes)?,
    })
}

/// Type weights from the row duals of a maximisation whose first rows are one per type
/// (`p_t − z ≥ 0` free, `p_t ≥ f_t` fixed). HiGHS' sign convention for duals of a maximisation
/// is not the textbook one: orient them so that the free types' weights sum to +1, as the dual LP
/// requires, clip to ≥ 0 and renormalise, so that every bound computed from them is valid.
pub(crate) fn duales_types(duals: &[f64], fixes: &[Option<f64>]) -> Option<Vec<f64>> {
    let nt = fixes.len();
    let somme: f64 = (0..nt)
        .filter(|&t| fixes[t].is_none())
        .map(|t| duals[t])
        .sum();
    let s = if somme < 0.0 { -1.0 } else { 1.0 };
    let mut y: Vec<f64> = (0..nt).map(|t| (s * duals[t]).max(0.0)).collect();
    let libres: f64 = (0..nt).filter(|&t| fixes[t].is_none()).map(|t| y[t]).sum();
    if !(libres.is_finite() && libres > 0.5) {
        return None;
    }
    for v in &mut y {
        *v /= libres;
    }
    Some(y)
}

impl Maitre {
    /// Builds and solves the master over `colonnes`; `depart` (one weight per column, a feasible
    /// distribution) warm-starts it.
    fn nouveau(
        inst: &Instance,
        colonnes: &[Vec<u32>],
        fixes: &[Option<f64>],
        depart: Option<&[f64]>,
        duale: bool,
    ) -> Result<(Maitre, SolutionMaitre), TirageError> {
        if duale {
            let mut relache = 1e-10;
            for _ in 0..6 {
                let (pb, duale) = construire_dual(inst, colonnes, fixes, relache);
                let mut model = pb
                    .try_optimise(Sense::Minimise)
                    .map_err(|e| TirageError::Solveur(format!("PL maître invalide : {e:?}")))?;
                reglages_lp(&mut model, Mode::Dual);
                let solved = model
                    .try_solve()
                    .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
                if let Some(s) = extraire_dual(&solved, fixes) {
                    let m = Maitre {
                        model: Some(solved.into()),
                        lignes: Vec::new(),
                        convexite: None,
                        duale: Some(duale),
                    };
                    return Ok((m, s));
                }
                relache *= 10.0;
            }
            return Err(TirageError::Solveur(
                "PL maître infaisable malgré la relaxation des probabilités fixées".into(),
            ));
        }
        if let Some(x) = depart {
            let (pb, lignes, convexite) = construire(inst, colonnes, fixes, 1e-10);
            let mut model = pb
                .try_optimise(Sense::Maximise)
                .map_err(|e| TirageError::Solveur(format!("PL maître invalide : {e:?}")))?;
            reglages_lp(&mut model, Mode::Primal);
            let mut valeurs = vec![0.0; colonnes.len() + 1];
            valeurs[1..=x.len()].copy_from_slice(x);
            let mut p = vec![0.0; fixes.len()];
            for (c, &xc) in colonnes.iter().zip(x) {
                for (t, &n) in c.iter().enumerate() {
                    if n > 0 {
                        p[t] += xc * f64::from(n) / inst.types[t].multiplicite() as f64;
                    }
                }
            }
            valeurs[0] = (0..fixes.len())
                .filter(|&t| fixes[t].is_none())
                .map(|t| p[t])
                .fold(f64::INFINITY, f64::min)
                .min(1.0);
            if model
                .try_set_solution(Some(&valeurs), None, None, None)
                .is_ok()
            {
                let solved = model
                    .try_solve()
                    .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
                if let Some(s) = extraire(&solved, fixes) {
                    let m = Maitre {
                        model: Some(solved.into()),
                        lignes,
                        convexite: Some(convexite),
                        duale: None,
                    };
                    return Ok((m, s));
                }
            }
        }
        // Fixed probabilities come from a floating-point optimum: if the restricted master becomes
        // infeasible by a hair, relax the fixed levels a little, as the reference implementation
        // does.
        let mut relache = 1e-10;
        for _ in 0..6 {
            let (pb, lignes, convexite) = construire(inst, colonnes, fixes, relache);
            let mut model = pb
                .try_optimise(Sense::Maximise)
                .map_err(|e| TirageError::Solveur(format!("PL maître invalide : {e:?}")))?;
            reglages_lp(&mut model, Mode::Dual);
            let solved = model
                .try_solve()
                .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
            if let Some(s) = extraire(&solved, fixes) {
                let mut model: highs::Model = solved.into();
                reglages_lp(&mut model, Mode::Primal);
                let m = Maitre {
                    model: Some(model),
                    lignes,
                    convexite: Some(convexite),
                    duale: None,
                };
                return Ok((m, s));
            }
            relache *= 10.0;
        }
        Err(TirageError::Solveur(
            "PL maître infaisable malgré la relaxation des probabilités fixées".into(),
        ))
    }

    fn ajouter(&mut self, inst: &Instance, c: &[u32]) {
        if let Some(d) = &self.duale {
            let ligne = ligne_duale(inst, d, c);
            if let Some(m) = self.model.as_mut() {
                m.add_row(f64::NEG_INFINITY..=0.0, ligne);
            }
            return;
        }
        let Some(convexite) = self.convexite else {
            return;
        };
        let coefs = coefficients(inst, &self.lignes, convexite, c);
        if let Some(m) = self.model.as_mut() {
            m.add_col(0.0, 0.0.., coefs);
        }
    }

    /// Re-solves after columns were appended (`colonnes` already holds them).
    fn resoudre(
        &mut self,
        inst: &Instance,
        colonnes: &[Vec<u32>],
        fixes: &[Option<f64>],
    ) -> Result<SolutionMaitre, TirageError> {
        if let Some(model) = self.model.take() {
            let solved = model
                .try_solve()
                .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
            let s = if self.duale.is_some() {
                extraire_dual(&solved, fixes)
            } else {
                extraire(&solved, fixes)
            };
            if let Some(s) = s {
                self.model = Some(solved.into());
                return Ok(s);
            }
        }
        // Warm start went astray numerically: rebuild from scratch (with relaxation).
        let (m, s) = Maitre::nouveau(inst, colonnes, fixes, None, self.duale.is_some())?;
        *self = m;
        Ok(s)
    }
}

/// Restricted master solved by the interior point method (no crossover), for its strictly
/// complementary duals. `None` if it does not reach optimality.
fn maitre_interieur(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
) -> Result<Option<SolutionMaitre>, TirageError> {
    let (pb, _, _) = construire(inst, colonnes, fixes, 1e-10);
    let mut model = pb
        .try_optimise(Sense::Maximise)
        .map_err(|e| TirageError::Solveur(format!("PL maître invalide : {e:?}")))?;
    reglages_lp(&mut model, Mode::Interieur);
    let solved = model
        .try_solve()
        .map_err(|e| TirageError::Solveur(format!("PL maître : {e:?}")))?;
    Ok(extraire(&solved, fixes))
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

fn terme_fixe(fixes: &[Option<f64>], y: &[f64]) -> f64 {
    fixes
        .iter()
        .zip(y)
        .filter_map(|(f, &y)| f.map(|v| v * y))
        .sum()
}

/// Improving neighbours (local search at `poids`) of the best current panels, appended to `lot`
/// up to `n` columns in all.
fn voisins(
    inst: &Instance,
    poids: &[f64],
    colonnes: &[Vec<u32>],
    connues: &HashSet<Vec<u32>>,
    seuil: f64,
    n: usize,
    lot: &mut Vec<Vec<u32>>,
) {
    if lot.len() >= n {
        return;
    }
    let mut meilleures: Vec<(f64, usize)> = colonnes
        .iter()
        .enumerate()
        .map(|(i, c)| (valeur_colonne(poids, c), i))
        .collect();
    meilleures.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in meilleures.iter().take(2 * n) {
        if lot.len() >= n {
            break;
        }
        let c = recherche_locale(inst, poids, &colonnes[i]);
        if valeur_colonne(poids, &c) > seuil && !connues.contains(&c) && !lot.contains(&c) {
            lot.push(c);
        }
    }
}

/// A panel from the pricing relaxation at weights `w`: its integral optimum, or its rounded solution
/// improved by local search; `None` when it gives nothing.
fn panel_relaxe(inst: &Instance, w: &[f64]) -> Result<Option<Vec<u32>>, TirageError> {
    Ok(match tarifer_relaxation(inst, w)? {
        TarifRelaxe::Exact(t) => Some(t.effectifs),
        TarifRelaxe::Fractionnaire { arrondi, .. } => {
            arrondi.map(|a| recherche_locale(inst, w, &a))
        }
        TarifRelaxe::Aucun => None,
    })
}

/// Extra columns from `n` pricings of the LP relaxation at small random perturbations of the
/// separation weights (rounded, then improved by local search), kept if they improve the master
/// at its own duals `poids`.
#[allow(clippy::too_many_arguments)]
fn perturbes(
    inst: &Instance,
    poids_sep: &[f64],
    poids: &[f64],
    seuil: f64,
    connues: &HashSet<Vec<u32>>,
    n: usize,
    alea: &mut Alea,
    lot: &mut Vec<Vec<u32>>,
) -> Result<(), TirageError> {
    let positifs: Vec<f64> = poids_sep.iter().copied().filter(|&w| w > 0.0).collect();
    if positifs.is_empty() || n == 0 {
        return Ok(());
    }
    let amplitude = 0.2 * positifs.iter().sum::<f64>() / positifs.len() as f64;
    for _ in 0..n {
        let w: Vec<f64> = poids_sep
            .iter()
            .map(|&x| x + amplitude * alea.tirer())
            .collect();
        let c = panel_relaxe(inst, &w)?;
        if let Some(c) = c {
            if valeur_colonne(poids, &c) > seuil && !connues.contains(&c) && !lot.contains(&c) {
                lot.push(c);
            }
        }
    }
    Ok(())
}

/// Deterministic pseudo-random numbers (xorshift64*), so that the same inputs always give the
/// same distribution.
pub(crate) struct Alea(pub(crate) u64);

impl Alea {
    pub(crate) fn tirer(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Seed columns for the first stage: panels (nearly) optimal for the compact relaxation's duals
/// `y0`, diversified by small deterministic perturbations of the weights. `y0` is close to the
/// optimal dual, so the panels of an optimal distribution are among its near-optimal panels; the
/// master otherwise discovers them a few per solve, and each solve of a large degenerate master
/// is costly. `n` is the number of perturbed pricings (heuristic columns only: no proof needed).
fn amorcer(
    inst: &Instance,
    y0: &[f64],
    n: usize,
    lot: &mut Vec<Vec<u32>>,
) -> Result<(), TirageError> {
    let base = poids_types(inst, y0);
    let positifs: Vec<f64> = base.iter().copied().filter(|&w| w > 0.0).collect();
    if positifs.is_empty() || n == 0 {
        return Ok(());
    }
    let moyenne = positifs.iter().sum::<f64>() / positifs.len() as f64;
    let amplitude = 0.2 * moyenne;
    let mut alea = Alea(0x9E37_79B9_7F4A_7C15);
    let mut vus: HashSet<Vec<u32>> = lot.iter().cloned().collect();
    // Herding: each pricing also rewards the types that the seeds so far cover below the average
    // rate k/n, so that the seeds' average moves towards a fair distribution.
    let nt = inst.types.len();
    let mut somme = vec![0.0f64; nt];
    let mut nb = 0.0f64;
    for c in lot.iter() {
        for t in 0..nt {
            somme[t] += f64::from(c[t]) / inst.types[t].multiplicite() as f64;
        }
        nb += 1.0;
    }
    let cible = inst.taille as f64 / inst.volontaires.liste.len() as f64;
    for _ in 0..n {
        let deficit: Vec<f64> = somme
            .iter()
            .map(|&s| (cible - s / nb.max(1.0)).max(0.0))
            .collect();
        let total: f64 = deficit.iter().sum::<f64>().max(1e-12);
        let poids: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(t, &w)| {
                w + amplitude * alea.tirer()
                    + deficit[t] / total / inst.types[t].multiplicite() as f64
            })
            .collect();
        let c = panel_relaxe(inst, &poids)?;
        if let Some(c) = c {
            for t in 0..nt {
                somme[t] += f64::from(c[t]) / inst.types[t].multiplicite() as f64;
            }
            nb += 1.0;
            if vus.insert(c.clone()) {
                lot.push(c);
            }
        }
    }
    Ok(())
}

/// Initial columns: panels until every type sits in at least one of them (a type in no column
/// forces the master's value to 0, and plain column generation then spends one iteration per
/// uncovered type). Each panel maximises the number of seats given to types not yet covered.
fn couvrir(
    inst: &Instance,
    colonnes: &mut Vec<Vec<u32>>,
    connues: &mut HashSet<Vec<u32>>,
) -> Result<(), TirageError> {
    let nt = inst.types.len();
    let mut couvert = vec![false; nt];
    for c in colonnes.iter() {
        for (t, &n) in c.iter().enumerate() {
            couvert[t] |= n > 0;
        }
    }
    while couvert.iter().any(|&c| !c) {
        // Uncovered types weigh 1 per member seated, capped by one seat's worth through 1/m_t:
        // favours covering many types over filling one.
        let poids: Vec<f64> = (0..nt)
            .map(|t| {
                if couvert[t] {
                    0.0
                } else {
                    1.0 / inst.types[t].multiplicite() as f64
                }
            })
            .collect();
        let Some(tar) = meilleur_panel(inst, &poids, None)? else {
            break;
        };
        let nouveaux = (0..nt)
            .filter(|&t| !couvert[t] && tar.effectifs[t] > 0)
            .count();
        if nouveaux == 0 {
            // The remaining types fit in no panel: their probability is 0.
            break;
        }
        for (t, &n) in tar.effectifs.iter().enumerate() {
            couvert[t] |= n > 0;
        }
        if connues.insert(tar.effectifs.clone()) {
            colonnes.push(tar.effectifs);
        }
    }
    Ok(())
}

/// Statistics of a computation, published with the distribution.
#[derive(Debug, Clone, Default)]
pub struct Statistiques {
    pub iterations: usize,
    pub etapes: usize,
    pub colonnes: usize,
}

/// Computes the exact leximin distribution: first the shortcut through the relaxation (see the
/// `relaxation` module), then column generation from its panels if it does not conclude. Errors
/// with the smallest relaxation if the quotas admit no panel.
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
    let trace_niveau: u32 = std::env::var("PARCOURS_TIRAGE_TRACE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let trace = trace_niveau > 0;
    let t0 = Instant::now();
    let (mut t_maitre, mut t_tarif, mut t_ipm, mut t_loc) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut tarifications = 0usize;

    if options.raccourci {
        if let Some(rel) = leximin_relaxation(inst) {
            // Traced (PARCOURS_TIRAGE_TRACE) by the decomposition itself.
            let d = decomposer_point(inst, &rel.p)?;
            if d.reste <= RESTE_MAX {
                if let Some(dist) = distribution_relaxation(inst, &rel, &d, options)? {
                    return Ok(dist);
                }
            }
            // Not (or not entirely) decomposable: its panels still seed the column generation.
            for (c, _) in d.panels {
                if connues.insert(c.clone()) {
                    colonnes.push(c);
                }
            }
        }
    }

    let tc = Instant::now();
    couvrir(inst, &mut colonnes, &mut connues)?;
    t_tarif += tc.elapsed().as_secs_f64();
    if trace {
        eprintln!(
            "[tirage] couverture : {} colonnes en {:.2} s",
            colonnes.len(),
            tc.elapsed().as_secs_f64()
        );
    }

    while fixes.iter().any(Option::is_none) {
        etape += 1;
        let it0 = iteration;
        let col0 = colonnes.len();
        let tm = Instant::now();
        let depart = derniere.as_ref().map(|s| s.x.as_slice());
        // The dual form pays off on the first stage's large, degenerate master; later stages
        // re-solve faster in column form, warm-started from the previous distribution.
        let (mut maitre, mut sol) = Maitre::nouveau(
            inst,
            &colonnes,
            &fixes,
            depart,
            options.maitre_dual && etape == 1,
        )?;
        t_maitre += tm.elapsed().as_secs_f64();
        // Column generation with Wentges smoothing: the pricing problem is solved at a convex
        // combination of the best dual point found so far (the stability centre, lowest bound)
        // and the master's duals, which damps the oscillation of the duals. A point that yields
        // no column improving the master (a "misprice") moves the separation point towards the
        // master's duals; convergence is only declared from an exact pricing at the master's
        // duals, so the stage ends exactly as without smoothing.
        let mut centre: Option<(Vec<f64>, f64)> = None;
        if options.centre_relaxation {
            let tt = Instant::now();
            // Only the duals are used here; measured on 239/30/7, a 1e-9 slack gives the later
            // stages better centres than 1e-10 (2.2 against 5.0 s).
            if let Some(y0) = relaxation_compacte(inst, &fixes, 1e-9).map(|r| r.y) {
                let poids0 = poids_types(inst, &y0);
                if let Some(tar) = meilleur_panel(inst, &poids0, None)? {
                    tarifications += 1;
                    let b0 = tar.borne - terme_fixe(&fixes, &y0);
                    if trace_niveau > 1 {
                        eprintln!(
                            "[tirage]   centre initial : borne {b0:.9}, {} types de poids positif",
                            y0.iter().filter(|&&v| v > 1e-9).count()
                        );
                    }
                    let mut lot = vec![tar.effectifs];
                    if etape == 1 {
                        amorcer(inst, &y0, options.amorces.min(nt / 2), &mut lot)?;
                    }
                    if trace {
                        eprintln!(
                            "[tirage] amorçage : {} panels en {:.2} s",
                            lot.len(),
                            tt.elapsed().as_secs_f64()
                        );
                    }
                    centre = Some((y0, b0));
                    let mut ajout = false;
                    for c in lot {
                        if connues.insert(c.clone()) {
                            maitre.ajouter(inst, &c);
                            colonnes.push(c);
                            ajout = true;
                        }
                    }
                    if ajout {
                        sol = maitre.resoudre(inst, &colonnes, &fixes)?;
                    }
                }
            }
            t_tarif += tt.elapsed().as_secs_f64();
        }
        let mut rates = 0u32;
        let mut alea = Alea(0x9E37_79B9_7F4A_7C15);
        let borne_etape;
        // A dual point whose bound the master has reached: optimal, it decides what to fix.
        let mut y_certifie: Option<Vec<f64>> = None;
        loop {
            iteration += 1;
            if iteration > options.iterations_max {
                return Err(TirageError::Solveur(format!(
                    "plus de {} itérations sans convergence",
                    options.iterations_max
                )));
            }
            if let Some((yc, b)) = &centre {
                if *b <= sol.z + options.tolerance {
                    // The master reaches a proven bound (weak duality): the stage is optimal,
                    // without one more pricing at the master's duals.
                    borne_etape = *b;
                    y_certifie = Some(yc.clone());
                    break;
                }
            }
            let poids = poids_types(inst, &sol.y);
            let chapeau = colonnes
                .iter()
                .map(|c| valeur_colonne(&poids, c))
                .fold(f64::NEG_INFINITY, f64::max);
            let seuil = chapeau + options.tolerance;
            let alpha = match &centre {
                Some((_, b)) if *b > sol.z + options.tolerance => {
                    (options.lissage * (1.0 - f64::from(rates) / 3.0)).max(0.0)
                }
                _ => 0.0,
            };
            let y_sep: Vec<f64> = match &centre {
                Some((yc, _)) if alpha > 0.0 => yc
                    .iter()
                    .zip(&sol.y)
                    .map(|(&a, &b)| alpha * a + (1.0 - alpha) * b)
                    .collect(),
                _ => sol.y.clone(),
            };
            let poids_sep = if alpha > 0.0 {
                poids_types(inst, &y_sep)
            } else {
                poids.clone()
            };
            let tt = Instant::now();
            let depart = colonnes
                .iter()
                .map(|c| (valeur_colonne(&poids_sep, c), c))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| recherche_locale(inst, &poids_sep, c));
            let tar: Tarification = match tarifer_relaxation(inst, &poids_sep)? {
                TarifRelaxe::Aucun => {
                    return Err(TirageError::Solveur(
                        "problème de tarification infaisable".into(),
                    ))
                }
                TarifRelaxe::Exact(t) => t,
                TarifRelaxe::Fractionnaire { borne, arrondi } => {
                    // The LP solution rounded and improved by local search is usually a good
                    // column: if it improves the master, the branch and bound is skipped (the
                    // LP value still bounds the stage). The stage only ends on an exact proof:
                    // the LP bound or the branch and bound at the master's duals.
                    let arrondi = arrondi.map(|a| recherche_locale(inst, &poids_sep, &a));
                    let utile = arrondi.as_ref().filter(|c| {
                        options.arrondi
                            && valeur_colonne(&poids, c) > seuil
                            && !connues.contains(*c)
                    });
                    if let Some(c) = utile {
                        Tarification {
                            effectifs: c.clone(),
                            borne,
                        }
                    } else if alpha == 0.0 && borne <= seuil && depart.is_some() {
                        Tarification {
                            effectifs: depart.clone().unwrap_or_default(),
                            borne,
                        }
                    } else {
                        let depart = match (depart, arrondi) {
                            (Some(d), Some(a)) => Some(
                                if valeur_colonne(&poids_sep, &a) > valeur_colonne(&poids_sep, &d) {
                                    a
                                } else {
                                    d
                                },
                            ),
                            (d, a) => d.or(a),
                        };
                        tarifer_entier(inst, &poids_sep, depart.as_deref())?.ok_or_else(|| {
                            TirageError::Solveur("problème de tarification infaisable".into())
                        })?
                    }
                }
            };
            tarifications += 1;
            t_tarif += tt.elapsed().as_secs_f64();
            // (y, max_P Σ y_t c_t/m_t) is feasible for the full dual LP, hence this bound.
            let borne_sep = tar.borne - terme_fixe(&fixes, &y_sep);
            if centre.as_ref().is_none_or(|(_, b)| borne_sep < *b) {
                centre = Some((y_sep, borne_sep));
            }
            let borne = centre.as_ref().map_or(borne_sep, |c| c.1);
            if trace_niveau > 1 {
                eprintln!(
                    "[tirage]   it {iteration} z={:.9} borne={borne:.9} sep={borne_sep:.9} α={alpha:.2} tarif {:.3} s maître cumul {t_maitre:.2} tarif cumul {t_tarif:.2} locale cumul {t_loc:.2} total {:.2} col {}",
                    sol.z,
                    tt.elapsed().as_secs_f64(),
                    t0.elapsed().as_secs_f64(),
                    colonnes.len()
                );
            }
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
            let ameliore =
                valeur_colonne(&poids, &tar.effectifs) > seuil && !connues.contains(&tar.effectifs);
            if !ameliore {
                if alpha == 0.0 {
                    // Exact pricing at the master's duals finds nothing: the stage is optimal.
                    borne_etape = borne;
                    break;
                }
                rates += 1;
                continue;
            }
            rates = 0;
            // Besides the priced panel, add a few improving neighbours of the best current
            // panels: more columns per master solve means fewer (costly) master solves.
            let mut lot = vec![tar.effectifs];
            let tl = Instant::now();
            // Small masters re-solve fast: extra pricings only pay off on large ones.
            let npert = if nt >= GRAND_MAITRE {
                options.perturbees
            } else {
                0
            };
            perturbes(
                inst, &poids_sep, &poids, seuil, &connues, npert, &mut alea, &mut lot,
            )?;
            voisins(
                inst,
                &poids,
                &colonnes,
                &connues,
                seuil,
                options.colonnes_par_iteration + npert,
                &mut lot,
            );
            t_loc += tl.elapsed().as_secs_f64();
            let tm = Instant::now();
            for nouvelle in lot {
                maitre.ajouter(inst, &nouvelle);
                connues.insert(nouvelle.clone());
                colonnes.push(nouvelle);
            }
            sol = maitre.resoudre(inst, &colonnes, &fixes)?;
            t_maitre += tm.elapsed().as_secs_f64();
        }
        if dual_bound.is_none() {
            dual_bound = Some(borne_etape);
        }
        let z = sol.z;
        let mut a_fixer: Vec<usize> = Vec::new();
        let ti = Instant::now();
        if options.point_interieur {
            if let Some(yi) = duals_interieurs(inst, &colonnes, &fixes, z)? {
                tarifications += 1;
                let ecart = yi.1;
                let seuil = (ecart * 1e6).max(1e-6);
                a_fixer = (0..nt)
                    .filter(|&t| fixes[t].is_none() && yi.0[t] > seuil)
                    .collect();
            }
        }
        // Optimal duals: y_t > 0 means the type's constraint binds in every optimal solution.
        let y_opt = y_certifie.as_ref().unwrap_or(&sol.y);
        if a_fixer.is_empty() {
            a_fixer = (0..nt)
                .filter(|&t| fixes[t].is_none() && y_opt[t] > 1e-9)
                .collect();
        }
        if a_fixer.is_empty() {
            // Σ free y_t = 1 guarantees a positive weight; take the largest to ensure progress.
            if let Some(t) = (0..nt)
                .filter(|&t| fixes[t].is_none())
                .max_by(|&a, &b| y_opt[a].total_cmp(&y_opt[b]))
            {
                a_fixer.push(t);
            }
        }
        t_ipm += ti.elapsed().as_secs_f64();
        if trace {
            eprintln!(
                "[tirage] étape {etape} : {} itérations, +{} colonnes ({}), z={z:.9}, {} fixés ({} libres restants) ; cumul {:.2} s : maître {t_maitre:.2}, tarification {t_tarif:.2} ({tarifications}), locale {t_loc:.2}, ipm {t_ipm:.2} ; PL {}×{:.2} s, PLNE {}×{:.2} s",
                iteration - it0,
                colonnes.len() - col0,
                colonnes.len(),
                a_fixer.len(),
                fixes.iter().filter(|f| f.is_none()).count() - a_fixer.len(),
                t0.elapsed().as_secs_f64(),
                solveur::N_LP.load(std::sync::atomic::Ordering::Relaxed),
                solveur::T_LP.load(std::sync::atomic::Ordering::Relaxed) as f64 * 1e-6,
                solveur::N_MIP.load(std::sync::atomic::Ordering::Relaxed),
                solveur::T_MIP.load(std::sync::atomic::Ordering::Relaxed) as f64 * 1e-6,
            );
        }
        for t in a_fixer {
            fixes[t] = Some(z.max(0.0));
        }
        derniere = Some(sol);
    }

    let sol = derniere.ok_or_else(|| TirageError::Solveur("aucune étape".into()))?;
    let stats = Statistiques {
        iterations: iteration,
        etapes: etape,
        colonnes: colonnes.len(),
    };
    Ok(publier(
        inst,
        colonnes.iter().zip(sol.x.iter().copied()),
        dual_bound.unwrap_or(f64::NAN),
        stats,
    ))
}

/// Largest undecomposed weight accepted from [`decomposer_point`]: the distribution is then
/// renormalised, which moves each probability by at most about this much relative to the
/// relaxation's leximin point (the LP tolerances are 1e-10, the published tolerance 1e-6).
const RESTE_MAX: f64 = 1e-6;

/// The distribution given by a decomposition of the relaxation's leximin point, with its
/// certificate: the first stage's bound is the pricing optimum at the compact relaxation's duals
/// (exact branch and bound), as in the column generation. `None` if the decomposition does not
/// reach that bound (then the column generation decides).
fn distribution_relaxation(
    inst: &Instance,
    rel: &LeximinRelaxe,
    d: &Decomposition,
    options: &Options,
) -> Result<Option<Distribution>, TirageError> {
    let Some(tar) = meilleur_panel(inst, &poids_types(inst, &rel.y1), None)? else {
        return Ok(None);
    };
    let stats = Statistiques {
        iterations: d.panels.len(),
        etapes: rel.etapes,
        colonnes: d.panels.len(),
    };
    let dist = publier(
        inst,
        d.panels.iter().map(|(c, w)| (c, *w)),
        tar.borne,
        stats,
    );
    if dist.min_probability < tar.borne - 1e-7 {
        return Ok(None);
    }
    if let Some(rappel) = &options.progression {
        let nt = inst.types.len();
        rappel(&Progression {
            iteration: d.panels.len(),
            etape: rel.etapes,
            types_fixes: nt,
            types: nt,
            valeur: dist.min_probability,
            borne: tar.borne,
        });
    }
    Ok(Some(dist))
}

/// The distribution over the weighted type-panels (weights renormalised to sum to 1, equal
/// panels merged), decomposed into concrete panels.
fn publier<'a>(
    inst: &Instance,
    ponderes: impl Iterator<Item = (&'a Vec<u32>, f64)>,
    dual_bound: f64,
    stats: Statistiques,
) -> Distribution {
    let mut panels: BTreeMap<Vec<u32>, f64> = BTreeMap::new();
    for (c, x) in ponderes {
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
    decomposer(inst, panels_types, dual_bound, stats)
}

/// Interior-point duals of the converged restricted master, accepted only if they are also
/// (near-)optimal for the full dual, checked with one pricing solve. Returns (y, duality gap).
fn duals_interieurs(
    inst: &Instance,
    colonnes: &[Vec<u32>],
    fixes: &[Option<f64>],
    z: f64,
) -> Result<Option<(Vec<f64>, f64)>, TirageError> {
    let Some(sol) = maitre_interieur(inst, colonnes, fixes)? else {
        return Ok(None);
    };
    let poids = poids_types(inst, &sol.y);
    let Some(tar) = meilleur_panel(inst, &poids, None)? else {
        return Ok(None);
    };
    let ecart = tar.borne - terme_fixe(fixes, &sol.y) - z;
    if !(ecart.is_finite()) || ecart > 1e-8 {
        return Ok(None);
    }
    Ok(Some((sol.y, ecart.max(0.0))))
}
