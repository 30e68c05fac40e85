//! The exact MIP (HiGHS) of `placement.md` on a set of children (whole sibling groups) and their
//! candidate places with residual capacities: binaries x[c,p] and y[c] (unplaced), and for groups of
//! two or more C5 linearised as 300·Σz[g,s] + 100·Σw[g,p] − 400·h[g] (z: the group uses site s,
//! w: it uses place p, h: it has a placed member). On all children and all admissible pairs it is
//! the whole problem, solved to proven optimality on small instances; on a few groups it is the
//! re-optimisation step of the engine's large-neighbourhood search.

use std::collections::HashMap;

use highs::{Col, HighsModelStatus, RowProblem, Sense};

use crate::cout::{cout_non_place, cout_paire, C5_PLACE, C5_SITE};
use crate::error::PlacementError;
use crate::instance::Instance;

/// A row kept for after the columns: lower bound, upper bound, terms.
type Ligne = (f64, f64, Vec<(Col, f64)>);

/// A sub-problem: `enfants` must be whole sibling groups (C5 is counted only among them).
pub struct SousProbleme<'a> {
    pub enfants: &'a [usize],
    /// Candidate places per child of `enfants` (same order); every one admissible.
    pub candidats: &'a [Vec<usize>],
    /// Beds left to these children, per place index of the instance.
    pub capacite: &'a [u32],
    /// A feasible start (per child of `enfants`), passed to HiGHS as incumbent.
    pub depart: Option<&'a [Option<usize>]>,
}

/// What HiGHS found.
#[derive(Debug, Clone)]
pub struct ResultatMip {
    /// Per child of `enfants`.
    pub choix: Vec<Option<usize>>,
    /// Objective of `choix` on these children (C1..C6 with their C5), rounded.
    pub objectif: i64,
    /// Valid lower bound of this sub-problem's optimum.
    pub borne: i64,
    /// Gap closed: `objectif` is optimal.
    pub optimal: bool,
}

