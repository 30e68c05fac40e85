//! The référentiel CSV import (`referentiel::import::preview`): any bytes, read as a secteurs file
//! and as a communes file. No panic; every accepted row passes the checks of the matching form; the
//! accepted rows, written back as a CSV, preview again to the same rows with nothing rejected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parcours_domain::referentiel::import::{preview, ImportKind, Known, Preview, MAX_LINES};
use parcours_domain::referentiel::{parse_code_postal, InseeCode, NewSecteur};

fn known() -> Known {
    Known {
        departement_code: "96".into(),
        site_codes: ["MDS-NORD".to_string(), "MDS-SUD".to_string()].into(),
        secteur_codes: ["S01".to_string(), "S02".to_string()].into(),
    }
}

fuzz_target!(|data: &[u8]| {
    let known = known();
    for kind in [ImportKind::Secteurs, ImportKind::Communes] {
        let Ok(p) = preview(kind, data, &known) else {
            continue;
        };
        check(&p, &known);
        let again = preview(kind, &rewrite(&p), &known).expect("rewritten file");
        assert_eq!(again.secteurs, p.secteurs, "secteurs after rewrite");
        assert_eq!(again.communes, p.communes, "communes after rewrite");
        assert!(
            again.rejected.is_empty(),
            "rejected after rewrite: {:?}",
            again.rejected
        );
    }
});

/// What an accepted row must satisfy, whatever the file said.
fn check(p: &Preview, known: &Known) {
    assert!(p.accepted() + p.rejected.len() <= MAX_LINES);
    let mut last_line = 1;
    for r in &p.rejected {
        assert!(r.line > last_line, "rejected lines in file order");
        last_line = r.line;
    }
    let mut codes = std::collections::BTreeSet::new();
    for s in &p.secteurs {
        // An imported secteur must be one the secteur form would also accept unchanged.
        let form = NewSecteur::parse("1", &s.code, &s.nom).expect("secteur accepted by the form");
        assert_eq!(
            (form.code.as_str(), form.nom.as_str()),
            (s.code.as_str(), s.nom.as_str())
        );
        assert!(known.site_codes.contains(&s.site_code));
        assert!(codes.insert(s.code.clone()), "duplicate secteur");
    }
    for c in &p.communes {
        let insee = InseeCode::parse(&c.insee).expect("valid INSEE code");
        assert_eq!(insee.as_str(), c.insee);
        assert_eq!(insee.departement(), known.departement_code);
        assert!(!c.nom.is_empty());
        assert!(!c.codes_postaux.is_empty());
        for cp in &c.codes_postaux {
            assert_eq!(parse_code_postal(cp).as_deref(), Ok(cp.as_str()));
        }
        assert!(c.population >= 0);
        if let Some(s) = &c.secteur_code {
            assert!(known.secteur_codes.contains(s));
        }
        assert!(codes.insert(c.insee.clone()), "duplicate commune");
    }
}

/// The accepted rows as the CSV an administrator would import.
fn rewrite(p: &Preview) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(p.kind.header()).unwrap();
    for s in &p.secteurs {
        w.write_record([&s.code, &s.nom, &s.site_code]).unwrap();
    }
    for c in &p.communes {
        w.write_record([
            c.insee.as_str(),
            &c.nom,
            &c.codes_postaux.join("|"),
            &c.population.to_string(),
            c.secteur_code.as_deref().unwrap_or(""),
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}
