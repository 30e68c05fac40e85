//! The re-sectorisation engine (problem 1 of `sectorisation.md`). MDS are independent, so each is
//! solved on its own, on as many threads as there are cores. In one MDS:
//! 1. balance first, by annealed recombinations (as ReCom does for districting): two neighbouring
//!    secteurs are merged, a random spanning tree of the union is drawn, and the tree edge whose cut
//!    balances the pair best is cut; trees of short edges first (compact splits), uniform ones when
//!    the 5 % band is missed;
//! 2. a second start from the map in force, by simulated annealing over single contiguity-keeping
//!    moves and swaps on a smooth balance cost, then lower classes one step at a time;
//! 3. compactness in the class reached: annealing with a penalty on the excess over the band, annealed
//!    compactness recombinations, then exact pair moves (every connected split of two secteurs).
//!
//! The best map seen, lexicographically on (τ, C), is returned: never worse than the map in force.
//! Deterministic for a seed: the budget is counted in moves, not seconds.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::instance::Instance;
use crate::mesure::{classe, tau, CLASSE_EQUILIBRE};

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub graine: u64,
    /// Multiplies the number of moves (the command's default, 1.5, takes about 2 s for 3,000
    /// units on two cores).
    pub effort: f64,
    /// Threads (0: as many as the machine has).
    pub fils: usize,
    /// Independent searches per MDS, sharing the budget; the best is kept (1 by default: on the
    /// generated départements, three shorter searches did no better than one).
    pub departs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            graine: 0,
            effort: 1.5,
            fils: 0,
            departs: 1,
        }
    }
}

/// Proposes a map for the whole instance, each MDS on its own. Starts from the map in force.
pub fn resectoriser(inst: &Instance, opts: &Options) -> Vec<usize> {
    let unites = inst.unites_par_mds();
    let postes = inst.postes_par_mds();
    let mut ordre: Vec<usize> = (0..inst.mds.len()).collect();
    // Largest first, so the threads finish together.
    ordre.sort_by_key(|&m| std::cmp::Reverse(unites[m].len() * postes[m].len()));
    let fils = if opts.fils == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.fils
    }
    .clamp(1, ordre.len().max(1));
    let suivant = std::sync::atomic::AtomicUsize::new(0);
    let resultats = std::sync::Mutex::new(vec![Vec::new(); inst.mds.len()]);
    std::thread::scope(|s| {
        for _ in 0..fils {
            s.spawn(|| loop {
                let i = suivant.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&m) = ordre.get(i) else { break };
                let p = Probleme::de_mds(inst, &unites[m], &postes[m]);
                let depart: Vec<usize> = unites[m]
                    .iter()
                    .map(|&u| {
                        postes[m]
                            .iter()
                            .position(|&k| k == inst.unites[u].poste_actuel)
                            .unwrap_or(0)
                    })
                    .collect();
                let graine = opts.graine ^ (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let local = p.resoudre_departs(depart, graine, opts.effort, opts.departs);
                let global: Vec<usize> = local.into_iter().map(|k| postes[m][k]).collect();
                if let Ok(mut r) = resultats.lock() {
                    r[m] = global;
                }
            });
        }
    });
    let resultats = resultats.into_inner().unwrap_or_default();
    let mut carte = vec![0; inst.unites.len()];
    for (m, us) in unites.iter().enumerate() {
        for (j, &u) in us.iter().enumerate() {
            carte[u] = resultats[m][j];
        }
    }
    carte
}

