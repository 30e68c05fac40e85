//! Assignment of new situations under the caps (problem 2 of `sectorisation.md`). Situations are
//! grouped by (post covering their unit, kind, weight): workers only see how many of each group
//! they get, so each MDS is a small integer programme solved exactly by HiGHS, lexicographically
//! — first the fewest unassigned, then the fewest « hors secteur », then the least overflow Z above
//! nominal capacity. A greedy pass gives the starting solution and, when it leaves nothing
//! unassigned, proves the first level without a solve. Within a group, earlier arrivals are served
//! first.

use std::collections::HashMap;

use highs::{Col, HighsModelStatus, RowProblem, Sense};

use crate::error::SectorisationError;
use crate::instance::Instance;

/// Time limit of each integer programme, in seconds.
const LIMITE_MIP_S: f64 = 0.3;

/// The command's time budget for the last levels (hors secteur, Z): past it each MDS gets only a
/// token limit, so that the batch answers within a second. The first level is proven in
/// milliseconds before, and an MDS reached late keeps the solution that already assigns the most.
pub const ECHEANCE_AFFECTATION_S: f64 = 0.85;

/// Nominal hours of one ETP per year (the WMT rule of the model: the cap is 110 % of it).
pub const HEURES_ETP: f64 = 1000.0;

/// Caseload each worker starts from: the instance's, or recomputed from another map.
#[derive(Debug, Clone)]
pub struct Depart {
    pub charge_h: Vec<f64>,
    pub rsa: Vec<f64>,
}

/// The caseload of `workers.csv`, under the map in force.
pub fn depart_actuel(inst: &Instance) -> Depart {
    Depart {
        charge_h: inst.agents.iter().map(|a| a.charge_h).collect(),
        rsa: inst.agents.iter().map(|a| a.rsa).collect(),
    }
}

/// Each post's caseload under `carte` (Σ load_h and Σ n_RSA of its units), split between its
/// members by ETP.
pub fn depart_selon_carte(inst: &Instance, carte: &[usize]) -> Depart {
    let rsa_col = inst
        .poids
        .iter()
        .position(|p| p.kind == crate::instance::KIND_RSA);
    let mut charge = vec![0.0; inst.postes.len()];
    let mut rsa = vec![0.0; inst.postes.len()];
    for (u, &k) in carte.iter().enumerate() {
        charge[k] += inst.unites[u].charge_h;
        if let Some(c) = rsa_col {
            rsa[k] += inst.unites[u].situations[c];
        }
    }
    let mut etp = vec![0.0; inst.postes.len()];
    for a in &inst.agents {
        etp[a.poste] += a.etp;
    }
    Depart {
        charge_h: inst
            .agents
            .iter()
            .map(|a| charge[a.poste] * a.etp / etp[a.poste])
            .collect(),
        rsa: inst
            .agents
            .iter()
            .map(|a| rsa[a.poste] * a.etp / etp[a.poste])
            .collect(),
    }
}

/// Hours a worker may still take: max(0, cap − current load).
fn reste_h(inst: &Instance, d: &Depart, w: usize) -> f64 {
    (inst.agents[w].plafond_h - d.charge_h[w]).max(0.0)
}

/// The room left as the integer programmes may use it: HiGHS accepts a row up to 1e-6 over its
/// bound, so the bound is the room rounded to the millionth hour when that much exactly fits,
/// and a ten-thousandth below it when it does not (a load split by ETP such as
/// 848.0000000000001 h leaves 31.999999999999886 h, and 32 h would pass the cap).
fn borne_h(inst: &Instance, d: &Depart, w: usize) -> f64 {
    let r = (reste_h(inst, d, w) * 1e6).round() / 1e6;
    if heures_tiennent(inst, d, w, r) {
        r
    } else {
        (r - 1e-4).max(0.0)
    }
}

/// Whether `h` new hours fit under worker w's cap, in both ways a checker may write it (new hours
/// against the room left, and the new load against the cap), with no tolerance: equality fits.
pub fn heures_tiennent(inst: &Instance, d: &Depart, w: usize, h: f64) -> bool {
    h <= reste_h(inst, d, w) && (h == 0.0 || d.charge_h[w] + h <= inst.agents[w].plafond_h)
}

