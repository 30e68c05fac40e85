//! The exact model of one MDS (HiGHS), the yardstick of the engine on small MDS in the benchmark:
//! x[i][c] = 1 when unit i belongs to the secteur centred on unit c, p[c][k] = 1 when c is the
//! centre of post k's secteur; load bounds of the balance class on each open centre; contiguity by
//! a flow from each centre that every other member of its secteur consumes (a unit of flow may only
//! cross units of that secteur). The objective Σ (ℓ_i + 1)·d(i, c)·x[i][c] is the compactness C, the
//! optimiser picking the 1-median as centre. The lowest class is found by solving class after class.

use highs::{Col, HighsModelStatus, RowProblem, Sense};

use crate::mesure::{tau, CLASSE_EQUILIBRE};
use crate::partition::Probleme;

/// What the exact model proved for one MDS.
#[derive(Debug, Clone)]
pub struct ResultatExact {
    pub carte: Vec<usize>,
    pub classe: u32,
    pub compacite: f64,
    /// Both the class and C are proven optimal (no time limit reached).
    pub prouve: bool,
}

/// Solves classes from 5 % upwards until one is feasible, up to `classe_max` (the engine's), with
/// `limite_s` seconds per solve.
pub fn exact(p: &Probleme, classe_max: u32, limite_s: f64) -> Option<ResultatExact> {
    let mut prouve = true;
    for classe in CLASSE_EQUILIBRE..=classe_max {
        match resoudre_classe(p, tau(classe), limite_s) {
            Issue::Infaisable => continue,
            Issue::Inconnue => {
                prouve = false;
                continue;
            }
            Issue::Solution(carte, c, optimal) => {
                return Some(ResultatExact {
                    carte,
                    classe,
                    compacite: c,
                    prouve: prouve && optimal,
                })
            }
        }
    }
    None
}

enum Issue {
    Infaisable,
    Inconnue,
    Solution(Vec<usize>, f64, bool),
}

fn resoudre_classe(p: &Probleme, t: f64, limite_s: f64) -> Issue {
    let (n, k) = (p.n, p.k);
    let mut pb = RowProblem::default();
    let x: Vec<Vec<Col>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|c| pb.add_integer_column(p.masse[i] * p.dist[i * n + c], 0.0..=1.0))
                .collect()
        })
        .collect();
    let y: Vec<Vec<Col>> = (0..n)
        .map(|_| {
            (0..k)
                .map(|_| pb.add_integer_column(0.0, 0.0..=1.0))
                .collect()
        })
        .collect();
    // Flow of centre c on arc (i → j): f[c][a] over the arcs of the adjacency.
    let arcs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| p.voisins[i].iter().map(move |&j| (i, j)))
        .collect();
    let m = (n - 1) as f64;
    let f: Vec<Vec<Col>> = (0..n)
        .map(|_| arcs.iter().map(|_| pb.add_column(0.0, 0.0..=m)).collect())
        .collect();
    for i in 0..n {
        let un: Vec<(Col, f64)> = (0..n).map(|c| (x[i][c], 1.0)).collect();
        pb.add_row(1.0..=1.0, &un);
        for c in 0..n {
            if i != c {
                pb.add_row(..=0.0, [(x[i][c], 1.0), (x[c][c], -1.0)]);
            }
        }
    }
    for c in 0..n {
        let mut ouvert: Vec<(Col, f64)> = (0..k).map(|kk| (y[c][kk], 1.0)).collect();
        ouvert.push((x[c][c], -1.0));
        pb.add_row(0.0..=0.0, &ouvert);
        // Load of the secteur centred on c within the band of its post.
        let mut haut: Vec<(Col, f64)> = (0..n).map(|i| (x[i][c], p.charge[i])).collect();
        let mut bas = haut.clone();
        for kk in 0..k {
            haut.push((y[c][kk], -(1.0 + t) * p.cible[kk]));
            bas.push((y[c][kk], -(1.0 - t) * p.cible[kk]));
        }
        pb.add_row(..=0.0, &haut);
        pb.add_row(0.0.., &bas);
    }
    for kk in 0..k {
        let t: Vec<(Col, f64)> = (0..n).map(|c| (y[c][kk], 1.0)).collect();
        pb.add_row(1.0..=1.0, &t);
    }
    // Flow: each member other than the centre consumes one unit; arcs only inside the secteur.
    for c in 0..n {
        for (a, &(i, j)) in arcs.iter().enumerate() {
            pb.add_row(..=0.0, [(f[c][a], 1.0), (x[i][c], -m)]);
            pb.add_row(..=0.0, [(f[c][a], 1.0), (x[j][c], -m)]);
        }
        for i in 0..n {
            if i == c {
                continue;
            }
            let mut t: Vec<(Col, f64)> = Vec::new();
            for (a, &(u, v)) in arcs.iter().enumerate() {
                if v == i {
                    t.push((f[c][a], 1.0));
                }
                if u == i {
                    t.push((f[c][a], -1.0));
                }
            }
            t.push((x[i][c], -1.0));
            pb.add_row(0.0..=0.0, &t);
        }
    }
    let mut modele = pb.optimise(Sense::Minimise);
    modele.make_quiet();
    modele.set_option("threads", 1);
    modele.set_option("time_limit", limite_s);
    modele.set_option("mip_rel_gap", 1e-7);
    let Ok(resolu) = modele.try_solve() else {
        return Issue::Inconnue;
    };
    let statut = resolu.status();
    let optimal = statut == HighsModelStatus::Optimal;
    match statut {
        HighsModelStatus::Infeasible => return Issue::Infaisable,
        HighsModelStatus::Optimal | HighsModelStatus::ReachedTimeLimit => {}
        _ => return Issue::Inconnue,
    }
    let sol = resolu.get_solution();
    let v = sol.columns();
    if v.len() < n * n + n * k {
        return Issue::Inconnue;
    }
    let mut centre_de = vec![usize::MAX; n];
    let mut poste_du_centre = vec![usize::MAX; n];
    for c in 0..n {
        for kk in 0..k {
            if v[n * n + c * k + kk] > 0.5 {
                poste_du_centre[c] = kk;
            }
        }
    }
    for i in 0..n {
        for c in 0..n {
            if v[i * n + c] > 0.5 {
                centre_de[i] = c;
            }
        }
    }
    let carte: Vec<usize> = centre_de
        .iter()
        .map(|&c| poste_du_centre.get(c).copied().unwrap_or(usize::MAX))
        .collect();
    if carte.iter().any(|&kk| kk >= k) {
        // A time limit with no incumbent.
        return Issue::Inconnue;
    }
    let c = p.valeur(&carte).1;
    Issue::Solution(carte, c, optimal)
}
