//! Rendering of letters: the default template for each decision, hostile data, template errors.

use parcours_courrier::{
    exemple_notification_aide, rendre, verifier, ErreurCourrier, MODELE_NOTIFICATION_AIDE,
};
use serde_json::{json, Value};

/// Text of a PDF with every run of white space (line breaks, no-break spaces) made one space:
/// the layout decides where lines break, the tests only care about the words.
fn texte(pdf: &[u8]) -> String {
    let brut = pdf_extract::extract_text_from_mem(pdf).expect("texte du PDF");
    brut.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn exemple(sens: &str, decision: Value) -> Value {
    let mut donnees = exemple_notification_aide();
    let mut d = decision;
    d["sens"] = json!(sens);
    donnees["decision"] = d;
    donnees
}

fn rendu_texte(donnees: &Value) -> String {
    let pdf = rendre(MODELE_NOTIFICATION_AIDE, donnees).expect("rendu du modèle par défaut");
    assert!(pdf.starts_with(b"%PDF-"), "un PDF commence par %PDF-");
    texte(&pdf)
}

fn communs(texte: &str) {
    for attendu in [
        "Madame Léa Fontanelle",
        "Département de la Haute-Sérène",
        "Maison départementale des solidarités de Brivecourt",
        "Brivecourt, le 7 décembre 2026",
        "AF-2026-000123",
        "Fonds de solidarité pour le logement",
        "recours gracieux",
        "Président du Conseil départemental",
        "tribunal administratif de Valmont-sur-Sérène",
        "Télérecours citoyens",
        "Claire Dumarais",
    ] {
        assert!(texte.contains(attendu), "« {attendu} » absent de : {texte}");
    }
}

#[test]
fn accord() {
    let t = rendu_texte(&exemple_notification_aide());
    communs(&t);
    assert!(t.contains("150,00 €"), "{t}");
    assert!(t.contains("virement bancaire"), "{t}");
    assert!(t.contains("Office public de l"), "{t}");
}

#[test]
fn accord_partiel() {
    let t = rendu_texte(&exemple(
        "accord_partiel",
        json!({
            "montant": "80,00 €",
            "montant_demande": "200,00 €",
            "beneficiaire_paiement": "Madame Léa Fontanelle",
            "mode_paiement": "virement bancaire",
            "motivation": "Le plafond du fonds est de 80 euros par foyer et par an."
        }),
    ));
    communs(&t);
    assert!(t.contains("80,00 €") && t.contains("200,00 €"), "{t}");
    assert!(t.contains("plafond du fonds est de 80 euros"), "{t}");
}

#[test]
fn refus() {
    let t = rendu_texte(&exemple(
        "refus",
        json!({ "motivation": "Vos ressources dépassent le plafond fixé par le règlement du fonds." }),
    ));
    communs(&t);
    assert!(
        t.contains("Vos ressources dépassent le plafond fixé par le règlement du fonds."),
        "{t}"
    );
    assert!(!t.contains("150,00 €"), "{t}");
}

#[test]
fn ajournement() {
    let t = rendu_texte(&exemple(
        "ajournement",
        json!({ "pieces_manquantes": ["Avis d'imposition 2025", "Quittance de loyer de novembre"] }),
    ));
    communs(&t);
    assert!(t.contains("Avis d'imposition 2025"), "{t}");
    assert!(t.contains("Quittance de loyer de novembre"), "{t}");
}

#[test]
fn sens_inconnu_refuse_en_francais() {
    let err = rendre(MODELE_NOTIFICATION_AIDE, &exemple("peut-etre", json!({}))).unwrap_err();
    assert!(matches!(err, ErreurCourrier::Modele { .. }), "{err:?}");
    assert!(
        err.to_string().contains("sens de décision inconnu"),
        "{err}"
    );
}

#[test]
fn les_donnees_ne_sont_jamais_du_balisage() {
    let hostile = r#"#panic("x") *gras* $x$ ] [ _souligné_ @ref <lbl> \ // fin"#;
    let mut donnees = exemple_notification_aide();
    donnees["destinataire"]["nom"] = json!(hostile);
    donnees["decision"]["montant"] = json!("#eval(\"1\")");
    let t = rendu_texte(&donnees);
    for morceau in [
        r#"#panic("x")"#,
        "*gras*",
        "$x$",
        "] [",
        "_souligné_",
        "@ref <lbl>",
        r"\ // fin",
    ] {
        assert!(t.contains(morceau), "« {morceau} » absent de : {t}");
    }
    assert!(t.contains("#eval(\"1\")"), "{t}");
}

#[test]
fn donnees_accessibles_comme_valeurs_et_comme_fichier() {
    let modele = r#"#let f = json("donnees.json")
#(donnees.n + 1) #f.n #donnees.liste.len() #(donnees.rien == none) #f.nom"#;
    let pdf = rendre(
        modele,
        &json!({ "n": 41, "liste": [1, 2, 3], "rien": null, "nom": "Zoé" }),
    )
    .expect("rendu");
    assert_eq!(texte(&pdf), "42 41 3 true Zoé");
}

#[test]
fn erreur_de_syntaxe_situee() {
    let modele = "= Titre\n\nBonjour,\n#let x = (1, 2\nSuite\n";
    match verifier(modele, &json!({})) {
        Err(ErreurCourrier::Modele { ligne, message }) => {
            assert_eq!(ligne, 4, "{message}");
            assert!(message.starts_with("colonne "), "{message}");
        }
        autre => panic!("erreur de modèle attendue : {autre:?}"),
    }
}

#[test]
fn champ_absent_situe_en_francais() {
    let modele = "Bonjour\n\nMadame #donnees.destinataire.prenom\n";
    let err = verifier(modele, &json!({ "destinataire": { "nom": "Léa" } })).unwrap_err();
    let ErreurCourrier::Modele { ligne, ref message } = err else {
        panic!("{err:?}")
    };
    assert_eq!(ligne, 3);
    assert_eq!(
        message,
        "colonne 30 : clé absente du dictionnaire : \"prenom\""
    );
    assert_eq!(
        err.to_string(),
        "Erreur dans le modèle, ligne 3, colonne 30 : clé absente du dictionnaire : \"prenom\""
    );
}

#[test]
fn fin_de_ligne_windows_et_bom() {
    let modele = "\u{feff}Bonjour\r\n\r\n#donnees.x\r\n";
    let err = verifier(modele, &json!({})).unwrap_err();
    let ErreurCourrier::Modele { ligne, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*ligne, message.as_str()),
        (3, "colonne 10 : clé absente du dictionnaire : \"x\"")
    );
    assert!(verifier(modele, &json!({ "x": "ok" })).is_ok());
}