/// RSA situations a worker may still take.
fn reste_rsa(inst: &Instance, d: &Depart, w: usize) -> u32 {
    ((inst.agents[w].plafond_rsa - d.rsa[w]).max(0.0) + 1e-9).floor() as u32
}

/// The measures of an assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Bilan {
    pub non_affectees: usize,
    pub hors_secteur: usize,
    /// Σ_w max(0, load_w − nominal_w) after assignment.
    pub z: f64,
    /// The same before any assignment.
    pub z_initial: f64,
}

/// Checks an assignment against the caps and measures it; the errors name each broken cap.
pub fn verifier(
    inst: &Instance,
    carte: &[usize],
    depart: &Depart,
    choix: &[Option<usize>],
) -> Result<Bilan, Vec<String>> {
    let mut h = vec![0.0; inst.agents.len()];
    let mut r = vec![0u32; inst.agents.len()];
    let mut erreurs = Vec::new();
    let mut bilan = Bilan {
        non_affectees: 0,
        hors_secteur: 0,
        z: 0.0,
        z_initial: 0.0,
    };
    for (s, c) in inst.situations.iter().zip(choix) {
        let Some(w) = *c else {
            bilan.non_affectees += 1;
            continue;
        };
        let a = &inst.agents[w];
        if a.mds != inst.unites[s.unite].mds {
            erreurs.push(format!(
                "situation {} donnée à {} d'une autre MDS",
                s.id, a.id
            ));
        }
        if a.poste != carte[s.unite] {
            bilan.hors_secteur += 1;
        }
        h[w] += s.poids_h;
        r[w] += u32::from(s.rsa);
    }
    for (w, a) in inst.agents.iter().enumerate() {
        if !heures_tiennent(inst, depart, w, h[w]) {
            erreurs.push(format!("plafond d'heures dépassé pour {}", a.id));
        }
        if f64::from(r[w]) > (a.plafond_rsa - depart.rsa[w]).max(0.0) + 1e-9 {
            erreurs.push(format!("plafond RSA dépassé pour {}", a.id));
        }
        let nominal = HEURES_ETP * a.etp;
        bilan.z_initial += (depart.charge_h[w] - nominal).max(0.0);
        bilan.z += (depart.charge_h[w] + h[w] - nominal).max(0.0);
    }
    if erreurs.is_empty() {
        Ok(bilan)
    } else {
        Err(erreurs)
    }
}

/// Counts y[g][j] of one MDS, or why they could not be computed.
type ResultatMds = Result<Vec<Vec<u32>>, SectorisationError>;

/// Situations of one (post, kind, weight), in arrival order.
struct Groupe {
    poste: usize,
    poids: f64,
    rsa: bool,
    situations: Vec<usize>,
}

