//! Behaviour of the matcher: each corruption still matches, hard non-matches do not, CSV errors
//! in French, deterministic output, F1 on a generated base.

use std::collections::HashSet;

use parcours_doublons::csvio::write_records;
use parcours_doublons::evaluation::evaluer;
use parcours_doublons::synthese::generer;
use parcours_doublons::{
    candidates_for, find_pairs, normalise, read_records, score, write_pairs, Date, ErreurCsv,
    Index, Options, Record, Sexe,
};

fn base() -> Record {
    Record {
        record_id: "A".into(),
        nom_naissance: "Lefèvre".into(),
        nom_usage: String::new(),
        prenoms: "Hélène Marie Claire".into(),
        sexe: Some(Sexe::F),
        date_naissance: Date::new(1978, 3, 14),
        commune_naissance_insee: "59350".into(),
        adresse: "12 rue de la Paix".into(),
        code_postal: "59000".into(),
        commune: "Lille".into(),
    }
}

fn s(a: &Record, b: &Record) -> f64 {
    score(&normalise(a), &normalise(b))
}

fn meme_personne(modifier: impl FnOnce(&mut Record)) {
    let a = base();
    let mut b = base();
    b.record_id = "B".into();
    modifier(&mut b);
    let x = s(&a, &b);
    assert!(x >= Options::default().seuil, "{b:?} : score {x}");
    assert_eq!(x, s(&b, &a), "score symétrique");
}

fn personnes_differentes(a: Record, b: Record) {
    let x = s(&a, &b);
    assert!(x < Options::default().seuil, "{a:?} / {b:?} : score {x}");
}

#[test]
fn corruptions_reconnues() {
    meme_personne(|_| {});
    meme_personne(|b| b.nom_naissance = "Lefevbre".into()); // typo
    meme_personne(|b| b.prenoms = "Hlène Marie Claire".into()); // typo in a given name
    meme_personne(|b| {
        b.nom_naissance = "LEFEVRE".into();
        b.prenoms = "HELENE MARIE CLAIRE".into();
    }); // lost accents
    meme_personne(|b| b.prenoms = "Marie Hélène Claire".into()); // swapped
    meme_personne(|b| b.prenoms = "Hélène".into()); // missing given names
    meme_personne(|b| b.prenoms = String::new());
    meme_personne(|b| b.nom_usage = "Martin".into()); // married
    meme_personne(|b| {
        b.nom_naissance = String::new();
        b.nom_usage = "Martin".into();
    }); // married, birth name not entered
    meme_personne(|b| b.nom_usage = "Lefèvre-Martin".into()); // double usage name
    meme_personne(|b| b.date_naissance = Date::new(1978, 3, 4)); // day/month swapped would be invalid: digit typo
    meme_personne(|b| b.date_naissance = Date::new(1987, 3, 14)); // year digits swapped
    meme_personne(|b| b.date_naissance = None);
    meme_personne(|b| {
        b.commune_naissance_insee.clear();
        b.sexe = None;
    });
    meme_personne(|b| {
        b.adresse = "3 avenue Jean Jaurès".into();
        b.code_postal = "59100".into();
        b.commune = "Roubaix".into();
    }); // moved
    meme_personne(|b| b.prenoms = "Hélène Marie-Claire".into());
    let mut a = base();
    a.date_naissance = Date::new(1978, 5, 7);
    let mut b = a.clone();
    b.date_naissance = Date::new(1978, 7, 5);
    assert!(s(&a, &b) >= 0.5, "jour et mois inversés");
    let mut a = base();
    a.nom_naissance = "Le Gall".into();
    let mut b = a.clone();
    b.nom_naissance = "LEGALL".into();
    assert!(s(&a, &b) >= 0.5, "particule collée");
}

#[test]
fn jumeaux_et_parent_enfant() {
    // Twins: same everything but the given names.
    let a = base();
    let mut b = base();
    b.prenoms = "Sophie Marie".into();
    personnes_differentes(a.clone(), b);
    let mut b = base();
    b.prenoms = "Louis".into();
    b.sexe = Some(Sexe::M);
    personnes_differentes(a, b);
    // Parent and child of the same name at the same address.
    let mut parent = base();
    parent.nom_naissance = "Martin".into();
    parent.prenoms = "Jean".into();
    parent.sexe = Some(Sexe::M);
    parent.date_naissance = Date::new(1955, 6, 2);
    let mut enfant = parent.clone();
    enfant.date_naissance = Date::new(1984, 11, 20);
    enfant.commune_naissance_insee = "59009".into();
    personnes_differentes(parent.clone(), enfant.clone());
    enfant.commune_naissance_insee = parent.commune_naissance_insee.clone();
    personnes_differentes(parent, enfant);
}

