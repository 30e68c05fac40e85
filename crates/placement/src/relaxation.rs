//! The relaxation without C5: a transportation problem (children → places with capacities, an
//! "unplaced" arc at C6 cost), totally unimodular, solved exactly as an LP by HiGHS on pruned
//! candidate arcs then priced out with the duals over every admissible pair. Its value is a valid
//! lower bound of the full problem (C5 ≥ 0) and its vertex an integral, feasible start.

use std::time::Instant;

use highs::{ColProblem, HighsModelStatus, Model, Row};

use crate::cout::{cout_non_place, cout_paire, Solution};
use crate::error::PlacementError;
use crate::instance::Instance;

/// Cost of the artificial "unplaced" arc of a child who must be placed: so large that the LP only
/// uses it when no feasible solution exists (then the fixings are to blame).
const ARTIFICIEL: f64 = 1e8;

/// Outcome of the relaxation.
#[derive(Debug, Clone)]
pub struct Relaxation {
    /// Optimal LP value, an integer (TU matrix, integer data): a lower bound of the objective.
    pub borne: i64,
    /// The integral optimal vertex (without C5), feasible for H1–H6.
    pub solution: Solution,
    /// Arcs in the final LP, and pricing rounds.
    pub arcs: usize,
    pub tours: usize,
    /// The LP was solved to optimality over all admissible pairs (else `borne` is only the C5-free
    /// value of `solution`'s pruned LP and not a bound).
    pub prouvee: bool,
    /// LP value and optimal duals (children rows, then place rows; reduced cost of an arc
    /// `a(c,p) − u[c] − v[p]`), for [`borne_fratries`].
    pub valeur: f64,
    pub u: Vec<f64>,
    pub v: Vec<f64>,
}

/// A stronger valid bound: LP value plus, per sibling group, the least "reduced cost + C5" any
/// choice of its members can have. For any solution, Σ costs ≥ LP + Σ reduced costs of the chosen
/// arcs (v ≤ 0 and loads ≤ capacities), so adding C5 and minimising group by group (capacities
/// ignored) stays below the optimum. A group's minimum is bounded below by the least of: all placed
/// members in one place (C5 0), in one site (C5 ≥ 100), in two sites or more (C5 ≥ 400).
pub fn borne_fratries(inst: &Instance, r: &Relaxation) -> i64 {
    const INF: f64 = 1e15;
    let mut total = r.valeur;
    let m = inst.places.len();
    let mut somme_place = vec![0.0f64; m];
    let mut somme_site = vec![0.0f64; inst.sites.len()];
    let mut rc_site = vec![INF; inst.sites.len()];
    for membres in inst.groups.iter().filter(|g| g.len() >= 2) {
        somme_place.iter_mut().for_each(|x| *x = 0.0);
        somme_site.iter_mut().for_each(|x| *x = 0.0);
        let mut somme_min = 0.0;
        let mut non_places = 0.0;
        for &c in membres {
            let rcu = if inst.peut_rester_non_place(c) {
                (cout_non_place(inst, c) as f64 - r.u[c]).max(0.0)
            } else {
                INF
            };
            rc_site.iter_mut().for_each(|x| *x = INF);
            let mut minimum = rcu;
            for p in 0..m {
                let rc = if inst.admissible(c, p) {
                    (cout_paire(inst, c, p) as f64 - r.u[c] - r.v[p]).max(0.0)
                } else {
                    INF
                };
                somme_place[p] += rc.min(rcu);
                let s = inst.places[p].site;
                rc_site[s] = rc_site[s].min(rc);
                minimum = minimum.min(rc);
            }
            for (s, &x) in rc_site.iter().enumerate() {
                somme_site[s] += x.min(rcu);
            }
            somme_min += minimum;
            non_places += rcu;
        }
        let a = somme_place.iter().copied().fold(non_places, f64::min);
        let b = 100.0 + somme_site.iter().copied().fold(INF, f64::min);
        let c = 400.0 + somme_min;
        total += a.min(b).min(c);
    }
    // The optimum is an integer; the margin absorbs floating-point error on the duals.
    (total - 1e-2).ceil() as i64
}

fn reglages(model: &mut Model) {
    model.set_option("threads", 1);
    model.set_option("solver", "simplex");
    model.set_option("presolve", "off");
}

