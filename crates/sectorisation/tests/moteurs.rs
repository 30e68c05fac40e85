//! The two engines against brute force on small instances, and on a generated département: maps
//! valid and never worse than the map in force, assignments within the caps.

use std::fmt::Write as _;

use parcours_sectorisation::{
    affecter, depart_actuel, depart_selon_carte, generer, mesurer, resectoriser, valider, verifier,
    Forme, Instance, Options, Probleme,
};

/// A grid of `w`×`h` units (4-neighbourhood) in one MDS, with the given loads and posts.
struct Grille {
    w: usize,
    h: usize,
    charges: Vec<f64>,
    postes: Vec<f64>,
    actuel: Vec<usize>,
}

impl Grille {
    fn instance(&self, agents: &str, situations: &str) -> Instance {
        let mut units = String::from("unit_id,mds_id,x_km,y_km,n_RSA,load_h,current_post\n");
        for y in 0..self.h {
            for x in 0..self.w {
                let i = y * self.w + x;
                let _ = writeln!(
                    units,
                    "u{i},M1,{x},{y},{},{},p{}",
                    (self.charges[i] / 10.0).floor(),
                    self.charges[i],
                    self.actuel[i]
                );
            }
        }
        let mut edges = String::from("unit_a,unit_b\n");
        for y in 0..self.h {
            for x in 0..self.w {
                let i = y * self.w + x;
                if x + 1 < self.w {
                    let _ = writeln!(edges, "u{i},u{}", i + 1);
                }
                if y + 1 < self.h {
                    let _ = writeln!(edges, "u{i},u{}", i + self.w);
                }
            }
        }
        let mut posts = String::from("post_id,mds_id,mode,etp,workers\n");
        for (k, e) in self.postes.iter().enumerate() {
            let _ = writeln!(posts, "p{k},M1,sectorisation,{e},1");
        }
        Instance::depuis_lecteurs(
            "kind,weight_h\nRSA,10\nIP,20\n".as_bytes(),
            posts.as_bytes(),
            units.as_bytes(),
            edges.as_bytes(),
            agents.as_bytes(),
            Some(situations.as_bytes()),
        )
        .expect("instance valide")
    }
}

fn agents_un_par_poste(postes: &[f64]) -> String {
    let mut s = String::from(
        "worker_id,mds_id,post_id,etp,current_load_h,current_rsa,load_cap_h,rsa_cap\n",
    );
    for (k, e) in postes.iter().enumerate() {
        let _ = writeln!(
            s,
            "w{k},M1,p{k},{e},0,0,{},{}",
            1100.0 * e,
            (70.0 * e).floor()
        );
    }
    s
}

/// Every map of `n` units into `k` posts, kept when valid; the best (class, C).
fn force_brute(inst: &Instance, p: &Probleme) -> (u32, f64) {
    let (n, k) = (p.n, p.k);
    let mut meilleur = (u32::MAX, f64::INFINITY);
    let mut carte = vec![0usize; n];
    let total = k.pow(n as u32);
    for code in 0..total {
        let mut c = code;
        for u in carte.iter_mut() {
            *u = c % k;
            c /= k;
        }
        if valider(inst, &carte, "t", "t", |_| 0).is_err() {
            continue;
        }
        let v = p.valeur(&carte);
        if v.0 < meilleur.0 || (v.0 == meilleur.0 && v.1 < meilleur.1) {
            meilleur = v;
        }
    }
    meilleur
}

