//! The routes of `agenda`, each with the action it performs (see `crate::routes`).

use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use parcours_domain::habilitations::policy::Action;

use super::{agendas, api, attente, ical, rendez_vous, salles, sessions};
use crate::routes::{r, RouteDef};
use crate::AppState;

pub(crate) fn routes() -> Vec<(RouteDef, MethodRouter<AppState>)> {
    use Action::*;
    use Method as M;
    vec![
        r(M::GET, "/agenda", AgendaLire, get(agendas::accueil)),
        r(M::GET, "/static/agenda.css", Public, get(salles::css)),
        r(M::GET, "/agenda/ical/{jeton}", Public, get(ical::ical_feed)),
        r(M::GET, "/agenda/salles", AgendaLire, get(salles::salles)),
        r(
            M::POST,
            "/agenda/salles",
            AgendaGerer,
            post(salles::salle_create),
        ),
        r(
            M::GET,
            "/agenda/agents/{id}",
            AgendaLire,
            get(agendas::semaine),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/plages",
            AgendaGerer,
            post(agendas::plage_create),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/plages/{plage}/supprimer",
            AgendaGerer,
            post(agendas::plage_delete),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/absences",
            AgendaGerer,
            post(agendas::absence_create),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/absences/{absence}/supprimer",
            AgendaGerer,
            post(agendas::absence_delete),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/ical",
            AgendaGerer,
            post(ical::ical_create),
        ),
        r(
            M::POST,
            "/agenda/agents/{id}/ical/revoquer",
            AgendaGerer,
            post(ical::ical_revoke),
        ),
        r(M::GET, "/rendez-vous", AgendaLire, get(rendez_vous::list)),
        r(
            M::GET,
            "/rendez-vous/nouveau",
            RendezVousGerer,
            get(rendez_vous::new_form),
        ),
        r(
            M::POST,
            "/rendez-vous/nouveau",
            RendezVousGerer,
            post(rendez_vous::create),
        ),
        r(
            M::GET,
            "/rendez-vous/attente",
            AgendaLire,
            get(attente::attente),
        ),
        r(
            M::POST,
            "/rendez-vous/attente",
            RendezVousGerer,
            post(attente::attente_create),
        ),
        r(
            M::POST,
            "/rendez-vous/attente/{id}/retirer",
            RendezVousGerer,
            post(attente::attente_retirer),
        ),
        r(
            M::GET,
            "/rendez-vous/{id}",
            AgendaLire,
            get(rendez_vous::detail),
        ),
        r(
            M::POST,
            "/rendez-vous/{id}/statut",
            RendezVousGerer,
            post(rendez_vous::set_statut),
        ),
        r(
            M::POST,
            "/rendez-vous/{id}/deplacer",
            RendezVousGerer,
            post(rendez_vous::deplacer),
        ),
        r(
            M::POST,
            "/rendez-vous/{id}/proposer",
            RendezVousGerer,
            post(rendez_vous::proposer),
        ),
        r(
            M::GET,
            "/actions-collectives",
            AgendaLire,
            get(sessions::sessions),
        ),
        r(
            M::POST,
            "/actions-collectives",
            AgendaGerer,
            post(sessions::session_create),
        ),
        r(
            M::GET,
            "/actions-collectives/{id}",
            AgendaLire,
            get(sessions::session),
        ),
        r(
            M::POST,
            "/actions-collectives/{id}/inscriptions",
            RendezVousGerer,
            post(sessions::session_register),
        ),
        r(
            M::GET,
            "/api/v1/creneaux",
            CreneauxLire,
            get(api::api_creneaux),
        ),
        r(
            M::GET,
            "/api/v1/rendez-vous",
            AgendaLire,
            get(api::api_list),
        ),
        r(
            M::POST,
            "/api/v1/rendez-vous",
            RendezVousGerer,
            post(api::api_create),
        ),
        r(
            M::GET,
            "/api/v1/rendez-vous/{id}",
            AgendaLire,
            get(api::api_get),
        ),
        r(
            M::POST,
            "/api/v1/rendez-vous/{id}/statut",
            RendezVousGerer,
            post(api::api_statut),
        ),
        r(
            M::POST,
            "/api/v1/rendez-vous/{id}/deplacement",
            RendezVousGerer,
            post(api::api_deplacer),
        ),
    ]
}
