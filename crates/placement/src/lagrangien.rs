//! A Lagrangian lower bound with C5: the capacity rows are dualised with multipliers `v ≤ 0`
//! (started from the transportation LP's duals) and the problem splits into one sub-problem per
//! sibling group, bounded below in closed form; a subgradient ascent on `v` then lifts the bound
//! where siblings compete for the same beds. Valid for any `v ≤ 0`, so stopping early is safe.

use std::time::Instant;

use crate::cout::{cout_non_place, cout_paire, C5_PLACE, C5_SITE};
use crate::instance::Instance;

/// Cost of leaving unplaced a child who must be placed: finite so that sums stay finite, larger
/// than any real choice so that it never is a minimum (such a child always has its current place).
const INTERDIT: f64 = 1e9;

/// Admissible pairs and their costs, built once.
pub struct Paires {
    /// Per child: (place, cost C1..C4); `f32` is exact for these small integers and halves memory
    /// (millions of pairs on 2,000 × 8,000).
    par_enfant: Vec<Vec<(u32, f32)>>,
    /// Per child: C6, or [`INTERDIT`].
    non_place: Vec<f64>,
}

impl Paires {
    pub fn nouvelles(inst: &Instance) -> Self {
        let par_enfant = (0..inst.children.len())
            .map(|c| {
                (0..inst.places.len())
                    .filter(|&p| inst.admissible(c, p))
                    .map(|p| (p as u32, cout_paire(inst, c, p) as f32))
                    .collect()
            })
            .collect();
        let non_place = (0..inst.children.len())
            .map(|c| {
                if inst.peut_rester_non_place(c) {
                    cout_non_place(inst, c) as f64
                } else {
                    INTERDIT
                }
            })
            .collect();
        Paires {
            par_enfant,
            non_place,
        }
    }
}

/// Scratch arrays indexed by place and site, reset through the lists of touched entries.
struct Brouillon {
    somme_place: Vec<f64>,
    n_place: Vec<u32>,
    somme_site: Vec<f64>,
    n_site: Vec<u32>,
    min_site: Vec<f64>,
    places: Vec<usize>,
    sites: Vec<usize>,
    sites_enfant: Vec<usize>,
}

/// `L(v)` and the loads of one minimiser. For any solution, cost ≥ cost + Σ v_p (cap_p − load_p)
/// (v ≤ 0, load ≤ cap) = Σ_groups [their costs − v at their places, with C5] + Σ v_p cap_p, and
/// each group's bracket is at least the least of: placed members in one place (C5 = 0, the others
/// unplaced), in one site (C5 ≥ 100), in two sites or more (C5 ≥ 400).
fn evaluer(inst: &Instance, pr: &Paires, v: &[f64], b: &mut Brouillon, charge: &mut [u32]) -> f64 {
    let mut total: f64 = inst
        .places
        .iter()
        .zip(v)
        .map(|(p, &vp)| vp * f64::from(p.capacity))
        .sum();
    charge.iter_mut().for_each(|x| *x = 0);
    for membres in &inst.groups {
        if membres.len() == 1 {
            let c = membres[0];
            let mut meilleur = (pr.non_place[c], None);
            for &(p, a) in &pr.par_enfant[c] {
                let r = f64::from(a) - v[p as usize];
                if r < meilleur.0 {
                    meilleur = (r, Some(p as usize));
                }
            }
            total += meilleur.0;
            if let Some(p) = meilleur.1 {
                charge[p] += 1;
            }
            continue;
        }
        // Per place / site: Σ over its admissible members of min(rc, unplaced) − unplaced, and how
        // many members can go there (a case is open only when every must-place member can).
        let mut somme_u = 0.0;
        let mut somme_min = 0.0;
        let mut obligatoires = 0u32;
        for &c in membres {
            let u = pr.non_place[c];
            somme_u += u;
            let obligatoire = u >= INTERDIT;
            obligatoires += u32::from(obligatoire);
            let mut m = u;
            b.sites_enfant.clear();
            for &(p, a) in &pr.par_enfant[c] {
                let p = p as usize;
                let r = f64::from(a) - v[p];
                m = m.min(r);
                // A place may be listed twice (zero sum): harmless, it is only read and reset.
                if b.n_place[p] == 0 && b.somme_place[p] == 0.0 {
                    b.places.push(p);
                }
                b.somme_place[p] += r.min(u) - u;
                b.n_place[p] += u32::from(obligatoire);
                let s = inst.places[p].site;
                if b.min_site[s] == f64::INFINITY {
                    b.sites_enfant.push(s);
                }
                b.min_site[s] = b.min_site[s].min(r);
            }
            for i in 0..b.sites_enfant.len() {
                let s = b.sites_enfant[i];
                if b.n_site[s] == 0 && b.somme_site[s] == 0.0 {
                    b.sites.push(s);
                }
                b.somme_site[s] += b.min_site[s].min(u) - u;
                b.n_site[s] += u32::from(obligatoire);
                b.min_site[s] = f64::INFINITY;
            }
            somme_min += m;
        }
        // Cases: 0 one place, 1 one site, 2 two sites or more, 3 nobody placed.
        let mut cas: (f64, u8, usize) = (C5_SITE as f64 + somme_min, 2, 0);
        if obligatoires == 0 && somme_u < cas.0 {
            cas = (somme_u, 3, 0);
        }
        for &p in &b.places {
            if b.n_place[p] == obligatoires && somme_u + b.somme_place[p] < cas.0 {
                cas = (somme_u + b.somme_place[p], 0, p);
            }
        }
        for &s in &b.sites {
            let x = C5_PLACE as f64 + somme_u + b.somme_site[s];
            if b.n_site[s] == obligatoires && x < cas.0 {
                cas = (x, 1, s);
            }
        }
        total += cas.0;
        // Loads of the chosen case: each member at its best place allowed by the case.
        for &c in membres {
            let mut meilleur = (pr.non_place[c], None);
            for &(p, a) in &pr.par_enfant[c] {
                let p = p as usize;
                let permis = match cas.1 {
                    0 => p == cas.2,
                    1 => inst.places[p].site == cas.2,
                    2 => true,
                    _ => false,
                };
                let r = f64::from(a) - v[p];
                if permis && r < meilleur.0 {
                    meilleur = (r, Some(p));
                }
            }
            if let Some(p) = meilleur.1 {
                charge[p] += 1;
            }
        }
        for &p in &b.places {
            b.somme_place[p] = 0.0;
            b.n_place[p] = 0;
        }
        for &s in &b.sites {
            b.somme_site[s] = 0.0;
            b.n_site[s] = 0;
        }
        b.places.clear();
        b.sites.clear();
    }
    total
}

