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

/// A stored date (YYYY-MM-DD, or a timestamp) as the users write it. A timestamp is a UTC instant:
/// its date is the département's (a document filed at 00:30 in Paris is dated that day, not the eve).
pub fn fr(iso: &str) -> String {
    match jour(iso) {
        Some(d) => d.format("%d/%m/%Y").to_string(),
        None => iso.to_string(),
    }
}

/// The day of a stored date, or of a stored timestamp in the département's zone.
pub(crate) fn jour(iso: &str) -> Option<NaiveDate> {
    match parcours_store::parse_time(iso) {
        Some(t) => Some(parcours_store::clock().civil(t).date()),
        None => NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d").ok(),
    }
}
