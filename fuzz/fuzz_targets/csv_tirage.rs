//! The sortition's CSV inputs (`crates/tirage/src/input.rs`): the quotas typed in the groupe projet
//! form (`features.csv`) and the volunteers imported (`people.csv`). The input is the quotas, then a
//! NUL byte, then the volunteers. No panic; what is accepted is consistent (bounds, indices, sorted
//! unique ids, types partitioning the volunteers), and the quotas written back read to the same ones.
//!
//! `input.rs` and `error.rs` are compiled here by path, unchanged: they need only csv, sha2 and
//! thiserror, while the tirage crate links HiGHS (C++, cmake, bindgen), which a sanitizer build does
//! not need to parse a CSV.
#![no_main]

#[allow(dead_code)]
#[path = "../../crates/tirage/src/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../../crates/tirage/src/input.rs"]
mod input;

use input::{parse_quotas, parse_volontaires, Instance, Quotas};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (q, v) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(quotas) = parse_quotas(q) else {
        return;
    };
    check_quotas(&quotas);
    let again = parse_quotas(rewrite(&quotas).as_slice()).expect("rewritten quotas");
    assert_eq!(shape(&again), shape(&quotas), "quotas after rewrite");

    let Ok(volontaires) = parse_volontaires(v, &quotas) else {
        return;
    };
    let n = volontaires.liste.len();
    assert!(n > 0);
    for w in volontaires.liste.windows(2) {
        assert!(w[0].id < w[1].id, "ids sorted and unique");
    }
    for p in &volontaires.liste {
        assert!(!p.id.is_empty());
        assert_eq!(p.valeurs.len(), quotas.caracteristiques.len());
        for (c, &i) in quotas.caracteristiques.iter().zip(&p.valeurs) {
            assert!(i < c.valeurs.len());
        }
    }
    let taille = 1 + data.len() % n;
    let inst = Instance::new(quotas, volontaires, taille).expect("valid size");
    let mut membres: Vec<usize> = inst.types.iter().flat_map(|t| t.membres.clone()).collect();
    membres.sort_unstable();
    assert_eq!(
        membres,
        (0..n).collect::<Vec<_>>(),
        "types partition the volunteers"
    );
    let _ = inst.libelle_type(inst.types.len().saturating_sub(1));
    let mut effectifs = vec![0u32; inst.types.len()];
    for (e, t) in effectifs.iter_mut().zip(&inst.types) {
        *e = t.multiplicite() as u32;
    }
    let _ = inst.respecte_quotas(&effectifs);
    assert!(Instance::new(inst.quotas.clone(), inst.volontaires.clone(), n + 1).is_err());
});

fn check_quotas(q: &Quotas) {
    assert!(!q.caracteristiques.is_empty());
    for (i, c) in q.caracteristiques.iter().enumerate() {
        assert!(!c.nom.is_empty() && !c.valeurs.is_empty());
        assert!(!q.caracteristiques[..i]
            .iter()
            .any(|d| d.nom.eq_ignore_ascii_case(&c.nom)));
        for v in &c.valeurs {
            assert!(!v.nom.is_empty() && v.min <= v.max);
        }
    }
}

/// The quotas as `features.csv`.
fn rewrite(q: &Quotas) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["feature", "value", "min", "max"]).unwrap();
    for c in &q.caracteristiques {
        for v in &c.valeurs {
            w.write_record([&c.nom, &v.nom, &v.min.to_string(), &v.max.to_string()])
                .unwrap();
        }
    }
    w.into_inner().unwrap()
}

/// A feature's name and its values' names and bounds.
type Forme = (String, Vec<(String, u32, u32)>);

/// Names and bounds, without line numbers and checksum (the rewrite changes both).
fn shape(q: &Quotas) -> Vec<Forme> {
    q.caracteristiques
        .iter()
        .map(|c| {
            let v = c
                .valeurs
                .iter()
                .map(|v| (v.nom.clone(), v.min, v.max))
                .collect();
            (c.nom.clone(), v)
        })
        .collect()
}
