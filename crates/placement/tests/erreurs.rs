//! Bad input: a French message naming file, line and column; the command writes nothing.

mod commun;

use commun::{ecrire, CHILDREN, COMMUNES, PLACES};
use parcours_placement::{run, Instance, PlacementCommand, ResoudreArgs};

fn erreur(communes: &str, places: &str, children: &str) -> String {
    Instance::depuis_lecteurs(communes.as_bytes(), places.as_bytes(), children.as_bytes())
        .unwrap_err()
        .to_string()
}

#[test]
fn place_actuelle_inconnue() {
    let c = CHILDREN.replace("E1,F1,4,F,,C01,C01,1,P1", "E1,F1,4,F,,C01,C01,1,P00999");
    assert_eq!(
        erreur(COMMUNES, PLACES, &c),
        "children.csv, ligne 2, colonne current_place : place P00999 inconnue"
    );
}

#[test]
fn commune_inconnue_et_doublons() {
    let p = PLACES.replace("P3,S2,MECS,C02", "P3,S2,MECS,C99");
    assert_eq!(
        erreur(COMMUNES, &p, CHILDREN),
        "places.csv, ligne 4, colonne commune_id : commune C99 inconnue"
    );
    let c = CHILDREN.replace("E3,F2", "E2,F2");
    assert_eq!(
        erreur(COMMUNES, PLACES, &c),
        "children.csv, ligne 4, colonne child_id : identifiant E2 déjà utilisé ligne 3"
    );
}

#[test]
fn valeurs_invalides() {
    let cas = [
        (
            "E2,F2,8,M,",
            "E2,F2,8,G,",
            "children.csv, ligne 3, colonne sex : « G » : M ou F attendu",
        ),
        (
            "E2,F2,8,M,",
            "E2,F2,21,M,",
            "children.csv, ligne 3, colonne age : 21 hors de l'intervalle 0–20",
        ),
        (
            "E2,F2,8,M,",
            "E2,F2,8,M,X",
            "children.csv, ligne 3, colonne needs : « X » : lettres H et T seulement",
        ),
        (
            "C02,C01,0,",
            "C02,C01,3,",
            "children.csv, ligne 3, colonne urgency : 3 hors de l'intervalle 0–2",
        ),
    ];
    for (avant, apres, attendu) in cas {
        assert_eq!(
            erreur(COMMUNES, PLACES, &CHILDREN.replacen(avant, apres, 1)),
            attendu
        );
    }
    let p = PLACES.replace("P1,S1,AF,C01,2,", "P1,S1,AF,C01,-1,");
    assert_eq!(
        erreur(COMMUNES, &p, CHILDREN),
        "places.csv, ligne 2, colonne capacity : -1 hors de l'intervalle 0–1000000"
    );
}

#[test]
fn place_actuelle_hors_agrement_ou_complete() {
    // E1 is 4: P2 takes 6–17.
    let c = CHILDREN.replace("E1,F1,4,F,,C01,C01,1,P1", "E1,F1,4,F,,C01,C01,1,P2");
    assert_eq!(
        erreur(COMMUNES, PLACES, &c),
        "children.csv, ligne 2, colonne current_place : la place actuelle P2 ne convient pas à l'enfant E1 : H3 âge 4 hors agrément 6–17"
    );
    // P1 has 2 beds; three children already there.
    let c = CHILDREN
        .replace("E2,F2,8,M,,C02,C01,0,", "E2,F2,8,M,,C02,C01,0,P1")
        .replace("E3,F2,10,F,,C02,C02,0,", "E3,F2,10,F,,C02,C02,0,P1");
    let e = erreur(COMMUNES, PLACES, &c);
    assert!(
        e.starts_with(
            "children.csv, ligne 4, colonne current_place : place P1 au-delà de sa capacité (2)"
        ),
        "{e}"
    );
}

#[test]
fn colonne_manquante() {
    let p = PLACES.replace(",collective", ",collectif");
    assert_eq!(
        erreur(COMMUNES, &p, CHILDREN),
        "places.csv, ligne 1 : colonne « collective » manquante dans l'en-tête"
    );
}

fn commande(
    dir: &std::path::Path,
    sortie: &std::path::Path,
    fixer: Option<std::path::PathBuf>,
) -> PlacementCommand {
    PlacementCommand {
        action: None,
        resoudre: ResoudreArgs {
            instance: Some(dir.to_owned()),
            sortie: Some(sortie.to_owned()),
            temps: 2.0,
            graine: 0,
            fixer,
            explications: Some(dir.join("explications.csv")),
            methode: parcours_placement::Methode::Moteur,
        },
    }
}