/// One MDS, in local indices.
#[derive(Debug, Clone)]
pub struct Probleme {
    pub n: usize,
    pub k: usize,
    pub charge: Vec<f64>,
    /// ℓ + 1, the weight of a unit in compactness.
    pub masse: Vec<f64>,
    pub dist: Vec<f64>,
    pub voisins: Vec<Vec<usize>>,
    pub etp: Vec<f64>,
    /// μ·E_k: the load of post k at the MDS mean.
    pub cible: Vec<f64>,
    pub diametre: f64,
    /// Unit points (km), for the inertia that ranks the cuts of a compactness recombination.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Probleme {
    /// The MDS made of `unites` and `postes` (global indices) of `inst`.
    pub fn de_mds(inst: &Instance, unites: &[usize], postes: &[usize]) -> Self {
        let n = unites.len();
        let mut local = std::collections::HashMap::new();
        for (j, &u) in unites.iter().enumerate() {
            local.insert(u, j);
        }
        let charge: Vec<f64> = unites.iter().map(|&u| inst.unites[u].charge_h).collect();
        let mut dist = vec![0.0; n * n];
        let mut diametre: f64 = 0.0;
        for a in 0..n {
            for b in 0..n {
                let d = crate::mesure::distance(inst, unites[a], unites[b]);
                dist[a * n + b] = d;
                diametre = diametre.max(d);
            }
        }
        let voisins = unites
            .iter()
            .map(|&u| {
                inst.voisins[u]
                    .iter()
                    .filter_map(|v| local.get(v).copied())
                    .collect()
            })
            .collect();
        let etp: Vec<f64> = postes.iter().map(|&k| inst.postes[k].etp).collect();
        let mu = charge.iter().sum::<f64>() / etp.iter().sum::<f64>();
        Probleme {
            n,
            k: postes.len(),
            masse: charge.iter().map(|c| c + 1.0).collect(),
            charge,
            dist,
            voisins,
            cible: etp.iter().map(|e| e * mu).collect(),
            etp,
            diametre: diametre.max(1e-3),
            x: unites.iter().map(|&u| inst.unites[u].x_km).collect(),
            y: unites.iter().map(|&u| inst.unites[u].y_km).collect(),
        }
    }

    fn d(&self, a: usize, b: usize) -> f64 {
        self.dist[a * self.n + b]
    }

    /// Lexicographic value (class, C) of a map.
    pub fn valeur(&self, carte: &[usize]) -> (u32, f64) {
        let e = Etat::nouveau(self, carte.to_vec(), 0.05, 0.0);
        (e.classe(), e.compacite())
    }

    /// `departs` independent runs of the engine from `depart`, each with its share of the
    /// effort and its own seed; the best map on (class, C).
    pub fn resoudre_departs(
        &self,
        depart: Vec<usize>,
        graine: u64,
        effort: f64,
        departs: usize,
    ) -> Vec<usize> {
        let departs = departs.max(1);
        let mut meilleure: Option<((u32, f64), Vec<usize>)> = None;
        for d in 0..departs {
            let carte = self.resoudre(
                depart.clone(),
                graine.wrapping_add((d as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)),
                effort / departs as f64,
            );
            let v = self.valeur(&carte);
            if meilleure
                .as_ref()
                .is_none_or(|(m, _)| v.0 < m.0 || (v.0 == m.0 && v.1 < m.1))
            {
                meilleure = Some((v, carte));
            }
        }
        meilleure.map(|(_, c)| c).unwrap_or(depart)
    }

