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
        ("GET /static/parcours.js", "public"),
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
        ("GET /agents/{id}/mot-de-passe", "administrateur"),
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
        (
            "GET /personnes",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/nouvelle",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/nouvelle",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/{id}",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/{id}/modifier",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/{id}/modifier",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/{id}/adresse",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/{id}/adresse",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/{id}/deces",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/{id}/deces",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/{id}/situation",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/{id}/situation",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/{id}/foyer",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /foyers/{id}",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /foyers/{id}/membres",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /foyers/{id}/membres/{membre}/depart",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /personnes/{id}/dossiers",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /personnes/{id}/acces-motive",
            "travailleur_social cadre",
        ),
        (
            "POST /personnes/{id}/acces-motive",
            "travailleur_social cadre",
        ),
        ("GET /acces-motives", "cadre dpo"),
        (
            "GET /dossiers/{id}/procedures/nouvelle",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/procedures",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /procedures/{id}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /procedures/{id}/etapes",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /procedures/{id}/echeances/{echeance}/prolongation",
            "travailleur_social cadre equipe_centrale",
        ),
        ("GET /echeances", "travailleur_social cadre equipe_centrale"),
        ("GET /echeances/retards", "cadre direction equipe_centrale"),
        (
            "GET /procedures/chiffres",
            "cadre direction equipe_centrale",
        ),
        (
            "GET /procedures/chiffres.csv",
            "cadre direction equipe_centrale",
        ),
        (
            "GET /procedures/chiffres.xlsx",
            "cadre direction equipe_centrale",
        ),
        (
            "GET /echeances/retards.csv",
            "cadre direction equipe_centrale",
        ),
        ("GET /aides", "travailleur_social cadre"),
        ("GET /dossiers/{id}/budget", "travailleur_social cadre"),
        ("POST /dossiers/{id}/budget", "travailleur_social cadre"),
        (
            "GET /dossiers/{id}/aides/nouvelle",
            "travailleur_social cadre",
        ),
        ("POST /dossiers/{id}/aides", "travailleur_social cadre"),
        ("GET /aides/demandes/{id}", "travailleur_social cadre"),
        (
            "POST /aides/demandes/{id}/pieces",
            "travailleur_social cadre",
        ),
        (
            "POST /aides/demandes/{id}/decision",
            "travailleur_social cadre",
        ),
        (
            "POST /aides/demandes/{id}/commission",
            "travailleur_social cadre",
        ),
        (
            "POST /aides/demandes/{id}/recours",
            "travailleur_social cadre",
        ),
        (
            "GET /aides/demandes/{id}/notification.pdf",
            "travailleur_social cadre",
        ),
        (
            "POST /aides/demandes/{id}/recours/issue",
            "travailleur_social cadre",
        ),
        ("GET /aides/cartes", "cadre equipe_centrale"),
        ("GET /aides/cartes/nouvelle", "cadre equipe_centrale"),
        ("POST /aides/cartes", "cadre equipe_centrale"),
        ("GET /aides/cartes/{id}", "cadre equipe_centrale"),
        ("POST /aides/cartes/{id}/blocage", "cadre equipe_centrale"),
        ("GET /aides/commissions", "cadre"),
        ("POST /aides/commissions", "cadre"),
        ("GET /aides/commissions/{id}", "cadre"),
        (
            "POST /aides/commissions/{id}/demandes/{demande}/decision",
            "cadre",
        ),
        ("POST /aides/commissions/{id}/proces-verbal", "cadre"),
        ("GET /aides/paiements", "cadre equipe_centrale"),
        ("POST /aides/paiements/{id}/examen", "cadre equipe_centrale"),
        (
            "GET /aides/paiements/comptabilite.csv",
            "cadre equipe_centrale",
        ),
        ("GET /aides/catalogue", "*"),
        (
            "GET /aides/catalogue/nouveau",
            "equipe_centrale administrateur",
        ),
        ("POST /aides/catalogue", "equipe_centrale administrateur"),
        (
            "GET /aides/modele-notification",
            "equipe_centrale administrateur",
        ),
        (
            "POST /aides/modele-notification",
            "equipe_centrale administrateur",
        ),
        (
            "GET /aides/modele-notification/apercu.pdf",
            "equipe_centrale administrateur",
        ),
        (
            "GET /aides/modele-notification/logo",
            "equipe_centrale administrateur",
        ),
        (
            "POST /aides/modele-notification/logo",
            "equipe_centrale administrateur",
        ),
        (
            "POST /aides/modele-notification/logo/retrait",
            "equipe_centrale administrateur",
        ),
        ("GET /aides/catalogue/{code}", "*"),
        (
            "POST /aides/catalogue/{code}",
            "equipe_centrale administrateur",
        ),
        ("GET /aides/enveloppes", "cadre direction equipe_centrale"),
        ("POST /aides/enveloppes", "equipe_centrale administrateur"),
        ("GET /aides/chiffres", "cadre direction equipe_centrale"),
        ("GET /aides/chiffres.csv", "cadre direction equipe_centrale"),
        (
            "GET /aides/chiffres.xlsx",
            "cadre direction equipe_centrale",
        ),
        ("GET /api/v1/aides/fonds", "travailleur_social cadre"),
        (
            "GET /api/v1/dossiers/{id}/aides",
            "travailleur_social cadre",
        ),
        (
            "POST /api/v1/dossiers/{id}/aides",
            "travailleur_social cadre",
        ),
        (
            "GET /api/v1/aides/demandes/{id}",
            "travailleur_social cadre",
        ),
        (
            "POST /api/v1/aides/demandes/{id}/decision",
            "travailleur_social cadre",
        ),
        ("GET /api/v1/aides/paiements", "cadre equipe_centrale"),
        (
            "POST /api/v1/aides/demandes/{id}/recours/issue",
            "travailleur_social cadre",
        ),
        ("GET /api/v1/aides/cartes", "cadre equipe_centrale"),
        ("POST /api/v1/aides/cartes", "cadre equipe_centrale"),
        ("GET /api/v1/aides/cartes/{id}", "cadre equipe_centrale"),
        (
            "POST /api/v1/aides/cartes/{id}/blocage",
            "cadre equipe_centrale",
        ),
        (
            "POST /api/v1/aides/paiements/{id}/examen",
            "cadre equipe_centrale",
        ),
        (
            "GET /api/v1/aides/chiffres",
            "cadre direction equipe_centrale",
        ),
        ("GET /crip/chiffres", "direction equipe_centrale"),
        ("GET /crip/chiffres.csv", "direction equipe_centrale"),
        ("GET /crip/chiffres.xlsx", "direction equipe_centrale"),
        ("GET /api/v1/crip/chiffres", "direction equipe_centrale"),
        (
            "GET /api/v1/dossiers/{id}/procedures",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/dossiers/{id}/procedures",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/procedures/{id}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/procedures/{id}/etapes",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/procedures/{id}/echeances/{echeance}/prolongation",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/echeances",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/echeances/retards",
            "cadre direction equipe_centrale",
        ),
        (
            "GET /dossiers/{id}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /dossiers/{id}/consultations",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/ecrits",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /dossiers/{id}/ecrits/{ecrit}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/ecrits/{ecrit}/correction",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/documents",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /dossiers/{id}/documents/{document}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/referents",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/plan",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/plan/{item}/resultat",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /dossiers/{id}/cloture",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/cloture",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /dossiers/{id}/reouverture",
            "travailleur_social cadre equipe_centrale",
        ),
        ("GET /doublons", "cadre"),
        ("POST /doublons/analyse", "cadre"),
        ("GET /doublons/analyses/{id}", "cadre"),
        ("GET /doublons/fusions", "cadre"),
        ("POST /doublons/fusions/{id}/annulation", "cadre"),
        ("GET /doublons/{id}", "cadre"),
        ("POST /doublons/{id}/fusion", "cadre"),
        ("POST /doublons/{id}/distincts", "cadre"),
        ("GET /personnes/{id}/rgpd", "cadre"),
        ("POST /personnes/{id}/rgpd/consentements", "cadre"),
        ("POST /personnes/{id}/rgpd/demandes", "cadre"),
        (
            "POST /personnes/{id}/rgpd/demandes/{demande}/{action}",
            "cadre",
        ),
        ("GET /personnes/{id}/rgpd/export", "cadre"),
        ("GET /rgpd/transmissions", "cadre"),
        ("GET /rgpd/demandes", "dpo"),
        ("POST /rgpd/transmissions/{id}/traitee", "cadre"),
        ("GET /rgpd/conservation", "cadre"),
        ("POST /rgpd/conservation/simulation", "cadre"),
        ("GET /rgpd/conservation/{id}", "cadre"),
        ("POST /rgpd/conservation/{id}/application", "cadre"),
        ("GET /static/accueil.js", "public"),
        ("GET /accueil/contacts", "accueil travailleur_social cadre"),
        (
            "GET /accueil/contacts/nouveau",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /accueil/contacts/nouveau",
            "accueil travailleur_social cadre",
        ),
        ("GET /accueil/motifs", "administrateur"),
        ("POST /accueil/motifs", "administrateur"),
        ("POST /accueil/motifs/{id}/{action}", "administrateur"),
        ("GET /accueil/appui", "accueil travailleur_social cadre"),
        ("POST /accueil/appui", "accueil travailleur_social cadre"),
        (
            "POST /accueil/appui/{id}/prendre",
            "travailleur_social cadre",
        ),
        ("POST /accueil/appui/{id}/clore", "travailleur_social cadre"),
        (
            "POST /accueil/appui/{id}/annuler",
            "accueil travailleur_social cadre",
        ),
        ("GET /accueil/tableau", "accueil travailleur_social cadre"),
        ("POST /accueil/tableau", "cadre"),
        (
            "GET /api/v1/accueil/contacts",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /api/v1/accueil/contacts",
            "accueil travailleur_social cadre",
        ),
        (
            "GET /api/v1/accueil/appuis",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /api/v1/accueil/appuis",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /api/v1/accueil/appuis/{id}",
            "accueil travailleur_social cadre",
        ),
        (
            "GET /api/v1/accueil/tableau",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /rendez-vous/{id}/deplacer",
            "accueil travailleur_social",
        ),
        (
            "POST /rendez-vous/{id}/proposer",
            "accueil travailleur_social",
        ),
        (
            "POST /api/v1/rendez-vous/{id}/deplacement",
            "accueil travailleur_social",
        ),
        ("GET /agenda", "accueil travailleur_social cadre"),
        ("GET /static/agenda.css", "public"),
        ("GET /agenda/ical/{jeton}", "public"),
        ("GET /agenda/salles", "accueil travailleur_social cadre"),
        ("POST /agenda/salles", "travailleur_social cadre"),
        (
            "GET /agenda/agents/{id}",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /agenda/agents/{id}/plages",
            "travailleur_social cadre",
        ),
        (
            "POST /agenda/agents/{id}/plages/{plage}/supprimer",
            "travailleur_social cadre",
        ),
        (
            "POST /agenda/agents/{id}/absences",
            "travailleur_social cadre",
        ),
        (
            "POST /agenda/agents/{id}/absences/{absence}/supprimer",
            "travailleur_social cadre",
        ),
        ("POST /agenda/agents/{id}/ical", "travailleur_social cadre"),
        (
            "POST /agenda/agents/{id}/ical/revoquer",
            "travailleur_social cadre",
        ),
        ("GET /rendez-vous", "accueil travailleur_social cadre"),
        ("GET /rendez-vous.csv", "accueil travailleur_social cadre"),
        ("GET /rendez-vous.xlsx", "accueil travailleur_social cadre"),
        ("GET /rendez-vous/nouveau", "accueil travailleur_social"),
        ("POST /rendez-vous/nouveau", "accueil travailleur_social"),
        (
            "GET /rendez-vous/attente",
            "accueil travailleur_social cadre",
        ),
        ("POST /rendez-vous/attente", "accueil travailleur_social"),
        (
            "POST /rendez-vous/attente/{id}/retirer",
            "accueil travailleur_social",
        ),
        ("GET /rendez-vous/{id}", "accueil travailleur_social cadre"),
        (
            "GET /rendez-vous/{id}/convocation",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /rendez-vous/{id}/statut",
            "accueil travailleur_social",
        ),
        (
            "GET /actions-collectives",
            "accueil travailleur_social cadre",
        ),
        ("POST /actions-collectives", "travailleur_social cadre"),
        (
            "GET /actions-collectives/{id}",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /actions-collectives/{id}/inscriptions",
            "accueil travailleur_social",
        ),
        (
            "GET /accueil/chiffres",
            "accueil travailleur_social cadre equipe_centrale direction",
        ),
        (
            "GET /accueil/chiffres.csv",
            "accueil travailleur_social cadre equipe_centrale direction",
        ),
        (
            "GET /accueil/chiffres.xlsx",
            "accueil travailleur_social cadre equipe_centrale direction",
        ),
        (
            "GET /api/v1/accueil/chiffres",
            "accueil travailleur_social cadre equipe_centrale direction",
        ),
        ("GET /api/v1/creneaux", "accueil travailleur_social cadre"),
        (
            "GET /api/v1/rendez-vous",
            "accueil travailleur_social cadre",
        ),
        ("POST /api/v1/rendez-vous", "accueil travailleur_social"),
        (
            "GET /api/v1/rendez-vous/{id}",
            "accueil travailleur_social cadre",
        ),
        (
            "POST /api/v1/rendez-vous/{id}/statut",
            "accueil travailleur_social",
        ),
        ("GET /audit", "dpo"),
        ("GET /admin/taches", "administrateur"),
        ("POST /admin/taches/{id}/relancer", "administrateur"),
        ("POST /admin/taches/verifier-audit", "administrateur"),
        ("GET /admin/jetons", "administrateur"),
        ("POST /admin/jetons", "administrateur"),
        ("POST /admin/jetons/{id}/revoquer", "administrateur"),
        ("GET /api/v1/openapi.json", "public"),
        (
            "GET /api/v1/personnes",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/personnes",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/personnes/{id}",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/dossiers/{id}/ecrits",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/dossiers/{id}/ecrits",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/foyers/{id}",
            "accueil travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/dossiers/{id}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "GET /api/v1/dossiers/{id}/documents/{document}",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/dossiers/{id}/plan",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/dossiers/{id}/referents",
            "travailleur_social cadre equipe_centrale",
        ),
        (
            "POST /api/v1/dossiers/{id}/documents",
            "travailleur_social cadre equipe_centrale",
        ),
        ("GET /api/v1/personnes/{id}/consentements", "cadre"),
        ("POST /api/v1/personnes/{id}/consentements", "cadre"),
        ("GET /api/v1/personnes/{id}/demandes-rgpd", "cadre"),
        ("POST /api/v1/personnes/{id}/demandes-rgpd", "cadre"),
        ("GET /api/v1/personnes/{id}/export", "cadre"),
        ("GET /api/v1/doublons", "cadre"),
        ("POST /api/v1/doublons/{id}/fusion", "cadre"),
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
        .replace("{jeton}", "inconnu.ics")
        .replace("{plage}", "999999")
        .replace("{absence}", "999999")
        .replace("{membre}", "999999")
        .replace("{demande}", "999999")
        .replace("{action}", "repondre")
        .replace("{ecrit}", "999999")
        .replace("{document}", "999999")
        .replace("{item}", "999999")
        .replace("{echeance}", "999999")
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

