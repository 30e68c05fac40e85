//! « Qui a vu ce dossier » : for the référents of a dossier and the cadres of the teams that follow it,
//! who read or changed what in it, when (local time) and why, from the audit log, in plain French.
//! Looking at this list is itself audited. The same list for the person, by function and service
//! without agent names, is [`pour_la_personne`], for the RGPD access archive.

use axum::extract::State;
use axum::response::Response;
use parcours_domain::audit::libelles;
use parcours_domain::dossiers::secret::DossierAcces;
use parcours_domain::habilitations::{Principal, Role};
use parcours_domain::referentiel::metier_libelle;
use parcours_store::consultations::{self as store, Consultation};
use parcours_store::{audit, Conn};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Path, Query, WebError, WebResult};
use crate::pages::{page_number, render, Cell, Column, Pagination, TablePage, PER_PAGE};
use crate::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    pub page: Option<String>,
}

/// Whether the principal may see who accessed the dossier: one of its current référents, or a cadre
/// of a team that follows it (same service, one of its sites).
pub fn peut_voir(p: &Principal, l: &DossierAcces) -> bool {
    let Some(agent) = p.agent_id else {
        return false;
    };
    l.referents.contains(&agent)
        || (p.role == Role::Cadre && l.equipes.iter().any(|e| e.comprend(p)))
}

/// The agent's function: their job, or failing that their role.
fn fonction(c: &Consultation) -> String {
    match (&c.metier, c.role.as_deref().and_then(Role::parse)) {
        (Some(m), _) if !m.is_empty() => metier_libelle(m).to_string(),
        (_, Some(r)) => r.libelle().to_string(),
        _ => String::new(),
    }
}

fn auteur(c: &Consultation) -> String {
    match (&c.agent_nom, c.token_id) {
        (_, Some(t)) => format!("Application (jeton d'API n° {t})"),
        (Some(n), None) => n.clone(),
        (None, None) => "Parcours (tâche automatique)".into(),
    }
}

/// `GET /dossiers/{id}/consultations`. Outside its readers the dossier answers 404, as elsewhere.
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut tx = state.store.begin().await?;
    let lecteurs = store::lecteurs(&mut tx, &dep, id).await?;
    if !peut_voir(&ctx.principal, &lecteurs) {
        return Err(WebError::NotFound);
    }
    let page = page_number(q.page.as_deref());
    let (entries, total) =
        store::du_dossier(&mut tx, &dep, id, PER_PAGE, (page - 1) * PER_PAGE).await?;
    audit::append(
        &mut tx,
        &dep,
        &ctx.event("consultations", "dossier", id)
            .purpose("contrôle des accès au dossier"),
    )
    .await?;
    tx.commit().await?;
    let rows = entries
        .iter()
        .map(|c| {
            vec![
                Cell::text(libelles::heure_locale(
                    &c.at,
                    parcours_store::clock().zone(),
                )),
                Cell::text(auteur(c)),
                Cell::text(fonction(c)),
                Cell::text(c.service.clone().unwrap_or_default()),
                Cell::text(libelles::action(&c.action, &c.record_type)),
                Cell::text(c.purpose.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let t = TablePage {
        l: ctx.layout(),
        title: format!("Qui a consulté le dossier n° {id}"),
        intro: Some(
            "Chaque lecture et chaque modification de ce dossier, de ses écrits, de ses documents et de son plan d'action, et chaque accès motivé à la personne, tels que le journal d'audit les a enregistrés (heure de Paris). Cette consultation est elle-même enregistrée."
                .into(),
        ),
        actions: vec![(format!("/dossiers/{id}"), "Retour au dossier".into())],
        filters: vec![],
        filter_action: String::new(),
        columns: ["Date", "Agent", "Fonction", "Service", "Ce qui a été fait", "Motif"]
            .into_iter()
            .map(Column::plain)
            .collect(),
        rows,
        pagination: Some(Pagination::new(
            &format!("/dossiers/{id}/consultations"),
            page,
            PER_PAGE,
            total,
        )),
        caption: "Accès au dossier, les plus récents d'abord".into(),
        empty: "Aucun accès enregistré.".into(),
    };
    Ok(render(&t))
}

/// One access to a person's data as the person is told of it: no agent name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccesPourLaPersonne {
    /// Local time, `JJ/MM/AAAA à HH:MM`.
    pub date: String,
    /// The agent's function (job or role); empty for an automatic task.
    pub fonction: String,
    pub service: String,
    /// What was done, in plain French.
    pub action: String,
    pub motif: String,
}

/// Every access to the person's fiche and to the dossiers they are the subject of, oldest first,
/// « par fonction et service » (the agents' names are left out), for the RGPD access archive.
pub async fn pour_la_personne(
    conn: &mut Conn,
    dep: &str,
    personne_id: i64,
) -> parcours_store::Result<Vec<AccesPourLaPersonne>> {
    Ok(store::de_la_personne(conn, dep, personne_id)
        .await?
        .iter()
        .map(|c| AccesPourLaPersonne {
            date: libelles::heure_locale(&c.at, parcours_store::clock().zone()),
            fonction: if c.agent_id.is_some() {
                fonction(c)
            } else if c.token_id.is_some() {
                "Application partenaire".into()
            } else {
                "Traitement automatique".into()
            },
            service: c.service.clone().unwrap_or_default(),
            action: libelles::action(&c.action, &c.record_type),
            motif: c.purpose.clone().unwrap_or_default(),
        })
        .collect())
}
