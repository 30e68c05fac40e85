//! The audit screen of the data-protection officer: entries filtered by agent, action, record and
//! period (local days), newest first, in plain French (what was done, on which record, Paris time).

use axum::extract::State;
use axum::response::Response;
use parcours_domain::audit::libelles;
use parcours_store::agents::{self, AgentFilter, AgentSort};
use parcours_store::audit::{self as store, AuditFilter};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Query, WebResult};
use crate::pages::{
    enc, options, page_number, render, Cell, Column, Field, Pagination, TablePage, PER_PAGE,
};
use crate::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    pub agent: Option<String>,
    pub action: Option<String>,
    pub type_enregistrement: Option<String>,
    pub enregistrement: Option<String>,
    pub du: Option<String>,
    pub au: Option<String>,
    pub page: Option<String>,
}

/// The start of a local day (`YYYY-MM-DD`, Paris time) as a stored UTC time.
fn debut_du_jour(s: &Option<String>, jours_apres: i64) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(s.as_deref()?.trim(), "%Y-%m-%d").ok()?
        + chrono::Duration::days(jours_apres);
    // Midnight exists on every day in Paris (the clocks change at 2 or 3 in the morning).
    let local = d
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(parcours_store::clock().zone())
        .earliest()?;
    Some(parcours_store::format_time(
        local.with_timezone(&chrono::Utc),
    ))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> WebResult<Response> {
    let dep = ctx.dep().to_string();
    let mut conn = state.store.read().await?;
    let filter = AuditFilter {
        agent_id: q.agent.as_deref().and_then(|a| a.parse().ok()),
        record_type: q
            .type_enregistrement
            .clone()
            .filter(|t| !t.trim().is_empty()),
        record_id: q.enregistrement.clone().filter(|t| !t.trim().is_empty()),
        from: debut_du_jour(&q.du, 0),
        to: None,
        before: debut_du_jour(&q.au, 1),
        action: q.action.clone().filter(|a| !a.trim().is_empty()),
    };
    let page = page_number(q.page.as_deref());
    let (entries, total) =
        store::list(&mut conn, &dep, &filter, PER_PAGE, (page - 1) * PER_PAGE).await?;
    let (all_agents, _) = agents::list(
        &mut conn,
        &dep,
        &AgentFilter {
            inclure_fermes: true,
            ..Default::default()
        },
        AgentSort::Nom,
        5000,
        0,
    )
    .await?;
    let name = |id: Option<i64>| match id {
        Some(id) => all_agents
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.nom_complet())
            .unwrap_or_else(|| format!("agent n° {id}")),
        None => "—".into(),
    };
    let mut base = String::from("/audit?");
    for (k, v) in [
        ("agent", &q.agent),
        ("action", &q.action),
        ("type_enregistrement", &q.type_enregistrement),
        ("enregistrement", &q.enregistrement),
        ("du", &q.du),
        ("au", &q.au),
    ] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            base.push_str(&format!("{k}={}&", enc(v)));
        }
    }
    let base = base.trim_end_matches(['&', '?']).to_string();
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                Cell::text(e.seq.to_string()),
                Cell::text(libelles::heure_locale(
                    &e.at,
                    parcours_store::clock().zone(),
                )),
                Cell::text(match (e.agent_id, e.token_id) {
                    (_, Some(t)) => format!("jeton d'API n° {t}"),
                    (None, None) => "Parcours (tâche automatique)".into(),
                    (a, None) => name(a),
                }),
                Cell::text(libelles::action(&e.action, &e.record_type)),
                Cell::link(
                    format!(
                        "{} (n° {})",
                        libelles::enregistrement(&e.record_type),
                        e.record_id
                    ),
                    format!(
                        "/audit?type_enregistrement={}&enregistrement={}",
                        enc(&e.record_type),
                        enc(&e.record_id)
                    ),
                ),
                Cell::text(e.purpose.clone().unwrap_or_default()),
                Cell::text(e.request_id.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let t = TablePage {
        l: ctx.layout(),
        title: "Journal d'audit".into(),
        intro: Some("Chaque lecture et chaque écriture de données personnelles, chaque changement d'administration et chaque refus d'accès. Le journal est chaîné par empreintes SHA-256 et la base refuse d'en modifier ou d'en supprimer une entrée ; la commande « parcours audit verify » et la tâche quotidienne de vérification détectent toute altération, y compris une réécriture complète grâce aux jalons signés conservés hors de la base. Heures de Paris.".into()),
        actions: vec![],
        filters: vec![
            Field::text("agent", "Agent", q.agent.as_deref().unwrap_or("")).select(options("Tous les agents", all_agents.iter().map(|a| (a.id.to_string(), format!("{} ({})", a.nom_complet(), a.matricule))))),
            Field::text("action", "Action", q.action.as_deref().unwrap_or("")).select(options("Toutes les actions", libelles::ACTIONS.iter().map(|(c, l)| (c.to_string(), l.to_string())))),
            Field::text("type_enregistrement", "Enregistrement", q.type_enregistrement.as_deref().unwrap_or("")).select(options("Tous les enregistrements", type_options(q.type_enregistrement.as_deref()))),
            Field::text("enregistrement", "Identifiant de l'enregistrement", q.enregistrement.as_deref().unwrap_or("")),
            Field::text("du", "Du", q.du.as_deref().unwrap_or("")).kind("date"),
            Field::text("au", "Au", q.au.as_deref().unwrap_or("")).kind("date"),
        ],
        filter_action: "/audit".into(),
        columns: ["N°", "Date (heure de Paris)", "Auteur", "Ce qui a été fait", "Enregistrement", "Finalité", "Requête"].into_iter().map(Column::plain).collect(),
        rows,
        pagination: Some(Pagination::new(&base, page, PER_PAGE, total)),
        caption: "Entrées du journal, les plus récentes d'abord".into(),
        empty: "Aucune entrée ne correspond à ces filtres.".into(),
    };
    Ok(render(&t))
}

/// The record kinds offered by the filter, in French; a kind given in the address (a link from a
/// row) is kept even if it is not in the usual list.
fn type_options(current: Option<&str>) -> Vec<(String, String)> {
    let mut types: Vec<&str> = libelles::TYPES.to_vec();
    if let Some(c) = current.filter(|c| !c.is_empty() && !types.contains(c)) {
        types.push(c);
    }
    types
        .into_iter()
        .map(|t| {
            let l = libelles::enregistrement(t);
            let mut chars = l.chars();
            let capitalised = chars
                .next()
                .map(|f| f.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default();
            (t.to_string(), capitalised)
        })
        .collect()
}
