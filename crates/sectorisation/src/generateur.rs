//! A generator of realistic fictitious instances (`sectorisation.md`): rural communes and towns cut
//! into IRIS, Delaunay adjacency (long hull edges pruned), MDS and the map in force grown along the
//! graph so both are contiguous, posts in the three organisation modes, situations drawn from the
//! weighting grid's rates with a deprivation factor per commune, workers loaded under the map in
//! force, and a batch of new situations. Deterministic for a seed.

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Pareto, Poisson};

use crate::affectation::HEURES_ETP;

/// The size of an instance.
#[derive(Debug, Clone, Copy)]
pub struct Forme {
    pub unites: usize,
    pub mds: usize,
    pub postes: usize,
    pub situations: usize,
    pub graine: u64,
}

/// The default weighting grid: kind, hours per year, situations per 1,000 inhabitants, label.
pub const GRILLE: [(&str, f64, f64, &str); 6] = [
    ("IP", 20.0, 3.0, "Évaluation d'information préoccupante"),
    ("RSA", 10.0, 25.0, "Accompagnement RSA (référent unique)"),
    ("EXP", 12.0, 2.0, "Prévention d'une expulsion"),
    ("PA", 3.0, 30.0, "Premier accueil"),
    ("ACC", 18.0, 8.0, "Ménage accompagné"),
    (
        "MASP",
        35.0,
        0.8,
        "Mesure d'accompagnement social personnalisé",
    ),
];

struct UniteGen {
    commune: usize,
    iris: usize,
    x: f64,
    y: f64,
    population: f64,
    n: [u32; 6],
}