/// Assigns the new situations of `inst` against `carte`, starting from `depart`.
/// `echeance_s`: the time budget of the last levels (the command uses
/// [`ECHEANCE_AFFECTATION_S`]); `None` lets each programme run to its own limit.
pub fn affecter(
    inst: &Instance,
    carte: &[usize],
    depart: &Depart,
    echeance_s: Option<f64>,
) -> Result<Vec<Option<usize>>, SectorisationError> {
    let mut agents_mds = vec![Vec::new(); inst.mds.len()];
    for (w, a) in inst.agents.iter().enumerate() {
        agents_mds[a.mds].push(w);
    }
    let mut groupes_mds: Vec<Vec<Groupe>> = (0..inst.mds.len()).map(|_| Vec::new()).collect();
    let mut index: HashMap<(usize, String, u64), (usize, usize)> = HashMap::new();
    for (i, s) in inst.situations.iter().enumerate() {
        let m = inst.unites[s.unite].mds;
        let poste = carte[s.unite];
        let cle = (poste, s.kind.clone(), s.poids_h.to_bits());
        let (m, g) = *index.entry(cle).or_insert_with(|| {
            groupes_mds[m].push(Groupe {
                poste,
                poids: s.poids_h,
                rsa: s.rsa,
                situations: Vec::new(),
            });
            (m, groupes_mds[m].len() - 1)
        });
        groupes_mds[m][g].situations.push(i);
    }
    // Without a budget, each programme has its own limit only.
    let echeance =
        std::time::Instant::now() + std::time::Duration::from_secs_f64(echeance_s.unwrap_or(1e6));
    let mut ordre: Vec<usize> = (0..inst.mds.len()).collect();
    ordre.sort_by_key(|&m| {
        std::cmp::Reverse(
            groupes_mds[m]
                .iter()
                .map(|g| g.situations.len())
                .sum::<usize>(),
        )
    });
    // MDS are independent: solved on as many threads as there are cores, the largest first.
    let fils = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, inst.mds.len().max(1));
    let suivant = std::sync::atomic::AtomicUsize::new(0);
    let resultats: std::sync::Mutex<Vec<Option<ResultatMds>>> =
        std::sync::Mutex::new((0..inst.mds.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..fils {
            s.spawn(|| loop {
                let i = suivant.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&m) = ordre.get(i) else { break };
                if groupes_mds[m].is_empty() {
                    continue;
                }
                let r = resoudre_mds(inst, depart, &agents_mds[m], &groupes_mds[m], echeance);
                if let Ok(mut v) = resultats.lock() {
                    v[m] = Some(r);
                }
            });
        }
    });
    let resultats = resultats.into_inner().map_err(|_| {
        SectorisationError::Solveur("affectation : fil de calcul interrompu".into())
    })?;
    let mut choix = vec![None; inst.situations.len()];
    for (m, r) in resultats.into_iter().enumerate() {
        let Some(r) = r else { continue };
        let y = r?;
        for (g, groupe) in groupes_mds[m].iter().enumerate() {
            let mut suite = groupe.situations.iter();
            for (j, &w) in agents_mds[m].iter().enumerate() {
                for _ in 0..y[g][j] {
                    if let Some(&s) = suite.next() {
                        choix[s] = Some(w);
                    }
                }
            }
        }
    }
    Ok(choix)
}

/// The greedy start: each group in turn, each situation to the in-secteur worker that overflows
/// least, else to any worker of the MDS that can take it.
fn glouton(
    inst: &Instance,
    depart: &Depart,
    agents: &[usize],
    groupes: &[Groupe],
) -> Vec<Vec<u32>> {
    // Hours taken, a sum of weights: compared with the room left, never decremented from it.
    let mut h: Vec<f64> = vec![0.0; agents.len()];
    let mut r: Vec<u32> = agents.iter().map(|&w| reste_rsa(inst, depart, w)).collect();
    let mut charge: Vec<f64> = agents.iter().map(|&w| depart.charge_h[w]).collect();
    let mut y = vec![vec![0u32; agents.len()]; groupes.len()];
    // Heaviest groups first: they are the hardest to fit.
    let mut ordre: Vec<usize> = (0..groupes.len()).collect();
    ordre.sort_by(|&a, &b| groupes[b].poids.total_cmp(&groupes[a].poids));
    for g in ordre {
        let gr = &groupes[g];
        for _ in 0..gr.situations.len() {
            let peut = |j: usize| {
                heures_tiennent(inst, depart, agents[j], h[j] + gr.poids) && (!gr.rsa || r[j] > 0)
            };
            let marge = |j: usize| HEURES_ETP * inst.agents[agents[j]].etp - charge[j];
            let choisir = |dans: bool| {
                (0..agents.len())
                    .filter(|&j| peut(j) && (inst.agents[agents[j]].poste == gr.poste) == dans)
                    .max_by(|&a, &b| marge(a).total_cmp(&marge(b)))
            };
            let Some(j) = choisir(true).or_else(|| choisir(false)) else {
                break;
            };
            y[g][j] += 1;
            h[j] += gr.poids;
            charge[j] += gr.poids;
            r[j] -= u32::from(gr.rsa);
        }
    }
    y
}

