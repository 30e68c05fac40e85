//! The daily digest of legal due dates (job `echeances.relances`), the escalation of issue 17: a
//! social worker is told of her due dates within the notice period, due today and late; the cadre of
//! an MDS of those due today and late in the MDS; the direction of the late ones, by MDS. The e-mail
//! holds counts by rule and a link, never a name or a dossier title (the stricter reading until the
//! DPO says otherwise: a mailbox is not the application). One digest per agent and day.

use std::collections::BTreeMap;

use parcours_domain::audit::AuditEvent;
use parcours_domain::echeancier::regle;
use parcours_domain::habilitations::Role;
use parcours_store::agents::{AgentFilter, AgentSort};
use parcours_store::procedures::{self as store, Compte};
use parcours_store::{audit, referentiel};

use crate::agenda::rappel::envoyer_courriel;
use crate::{payload_field, JobContext};

pub const KIND: &str = "echeances.relances";

/// The lines of one agent's digest: (level, rule) → count.
type Lignes = BTreeMap<(u8, String), i64>;

fn rang(niveau: &str) -> u8 {
    match niveau {
        "en_retard" => 0,
        "echue" => 1,
        _ => 2,
    }
}

fn corps(departement: &str, lignes: &Lignes, sites: Option<&BTreeMap<String, i64>>) -> String {
    let mut s = String::from("Bonjour,\n\nÉchéances légales à suivre dans Parcours :\n\n");
    for ((r, id), n) in lignes {
        let quand = match r {
            0 => "en retard",
            1 => "aujourd'hui",
            _ => "dans les prochains jours",
        };
        let effet = regle(id).map(|r| r.effet.as_str()).unwrap_or(id);
        s.push_str(&format!("- {n} {quand} : {effet} ({id})\n"));
    }
    if let Some(sites) = sites {
        s.push_str("\nEn retard par MDS :\n");
        for (site, n) in sites {
            s.push_str(&format!("- {site} : {n}\n"));
        }
    }
    s.push_str(&format!(
        "\nLe détail est dans Parcours, page « Échéances ».\n\n{departement}\n\nCe message est envoyé automatiquement ; merci de ne pas y répondre.\n"
    ));
    s
}

pub async fn run(ctx: JobContext, payload: serde_json::Value) -> anyhow::Result<()> {
    let dep: String = payload_field(&payload, "departement_id")?;
    let Some(smtp) = ctx.settings.smtp.clone() else {
        tracing::info!("messagerie non configurée : pas de relance des échéances par courriel");
        return Ok(());
    };
    let today = ctx.clock.today();
    let preavis = ctx.settings.echeances_preavis_jours;
    let mut conn = ctx.store.read().await?;
    let comptes: Vec<Compte> = store::comptes(
        &mut conn,
        &dep,
        today,
        today + chrono::Duration::days(i64::from(preavis)),
    )
    .await?;
    if comptes.is_empty() {
        return Ok(());
    }
    let noms_sites: BTreeMap<i64, String> = referentiel::sites(&mut conn, &dep)
        .await?
        .into_iter()
        .map(|s| (s.id, s.nom))
        .collect();
    let mut agents = Vec::new();
    for role in [Role::TravailleurSocial, Role::Cadre, Role::Direction] {
        let (a, _) = parcours_store::agents::list(
            &mut conn,
            &dep,
            &AgentFilter {
                role: Some(role),
                ..Default::default()
            },
            AgentSort::Nom,
            100_000,
            0,
        )
        .await?;
        agents.extend(a.into_iter().filter(|a| a.ferme_le.is_none()));
    }
    drop(conn);
    let mut envoyes = 0;
    for a in agents {
        let mut lignes = Lignes::new();
        let mut par_site: Option<BTreeMap<String, i64>> = None;
        for c in &comptes {
            let r = rang(&c.niveau);
            let concerne = match a.role {
                Role::TravailleurSocial => c.referent_id == Some(a.id),
                Role::Cadre => r <= 1 && c.site_id.is_some_and(|s| a.site_ids.contains(&s)),
                Role::Direction => r == 0,
                _ => false,
            };
            if !concerne {
                continue;
            }
            *lignes.entry((r, c.regle.clone())).or_default() += c.n;
            if a.role == Role::Direction {
                let site = c
                    .site_id
                    .and_then(|s| noms_sites.get(&s).cloned())
                    .unwrap_or_else(|| "Sans MDS".into());
                *par_site
                    .get_or_insert_with(BTreeMap::new)
                    .entry(site)
                    .or_default() += c.n;
            }
        }
        if lignes.is_empty() || a.email.is_empty() {
            continue;
        }
        {
            let mut conn = ctx.store.read().await?;
            if store::envoi_fait(&mut conn, &dep, a.id, today).await? {
                continue;
            }
        }
        let retard: i64 = lignes
            .iter()
            .filter(|((r, _), _)| *r == 0)
            .map(|(_, n)| n)
            .sum();
        let sujet = format!(
            "Parcours : échéances du {} ({retard} en retard)",
            today.format("%d/%m/%Y")
        );
        envoyer_courriel(
            &smtp,
            &a.email,
            &sujet,
            &corps(&ctx.settings.departement_nom, &lignes, par_site.as_ref()),
        )
        .await?;
        let mut tx = ctx.store.begin().await?;
        store::envoi_noter(&mut tx, &dep, a.id, today).await?;
        audit::append(
            &mut tx,
            &dep,
            &AuditEvent::new("relance", "echeances", a.id).details(serde_json::json!({
                "jour": today.to_string(),
                "echeances": lignes.values().sum::<i64>(),
            })),
        )
        .await?;
        tx.commit().await?;
        envoyes += 1;
    }
    tracing::info!("{envoyes} relance(s) d'échéances envoyée(s)");
    Ok(())
}