/// Writes the seven files of an instance of shape `f` into `dir`.
pub fn generer(f: Forme, dir: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        f.mds >= 1 && f.postes >= f.mds && f.unites >= f.postes,
        "forme impossible : il faut au moins une MDS, un poste par MDS et une unité par poste"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(f.graine);
    // 1. Communes and their IRIS until the unit count is reached.
    let cote = (f.unites as f64 * 2.0).sqrt() * 1.8;
    let mut unites: Vec<UniteGen> = Vec::new();
    let mut populations = Vec::new();
    // Rural communes of a few hundred inhabitants; towns above 2,500 are cut into IRIS of about
    // 1,800, as INSEE cuts them, so that no unit weighs more than a fraction of a post.
    let rural = LogNormal::new(6.2_f64, 0.6).map_err(anyhow::Error::msg)?;
    let ville = Pareto::new(2_500.0_f64, 1.2).map_err(anyhow::Error::msg)?;
    let mut c = 0;
    while unites.len() < f.unites {
        let pop: f64 = if rng.gen_bool(0.04) {
            ville.sample(&mut rng).min(120_000.0)
        } else {
            rural.sample(&mut rng).clamp(60.0, 2_500.0)
        };
        let n_iris = if pop > 2_500.0 {
            ((pop / 1_800.0).round() as usize).clamp(1, f.unites - unites.len())
        } else {
            1
        };
        let (cx, cy) = (rng.gen_range(0.0..cote), rng.gen_range(0.0..cote));
        let rayon = (pop / 3_000.0 / std::f64::consts::PI).sqrt();
        for i in 0..n_iris {
            let (x, y) = if n_iris == 1 {
                (cx, cy)
            } else {
                let r = rayon * rng.gen::<f64>().sqrt();
                let a = rng.gen_range(0.0..std::f64::consts::TAU);
                (cx + r * a.cos(), cy + r * a.sin())
            };
            unites.push(UniteGen {
                commune: c,
                iris: if n_iris == 1 { 0 } else { i + 1 },
                x,
                y,
                population: pop / n_iris as f64,
                n: [0; 6],
            });
        }
        populations.push(pop);
        c += 1;
    }
    let n = unites.len();
    // 2. Adjacency: Delaunay triangulation, long hull edges pruned while the graph stays connected.
    let points: Vec<delaunator::Point> = unites
        .iter()
        .map(|u| delaunator::Point { x: u.x, y: u.y })
        .collect();
    let tri = delaunator::triangulate(&points);
    let mut aretes = Vec::new();
    for e in 0..tri.triangles.len() {
        let suivante = if e % 3 == 2 { e - 2 } else { e + 1 };
        if tri.halfedges[e] == delaunator::EMPTY || e > tri.halfedges[e] {
            aretes.push((tri.triangles[e], tri.triangles[suivante]));
        }
    }
    let longueur =
        |(a, b): (usize, usize)| (unites[a].x - unites[b].x).hypot(unites[a].y - unites[b].y);
    let mut longueurs: Vec<f64> = aretes.iter().map(|&e| longueur(e)).collect();
    longueurs.sort_by(f64::total_cmp);
    let seuil = 3.0 * longueurs.get(longueurs.len() / 2).copied().unwrap_or(1.0);
    let mut voisins = vec![Vec::new(); n];
    for &(a, b) in &aretes {
        voisins[a].push(b);
        voisins[b].push(a);
    }
    let coque: std::collections::HashSet<(usize, usize)> = tri
        .hull
        .iter()
        .zip(tri.hull.iter().cycle().skip(1))
        .map(|(&a, &b)| (a.min(b), a.max(b)))
        .collect();
    for &(a, b) in &aretes {
        if coque.contains(&(a.min(b), a.max(b))) && longueur((a, b)) > seuil {
            voisins[a].retain(|&v| v != b);
            voisins[b].retain(|&v| v != a);
            if !connexe(&voisins, &(0..n).collect::<Vec<_>>()) {
                voisins[a].push(b);
                voisins[b].push(a);
            }
        }
    }
    // 3. MDS grown on the graph, balanced on population.
    let pop: Vec<f64> = unites.iter().map(|u| u.population).collect();
    let tous: Vec<usize> = (0..n).collect();
    let mds = croissance(&voisins, &tous, f.mds, &pop, &mut rng);
    let mut unites_mds = vec![Vec::new(); f.mds];
    for (u, &m) in mds.iter().enumerate() {
        unites_mds[m].push(u);
    }
    // 4. Posts ∝ population (largest remainder, at least one, at most one per unit).
    let pop_mds: Vec<f64> = unites_mds
        .iter()
        .map(|us| us.iter().map(|&u| pop[u]).sum())
        .collect();
    let total_pop: f64 = pop_mds.iter().sum();
    let mut postes_mds: Vec<usize> = pop_mds
        .iter()
        .map(|p| ((p / total_pop * f.postes as f64).floor() as usize).max(1))
        .collect();
    while postes_mds.iter().sum::<usize>() < f.postes {
        let m = (0..f.mds)
            .filter(|&m| postes_mds[m] < unites_mds[m].len())
            .max_by(|&a, &b| {
                (pop_mds[a] / postes_mds[a] as f64).total_cmp(&(pop_mds[b] / postes_mds[b] as f64))
            })
            .ok_or_else(|| anyhow::anyhow!("trop de postes pour les unités"))?;
        postes_mds[m] += 1;
    }
    for m in 0..f.mds {
        postes_mds[m] = postes_mds[m].min(unites_mds[m].len());
    }
    // Posts: mode, members and their ETP.
    struct PosteGen {
        mds: usize,
        mode: &'static str,
        etps: Vec<f64>,
    }
    let mut postes = Vec::new();
    for (m, &k) in postes_mds.iter().enumerate() {
        for _ in 0..k {
            let t: f64 = rng.gen();
            let (mode, membres) = if t < 0.7 {
                ("sectorisation", 1)
            } else if t < 0.9 {
                ("cosectorisation", 2)
            } else {
                ("desectorisation", rng.gen_range(3..=4))
            };
            let etps = (0..membres)
                .map(|_| {
                    *[1.0, 1.0, 1.0, 0.8, 0.8, 0.5]
                        .choose(&mut rng)
                        .unwrap_or(&1.0)
                })
                .collect();
            postes.push(PosteGen { mds: m, mode, etps });
        }
    }
    let etp_total: f64 = postes.iter().flat_map(|p| p.etps.iter()).sum();
    // 5. Situations: rates scaled so the whole load is 95 % of nominal capacity.
    let privation: Vec<f64> = {
        let d = LogNormal::new(0.0_f64, 0.25).map_err(anyhow::Error::msg)?;
        (0..c).map(|_| d.sample(&mut rng)).collect()
    };
    let attendu: f64 = unites
        .iter()
        .map(|u| u.population / 1000.0 * privation[u.commune])
        .sum::<f64>()
        * GRILLE.iter().map(|g| g.1 * g.2).sum::<f64>();
    let echelle = 0.95 * HEURES_ETP * etp_total / attendu;
    for u in &mut unites {
        for (k, g) in GRILLE.iter().enumerate() {
            let lambda = g.2 * u.population / 1000.0 * privation[u.commune] * echelle;
            u.n[k] = if lambda > 0.0 {
                Poisson::new(lambda).map_or(0, |p| p.sample(&mut rng) as u32)
            } else {
                0
            };
        }
    }
    let charge: Vec<f64> = unites
        .iter()
        .map(|u| {
            GRILLE
                .iter()
                .zip(u.n)
                .map(|(g, n)| g.1 * f64::from(n))
                .sum()
        })
        .collect();
    // 6. The map in force: grown per MDS on the load of an older year (noisy), so it is contiguous
    //    and roughly, not exactly, balanced.
    let ancienne: Vec<f64> = {
        let d = LogNormal::new(0.0_f64, 0.3).map_err(anyhow::Error::msg)?;
        charge
            .iter()
            .map(|c| (c + 1.0) * d.sample(&mut rng))
            .collect()
    };
    let mut poste_actuel = vec![0usize; n];
    let mut premier = 0;
    for (m, us) in unites_mds.iter().enumerate() {
        let local = croissance(&voisins, us, postes_mds[m], &ancienne, &mut rng);
        for (j, &u) in us.iter().enumerate() {
            poste_actuel[u] = premier + local[j];
        }
        premier += postes_mds[m];
    }
    // 7. Write.
    std::fs::create_dir_all(dir)?;
    let fichier = |nom: &str| -> anyhow::Result<csv::Writer<std::fs::File>> {
        Ok(csv::Writer::from_path(dir.join(nom))?)
    };
    let id_mds = |m: usize| format!("MDS{:02}", m + 1);
    let id_poste = |k: usize| format!("P{:04}", k + 1);
    let mut w = fichier("weights.csv")?;
    w.write_record(["kind", "weight_h", "rate_per_1000", "label"])?;
    for g in GRILLE {
        w.write_record([g.0, &g.1.to_string(), &format!("{:.3}", g.2 * echelle), g.3])?;
    }
    w.flush()?;
    let mut w = fichier("units.csv")?;
    let mut entete = vec![
        "unit_id",
        "commune_insee",
        "iris",
        "commune_population",
        "mds_id",
        "x_km",
        "y_km",
        "population",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    entete.extend(GRILLE.iter().map(|g| format!("n_{}", g.0)));
    entete.extend(["load_h".to_owned(), "current_post".to_owned()]);
    w.write_record(&entete)?;
    for (i, u) in unites.iter().enumerate() {
        let mut r = vec![
            format!("U{:05}", i + 1),
            format!("99{:03}", u.commune % 1000),
            u.iris.to_string(),
            format!("{:.0}", populations[u.commune]),
            id_mds(mds[i]),
            format!("{:.3}", u.x),
            format!("{:.3}", u.y),
            format!("{:.0}", u.population),
        ];
        r.extend(u.n.iter().map(u32::to_string));
        r.push(format!("{}", charge[i]));
        r.push(id_poste(poste_actuel[i]));
        w.write_record(&r)?;
    }
    w.flush()?;
    let mut w = fichier("edges.csv")?;
    w.write_record(["unit_a", "unit_b"])?;
    for (a, vs) in voisins.iter().enumerate() {
        for &b in vs.iter().filter(|&&b| b > a) {
            w.write_record([format!("U{:05}", a + 1), format!("U{:05}", b + 1)])?;
        }
    }
    w.flush()?;
    let mut w = fichier("posts.csv")?;
    w.write_record(["post_id", "mds_id", "mode", "etp", "workers"])?;
    for (k, p) in postes.iter().enumerate() {
        w.write_record([
            id_poste(k),
            id_mds(p.mds),
            p.mode.to_owned(),
            format!("{}", p.etps.iter().sum::<f64>()),
            p.etps.len().to_string(),
        ])?;
    }
    w.flush()?;
    let mut charge_poste = vec![0.0; postes.len()];
    let mut rsa_poste = vec![0.0; postes.len()];
    for u in 0..n {
        charge_poste[poste_actuel[u]] += charge[u];
        rsa_poste[poste_actuel[u]] += f64::from(unites[u].n[1]);
    }
    let mut w = fichier("workers.csv")?;
    w.write_record(crate::instance::COLONNES_AGENTS)?;
    let mut agent = 0;
    for (k, p) in postes.iter().enumerate() {
        let e: f64 = p.etps.iter().sum();
        for &etp in &p.etps {
            agent += 1;
            let part = if p.etps.len() > 1 {
                1.0 + rng.gen_range(-0.1..=0.1)
            } else {
                1.0
            };
            w.write_record([
                format!("A{agent:05}"),
                id_mds(p.mds),
                id_poste(k),
                format!("{etp}"),
                format!("{:.1}", charge_poste[k] * etp / e * part),
                format!("{:.0}", rsa_poste[k] * etp / e * part),
                format!("{:.1}", 1.10 * HEURES_ETP * etp),
                format!("{}", (70.0 * etp).floor()),
            ])?;
        }
    }
    w.flush()?;
    // New situations: unit ∝ load, kind ∝ the unit's own situations.
    let mut w = fichier("new_situations.csv")?;
    w.write_record(["sit_id", "unit_id", "kind", "weight_h"])?;
    let total_charge: f64 = charge.iter().sum();
    let mut cumul = Vec::with_capacity(n);
    let mut s = 0.0;
    for &l in &charge {
        s += l;
        cumul.push(s);
    }
    for i in 0..f.situations {
        let x = rng.gen_range(0.0..total_charge.max(1e-9));
        let u = cumul.partition_point(|&c| c < x).min(n - 1);
        let total_n: u32 = unites[u].n.iter().sum();
        let k = if total_n == 0 {
            3
        } else {
            let mut t = rng.gen_range(0..total_n);
            let mut k = 0;
            while t >= unites[u].n[k] {
                t -= unites[u].n[k];
                k += 1;
            }
            k
        };
        w.write_record([
            format!("S{:05}", i + 1),
            format!("U{:05}", u + 1),
            GRILLE[k].0.to_owned(),
            GRILLE[k].1.to_string(),
        ])?;
    }
    w.flush()?;
    let json = serde_json::json!({
        "units": n,
        "communes": c,
        "mds": f.mds,
        "posts": postes.len(),
        "workers": agent,
        "new_situations": f.situations,
        "population": unites.iter().map(|u| u.population).sum::<f64>().round(),
        "load_h": total_charge,
        "etp": etp_total,
        "parameters": {"seed": f.graine, "hours_per_etp": HEURES_ETP, "load_cap_factor": 1.10, "rsa_cap_per_etp": 70},
    });
    let mut j = std::fs::File::create(dir.join("instance.json"))?;
    writeln!(j, "{}", serde_json::to_string_pretty(&json)?)?;
    Ok(())
}

fn connexe(voisins: &[Vec<usize>], membres: &[usize]) -> bool {
    crate::carte::composantes(voisins, membres, |_| true).len() <= 1
}

/// Splits the connected `membres` into `k` contiguous regions grown from spread seeds, the region
/// with the least `poids` so far taking the next unit next to it (nearest to its seed by hops).
/// Returns the region of each member, in `membres` order.
fn croissance(
    voisins: &[Vec<usize>],
    membres: &[usize],
    k: usize,
    poids: &[f64],
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let local: std::collections::HashMap<usize, usize> =
        membres.iter().enumerate().map(|(j, &u)| (u, j)).collect();
    let n = membres.len();
    let mut region = vec![usize::MAX; n];
    // Seeds spread by farthest-point sampling over hop distance.
    let mut graines = vec![rng.gen_range(0..n)];
    let mut dist = bfs(voisins, membres, &local, graines[0]);
    while graines.len() < k {
        let loin = (0..n)
            .filter(|j| !graines.contains(j))
            .max_by_key(|&j| (dist[j], std::cmp::Reverse(j)))
            .unwrap_or(0);
        graines.push(loin);
        let d = bfs(voisins, membres, &local, loin);
        for j in 0..n {
            dist[j] = dist[j].min(d[j]);
        }
    }
    let mut files: Vec<VecDeque<usize>> = vec![VecDeque::new(); k];
    let mut masse = vec![0.0; k];
    for (r, &g) in graines.iter().enumerate() {
        region[g] = r;
        masse[r] = poids[membres[g]];
        files[r].push_back(g);
    }
    let mut restants = n - k;
    while restants > 0 {
        let mut ordre: Vec<usize> = (0..k).filter(|&r| !files[r].is_empty()).collect();
        ordre.sort_by(|&a, &b| masse[a].total_cmp(&masse[b]));
        let mut avance = false;
        for r in ordre {
            // The frontier unit of r whose neighbour is free.
            while let Some(&u) = files[r].front() {
                let libre = voisins[membres[u]]
                    .iter()
                    .filter_map(|v| local.get(v).copied())
                    .find(|&v| region[v] == usize::MAX);
                match libre {
                    Some(v) => {
                        region[v] = r;
                        masse[r] += poids[membres[v]];
                        files[r].push_back(v);
                        restants -= 1;
                        avance = true;
                        break;
                    }
                    None => {
                        files[r].pop_front();
                    }
                }
            }
            if avance {
                break;
            }
        }
        if !avance {
            break;
        }
    }
    region
}

fn bfs(
    voisins: &[Vec<usize>],
    membres: &[usize],
    local: &std::collections::HashMap<usize, usize>,
    depart: usize,
) -> Vec<usize> {
    let mut d = vec![usize::MAX; membres.len()];
    d[depart] = 0;
    let mut file = VecDeque::from([depart]);
    while let Some(u) = file.pop_front() {
        for v in voisins[membres[u]]
            .iter()
            .filter_map(|v| local.get(v).copied())
        {
            if d[v] == usize::MAX {
                d[v] = d[u] + 1;
                file.push_back(v);
            }
        }
    }
    d
}
