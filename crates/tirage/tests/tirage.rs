//! Seeded draws: byte-identical reruns, empirical frequencies, verifier confirming and refuting,
//! commit-then-reveal, and the CLI end to end.

use std::collections::BTreeMap;

use clap::Parser;
use parcours_tirage::{
    draw, engagement, leximin, tirer, verify, vers_json, Distribution, Instance, Options, Resultat,
    SourceGraine, TirageCommand,
};

const QUOTAS: &str = "feature,value,min,max\ngenre,femme,2,3\ngenre,homme,2,3\nage,jeune,1,2\nage,moyen,1,3\nage,vieux,1,2\n";
const PEOPLE: &str = "id,genre,age\np01,femme,jeune\np02,femme,moyen\np03,femme,moyen\np04,femme,moyen\np05,femme,vieux\np06,homme,jeune\np07,homme,jeune\np08,homme,jeune\np09,homme,moyen\np10,homme,vieux\np11,homme,vieux\np12,femme,jeune\n";

fn instance() -> Instance {
    Instance::depuis_lecteurs(QUOTAS.as_bytes(), PEOPLE.as_bytes(), 5).unwrap()
}

fn distribution(inst: &Instance) -> Distribution {
    leximin(inst, &Options::default()).unwrap()
}

#[test]
fn meme_graine_meme_octets() {
    let inst = instance();
    let a = vers_json(&tirer(distribution(&inst), "12 34 56", vec![]));
    let b = vers_json(&tirer(distribution(&inst), "12 34 56", vec![]));
    assert_eq!(a, b);
    let c = vers_json(&tirer(distribution(&inst), "12 34 57", vec![]));
    assert_ne!(a, c);
}

#[test]
fn frequences_empiriques() {
    let inst = instance();
    let d = distribution(&inst);
    let essais = 2000;
    let mut compte: BTreeMap<String, usize> = BTreeMap::new();
    for s in 0..essais {
        for m in draw(&d, &format!("graine-{s}")).members {
            *compte.entry(m).or_default() += 1;
        }
    }
    for (id, &p) in &d.probabilities {
        let f = *compte.get(id).unwrap_or(&0) as f64 / essais as f64;
        // Binomial sd ≤ 0.0112 at 2000 draws: a 0.05 band is > 4 sd, and the seeds are fixed.
        assert!(
            (f - p).abs() < 0.05,
            "{id} : fréquence {f}, probabilité {p}"
        );
    }
}

#[test]
fn verificateur_confirme_et_refute() {
    let inst = instance();
    let r = tirer(distribution(&inst), "loto 2026-05-01", vec![]);
    let g = SourceGraine::Chaine("loto 2026-05-01".into());
    let o = Options::default();
    verify(&inst, &r, &g, None, true, &o).expect("résultat authentique");

    // Changed selected member.
    let mut t = r.clone();
    let autre = inst
        .volontaires
        .liste
        .iter()
        .find(|v| !t.selected.contains(&v.id))
        .unwrap()
        .id
        .clone();
    t.selected[0] = autre;
    let e = verify(&inst, &t, &g, None, true, &o).unwrap_err();
    assert_eq!(e.code(), "refute");
    assert!(e.to_string().contains("« selected »[0]"), "{e}");

    // Changed probability (and the panels consistently): caught by the recomputation or the sums.
    let mut t = r.clone();
    let id = t.distribution.probabilities.keys().next().unwrap().clone();
    *t.distribution.probabilities.get_mut(&id).unwrap() += 0.01;
    let e = verify(&inst, &t, &g, None, true, &o).unwrap_err();
    assert!(e.to_string().contains("probabilities"), "{e}");

    // A panel probability shifted to favour a panel.
    let mut t = r.clone();
    t.distribution.panels[0].probability += 0.001;
    t.distribution.panels[1].probability -= 0.001;
    assert!(verify(&inst, &t, &g, None, false, &o).is_err());

    // Changed seed in the file, or a different announced seed.
    let mut t = r.clone();
    t.seed = "loto 2026-05-02".into();
    let e = verify(&inst, &t, &g, None, true, &o).unwrap_err();
    assert!(e.to_string().contains("« seed »"), "{e}");
    let e = verify(
        &inst,
        &r,
        &SourceGraine::Chaine("autre".into()),
        None,
        false,
        &o,
    )
    .unwrap_err();
    assert!(e.to_string().contains("« seed »"), "{e}");

    // Inputs changed after the fact.
    let autre_vivier = PEOPLE.replace("p12,femme,jeune", "p12,homme,jeune");
    let inst2 = Instance::depuis_lecteurs(QUOTAS.as_bytes(), autre_vivier.as_bytes(), 5).unwrap();
    let e = verify(&inst2, &r, &g, None, false, &o).unwrap_err();
    assert!(e.to_string().contains("people.csv"), "{e}");
}

