//! Solvers: the MIP equals brute force on very small instances and proves optimality on tiny ones;
//! the engine is always feasible (independent checker) and never worse than the greedy, including
//! on stressed instances; fixings are respected.
#![allow(clippy::needless_range_loop)]

mod commun;

use std::time::Duration;

use parcours_placement::{
    borne_lagrangienne, cout, exact, generer, generer_forme, glouton, relaxation, resoudre,
    verifier, Forme, Instance, Methode, Options, Paires, Solution,
};

/// Best objective by enumerating every assignment (each child: a place or none).
fn force_brute(inst: &Instance) -> i64 {
    let n = inst.children.len();
    let m = inst.places.len();
    let mut sol: Solution = vec![None; n];
    let mut meilleur = i64::MAX;
    let total = (m + 1).pow(n as u32);
    for code in 0..total {
        let mut k = code;
        for s in sol.iter_mut() {
            let v = k % (m + 1);
            k /= m + 1;
            *s = if v == m { None } else { Some(v) };
        }
        if verifier(inst, &sol).is_ok() {
            meilleur = meilleur.min(cout(inst, &sol).total);
        }
    }
    meilleur
}

/// A small instance with few places, so that capacities and siblings bind.
fn tres_petite(graine: u64) -> Instance {
    let mut inst = generer(6, 4, graine);
    // Bring every place near the children and make beds scarce so that choices interact.
    for (i, p) in inst.places.iter_mut().enumerate() {
        p.capacity = 1 + (i as u32 + graine as u32) % 2;
        p.age_min = 0;
        p.age_max = 20;
        p.meets = 3;
        p.sex = parcours_placement::SexePlace::Mixte;
    }
    for c in inst.children.iter_mut() {
        c.current = None;
    }
    inst
}

#[test]
fn le_mip_egale_la_force_brute() {
    for graine in 1..=6 {
        let inst = tres_petite(graine);
        let r = exact(&inst, None, 20.0, 0).unwrap().expect("solution");
        verifier(&inst, &r.choix).unwrap();
        assert!(r.optimal, "graine {graine}");
        assert_eq!(cout(&inst, &r.choix).total, r.objectif);
        assert_eq!(r.objectif, force_brute(&inst), "graine {graine}");
    }
}

#[test]
fn le_moteur_prouve_l_optimum_des_petites_instances() {
    for graine in 1..=3 {
        let inst = generer(30, 120, graine);
        let o = Options {
            temps: Duration::from_secs(20),
            graine: 0,
            progression: None,
        };
        let r = resoudre(&inst, Methode::Moteur, &o).unwrap();
        verifier(&inst, &r.solution).unwrap();
        assert!(r.prouve, "graine {graine} : {:?}", r.journal);
        assert_eq!(r.borne, Some(r.detail.total));
        let g = glouton(&inst);
        assert!(r.detail.total <= cout(&inst, &g).total);
    }
}

fn verifier_moteur(inst: &Instance, temps: f64) {
    let g = glouton(inst);
    verifier(inst, &g).unwrap();
    let o = Options {
        temps: Duration::from_secs_f64(temps),
        graine: 7,
        progression: None,
    };
    let r = resoudre(inst, Methode::Moteur, &o).unwrap();
    verifier(inst, &r.solution).unwrap();
    assert_eq!(r.detail, cout(inst, &r.solution));
    assert!(r.detail.total <= cout(inst, &g).total);
    if let Some(b) = r.borne {
        assert!(
            b <= r.detail.total,
            "borne {b} > objectif {}",
            r.detail.total
        );
    }
}

#[test]
fn le_moteur_est_faisable_et_meilleur_que_le_glouton() {
    for graine in 1..=2 {
        verifier_moteur(&generer(120, 400, graine), 1.5);
    }
}

#[test]
fn instances_sous_tension() {
    // All children urgent (their current places kept only if emergency places), tight capacities.
    let mut inst = generer(100, 150, 3);
    for c in 0..inst.children.len() {
        inst.children[c].urgency = 2;
        if let Some(p) = inst.children[c].current {
            if !inst.places[p].urgence {
                inst.children[c].current = None;
            }
        }
    }
    verifier_moteur(&inst, 1.0);
    // Big sibling groups and many children already placed, one bed per place.
    let inst = generer(100, 300, 4);
    let n = inst.children.len();
    let groupes: Vec<String> = (0..n).map(|c| format!("G{}", c / 8)).collect();
    let enfants: Vec<_> = inst
        .children
        .iter()
        .cloned()
        .zip(groupes)
        .map(|(mut c, g)| {
            c.group_id = g;
            c
        })
        .collect();
    let mut inst2 = Instance::nouvelle(inst.communes.clone(), inst.places, enfants);
    let mut occupees = vec![0u32; inst2.places.len()];
    for c in 0..n {
        if let Some(p) = inst2.children[c].current {
            occupees[p] += 1;
        }
    }
    for (p, pl) in inst2.places.iter_mut().enumerate() {
        pl.capacity = occupees[p].max(1);
    }
    verifier_moteur(&inst2, 1.0);
}

