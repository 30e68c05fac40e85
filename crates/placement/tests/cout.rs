//! The objective on a hand-computed instance, term by term, and the C5 examples of the contract.

mod commun;

use commun::{petite, place};
use parcours_placement::{c5_places, cout, distance_km, isqrt, verifier, Detail};

#[test]
fn distance_arrondie_au_km_superieur_a_partir_du_demi() {
    let inst = petite();
    // 50 hm = 5 km; 125 hm = 12.5 km → 13 km (half up).
    assert_eq!(distance_km(&inst.communes[0], &inst.communes[1]), 5);
    assert_eq!(distance_km(&inst.communes[0], &inst.communes[2]), 13);
    assert_eq!(isqrt(15_624), 124);
    assert_eq!(isqrt(15_625), 125);
    assert_eq!(isqrt(u64::from(u32::MAX) * 2), 92_681);
}

#[test]
fn chaque_terme_calcule_a_la_main() {
    let inst = petite();
    let p = |id| Some(place(&inst, id));
    // E1 (4 years, urgency 1, currently in the regular place P1) → P4 (emergency, collective, 13 km):
    //   C1 13+13, C2 150, C3 200, C4 60. E2 → P2: C1 0 + 5. E3 → P3: 0. E4 (urgency 2) → P4: C1 13 + 0.
    //   E5 unplaced, urgency 0: C6 2000. Siblings E2, E3 in two units of site S2: C5 100.
    let sol = vec![p("P4"), p("P2"), p("P3"), p("P4"), None];
    verifier(&inst, &sol).unwrap();
    assert_eq!(
        cout(&inst, &sol),
        Detail {
            c1: 44,
            c2: 150,
            c3: 200,
            c4: 60,
            c5: 100,
            c6: 2000,
            total: 2554
        }
    );
}

#[test]
fn exemples_c5_du_contrat() {
    let inst = petite();
    let p = |id| Some(place(&inst, id));
    assert_eq!(c5_places(&inst, [p("P2"), p("P2")]), 0);
    assert_eq!(c5_places(&inst, [p("P2"), p("P3")]), 100);
    assert_eq!(c5_places(&inst, [p("P1"), p("P2")]), 400);
    assert_eq!(c5_places(&inst, [p("P1"), p("P2"), p("P4")]), 800);
    // Unplaced members do not count.
    assert_eq!(c5_places(&inst, [p("P1"), None, None]), 0);
    assert_eq!(c5_places(&inst, [None, None]), 0);
}

#[test]
fn le_verificateur_refuse_chaque_contrainte() {
    let inst = petite();
    let p = |id| Some(place(&inst, id));
    // H1: E1 is in P1 and must stay placed.
    let e = verifier(&inst, &[None, None, None, None, None]).unwrap_err();
    assert!(e.iter().any(|m| m.starts_with("H1")), "{e:?}");
    // H3: E5 (3 years) in P2 (6–17).
    let e = verifier(&inst, &[p("P1"), None, None, None, p("P2")]).unwrap_err();
    assert!(
        e.iter()
            .any(|m| m.starts_with("H3 âge 3 hors agrément 6–17")),
        "{e:?}"
    );
    // H6: E4 (urgency 2) in a regular place.
    let e = verifier(&inst, &[p("P1"), None, None, p("P1"), None]).unwrap_err();
    assert!(e.iter().any(|m| m.starts_with("H6")), "{e:?}");
    // H2: three children in P1 (2 beds).
    let e = verifier(&inst, &[p("P1"), p("P1"), p("P1"), None, None]).unwrap_err();
    assert!(e.iter().any(|m| m.starts_with("H2")), "{e:?}");
}