/// The lexicographic integer programme of one MDS: counts y[g][j] of group g given to worker j.
fn resoudre_mds(
    inst: &Instance,
    depart: &Depart,
    agents: &[usize],
    groupes: &[Groupe],
    echeance: std::time::Instant,
) -> Result<Vec<Vec<u32>>, SectorisationError> {
    let depart_glouton = glouton(inst, depart, agents, groupes);
    let total: usize = groupes.iter().map(|g| g.situations.len()).sum();
    let affectees_glouton: u32 = depart_glouton.iter().flatten().sum();
    let modele = Modele::construire(inst, depart, agents, groupes);
    // Level 1: the most situations assigned. The greedy pass proves it when it assigns them all.
    let (objectif_affectees, depart_glouton) = if affectees_glouton as usize == total {
        (affectees_glouton, depart_glouton)
    } else {
        // The programme by class gives the most that can be assigned and a solution reaching
        // it, which starts the next level (HiGHS may stop at its time limit on that one).
        let (n, plein) = modele.max_affectees()?;
        if n > affectees_glouton {
            (n, plein)
        } else {
            (affectees_glouton, depart_glouton)
        }
    };
    // Levels 2 and 3 together: a « hors secteur » weighs more than any overflow can change.
    let reste = echeance
        .saturating_duration_since(std::time::Instant::now())
        .as_secs_f64();
    let y = modele.resoudre(
        objectif_affectees,
        &depart_glouton,
        reste.clamp(0.01, LIMITE_MIP_S),
    )?;
    // Keep the greedy solution if HiGHS did not do at least as well (time limit).
    let bilan = |y: &Vec<Vec<u32>>| modele.evaluer(y);
    if bilan(&y) <= bilan(&depart_glouton)
        || depart_glouton.iter().flatten().sum::<u32>() < objectif_affectees
    {
        Ok(y)
    } else {
        Ok(depart_glouton)
    }
}

struct Modele<'a> {
    inst: &'a Instance,
    depart: &'a Depart,
    agents: &'a [usize],
    groupes: &'a [Groupe],
    reste_h: Vec<f64>,
    reste_rsa: Vec<u32>,
    charge: Vec<f64>,
    nominal: Vec<f64>,
}

impl<'a> Modele<'a> {
    fn construire(
        inst: &'a Instance,
        depart: &'a Depart,
        agents: &'a [usize],
        groupes: &'a [Groupe],
    ) -> Self {
        Modele {
            inst,
            depart,
            agents,
            groupes,
            reste_h: agents.iter().map(|&w| borne_h(inst, depart, w)).collect(),
            reste_rsa: agents.iter().map(|&w| reste_rsa(inst, depart, w)).collect(),
            charge: agents.iter().map(|&w| depart.charge_h[w]).collect(),
            nominal: agents
                .iter()
                .map(|&w| HEURES_ETP * inst.agents[w].etp)
                .collect(),
        }
    }

    fn dans_secteur(&self, g: usize, j: usize) -> bool {
        self.inst.agents[self.agents[j]].poste == self.groupes[g].poste
    }

    /// (unassigned, hors secteur, Z) of counts y, for comparing two solutions.
    fn evaluer(&self, y: &[Vec<u32>]) -> (u64, u64, u64) {
        let mut non = 0u64;
        let mut hors = 0u64;
        let mut h = self.charge.clone();
        for (g, gr) in self.groupes.iter().enumerate() {
            let n: u32 = y[g].iter().sum();
            non += gr.situations.len() as u64 - u64::from(n);
            for (j, &c) in y[g].iter().enumerate() {
                if !self.dans_secteur(g, j) {
                    hors += u64::from(c);
                }
                h[j] += f64::from(c) * gr.poids;
            }
        }
        let z: f64 = h
            .iter()
            .zip(&self.nominal)
            .map(|(h, n)| (h - n).max(0.0))
            .sum();
        (non, hors, (z * 1000.0).round() as u64)
    }

