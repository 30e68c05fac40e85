//! `parcours echeances` as a legal department checks it: a file of cases in, the same rows with
//! their due dates out; a bad line named, a non-zero exit and no file written.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_parcours");

fn parcours() -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

#[test]
fn the_batch_command_writes_every_due_date_in_the_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let entree = dir.path().join("cas.csv");
    let sortie = dir.path().join("out.csv");
    std::fs::write(
        &entree,
        "regle,debut,naissance\nGDPR_ACCESS,2026-01-31,\nEXP_ASSIGN_PREFET,2026-03-20,\nASE_FUGUE_72H,2026-10-24T10:00,\nRAPPORT_SITUATION,2026-03-10,2025-01-01\n",
    )
    .unwrap();
    let out = parcours()
        .args(["echeances", "--entree"])
        .arg(&entree)
        .arg("--sortie")
        .arg(&sortie)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&sortie).unwrap(),
        "regle,debut,naissance,echeance\nGDPR_ACCESS,2026-01-31,,2026-02-28\nEXP_ASSIGN_PREFET,2026-03-20,,2026-02-06\nASE_FUGUE_72H,2026-10-24T10:00,,2026-10-27T09:00\nRAPPORT_SITUATION,2026-03-10,2025-01-01,2026-09-10\n"
    );

    // The département's zone is a setting: Cayenne has no summer time.
    let out = parcours()
        .env("PARCOURS_FUSEAU", "America/Cayenne")
        .args(["echeances", "--entree"])
        .arg(&entree)
        .arg("--sortie")
        .arg(&sortie)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&sortie)
        .unwrap()
        .contains("2026-10-24T10:00,,2026-10-27T10:00"));
}

#[test]
fn a_bad_line_stops_the_run_names_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let entree = dir.path().join("cas.csv");
    let sortie = dir.path().join("out.csv");
    for (contenu, attendu) in [
        (
            "regle,debut,naissance\nIP_EVAL,2026-01-15,\nPAS_UNE_REGLE,2026-01-15,\n",
            "ligne 3",
        ),
        ("regle,debut,naissance\nIP_EVAL,15/01/2026,\n", "ligne 2"),
        ("regle,debut,naissance\nIP_EVAL,2026-02-29,\n", "ligne 2"),
    ] {
        std::fs::write(&entree, contenu).unwrap();
        let out = parcours()
            .args(["echeances", "--entree"])
            .arg(&entree)
            .arg("--sortie")
            .arg(&sortie)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(attendu), "{err}");
        assert!(err.contains("aucun fichier écrit"), "{err}");
        assert!(!sortie.exists(), "rien n'est écrit");
    }
}
