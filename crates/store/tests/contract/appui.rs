//! Appui technique and duty roster: a request waits in its site's queue (urgent first), is taken by
//! exactly one social worker, closed only by them; the roster keeps one agent per cell and finds who
//! is on duty at a given time.

use chrono::NaiveDate;
use parcours_domain::accueil::appui::{
    DemiJournee, Garde, Issue, Motif, NewAppui, RoleTableau, StatutAppui, TransitionError,
};
use parcours_domain::habilitations::Role;
use parcours_store::appui::{self, AppuiError};
use parcours_test_support::{Fixture, TestDb};

fn demande(site_id: i64, motif: Motif, urgent: bool) -> NewAppui {
    NewAppui {
        site_id,
        personne_id: None,
        motif,
        precision: Some("Personne en difficulté avec un dossier CAF".into()),
        urgent,
    }
}

#[tokio::test]
async fn a_request_is_taken_once_and_closed_by_who_took_it() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let store = db.store();
    let ts = fx.agent(Role::TravailleurSocial);
    let cadre = fx.agent(Role::Cadre);
    let now = parcours_store::clock().maintenant();

    let mut tx = store.begin().await.unwrap();
    let ordinaire = appui::create(
        &mut tx,
        "96",
        &demande(fx.site_a, Motif::OrientationDifficile, false),
        None,
        Some(fx.agent(Role::Accueil)),
        now,
    )
    .await
    .unwrap();
    let urgente = appui::create(
        &mut tx,
        "96",
        &demande(fx.site_a, Motif::Agressivite, true),
        None,
        None,
        now,
    )
    .await
    .unwrap();
    let ailleurs = appui::create(
        &mut tx,
        "96",
        &demande(fx.site_b, Motif::Autre, false),
        None,
        None,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    let file = appui::file(&mut conn, "96", fx.site_a, now.date())
        .await
        .unwrap();
    // The urgent one first although it was recorded after; the other site's request is not there.
    assert_eq!(
        file.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![urgente, ordinaire]
    );
    assert!(!file.iter().any(|a| a.id == ailleurs));
    assert_eq!(
        file[1].demande_par.as_deref(),
        Some("Agent Agent d'accueil")
    );
    drop(conn);

    let mut tx = store.begin().await.unwrap();
    appui::prendre(&mut tx, "96", ordinaire, ts, now)
        .await
        .unwrap();
    // A second social worker is too late.
    let e = appui::prendre(&mut tx, "96", ordinaire, cadre, now)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        AppuiError::Transition(TransitionError::DejaPrise)
    ));
    // Only who took it closes it; a waiting request cannot be closed.
    let e = appui::clore(&mut tx, "96", ordinaire, cadre, Issue::Conseil, now)
        .await
        .unwrap_err();
    assert!(matches!(e, AppuiError::PasLePreneur));
    let e = appui::clore(&mut tx, "96", urgente, ts, Issue::Conseil, now)
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        AppuiError::Transition(TransitionError::PasPrise)
    ));
    appui::clore(&mut tx, "96", ordinaire, ts, Issue::RendezVous, now)
        .await
        .unwrap();
    appui::annuler(&mut tx, "96", urgente, now).await.unwrap();
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    let a = appui::get(&mut conn, "96", ordinaire).await.unwrap();
    assert_eq!(a.statut, StatutAppui::Clos);
    assert_eq!(a.issue, Some(Issue::RendezVous));
    assert_eq!(a.pris_par_id, Some(ts));
    assert!(a.pris_le.is_some() && a.clos_le.is_some());
    // Closed and cancelled requests of the day stay visible, after the live ones.
    let file = appui::file(&mut conn, "96", fx.site_a, now.date())
        .await
        .unwrap();
    assert!(file
        .iter()
        .all(|a| !matches!(a.statut, StatutAppui::EnAttente | StatutAppui::PrisEnCharge)));
    assert_eq!(file.len(), 2);
    // Another département sees nothing of it.
    assert!(appui::get(&mut conn, "95", ordinaire).await.is_err());
}

#[tokio::test]
async fn the_roster_holds_one_agent_per_cell_and_tells_who_is_on_duty() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let store = db.store();
    let ts = fx.agent(Role::TravailleurSocial);
    let today = parcours_store::clock().today();
    let lundi = parcours_domain::accueil::appui::lundi(today);

    let mut conn = store.read().await.unwrap();
    let tss = appui::travailleurs_sociaux(&mut conn, "96", fx.site_a, lundi)
        .await
        .unwrap();
    assert_eq!(tss.iter().map(|t| t.0).collect::<Vec<_>>(), vec![ts]);
    // The desk agent is not a social worker; the other site has none.
    assert!(
        appui::travailleurs_sociaux(&mut conn, "96", fx.site_b, lundi)
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);

    let cell = |jour: NaiveDate, dj, role, agent| Garde {
        jour,
        demi_journee: dj,
        role,
        agent_id: agent,
    };
    let mut tx = store.begin().await.unwrap();
    let n = appui::tableau_enregistrer(
        &mut tx,
        "96",
        fx.site_a,
        &[
            cell(
                today,
                DemiJournee::Matin,
                RoleTableau::PremierAccueil,
                Some(ts),
            ),
            cell(
                today,
                DemiJournee::ApresMidi,
                RoleTableau::Urgence,
                Some(ts),
            ),
            cell(today, DemiJournee::Matin, RoleTableau::Urgence, None),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    // Saving the same week again changes nothing; emptying a cell removes it.
    let n = appui::tableau_enregistrer(
        &mut tx,
        "96",
        fx.site_a,
        &[
            cell(
                today,
                DemiJournee::Matin,
                RoleTableau::PremierAccueil,
                Some(ts),
            ),
            cell(today, DemiJournee::ApresMidi, RoleTableau::Urgence, None),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    let semaine = appui::tableau(&mut conn, "96", fx.site_a, lundi, 7)
        .await
        .unwrap();
    assert_eq!(semaine.len(), 1);
    let matin = today.and_hms_opt(9, 30, 0).unwrap();
    let garde = appui::de_garde(&mut conn, "96", fx.site_a, matin)
        .await
        .unwrap();
    assert_eq!(garde.len(), 1);
    assert_eq!(garde[0].0, RoleTableau::PremierAccueil);
    assert_eq!(garde[0].1, ts);
    let apres_midi = today.and_hms_opt(15, 0, 0).unwrap();
    assert!(appui::de_garde(&mut conn, "96", fx.site_a, apres_midi)
        .await
        .unwrap()
        .is_empty());
    drop(conn);

    // An agent on leave that afternoon cannot hold a duty then; the morning is free.
    let mut tx = store.begin().await.unwrap();
    parcours_store::agenda::absence_create(
        &mut tx,
        "96",
        ts,
        &parcours_domain::agenda::NewAbsence {
            debut: today.and_hms_opt(14, 0, 0).unwrap(),
            fin: today.and_hms_opt(17, 0, 0).unwrap(),
            libelle: "Formation".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let conflits = appui::gardes_en_absence(
        &mut conn,
        "96",
        &[
            cell(today, DemiJournee::Matin, RoleTableau::Urgence, Some(ts)),
            cell(
                today,
                DemiJournee::ApresMidi,
                RoleTableau::Urgence,
                Some(ts),
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(conflits.len(), 1);
    assert_eq!(conflits[0].0.demi_journee, DemiJournee::ApresMidi);
    assert_eq!(conflits[0].1, "Formation");
}
