//! `sessions.purger`: deletes the sessions past their idle or absolute timeout, so that the table
//! holds only live sessions (the timeouts are also enforced on each request; this is the cleanup).

use crate::JobContext;

pub const KIND: &str = "sessions.purger";

/// Purges expired sessions of every département (the purge is global and idempotent, so the
/// département of the payload does not matter).
pub async fn run(ctx: JobContext, _payload: serde_json::Value) -> anyhow::Result<()> {
    let now = parcours_store::clock().now();
    let idle_before = parcours_store::format_time(now - ctx.settings.session_idle);
    let created_before = parcours_store::format_time(now - ctx.settings.session_absolute);
    let mut tx = ctx.store.begin().await?;
    let n = parcours_store::sessions::purge(&mut tx, &idle_before, &created_before).await?;
    tx.commit().await?;
    tracing::info!("{n} session(s) expirée(s) supprimée(s)");
    Ok(())
}
