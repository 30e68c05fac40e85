//! The route × role matrix: every route of the table is called by every role and by an anonymous
//! visitor, and the answer must be the one expected here. A route added to the table without an entry
//! here fails the suite.

mod common;

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use common::TestApp;
use parcours_domain::habilitations::Role;

/// Who may call each route. `*` = any signed-in agent; `public` = anyone.
fn expected() -> BTreeMap<&'static str, &'static str> {
    let all_staff = "accueil travailleur_social cadre equipe_centrale administrateur direction dpo";
    BTreeMap::from([
        ("GET /healthz", "public"),
        ("GET /metrics", "administrateur"),
        ("GET /static/parcours.css", "public"),
        ("GET /static/logo", "public"),
        ("GET /connexion", "public"),
        ("POST /connexion", "public"),
        ("GET /auth/oidc/depart", "public"),
        ("GET /auth/oidc/retour", "public"),
        ("POST /deconnexion", "*"),
        ("GET /", "*"),
        ("GET /compte", "*"),
        ("POST /compte/mot-de-passe", "*"),
        ("GET /referentiel", all_staff),
        ("GET /referentiel/communes", all_staff),
        ("GET /referentiel/communes/{insee}", all_staff),
        ("POST /referentiel/communes/{insee}", "administrateur"),
        ("GET /referentiel/resolution", all_staff),
        ("GET /referentiel/import", "administrateur"),
        ("POST /referentiel/import", "administrateur"),
        ("GET /referentiel/import/{id}", "administrateur"),
        ("POST /referentiel/import/{id}/appliquer", "administrateur"),
        ("POST /referentiel/import/{id}/abandonner", "administrateur"),
        ("GET /referentiel/{entite}", all_staff),
        ("GET /referentiel/{entite}/nouveau", "administrateur"),
        ("POST /referentiel/{entite}/nouveau", "administrateur"),
        ("GET /referentiel/{entite}/{id}", all_staff),
        ("POST /referentiel/{entite}/{id}", "administrateur"),
        ("POST /referentiel/{entite}/{id}/fermer", "administrateur"),
        ("POST /referentiel/{entite}/{id}/rouvrir", "administrateur"),
        ("GET /agents", "cadre administrateur"),
        ("GET /agents/nouveau", "administrateur"),
        ("POST /agents/nouveau", "administrateur"),
        ("GET /agents/{id}", "cadre administrateur"),
        ("POST /agents/{id}", "administrateur"),
        ("POST /agents/{id}/fermer", "administrateur"),
        ("POST /agents/{id}/mot-de-passe", "administrateur"),
        ("GET /groupes-projet", all_staff),
        (
            "GET /groupes-projet/nouveau",
            "cadre direction administrateur",
        ),
        (
            "POST /groupes-projet/nouveau",
            "cadre direction administrateur",
        ),
        ("GET /groupes-projet/{id}", all_staff),
        ("POST /groupes-projet/{id}/inscription", all_staff),
        ("POST /groupes-projet/{id}/retrait", all_staff),
        (
            "POST /groupes-projet/{id}/import",
            "cadre direction administrateur",
        ),
        (
            "POST /groupes-projet/{id}/publier",
            "cadre direction administrateur",
        ),
        (
            "POST /groupes-projet/{id}/tirer",
            "cadre direction administrateur",
        ),
        ("GET /groupes-projet/{id}/verification", all_staff),
        ("GET /groupes-projet/{id}/fichiers/{nom}", all_staff),
        ("GET /audit", "dpo"),
        ("GET /admin/taches", "administrateur"),
        ("POST /admin/taches/{id}/relancer", "administrateur"),
        ("POST /admin/taches/verifier-audit", "administrateur"),
        ("GET /admin/jetons", "administrateur"),
        ("POST /admin/jetons", "administrateur"),
        ("POST /admin/jetons/{id}/revoquer", "administrateur"),
        ("GET /api/v1/openapi.json", "public"),
        ("GET /api/v1/territoires", all_staff),
        ("POST /api/v1/territoires", "administrateur"),
        ("GET /api/v1/sites", all_staff),
        ("GET /api/v1/secteurs", all_staff),
        ("GET /api/v1/services", all_staff),
        ("GET /api/v1/permanences", all_staff),
        ("GET /api/v1/communes", all_staff),
        ("GET /api/v1/communes/{insee}/secteur", all_staff),
        ("GET /api/v1/agents", "cadre administrateur"),
        ("POST /api/v1/agents", "administrateur"),
        ("GET /api/v1/agents/{id}", "cadre administrateur"),
    ])
}

