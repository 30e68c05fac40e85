//! The HTTP adapter against the test provider run as a real process: recording, idempotency,
//! refusals, injected failures and slow answers, token.

use std::time::Duration;

use parcours_paiement::processus::FournisseurTest;
use parcours_paiement::{ErreurFournisseur, FournisseurHttp, Mode, Ordre};

const DELAI: Duration = Duration::from_secs(10);

fn chargement(cle: &str) -> Ordre {
    Ordre {
        cle: cle.into(),
        mode: Mode::Carte,
        montant_centimes: 8_000,
        beneficiaire: "Léa Martin".into(),
        iban: None,
        carte: Some("CARTE-0042".into()),
        libelle: "Secours d'urgence — alimentation".into(),
    }
}

fn virement(cle: &str, iban: &str) -> Ordre {
    Ordre {
        cle: cle.into(),
        mode: Mode::Virement,
        montant_centimes: 45_000,
        beneficiaire: "Office public de l'habitat".into(),
        iban: Some(iban.into()),
        carte: None,
        libelle: "Aide au maintien dans le logement — loyer".into(),
    }
}

#[tokio::test]
async fn un_chargement_de_carte_est_enregistre() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();
    let accuse = client.envoyer(&chargement("96-ordre-1")).await.unwrap();
    assert!(!accuse.deja_recu);

    let op = client.consulter("96-ordre-1").await.unwrap().unwrap();
    assert_eq!(op.reference, accuse.reference);
    assert_eq!(op.cle, "96-ordre-1");
    assert_eq!(op.mode, Mode::Carte);
    assert_eq!(op.montant_centimes, 8_000);
    assert_eq!(op.beneficiaire, "Léa Martin");
    assert_eq!(op.statut, "execute");
    assert!(chrono::DateTime::parse_from_rfc3339(&op.recu_le).is_ok());
    assert_eq!(f.operations().await.unwrap(), vec![op]);
    assert_eq!(client.consulter("96-ordre-2").await.unwrap(), None);
}

#[tokio::test]
async fn la_meme_cle_n_est_payee_qu_une_fois() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();
    let premier = client.envoyer(&chargement("96-ordre-7")).await.unwrap();
    // Even with another amount, the first order under the key wins.
    let mut autre = chargement("96-ordre-7");
    autre.montant_centimes = 999_999;
    let second = client.envoyer(&autre).await.unwrap();
    assert!(second.deja_recu);
    assert_eq!(second.reference, premier.reference);

    let ops = f.operations().await.unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].montant_centimes, 8_000);
}

#[tokio::test]
async fn un_virement_vers_un_iban_valide_est_enregistre() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();
    let accuse = client
        .envoyer(&virement("96-ordre-3", "FR76 3000 6000 0112 3456 7890 189"))
        .await
        .unwrap();
    assert!(!accuse.deja_recu);
    let ops = f.operations().await.unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].mode, Mode::Virement);
}

#[tokio::test]
async fn les_refus_sont_definitifs_avec_leur_motif() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();

    let err = client
        .envoyer(&virement("96-ordre-4", "FR7630006000011234567890188"))
        .await
        .unwrap_err();
    let ErreurFournisseur::Definitive(motif) = &err else {
        panic!("refus définitif attendu : {err:?}");
    };
    assert!(motif.contains("IBAN invalide"), "{motif}");
    assert!(motif.contains("422"), "{motif}");
    assert!(err
        .to_string()
        .starts_with("paiement refusé : IBAN invalide"));

    let mut sans_iban = virement("96-ordre-5", "");
    sans_iban.iban = None;
    let err = client.envoyer(&sans_iban).await.unwrap_err();
    assert!(err.motif().contains("IBAN"), "{err}");
    assert!(!err.est_temporaire());

    let mut bloquee = chargement("96-ordre-6");
    bloquee.carte = Some("BLOQ-0007".into());
    let err = client.envoyer(&bloquee).await.unwrap_err();
    assert!(
        matches!(&err, ErreurFournisseur::Definitive(m) if m.contains("carte bloquée")),
        "{err:?}"
    );

    let mut nul = chargement("96-ordre-8");
    nul.montant_centimes = 0;
    let err = client.envoyer(&nul).await.unwrap_err();
    assert!(
        matches!(&err, ErreurFournisseur::Definitive(m) if m.contains("montant")),
        "{err:?}"
    );

    // Nothing refused was recorded, so a corrected order may reuse its key.
    assert!(f.operations().await.unwrap().is_empty());
    let corrige = virement("96-ordre-4", "FR7630006000011234567890189");
    assert!(!client.envoyer(&corrige).await.unwrap().deja_recu);
}

