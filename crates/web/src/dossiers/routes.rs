//! The routes of `dossiers`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{acces, api, documents, pages, plan};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(
            M::POST,
            "/personnes/{id}/dossiers",
            DossiersEcrire,
            post(pages::open),
        ),
        r(
            M::GET,
            "/personnes/{id}/acces-motive",
            AccesMotiveDemander,
            get(acces::acces_form),
        ),
        r(
            M::POST,
            "/personnes/{id}/acces-motive",
            AccesMotiveDemander,
            post(acces::acces_create),
        ),
        r(
            M::GET,
            "/acces-motives",
            AccesMotivesLire,
            get(acces::acces_list),
        ),
        r(M::GET, "/dossiers/{id}", DossiersLire, get(pages::show)),
        r(
            M::POST,
            "/dossiers/{id}/ecrits",
            DossiersEcrire,
            post(pages::ecrit_add),
        ),
        r(
            M::GET,
            "/dossiers/{id}/ecrits/{ecrit}",
            DossiersLire,
            get(pages::ecrit_show),
        ),
        r(
            M::POST,
            "/dossiers/{id}/ecrits/{ecrit}/correction",
            DossiersEcrire,
            post(pages::ecrit_correct),
        ),
        r(
            M::POST,
            "/dossiers/{id}/documents",
            DossiersEcrire,
            post(documents::document_add).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        r(
            M::GET,
            "/dossiers/{id}/documents/{document}",
            DossiersLire,
            get(documents::document_get),
        ),
        r(
            M::POST,
            "/dossiers/{id}/referents",
            DossiersEcrire,
            post(plan::referent_set),
        ),
        r(
            M::POST,
            "/dossiers/{id}/plan",
            DossiersEcrire,
            post(plan::plan_add),
        ),
        r(
            M::POST,
            "/dossiers/{id}/plan/{item}/resultat",
            DossiersEcrire,
            post(plan::plan_resultat),
        ),
        r(
            M::POST,
            "/dossiers/{id}/cloture",
            DossiersEcrire,
            post(plan::close),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}/ecrits",
            DossiersLire,
            get(api::ecrits),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/ecrits",
            DossiersEcrire,
            post(api::ecrit_create),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}",
            DossiersLire,
            get(api::dossier),
        ),
        r(
            M::GET,
            "/api/v1/dossiers/{id}/documents/{document}",
            DossiersLire,
            get(api::document),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/plan",
            DossiersEcrire,
            post(api::plan_add),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/referents",
            DossiersEcrire,
            post(api::referent_set),
        ),
        r(
            M::POST,
            "/api/v1/dossiers/{id}/documents",
            DossiersEcrire,
            post(api::document_add).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
    ]
}
