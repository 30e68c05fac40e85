//! The information préoccupante through the real router: the CRIP records it in the child's dossier
//! (a professional who transmits is named, the evaluation runs on IP_EVAL, shorter under 2 when the
//! département set it, the report needs a home visit, the feedback is owed after the decision), and
//! nobody else reads or writes it: not the social worker who follows the child's dossier in the same
//! MDS, not an agent of another MDS, not a token without the scope. The CRIP's figures count it.

mod common;

use axum::http::StatusCode;
use common::{civil, id_after, Answer, TestApp};
use parcours_domain::habilitations::Role;
use parcours_test_support::PASSWORD;

async fn etape(app: &TestApp, p: i64, champs: &[(&str, &str)]) -> Answer {
    app.post(&format!("/procedures/{p}/etapes"), champs).await
}

async fn nombre_etapes(app: &TestApp, procedure: i64) -> usize {
    let mut conn = app.db.store().read().await.unwrap();
    parcours_store::procedures::etapes(&mut conn, "96", procedure)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_crip_records_an_ip_that_no_other_team_reads() {
    // The département shortened the evaluation of under-2s to 1 month.
    let mut app = TestApp::with_settings(|s| s.ip_eval_moins_2_ans_mois = Some(1)).await;
    let b = app.fx.seed_mds_b(app.db.store()).await;
    app.clock.set_civil(civil("2026-12-07T10:00"));

    // The MDS follows a 18-month-old child.
    app.login_as(Role::TravailleurSocial).await;
    let enfant = app
        .personne_avec_adresse("Kerbrat", "Maëlys", "10/06/2025", "96001", "96100")
        .await;
    let d = app.ouvrir_dossier(enfant, "Accompagnement familial").await;
    // She also carries an adult's RSA, late since 1 December: her work, not the CRIP's.
    let adulte = app
        .personne_avec_adresse("Kerbrat", "Gwenaëlle", "02/02/1990", "96001", "96100")
        .await;
    let da = app.ouvrir_dossier(adulte, "Insertion").await;
    let me = app.fx.agent(Role::TravailleurSocial).to_string();
    let a = app
        .post(
            &format!("/dossiers/{da}/procedures"),
            &[("type", "rsa"), ("referent", &me)],
        )
        .await;
    let rsa = id_after(&a.location.unwrap(), "/procedures/");
    let a = etape(&app, rsa, &[("etape", "ouverture"), ("date", "2026-10-20")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    // The MDS does not record an IP itself: it transmits to the CRIP (L226-3).
    let refus = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[("type", "ip"), ("referent", &me)],
        )
        .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.body.contains("CRIP"), "{}", refus.body);

    // The CRIP opens it in the child's dossier.
    app.login_as(Role::EquipeCentrale).await;
    let crip = app.fx.agent(Role::EquipeCentrale).to_string();
    let a = app
        .post(
            &format!("/dossiers/{d}/procedures"),
            &[("type", "ip"), ("referent", &crip)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let p = id_after(&a.location.unwrap(), "/procedures/");

    // A hospital that transmits is named: refused without it, what was typed is kept.
    let sans_nom = etape(
        &app,
        p,
        &[
            ("etape", "reception"),
            ("date", "2026-12-01"),
            ("source", "sante"),
            ("danger", "negligences"),
            ("confidentialite", "non"),
            ("commentaire", "Hospitalisation pour dénutrition"),
        ],
    )
    .await;
    assert_eq!(sans_nom.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sans_nom.body.contains("L226-5"), "{}", sans_nom.body);
    assert!(sans_nom.body.contains("Hospitalisation pour dénutrition"));
    assert_eq!(nombre_etapes(&app, p).await, 0, "rien n'est écrit");
    let a = etape(
        &app,
        p,
        &[
            ("etape", "reception"),
            ("date", "2026-12-01"),
            ("source", "sante"),
            ("danger", "negligences"),
            ("informant", "Dr Le Bihan, pédiatrie du centre hospitalier"),
            ("confidentialite", "non"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = app.get(&format!("/procedures/{p}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Under 2: one month from 1 December, not three.
    assert!(page.body.contains("01/01/2027"), "{}", page.body);
    assert!(page.body.contains("CASF D226-2-4"));
    assert!(page.body.contains("Dr Le Bihan"));
    // The CRIP's list is its IPs, not the MDS's RSA beneficiaries.
    let liste = app.get("/echeances?horizon=mois").await;
    assert_eq!(liste.status, StatusCode::OK);
    assert!(
        liste.body.contains(&format!("/procedures/{p}")),
        "{}",
        liste.body
    );
    assert!(
        !liste.body.contains(&format!("/procedures/{rsa}")),
        "{}",
        liste.body
    );
    assert!(!liste.body.contains("Gwenaëlle"));

    // An educator of the ASE of the same MDS reads the IP (L226-2-2), not who transmitted it, and
    // does not write in it.
    let (_, ase) = app.fx.seed_educateur_ase(app.db.store()).await;
    app.login(&ase, PASSWORD).await;
    let page = app.get(&format!("/procedures/{p}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Réception de l"), "{}", page.body);
    assert!(!page.body.contains("Dr Le Bihan"), "{}", page.body);
    assert!(page.body.contains("connu de la CRIP seulement"));
    assert!(
        !page.body.contains("?etape="),
        "pas d'étape proposée à l'ASE"
    );
    let w = etape(&app, p, &[("etape", "evaluation"), ("date", "2026-12-02")]).await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);

    // The social worker of the same MDS follows the dossier but does not see the IP.
    app.login_as(Role::TravailleurSocial).await;
    let dossier = app.get(&format!("/dossiers/{d}")).await;
    assert_eq!(dossier.status, StatusCode::OK);
    assert!(!dossier.body.contains(&format!("/procedures/{p}")));
    assert!(!dossier.body.contains("Dr Le Bihan"));
    assert_eq!(
        app.get(&format!("/procedures/{p}")).await.status,
        StatusCode::FORBIDDEN
    );
    let w = etape(&app, p, &[("etape", "evaluation"), ("date", "2026-12-02")]).await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    // Both refusals are in the audit log.
    {
        let mut conn = app.db.store().read().await.unwrap();
        let (refus, _) = parcours_store::audit::list(
            &mut conn,
            "96",
            &parcours_store::audit::AuditFilter {
                record_type: Some("procedure".into()),
                action: Some("refus".into()),
                ..Default::default()
            },
            50,
            0,
        )
        .await
        .unwrap();
        let ts = app.fx.agent(Role::TravailleurSocial);
        let n = refus
            .iter()
            .filter(|e| e.agent_id == Some(ts) && e.record_id == p.to_string())
            .count();
        assert_eq!(n, 2, "{refus:?}");
    }
    let api = app
        .json(
            "GET",
            &format!("/api/v1/dossiers/{d}/procedures"),
            None,
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(!api.body.contains("\"ip\""), "{}", api.body);
    // Nor do the CRIP's figures open to her.
    assert_eq!(
        app.get("/crip/chiffres").await.status,
        StatusCode::FORBIDDEN
    );

    // Another MDS: refused; a token without the scope: refused.
    app.login(b.email(Role::TravailleurSocial), PASSWORD).await;
    assert_eq!(
        app.get(&format!("/procedures/{p}")).await.status,
        StatusCode::FORBIDDEN
    );
    let w = etape(&app, p, &[("etape", "evaluation"), ("date", "2026-12-02")]).await;
    assert_eq!(w.status, StatusCode::FORBIDDEN);
    app.login_as(Role::Administrateur).await;
    let jeton = app
        .jeton_sites(
            "portail",
            &["creneaux:lire", "personnes:rechercher"],
            &[app.fx.site_a],
        )
        .await;
    app.cookie = None;
    let api = app
        .json(
            "GET",
            &format!("/api/v1/procedures/{p}"),
            Some(&jeton),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert!(api.content_type.starts_with("application/problem+json"));
    assert_eq!(nombre_etapes(&app, p).await, 1);

    // The CRIP evaluates: no report without a home visit; then the feedback is owed.
    app.login_as(Role::EquipeCentrale).await;
    let a = etape(
        &app,
        p,
        &[
            ("etape", "evaluation"),
            ("date", "2026-12-02"),
            ("parents_informes", "oui"),
            ("autres_mineurs", "1"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let refus = etape(
        &app,
        p,
        &[
            ("etape", "rapport"),
            ("date", "2026-12-05"),
            ("conclusion", "proposition"),
        ],
    )
    .await;
    assert_eq!(refus.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refus.body.contains("Visite au domicile"), "{}", refus.body);
    for champs in [
        &[
            ("etape", "visite"),
            ("date", "2026-12-04"),
            ("mineur_seul", "age"),
        ][..],
        &[
            ("etape", "rapport"),
            ("date", "2026-12-05"),
            ("conclusion", "proposition"),
        ][..],
    ] {
        let a = etape(&app, p, champs).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    let page = app.get(&format!("/procedures/{p}")).await;
    // IP_FEEDBACK: 3 months after the decision.
    assert!(page.body.contains("05/03/2027"), "{}", page.body);
    let a = etape(
        &app,
        p,
        &[("etape", "retour_informant"), ("date", "2026-12-07")],
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    // The CRIP's figures count it, without naming the child.
    let c = app.get("/crip/chiffres").await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert!(c.body.contains("<svg"));
    assert!(
        c.body.contains("Conclue en moins d&#39;un mois")
            || c.body.contains("Conclue en moins d'un mois")
    );
    assert!(!c.body.contains("Kerbrat"));
    let csv = app.get("/crip/chiffres.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .contains("Douze mois;1;0;1;0;1;0;100,0 %;4,0;1 / 1"),
        "{}",
        csv.body
    );
    let x = app.get("/crip/chiffres.xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    let api = app.json("GET", "/api/v1/crip/chiffres", None, None).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["total"]["recues"], 1);
    assert_eq!(v["total"]["propositions_administratives"], 1);
    assert_eq!(v["total"]["par_origine"]["sante"], 1);
    assert!(c.body.contains("href=\"/echeances\""));
    app.login_as(Role::Direction).await;
    let c = app.get("/crip/chiffres").await;
    assert_eq!(c.status, StatusCode::OK);
    assert!(
        !c.body.contains("href=\"/echeances\""),
        "lien que la direction ne peut ouvrir"
    );
    assert_eq!(
        app.get(&format!("/procedures/{p}")).await.status,
        StatusCode::FORBIDDEN,
        "la direction ne lit aucun dossier"
    );
}