#[test]
fn the_engine_finds_the_best_map_that_brute_force_finds_on_small_grids() {
    let cas = [
        (
            3,
            3,
            vec![120.0, 80.0, 100.0, 90.0, 300.0, 60.0, 110.0, 70.0, 95.0],
            vec![1.0, 0.5, 0.8],
        ),
        (
            4,
            2,
            vec![50.0, 200.0, 75.0, 125.0, 180.0, 20.0, 90.0, 260.0],
            vec![1.0, 1.0, 1.0],
        ),
        (
            4,
            3,
            vec![
                10.0, 40.0, 35.0, 60.0, 25.0, 90.0, 15.0, 45.0, 70.0, 30.0, 55.0, 20.0,
            ],
            vec![1.0, 0.8],
        ),
    ];
    for (w, h, charges, postes) in cas {
        let n = w * h;
        // The map in force: column strips, one per post, the last one taking the rest.
        let actuel: Vec<usize> = (0..n)
            .map(|i| ((i % w) * postes.len() / w).min(postes.len() - 1))
            .collect();
        let g = Grille {
            w,
            h,
            charges,
            postes: postes.clone(),
            actuel,
        };
        let inst = g.instance(
            &agents_un_par_poste(&postes),
            "sit_id,unit_id,kind,weight_h\n",
        );
        let unites: Vec<usize> = (0..n).collect();
        let ks: Vec<usize> = (0..postes.len()).collect();
        let p = Probleme::de_mds(&inst, &unites, &ks);
        let attendu = force_brute(&inst, &p);
        let carte = resectoriser(&inst, &Options::default());
        valider(&inst, &carte, "carte", "post_id", |_| 0).expect("carte valide");
        let obtenu = p.valeur(&carte);
        assert_eq!(obtenu.0, attendu.0, "classe d'équilibre ({w}×{h})");
        assert!(
            (obtenu.1 - attendu.1).abs() < 1e-6,
            "compacité {} au lieu de l'optimum {} ({w}×{h})",
            obtenu.1,
            attendu.1
        );
    }
}

/// Every assignment of the situations (or none) to the workers, brute force: the best
/// (unassigned, hors secteur, Z).
fn affectation_force_brute(inst: &Instance) -> (usize, usize, f64) {
    let carte: Vec<usize> = inst.unites.iter().map(|u| u.poste_actuel).collect();
    let d = depart_actuel(inst);
    let (s, w) = (inst.situations.len(), inst.agents.len());
    let mut meilleur = (usize::MAX, usize::MAX, f64::INFINITY);
    for code in 0..(w + 1).pow(s as u32) {
        let mut c = code;
        let choix: Vec<Option<usize>> = (0..s)
            .map(|_| {
                let v = c % (w + 1);
                c /= w + 1;
                (v < w).then_some(v)
            })
            .collect();
        if let Ok(b) = verifier(inst, &carte, &d, &choix) {
            let v = (b.non_affectees, b.hors_secteur, b.z);
            if (v.0, v.1) < (meilleur.0, meilleur.1)
                || ((v.0, v.1) == (meilleur.0, meilleur.1) && v.2 < meilleur.2 - 1e-9)
            {
                meilleur = v;
            }
        }
    }
    meilleur
}

#[test]
fn assignment_is_lexicographically_optimal_against_brute_force() {
    // Two posts on a 2×2 grid; workers near their caps so the order of the levels matters.
    let g = Grille {
        w: 2,
        h: 2,
        charges: vec![100.0, 100.0, 100.0, 100.0],
        postes: vec![1.0, 1.0],
        actuel: vec![0, 1, 0, 1],
    };
    let agents = "worker_id,mds_id,post_id,etp,current_load_h,current_rsa,load_cap_h,rsa_cap\n\
                  a,M1,p0,0.5,520,34,550,35\n\
                  b,M1,p0,0.5,480,30,550,35\n\
                  c,M1,p1,1,960,69,1100,70\n";
    let situations = "sit_id,unit_id,kind,weight_h\n\
                      s1,u0,RSA,10\ns2,u0,IP,20\ns3,u2,RSA,10\ns4,u1,IP,20\n\
                      s5,u1,RSA,10\ns6,u3,IP,20\ns7,u0,IP,20\n";
    let inst = g.instance(agents, situations);
    let attendu = affectation_force_brute(&inst);
    let carte: Vec<usize> = inst.unites.iter().map(|u| u.poste_actuel).collect();
    let d = depart_actuel(&inst);
    let choix = affecter(&inst, &carte, &d, None).expect("affectation");
    let b = verifier(&inst, &carte, &d, &choix).expect("plafonds respectés");
    assert_eq!((b.non_affectees, b.hors_secteur), (attendu.0, attendu.1));
    assert!(
        (b.z - attendu.2).abs() < 1e-6,
        "Z {} au lieu de {}",
        b.z,
        attendu.2
    );
}