#[tokio::test]
async fn les_pannes_sont_temporaires_puis_l_ordre_passe() {
    let f = FournisseurTest::demarrer(&["--echecs", "2"]).unwrap();
    let client = f.client(DELAI).unwrap();
    let ordre = chargement("96-ordre-10");
    for _ in 0..2 {
        let err = client.envoyer(&ordre).await.unwrap_err();
        assert!(
            matches!(&err, ErreurFournisseur::Temporaire(m) if m.contains("503")),
            "{err:?}"
        );
    }
    let accuse = client.envoyer(&ordre).await.unwrap();
    assert!(!accuse.deja_recu);
    assert_eq!(f.operations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn une_reponse_perdue_puis_rejouee_ne_paie_pas_deux_fois() {
    let f = FournisseurTest::demarrer(&["--lent-ms", "1500", "--lents", "1"]).unwrap();
    let client = f.client(Duration::from_millis(300)).unwrap();
    let ordre = virement("96-ordre-11", "FR7630006000011234567890189");

    let err = client.envoyer(&ordre).await.unwrap_err();
    assert!(
        matches!(&err, ErreurFournisseur::Temporaire(m) if m.contains("à temps")),
        "{err:?}"
    );
    // The provider paid although the client gave up: the retry with the same key says so. (A
    // patient client for the retry, as a later run of the job would be, so that a loaded machine
    // does not time it out too.)
    let accuse = f.client(DELAI).unwrap().envoyer(&ordre).await.unwrap();
    assert!(accuse.deja_recu);
    let ops = f.operations().await.unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].reference, accuse.reference);
}

#[tokio::test]
async fn un_jeton_refuse_est_une_erreur_definitive() {
    let f = FournisseurTest::demarrer(&["--jeton", "secret-96"]).unwrap();
    for jeton in [Some("mauvais".to_string()), None] {
        let client = FournisseurHttp::new(&f.base_url, jeton, DELAI).unwrap();
        let err = client
            .envoyer(&chargement("96-ordre-12"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ErreurFournisseur::Definitive(m) if m.contains("jeton") && m.contains("401")),
            "{err:?}"
        );
        let err = client.consulter("96-ordre-12").await.unwrap_err();
        assert!(!err.est_temporaire(), "{err:?}");
    }
    // The right token (taken from the arguments by `client`) goes through; nothing was paid before.
    let client = f.client(DELAI).unwrap();
    assert!(
        !client
            .envoyer(&chargement("96-ordre-12"))
            .await
            .unwrap()
            .deja_recu
    );
    assert_eq!(f.operations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn un_fournisseur_arrete_est_une_erreur_temporaire() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let base_url = f.base_url.clone();
    drop(f);
    let client = FournisseurHttp::new(&base_url, None, DELAI).unwrap();
    let err = client
        .envoyer(&chargement("96-ordre-13"))
        .await
        .unwrap_err();
    assert!(err.est_temporaire(), "{err:?}");
}

#[tokio::test]
async fn le_journal_garde_les_cles_apres_un_redemarrage() {
    let dossier = tempfile::tempdir().unwrap();
    let journal = dossier.path().join("journal.jsonl");
    let journal = journal.to_str().unwrap();
    let premier = {
        let f = FournisseurTest::demarrer(&["--journal", journal]).unwrap();
        f.client(DELAI)
            .unwrap()
            .envoyer(&chargement("96-ordre-14"))
            .await
            .unwrap()
    };
    let f = FournisseurTest::demarrer(&["--journal", journal]).unwrap();
    let accuse = f
        .client(DELAI)
        .unwrap()
        .envoyer(&chargement("96-ordre-14"))
        .await
        .unwrap();
    assert!(accuse.deja_recu);
    assert_eq!(accuse.reference, premier.reference);
    assert_eq!(f.operations().await.unwrap().len(), 1);
    assert_eq!(std::fs::read_to_string(journal).unwrap().lines().count(), 1);
}

#[test]
fn une_adresse_invalide_est_refusee_d_emblee() {
    for adresse in [
        "pas une adresse",
        "ftp://psp.example",
        "mailto:psp@example.org",
    ] {
        let err = FournisseurHttp::new(adresse, None, DELAI).unwrap_err();
        assert!(matches!(err, ErreurFournisseur::Definitive(_)), "{err:?}");
    }
}

#[test]
fn un_argument_inconnu_empeche_le_demarrage() {
    let err = FournisseurTest::demarrer(&["--inconnu"]).unwrap_err();
    assert!(err.to_string().contains("sans annoncer son port"), "{err}");
}