fn concrete(path: &str, app: &TestApp) -> String {
    let id = if path.starts_with("/agents") || path.starts_with("/api/v1/agents") {
        app.fx.agent(Role::Accueil)
    } else if path.starts_with("/referentiel/{entite}") {
        app.fx.territoire_b
    } else {
        999_999
    };
    path.replace("{entite}", "territoires")
        .replace("{insee}", "96001")
        .replace("{nom}", "features.csv")
        .replace("{id}", &id.to_string())
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_policy_says() {
    let table = parcours_web::routes::table();
    let expected = expected();
    for (def, _) in &table {
        let key = format!("{} {}", def.method, def.path);
        assert!(
            expected.contains_key(key.as_str()),
            "la route {key} n'a pas de règle attendue dans ce test"
        );
    }
    assert_eq!(
        table.len(),
        expected.len(),
        "une règle attendue ne correspond à aucune route"
    );

    let mut who: Vec<Option<Role>> = vec![None];
    who.extend(Role::ALL.iter().copied().map(Some));
    for role in who {
        let mut app = TestApp::new().await;
        if let Some(r) = role {
            let a = app.login_as(r).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "connexion de {r:?}");
        }
        // Logout last: it ends the session the other calls need.
        let mut defs: Vec<_> = table.iter().map(|(d, _)| d.clone()).collect();
        defs.sort_by_key(|d| d.path == "/deconnexion");
        for def in defs {
            let key = format!("{} {}", def.method, def.path);
            let rule = expected[key.as_str()];
            let allowed = match (rule, role) {
                ("public", _) => true,
                (_, None) => false,
                ("*", Some(_)) => true,
                (list, Some(r)) => list.split(' ').any(|c| c == r.code()),
            };
            let path = concrete(def.path, &app);
            let api = path.starts_with("/api/");
            let answer = if def.method == Method::GET {
                app.get(&path).await
            } else if api {
                app.json("POST", &path, None, Some("{}")).await
            } else {
                app.post(&path, &[]).await
            };
            let who = role.map(|r| r.code()).unwrap_or("anonyme");
            if allowed {
                assert!(
                    answer.status != StatusCode::FORBIDDEN
                        && answer.status != StatusCode::UNAUTHORIZED
                        && !answer
                            .location
                            .as_deref()
                            .unwrap_or("")
                            .starts_with("/connexion?suite"),
                    "{who} devrait pouvoir appeler {key} ({path}) : {} {:?}",
                    answer.status,
                    answer.location
                );
                assert!(
                    answer.status != StatusCode::INTERNAL_SERVER_ERROR,
                    "{who} {key} : erreur interne\n{}",
                    answer.body
                );
            } else if role.is_none() {
                if api {
                    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "anonyme {key}");
                    assert!(answer.content_type.starts_with("application/problem+json"));
                } else {
                    assert_eq!(answer.status, StatusCode::SEE_OTHER, "anonyme {key}");
                    assert!(
                        answer
                            .location
                            .as_deref()
                            .unwrap_or("")
                            .starts_with("/connexion"),
                        "anonyme {key}"
                    );
                }
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{who} ne devrait pas pouvoir appeler {key} ({path})"
                );
                if api {
                    assert!(
                        answer.content_type.starts_with("application/problem+json"),
                        "{key}"
                    );
                } else {
                    assert!(answer.body.contains("Accès refusé"), "{key}");
                }
            }
        }
    }
}
