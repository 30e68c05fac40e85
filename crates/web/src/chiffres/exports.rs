//! The figures as CSV and XLSX files.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parcours_domain::export::cellule_csv;
use parcours_domain::habilitations::policy::{allows, Action};

use super::tableaux::{
    tableau_agents_long, tableau_delais, tableau_detail, tableau_mois, tableau_sites,
    tableau_typologies, Cellule, Tableau, DEFINITIONS,
};
use super::{calculer, demande, ChiffresQuery, Demande, Params};
use crate::auth::Ctx;
use crate::error::{Query, WebError, WebResult};
use crate::AppState;

fn nom_fichier(d: &Demande, ext: &str) -> String {
    format!(
        "chiffres-accueil-{}{}-{}.{ext}",
        d.site.map(|s| format!("mds{s}-")).unwrap_or_default(),
        d.filtre.du.code(),
        d.filtre.au.code()
    )
}

async fn export_demande(state: &AppState, ctx: &Ctx, q: &ChiffresQuery) -> WebResult<Demande> {
    let d = demande(state, &ctx.principal, q)
        .await?
        .ok_or(WebError::NotFound)?;
    if let Some((_, m)) = d.erreurs.first() {
        return Err(WebError::BadRequest(m.clone()));
    }
    Ok(d)
}

/// The CSV of the figures per month and MDS (`?tableau=agents`: appointments per agent), `;`-separated
/// with decimal commas and a byte-order mark, as a French spreadsheet opens it.
pub async fn csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChiffresQuery>,
    Query(extra): Query<Params>,
) -> WebResult<Response> {
    let d = export_demande(&state, &ctx, &q).await?;
    let agents = extra.get("tableau").is_some_and(|t| t == "agents");
    if agents && !allows(&ctx.principal, Action::AccueilChiffresAgents) {
        return Err(WebError::Forbidden);
    }
    let ch = calculer(
        &state,
        &ctx.principal,
        &d,
        ctx.event(
            "export",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "csv",
    )
    .await?;
    let t = if agents {
        tableau_agents_long(&ch, &d)
    } else {
        tableau_detail(&ch, &d.sites_affiches(&ch))
    };
    let body = csv_de(&t)?;
    let nom = if agents {
        nom_fichier(&d, "csv").replace("chiffres-accueil-", "rendez-vous-par-agent-")
    } else {
        nom_fichier(&d, "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{nom}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A table as CSV for a French spreadsheet: `;`-separated, with a BOM, text cells that start like a
/// formula neutralised (names typed by people may).
pub(crate) fn csv_de(t: &Tableau) -> WebResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    let io = |e: csv::Error| WebError::Internal(e.into());
    w.write_record(t.entetes.iter().map(|h| cellule_csv(h).into_owned()))
        .map_err(io)?;
    for l in &t.lignes {
        w.write_record(l.iter().map(|c| match c {
            Cellule::Texte(s) => cellule_csv(s).into_owned(),
            figure => figure.csv(),
        }))
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e.to_string())))
}

/// Tables as an XLSX workbook, one sheet each.
pub(crate) fn classeur(tableaux: &[Tableau]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let gras = Format::new().set_bold().set_text_wrap();
    let part = Format::new().set_num_format("0.0%");
    let jours = Format::new().set_num_format("0.0");
    for t in tableaux {
        let ws = wb.add_worksheet();
        ws.set_name(t.feuille)?;
        for (c, h) in t.entetes.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &gras)?;
            ws.set_column_width(c as u16, if c < t.cles { 28 } else { 14 })?;
        }
        ws.set_row_height(0, 45)?;
        ws.set_freeze_panes(1, t.cles as u16)?;
        for (r, l) in t.lignes.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in l.iter().enumerate() {
                let c = c as u16;
                match v {
                    Cellule::Texte(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cellule::Entier(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cellule::Part(Some(p)) => {
                        ws.write_number_with_format(r, c, *p, &part)?;
                    }
                    Cellule::Jours(Some(j)) => {
                        ws.write_number_with_format(r, c, *j, &jours)?;
                    }
                    Cellule::Part(None) | Cellule::Jours(None) => {}
                }
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Définitions")?;
    ws.write_string_with_format(0, 0, "Indicateur", &gras)?;
    ws.write_string_with_format(0, 1, "Définition", &gras)?;
    ws.set_column_width(0, 32)?;
    ws.set_column_width(1, 120)?;
    for (i, (k, v)) in DEFINITIONS.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, *k)?;
        ws.write_string(i as u32 + 1, 1, *v)?;
    }
    wb.save_to_buffer()
}

/// The workbook: one sheet per table of the page (the tidy table per month and MDS first), and the
/// definitions.
pub async fn xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ChiffresQuery>,
) -> WebResult<Response> {
    let d = export_demande(&state, &ctx, &q).await?;
    let ch = calculer(
        &state,
        &ctx.principal,
        &d,
        ctx.event(
            "export",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "xlsx",
    )
    .await?;
    let sites = d.sites_affiches(&ch);
    let par_agent = allows(&ctx.principal, Action::AccueilChiffresAgents);
    let tableaux: Vec<_> = [
        Some(tableau_detail(&ch, &sites)),
        Some(tableau_mois(&ch)),
        Some(tableau_sites(&ch, &sites)),
        Some(tableau_typologies(&ch)),
        Some(tableau_delais(&ch)),
        par_agent.then(|| tableau_agents_long(&ch, &d)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let body = classeur(&tableaux).map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", nom_fichier(&d, "xlsx")),
            ),
        ],
        body,
    )
        .into_response())
}
