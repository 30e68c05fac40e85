//! Computes the LEXIMIN distribution of a groupe projet once its registrations are closed, reports the
//! progress on the group (the web page shows it), then publishes the distribution — or records why the
//! quotas cannot be met (with the smallest relaxation) and reopens registrations.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parcours_domain::audit::AuditEvent;
use parcours_domain::groupes_projet::Statut;
use parcours_store::{audit, groupes_projet as store};

use crate::JobContext;

pub const KIND: &str = "groupes_projet.calculer";

pub fn payload(departement_id: &str, groupe_id: i64) -> serde_json::Value {
    serde_json::json!({ "departement_id": departement_id, "groupe_id": groupe_id })
}

pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let dep = payload["departement_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("departement_id manquant"))?
        .to_string();
    let id = payload["groupe_id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("groupe_id manquant"))?;
    let mut conn = ctx.store.read().await?;
    let g = store::get(&mut conn, &dep, id).await?;
    drop(conn);
    // Idempotent: a group already published (job run twice after a crash) is left alone.
    if g.statut != Statut::Calcul {
        return Ok(());
    }
    let quotas = g.quotas_csv.clone();
    let volontaires = g.volontaires_csv.clone().unwrap_or_default();
    let taille = usize::try_from(g.taille).unwrap_or(0);
    let handle = tokio::runtime::Handle::current();
    let progress_store = ctx.store.clone();
    let progress_dep = dep.clone();
    // The blocking thread does not inherit the task's ambient clock: the progress writes get it here.
    let progress_clock = ctx.clock.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let inst = parcours_tirage::Instance::depuis_lecteurs(quotas.as_bytes(), volontaires.as_bytes(), taille)?;
        let last = Mutex::new(Instant::now() - Duration::from_secs(10));
        let progression: parcours_tirage::Rappel = Arc::new(move |p: &parcours_tirage::Progression| {
            // At most one write a second: the page refreshes every few seconds anyway.
            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
            if l.elapsed() < Duration::from_secs(1) {
                return;
            }
            *l = Instant::now();
            let text = format!(
                "étape {} : {} types de volontaires sur {} ont leur chance définitive ({} résolutions)",
                p.etape, p.types_fixes, p.types, p.iteration
            );
            let (s, d) = (progress_store.clone(), progress_dep.clone());
            let _ = handle.block_on(parcours_store::clock::with_clock(progress_clock.clone(), async move {
                let mut tx = s.begin().await?;
                store::progression(&mut tx, &d, id, &text).await?;
                tx.commit().await?;
                Ok::<_, parcours_store::StoreError>(())
            }));
        });
        let options = parcours_tirage::Options { progression: Some(progression), ..Default::default() };
        parcours_tirage::leximin(&inst, &options)
    })
    .await?;
    let mut tx = ctx.store.begin().await?;
    match computed {
        Ok(distribution) => {
            let json = parcours_tirage::vers_json(&distribution);
            store::publier(&mut tx, &dep, id, &json).await?;
            audit::append(
                &mut tx,
                &dep,
                &AuditEvent::new("publication", "groupe_projet", id)
                    .details(serde_json::json!({ "min_probability": distribution.min_probability, "dual_bound": distribution.dual_bound })),
            )
            .await?;
        }
        Err(e) => {
            store::echec(&mut tx, &dep, id, &e.to_string()).await?;
            audit::append(
                &mut tx,
                &dep,
                &AuditEvent::new("echec_calcul", "groupe_projet", id),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
