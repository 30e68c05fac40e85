//! The orientation engine: greedy baseline, exact relaxation without C5 (lower bound and start),
//! local search (relocations, swaps), then large-neighbourhood search that re-optimises a few
//! sibling groups and the groups around them with the exact MIP; on small instances the whole MIP,
//! which proves optimality. Deterministic for a seed, up to where the time limit cuts the search.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::candidats::candidats;
use crate::cout::{c5_groupe, c5_places, cout, cout_choix, verifier, Detail, Solution};
use crate::error::PlacementError;
use crate::glouton::glouton;
use crate::instance::Instance;
use crate::lagrangien::{borne_lagrangienne, Paires};
use crate::mip::{self, SousProbleme};
use crate::relaxation::relaxation;

/// Which solver to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Methode {
    /// The engine (default).
    Moteur,
    /// The greedy baseline only.
    Glouton,
    /// The whole MIP on every admissible pair (reference; long on large instances).
    Exact,
    /// Benchmark reference: the engine (10 s at most), then the exact MIP restricted to each
    /// child's best candidate places, warm-started from the engine, for the rest of the time.
    Reference,
}

/// Progress callback (messages in French).
pub type Rappel = Arc<dyn Fn(&str) + Send + Sync>;

/// Solver options.
#[derive(Clone)]
pub struct Options {
    /// Wall time given to the solver.
    pub temps: Duration,
    pub graine: u64,
    pub progression: Option<Rappel>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            temps: Duration::from_secs(10),
            graine: 0,
            progression: None,
        }
    }
}

/// A solved instance.
#[derive(Debug, Clone)]
pub struct Resultat {
    pub solution: Solution,
    pub detail: Detail,
    /// Valid lower bound of the optimum, when one was computed.
    pub borne: Option<i64>,
    /// The solution is proven optimal.
    pub prouve: bool,
    /// [`Methode::Reference`] only: HiGHS's dual bound of the restricted MIP. It bounds the
    /// optimum over the candidate pairs only, not the whole problem.
    pub borne_restreinte: Option<i64>,
    /// What was done, for stderr.
    pub journal: Vec<String>,
}

/// Instances the engine hands whole to the exact MIP.
const PETIT_ENFANTS: usize = 60;
const PETIT_PAIRES: usize = 15_000;