    /// The engine: from `depart` (a valid map), the best map found.
    pub fn resoudre(&self, depart: Vec<usize>, graine: u64, effort: f64) -> Vec<usize> {
        if self.k <= 1 {
            return vec![0; self.n];
        }
        let mut rng = ChaCha8Rng::seed_from_u64(graine);
        // Moves per run: enough to visit each (unit, neighbouring secteur) pair many times.
        let base = ((self.n * 300).max(20_000) as f64 * effort.max(0.01)) as usize;
        let mut meilleur = Meilleur::de(self, &depart);
        // Penalty weights in C units (hour·km) per unit of relative excess: `fort` makes balance
        // dominate, 2 × `echelle` lets the compactness search cross slightly unbalanced maps.
        let echelle = self.diametre * self.cible.iter().sum::<f64>() / self.k as f64;
        let fort = 20.0 * echelle;
        // 1. Balance first: annealed recombinations of two neighbouring secteurs, from the map in
        //    force, then again from the best map while the 5 % band is not reached.
        //    Short-edge trees first, which give compact maps; uniform trees when they miss the band.
        self.equilibrer(
            depart.clone(),
            base / 2,
            fort,
            Recombinaison::EquilibreCompact,
            &mut rng,
            &mut meilleur,
        );
        for mode in [Recombinaison::Equilibre, Recombinaison::EquilibreCompact] {
            if meilleur.classe == CLASSE_EQUILIBRE {
                break;
            }
            self.equilibrer(
                meilleur.carte.clone(),
                base / 2,
                fort,
                mode,
                &mut rng,
                &mut meilleur,
            );
        }
        // 2. When the band is missed: single moves and swaps on the smooth balance cost, from the
        //    map in force, a second start, since maps that no recombination of two secteurs
        //    improves can still be beaten.
        if meilleur.classe > CLASSE_EQUILIBRE {
            let mut e = Etat::nouveau(self, depart, tau(CLASSE_EQUILIBRE), fort);
            e.quadratique = true;
            e.recuit(base / 2, &mut rng, &mut meilleur);
        }
        // Lower classes, one step at a time, from the best map.
        while meilleur.classe > CLASSE_EQUILIBRE {
            let cible = meilleur.classe - 1;
            let mut e = Etat::nouveau(self, meilleur.carte.clone(), tau(cible), fort);
            e.recuit(base / 2, &mut rng, &mut meilleur);
            if meilleur.classe > cible {
                break;
            }
        }
        // 3. Compactness in the class reached, with a softer penalty so the search can cross
        //    slightly unbalanced maps, from the best map.
        let mut e = Etat::nouveau(
            self,
            meilleur.carte.clone(),
            tau(meilleur.classe),
            2.0 * echelle,
        );
        e.recuit(base, &mut rng, &mut meilleur);
        // 4. Annealed recombinations that keep both secteurs in the class and shorten distances.
        let mut e = Etat::nouveau(self, meilleur.carte.clone(), tau(meilleur.classe), fort);
        let essais = base / 4;
        let t0 = 0.02 * meilleur.compacite / self.k as f64;
        let alpha = (1e-4_f64).powf(1.0 / essais.max(1) as f64);
        let mut temperature = t0;
        for _ in 0..essais {
            temperature *= alpha;
            let a = rng.gen_range(0..self.k);
            if let Some(b) = e.poste_voisin(a, &mut rng) {
                if e.recombiner(a, b, Recombinaison::Compacite, temperature, &mut rng) {
                    e.noter(&mut meilleur);
                }
            }
        }
        // 5. Exact pair moves, sweep after sweep, until none helps (or the budget is spent).
        let mut e = Etat::nouveau(self, meilleur.carte.clone(), tau(meilleur.classe), fort);
        let mut budget = base / 20;
        loop {
            let mut paires = e.paires();
            paires.shuffle(&mut rng);
            let mut mieux = false;
            for (a, b) in paires {
                if budget == 0 {
                    break;
                }
                budget -= 1;
                if e.optimiser_paire(a, b) {
                    mieux = true;
                    e.noter(&mut meilleur);
                }
            }
            if !mieux || budget == 0 {
                break;
            }
        }
        meilleur.carte
    }
}

impl Probleme {
    /// Annealed recombinations: a pair of neighbouring secteurs (the worst post half of the
    /// time) merged, a random spanning tree drawn, the cut that balances them best kept when
    /// the pair is better or by the Metropolis rule.
    fn equilibrer(
        &self,
        depart: Vec<usize>,
        essais: usize,
        fort: f64,
        mode: Recombinaison,
        rng: &mut ChaCha8Rng,
        meilleur: &mut Meilleur,
    ) {
        let mut e = Etat::nouveau(self, depart, tau(CLASSE_EQUILIBRE), fort);
        let mut sans_progres = 0;
        // From a pair 10 points out of the band down to a thousandth of a point.
        let (t0, t_fin): (f64, f64) = (1e-2, 1e-8);
        let alpha = (t_fin / t0).powf(1.0 / essais.max(1) as f64);
        let mut temperature = t0;
        for _ in 0..essais {
            temperature *= alpha;
            let a = if rng.gen_bool(0.5) {
                e.pire_poste()
            } else {
                rng.gen_range(0..self.k)
            };
            let Some(b) = e.poste_voisin(a, rng) else {
                continue;
            };
            if e.recombiner(a, b, mode, temperature, rng) {
                sans_progres = 0;
                e.noter(meilleur);
            } else {
                sans_progres += 1;
            }
            if meilleur.classe == CLASSE_EQUILIBRE && sans_progres > 20 * self.k {
                break;
            }
        }
    }
}

/// Largest union of two secteurs whose splits are all enumerated (2^16 masks).
const PAIRE_MAX: usize = 16;

/// What a recombination optimises.
#[derive(Clone, Copy)]
enum Recombinaison {
    /// Balance, on uniformly random trees: any split may come up.
    Equilibre,
    /// Balance, on trees of short edges: the splits are compact, the search less free.
    EquilibreCompact,
    Compacite,
}

/// The best map seen, lexicographically on (class, C).
struct Meilleur {
    classe: u32,
    compacite: f64,
    carte: Vec<usize>,
}

impl Meilleur {
    fn de(p: &Probleme, carte: &[usize]) -> Self {
        let (classe, compacite) = p.valeur(carte);
        Meilleur {
            classe,
            compacite,
            carte: carte.to_vec(),
        }
    }
}

