//! Leximin checked against brute force on tiny pools, plus the certificate and sanity properties.

use std::collections::BTreeMap;

use highs::{ColProblem, HighsModelStatus, Sense};
use parcours_tirage::{leximin, Distribution, Instance, Options};

/// Small deterministic generator so the instances are fixed without a dev-dependency.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random tiny instance: (features.csv, people.csv, k).
fn petite_instance(graine: u64) -> (String, String, usize) {
    let mut r = Lcg(graine);
    let n = 6 + r.below(7) as usize; // 6..=12
    let k = 2 + r.below((n as u64 / 2).max(1)) as usize;
    let nf = 1 + r.below(3) as usize;
    let mut valeurs = Vec::new();
    for _ in 0..nf {
        valeurs.push(2 + r.below(2) as usize);
    }
    let mut people = String::from("id");
    for f in 0..nf {
        people.push_str(&format!(",f{f}"));
    }
    people.push('\n');
    let mut compte = vec![vec![0usize; 3]; nf];
    for i in 0..n {
        people.push_str(&format!("p{i:02}"));
        for f in 0..nf {
            // Skewed: value 0 is frequent, the last one rare.
            let x = r.below(10) as usize;
            let v = if x < 6 {
                0
            } else if x < 9 || valeurs[f] == 2 {
                1
            } else {
                2
            };
            let v = v.min(valeurs[f] - 1);
            compte[f][v] += 1;
            people.push_str(&format!(",v{v}"));
        }
        people.push('\n');
    }
    let mut quotas = String::from("feature,value,min,max\n");
    for f in 0..nf {
        for (v, &disponibles) in compte[f].iter().enumerate().take(valeurs[f]) {
            // Tight quotas around an even split, clipped to what the pool holds.
            let cible = k / valeurs[f];
            let min = cible.saturating_sub(r.below(2) as usize).min(disponibles);
            let max = (cible + 1 + r.below(2) as usize).max(min);
            quotas.push_str(&format!("f{f},v{v},{min},{max}\n"));
        }
    }
    (quotas, people, k)
}

fn quotas_ok(inst: &Instance, membres: &[usize]) -> bool {
    let mut effectifs = vec![0u32; inst.types.len()];
    for &i in membres {
        let t = inst
            .types
            .iter()
            .position(|t| t.membres.contains(&i))
            .unwrap();
        effectifs[t] += 1;
    }
    inst.respecte_quotas(&effectifs)
}

fn panels_faisables(inst: &Instance) -> Vec<Vec<usize>> {
    let n = inst.volontaires.liste.len();
    let mut out = Vec::new();
    for masque in 0u32..(1 << n) {
        if masque.count_ones() as usize != inst.taille {
            continue;
        }
        let membres: Vec<usize> = (0..n).filter(|i| masque & (1 << i) != 0).collect();
        if quotas_ok(inst, &membres) {
            out.push(membres);
        }
    }
    out
}

fn lp(
    panels: &[Vec<usize>],
    n: usize,
    objectif: Option<usize>,
    plancher: &[f64],
    fixes: &[Option<f64>],
) -> Option<f64> {
    let mut pb = ColProblem::default();
    let lignes: Vec<_> = (0..n)
        .map(|i| match fixes[i] {
            Some(f) => pb.add_row((f - 1e-9)..),
            None => pb.add_row(0.0..),
        })
        .collect();
    let conv = pb.add_row(1.0..=1.0);
    if objectif.is_none() {
        let coefs: Vec<_> = (0..n)
            .filter(|&i| fixes[i].is_none())
            .map(|i| (lignes[i], -1.0))
            .collect();
        pb.add_column(1.0, f64::NEG_INFINITY..f64::INFINITY, coefs);
    }
    // With an explicit objective, free persons keep the floor found at this stage.
    let lignes_plancher: Vec<_> = if objectif.is_some() {
        (0..n)
            .map(|i| {
                if fixes[i].is_none() {
                    Some(pb.add_row((plancher[i] - 1e-9)..))
                } else {
                    None
                }
            })
            .collect()
    } else {
        vec![None; n]
    };
    for p in panels {
        let mut coefs: Vec<_> = p.iter().map(|&i| (lignes[i], 1.0)).collect();
        for &i in p {
            if let Some(r) = lignes_plancher[i] {
                coefs.push((r, 1.0));
            }
        }
        coefs.push((conv, 1.0));
        let cout = match objectif {
            Some(j) if p.contains(&j) => 1.0,
            _ => 0.0,
        };
        pb.add_column(cout, 0.0.., coefs);
    }
    let mut m = pb.optimise(Sense::Maximise);
    m.make_quiet();
    let s = m.solve();
    if s.status() != HighsModelStatus::Optimal {
        return None;
    }
    Some(s.objective_value())
}

/// Reference leximin on the explicit panel set: maximise the minimum of the free persons, then
/// fix every person who cannot exceed it (one LP per person), repeat.
fn leximin_force_brute(inst: &Instance) -> Vec<f64> {
    let panels = panels_faisables(inst);
    let n = inst.volontaires.liste.len();
    let mut fixes: Vec<Option<f64>> = vec![None; n];
    while fixes.iter().any(Option::is_none) {
        let z = lp(&panels, n, None, &[], &fixes).expect("étape leximin");
        let plancher = vec![z; n];
        let mut progres = false;
        let libres: Vec<usize> = (0..n).filter(|&i| fixes[i].is_none()).collect();
        let mut a_fixer = Vec::new();
        for &i in &libres {
            let m = lp(&panels, n, Some(i), &plancher, &fixes).expect("max individuel");
            if m <= z + 1e-7 {
                a_fixer.push(i);
            }
        }
        for i in a_fixer {
            fixes[i] = Some(z);
            progres = true;
        }
        assert!(progres, "aucune probabilité fixée");
    }
    fixes.into_iter().map(|f| f.unwrap()).collect()
}