/// Solves `inst` with `methode`; the returned solution always passes [`verifier`].
pub fn resoudre(
    inst: &Instance,
    methode: Methode,
    options: &Options,
) -> Result<Resultat, PlacementError> {
    if methode == Methode::Reference {
        return reference(inst, options);
    }
    let debut = Instant::now();
    let fin = debut + options.temps;
    let dire = |m: &str| {
        if let Some(p) = &options.progression {
            p(m);
        }
    };
    let mut journal = Vec::new();
    let g = glouton(inst);
    if verifier(inst, &g).is_err() {
        // The greedy keeps reserved beds: it fails only when the fixings leave no solution.
        return Err(PlacementError::FixationsIncompatibles(
            "les enfants déjà accueillis ne peuvent pas tous garder une place compatible"
                .to_owned(),
        ));
    }
    let mut meilleure = g;
    let mut meilleur_cout = cout(inst, &meilleure).total;
    journal.push(format!("glouton : {meilleur_cout}"));
    let mut borne = None;
    let mut prouve = false;
    match methode {
        Methode::Glouton | Methode::Reference => {}
        Methode::Exact => {
            dire("MIP exact");
            let restant = fin.saturating_duration_since(Instant::now()).as_secs_f64();
            if let Some(r) = mip::exact(inst, None, restant, options.graine)? {
                borne = Some(r.borne);
                prouve = r.optimal;
                journal.push(format!("MIP exact : {} (borne {})", r.objectif, r.borne));
                let t = cout(inst, &r.choix).total;
                if verifier(inst, &r.choix).is_ok() && t <= meilleur_cout {
                    meilleure = r.choix;
                    meilleur_cout = t;
                }
            } else {
                journal.push("MIP exact : aucune solution dans le temps imparti".to_owned());
            }
        }
        Methode::Moteur => {
            let mut cand = candidats(inst, 10, 4);
            dire("relaxation sans C5");
            // Keep most of the time for the search: the bound is proven only if pricing finishes.
            let fin_relax = debut + options.temps.mul_f64(0.5);
            let r = relaxation(inst, &mut cand, fin_relax)?;
            journal.push(format!(
                "relaxation sans C5 : {} ({} arcs, {} tours{})",
                r.borne,
                r.arcs,
                r.tours,
                if r.prouvee {
                    ""
                } else {
                    ", tarification interrompue : pas une borne"
                }
            ));
            if r.prouvee {
                let b = crate::relaxation::borne_fratries(inst, &r).max(r.borne);
                journal.push(format!("borne avec les fratries : {b}"));
                borne = Some(b);
            }
            // Valid for any multipliers v ≤ 0: the LP's duals are only a good start.
            dire("borne lagrangienne");
            let t_lagr = Instant::now();
            let fin_lagr = t_lagr + options.temps.mul_f64(0.15);
            let paires = Paires::nouvelles(inst);
            let haut = meilleur_cout.min(if verifier(inst, &r.solution).is_ok() {
                cout(inst, &r.solution).total
            } else {
                i64::MAX
            });
            let (bl, evaluations) = borne_lagrangienne(inst, &paires, &r.v, haut, fin_lagr, 200);
            journal.push(format!(
                "borne lagrangienne : {bl} ({evaluations} évaluations, {:.2} s)",
                t_lagr.elapsed().as_secs_f64()
            ));
            borne = Some(borne.map_or(bl, |b| b.max(bl)));
            if verifier(inst, &r.solution).is_ok() {
                let t = cout(inst, &r.solution).total;
                if t < meilleur_cout {
                    meilleure = r.solution;
                    meilleur_cout = t;
                }
            }
            let mut etat = Etat::nouveau(inst, meilleure.clone());
            let tri = TriCandidats::nouveau(inst, &cand);
            dire("recherche locale");
            etat.recherche_locale(&cand, fin);
            etat.recherche_groupes(&cand, fin);
            journal.push(format!("recherche locale : {}", etat.cout));
            let paires: usize = (0..inst.children.len())
                .map(|c| {
                    (0..inst.places.len())
                        .filter(|&p| inst.admissible(c, p))
                        .count()
                })
                .sum();
            if inst.children.len() <= PETIT_ENFANTS && paires <= PETIT_PAIRES {
                dire("MIP exact");
                let restant = fin.saturating_duration_since(Instant::now()).as_secs_f64();
                if let Some(r) = mip::exact(inst, Some(&etat.sol), restant, options.graine)? {
                    let t = cout(inst, &r.choix).total;
                    if verifier(inst, &r.choix).is_ok() && t <= etat.cout {
                        etat = Etat::nouveau(inst, r.choix);
                    }
                    borne = Some(borne.unwrap_or(i64::MIN).max(r.borne));
                    prouve = r.optimal && t == r.objectif;
                    journal.push(format!("MIP exact : {} (borne {})", t, r.borne));
                }
            }
            if !prouve {
                let n = lns(&mut etat, &tri, fin, options.graine, &dire)?;
                journal.push(format!("voisinages : {n} ; objectif {}", etat.cout));
                etat.recherche_locale(&cand, fin + Duration::from_millis(50));
            }
            if verifier(inst, &etat.sol).is_ok() && etat.cout <= meilleur_cout {
                meilleur_cout = cout(inst, &etat.sol).total;
                meilleure = etat.sol;
            }
        }
    }
    let detail = cout(inst, &meilleure);
    debug_assert_eq!(detail.total, meilleur_cout);
    if let Some(b) = borne {
        if b >= detail.total {
            prouve = true;
        }
    }
    Ok(Resultat {
        solution: meilleure,
        detail,
        borne,
        prouve,
        borne_restreinte: None,
        journal,
    })
}

/// Candidate places per child in the reference MIP: the engine's candidates with a wider head.
const K_REFERENCE: usize = 20;
const K_FRERES_REFERENCE: usize = 6;

