//! Sends the reminder of an appointment (job `agenda.rappel`). By e-mail through the SMTP server of the
//! settings (`PARCOURS_SMTP_*`): a server that is down or refuses makes the job fail, and the queue
//! retries it with its back-off; the reminder stays « prévu » until a sending succeeds, and the error is
//! on the admin jobs page and on the appointment page. Idempotent: a reminder already sent, or whose
//! appointment no longer holds, is left alone.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use parcours_config::SmtpSettings;
use parcours_domain::agenda::{heure, StatutRdv};
use parcours_domain::audit::AuditEvent;
use parcours_store::{agenda as store, audit};

use super::sms::{depuis_reglages, Fournisseur};
use crate::{payload_field, JobContext, JobFuture};

pub const KIND: &str = store::RAPPEL_JOB;

/// The handler with the SMS provider of the settings (operator's API, or the built-in outbox).
pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let sms = depuis_reglages(&ctx.store, ctx.settings.sms.as_ref())?;
    envoyer(ctx, payload, sms).await
}

/// A handler with another SMS provider (an operator's API; a failing one in tests).
pub fn handler(
    sms: Fournisseur,
) -> impl Fn(JobContext, serde_json::Value) -> JobFuture + Send + Sync + 'static {
    move |ctx, payload| Box::pin(envoyer(ctx, payload, sms.clone()))
}

fn texte(departement: &str, r: &store::RappelAEnvoyer) -> (String, String) {
    let quand = heure::date_heure(r.rdv.debut);
    let lieu = if r.adresse_lieu.is_empty() {
        r.rdv.lieu.clone()
    } else {
        format!("{}, {}", r.rdv.lieu, r.adresse_lieu)
    };
    let sujet = format!("Rappel : rendez-vous le {quand}");
    let corps = format!(
        "Bonjour,\n\nNous vous rappelons votre rendez-vous ({}) le {quand}.\nLieu : {lieu}.\n\n\
         En cas d'empêchement, merci de prévenir l'accueil de la Maison départementale des solidarités.\n\n{departement}\n\n\
         Ce message est envoyé automatiquement ; merci de ne pas y répondre.\n",
        r.rdv.type_rdv.libelle().to_lowercase()
    );
    (sujet, corps)
}

/// Sends an e-mail through the configured server.
pub async fn envoyer_courriel(
    smtp: &SmtpSettings,
    to: &str,
    sujet: &str,
    corps: &str,
) -> anyhow::Result<()> {
    let message = Message::builder()
        .from(
            smtp.from
                .parse()
                .map_err(|e| anyhow::anyhow!("expéditeur « {} » invalide : {e}", smtp.from))?,
        )
        .to(to
            .parse()
            .map_err(|e| anyhow::anyhow!("adresse du destinataire invalide : {e}"))?)
        .subject(sujet)
        .header(ContentType::TEXT_PLAIN)
        .body(corps.to_string())?;
    let builder = match (smtp.tls, smtp.port) {
        (true, 465) => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        (true, _) => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
        // Plain SMTP, for a relay on the local network (and the tests' local server).
        (false, _) => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(20)));
    if let (Some(u), Some(p)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.expose().to_string()));
    }
    builder
        .build()
        .send(message)
        .await
        .map_err(|e| anyhow::anyhow!("serveur de messagerie {}:{} : {e}", smtp.host, smtp.port))?;
    Ok(())
}

async fn envoyer(
    ctx: JobContext,
    payload: serde_json::Value,
    sms: Fournisseur,
) -> anyhow::Result<()> {
    let dep: String = payload_field(&payload, "departement_id")?;
    let rappel_id: i64 = payload_field(&payload, "rappel_id")?;
    let mut conn = ctx.store.read().await?;
    let r = store::rappel_a_envoyer(&mut conn, &dep, rappel_id).await?;
    drop(conn);
    if r.statut != "prevu" {
        return Ok(());
    }
    if r.rdv.statut != StatutRdv::Prevu {
        let mut tx = ctx.store.begin().await?;
        store::rappel_annuler(&mut tx, &dep, rappel_id).await?;
        tx.commit().await?;
        return Ok(());
    }
    let Some(dest) = r.destinataire.clone() else {
        anyhow::bail!(
            "la personne n'a plus de coordonnées pour ce canal ({})",
            r.canal
        );
    };
    let (sujet, corps) = texte(&ctx.settings.departement_nom, &r);
    if r.canal == "email" {
        let smtp = ctx.settings.smtp.as_ref().ok_or_else(|| {
            anyhow::anyhow!("messagerie non configurée (PARCOURS_SMTP_HOTE) : le rappel attend")
        })?;
        envoyer_courriel(smtp, &dest, &sujet, &corps).await?;
    } else {
        let court = format!(
            "Rappel : RDV le {} ({}). En cas d'empêchement, prévenez l'accueil.",
            heure::date_heure(r.rdv.debut),
            r.rdv.lieu
        );
        sms.envoyer(&dep, &dest, &court, rappel_id).await?;
    }
    let mut tx = ctx.store.begin().await?;
    store::rappel_envoye(&mut tx, &dep, rappel_id).await?;
    audit::append(
        &mut tx,
        &dep,
        &AuditEvent::new("rappel", "rendez_vous", r.rdv.id)
            .details(serde_json::json!({ "canal": r.canal })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