/// Which token scope opens each API route (and `/metrics`): `public` = anyone, `` = no token ever.
fn expected_tokens() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("GET /metrics", "metriques:lire"),
        ("GET /api/v1/openapi.json", "public"),
        ("GET /api/v1/accueil/contacts", ""),
        ("POST /api/v1/accueil/contacts", "accueil:saisir"),
        ("GET /api/v1/accueil/appuis", ""),
        ("POST /api/v1/accueil/appuis", "accueil:saisir"),
        ("POST /api/v1/accueil/appuis/{id}", "accueil:saisir"),
        ("GET /api/v1/accueil/tableau", ""),
        ("GET /api/v1/accueil/chiffres", ""),
        ("GET /api/v1/creneaux", "creneaux:lire"),
        ("GET /api/v1/crip/chiffres", ""),
        ("GET /api/v1/rendez-vous", ""),
        ("POST /api/v1/rendez-vous", "rendez-vous:gerer"),
        ("GET /api/v1/rendez-vous/{id}", ""),
        ("POST /api/v1/rendez-vous/{id}/statut", "rendez-vous:gerer"),
        (
            "POST /api/v1/rendez-vous/{id}/deplacement",
            "rendez-vous:gerer",
        ),
        ("GET /api/v1/personnes", "personnes:rechercher"),
        ("POST /api/v1/personnes", ""),
        ("GET /api/v1/personnes/{id}", "personnes:rechercher"),
        ("GET /api/v1/personnes/{id}/consentements", ""),
        ("POST /api/v1/personnes/{id}/consentements", ""),
        ("GET /api/v1/personnes/{id}/demandes-rgpd", ""),
        ("POST /api/v1/personnes/{id}/demandes-rgpd", ""),
        ("GET /api/v1/personnes/{id}/export", ""),
        ("GET /api/v1/dossiers/{id}/ecrits", ""),
        ("POST /api/v1/dossiers/{id}/ecrits", ""),
        ("GET /api/v1/foyers/{id}", "personnes:rechercher"),
        ("GET /api/v1/dossiers/{id}", ""),
        ("GET /api/v1/dossiers/{id}/procedures", ""),
        ("POST /api/v1/dossiers/{id}/procedures", ""),
        ("GET /api/v1/procedures/{id}", ""),
        ("POST /api/v1/procedures/{id}/etapes", ""),
        (
            "POST /api/v1/procedures/{id}/echeances/{echeance}/prolongation",
            "",
        ),
        ("GET /api/v1/aides/fonds", ""),
        ("GET /api/v1/dossiers/{id}/aides", ""),
        ("POST /api/v1/dossiers/{id}/aides", ""),
        ("GET /api/v1/aides/demandes/{id}", ""),
        ("POST /api/v1/aides/demandes/{id}/decision", ""),
        ("GET /api/v1/aides/paiements", ""),
        ("POST /api/v1/aides/paiements/{id}/examen", ""),
        ("GET /api/v1/aides/chiffres", ""),
        ("POST /api/v1/aides/demandes/{id}/recours/issue", ""),
        ("GET /api/v1/aides/cartes", ""),
        ("POST /api/v1/aides/cartes", ""),
        ("GET /api/v1/aides/cartes/{id}", ""),
        ("POST /api/v1/aides/cartes/{id}/blocage", ""),
        ("GET /api/v1/echeances", ""),
        ("GET /api/v1/echeances/retards", ""),
        ("GET /api/v1/dossiers/{id}/documents/{document}", ""),
        ("POST /api/v1/dossiers/{id}/plan", ""),
        ("POST /api/v1/dossiers/{id}/referents", ""),
        ("POST /api/v1/dossiers/{id}/documents", ""),
        ("GET /api/v1/doublons", ""),
        ("POST /api/v1/doublons/{id}/fusion", ""),
        ("GET /api/v1/territoires", "referentiel:lire"),
        ("POST /api/v1/territoires", "referentiel:ecrire"),
        ("GET /api/v1/sites", "referentiel:lire"),
        ("GET /api/v1/secteurs", "referentiel:lire"),
        ("GET /api/v1/services", "referentiel:lire"),
        ("GET /api/v1/permanences", "referentiel:lire"),
        ("GET /api/v1/communes", "referentiel:lire"),
        ("GET /api/v1/communes/{insee}/secteur", "referentiel:lire"),
        ("GET /api/v1/agents", "agents:lire"),
        ("POST /api/v1/agents", "agents:ecrire"),
        ("GET /api/v1/agents/{id}", "agents:lire"),
    ])
}