/// [`Methode::Reference`]: the engine first (its valid bound is kept), then the MIP on every child
/// restricted to its `K_REFERENCE` cheapest places, its current place, its siblings' places and the
/// whole-group sites, plus the engine's choice so that the warm start is feasible.
fn reference(inst: &Instance, options: &Options) -> Result<Resultat, PlacementError> {
    let debut = Instant::now();
    let mut opt_moteur = options.clone();
    opt_moteur.temps = options.temps.min(Duration::from_secs(10));
    let mut r = resoudre(inst, Methode::Moteur, &opt_moteur)?;
    if r.prouve {
        return Ok(r);
    }
    let enfants: Vec<usize> = (0..inst.children.len()).collect();
    let mut cand = candidats(inst, K_REFERENCE, K_FRERES_REFERENCE);
    for (c, v) in cand.iter_mut().enumerate() {
        if let Some(p) = r.solution[c] {
            if !v.contains(&p) {
                v.push(p);
            }
        }
        // Fixed children keep only their fixing (the candidates list ignores fixings).
        v.retain(|&p| inst.admissible(c, p));
    }
    let capacite: Vec<u32> = inst.places.iter().map(|p| p.capacity).collect();
    let restant = options
        .temps
        .saturating_sub(debut.elapsed())
        .as_secs_f64()
        .max(1.0);
    let paires: usize = cand.iter().map(Vec::len).sum();
    let m = mip::resoudre(
        inst,
        &SousProbleme {
            enfants: &enfants,
            candidats: &cand,
            capacite: &capacite,
            depart: Some(&r.solution),
        },
        restant,
        options.graine,
    )?;
    match m {
        Some(m) => {
            r.journal.push(format!(
                "MIP restreint ({paires} paires) : {} ; sa borne {} ne vaut que pour ces paires",
                m.objectif, m.borne
            ));
            r.borne_restreinte = Some(m.borne);
            if verifier(inst, &m.choix).is_ok() && cout(inst, &m.choix).total < r.detail.total {
                r.detail = cout(inst, &m.choix);
                r.solution = m.choix;
                if r.borne.is_some_and(|b| b >= r.detail.total) {
                    r.prouve = true;
                }
            }
        }
        None => r
            .journal
            .push("MIP restreint : aucune solution dans le temps imparti".to_owned()),
    }
    Ok(r)
}

/// Candidate places of each child sorted by cost (C1..C4), for neighbourhoods.
struct TriCandidats {
    par_cout: Vec<Vec<usize>>,
    tous: Vec<Vec<usize>>,
}

impl TriCandidats {
    fn nouveau(inst: &Instance, cand: &[Vec<usize>]) -> Self {
        let par_cout = cand
            .iter()
            .enumerate()
            .map(|(c, v)| {
                let mut v = v.clone();
                v.sort_by_key(|&p| (crate::cout::cout_paire(inst, c, p), p));
                v
            })
            .collect();
        TriCandidats {
            par_cout,
            tous: cand.to_vec(),
        }
    }
}

/// A solution with place occupancy and its cost, updated move by move.
struct Etat<'a> {
    inst: &'a Instance,
    sol: Solution,
    occ: Vec<Vec<usize>>,
    cout: i64,
}

impl<'a> Etat<'a> {
    fn nouveau(inst: &'a Instance, sol: Solution) -> Self {
        let mut occ = vec![Vec::new(); inst.places.len()];
        for (c, p) in sol.iter().enumerate() {
            if let Some(p) = p {
                occ[*p].push(c);
            }
        }
        let cout = cout(inst, &sol).total;
        Etat {
            inst,
            sol,
            occ,
            cout,
        }
    }

    fn affecter(&mut self, c: usize, q: Option<usize>) {
        if let Some(p) = self.sol[c] {
            self.occ[p].retain(|&d| d != c);
        }
        if let Some(q) = q {
            self.occ[q].push(c);
        }
        self.sol[c] = q;
    }

    /// C5 of the group of `c` if the children of `changes` took those places.
    fn c5_avec(&self, g: usize, changes: &[(usize, Option<usize>)]) -> i64 {
        c5_places(
            self.inst,
            self.inst.groups[g].iter().map(|&d| {
                changes
                    .iter()
                    .find(|(e, _)| *e == d)
                    .map_or(self.sol[d], |&(_, q)| q)
            }),
        )
    }