    /// The programme, with the « hors secteur » situations pooled by class (kind, weight): a
    /// worker takes pool situations by class, not by group, which cuts the columns from
    /// groups × workers to groups + classes × workers. The pool is exact: a worker given back
    /// situations of its own post has them in secteur, which can only lower the count.
    fn resoudre(
        &self,
        affectees_min: u32,
        depart: &[Vec<u32>],
        limite_s: f64,
    ) -> Result<Vec<Vec<u32>>, SectorisationError> {
        let (ng, nw) = (self.groupes.len(), self.agents.len());
        let heures: f64 = self
            .groupes
            .iter()
            .map(|g| g.poids * g.situations.len() as f64)
            .sum();
        // A « hors secteur » outweighs any change of Z, which cannot exceed the new hours.
        let poids_hors = heures + 1.0;
        // Classes of the pool.
        let mut classes: Vec<(f64, bool)> = Vec::new();
        let classe_de: Vec<usize> = self
            .groupes
            .iter()
            .map(|g| {
                classes
                    .iter()
                    .position(|&(p, r)| p.to_bits() == g.poids.to_bits() && r == g.rsa)
                    .unwrap_or_else(|| {
                        classes.push((g.poids, g.rsa));
                        classes.len() - 1
                    })
            })
            .collect();
        let admissible = |poids: f64, rsa: bool, j: usize| {
            poids <= self.reste_h[j] && (!rsa || self.reste_rsa[j] > 0)
        };
        // In secteur costs nothing; each situation sent to the pool is a « hors secteur ».
        let (cout_y, cout_o) = (0.0, poids_hors);
        let mut pb = RowProblem::default();
        let mut valeurs = Vec::new();
        // In-secteur counts.
        let mut y: Vec<Vec<Option<Col>>> = vec![vec![None; nw]; ng];
        let mut pool_depart = vec![vec![0u32; nw]; classes.len()];
        let mut o_depart = vec![0u32; ng];
        for (g, gr) in self.groupes.iter().enumerate() {
            for j in 0..nw {
                if self.dans_secteur(g, j) {
                    if admissible(gr.poids, gr.rsa, j) {
                        y[g][j] =
                            Some(pb.add_integer_column(cout_y, 0.0..=gr.situations.len() as f64));
                        valeurs.push(f64::from(depart[g][j]));
                    }
                } else {
                    pool_depart[classe_de[g]][j] += depart[g][j];
                    o_depart[g] += depart[g][j];
                }
            }
        }
        // Sent to the pool, per group.
        let o: Vec<Col> = self
            .groupes
            .iter()
            .enumerate()
            .map(|(g, gr)| {
                valeurs.push(f64::from(o_depart[g]));
                pb.add_integer_column(cout_o, 0.0..=gr.situations.len() as f64)
            })
            .collect();
        // Taken from the pool, per class and worker.
        let mut h: Vec<Vec<Option<Col>>> = vec![vec![None; nw]; classes.len()];
        for (c, &(poids, rsa)) in classes.iter().enumerate() {
            for j in 0..nw {
                if admissible(poids, rsa, j) {
                    h[c][j] = Some(pb.add_integer_column(0.0, 0.0..));
                    valeurs.push(f64::from(pool_depart[c][j]));
                }
            }
        }
        let mut z = Vec::new();
        for j in 0..nw {
            z.push(pb.add_column(1.0, 0.0..));
            let recu: f64 = (0..ng)
                .map(|g| self.groupes[g].poids * f64::from(depart[g][j]))
                .sum();
            valeurs.push((self.charge[j] + recu - self.nominal[j]).max(0.0));
        }
        for (g, gr) in self.groupes.iter().enumerate() {
            let mut t: Vec<(Col, f64)> = y[g].iter().flatten().map(|&c| (c, 1.0)).collect();
            t.push((o[g], 1.0));
            pb.add_row(..=gr.situations.len() as f64, &t);
        }
        for c in 0..classes.len() {
            let mut t: Vec<(Col, f64)> = h[c].iter().flatten().map(|&x| (x, 1.0)).collect();
            for g in (0..ng).filter(|&g| classe_de[g] == c) {
                t.push((o[g], -1.0));
            }
            pb.add_row(0.0..=0.0, &t);
        }
        for j in 0..nw {
            let mut heures_j: Vec<(Col, f64)> = (0..ng)
                .filter_map(|g| y[g][j].map(|x| (x, self.groupes[g].poids)))
                .collect();
            heures_j.extend((0..classes.len()).filter_map(|c| h[c][j].map(|x| (x, classes[c].0))));
            if heures_j.is_empty() {
                continue;
            }
            pb.add_row(..=self.reste_h[j].max(0.0), &heures_j);
            let mut rsa_j: Vec<(Col, f64)> = (0..ng)
                .filter(|&g| self.groupes[g].rsa)
                .filter_map(|g| y[g][j].map(|x| (x, 1.0)))
                .collect();
            rsa_j.extend(
                (0..classes.len())
                    .filter(|&c| classes[c].1)
                    .filter_map(|c| h[c][j].map(|x| (x, 1.0))),
            );
            if !rsa_j.is_empty() {
                pb.add_row(..=f64::from(self.reste_rsa[j]), &rsa_j);
            }
            if let Some(&zj) = z.get(j) {
                // z_j ≥ charge_j + Σ poids·(y + h) − nominal_j
                heures_j.push((zj, -1.0));
                pb.add_row(..=self.nominal[j] - self.charge[j], &heures_j);
            }
        }
        let mut t: Vec<(Col, f64)> = y.iter().flatten().flatten().map(|&x| (x, 1.0)).collect();
        t.extend(o.iter().map(|&x| (x, 1.0)));
        pb.add_row(f64::from(affectees_min).., &t);
        let mut modele = pb.optimise(Sense::Minimise);
        modele.make_quiet();
        modele.set_option("threads", 1);
        // The batch must answer within a second: an MDS whose proof drags on keeps HiGHS's best
        // solution at this limit (its start at worst).
        modele.set_option("time_limit", limite_s);
        modele.set_option("mip_rel_gap", 0.0);
        modele.set_option("mip_abs_gap", 1e-3);
        let _ = modele.try_set_solution(Some(&valeurs), None, None, None);
        let resolu = modele
            .try_solve()
            .map_err(|e| SectorisationError::Solveur(format!("affectation : {e:?}")))?;
        match resolu.status() {
            HighsModelStatus::Optimal
            | HighsModelStatus::ReachedTimeLimit
            | HighsModelStatus::ReachedIterationLimit
            | HighsModelStatus::Unknown => {}
            // Only possible through a rounding of the caps: keep the greedy start.
            HighsModelStatus::Infeasible => return Ok(depart.to_vec()),
            s => {
                return Err(SectorisationError::Solveur(format!(
                    "affectation : statut {s:?}"
                )))
            }
        }
        let sol = resolu.get_solution();
        let v = sol.columns();
        let entier = |i: usize| v.get(i).map_or(0, |x| x.round().max(0.0) as u32);
        let mut out = vec![vec![0u32; nw]; ng];
        let mut col = 0;
        for g in 0..ng {
            for j in 0..nw {
                if y[g][j].is_some() {
                    out[g][j] = entier(col);
                    col += 1;
                }
            }
        }
        let mut envoyes: Vec<u32> = (0..ng).map(|g| entier(col + g)).collect();
        col += ng;
        // Pool counts handed out to the groups of each class.
        for c in 0..classes.len() {
            for j in 0..nw {
                if h[c][j].is_none() {
                    continue;
                }
                let mut pris = entier(col);
                col += 1;
                for g in (0..ng).filter(|&g| classe_de[g] == c) {
                    let k = pris.min(envoyes[g]);
                    out[g][j] += k;
                    envoyes[g] -= k;
                    pris -= k;
                }
            }
        }
        // A solution outside the caps (tolerances) is not one: keep the greedy start.
        // HiGHS works within a tolerance: a worker whose exact sum passes the cap by a hair
        // (a load split by ETP is rarely a round number) gives back a situation, which the others
        // may take.
        self.reparer(&mut out);
        if !self.respecte(&out) {
            return Ok(depart.to_vec());
        }
        Ok(out)
    }