#[test]
fn les_fixations_sont_respectees() {
    let mut inst = generer(40, 150, 5);
    // Fix the first two children elsewhere than their greedy choice when possible.
    let g = glouton(&inst);
    let mut lignes = String::from("child_id,place_id\n");
    let mut attendus = Vec::new();
    for c in 0..inst.children.len() {
        if attendus.len() == 2 {
            break;
        }
        let autre = (0..inst.places.len())
            .rev()
            .find(|&p| inst.compatible(c, p) && Some(p) != g[c]);
        if let Some(p) = autre {
            if inst.children[c].current.is_none() {
                lignes += &format!("{},{}\n", inst.children[c].id, inst.places[p].id);
                attendus.push((c, p));
            }
        }
    }
    inst.fixer(lignes.as_bytes(), "fixes.csv").unwrap();
    let o = Options {
        temps: Duration::from_secs(5),
        graine: 0,
        progression: None,
    };
    let r = resoudre(&inst, Methode::Moteur, &o).unwrap();
    verifier(&inst, &r.solution).unwrap();
    for (c, p) in attendus {
        assert_eq!(r.solution[c], Some(p));
    }
}

#[test]
fn le_generateur_est_deterministe_et_valide() {
    let dir = tempfile::tempdir().unwrap();
    let a = generer(200, 800, 9);
    parcours_placement::ecrire_instance(&a, dir.path()).unwrap();
    // What it writes reads back through the full validation.
    let b = Instance::depuis_repertoire(dir.path()).unwrap();
    assert_eq!(b.children.len(), 200);
    assert_eq!(b.places.len(), 800);
    let c = generer(200, 800, 9);
    assert_eq!(
        a.children
            .iter()
            .map(|c| (c.age, c.current, c.home))
            .collect::<Vec<_>>(),
        c.children
            .iter()
            .map(|c| (c.age, c.current, c.home))
            .collect::<Vec<_>>()
    );
    assert!(a.groups.iter().any(|g| g.len() >= 3));
    assert!(a.children.iter().filter(|c| c.current.is_some()).count() > 20);
    // The sibling-friendly shape, and a tiny instance where few needs are met, read back too.
    for (e, p, forme) in [(200, 800, Forme::Regroupable), (30, 6, Forme::Standard)] {
        let d = tempfile::tempdir().unwrap();
        parcours_placement::ecrire_instance(&generer_forme(e, p, 3, forme), d.path()).unwrap();
        Instance::depuis_repertoire(d.path()).unwrap();
    }
}

#[test]
fn la_borne_lagrangienne_minore_l_optimum() {
    // Proven optima of small instances (both generator shapes, plus the tight tiny ones) against
    // the Lagrangian bound from zero multipliers and from the LP's duals, with many steps.
    let mut cas: Vec<Instance> = (1..=6).map(tres_petite).collect();
    for graine in 1..=2 {
        cas.push(generer(25, 60, graine));
        cas.push(generer_forme(25, 60, graine, Forme::Regroupable));
    }
    let loin = std::time::Instant::now() + Duration::from_secs(3600);
    for (i, inst) in cas.iter().enumerate() {
        let r = exact(inst, None, 60.0, 0).unwrap().expect("solution");
        assert!(r.optimal, "cas {i}");
        let paires = Paires::nouvelles(inst);
        let zero = vec![0.0; inst.places.len()];
        let mut cand = parcours_placement::candidats(inst, 5, 2);
        let rel = relaxation(inst, &mut cand, loin).unwrap();
        for v in [&zero, &rel.v] {
            let (b, _) = borne_lagrangienne(inst, &paires, v, r.objectif, loin, 300);
            assert!(
                b <= r.objectif,
                "cas {i} : borne {b} > optimum {}",
                r.objectif
            );
        }
        let (b, _) = borne_lagrangienne(inst, &paires, &rel.v, r.objectif + 500, loin, 300);
        assert!(
            b <= r.objectif,
            "cas {i} : borne {b} > optimum {}",
            r.objectif
        );
    }
}

#[test]
fn la_reference_part_du_moteur_et_reste_faisable() {
    let inst = generer(80, 300, 2);
    let o = Options {
        temps: Duration::from_secs_f64(1.5),
        graine: 3,
        progression: None,
    };
    let r = resoudre(&inst, Methode::Reference, &o).unwrap();
    verifier(&inst, &r.solution).unwrap();
    assert_eq!(r.detail, cout(&inst, &r.solution));
    assert!(r.detail.total <= cout(&inst, &glouton(&inst)).total);
    // The engine's valid bound is kept; the restricted MIP's own bound is reported apart.
    if let Some(b) = r.borne {
        assert!(b <= r.detail.total);
    }
    assert!(r.prouve || r.borne_restreinte.is_some(), "{:?}", r.journal);
}