/// Solves the relaxation starting from `candidats` (extended in place by pricing).
pub fn relaxation(
    inst: &Instance,
    candidats: &mut [Vec<usize>],
    fin: Instant,
) -> Result<Relaxation, PlacementError> {
    let n = inst.children.len();
    let m = inst.places.len();
    if n == 0 {
        return Ok(Relaxation {
            borne: 0,
            solution: Vec::new(),
            arcs: 0,
            tours: 0,
            prouvee: true,
            valeur: 0.0,
            u: Vec::new(),
            v: vec![0.0; m],
        });
    }
    let mut pb = ColProblem::default();
    let lignes_enfants: Vec<Row> = (0..n).map(|_| pb.add_row(1.0..=1.0)).collect();
    let lignes_places: Vec<Row> = inst
        .places
        .iter()
        .map(|p| pb.add_row(..=f64::from(p.capacity)))
        .collect();
    // Column index → (child, Some(place) | None for unplaced).
    let mut arcs: Vec<(usize, Option<usize>)> = Vec::new();
    for c in 0..n {
        let cout = if inst.peut_rester_non_place(c) {
            cout_non_place(inst, c) as f64
        } else {
            ARTIFICIEL
        };
        pb.add_column(cout, 0.0.., [(lignes_enfants[c], 1.0)]);
        arcs.push((c, None));
        for &p in &candidats[c] {
            pb.add_column(
                cout_paire(inst, c, p) as f64,
                0.0..,
                [(lignes_enfants[c], 1.0), (lignes_places[p], 1.0)],
            );
            arcs.push((c, Some(p)));
        }
    }
    let mut model = Model::new(pb);
    reglages(&mut model);
    let mut dans = vec![false; m];
    let mut tours = 0;
    loop {
        tours += 1;
        let resolu = model
            .try_solve()
            .map_err(|e| PlacementError::Solveur(format!("relaxation : {e:?}")))?;
        if resolu.status() != HighsModelStatus::Optimal {
            return Err(PlacementError::Solveur(format!(
                "relaxation : statut {:?}",
                resolu.status()
            )));
        }
        let s = resolu.get_solution();
        let duaux = s.dual_rows();
        // HiGHS: reduced cost = cost − Σ a·dual; check the convention on an arc in the model.
        let signe = {
            let (c, p) = arcs[0];
            let _ = p;
            let rc = s.dual_columns()[0];
            let cout = if inst.peut_rester_non_place(c) {
                cout_non_place(inst, c) as f64
            } else {
                ARTIFICIEL
            };
            if (cout - duaux[c] - rc).abs() <= 1e-6 * cout.abs().max(1.0) {
                1.0
            } else {
                -1.0
            }
        };
        let mut nouveaux: Vec<(usize, usize, f64)> = Vec::new();
        let temps_ecoule = Instant::now() >= fin;
        if !temps_ecoule {
            for c in 0..n {
                for &p in &candidats[c] {
                    dans[p] = true;
                }
                let uc = signe * duaux[c];
                let mut meilleurs: Vec<(f64, usize)> = Vec::new();
                for p in 0..m {
                    if dans[p] || !inst.admissible(c, p) {
                        continue;
                    }
                    let rc = cout_paire(inst, c, p) as f64 - uc - signe * duaux[n + p];
                    if rc < -1e-6 {
                        meilleurs.push((rc, p));
                    }
                }
                for &p in &candidats[c] {
                    dans[p] = false;
                }
                meilleurs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                for &(rc, p) in meilleurs.iter().take(4) {
                    nouveaux.push((c, p, rc));
                }
            }
        }
        if nouveaux.is_empty() {
            let valeurs = s.columns();
            let mut sol: Solution = vec![None; n];
            let mut artificiel = false;
            let mut entier = true;
            for (j, &(c, p)) in arcs.iter().enumerate() {
                let v = valeurs[j];
                if (v - v.round()).abs() > 1e-6 {
                    entier = false;
                }
                if v > 0.5 {
                    match p {
                        Some(p) => sol[c] = Some(p),
                        None if !inst.peut_rester_non_place(c) => artificiel = true,
                        None => {}
                    }
                }
            }
            if artificiel {
                return Err(PlacementError::FixationsIncompatibles(
                    "les enfants déjà accueillis ne peuvent pas tous garder une place compatible"
                        .to_owned(),
                ));
            }
            let valeur = resolu.objective_value();
            let _ = entier;
            let u: Vec<f64> = (0..n).map(|c| signe * duaux[c]).collect();
            let v: Vec<f64> = (0..m).map(|p| (signe * duaux[n + p]).min(0.0)).collect();
            return Ok(Relaxation {
                borne: (valeur - 1e-4).ceil() as i64,
                solution: sol,
                arcs: arcs.len(),
                tours,
                prouvee: !temps_ecoule,
                valeur,
                u,
                v,
            });
        }
        model = resolu.into();
        for (c, p, _) in nouveaux {
            model.add_col(
                cout_paire(inst, c, p) as f64,
                0.0..,
                [(lignes_enfants[c], 1.0), (lignes_places[p], 1.0)],
            );
            arcs.push((c, Some(p)));
            candidats[c].push(p);
        }
    }
}