    /// Cost change of moving the children of `changes` (at most two) to their new places.
    fn delta(&self, changes: &[(usize, Option<usize>)]) -> i64 {
        let inst = self.inst;
        let mut d = 0;
        let mut groupes: Vec<usize> = Vec::with_capacity(2);
        for &(c, q) in changes {
            d += cout_choix(inst, c, q) - cout_choix(inst, c, self.sol[c]);
            let g = inst.children[c].group;
            if !groupes.contains(&g) {
                groupes.push(g);
            }
        }
        for g in groupes {
            if inst.groups[g].len() > 1 {
                d += self.c5_avec(g, changes) - c5_groupe(inst, g, &self.sol);
            }
        }
        d
    }

    /// Best-improvement relocations and swaps over the candidate places, until none improves.
    fn recherche_locale(&mut self, cand: &[Vec<usize>], fin: Instant) {
        let inst = self.inst;
        loop {
            let mut ameliore = false;
            for c in 0..inst.children.len() {
                if inst.fixations[c].is_some() {
                    continue;
                }
                if Instant::now() >= fin {
                    return;
                }
                let p0 = self.sol[c];
                let mut meilleur: (i64, Vec<(usize, Option<usize>)>) = (0, Vec::new());
                let mut options: Vec<Option<usize>> = cand[c].iter().map(|&p| Some(p)).collect();
                if inst.peut_rester_non_place(c) {
                    options.push(None);
                }
                for q in options {
                    if q == p0 {
                        continue;
                    }
                    match q {
                        Some(qp) if self.occ[qp].len() as u32 >= inst.places[qp].capacity => {
                            for &d in &self.occ[qp] {
                                if inst.fixations[d].is_some() {
                                    continue;
                                }
                                let ok = match p0 {
                                    Some(pp) => inst.admissible(d, pp),
                                    None => inst.peut_rester_non_place(d),
                                };
                                if !ok {
                                    continue;
                                }
                                let ch = [(c, q), (d, p0)];
                                let v = self.delta(&ch);
                                if v < meilleur.0 {
                                    meilleur = (v, ch.to_vec());
                                }
                            }
                        }
                        _ => {
                            let ch = [(c, q)];
                            let v = self.delta(&ch);
                            if v < meilleur.0 {
                                meilleur = (v, ch.to_vec());
                            }
                        }
                    }
                }
                if meilleur.0 < 0 {
                    for &(d, q) in &meilleur.1 {
                        self.affecter(d, q);
                    }
                    self.cout += meilleur.0;
                    ameliore = true;
                }
            }
            if !ameliore {
                return;
            }
        }
    }
}