/// A map being searched, with each secteur's members, load, compactness and penalty.
struct Etat<'a> {
    p: &'a Probleme,
    a: Vec<usize>,
    membres: Vec<Vec<usize>>,
    pos: Vec<usize>,
    charge: Vec<f64>,
    cc: Vec<f64>,
    t: f64,
    lambda: f64,
    quadratique: bool,
    // Scratch for BFS and the cost of a modified secteur.
    marque: Vec<u32>,
    tour: u32,
    pile: Vec<usize>,
    tmp: Vec<usize>,
}

impl<'a> Etat<'a> {
    fn nouveau(p: &'a Probleme, a: Vec<usize>, t: f64, lambda: f64) -> Self {
        let mut membres = vec![Vec::new(); p.k];
        let mut pos = vec![0; p.n];
        let mut charge = vec![0.0; p.k];
        for (i, &k) in a.iter().enumerate() {
            pos[i] = membres[k].len();
            membres[k].push(i);
            charge[k] += p.charge[i];
        }
        let mut e = Etat {
            p,
            a,
            membres,
            pos,
            charge,
            cc: vec![0.0; p.k],
            // A hair inside the band, so a map found feasible is in the class by any rounding.
            t: t * (1.0 - 1e-9),
            lambda,
            quadratique: false,
            marque: vec![0; p.n],
            tour: 0,
            pile: Vec::new(),
            tmp: Vec::new(),
        };
        for k in 0..p.k {
            e.cc[k] = e.cout(k, None, None);
        }
        e
    }

    fn compacite(&self) -> f64 {
        self.cc.iter().sum()
    }

    fn d_max(&self) -> f64 {
        (0..self.p.k)
            .map(|k| ((self.charge[k] - self.p.cible[k]) / self.p.cible[k]).abs())
            .fold(0.0, f64::max)
    }

    fn classe(&self) -> u32 {
        classe(self.d_max())
    }

    /// How far post k's deviation is outside the band, relative to its own target: the balance D
    /// is a maximum of relative deviations, so a small post overloaded by one heavy unit weighs
    /// as much as a large one overloaded by the same share.
    fn penalite(&self, k: usize, charge: f64) -> f64 {
        let c = self.p.cible[k];
        let ecart = (charge - c).abs() / c;
        if self.quadratique {
            // Every deviation counts, so that posts inside the band still pass load on from an
            // overloaded neighbour: the excess alone is flat there and traps the search.
            ecart * ecart + (ecart - self.t).max(0.0)
        } else {
            (ecart - self.t).max(0.0)
        }
    }

    /// Change of the penalty when posts a and b take loads la and lb. In the balance phase the
    /// largest deviation itself is part of the cost, so the search sees the objective.
    fn delta_penalite(&self, a: usize, la: f64, b: usize, lb: f64) -> f64 {
        let local = self.penalite(a, la) + self.penalite(b, lb)
            - self.penalite(a, self.charge[a])
            - self.penalite(b, self.charge[b]);
        if !self.quadratique {
            return local;
        }
        let dev = |k: usize, l: f64| ((l - self.p.cible[k]) / self.p.cible[k]).abs();
        let mut avant: f64 = 0.0;
        let mut apres: f64 = 0.0;
        for k in 0..self.p.k {
            let d = dev(k, self.charge[k]);
            avant = avant.max(d);
            apres = apres.max(if k == a {
                dev(a, la)
            } else if k == b {
                dev(b, lb)
            } else {
                d
            });
        }
        local + (apres - avant)
    }

    /// Compactness of secteur k without `sans` and with `avec`.
    fn cout(&mut self, k: usize, sans: Option<usize>, avec: Option<usize>) -> f64 {
        let mut tmp = std::mem::take(&mut self.tmp);
        tmp.clear();
        tmp.extend(self.membres[k].iter().copied().filter(|&i| Some(i) != sans));
        tmp.extend(avec);
        let p = self.p;
        let (c, _) = crate::mesure::cout_secteur(&tmp, |i| p.masse[i], |a, b| p.d(a, b));
        self.tmp = tmp;
        c
    }

