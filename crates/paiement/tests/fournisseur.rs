//! The HTTP adapter against the test provider run as a real process: recording, idempotency,
//! refusals, injected failures and slow answers, token; the prepaid cards issued once per key,
//! blocked, refused once blocked, with their balance.

use std::time::Duration;

use parcours_paiement::processus::FournisseurTest;
use parcours_paiement::{DemandeCarte, ErreurFournisseur, FournisseurHttp, Mode, Ordre};

const DELAI: Duration = Duration::from_secs(10);

fn chargement(cle: &str, carte: &str) -> Ordre {
    Ordre {
        cle: cle.into(),
        mode: Mode::Carte,
        montant_centimes: 8_000,
        beneficiaire: "Léa Martin".into(),
        iban: None,
        carte: Some(carte.into()),
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

/// Has a card issued for Léa Martin and returns its reference.
async fn carte(client: &FournisseurHttp, cle: &str) -> String {
    let (c, deja) = client
        .emettre_carte(&DemandeCarte {
            cle: cle.into(),
            titulaire: "Léa Martin".into(),
        })
        .await
        .unwrap();
    assert!(!deja);
    assert_eq!(c.statut, "active");
    c.reference
}

#[tokio::test]
async fn un_chargement_de_carte_est_enregistre() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();
    let c = carte(&client, "96-carte-1").await;
    let accuse = client.envoyer(&chargement("96-ordre-1", &c)).await.unwrap();
    assert!(!accuse.deja_recu);

    let op = client.consulter("96-ordre-1").await.unwrap().unwrap();
    assert_eq!(op.reference, accuse.reference);
    assert_eq!(op.cle, "96-ordre-1");
    assert_eq!(op.mode, Mode::Carte);
    assert_eq!(op.montant_centimes, 8_000);
    assert_eq!(op.beneficiaire, "Léa Martin");
    assert_eq!(op.statut, "execute");
    assert_eq!(op.carte.as_deref(), Some(c.as_str()));
    assert!(chrono::DateTime::parse_from_rfc3339(&op.recu_le).is_ok());
    assert_eq!(f.operations().await.unwrap(), vec![op]);
    assert_eq!(client.consulter("96-ordre-2").await.unwrap(), None);
}

#[tokio::test]
async fn la_meme_cle_n_est_payee_qu_une_fois() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();
    let c = carte(&client, "96-carte-7").await;
    let premier = client.envoyer(&chargement("96-ordre-7", &c)).await.unwrap();
    // Even with another amount, the first order under the key wins.
    let mut autre = chargement("96-ordre-7", &c);
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

    let inconnue = chargement("96-ordre-6", "FTC-999999");
    let err = client.envoyer(&inconnue).await.unwrap_err();
    assert!(
        matches!(&err, ErreurFournisseur::Definitive(m) if m.contains("inconnue")),
        "{err:?}"
    );

    let mut nul = chargement("96-ordre-8", "FTC-999999");
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
    let ordre = virement("96-ordre-10", "FR7630006000011234567890189");
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
            .envoyer(&virement("96-ordre-12", "FR7630006000011234567890189"))
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
            .envoyer(&virement("96-ordre-12", "FR7630006000011234567890189"))
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
        .envoyer(&virement("96-ordre-13", "FR7630006000011234567890189"))
        .await
        .unwrap_err();
    assert!(err.est_temporaire(), "{err:?}");
}