#[test]
fn alerte_a_la_creation() {
    let mut autre = base();
    autre.record_id = "X".into();
    autre.nom_naissance = "Dupont".into();
    autre.prenoms = "Paul".into();
    autre.date_naissance = Date::new(1990, 1, 1);
    let existants = vec![autre, base()];
    let mut index = Index::new(&existants, &Options::default());
    let mut nouvelle = base();
    nouvelle.nom_naissance = "LEFEVRE".into();
    nouvelle.date_naissance = None;
    let c = candidates_for(&nouvelle, &index);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].position, 1);
    let p = index.ajouter(&nouvelle);
    assert_eq!(p, 2);
    assert_eq!(index.len(), 3);
}

fn csv_erreur(texte: &[u8]) -> String {
    match read_records(texte) {
        Err(e) => e.to_string(),
        Ok(r) => panic!("erreur attendue, lu {r:?}"),
    }
}

const ENTETE: &str = "record_id,nom_naissance,nom_usage,prenoms,sexe,date_naissance,commune_naissance_insee,adresse,code_postal,commune\n";

#[test]
fn erreurs_csv_en_francais() {
    let e = csv_erreur(b"record_id,nom_naissance\n1,Martin\n");
    assert!(e.contains("colonne manquante « nom_usage »"), "{e}");
    let e = csv_erreur(format!("{ENTETE}1,Martin,,Jean,M,1980-02-30,,,,\n").as_bytes());
    assert!(
        e.contains("ligne 2, colonne « date_naissance » : date invalide « 1980-02-30 »"),
        "{e}"
    );
    let e = csv_erreur(
        format!("{ENTETE}1,Martin,,Jean,M,1980-02-03,,,,\n2,Durand,,Luc,X,,,,,\n").as_bytes(),
    );
    assert!(e.contains("ligne 3, colonne « sexe »"), "{e}");
    let mut octets = format!("{ENTETE}1,Mart").into_bytes();
    octets.extend_from_slice(b"\xff\xfein,,Jean,M,,,,,\n");
    let e = csv_erreur(&octets);
    assert!(
        e.contains("ligne 2, colonne « nom_naissance » : texte non UTF-8"),
        "{e}"
    );
    let e = csv_erreur(format!("{ENTETE}1,Martin\n").as_bytes());
    assert!(e.contains("ligne 2 : 2 champs au lieu de 10"), "{e}");
    assert_eq!(read_records(&b""[..]), Err(ErreurCsv::Vide));
    // Columns in another order, blank date, extra column: accepted.
    let r = read_records(
        &b"commune,code_postal,adresse,commune_naissance_insee,date_naissance,sexe,prenoms,nom_usage,nom_naissance,record_id,autre\nLille,59000,,,,F,Anne,,Roy,7,x\n"[..],
    )
    .unwrap_or_default();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].record_id, "7");
    assert_eq!(r[0].date_naissance, None);
}

#[test]
fn sortie_deterministe_et_f1() {
    let jeu = generer(5_000, 7);
    let mut csv = Vec::new();
    write_records(&mut csv, &jeu.records).unwrap_or_default();
    let relus = read_records(csv.as_slice()).unwrap_or_default();
    assert_eq!(relus, jeu.records, "aller-retour CSV");
    let options = Options::default();
    let p1 = find_pairs(&relus, &options, |_, _| {});
    let p2 = find_pairs(&relus, &options, |_, _| {});
    let (mut o1, mut o2) = (Vec::new(), Vec::new());
    write_pairs(&mut o1, &p1).unwrap_or_default();
    write_pairs(&mut o2, &p2).unwrap_or_default();
    assert_eq!(o1, o2, "même entrée, même sortie");
    assert!(p1.iter().all(|p| p.record_id_a < p.record_id_b));
    assert!(p1
        .windows(2)
        .all(|w| (&w[0].record_id_a, &w[0].record_id_b) < (&w[1].record_id_a, &w[1].record_id_b)));
    let trouvees: HashSet<(String, String)> = p1
        .into_iter()
        .map(|p| (p.record_id_a, p.record_id_b))
        .collect();
    let verite: HashSet<(String, String)> = jeu.verite.into_iter().collect();
    let m = evaluer(&trouvees, &verite);
    assert!(
        m.f1() >= 0.95,
        "F1 {:.4} (P {:.4}, R {:.4})",
        m.f1(),
        m.precision(),
        m.rappel()
    );
    // Same seed, same data.
    assert_eq!(generer(500, 3).records, generer(500, 3).records);
}