#[test]
fn la_commande_n_ecrit_rien_sur_une_entree_fautive() {
    let dir = tempfile::tempdir().unwrap();
    let c = CHILDREN.replace("E1,F1,4,F,,C01,C01,1,P1", "E1,F1,4,F,,C01,C01,1,P00999");
    ecrire(dir.path(), COMMUNES, PLACES, &c);
    let sortie = dir.path().join("solution.csv");
    let e = run(commande(dir.path(), &sortie, None)).unwrap_err();
    assert!(
        e.to_string().contains("ligne 2, colonne current_place"),
        "{e}"
    );
    assert!(!sortie.exists());
    assert!(!dir.path().join("explications.csv").exists());
    // Nothing left behind either (no temporary file).
    let fichiers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(fichiers.len(), 3);
}

#[test]
fn fixation_impossible_nommee_et_rien_d_ecrit() {
    let dir = tempfile::tempdir().unwrap();
    ecrire(dir.path(), COMMUNES, PLACES, CHILDREN);
    let fixes = dir.path().join("fixes.csv");
    std::fs::write(&fixes, "child_id,place_id\nE2,P2\nE5,P2\n").unwrap();
    let sortie = dir.path().join("solution.csv");
    let e = run(commande(dir.path(), &sortie, Some(fixes.clone()))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fixes.csv, ligne 3, colonne place_id : la place P2 ne convient pas à l'enfant E5 : H3 âge 3 hors agrément 6–17"
    );
    assert!(!sortie.exists());
    std::fs::write(&fixes, "child_id,place_id\nE9,P2\n").unwrap();
    let e = run(commande(dir.path(), &sortie, Some(fixes.clone()))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "fixes.csv, ligne 2, colonne child_id : enfant E9 inconnu"
    );
    std::fs::write(&fixes, "child_id,place_id\nE1,\n").unwrap();
    let e = run(commande(dir.path(), &sortie, Some(fixes))).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("fixes.csv, ligne 2, colonne place_id : l'enfant E1 est déjà accueilli"),
        "{e}"
    );
    assert!(!sortie.exists());
}

#[test]
fn la_commande_ecrit_une_ligne_par_enfant_et_respecte_les_fixations() {
    let dir = tempfile::tempdir().unwrap();
    ecrire(dir.path(), COMMUNES, PLACES, CHILDREN);
    let fixes = dir.path().join("fixes.csv");
    std::fs::write(&fixes, "child_id,place_id\nE3,P3\nE2,\n").unwrap();
    let sortie = dir.path().join("solution.csv");
    run(commande(dir.path(), &sortie, Some(fixes))).unwrap();
    let texte = std::fs::read_to_string(&sortie).unwrap();
    let lignes: Vec<&str> = texte.lines().collect();
    assert_eq!(lignes[0], "child_id,place_id");
    assert_eq!(lignes.len(), 6);
    assert!(lignes.contains(&"E3,P3"), "{texte}");
    assert!(lignes.contains(&"E2,"), "{texte}");
    let ex = std::fs::read_to_string(dir.path().join("explications.csv")).unwrap();
    assert!(ex.starts_with("child_id,place_id,c1,c2,c3,c4,c5,c6,total,alternatives"));
    // E5 (3 years) cannot go to the MECS units: the explanation says which constraint.
    assert!(ex.contains("H3 âge 3 hors agrément 6–17"), "{ex}");
}

#[test]
fn besoins_qu_aucune_place_ne_satisfait() {
    // No place meets H; the error names file, line and column, and the command writes nothing.
    let c = CHILDREN.replace("E4,F3,12,M,,C01,C03,2,", "E4,F3,12,M,HT,C01,C03,2,");
    assert_eq!(
        erreur(COMMUNES, PLACES, &c),
        "children.csv, ligne 5, colonne needs : aucune place ne répond aux besoins HT de l'enfant E4"
    );
    // T alone is met by P2/P3: not an error.
    let ok = CHILDREN.replace("E4,F3,12,M,,C01,C03,2,", "E4,F3,12,M,T,C01,C03,2,");
    Instance::depuis_lecteurs(COMMUNES.as_bytes(), PLACES.as_bytes(), ok.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    ecrire(dir.path(), COMMUNES, PLACES, &c);
    let sortie = dir.path().join("solution.csv");
    let e = run(commande(dir.path(), &sortie, None)).unwrap_err();
    assert!(e.to_string().contains("ligne 5, colonne needs"), "{e}");
    assert!(!sortie.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}