impl Etat<'_> {
    /// Best response of sibling group `g` alone: its free members leave their beds, then try every
    /// site where its members have candidates (all in one place when beds allow, else unit by
    /// unit inside the site, the others at their cheapest free place) and the independent choice;
    /// the cheapest is kept if it beats the current one. Returns the gain.
    fn reinserer_groupe(&mut self, g: usize, cand: &[Vec<usize>]) -> i64 {
        let inst = self.inst;
        let membres: Vec<usize> = inst.groups[g]
            .iter()
            .copied()
            .filter(|&c| inst.fixations[c].is_none())
            .collect();
        if membres.is_empty() {
            return 0;
        }
        let avant_places: Vec<Option<usize>> = membres.iter().map(|&c| self.sol[c]).collect();
        let cout_groupe = |etat: &Etat<'_>| -> i64 {
            membres
                .iter()
                .map(|&c| cout_choix(inst, c, etat.sol[c]))
                .sum::<i64>()
                + c5_groupe(inst, g, &etat.sol)
        };
        let avant = cout_groupe(self);
        for &c in &membres {
            self.affecter(c, None);
        }
        let libre =
            |etat: &Etat<'_>, p: usize| etat.occ[p].len() < inst.places[p].capacity as usize;
        // Members who must be placed first (fewest options), so that they keep a bed.
        let mut ordre = membres.clone();
        ordre.sort_by_key(|&c| (inst.peut_rester_non_place(c), cand[c].len(), c));
        let mut sites: Vec<usize> = membres
            .iter()
            .flat_map(|&c| cand[c].iter().map(|&p| inst.places[p].site))
            .collect();
        sites.sort_unstable();
        sites.dedup();
        let mut meilleur: (i64, Vec<Option<usize>>) = (avant, avant_places);
        // `None` = independent choice; `Some(s)` = prefer site s.
        for cible in std::iter::once(None).chain(sites.into_iter().map(Some)) {
            let mut ok = true;
            for &c in &ordre {
                let mut choix: Option<(i64, Option<usize>)> = if inst.peut_rester_non_place(c) {
                    Some((cout_choix(inst, c, None), None))
                } else {
                    None
                };
                let essayer =
                    |etat: &Etat<'_>, p: usize, choix: &mut Option<(i64, Option<usize>)>| {
                        if !libre(etat, p) || !inst.admissible(c, p) {
                            return;
                        }
                        let c5 = c5_places(
                            inst,
                            inst.groups[g]
                                .iter()
                                .map(|&d| if d == c { Some(p) } else { etat.sol[d] }),
                        );
                        let v = cout_choix(inst, c, Some(p)) + c5;
                        if choix.is_none_or(|(m, _)| v < m) {
                            *choix = Some((v, Some(p)));
                        }
                    };
                if let Some(s) = cible {
                    for &p in &inst.site_places[s] {
                        essayer(self, p, &mut choix);
                    }
                }
                if cible.is_none() || choix.is_none_or(|(_, q)| q.is_none()) {
                    for &p in &cand[c] {
                        essayer(self, p, &mut choix);
                    }
                }
                match choix {
                    Some((_, q)) => self.affecter(c, q),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                let v = cout_groupe(self);
                if v < meilleur.0 {
                    meilleur = (v, membres.iter().map(|&c| self.sol[c]).collect());
                }
            }
            for &c in &membres {
                self.affecter(c, None);
            }
        }
        for (&c, &q) in membres.iter().zip(&meilleur.1) {
            self.affecter(c, q);
        }
        let gain = avant - meilleur.0;
        self.cout -= gain;
        gain
    }

    /// Group best responses for every sibling group, repeated with the local search until stable.
    fn recherche_groupes(&mut self, cand: &[Vec<usize>], fin: Instant) {
        loop {
            let mut gain = 0;
            for g in 0..self.inst.groups.len() {
                if Instant::now() >= fin {
                    return;
                }
                if self.inst.groups[g].len() >= 2 {
                    gain += self.reinserer_groupe(g, cand);
                }
            }
            self.recherche_locale(cand, fin);
            if gain == 0 {
                return;
            }
        }
    }
}