#[test]
fn a_generated_departement_gets_a_valid_map_no_worse_in_any_mds_and_a_capped_assignment() {
    let dir = tempfile::tempdir().expect("tempdir");
    generer(
        Forme {
            unites: 400,
            mds: 5,
            postes: 60,
            situations: 600,
            graine: 7,
        },
        dir.path(),
    )
    .expect("génération");
    let inst = Instance::depuis_repertoire(dir.path()).expect("instance générée valide");
    assert_eq!(inst.unites.len(), 400);
    assert_eq!(inst.postes.len(), 60);
    let actuelle: Vec<usize> = inst.unites.iter().map(|u| u.poste_actuel).collect();
    let carte = resectoriser(
        &inst,
        &Options {
            effort: 0.3,
            ..Options::default()
        },
    );
    valider(&inst, &carte, "carte", "post_id", |_| 0).expect("carte valide");
    let (avant, apres) = (mesurer(&inst, &actuelle), mesurer(&inst, &carte));
    for (a, p) in avant.mds.iter().zip(&apres.mds) {
        assert!(
            p.classe < a.classe || (p.classe == a.classe && p.compacite <= a.compacite),
            "MDS {} moins bonne qu'en vigueur",
            inst.mds[p.mds]
        );
    }
    assert!(apres.mds_equilibrees >= avant.mds_equilibrees);
    // Assignment on the map in force and on the proposed map: caps hold on both.
    for (carte, depart) in [
        (actuelle, depart_actuel(&inst)),
        (carte.clone(), depart_selon_carte(&inst, &carte)),
    ] {
        let choix = affecter(&inst, &carte, &depart, None).expect("affectation");
        verifier(&inst, &carte, &depart, &choix).expect("plafonds respectés");
        // Nothing is left unassigned that a worker of its MDS could still take.
        let mut h = depart.charge_h.clone();
        let mut r = depart.rsa.clone();
        for (s, c) in inst.situations.iter().zip(&choix) {
            if let Some(w) = *c {
                h[w] += s.poids_h;
                r[w] += f64::from(u8::from(s.rsa));
            }
        }
        for (s, c) in inst.situations.iter().zip(&choix) {
            if c.is_some() {
                continue;
            }
            let preneur = inst.agents.iter().enumerate().find(|(w, a)| {
                a.mds == inst.unites[s.unite].mds
                    && h[*w] + s.poids_h <= a.plafond_h
                    && (!s.rsa || r[*w] + 1.0 <= a.plafond_rsa)
            });
            assert!(
                preneur.is_none(),
                "situation {} ({} h, rsa {}) non affectée alors que {} pouvait la prendre ({:?})",
                s.id,
                s.poids_h,
                s.rsa,
                preneur.map(|(_, a)| a.id.as_str()).unwrap_or(""),
                preneur.map(|(w, a)| (
                    h[w],
                    a.plafond_h,
                    r[w],
                    a.plafond_rsa,
                    depart.charge_h[w],
                    depart.rsa[w]
                ))
            );
        }
    }
}

#[test]
fn a_new_map_splits_each_posts_caseload_between_its_members_by_etp() {
    let g = Grille {
        w: 2,
        h: 1,
        charges: vec![300.0, 600.0],
        postes: vec![1.5, 1.0],
        actuel: vec![0, 1],
    };
    let agents = "worker_id,mds_id,post_id,etp,current_load_h,current_rsa,load_cap_h,rsa_cap\n\
                  a,M1,p0,1,0,0,1100,70\nb,M1,p0,0.5,0,0,550,35\nc,M1,p1,1,0,0,1100,70\n";
    let inst = g.instance(agents, "sit_id,unit_id,kind,weight_h\n");
    // Both units to p1's neighbour swap: p0 gets u1 (600 h, 60 RSA), p1 gets u0.
    let d = depart_selon_carte(&inst, &[1, 0]);
    assert_eq!(d.charge_h, vec![400.0, 200.0, 300.0]);
    assert_eq!(d.rsa, vec![40.0, 20.0, 30.0]);
}