fn verifier_proprietes(inst: &Instance, d: &Distribution) {
    assert!(
        (d.min_probability - d.dual_bound).abs() < 1e-6,
        "certificat {} vs {}",
        d.min_probability,
        d.dual_bound
    );
    let somme: f64 = d.probabilities.values().sum();
    assert!((somme - inst.taille as f64).abs() < 1e-6, "somme {somme}");
    let total: f64 = d.panels.iter().map(|p| p.probability).sum();
    assert!((total - 1.0).abs() < 1e-9, "somme des panels {total}");
    let index: BTreeMap<&str, usize> = inst
        .volontaires
        .liste
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id.as_str(), i))
        .collect();
    for p in &d.panels {
        let membres: Vec<usize> = p.members.iter().map(|m| index[m.as_str()]).collect();
        assert!(
            quotas_ok(inst, &membres),
            "panel hors quotas {:?}",
            p.members
        );
        assert!(p.probability >= 0.0);
    }
}

#[test]
fn leximin_egal_force_brute() {
    let mut testees = 0;
    for graine in 1..=60u64 {
        let (q, p, k) = petite_instance(graine);
        let inst = Instance::depuis_lecteurs(q.as_bytes(), p.as_bytes(), k).unwrap();
        if panels_faisables(&inst).is_empty() {
            continue;
        }
        testees += 1;
        let d =
            leximin(&inst, &Options::default()).unwrap_or_else(|e| panic!("graine {graine} : {e}"));
        verifier_proprietes(&inst, &d);
        let attendu = leximin_force_brute(&inst);
        for (v, a) in inst.volontaires.liste.iter().zip(&attendu) {
            let obtenu = d.probabilities[&v.id];
            assert!(
                (obtenu - a).abs() < 1e-6,
                "graine {graine}, {} : {obtenu} au lieu de {a}\n{q}\n{p}",
                v.id
            );
        }
        // Column generation alone (no decomposition of the relaxation's leximin point), with the
        // interior-point fixing and without dual smoothing, must find the same optimum.
        let sans = leximin(
            &inst,
            &Options {
                point_interieur: true,
                lissage: 0.0,
                centre_relaxation: false,
                raccourci: false,
                ..Options::default()
            },
        )
        .unwrap();
        for (id, &x) in &sans.probabilities {
            assert!((x - d.probabilities[id]).abs() < 1e-6);
        }
    }
    assert!(testees >= 30, "trop peu d'instances faisables : {testees}");
}

#[test]
fn proprietes_instance_moyenne() {
    // 60 volunteers, 3 features: larger than brute force allows, checks the certificate.
    let mut r = Lcg(7);
    let mut people = String::from("id,a,b,c\n");
    for i in 0..60 {
        people.push_str(&format!(
            "x{i},a{},b{},c{}\n",
            r.below(3),
            r.below(2),
            r.below(4).min(2)
        ));
    }
    let quotas = "feature,value,min,max\na,a0,3,5\na,a1,3,5\na,a2,3,5\nb,b0,5,7\nb,b1,5,7\nc,c0,2,6\nc,c1,2,6\nc,c2,2,6\n";
    let inst = Instance::depuis_lecteurs(quotas.as_bytes(), people.as_bytes(), 12).unwrap();
    let d = leximin(&inst, &Options::default()).unwrap();
    verifier_proprietes(&inst, &d);
    // Same type ⇒ same probability.
    for t in &inst.types {
        let p0 = d.probabilities[&inst.volontaires.liste[t.membres[0]].id];
        for &i in &t.membres {
            assert!((d.probabilities[&inst.volontaires.liste[i].id] - p0).abs() < 1e-12);
        }
    }
}

#[test]
fn relaxation_inatteignable_la_generation_de_colonnes_decide() {
    // Fractionally, A, B and C can each sit in a third of the panels (every feature then counts
    // exactly one « oui »), but no actual panel holds any of them: the only panel meeting the
    // quotas is {D, E}. The relaxation's leximin point must not be published; the column
    // generation finds the true optimum.
    let quotas =
        "feature,value,min,max\na,oui,1,1\na,non,0,2\nb,oui,1,1\nb,non,0,2\nc,oui,1,1\nc,non,0,2\n";
    let people =
        "id,a,b,c\nA,oui,oui,non\nB,non,oui,oui\nC,oui,non,oui\nD,non,non,non\nE,oui,oui,oui\n";
    let inst = Instance::depuis_lecteurs(quotas.as_bytes(), people.as_bytes(), 2).unwrap();
    for raccourci in [true, false] {
        let d = leximin(
            &inst,
            &Options {
                raccourci,
                ..Options::default()
            },
        )
        .unwrap();
        verifier_proprietes(&inst, &d);
        for (id, attendu) in [("A", 0.0), ("B", 0.0), ("C", 0.0), ("D", 1.0), ("E", 1.0)] {
            let p = d.probabilities[id];
            assert!(
                (p - attendu).abs() < 1e-9,
                "{id} : {p} au lieu de {attendu}"
            );
        }
        assert!(d.min_probability.abs() < 1e-9);
        assert!(d.dual_bound.abs() < 1e-6, "borne {}", d.dual_bound);
    }
}