#[tokio::test]
async fn every_api_route_answers_each_token_scope_as_the_policy_says() {
    let table = parcours_web::routes::table();
    let expected = expected_tokens();
    let programs: Vec<_> = table
        .iter()
        .map(|(d, _)| d.clone())
        .filter(|d| d.path.starts_with("/api/") || d.path == "/metrics")
        .collect();
    for def in &programs {
        let key = format!("{} {}", def.method, def.path);
        assert!(
            expected.contains_key(key.as_str()),
            "la route {key} n'a pas de portée de jeton attendue dans ce test"
        );
    }
    assert_eq!(programs.len(), expected.len());

    // One service account per scope, each acting on MDS-A (a site of the fixture).
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let mut tokens = vec![];
    for (scope, _) in parcours_domain::habilitations::policy::TOKEN_SCOPES {
        let scope: &str = scope;
        let site = app.fx.site_a;
        tokens.push((scope, app.jeton_sites(scope, &[scope], &[site]).await));
    }
    let app = TestApp {
        cookie: None,
        csrf: None,
        ..app
    };
    for def in &programs {
        let key = format!("{} {}", def.method, def.path);
        let rule = expected[key.as_str()];
        let path = concrete(def.path, &app);
        for (scope, secret) in &tokens {
            let answer = if def.method == Method::GET {
                app.json("GET", &path, Some(secret), None).await
            } else {
                app.json("POST", &path, Some(secret), Some("{}")).await
            };
            assert!(
                answer.location.is_none(),
                "{scope} {key} : jamais de redirection vers la connexion pour un jeton"
            );
            if rule == "public" || rule == *scope {
                assert!(
                    answer.status != StatusCode::FORBIDDEN
                        && answer.status != StatusCode::UNAUTHORIZED
                        && answer.status != StatusCode::INTERNAL_SERVER_ERROR,
                    "le jeton {scope} devrait pouvoir appeler {key} ({path}) : {}\n{}",
                    answer.status,
                    answer.body
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "le jeton {scope} ne devrait pas pouvoir appeler {key} ({path})"
                );
                assert!(
                    answer.content_type.starts_with("application/problem+json"),
                    "{scope} {key} : {}",
                    answer.content_type
                );
            }
        }
    }
}
