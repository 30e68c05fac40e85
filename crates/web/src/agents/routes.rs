//! The routes of `agents`, each with the action it performs (see `crate::routes`).

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
        r(M::GET, "/agents", AgentsLire, get(pages::list)),
        r(M::GET, "/agents/nouveau", AgentsGerer, get(pages::new_form)),
        r(M::POST, "/agents/nouveau", AgentsGerer, post(pages::create)),
        r(M::GET, "/agents/{id}", AgentsLire, get(pages::edit_form)),
        r(M::POST, "/agents/{id}", AgentsGerer, post(pages::update)),
        r(
            M::POST,
            "/agents/{id}/fermer",
            AgentsGerer,
            post(pages::close),
        ),
        r(
            M::GET,
            "/agents/{id}/mot-de-passe",
            AgentsGerer,
            get(pages::password_form),
        ),
        r(
            M::POST,
            "/agents/{id}/mot-de-passe",
            AgentsGerer,
            post(pages::set_password),
        ),
        r(M::GET, "/api/v1/agents", AgentsLire, get(api::agents)),
        r(
            M::POST,
            "/api/v1/agents",
            AgentsGerer,
            post(api::agent_create),
        ),
        r(M::GET, "/api/v1/agents/{id}", AgentsLire, get(api::agent)),
    ]
}