/// Solves the sub-problem within `limite_s` seconds (one thread, deterministic for `graine`).
/// `Ok(None)`: no feasible solution found in time.
pub fn resoudre(
    inst: &Instance,
    sp: &SousProbleme<'_>,
    limite_s: f64,
    graine: u64,
) -> Result<Option<ResultatMip>, PlacementError> {
    let mut pb = RowProblem::default();
    let k = sp.enfants.len();
    let mut x: Vec<Vec<Col>> = Vec::with_capacity(k);
    let mut y: Vec<Option<Col>> = Vec::with_capacity(k);
    // Column values of the start, filled as columns are created.
    let mut depart: Vec<f64> = Vec::new();
    let ajoute = |pb: &mut RowProblem, cout: f64, entier: bool, v: f64, depart: &mut Vec<f64>| {
        depart.push(v);
        if entier {
            pb.add_integer_column(cout, 0.0..=1.0)
        } else {
            pb.add_column(cout, 0.0..=1.0)
        }
    };
    for (i, &c) in sp.enfants.iter().enumerate() {
        let choix0 = sp.depart.map(|d| d[i]);
        let xs: Vec<Col> = sp.candidats[i]
            .iter()
            .map(|&p| {
                let v = if choix0 == Some(Some(p)) { 1.0 } else { 0.0 };
                ajoute(&mut pb, cout_paire(inst, c, p) as f64, true, v, &mut depart)
            })
            .collect();
        x.push(xs);
        y.push(if inst.peut_rester_non_place(c) {
            let v = if choix0 == Some(None) { 1.0 } else { 0.0 };
            Some(ajoute(
                &mut pb,
                cout_non_place(inst, c) as f64,
                true,
                v,
                &mut depart,
            ))
        } else {
            None
        });
    }
    // Groups of the sub-problem with two members or more.
    let mut groupes: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &c) in sp.enfants.iter().enumerate() {
        groupes.entry(inst.children[c].group).or_default().push(i);
    }
    let mut ordre_groupes: Vec<(usize, Vec<usize>)> =
        groupes.into_iter().filter(|(_, m)| m.len() >= 2).collect();
    ordre_groupes.sort_unstable();
    let mut lignes: Vec<Ligne> = Vec::new();
    for (_, membres) in &ordre_groupes {
        let places_depart: Vec<usize> = membres
            .iter()
            .filter_map(|&i| sp.depart.and_then(|d| d[i]))
            .collect();
        let mut w: HashMap<usize, Col> = HashMap::new();
        let mut z: HashMap<usize, Col> = HashMap::new();
        let mut tous: Vec<(Col, f64)> = Vec::new();
        for &i in membres {
            let mut par_site: HashMap<usize, Vec<(Col, f64)>> = HashMap::new();
            for (j, &p) in sp.candidats[i].iter().enumerate() {
                let wp = *w.entry(p).or_insert_with(|| {
                    let v = if places_depart.contains(&p) { 1.0 } else { 0.0 };
                    ajoute(&mut pb, C5_PLACE as f64, false, v, &mut depart)
                });
                lignes.push((f64::NEG_INFINITY, 0.0, vec![(x[i][j], 1.0), (wp, -1.0)]));
                par_site
                    .entry(inst.places[p].site)
                    .or_default()
                    .push((x[i][j], 1.0));
                tous.push((x[i][j], 1.0));
            }
            let mut sites: Vec<(usize, Vec<(Col, f64)>)> = par_site.into_iter().collect();
            sites.sort_unstable_by_key(|(s, _)| *s);
            for (s, mut termes) in sites {
                let zs = *z.entry(s).or_insert_with(|| {
                    let v = if places_depart.iter().any(|&q| inst.places[q].site == s) {
                        1.0
                    } else {
                        0.0
                    };
                    ajoute(&mut pb, (C5_SITE - C5_PLACE) as f64, false, v, &mut depart)
                });
                termes.push((zs, -1.0));
                lignes.push((f64::NEG_INFINITY, 0.0, termes));
            }
        }
        let h = ajoute(
            &mut pb,
            -(C5_SITE as f64),
            false,
            if places_depart.is_empty() { 0.0 } else { 1.0 },
            &mut depart,
        );
        tous.push((h, -1.0));
        // h − Σ x ≤ 0 written as Σ x − h ≥ 0.
        lignes.push((0.0, f64::INFINITY, tous));
    }
    for (i, xs) in x.iter().enumerate() {
        let mut t: Vec<(Col, f64)> = xs.iter().map(|&c| (c, 1.0)).collect();
        if let Some(yc) = y[i] {
            t.push((yc, 1.0));
        }
        pb.add_row(1.0..=1.0, &t);
    }
    let mut par_place: HashMap<usize, Vec<(Col, f64)>> = HashMap::new();
    for (i, xs) in x.iter().enumerate() {
        for (j, &p) in sp.candidats[i].iter().enumerate() {
            par_place.entry(p).or_default().push((xs[j], 1.0));
        }
    }
    let mut places: Vec<(usize, Vec<(Col, f64)>)> = par_place.into_iter().collect();
    places.sort_unstable_by_key(|(p, _)| *p);
    for (p, t) in places {
        if t.len() as u32 > sp.capacite[p] {
            pb.add_row(..=f64::from(sp.capacite[p]), &t);
        }
    }
    for (lo, hi, t) in lignes {
        pb.add_row(lo..=hi, &t);
    }
    let mut model = pb.optimise(Sense::Minimise);
    model.set_option("threads", 1);
    model.set_option("time_limit", limite_s.max(0.01));
    model.set_option("mip_rel_gap", 0.0);
    // The objective is an integer: a gap below 1 proves optimality.
    model.set_option("mip_abs_gap", 0.999);
    model.set_option("random_seed", (graine % 2_000_000_000) as i32);
    if sp.depart.is_some() {
        let _ = model.try_set_solution(Some(&depart), None, None, None);
    }
    let resolu = model
        .try_solve()
        .map_err(|e| PlacementError::Solveur(format!("MIP : {e:?}")))?;
    let statut = resolu.status();
    match statut {
        HighsModelStatus::Optimal
        | HighsModelStatus::ReachedTimeLimit
        | HighsModelStatus::ReachedIterationLimit
        | HighsModelStatus::ObjectiveBound
        | HighsModelStatus::ObjectiveTarget
        | HighsModelStatus::Unknown => {}
        HighsModelStatus::Infeasible => return Ok(None),
        s => return Err(PlacementError::Solveur(format!("MIP : statut {s:?}"))),
    }
    let s = resolu.get_solution();
    let v = s.columns();
    if v.len() != depart.len() {
        return Ok(None);
    }
    let mut choix = Vec::with_capacity(k);
    let mut charge: HashMap<usize, u32> = HashMap::new();
    for (i, xs) in x.iter().enumerate() {
        let pris: Vec<usize> = xs
            .iter()
            .enumerate()
            .filter(|(_, c)| s[**c] > 0.5)
            .map(|(j, _)| sp.candidats[i][j])
            .collect();
        let non_place = y[i].is_some_and(|yc| s[yc] > 0.5);
        match (pris.as_slice(), non_place) {
            ([p], false) => {
                *charge.entry(*p).or_default() += 1;
                choix.push(Some(*p));
            }
            ([], true) => choix.push(None),
            // No incumbent (time limit before the first solution): values are meaningless.
            _ => return Ok(None),
        }
    }
    if charge.iter().any(|(&p, &n)| n > sp.capacite[p]) {
        return Ok(None);
    }
    let objectif = resolu.objective_value();
    if !objectif.is_finite() {
        return Ok(None);
    }
    let optimal = statut == HighsModelStatus::Optimal;
    let gap = resolu.mip_gap();
    let borne = if optimal {
        objectif.round() as i64
    } else if gap.is_finite() {
        // HiGHS: gap = (primal − dual) / |primal|; keep a margin for its tolerances.
        let dual = objectif - gap * objectif.abs();
        (dual - 1e-6 * objectif.abs() - 1e-3).ceil() as i64
    } else {
        i64::MIN
    };
    Ok(Some(ResultatMip {
        choix,
        objectif: objectif.round() as i64,
        borne,
        optimal,
    }))
}

/// The whole instance as one MIP on all admissible pairs (exact when the gap closes).
pub fn exact(
    inst: &Instance,
    depart: Option<&[Option<usize>]>,
    limite_s: f64,
    graine: u64,
) -> Result<Option<ResultatMip>, PlacementError> {
    let enfants: Vec<usize> = (0..inst.children.len()).collect();
    let candidats: Vec<Vec<usize>> = enfants
        .iter()
        .map(|&c| {
            (0..inst.places.len())
                .filter(|&p| inst.admissible(c, p))
                .collect()
        })
        .collect();
    let capacite: Vec<u32> = inst.places.iter().map(|p| p.capacity).collect();
    resoudre(
        inst,
        &SousProbleme {
            enfants: &enfants,
            candidats: &candidats,
            capacite: &capacite,
            depart,
        },
        limite_s,
        graine,
    )
}