    /// Whether secteur k without `sans` and with `avec` is connected.
    fn connexe(&mut self, k: usize, sans: usize, avec: Option<usize>) -> bool {
        let taille = self.membres[k].len() - 1 + usize::from(avec.is_some());
        if taille <= 1 {
            return taille == 1;
        }
        // Removing a unit with at most one neighbour in its secteur cannot cut it.
        if avec.is_none() {
            let dans = self.p.voisins[sans]
                .iter()
                .filter(|&&v| self.a[v] == k)
                .count();
            if dans <= 1 {
                return true;
            }
        }
        self.tour = self.tour.wrapping_add(1);
        if self.tour == 0 {
            self.marque.fill(0);
            self.tour = 1;
        }
        let depart = avec.unwrap_or_else(|| {
            *self.membres[k]
                .iter()
                .find(|&&i| i != sans)
                .unwrap_or(&sans)
        });
        let mut pile = std::mem::take(&mut self.pile);
        pile.clear();
        pile.push(depart);
        self.marque[depart] = self.tour;
        let mut vus = 1;
        while let Some(u) = pile.pop() {
            for &v in &self.p.voisins[u] {
                if self.marque[v] != self.tour && v != sans && (self.a[v] == k || Some(v) == avec) {
                    self.marque[v] = self.tour;
                    vus += 1;
                    pile.push(v);
                }
            }
        }
        self.pile = pile;
        vus == taille
    }

    /// Post with the largest relative deviation.
    fn pire_poste(&self) -> usize {
        (0..self.p.k)
            .max_by(|&x, &y| {
                let d = |k: usize| ((self.charge[k] - self.p.cible[k]) / self.p.cible[k]).abs();
                d(x).total_cmp(&d(y))
            })
            .unwrap_or(0)
    }

    /// A random post whose secteur touches a's.
    fn poste_voisin(&mut self, a: usize, rng: &mut ChaCha8Rng) -> Option<usize> {
        let mut tmp = std::mem::take(&mut self.tmp);
        tmp.clear();
        for &i in &self.membres[a] {
            for &v in &self.p.voisins[i] {
                if self.a[v] != a {
                    tmp.push(self.a[v]);
                }
            }
        }
        let b = (!tmp.is_empty()).then(|| tmp[rng.gen_range(0..tmp.len())]);
        self.tmp = tmp;
        b
    }

    /// Records the state in `meilleur` when it is better on (class, C).
    fn noter(&self, meilleur: &mut Meilleur) {
        let c = self.classe();
        if c < meilleur.classe
            || (c == meilleur.classe && self.compacite() < meilleur.compacite - 1e-9)
        {
            meilleur.classe = c;
            meilleur.compacite = self.compacite();
            meilleur.carte.clone_from(&self.a);
        }
    }

