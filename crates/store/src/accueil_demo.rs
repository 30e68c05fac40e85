//! Twelve months of history for the demo département, so that the figures of the desk
//! ([`crate::chiffres`]) show something real: desk contacts at the 9 MDS and their permanences, with
//! the typology mix of seed 001 (financial 36 %, access to rights 18 %, then housing, family and
//! insertion), and past appointments in the social workers' plages with their final status.
//! Deterministic: every choice comes from a hash of the site or agent, the day and a counter. Runs
//! after `agenda::seed_demo`, whose plages and persons it uses, and writes nothing on or after the
//! days that seed already fills (today for contacts, the last fortnight for appointments).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveTime};
use parcours_domain::accueil::{Reponse, Typologie, PARTENAIRES};
use parcours_domain::agenda::{heure, StatutRdv, TypeRdv};
use sqlx::Row;

use crate::{Conn, Result};

/// A weekly plage of a social worker, with the agent's trade.
struct PlageDemo {
    agent: i64,
    metier: String,
    jour: u32,
    debut: i64,
    fin: i64,
    nature: String,
    site: i64,
    permanence: Option<i64>,
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoHistorique {
    pub contacts: usize,
    pub rendez_vous: usize,
}

/// Days of history before today.
const JOURS: i64 = 365;
/// The agenda's demo fills the last 14 days and the weeks ahead.
const RDV_RECENTS: i64 = 14;

/// SplitMix64 finaliser over a few integers.
fn mix(parts: &[i64]) -> u64 {
    let mut z: u64 = 0x2545_F491_4F6C_DD1D;
    for p in parts {
        z = z
            .wrapping_add(*p as u64)
            .wrapping_add(0x9E37_79B9_7F4A_7C15)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^= z >> 31;
    }
    z = (z ^ (z >> 30)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 27)
}

/// Picks an index by weight with `h`.
fn pick(weights: &[u64], h: u64) -> usize {
    let total: u64 = weights.iter().sum();
    let mut x = h % total.max(1);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Activity of the month relative to the year's average: a quiet August, a busy return in September
/// and January (energy bills, beginning of the year).
fn saison(month: u32) -> f64 {
    [
        1.15, 1.05, 1.0, 0.95, 0.9, 0.95, 0.8, 0.55, 1.3, 1.1, 1.05, 0.9,
    ][month as usize - 1]
}

/// The typologies in the order of `Typologie::ALL`, weighted as seed 001 reports the requests.
const POIDS_TYPOLOGIE: [u64; 9] = [36, 18, 13, 10, 9, 4, 3, 5, 2];

fn partenaire(t: Typologie, h: u64) -> &'static str {
    let choix: &[&str] = match t {
        Typologie::Financier => &["CAF", "CCAS", "Association caritative"],
        Typologie::AccesDroits => &["CAF", "CPAM", "MSA"],
        Typologie::InsertionEmploi => &["France Travail", "Mission locale"],
        Typologie::Sante => &["CPAM"],
        Typologie::Logement => &["CCAS", "CAF"],
        _ => PARTENAIRES,
    };
    choix[(h % choix.len() as u64) as usize]
}

/// Inserts rows of text values in multi-row statements; `row` writes the placeholders of one row
/// from its first parameter number, `$1` being the département.
async fn insert_rows(
    conn: &mut Conn,
    dep: &str,
    head: &str,
    row: impl Fn(usize) -> String,
    rows: &[Vec<String>],
) -> Result<()> {
    for chunk in rows.chunks(100) {
        let mut sql = String::from(head);
        let mut n = 2;
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&row(n));
            n += r.len();
        }
        let mut q = sqlx::query(&sql).bind(dep);
        for r in chunk {
            for v in r {
                q = q.bind(v.as_str());
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn seed_demo(conn: &mut Conn, dep: &str) -> Result<DemoHistorique> {
    let mut out = DemoHistorique::default();
    let today = crate::clock().today();
    let first = today - Duration::days(JOURS);

    let sites: Vec<i64> = sqlx::query(
        "SELECT id FROM sites WHERE departement_id = $1 AND ferme_le IS NULL ORDER BY id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get("id"))
    .collect();
    let mut permanences: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, site_id FROM permanences WHERE departement_id = $1 AND ferme_le IS NULL ORDER BY id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    {
        permanences
            .entry(r.get("site_id"))
            .or_default()
            .push(r.get("id"));
    }
    let mut accueil: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in sqlx::query(
        "SELECT a.id, f.site_id FROM agents a JOIN affectations f ON f.departement_id = a.departement_id AND f.agent_id = a.id \
         AND f.fin IS NULL AND f.site_id IS NOT NULL WHERE a.departement_id = $1 AND a.role = 'accueil' AND a.ferme_le IS NULL ORDER BY a.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    {
        accueil.entry(r.get("site_id")).or_default().push(r.get("id"));
    }
    // The synthetic persons of each MDS are those the agenda's demo gave appointments there.
    let mut personnes: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in sqlx::query(
        "SELECT DISTINCT site_id, personne_id FROM rendez_vous WHERE departement_id = $1 ORDER BY site_id, personne_id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    {
        personnes
            .entry(r.get("site_id"))
            .or_default()
            .push(r.get("personne_id"));
    }

    // Desk contacts, every weekday of the year before today, 8:30 to 17:00.
    let mut rows: Vec<Vec<String>> = vec![];
    for site in &sites {
        // Sites differ in size: 1.5 to 4 contacts a day on average.
        let taille = 1.5 + (mix(&[*site, 1]) % 6) as f64 * 0.5;
        let mut day = first;
        while day < today {
            let wd = day.weekday().number_from_monday();
            let d = (day - first).num_days();
            if wd <= 5 {
                let h = mix(&[*site, d, 2]);
                let attendu = taille * saison(day.month());
                let n = attendu.floor() as u64
                    + u64::from(((h % 1000) as f64) < attendu.fract() * 1000.0)
                    + (h >> 20) % 2;
                // The experiment of fiche 3 grows over the year: appui technique from 3 % to 10 %.
                let progres = d as f64 / JOURS as f64;
                for k in 0..n as i64 {
                    let h = mix(&[*site, d, k, 3]);
                    let typologie = Typologie::ALL[pick(&POIDS_TYPOLOGIE, h)];
                    let mut poids: [u64; 6] = [34, 20, 17, 18, 3, 3 + (progres * 7.0) as u64];
                    match typologie {
                        Typologie::Administratif => poids[1] += 30,
                        Typologie::Financier => poids[3] += 10,
                        Typologie::FamilleEnfance => poids[4] += 4,
                        Typologie::AccesDroits => poids[2] += 10,
                        _ => {}
                    }
                    let reponse = Reponse::ALL[pick(&poids, h >> 8)];
                    let canal = ["visite", "telephone", "courrier", "courriel"]
                        [pick(&[55, 38, 4, 3], h >> 16)];
                    let minute = 8 * 60 + 30 + ((h >> 24) % (8 * 60 + 30)) as i64;
                    let moment = day.and_time(NaiveTime::MIN) + Duration::minutes(minute);
                    let permanence = permanences
                        .get(site)
                        .filter(|p| !p.is_empty() && (h >> 32) % 100 < 15)
                        .map(|p| p[((h >> 40) % p.len() as u64) as usize].to_string())
                        .unwrap_or_default();
                    let agent = accueil
                        .get(site)
                        .filter(|a| !a.is_empty())
                        .map(|a| a[((h >> 36) % a.len() as u64) as usize].to_string())
                        .unwrap_or_default();
                    let personne = personnes
                        .get(site)
                        .filter(|p| !p.is_empty() && (h >> 44) % 100 < 30)
                        .map(|p| p[((h >> 48) % p.len() as u64) as usize].to_string())
                        .unwrap_or_default();
                    let attente = if canal == "visite" {
                        ((h >> 52) % 25).to_string()
                    } else {
                        String::new()
                    };
                    let partenaire = if reponse == Reponse::Orientation {
                        partenaire(typologie, h >> 56).to_string()
                    } else {
                        String::new()
                    };
                    rows.push(vec![
                        site.to_string(),
                        permanence,
                        agent,
                        personne,
                        canal.to_string(),
                        heure::format(moment),
                        typologie.code().to_string(),
                        reponse.code().to_string(),
                        partenaire,
                        attente,
                        crate::format_time(crate::clock().utc(moment)),
                    ]);
                }
            }
            day += Duration::days(1);
        }
    }
    out.contacts = rows.len();
    insert_rows(
        conn,
        dep,
        "INSERT INTO accueil_contacts (departement_id, site_id, permanence_id, agent_id, personne_id, canal, moment, \
         typologie, reponse, partenaire, attente_minutes, created_at) VALUES ",
        |n| {
            format!(
                "($1, CAST(${} AS BIGINT), CAST(NULLIF(${}, '') AS BIGINT), CAST(NULLIF(${}, '') AS BIGINT), \
                 CAST(NULLIF(${}, '') AS BIGINT), ${}, ${}, ${}, ${}, NULLIF(${}, ''), CAST(NULLIF(${}, '') AS BIGINT), ${})",
                n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7, n + 8, n + 9, n + 10
            )
        },
        &rows,
    )
    .await?;

    // Past appointments in the weekly plages of the social workers, a 45-minute grid, fewer than in
    // the recent weeks (a quarter of the slots).
    let plages: Vec<PlageDemo> = sqlx::query(
        "SELECT p.agent_id, a.metier, p.jour, p.debut, p.fin, p.nature, p.site_id, p.permanence_id FROM agenda_plages p \
         JOIN agents a ON a.departement_id = p.departement_id AND a.id = p.agent_id \
         WHERE p.departement_id = $1 ORDER BY p.agent_id, p.id",
    )
    .bind(dep)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| PlageDemo {
        agent: r.get("agent_id"),
        metier: r.get("metier"),
        jour: r.get::<i64, _>("jour") as u32,
        debut: r.get("debut"),
        fin: r.get("fin"),
        nature: r.get("nature"),
        site: r.get("site_id"),
        permanence: r.get("permanence_id"),
    })
    .collect();
    let mut rows: Vec<Vec<String>> = vec![];
    let last = today - Duration::days(RDV_RECENTS);
    let mut day = first;
    while day < last {
        let d = (day - first).num_days();
        let jour = day.weekday().number_from_monday();
        for PlageDemo {
            agent,
            metier,
            jour: pj,
            debut: pdebut,
            fin: pfin,
            nature,
            site,
            permanence,
        } in &plages
        {
            if *pj != jour {
                continue;
            }
            let Some(persons) = personnes.get(site).filter(|p| !p.is_empty()) else {
                continue;
            };
            let mut t = *pdebut;
            while t + 45 <= *pfin {
                let h = mix(&[*agent, d, t, 4]);
                let slot = t;
                t += 45;
                if h % 100 >= (25.0 * saison(day.month())) as u64 {
                    continue;
                }
                let type_rdv = match (nature.as_str(), metier.as_str()) {
                    ("plas", _) => TypeRdv::PremierAccueil,
                    (_, "REFRSA") => TypeRdv::Rsa,
                    ("rendez_vous", _) if (h >> 8).is_multiple_of(12) => TypeRdv::VisiteDomicile,
                    _ if (h >> 8) % 10 == 1 => TypeRdv::Telephonique,
                    _ if (h >> 8) % 7 == 2 => TypeRdv::PremierAccueil,
                    _ => TypeRdv::Suivi,
                };
                // Absences differ from one MDS to another (5 to 14 %).
                let absence = 5 + mix(&[*site, 5]) % 10;
                let s = (h >> 16) % 100;
                let statut = if s < absence {
                    StatutRdv::AbsentNonExcuse
                } else if s < absence + 7 {
                    StatutRdv::Excuse
                } else if s < absence + 11 {
                    StatutRdv::Annule
                } else {
                    StatutRdv::Honore
                };
                // Days from request to appointment: short for a first reception (the aim of
                // fiche 4), longer for the follow-up, longer again in the summer.
                let (min, span) = match type_rdv {
                    TypeRdv::PremierAccueil => (1, 10),
                    TypeRdv::Suivi => (5, 26),
                    TypeRdv::Rsa => (7, 22),
                    TypeRdv::VisiteDomicile => (3, 18),
                    TypeRdv::Telephonique => (1, 7),
                };
                let ete = if (7..=9).contains(&day.month()) { 4 } else { 0 };
                let delai = min + ete + ((h >> 24) % span) as i64;
                let debut = day.and_time(NaiveTime::MIN) + Duration::minutes(slot);
                let fin = debut + Duration::minutes(45);
                let demande = day - Duration::days(delai);
                let cree = crate::format_time(
                    crate::clock().utc(demande.and_time(NaiveTime::MIN) + Duration::hours(10)),
                );
                rows.push(vec![
                    persons[((h >> 32) % persons.len() as u64) as usize].to_string(),
                    agent.to_string(),
                    type_rdv.code().into(),
                    statut.code().into(),
                    heure::format(debut),
                    heure::format(fin),
                    nature.clone(),
                    site.to_string(),
                    permanence.map(|x| x.to_string()).unwrap_or_default(),
                    crate::iso_date(demande),
                    cree,
                    crate::format_time(crate::clock().utc(fin)),
                ]);
            }
        }
        day += Duration::days(1);
    }
    out.rendez_vous = rows.len();
    insert_rows(
        conn,
        dep,
        "INSERT INTO rendez_vous (departement_id, personne_id, agent_id, type, statut, debut, fin, nature, site_id, \
         permanence_id, demande_le, created_at, updated_at) VALUES ",
        |n| {
            format!(
                "($1, CAST(${} AS BIGINT), CAST(${} AS BIGINT), ${}, ${}, ${}, ${}, ${}, CAST(${} AS BIGINT), \
                 CAST(NULLIF(${}, '') AS BIGINT), ${}, ${}, ${})",
                n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7, n + 8, n + 9, n + 10, n + 11
            )
        },
        &rows,
    )
    .await?;
    Ok(out)
}
