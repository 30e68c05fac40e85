//! Scores every person of the département against the others with the matcher of `parcours_doublons`
//! and fills the review queue with the pairs it judges to be the same person; the progress is written
//! on the run so that the page shows it. Idempotent: pairs already in the queue keep their status.

use parcours_domain::audit::AuditEvent;
use parcours_store::{audit, doublons as store};

use crate::JobContext;

pub const KIND: &str = "doublons.analyser";

pub fn payload(departement_id: &str, analyse_id: i64) -> serde_json::Value {
    serde_json::json!({ "departement_id": departement_id, "analyse_id": analyse_id })
}

async fn progress(
    ctx: &JobContext,
    dep: &str,
    id: i64,
    statut: &str,
    text: &str,
) -> anyhow::Result<()> {
    let mut tx = ctx.store.begin().await?;
    store::analyse_update(&mut tx, dep, id, statut, text, None, None, None).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let dep = payload["departement_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("departement_id manquant"))?
        .to_string();
    let id = payload["analyse_id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("analyse_id manquant"))?;
    let mut conn = ctx.store.read().await?;
    let a = store::analyse_get(&mut conn, &dep, id).await?;
    if a.statut == "terminee" {
        return Ok(());
    }
    let people = store::personnes_pour_appariement(&mut conn, &dep).await?;
    drop(conn);
    let n = people.len() as i64;
    progress(
        &ctx,
        &dep,
        id,
        "en_cours",
        &format!("{n} personnes lues ; comparaison en cours"),
    )
    .await?;
    let records: Vec<parcours_doublons::Record> = people
        .iter()
        .map(|(pid, p, commune, adresse)| {
            let (lignes, code_postal) = adresse
                .as_ref()
                .map(|(l, c)| (l.as_str(), c.as_str()))
                .unwrap_or_default();
            parcours_doublons::Record::from_parts(
                pid,
                &p.nom_naissance,
                p.nom_usage.as_deref(),
                &p.prenoms,
                p.sexe,
                p.date_naissance,
            )
            .ne_a(commune.as_deref().unwrap_or_default())
            .domicile(lignes, code_postal)
        })
        .collect();
    let pairs = tokio::task::spawn_blocking(move || {
        parcours_doublons::find_pairs(&records, &parcours_doublons::Options::default(), |_, _| {})
    })
    .await?;
    let total = pairs.len();
    let mut nouvelles = 0i64;
    // Batches of 500 pairs per transaction: the queue fills visibly and a crash loses little.
    for (i, chunk) in pairs.chunks(500).enumerate() {
        let mut tx = ctx.store.begin().await?;
        for p in chunk {
            let (Ok(a), Ok(b)) = (p.record_id_a.parse::<i64>(), p.record_id_b.parse::<i64>())
            else {
                continue;
            };
            if store::candidat_add(&mut tx, &dep, a, b, p.score).await? {
                nouvelles += 1;
            }
        }
        let done = ((i + 1) * 500).min(total);
        store::analyse_update(
            &mut tx,
            &dep,
            id,
            "en_cours",
            &format!("{done} paires enregistrées sur {total}"),
            Some(n),
            Some(total as i64),
            Some(nouvelles),
        )
        .await?;
        tx.commit().await?;
    }
    let mut tx = ctx.store.begin().await?;
    store::analyse_update(
        &mut tx,
        &dep,
        id,
        "terminee",
        &format!("{n} personnes comparées ; {total} paires probables, dont {nouvelles} nouvelles à examiner"),
        Some(n),
        Some(total as i64),
        Some(nouvelles),
    )
    .await?;
    audit::append(
        &mut tx,
        &dep,
        &AuditEvent::new("analyse", "doublons", id).details(serde_json::json!({
            "personnes": n, "paires": total, "nouvelles": nouvelles
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
