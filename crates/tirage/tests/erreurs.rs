//! Bad inputs: each yields its French error naming the line and the column, and nothing is drawn.

use parcours_tirage::{leximin, parse_quotas, parse_volontaires, Instance, Options, TirageError};

const QUOTAS: &str =
    "feature,value,min,max\ngenre,femme,1,2\ngenre,homme,1,2\nage,jeune,1,3\nage,vieux,0,3\n";
const PEOPLE: &str = "id,genre,age\na,femme,jeune\nb,homme,vieux\nc,femme,vieux\nd,homme,jeune\n";

fn instance(q: &str, p: &[u8], k: usize) -> Result<Instance, TirageError> {
    Instance::depuis_lecteurs(q.as_bytes(), p, k)
}

fn attendre(r: Result<Instance, TirageError>, code: &str, morceaux: &[&str]) {
    let e = r.expect_err("une erreur était attendue");
    assert_eq!(e.code(), code, "variante inattendue : {e}");
    let msg = e.to_string();
    for m in morceaux {
        assert!(msg.contains(m), "« {m} » absent du message : {msg}");
    }
}

#[test]
fn valide() {
    let inst = instance(QUOTAS, PEOPLE.as_bytes(), 3).unwrap();
    assert_eq!(inst.types.len(), 4);
}

#[test]
fn valeur_inconnue() {
    let p = "id,genre,age\na,femme,jeune\nb,homme,ado\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "valeur_inconnue",
        &["ligne 3", "« age »", "ado"],
    );
}

#[test]
fn valeur_vide() {
    let p = "id,genre,age\na,femme,\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "valeur_vide",
        &["ligne 2", "« age »"],
    );
}

#[test]
fn caracteristique_absente_de_people() {
    let p = "id,genre\na,femme\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "colonne_manquante",
        &["ligne 1", "« age »"],
    );
}

#[test]
fn colonne_inconnue() {
    let p = "id,genre,age,ville\na,femme,jeune,Lyon\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "colonne_inconnue",
        &["ligne 1", "« ville »"],
    );
}

#[test]
fn min_superieur_max() {
    let q = "feature,value,min,max\ngenre,femme,3,2\ngenre,homme,1,2\n";
    attendre(
        instance(q, b"id,genre\na,femme\n", 1),
        "min_superieur_max",
        &["ligne 2", "« min »", "« max »"],
    );
}

#[test]
fn min_non_entier() {
    let q = "feature,value,min,max\ngenre,femme,1.5,2\ngenre,homme,1,2\n";
    attendre(
        instance(q, b"id,genre\na,femme\n", 1),
        "nombre_invalide",
        &["ligne 2", "« min »", "1.5"],
    );
    let q = "feature,value,min,max\ngenre,femme,1,deux\n";
    attendre(
        instance(q, b"id,genre\na,femme\n", 1),
        "nombre_invalide",
        &["ligne 2", "« max »", "deux"],
    );
    let q = "feature,value,min,max\ngenre,femme,-1,2\n";
    attendre(
        instance(q, b"id,genre\na,femme\n", 1),
        "nombre_invalide",
        &["ligne 2", "« min »"],
    );
}

#[test]
fn quota_duplique() {
    let q = "feature,value,min,max\ngenre,femme,1,2\ngenre,Femme,1,2\n";
    attendre(
        instance(q, b"id,genre\na,femme\n", 1),
        "quota_duplique",
        &["ligne 3", "ligne 2", "« value »"],
    );
}

#[test]
fn identifiant_duplique() {
    let p = "id,genre,age\na,femme,jeune\nb,homme,vieux\na,homme,jeune\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "identifiant_duplique",
        &["ligne 4", "« id »", "ligne 2"],
    );
}

#[test]
fn panel_plus_grand_que_le_vivier() {
    attendre(
        instance(QUOTAS, PEOPLE.as_bytes(), 5),
        "taille_trop_grande",
        &["--taille 5", "4"],
    );
}

#[test]
fn taille_nulle() {
    attendre(
        instance(QUOTAS, PEOPLE.as_bytes(), 0),
        "taille_nulle",
        &["--taille"],
    );
}

#[test]
fn csv_mal_forme() {
    let p = "id,genre,age\na,femme,jeune\nb,homme\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "csv_mal_forme",
        &["ligne 3", "« age »", "2 colonnes au lieu de 3"],
    );
    let p = "id,genre,age\na,femme,jeune,x\n";
    attendre(
        instance(QUOTAS, p.as_bytes(), 1),
        "csv_mal_forme",
        &["ligne 2", "n°4"],
    );
    let q = "feature,value,min,max\ngenre,femme,1\n";
    attendre(
        instance(q, PEOPLE.as_bytes(), 1),
        "csv_mal_forme",
        &["features.csv", "ligne 2", "« max »"],
    );
}

#[test]
fn encodage_non_utf8() {
    // "é" in Latin-1 (0xE9): a typical spreadsheet export in the wrong encoding.
    let p = b"id,genre,age\na,femme,jeune\nb,homm\xe9,vieux\n";
    attendre(
        instance(QUOTAS, p, 1),
        "encodage_invalide",
        &["ligne 3", "colonne 2", "UTF-8"],
    );
}

#[test]
fn bom_utf8_accepte() {
    let mut p = b"\xEF\xBB\xBF".to_vec();
    p.extend_from_slice(PEOPLE.as_bytes());
    let q = format!("\u{feff}{QUOTAS}");
    let inst = Instance::depuis_lecteurs(q.as_bytes(), p.as_slice(), 2).unwrap();
    assert_eq!(inst.volontaires.liste.len(), 4);
}

#[test]
fn quotas_incompatibles() {
    // Two women at least, but only one woman volunteered; and age needs 3 young of 2.
    let q =
        "feature,value,min,max\ngenre,femme,2,3\ngenre,homme,0,3\nage,jeune,3,3\nage,vieux,0,3\n";
    let p = "id,genre,age\na,femme,jeune\nb,homme,vieux\nc,homme,vieux\nd,homme,jeune\n";
    let inst = instance(q, p.as_bytes(), 3).unwrap();
    let e = leximin(&inst, &Options::default()).unwrap_err();
    assert_eq!(e.code(), "quotas_incompatibles");
    let msg = e.to_string();
    assert!(
        msg.contains("ligne 2, colonne min (genre = femme) : 2 → 1"),
        "{msg}"
    );
    assert!(
        msg.contains("ligne 4, colonne min (age = jeune) : 3 → 2"),
        "{msg}"
    );
    match e {
        TirageError::QuotasIncompatibles {
            total, relaxations, ..
        } => {
            assert_eq!(total, 2);
            assert_eq!(relaxations.len(), 2);
        }
        _ => unreachable!(),
    }
}

#[test]
fn quotas_incompatibles_max() {
    // Panel of 3 but at most 1 per gender: a max must rise by one.
    let q = "feature,value,min,max\ngenre,femme,0,1\ngenre,homme,0,1\n";
    let p = "id,genre\na,femme\nb,homme\nc,homme\nd,femme\n";
    let inst = instance(q, p.as_bytes(), 3).unwrap();
    let e = leximin(&inst, &Options::default()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("colonne max"), "{msg}");
    assert!(msg.contains("1 → 2"), "{msg}");
}

#[test]
fn parse_separes() {
    let q = parse_quotas(QUOTAS.as_bytes()).unwrap();
    assert_eq!(q.caracteristiques.len(), 2);
    let v = parse_volontaires(PEOPLE.as_bytes(), &q).unwrap();
    assert_eq!(v.liste[0].id, "a");
}
