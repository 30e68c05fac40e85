//! The routes of `rgpd`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{api, conservation, pages, registre};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/personnes/{id}/rgpd", RgpdGerer, get(pages::show)),
        r(
            M::POST,
            "/personnes/{id}/rgpd/consentements",
            RgpdGerer,
            post(pages::consentement),
        ),
        r(
            M::POST,
            "/personnes/{id}/rgpd/demandes",
            RgpdGerer,
            post(pages::demande),
        ),
        r(
            M::POST,
            "/personnes/{id}/rgpd/demandes/{demande}/{action}",
            RgpdGerer,
            post(pages::demande_action),
        ),
        r(
            M::GET,
            "/personnes/{id}/rgpd/export",
            RgpdGerer,
            get(pages::export),
        ),
        r(
            M::GET,
            "/rgpd/transmissions",
            RgpdGerer,
            get(pages::transmissions),
        ),
        r(
            M::GET,
            "/rgpd/demandes",
            RgpdRegistreLire,
            get(registre::registre),
        ),
        r(
            M::POST,
            "/rgpd/transmissions/{id}/traitee",
            RgpdGerer,
            post(pages::transmission_traitee),
        ),
        r(
            M::GET,
            "/rgpd/conservation",
            RgpdGerer,
            get(conservation::conservation),
        ),
        r(
            M::POST,
            "/rgpd/conservation/simulation",
            RgpdGerer,
            post(conservation::simulation),
        ),
        r(
            M::GET,
            "/rgpd/conservation/{id}",
            RgpdGerer,
            get(conservation::passe),
        ),
        r(
            M::POST,
            "/rgpd/conservation/{id}/application",
            RgpdGerer,
            post(conservation::application),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}/consentements",
            RgpdGerer,
            get(api::consentements),
        ),
        r(
            M::POST,
            "/api/v1/personnes/{id}/consentements",
            RgpdGerer,
            post(api::consentement_add),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}/demandes-rgpd",
            RgpdGerer,
            get(api::demandes),
        ),
        r(
            M::POST,
            "/api/v1/personnes/{id}/demandes-rgpd",
            RgpdGerer,
            post(api::demande_add),
        ),
        r(
            M::GET,
            "/api/v1/personnes/{id}/export",
            RgpdGerer,
            get(api::export),
        ),
    ]
}
