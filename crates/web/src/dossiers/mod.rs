//! Dossiers: the pages (timeline, écrits, documents, référents, plan d'action, closure, accès
//! motivés) and the `/api/v1` operations. This file holds what they share: opening a dossier as the
//! secret partagé decides, and the date format of the pages.

pub mod acces;
pub mod api;
pub mod documents;
pub mod pages;
pub mod plan;
pub(crate) mod routes;

use chrono::NaiveDate;
use parcours_store::Conn;

use crate::auth::Ctx;
use crate::error::{WebError, WebResult};

fn today() -> NaiveDate {
    parcours_store::clock().today()
}

pub use parcours_usecases::dossiers::Ouvert;

/// Opens a dossier for the agent, as the use case decides (`usecases::dossiers::decider`);
/// otherwise 403, recorded by the route layer.
async fn ouvrir(conn: &mut Conn, ctx: &Ctx, id: i64) -> WebResult<Ouvert> {
    parcours_usecases::dossiers::decider(conn, &ctx.principal, id)
        .await?
        .ok_or(WebError::Forbidden)
}

/// Opens a dossier to write in it: refused once closed.
async fn ouvrir_pour_ecrire(conn: &mut Conn, ctx: &Ctx, id: i64) -> WebResult<Ouvert> {
    let o = ouvrir(conn, ctx, id).await?;
    if o.dossier.est_clos() {
        return Err(WebError::Conflict(
            "ce dossier est clos : rouvrez-en un pour écrire".into(),
        ));
    }
    Ok(o)
}

/// A stored date (YYYY-MM-DD, or a timestamp) as the users write it. A timestamp is a UTC instant:
/// its date is the département's (a document filed at 00:30 in Paris is dated that day, not the eve).
pub fn fr(iso: &str) -> String {
    if let Some(t) = parcours_store::parse_time(iso) {
        return parcours_store::clock()
            .civil(t)
            .format("%d/%m/%Y")
            .to_string();
    }
    match NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d") {
        Ok(d) => d.format("%d/%m/%Y").to_string(),
        Err(_) => iso.to_string(),
    }
}