    /// Level 1 alone: how many situations the workers can take at most. Posts do not matter
    /// here, so situations are counted by class (weight, RSA) only: a knapsack per worker over
    /// a handful of classes, small enough for HiGHS to prove quickly.
    fn max_affectees(&self) -> Result<(u32, Vec<Vec<u32>>), SectorisationError> {
        let nw = self.agents.len();
        let mut classes: Vec<(f64, bool, f64)> = Vec::new();
        for g in self.groupes {
            let n = g.situations.len() as f64;
            match classes
                .iter_mut()
                .find(|(p, r, _)| p.to_bits() == g.poids.to_bits() && *r == g.rsa)
            {
                Some(c) => c.2 += n,
                None => classes.push((g.poids, g.rsa, n)),
            }
        }
        let mut pb = RowProblem::default();
        let mut x: Vec<Vec<Option<Col>>> = vec![vec![None; nw]; classes.len()];
        for (c, &(poids, rsa, n)) in classes.iter().enumerate() {
            for j in 0..nw {
                if poids <= self.reste_h[j] && (!rsa || self.reste_rsa[j] > 0) {
                    x[c][j] = Some(pb.add_integer_column(-1.0, 0.0..=n));
                }
            }
        }
        for (c, &(_, _, n)) in classes.iter().enumerate() {
            let t: Vec<(Col, f64)> = x[c].iter().flatten().map(|&v| (v, 1.0)).collect();
            if !t.is_empty() {
                pb.add_row(..=n, &t);
            }
        }
        for j in 0..nw {
            let h: Vec<(Col, f64)> = (0..classes.len())
                .filter_map(|c| x[c][j].map(|v| (v, classes[c].0)))
                .collect();
            if h.is_empty() {
                continue;
            }
            pb.add_row(..=self.reste_h[j], &h);
            let r: Vec<(Col, f64)> = (0..classes.len())
                .filter(|&c| classes[c].1)
                .filter_map(|c| x[c][j].map(|v| (v, 1.0)))
                .collect();
            if !r.is_empty() {
                pb.add_row(..=f64::from(self.reste_rsa[j]), &r);
            }
        }
        let ng = self.groupes.len();
        if x.iter().flatten().all(Option::is_none) {
            return Ok((0, vec![vec![0; nw]; ng]));
        }
        let mut modele = pb.optimise(Sense::Minimise);
        modele.make_quiet();
        modele.set_option("threads", 1);
        modele.set_option("time_limit", LIMITE_MIP_S);
        modele.set_option("mip_rel_gap", 0.0);
        modele.set_option("mip_abs_gap", 0.999);
        let resolu = modele
            .try_solve()
            .map_err(|e| SectorisationError::Solveur(format!("affectation : {e:?}")))?;
        if !matches!(
            resolu.status(),
            HighsModelStatus::Optimal
                | HighsModelStatus::ReachedTimeLimit
                | HighsModelStatus::ReachedIterationLimit
        ) {
            return Ok((0, vec![vec![0; nw]; ng]));
        }
        // Rounded down to whole situations, and never above what fits exactly (tolerances):
        // the next level's programme must stay feasible.
        let sol = resolu.get_solution();
        let v = sol.columns();
        let mut col = 0;
        let mut total = 0u32;
        let mut y = vec![vec![0u32; nw]; classes.len()];
        for c in 0..classes.len() {
            for j in 0..nw {
                if x[c][j].is_some() {
                    y[c][j] = v.get(col).map_or(0, |x| x.round().max(0.0) as u32);
                    col += 1;
                }
            }
        }
        // The same counts handed out to the groups of each class, in-secteur groups first: a
        // whole solution with that many assigned, the start of the next level.
        let mut restants: Vec<u32> = self
            .groupes
            .iter()
            .map(|g| g.situations.len() as u32)
            .collect();
        let mut plein = vec![vec![0u32; nw]; ng];
        for j in 0..nw {
            let h: f64 = (0..classes.len())
                .map(|c| f64::from(y[c][j]) * classes[c].0)
                .sum();
            let r: u32 = (0..classes.len())
                .filter(|&c| classes[c].1)
                .map(|c| y[c][j])
                .sum();
            let (mut h, mut r) = (h, r);
            // A hair over a cap (tolerances): the heaviest situations go back until it fits.
            while !heures_tiennent(self.inst, self.depart, self.agents[j], h)
                || r > self.reste_rsa[j]
            {
                let rsa_en_trop = r > self.reste_rsa[j];
                let Some(c) = (0..classes.len())
                    .filter(|&c| y[c][j] > 0 && (classes[c].1 || !rsa_en_trop))
                    .max_by(|&a, &b| classes[a].0.total_cmp(&classes[b].0))
                else {
                    break;
                };
                y[c][j] -= 1;
                h -= classes[c].0;
                r -= u32::from(classes[c].1);
            }
            for (c, &(poids, rsa, _)) in classes.iter().enumerate() {
                let mut a_donner = y[c][j];
                let mut ordre: Vec<usize> = (0..ng)
                    .filter(|&g| {
                        self.groupes[g].poids.to_bits() == poids.to_bits()
                            && self.groupes[g].rsa == rsa
                    })
                    .collect();
                ordre.sort_by_key(|&g| !self.dans_secteur(g, j));
                for g in ordre {
                    let k = a_donner.min(restants[g]);
                    plein[g][j] += k;
                    restants[g] -= k;
                    a_donner -= k;
                    total += k;
                }
            }
        }
        Ok((total, plein))
    }

