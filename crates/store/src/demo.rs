//! Loads the generated demo département into an empty database, in one transaction, reporting
//! progress through a callback (the CLI draws a bar with it).

use parcours_domain::audit::AuditEvent;
use parcours_domain::demo::Demo;
use parcours_domain::referentiel::{
    metier_libelle, NewPermanence, NewSecteur, NewService, NewSite, NewTerritoire, ServiceKind,
    TerritoireKind,
};

use crate::{agents, audit, departements, referentiel, Result, Store};

/// Writes the demo; `password_hash` is set on the demo login accounts. Returns the agents' e-mails
/// that can sign in, with their role.
pub async fn load(
    store: &Store,
    demo: &Demo,
    password_hash: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<(String, String)>> {
    let total = (demo.territoires.len()
        + demo.sites.len()
        + demo.secteurs.len()
        + demo.communes.len()
        + demo.permanences.len()
        + demo.agents.len()) as u64;
    let mut done = 0u64;
    let mut tick = |n: u64, progress: &mut dyn FnMut(u64, u64)| {
        done += n;
        progress(done, total);
    };
    let dep = demo.departement_code.as_str();
    let mut tx = store.begin().await?;
    departements::create(&mut tx, dep, &demo.departement_nom).await?;

    let mut services = std::collections::HashMap::new();
    for kind in ServiceKind::ALL {
        let id = referentiel::service_create(
            &mut tx,
            dep,
            &NewService {
                code: kind.code().into(),
                nom: kind.libelle().into(),
                kind,
            },
        )
        .await?;
        services.insert(kind, id);
    }
    let mut territoire_ids = vec![];
    for t in &demo.territoires {
        territoire_ids.push(
            referentiel::territoire_create(
                &mut tx,
                dep,
                &NewTerritoire {
                    code: t.code.clone(),
                    nom: t.nom.clone(),
                    kind: TerritoireKind::Utasi,
                },
            )
            .await?,
        );
        tick(1, &mut progress);
    }
    let mut site_ids = vec![];
    for s in &demo.sites {
        site_ids.push(
            referentiel::site_create(
                &mut tx,
                dep,
                &NewSite {
                    territoire_id: territoire_ids[s.territoire],
                    code: s.code.clone(),
                    nom: s.nom.clone(),
                    kind: parcours_domain::referentiel::SiteKind::Mds,
                    adresse: format!(
                        "{}, {} {}",
                        s.adresse,
                        demo.communes[s.commune].code_postal,
                        demo.communes[s.commune].nom
                    ),
                    commune_insee: Some(demo.communes[s.commune].insee.clone()),
                },
            )
            .await?,
        );
        tick(1, &mut progress);
    }
    let mut secteur_ids = vec![];
    for s in &demo.secteurs {
        secteur_ids.push(
            referentiel::secteur_create(
                &mut tx,
                dep,
                &NewSecteur {
                    site_id: site_ids[s.site],
                    code: s.code.clone(),
                    nom: s.nom.clone(),
                },
            )
            .await?,
        );
        tick(1, &mut progress);
    }
    for c in &demo.communes {
        referentiel::commune_upsert(
            &mut tx,
            dep,
            &c.insee,
            &c.nom,
            std::slice::from_ref(&c.code_postal),
            c.population,
            Some(secteur_ids[c.secteur]),
        )
        .await?;
        tick(1, &mut progress);
    }
    for p in &demo.permanences {
        referentiel::permanence_create(
            &mut tx,
            dep,
            &NewPermanence {
                site_id: site_ids[p.site],
                commune_insee: demo.communes[p.commune].insee.clone(),
                nom: p.nom.clone(),
                adresse: format!(
                    "{}, {} {}",
                    p.adresse, demo.communes[p.commune].code_postal, demo.communes[p.commune].nom
                ),
                horaires: p.horaires.clone(),
            },
        )
        .await?;
        tick(1, &mut progress);
    }
    let mut logins = vec![];
    for a in &demo.agents {
        let id = agents::create(
            &mut tx,
            dep,
            &parcours_domain::referentiel::NewAgent {
                matricule: a.matricule.clone(),
                prenom: a.prenom.clone(),
                nom: a.nom.clone(),
                email: a.email.clone(),
                metier: a.metier.to_string(),
                role: a.role,
                service_id: services[&a.service],
                site_id: a.site.map(|s| site_ids[s]),
                secteur_id: a.secteur.map(|s| secteur_ids[s]),
                etp_centiemes: a.etp_centiemes,
                pool_remplacement: a.pool_remplacement,
            },
        )
        .await?;
        if a.login {
            agents::set_password(&mut tx, dep, id, password_hash).await?;
            logins.push((
                a.email.clone(),
                format!("{} — {}", a.role.libelle(), metier_libelle(a.metier)),
            ));
        }
        tick(1, &mut progress);
    }
    // Agendas, rooms and appointments of the social workers (separate function: the agenda module's).
    crate::agenda::seed_demo(&mut tx, dep).await?;
    // Duty rosters of the MDS and the morning's support requests (the appui module's).
    crate::appui::seed_demo(&mut tx, dep, crate::clock().maintenant()).await?;
    // A year of desk contacts and past appointments, for the figures of the desk.
    crate::accueil_demo::seed_demo(&mut tx, dep).await?;
    // Addresses and dossiers of those synthetic people (the dossiers module's).
    crate::dossiers::seed_demo(&mut tx, dep).await?;
    // RSA, MASP and eviction procedures on those dossiers, with their legal due dates.
    crate::procedures::seed_demo(&mut tx, dep).await?;
    // Budgets, requests for financial aid, their orders, envelopes and commissions.
    crate::aides::seed_demo(&mut tx, dep).await?;
    audit::append(
        &mut tx,
        dep,
        &AuditEvent::new("creation", "departement", dep).details(serde_json::json!({
            "origine": "parcours demo",
            "communes": demo.communes.len(),
            "agents": demo.agents.len(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(logins)
}