#[tokio::test]
async fn le_journal_garde_les_cles_apres_un_redemarrage() {
    let dossier = tempfile::tempdir().unwrap();
    let journal = dossier.path().join("journal.jsonl");
    let journal = journal.to_str().unwrap();
    let (c, premier) = {
        let f = FournisseurTest::demarrer(&["--journal", journal]).unwrap();
        let client = f.client(DELAI).unwrap();
        let c = carte(&client, "96-carte-14").await;
        let accuse = client
            .envoyer(&chargement("96-ordre-14", &c))
            .await
            .unwrap();
        client.bloquer_carte(&c, "perdue").await.unwrap();
        (c, accuse)
    };
    let f = FournisseurTest::demarrer(&["--journal", journal]).unwrap();
    let client = f.client(DELAI).unwrap();
    let accuse = client
        .envoyer(&chargement("96-ordre-14", &c))
        .await
        .unwrap();
    assert!(accuse.deja_recu);
    assert_eq!(accuse.reference, premier.reference);
    assert_eq!(f.operations().await.unwrap().len(), 1);
    // The card, its block and its balance survive the restart too.
    let relue = client.consulter_carte(&c).await.unwrap().unwrap();
    assert!(relue.bloquee());
    assert_eq!(relue.solde_centimes, 8_000);
    let (meme, deja) = client
        .emettre_carte(&DemandeCarte {
            cle: "96-carte-14".into(),
            titulaire: "Léa Martin".into(),
        })
        .await
        .unwrap();
    assert!(deja);
    assert_eq!(meme.reference, c);
    assert_eq!(std::fs::read_to_string(journal).unwrap().lines().count(), 3);
}

#[tokio::test]
async fn une_carte_est_emise_une_fois_par_cle_puis_bloquee_et_refuse_les_chargements() {
    let f = FournisseurTest::demarrer(&[]).unwrap();
    let client = f.client(DELAI).unwrap();
    let c = carte(&client, "96-carte-20").await;
    // The retry of an issuance whose answer was lost gets the same card.
    let (encore, deja) = client
        .emettre_carte(&DemandeCarte {
            cle: "96-carte-20".into(),
            titulaire: "Léa Martin".into(),
        })
        .await
        .unwrap();
    assert!(deja);
    assert_eq!(encore.reference, c);
    let autre = carte(&client, "96-carte-21").await;
    assert_ne!(autre, c);

    client
        .envoyer(&chargement("96-ordre-20", &c))
        .await
        .unwrap();
    let lue = client.consulter_carte(&c).await.unwrap().unwrap();
    assert_eq!(lue.solde_centimes, 8_000);
    assert_eq!(lue.titulaire, "Léa Martin");

    let bloquee = client.bloquer_carte(&c, "carte perdue").await.unwrap();
    assert!(bloquee.bloquee());
    assert_eq!(bloquee.motif_blocage.as_deref(), Some("carte perdue"));
    // Blocking again (a retry) is no error; a load is then refused for good, and nothing is paid.
    assert!(client
        .bloquer_carte(&c, "carte perdue")
        .await
        .unwrap()
        .bloquee());
    let err = client
        .envoyer(&chargement("96-ordre-21", &c))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ErreurFournisseur::Definitive(m) if m.contains("carte bloquée")),
        "{err:?}"
    );
    assert_eq!(f.operations().await.unwrap().len(), 1);
    // The other card is untouched; an unknown card is told apart from an error.
    assert!(!client
        .consulter_carte(&autre)
        .await
        .unwrap()
        .unwrap()
        .bloquee());
    assert_eq!(client.consulter_carte("FTC-999999").await.unwrap(), None);
    let err = client.bloquer_carte("FTC-999999", "x").await.unwrap_err();
    assert!(!err.est_temporaire(), "{err:?}");
}

#[tokio::test]
async fn une_emission_en_panne_est_temporaire_puis_passe() {
    let f = FournisseurTest::demarrer(&["--echecs", "1"]).unwrap();
    let client = f.client(DELAI).unwrap();
    let demande = DemandeCarte {
        cle: "96-carte-30".into(),
        titulaire: "Assistante familiale Nadia Benali".into(),
    };
    let err = client.emettre_carte(&demande).await.unwrap_err();
    assert!(err.est_temporaire(), "{err:?}");
    let (c, deja) = client.emettre_carte(&demande).await.unwrap();
    assert!(!deja);
    assert_eq!(c.titulaire, "Assistante familiale Nadia Benali");
    let sans_nom = DemandeCarte {
        cle: "96-carte-31".into(),
        titulaire: " ".into(),
    };
    let err = client.emettre_carte(&sans_nom).await.unwrap_err();
    assert!(!err.est_temporaire(), "{err:?}");
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
