//! The audit screen of the data-protection officer: entries filtered by agent, by record and by period,
//! newest first, and the state of the hash chain.

use axum::extract::State;
use axum::response::Response;
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
    pub type_enregistrement: Option<String>,
    pub enregistrement: Option<String>,
    pub du: Option<String>,
    pub au: Option<String>,
    pub page: Option<String>,
}

fn date(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|d| d.trim().to_string())
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
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
        from: date(&q.du),
        to: date(&q.au),
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
                Cell::text(e.at.replace('T', " ").chars().take(19).collect::<String>()),
                Cell::text(match (e.agent_id, e.token_id) {
                    (_, Some(t)) => format!("jeton d'API n° {t}"),
                    (a, None) => name(a),
                }),
                Cell::text(e.action.clone()),
                Cell::link(
                    format!("{} {}", e.record_type, e.record_id),
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
        intro: Some("Chaque lecture et chaque écriture de données personnelles, chaque changement d'administration et chaque refus d'accès. Le journal est chaîné par empreintes SHA-256 : la commande « parcours audit verify » et la tâche quotidienne de vérification détectent toute modification.".into()),
        actions: vec![],
        filters: vec![
            Field::text("agent", "Agent", q.agent.as_deref().unwrap_or("")).select(options("Tous les agents", all_agents.iter().map(|a| (a.id.to_string(), format!("{} ({})", a.nom_complet(), a.matricule))))),
            Field::text("type_enregistrement", "Type d'enregistrement", q.type_enregistrement.as_deref().unwrap_or("")).hint("Par exemple agent, site, commune, route."),
            Field::text("enregistrement", "Identifiant de l'enregistrement", q.enregistrement.as_deref().unwrap_or("")),
            Field::text("du", "Du", q.du.as_deref().unwrap_or("")).kind("date"),
            Field::text("au", "Au", q.au.as_deref().unwrap_or("")).kind("date"),
        ],
        filter_action: "/audit".into(),
        columns: ["N°", "Date (UTC)", "Auteur", "Action", "Enregistrement", "Finalité", "Requête"].into_iter().map(Column::plain).collect(),
        rows,
        pagination: Some(Pagination::new(&base, page, PER_PAGE, total)),
        caption: "Entrées du journal, les plus récentes d'abord".into(),
        empty: "Aucune entrée ne correspond à ces filtres.".into(),
    };
    Ok(render(&t))
}