#[test]
fn boucle_infinie_arretee() {
    let err = verifier("Début\n#while true {}\n", &json!({})).unwrap_err();
    assert!(
        matches!(err, ErreurCourrier::Modele { ligne: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn paquets_refuses_en_francais() {
    let modele = "Bonjour\n#import \"@preview/cetz:0.3.4\": canvas\n";
    let err = verifier(modele, &json!({})).unwrap_err();
    let ErreurCourrier::Modele { ligne, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*ligne, 2);
    assert!(message.contains("« @preview/cetz:0.3.4 »"), "{message}");
    assert!(message.contains("sans accès au réseau"), "{message}");
}

#[test]
fn aucun_fichier_hors_des_donnees() {
    let err = verifier("#read(\"/etc/passwd\")", &json!({})).unwrap_err();
    assert!(
        matches!(err, ErreurCourrier::Modele { ligne: 1, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("fichier introuvable"), "{err}");
    assert!(verifier("#include \"autre.typ\"", &json!({})).is_err());
    assert!(verifier("#image(\"logo.png\")", &json!({})).is_err());
}

#[test]
fn pas_d_horloge_et_rendu_deterministe() {
    let err = verifier("#datetime.today().display()", &json!({})).unwrap_err();
    assert!(
        err.to_string()
            .contains("date du jour n'est pas disponible"),
        "{err}"
    );

    let donnees = exemple_notification_aide();
    let premier = rendre(MODELE_NOTIFICATION_AIDE, &donnees).unwrap();
    let second = rendre(MODELE_NOTIFICATION_AIDE, &donnees).unwrap();
    assert!(premier == second, "deux rendus des mêmes données diffèrent");
    // The document date is the letter's, taken from the data.
    let brut = String::from_utf8_lossy(&premier);
    assert!(
        brut.contains("2026-12-07") || brut.contains("D:20261207"),
        "date du document"
    );
}

#[test]
fn modele_par_defaut_verifie() {
    verifier(MODELE_NOTIFICATION_AIDE, &exemple_notification_aide()).expect("modèle valide");
}

/// A PNG of 8 × 4 pixels made for the tests.
const LOGO_PNG: &[u8] = include_bytes!("logo.png");

fn images_du_pdf(pdf: &[u8]) -> usize {
    pdf.windows(b"/Subtype /Image".len())
        .filter(|w| *w == b"/Subtype /Image")
        .count()
        + pdf
            .windows(b"/Subtype/Image".len())
            .filter(|w| *w == b"/Subtype/Image")
            .count()
}

#[test]
fn the_logo_is_printed_on_the_letter_when_the_departement_has_one() {
    use parcours_courrier::{rendre_avec_logo, verifier_logo, FormatImage};
    let donnees = exemple_notification_aide();
    let sans = rendre_avec_logo(MODELE_NOTIFICATION_AIDE, &donnees, None).unwrap();
    assert_eq!(images_du_pdf(&sans), 0);
    let png = verifier_logo(LOGO_PNG.to_vec()).expect("PNG lu");
    assert_eq!(png.format, FormatImage::Png);
    let avec = rendre_avec_logo(MODELE_NOTIFICATION_AIDE, &donnees, Some(&png)).unwrap();
    assert!(images_du_pdf(&avec) >= 1, "le logo est dans le PDF");
    // The letter's text is unchanged by the logo.
    assert_eq!(texte(&avec), texte(&sans));
    let svg = verifier_logo(
        br#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="navy"/></svg>"#
            .to_vec(),
    )
    .expect("SVG lu");
    assert_eq!(svg.format, FormatImage::Svg);
    assert!(rendre_avec_logo(MODELE_NOTIFICATION_AIDE, &donnees, Some(&svg)).is_ok());
}

#[test]
fn a_logo_that_is_not_an_image_or_too_heavy_is_refused_in_french() {
    use parcours_courrier::verifier_logo;
    assert!(verifier_logo(vec![]).unwrap_err().contains("Choisissez"));
    assert!(verifier_logo(b"%PDF-1.7 pas une image".to_vec())
        .unwrap_err()
        .contains("PNG, JPEG ou SVG"));
    let mut tronque = LOGO_PNG.to_vec();
    tronque.truncate(30);
    assert!(verifier_logo(tronque)
        .unwrap_err()
        .contains("n'a pas pu être lue"));
    let mut lourd = LOGO_PNG.to_vec();
    lourd.resize(600 * 1024, 0);
    assert!(verifier_logo(lourd).unwrap_err().contains("512 Kio"));
}