    fn heures(&self, y: &[Vec<u32>], j: usize) -> (f64, u32) {
        let h = (0..self.groupes.len())
            .map(|g| f64::from(y[g][j]) * self.groupes[g].poids)
            .sum();
        let r = (0..self.groupes.len())
            .filter(|&g| self.groupes[g].rsa)
            .map(|g| y[g][j])
            .sum();
        (h, r)
    }

    /// Takes back situations from a worker over a cap (hors secteur first), then offers them to
    /// the workers who can take them (in secteur first).
    fn reparer(&self, y: &mut [Vec<u32>]) {
        let nw = self.agents.len();
        let mut repris: Vec<usize> = Vec::new();
        for j in 0..nw {
            loop {
                let (h, r) = self.heures(y, j);
                if heures_tiennent(self.inst, self.depart, self.agents[j], h)
                    && r <= self.reste_rsa[j]
                {
                    break;
                }
                let Some(g) = (0..self.groupes.len())
                    .filter(|&g| y[g][j] > 0)
                    .max_by_key(|&g| {
                        (
                            !self.dans_secteur(g, j),
                            !self.groupes[g].rsa || r > self.reste_rsa[j],
                        )
                    })
                else {
                    break;
                };
                y[g][j] -= 1;
                repris.push(g);
            }
        }
        for g in repris {
            let gr = &self.groupes[g];
            let preneur = (0..nw)
                .filter(|&j| {
                    let (h, r) = self.heures(y, j);
                    heures_tiennent(self.inst, self.depart, self.agents[j], h + gr.poids)
                        && (!gr.rsa || r < self.reste_rsa[j])
                })
                .max_by_key(|&j| (self.dans_secteur(g, j), std::cmp::Reverse(j)));
            if let Some(j) = preneur {
                y[g][j] += 1;
            }
        }
    }

    fn respecte(&self, y: &[Vec<u32>]) -> bool {
        for j in 0..self.agents.len() {
            let h: f64 = (0..self.groupes.len())
                .map(|g| f64::from(y[g][j]) * self.groupes[g].poids)
                .sum();
            let r: u32 = (0..self.groupes.len())
                .filter(|&g| self.groupes[g].rsa)
                .map(|g| y[g][j])
                .sum();
            if !heures_tiennent(self.inst, self.depart, self.agents[j], h) || r > self.reste_rsa[j]
            {
                return false;
            }
        }
        self.groupes
            .iter()
            .enumerate()
            .all(|(g, gr)| y[g].iter().sum::<u32>() as usize <= gr.situations.len())
    }
}
