//! The DPO's register of the persons' requests for a right (RGPD art. 12.3: an answer within one
//! month, three when extended): when each came, what right, its deadline, whether it was answered in
//! time, who recorded it. It names no person: the DPO watches the deadlines, the files stay with the
//! teams (the stricter reading; a setting if the département's DPO must see names).

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::Ctx;
use crate::dossiers::fr;
use crate::error::{Query, WebResult};
use crate::pages::{render, Cell, Column, Pagination, TablePage};
use crate::AppState;
use parcours_store::{audit, rgpd as store};

const PAR_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct RegistreQuery {
    #[serde(default)]
    pub page: Option<String>,
}

/// Where a request stands, as the DPO reads it.
fn etat(d: &store::Demande, aujourdhui: NaiveDate) -> String {
    match &d.repondue_le {
        Some(r) if r.as_str() <= d.echeance.as_str() => {
            format!("Répondue le {} (dans le délai)", fr(r))
        }
        Some(r) => format!("Répondue le {} (hors délai)", fr(r)),
        None if d.echeance.as_str() < aujourdhui.format("%Y-%m-%d").to_string().as_str() => {
            "En retard : sans réponse".to_string()
        }
        None => "En cours".to_string(),
    }
}

pub async fn registre(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RegistreQuery>,
) -> WebResult<Response> {
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let mut tx = state.store.begin().await?;
    let (demandes, total) =
        store::registre(&mut tx, ctx.dep(), PAR_PAGE, (page - 1) * PAR_PAGE).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "registre_demandes_droits", "*")
            .purpose("contrôle des délais de réponse aux demandes de droits")
            .details(serde_json::json!({ "page": page, "demandes": demandes.len() })),
    )
    .await?;
    tx.commit().await?;
    let aujourdhui = parcours_store::clock().today();
    let rows = demandes
        .iter()
        .map(|d| {
            let droit = match d.demande.droit.as_str() {
                "acces" => "Accès (article 15)",
                "rectification" => "Rectification (article 16)",
                "effacement" => "Effacement (article 17)",
                "limitation" => "Limitation (article 18)",
                "opposition" => "Opposition (article 21)",
                autre => autre,
            };
            vec![
                Cell::text(fr(&d.demande.recue_le)),
                Cell::text(droit),
                Cell::text(format!(
                    "{}{}",
                    fr(&d.demande.echeance),
                    if d.demande.prolongee {
                        " (prolongée)"
                    } else {
                        ""
                    }
                )),
                Cell::text(etat(&d.demande, aujourdhui)),
                Cell::text(d.par.clone()),
            ]
        })
        .collect();
    let col = |label: &str| Column {
        label: label.into(),
        sort_href: None,
        aria_sort: None,
    };
    Ok(render(&TablePage {
        l: ctx.layout(),
        title: "Registre des demandes de droits".into(),
        intro: Some(
            "Les demandes des personnes au titre du RGPD, la plus récente d'abord : réponse due dans le mois (trois mois si le délai a été prolongé). Aucune personne n'y est nommée ; chaque demande se traite depuis la fiche de la personne."
                .into(),
        ),
        actions: vec![],
        filters: vec![],
        filter_action: String::new(),
        columns: vec![
            col("Reçue le"),
            col("Droit exercé"),
            col("Réponse due le"),
            col("État"),
            col("Enregistrée par"),
        ],
        rows,
        pagination: Some(Pagination::new("/rgpd/demandes", page, PAR_PAGE, total)),
        caption: format!("Demandes de droits — {total}"),
        empty: "Aucune demande de droit enregistrée.".into(),
    }))
}
