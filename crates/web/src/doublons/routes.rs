//! The routes of `doublons`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{api, pages};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/doublons", DoublonsGerer, get(pages::list)),
        r(
            M::POST,
            "/doublons/analyse",
            DoublonsGerer,
            post(pages::launch),
        ),
        r(
            M::GET,
            "/doublons/analyses/{id}",
            DoublonsGerer,
            get(pages::analyse),
        ),
        r(
            M::GET,
            "/doublons/fusions",
            DoublonsGerer,
            get(pages::fusions),
        ),
        r(
            M::POST,
            "/doublons/fusions/{id}/annulation",
            DoublonsGerer,
            post(pages::undo),
        ),
        r(M::GET, "/doublons/{id}", DoublonsGerer, get(pages::compare)),
        r(
            M::POST,
            "/doublons/{id}/fusion",
            DoublonsGerer,
            post(pages::merge),
        ),
        r(
            M::POST,
            "/doublons/{id}/distincts",
            DoublonsGerer,
            post(pages::distinct),
        ),
        r(
            M::GET,
            "/api/v1/doublons",
            DoublonsGerer,
            get(api::doublons_list),
        ),
        r(
            M::POST,
            "/api/v1/doublons/{id}/fusion",
            DoublonsGerer,
            post(api::fusion),
        ),
    ]
}