/// The best Lagrangian bound found from `v0` (the LP's capacity duals, ≤ 0) by subgradient ascent
/// until `fin`, with Polyak steps towards `haut` (the cost of a known solution). Returns an integer
/// valid lower bound and the number of evaluations.
pub fn borne_lagrangienne(
    inst: &Instance,
    pr: &Paires,
    v0: &[f64],
    haut: i64,
    fin: Instant,
    iterations_max: usize,
) -> (i64, usize) {
    let m = inst.places.len();
    let ns = inst.sites.len();
    let mut b = Brouillon {
        somme_place: vec![0.0; m],
        n_place: vec![0; m],
        somme_site: vec![0.0; ns],
        n_site: vec![0; ns],
        min_site: vec![f64::INFINITY; ns],
        places: Vec::new(),
        sites: Vec::new(),
        sites_enfant: Vec::new(),
    };
    let mut v: Vec<f64> = v0.iter().map(|&x| x.min(0.0)).collect();
    let mut charge = vec![0u32; m];
    let mut meilleure = f64::NEG_INFINITY;
    // Small first steps: the LP duals are already a good point and large steps overshoot.
    let mut theta = 0.1;
    let mut sans_progres = 0;
    let mut evaluations = 0;
    for _ in 0..iterations_max.max(1) {
        evaluations += 1;
        let l = evaluer(inst, pr, &v, &mut b, &mut charge);
        if l > meilleure + 1e-6 {
            meilleure = l;
            sans_progres = 0;
        } else {
            sans_progres += 1;
            if sans_progres >= 4 {
                theta /= 2.0;
                sans_progres = 0;
            }
        }
        if Instant::now() >= fin || theta < 1e-3 || meilleure >= haut as f64 - 0.5 {
            break;
        }
        // Subgradient cap − load, projected on v ≤ 0.
        let g: Vec<f64> = (0..m)
            .map(|p| {
                let x = f64::from(inst.places[p].capacity) - f64::from(charge[p]);
                if v[p] >= 0.0 && x > 0.0 {
                    0.0
                } else {
                    x
                }
            })
            .collect();
        let norme: f64 = g.iter().map(|x| x * x).sum();
        if norme <= 0.0 {
            break;
        }
        let pas = theta * (haut as f64 - l).max(1.0) / norme;
        for p in 0..m {
            v[p] = (v[p] + pas * g[p]).min(0.0);
        }
    }
    // The optimum is an integer; the margin absorbs floating-point error.
    (
        (meilleure - 1e-6 * meilleure.abs() - 1e-2).ceil() as i64,
        evaluations,
    )
}