#[test]
fn engagement_puis_revelation() {
    let inst = instance();
    let mut d = distribution(&inst);
    let valeurs = vec!["secret-maire".to_string(), "secret-opposition".to_string()];
    d.engagements = valeurs.iter().map(|v| engagement(v)).collect();
    let graine = parcours_tirage::graine_depuis_revelations(&d.engagements, &valeurs).unwrap();
    assert_eq!(graine, "secret-maire|secret-opposition");
    let r = tirer(d.clone(), &graine, valeurs.clone());
    let o = Options::default();
    verify(
        &inst,
        &r,
        &SourceGraine::Revelations(valeurs),
        Some(&d),
        false,
        &o,
    )
    .unwrap();
    let faux = vec!["secret-maire".to_string(), "autre".to_string()];
    let e = verify(
        &inst,
        &r,
        &SourceGraine::Revelations(faux),
        Some(&d),
        false,
        &o,
    )
    .unwrap_err();
    assert_eq!(e.code(), "refute");
}

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    c: Commande,
}
#[derive(clap::Subcommand)]
enum Commande {
    Tirage(TirageCommand),
}

fn lancer(args: &[&str]) -> anyhow::Result<()> {
    let mut v = vec!["parcours", "tirage"];
    v.extend_from_slice(args);
    let Commande::Tirage(cmd) = Cli::try_parse_from(v)?.c;
    parcours_tirage::run(cmd)
}

#[test]
fn ligne_de_commande() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("features.csv");
    let p = dir.path().join("people.csv");
    std::fs::write(&q, QUOTAS).unwrap();
    std::fs::write(&p, PEOPLE).unwrap();
    let (qs, ps) = (q.to_str().unwrap(), p.to_str().unwrap());
    let r1 = dir.path().join("r1.json");
    let r2 = dir.path().join("r2.json");
    for r in [&r1, &r2] {
        lancer(&[
            "--quotas",
            qs,
            "--volontaires",
            ps,
            "--taille",
            "5",
            "--graine",
            "7 13 21",
            "--sortie",
            r.to_str().unwrap(),
        ])
        .unwrap();
    }
    assert_eq!(
        std::fs::read(&r1).unwrap(),
        std::fs::read(&r2).unwrap(),
        "sorties non identiques"
    );
    let a: Resultat = serde_json::from_str(&std::fs::read_to_string(&r1).unwrap()).unwrap();
    assert_eq!(a.selected.len(), 5);
    lancer(&[
        "verifier",
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "5",
        "--graine",
        "7 13 21",
        "--resultat",
        r1.to_str().unwrap(),
    ])
    .unwrap();
    assert!(lancer(&[
        "verifier",
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "5",
        "--graine",
        "7 13 22",
        "--resultat",
        r1.to_str().unwrap()
    ])
    .is_err());

    // Publish with a commitment, draw from the published file with the revealed value, verify.
    let d = dir.path().join("distribution.json");
    let e = engagement("valeur cachée");
    lancer(&[
        "publier",
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "5",
        "--engagement",
        &e,
        "--sortie",
        d.to_str().unwrap(),
    ])
    .unwrap();
    let pub_: Distribution = serde_json::from_str(&std::fs::read_to_string(&d).unwrap()).unwrap();
    assert_eq!(pub_.engagements, vec![e]);
    let r3 = dir.path().join("r3.json");
    lancer(&[
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "5",
        "--distribution",
        d.to_str().unwrap(),
        "--revelation",
        "valeur cachée",
        "--sortie",
        r3.to_str().unwrap(),
    ])
    .unwrap();
    lancer(&[
        "verifier",
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "5",
        "--revelation",
        "valeur cachée",
        "--distribution",
        d.to_str().unwrap(),
        "--resultat",
        r3.to_str().unwrap(),
    ])
    .unwrap();
    assert!(lancer(&[
        "verifier",
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "5",
        "--revelation",
        "autre valeur",
        "--resultat",
        r3.to_str().unwrap()
    ])
    .is_err());

    // Bad input through the CLI: error, and no output file written.
    let r4 = dir.path().join("r4.json");
    let e = lancer(&[
        "--quotas",
        qs,
        "--volontaires",
        ps,
        "--taille",
        "0",
        "--graine",
        "x",
        "--sortie",
        r4.to_str().unwrap(),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("--taille"), "{e}");
    assert!(!r4.exists());
}