/// Large-neighbourhood search: frees a sibling group (split ones first), the groups seated in the
/// sites it would like, and re-optimises them with the MIP on the beds left. Returns the number of
/// neighbourhoods tried.
fn lns(
    etat: &mut Etat<'_>,
    tri: &TriCandidats,
    fin: Instant,
    graine: u64,
    dire: &dyn Fn(&str),
) -> Result<usize, PlacementError> {
    let inst = etat.inst;
    let mut rng = ChaCha8Rng::seed_from_u64(graine);
    let groupes_libres: Vec<usize> = (0..inst.groups.len())
        .filter(|&g| inst.groups[g].iter().any(|&c| inst.fixations[c].is_none()))
        .collect();
    if groupes_libres.is_empty() {
        return Ok(0);
    }
    let mut taille_max: usize = 15;
    let mut iterations = 0;
    let mut file_separes: Vec<usize> = Vec::new();
    let mut dans = vec![false; inst.groups.len()];
    let mut capacite: Vec<u32> = inst.places.iter().map(|p| p.capacity).collect();
    let mut derniere_annonce = Instant::now();
    while Instant::now() < fin {
        iterations += 1;
        if file_separes.is_empty() {
            file_separes = groupes_libres
                .iter()
                .copied()
                .filter(|&g| c5_groupe(inst, g, &etat.sol) > 0)
                .collect();
            file_separes.shuffle(&mut rng);
        }
        let graine_groupe = if !file_separes.is_empty() && rng.gen_bool(0.7) {
            file_separes.pop().unwrap_or(0)
        } else {
            groupes_libres[rng.gen_range(0..groupes_libres.len())]
        };
        // Sites the seed group wants: where it is, and its members' cheapest candidates.
        let mut sites: Vec<usize> = Vec::new();
        for &c in &inst.groups[graine_groupe] {
            if let Some(p) = etat.sol[c] {
                sites.push(inst.places[p].site);
            }
            let k = rng.gen_range(3..=8);
            for &p in tri.par_cout[c].iter().take(k) {
                sites.push(inst.places[p].site);
            }
        }
        sites.sort_unstable();
        sites.dedup();
        let mut voisins: Vec<usize> = Vec::new();
        for &s in &sites {
            for &p in &inst.site_places[s] {
                for &d in &etat.occ[p] {
                    voisins.push(inst.children[d].group);
                }
            }
        }
        voisins.sort_unstable();
        voisins.dedup();
        voisins.shuffle(&mut rng);
        let mut groupes = vec![graine_groupe];
        dans[graine_groupe] = true;
        let mut n_enfants = inst.groups[graine_groupe].len();
        for g in voisins {
            if dans[g] || n_enfants + inst.groups[g].len() > taille_max {
                continue;
            }
            dans[g] = true;
            groupes.push(g);
            n_enfants += inst.groups[g].len();
        }
        // Fill up with random groups so that beds elsewhere can be exchanged too.
        let mut essais = 0;
        while n_enfants < taille_max / 2 && essais < 20 {
            essais += 1;
            let g = groupes_libres[rng.gen_range(0..groupes_libres.len())];
            if dans[g] || n_enfants + inst.groups[g].len() > taille_max {
                continue;
            }
            dans[g] = true;
            groupes.push(g);
            n_enfants += inst.groups[g].len();
        }
        for &g in &groupes {
            dans[g] = false;
        }
        let enfants: Vec<usize> = groupes
            .iter()
            .flat_map(|&g| inst.groups[g].iter().copied())
            .collect();
        let cands: Vec<Vec<usize>> = enfants
            .iter()
            .map(|&c| {
                let mut v = tri.tous[c].clone();
                if let Some(p) = etat.sol[c] {
                    if !v.contains(&p) {
                        v.push(p);
                    }
                }
                v
            })
            .collect();
        let depart: Vec<Option<usize>> = enfants.iter().map(|&c| etat.sol[c]).collect();
        // Beds left to the freed children: capacity minus the children who stay.
        for v in &cands {
            for &p in v {
                let restent = etat.occ[p]
                    .iter()
                    .filter(|&&d| !enfants.contains(&d))
                    .count() as u32;
                capacite[p] = inst.places[p].capacity.saturating_sub(restent);
            }
        }
        let avant: i64 = enfants
            .iter()
            .map(|&c| cout_choix(inst, c, etat.sol[c]))
            .sum::<i64>()
            + groupes
                .iter()
                .map(|&g| c5_groupe(inst, g, &etat.sol))
                .sum::<i64>();
        let restant = fin.saturating_duration_since(Instant::now()).as_secs_f64();
        if restant < 0.02 {
            break;
        }
        let t0 = Instant::now();
        let r = mip::resoudre(
            inst,
            &SousProbleme {
                enfants: &enfants,
                candidats: &cands,
                capacite: &capacite,
                depart: Some(&depart),
            },
            restant.min(0.5),
            graine.wrapping_add(iterations as u64),
        )?;
        let duree = t0.elapsed().as_secs_f64();
        // Adapt the neighbourhood to what HiGHS solves quickly.
        let optimal = r.as_ref().is_some_and(|r| r.optimal);
        if optimal && duree < 0.05 {
            taille_max = (taille_max + 2).min(150);
        } else if !optimal || duree > 0.25 {
            taille_max = (taille_max * 4 / 5).max(12);
        }
        if let Some(r) = r {
            let apres: i64 = enfants
                .iter()
                .zip(&r.choix)
                .map(|(&c, &q)| cout_choix(inst, c, q))
                .sum::<i64>()
                + groupes
                    .iter()
                    .map(|&g| {
                        c5_places(
                            inst,
                            inst.groups[g].iter().map(|&d| {
                                let i = enfants.iter().position(|&e| e == d).unwrap_or(0);
                                r.choix[i]
                            }),
                        )
                    })
                    .sum::<i64>();
            if apres <= avant && r.choix != depart {
                for (&c, &q) in enfants.iter().zip(&r.choix) {
                    etat.affecter(c, q);
                }
                etat.cout += apres - avant;
            }
        }
        if derniere_annonce.elapsed() > Duration::from_millis(250) {
            derniere_annonce = Instant::now();
            dire(&format!(
                "voisinage {iterations} · objectif {} · taille {taille_max}",
                etat.cout
            ));
        }
    }
    Ok(iterations)
}