    /// Merges secteurs a and b, draws a random spanning tree of the union (Kruskal on random
    /// weights) and cuts the edge that gives the best pair: the lowest larger deviation
    /// (`Equilibre`), or the smallest compactness with both in the band (`Compacite`). Applies it
    /// when it is at least as good as the pair was; returns whether the map changed.
    fn recombiner(
        &mut self,
        a: usize,
        b: usize,
        mode: Recombinaison,
        temperature: f64,
        rng: &mut ChaCha8Rng,
    ) -> bool {
        let p = self.p;
        let noeuds: Vec<usize> = self.membres[a]
            .iter()
            .chain(&self.membres[b])
            .copied()
            .collect();
        let s = noeuds.len();
        let mut local = std::collections::HashMap::with_capacity(s);
        for (j, &u) in noeuds.iter().enumerate() {
            local.insert(u, j);
        }
        let mut aretes: Vec<(f64, usize, usize)> = Vec::new();
        for (j, &u) in noeuds.iter().enumerate() {
            for v in &p.voisins[u] {
                if let Some(&jv) = local.get(v) {
                    if j < jv {
                        // Balance: uniform random weights, every tree equally likely to be
                        // tried. Compactness: short edges preferred, so the cuts give round
                        // secteurs rather than strings of units.
                        let poids = match mode {
                            Recombinaison::Equilibre => rng.gen(),
                            Recombinaison::EquilibreCompact => {
                                p.d(u, *v) * (0.2 + rng.gen::<f64>())
                            }
                            Recombinaison::Compacite => p.d(u, *v) * (0.5 + rng.gen::<f64>()),
                        };
                        aretes.push((poids, j, jv));
                    }
                }
            }
        }
        aretes.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut parent: Vec<usize> = (0..s).collect();
        fn racine(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let mut arbre = vec![Vec::new(); s];
        for &(_, x, y) in &aretes {
            let (rx, ry) = (racine(&mut parent, x), racine(&mut parent, y));
            if rx != ry {
                parent[rx] = ry;
                arbre[x].push(y);
                arbre[y].push(x);
            }
        }
        // Preorder from node 0: a subtree is a contiguous slice of it.
        let mut ordre = Vec::with_capacity(s);
        let mut pere = vec![usize::MAX; s];
        let mut pile = vec![0usize];
        pere[0] = 0;
        while let Some(x) = pile.pop() {
            ordre.push(x);
            for &y in &arbre[x] {
                if pere[y] == usize::MAX {
                    pere[y] = x;
                    pile.push(y);
                }
            }
        }
        if ordre.len() != s {
            return false;
        }
        let mut rang = vec![0; s];
        for (r, &x) in ordre.iter().enumerate() {
            rang[x] = r;
        }
        let mut taille = vec![1usize; s];
        let mut somme: Vec<f64> = (0..s).map(|j| p.charge[noeuds[j]]).collect();
        // Weighted moments of each subtree (mass, Σ m·x, Σ m·y, Σ m·(x² + y²)): the inertia of a
        // part in O(1), to rank the cuts before the exact compactness of the chosen one.
        let mut moments: Vec<[f64; 4]> = (0..s)
            .map(|j| {
                let u = noeuds[j];
                let (m, x, y) = (p.masse[u], p.x[u], p.y[u]);
                [m, m * x, m * y, m * (x * x + y * y)]
            })
            .collect();
        for &x in ordre.iter().rev().take(s - 1) {
            let px = pere[x];
            taille[px] += taille[x];
            somme[px] += somme[x];
            let mx = moments[x];
            for (c, v) in moments[px].iter_mut().zip(mx) {
                *c += v;
            }
        }
        let inertie = |m: [f64; 4]| {
            if m[0] <= 0.0 {
                0.0
            } else {
                (m[3] - (m[1] * m[1] + m[2] * m[2]) / m[0]).max(0.0)
            }
        };
        let total = somme[0];
        let (ca, cb) = (p.cible[a], p.cible[b]);
        let dev = |l: f64, c: f64| ((l - c) / c).abs();
        let t_eq = tau(CLASSE_EQUILIBRE);
        // Balance score of a pair: the square of each excess over the 5 % band (so the worse post
        // counts most), then a trace of every deviation so that a pair inside the band still
        // moves towards its targets and makes room for an overloaded neighbour.
        let score_eq = |da: f64, db: f64| {
            let ex = |d: f64| (d - t_eq).max(0.0);
            ex(da).powi(2) + ex(db).powi(2) + 1e-3 * (da * da + db * db)
        };
        let avant_pire = dev(self.charge[a], ca).max(dev(self.charge[b], cb));
        let avant = score_eq(dev(self.charge[a], ca), dev(self.charge[b], cb));
        // (score, node whose subtree is cut, the subtree goes to a).
        let mut choix: Option<(f64, usize, bool)> = None;
        for &x in ordre.iter().skip(1) {
            for vers_a in [true, false] {
                let (la, lb) = if vers_a {
                    (somme[x], total - somme[x])
                } else {
                    (total - somme[x], somme[x])
                };
                let pire = dev(la, ca).max(dev(lb, cb));
                let score = match mode {
                    Recombinaison::Equilibre | Recombinaison::EquilibreCompact => {
                        score_eq(dev(la, ca), dev(lb, cb))
                    }
                    Recombinaison::Compacite => {
                        if pire > self.t.max(avant_pire) {
                            continue;
                        }
                        let sous = moments[x];
                        let tout = moments[0];
                        let reste = [
                            tout[0] - sous[0],
                            tout[1] - sous[1],
                            tout[2] - sous[2],
                            tout[3] - sous[3],
                        ];
                        inertie(sous) + inertie(reste)
                    }
                };
                if choix.is_none_or(|(m, _, _)| score < m) {
                    choix = Some((score, x, vers_a));
                }
            }
        }
        let Some((mut score, x, vers_a)) = choix else {
            return false;
        };
        if let Recombinaison::Compacite = mode {
            // The exact compactness of the cut the inertia chose.
            let sous: Vec<usize> = ordre[rang[x]..rang[x] + taille[x]]
                .iter()
                .map(|&j| noeuds[j])
                .collect();
            let dans: std::collections::HashSet<usize> = sous.iter().copied().collect();
            let reste: Vec<usize> = noeuds
                .iter()
                .copied()
                .filter(|u| !dans.contains(u))
                .collect();
            score = crate::mesure::cout_secteur(&sous, |i| p.masse[i], |i, j| p.d(i, j)).0
                + crate::mesure::cout_secteur(&reste, |i| p.masse[i], |i, j| p.d(i, j)).0;
        }
        let ameliore = match mode {
            // Annealed: a worse pair is kept with the Metropolis probability.
            Recombinaison::Equilibre | Recombinaison::EquilibreCompact => {
                score <= avant
                    || (temperature > 0.0
                        && rng.gen::<f64>() < (-(score - avant) / temperature).exp())
            }
            Recombinaison::Compacite => {
                let delta = score - (self.cc[a] + self.cc[b]);
                delta < -1e-9
                    || (temperature > 0.0 && rng.gen::<f64>() < (-delta / temperature).exp())
            }
        };
        if !ameliore {
            return false;
        }
        let sous: std::collections::HashSet<usize> = ordre[rang[x]..rang[x] + taille[x]]
            .iter()
            .map(|&j| noeuds[j])
            .collect();
        for &u in &noeuds {
            let cible = if sous.contains(&u) == vers_a { a } else { b };
            if self.a[u] != cible {
                self.deplacer(u, cible);
            }
        }
        self.cc[a] = self.cout(a, None, None);
        self.cc[b] = self.cout(b, None, None);
        true
    }

    /// Every split of secteurs a ∪ b into two connected parts (when the union has at most
    /// `PAIRE_MAX` units), the one of least compactness with both posts in the band applied when it
    /// beats the pair as it is. An exact move over two secteurs: a map where no such move helps is
    /// optimal pair by pair.
    fn optimiser_paire(&mut self, a: usize, b: usize) -> bool {
        let p = self.p;
        let noeuds: Vec<usize> = self.membres[a]
            .iter()
            .chain(&self.membres[b])
            .copied()
            .collect();
        let s = noeuds.len();
        if !(2..=PAIRE_MAX).contains(&s) {
            return false;
        }
        let mut adj = vec![0u32; s];
        for (x, &u) in noeuds.iter().enumerate() {
            for (y, &v) in noeuds.iter().enumerate() {
                if x != y && p.voisins[u].binary_search(&v).is_ok() {
                    adj[x] |= 1 << y;
                }
            }
        }
        let connexe = |masque: u32| -> bool {
            if masque == 0 {
                return false;
            }
            let mut vu = masque & masque.wrapping_neg();
            loop {
                let mut suivant = vu;
                let mut reste = vu;
                while reste != 0 {
                    let x = reste.trailing_zeros() as usize;
                    reste &= reste - 1;
                    suivant |= adj[x] & masque;
                }
                if suivant == vu {
                    return vu == masque;
                }
                vu = suivant;
            }
        };
        let tout: u32 = if s == 32 { u32::MAX } else { (1u32 << s) - 1 };
        let mut charge = vec![0.0f64; 1 << s];
        for m in 1..=tout as usize {
            let bas = m.trailing_zeros() as usize;
            charge[m] = charge[m & (m - 1)] + p.charge[noeuds[bas]];
        }
        let total = charge[tout as usize];
        let (ca, cb) = (p.cible[a], p.cible[b]);
        let dans = |l: f64, c: f64| ((l - c) / c).abs() <= self.t;
        let cout = |m: u32| -> f64 {
            let membres: Vec<usize> = (0..s)
                .filter(|&x| m & (1 << x) != 0)
                .map(|x| noeuds[x])
                .collect();
            crate::mesure::cout_secteur(&membres, |i| p.masse[i], |i, j| p.d(i, j)).0
        };
        let avant = self.cc[a] + self.cc[b];
        let mut meilleur: Option<(f64, u32)> = None;
        for m in 1..tout {
            let la = charge[m as usize];
            if !dans(la, ca) || !dans(total - la, cb) {
                continue;
            }
            if !connexe(m) || !connexe(tout & !m) {
                continue;
            }
            let c = cout(m) + cout(tout & !m);
            if c < meilleur.map_or(avant - 1e-9, |(x, _)| x) {
                meilleur = Some((c, m));
            }
        }
        let Some((_, m)) = meilleur else {
            return false;
        };
        for (x, &u) in noeuds.iter().enumerate() {
            let cible = if m & (1 << x) != 0 { a } else { b };
            if self.a[u] != cible {
                self.deplacer(u, cible);
            }
        }
        self.cc[a] = self.cout(a, None, None);
        self.cc[b] = self.cout(b, None, None);
        true
    }

    /// Pairs of neighbouring posts, each once.
    fn paires(&self) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for i in 0..self.p.n {
            for &j in &self.p.voisins[i] {
                let (a, b) = (self.a[i], self.a[j]);
                if a < b {
                    v.push((a, b));
                }
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    fn deplacer(&mut self, i: usize, b: usize) {
        let a = self.a[i];
        let pi = self.pos[i];
        self.membres[a].swap_remove(pi);
        if let Some(&j) = self.membres[a].get(pi) {
            self.pos[j] = pi;
        }
        self.pos[i] = self.membres[b].len();
        self.membres[b].push(i);
        self.a[i] = b;
        self.charge[a] -= self.p.charge[i];
        self.charge[b] += self.p.charge[i];
    }

    /// Cost change of moving i to b (`None` when it would break a secteur).
    fn delta_deplacement(&mut self, i: usize, b: usize, seuil: f64) -> Option<(f64, f64, f64)> {
        let a = self.a[i];
        if self.membres[a].len() <= 1 || !self.connexe(a, i, None) {
            return None;
        }
        let l = self.p.charge[i];
        let dp = self.delta_penalite(a, self.charge[a] - l, b, self.charge[b] + l);
        // Compactness cannot fall by more than the two secteurs' whole cost.
        if self.lambda * dp - self.cc[a] - self.cc[b] > seuil {
            return None;
        }
        let ca = self.cout(a, Some(i), None);
        let cb = self.cout(b, None, Some(i));
        Some((ca + cb - self.cc[a] - self.cc[b] + self.lambda * dp, ca, cb))
    }

    /// Cost change of swapping i (in a) and j (in b).
    fn delta_echange(&mut self, i: usize, j: usize, seuil: f64) -> Option<(f64, f64, f64)> {
        let (a, b) = (self.a[i], self.a[j]);
        let d = self.p.charge[j] - self.p.charge[i];
        let dp = self.delta_penalite(a, self.charge[a] + d, b, self.charge[b] - d);
        if self.lambda * dp - self.cc[a] - self.cc[b] > seuil {
            return None;
        }
        if !self.connexe(a, i, Some(j)) || !self.connexe(b, j, Some(i)) {
            return None;
        }
        // Both secteurs' costs with the swap applied.
        let ca = self.cout(a, Some(i), Some(j));
        let cb = self.cout(b, Some(j), Some(i));
        Some((ca + cb - self.cc[a] - self.cc[b] + self.lambda * dp, ca, cb))
    }

    /// A random move's cost change, for the starting temperature.
    fn temperature_initiale(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        let mut hausses = Vec::new();
        for _ in 0..(20 * self.p.n).max(200) {
            let i = rng.gen_range(0..self.p.n);
            let vs = &self.p.voisins[i];
            if vs.is_empty() {
                continue;
            }
            let j = vs[rng.gen_range(0..vs.len())];
            if self.a[j] == self.a[i] {
                continue;
            }
            if let Some((d, _, _)) = self.delta_deplacement(i, self.a[j], f64::INFINITY) {
                if d > 0.0 {
                    hausses.push(d);
                }
            }
        }
        if hausses.is_empty() {
            return 1.0;
        }
        hausses.sort_by(f64::total_cmp);
        hausses[hausses.len() / 4].max(1e-6)
    }

    /// Simulated annealing for `iterations` moves, geometric cooling; `meilleur` follows the best
    /// map seen on (class, C).
    fn recuit(&mut self, iterations: usize, rng: &mut ChaCha8Rng, meilleur: &mut Meilleur) {
        let t0 = self.temperature_initiale(rng);
        let t_fin = t0 * 1e-4;
        let alpha = (t_fin / t0).powf(1.0 / iterations.max(1) as f64);
        let mut temp = t0;
        for _ in 0..iterations {
            temp *= alpha;
            let i = rng.gen_range(0..self.p.n);
            let vs = &self.p.voisins[i];
            if vs.is_empty() {
                continue;
            }
            let j = vs[rng.gen_range(0..vs.len())];
            let (a, b) = (self.a[i], self.a[j]);
            if a == b {
                continue;
            }
            // Accept when delta < seuil: the Metropolis rule with the draw made first.
            let u: f64 = rng.gen();
            let seuil = -temp * u.max(1e-300).ln();
            let echange = rng.gen_bool(0.25);
            let r = if echange {
                self.delta_echange(i, j, seuil)
            } else {
                self.delta_deplacement(i, b, seuil)
            };
            let Some((delta, ca, cb)) = r else { continue };
            if delta >= seuil && delta > 0.0 {
                continue;
            }
            self.deplacer(i, b);
            if echange {
                self.deplacer(j, a);
            }
            self.cc[a] = ca;
            self.cc[b] = cb;
            self.noter(meilleur);
        }
    }
}
