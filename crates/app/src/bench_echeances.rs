//! `parcours bench echeances`: the due-date list of a cadre's MDS and the département's late-file count
//! over N open procedures (1 million by default). Creates a fresh database (a temporary SQLite file, or
//! a `parcours_bench_echeances` database on the PostgreSQL server of `--url`), loads the demo
//! département, then N procedures on its dossiers, each with one open due date spread from 60 days
//! late to two years ahead (about 8 % late), with the team's MDS, secteur and référent. Times the two
//! reads as the pages run them (`store::procedures::a_traiter` for one MDS, `retards` for the
//! département), then the same late count with the indexes disabled — the baseline of a scan — and
//! prints p50, p99 and the ratio to the scan, in the same run.

use std::time::{Duration, Instant};

use crate::bench::percentile;

use clap::Args;
use parcours_domain::demo::{self, Scale};
use parcours_store::procedures::{self as store, Perimetre};
use parcours_store::{raw_execute, Backend, Store};
use sqlx::Row;

#[derive(Args)]
pub struct EcheancesArgs {
    /// `sqlite` ou `postgres`.
    #[arg(long, default_value = "sqlite")]
    base: String,
    /// PostgreSQL : URL du serveur (une base `parcours_bench_echeances` y est créée puis supprimée).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    url: String,
    /// Nombre de procédures ouvertes chargées (une échéance ouverte chacune).
    #[arg(long, default_value_t = 1_000_000)]
    procedures: u64,
    /// Nombre de lectures mesurées de chaque sorte.
    #[arg(long, default_value_t = 500)]
    requetes: usize,
}

const PG_DB: &str = "parcours_bench_echeances";
const REGLES: [&str; 6] = [
    "RSA_ORIENT",
    "RSA_CONTRAT",
    "MASP_CONTRAT",
    "EXP_CDT_PAYER",
    "EXP_ASSIGN_PREFET",
    "RSA_DIAG_VULN",
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(args: EcheancesArgs) -> anyhow::Result<()> {
    let postgres = match args.base.as_str() {
        "sqlite" => false,
        "postgres" => true,
        other => anyhow::bail!("--base : « {other} » inconnu (sqlite ou postgres)"),
    };
    let (url, file) =
        crate::bench::base_neuve(postgres, &args.url, PG_DB, "parcours-bench-echeances").await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let dep = demo::DEMO_DEPARTEMENT;
    let started = Instant::now();
    let d = demo::generate(1, Scale::Defaut);
    parcours_store::demo::load(&store, &d, "bench-sans-connexion", |_, _| {}).await?;
    let today = parcours_store::clock().today();

    // The teams that follow the demo dossiers: each procedure goes to one of them.
    let mut tx = store.begin().await?;
    raw_execute(
        &mut tx,
        "CREATE TABLE bench_equipes (k BIGINT PRIMARY KEY, dossier_id BIGINT, site_id BIGINT, secteur_id BIGINT, referent_id BIGINT)",
    )
    .await?;
    let equipes = sqlx::query(
        "SELECT d.id AS dossier_id, s.site_id, (SELECT MIN(t.id) FROM secteurs t WHERE t.departement_id = d.departement_id \
         AND t.site_id = s.site_id) AS secteur_id, (SELECT MIN(r.agent_id) FROM dossier_referents r WHERE \
         r.departement_id = d.departement_id AND r.dossier_id = d.id) AS referent_id FROM dossiers d \
         JOIN dossier_services s ON s.departement_id = d.departement_id AND s.dossier_id = d.id \
         WHERE d.departement_id = $1 AND s.site_id IS NOT NULL ORDER BY d.id",
    )
    .bind(dep)
    .fetch_all(&mut *tx)
    .await?;
    anyhow::ensure!(
        !equipes.is_empty(),
        "la démonstration n'a pas de dossier suivi"
    );
    for (k, r) in equipes.iter().enumerate() {
        sqlx::query("INSERT INTO bench_equipes VALUES ($1, $2, $3, $4, $5)")
            .bind(k as i64)
            .bind(r.get::<i64, _>("dossier_id"))
            .bind(r.get::<Option<i64>, _>("site_id"))
            .bind(r.get::<Option<i64>, _>("secteur_id"))
            .bind(r.get::<Option<i64>, _>("referent_id"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let ne = equipes.len() as u64;
    let t = today.format("%Y-%m-%d").to_string();
    let jour = match store.backend() {
        Backend::Sqlite => format!("date('{t}', ((p.id * 7919) % 760 - 60) || ' days')"),
        Backend::Postgres => {
            format!("to_char(DATE '{t}' + CAST((p.id * 7919) % 760 - 60 AS INTEGER), 'YYYY-MM-DD')")
        }
    };
    let regle = format!(
        "CASE p.id % 6 {} END",
        REGLES
            .iter()
            .enumerate()
            .map(|(i, r)| format!("WHEN {i} THEN '{r}'"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    // The demo's own procedures keep their due dates; only the loaded ones get one here.
    let avant: i64 = {
        let mut c = store.read().await?;
        sqlx::query("SELECT COALESCE(MAX(id), 0) AS m FROM procedures")
            .fetch_one(&mut *c)
            .await?
            .get("m")
    };
    let lot = 100_000u64;
    let mut fait = 0;
    while fait < args.procedures {
        let n = lot.min(args.procedures - fait);
        let mut tx = store.begin().await?;
        raw_execute(
            &mut tx,
            &format!(
                "INSERT INTO procedures (departement_id, dossier_id, type, site_id, secteur_id, referent_id, ouverte_le, created_at) \
                 WITH RECURSIVE n(i) AS (SELECT {fait} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
                 SELECT '{dep}', b.dossier_id, CASE n.i % 3 WHEN 0 THEN 'rsa' WHEN 1 THEN 'masp' ELSE 'expulsion' END, \
                 b.site_id, b.secteur_id, b.referent_id, '{t}', '{t}T00:00:00.000000Z' FROM n JOIN bench_equipes b ON b.k = n.i % {ne}",
                last = fait + n - 1
            ),
        )
        .await?;
        tx.commit().await?;
        fait += n;
    }
    let mut tx = store.begin().await?;
    raw_execute(
        &mut tx,
        &format!(
            "INSERT INTO echeances (departement_id, procedure_id, regle, debut, echeance, jour, etat, site_id, secteur_id, referent_id, created_at) \
             SELECT p.departement_id, p.id, {regle}, '{t}', {jour}, {jour}, 'ouverte', p.site_id, p.secteur_id, p.referent_id, p.created_at \
             FROM procedures p WHERE p.departement_id = '{dep}' AND p.id > {avant}"
        ),
    )
    .await?;
    // The day counts, recomputed from every open due date.
    raw_execute(
        &mut tx,
        &format!("DELETE FROM echeances_jours WHERE departement_id = '{dep}'"),
    )
    .await?;
    raw_execute(
        &mut tx,
        &format!(
            "INSERT INTO echeances_jours (departement_id, site_id, secteur_id, jour, n) \
             SELECT departement_id, COALESCE(site_id, 0), COALESCE(secteur_id, 0), jour, COUNT(*) FROM echeances \
             WHERE departement_id = '{dep}' AND etat = 'ouverte' GROUP BY departement_id, COALESCE(site_id, 0), COALESCE(secteur_id, 0), jour"
        ),
    )
    .await?;
    tx.commit().await?;
    let mut c = store.read().await?;
    raw_execute(&mut c, "ANALYZE").await?;
    if postgres {
        raw_execute(&mut c, "VACUUM ANALYZE echeances").await?;
    }
    let sites: Vec<i64> =
        sqlx::query("SELECT DISTINCT site_id FROM bench_equipes ORDER BY site_id")
            .fetch_all(&mut *c)
            .await?
            .iter()
            .filter_map(|r| r.get::<Option<i64>, _>("site_id"))
            .collect();
    let ouvertes: i64 = sqlx::query("SELECT COUNT(*) AS n FROM echeances WHERE etat = 'ouverte'")
        .fetch_one(&mut *c)
        .await?
        .get("n");
    drop(c);
    println!(
        "{} procédures ouvertes chargées en {:.1} s ({}) : {ouvertes} échéances ouvertes, {} MDS.",
        args.procedures,
        started.elapsed().as_secs_f64(),
        args.base,
        sites.len()
    );

    let semaine = today + chrono::Duration::days(7);
    let mut liste = Vec::with_capacity(args.requetes);
    let mut retards = Vec::with_capacity(args.requetes);
    let mut lignes = 0;
    for i in 0..args.requetes + 20 {
        let site = sites[i % sites.len()];
        let mut c = store.read().await?;
        let t0 = Instant::now();
        let (page, total) =
            store::a_traiter(&mut c, dep, &Perimetre::Sites(vec![site]), semaine, 50, 0).await?;
        let t1 = t0.elapsed();
        let t0 = Instant::now();
        let r = store::retards(&mut c, dep, &Perimetre::Departement, today).await?;
        let t2 = t0.elapsed();
        if i >= 20 {
            liste.push(t1);
            retards.push(t2);
            lignes = lignes.max(total);
            anyhow::ensure!(!page.is_empty() && !r.is_empty(), "lecture vide");
        }
    }
    // The baseline: the late count with the indexes out of the planner's reach (a scan).
    let mut scan = Vec::new();
    for _ in 0..20 {
        let mut c = store.read().await?;
        if postgres {
            for v in [
                "enable_indexscan",
                "enable_indexonlyscan",
                "enable_bitmapscan",
            ] {
                raw_execute(&mut c, &format!("SET {v} = off")).await?;
            }
        }
        let sql = format!(
            "SELECT site_id, secteur_id, COUNT(*) AS n FROM echeances {} WHERE departement_id = '{dep}' \
             AND etat = 'ouverte' AND jour < '{t}' GROUP BY site_id, secteur_id",
            if postgres { "" } else { "NOT INDEXED" }
        );
        let t0 = Instant::now();
        sqlx::query(&sql).fetch_all(&mut *c).await?;
        scan.push(t0.elapsed());
        if postgres {
            for v in [
                "enable_indexscan",
                "enable_indexonlyscan",
                "enable_bitmapscan",
            ] {
                raw_execute(&mut c, &format!("RESET {v}")).await?;
            }
        }
    }
    for v in [&mut liste, &mut retards, &mut scan] {
        v.sort();
    }
    let (l99, r99, s99) = (
        percentile(&liste, 0.99),
        percentile(&retards, 0.99),
        percentile(&scan, 0.99),
    );
    println!(
        "Échéances d'une MDS (7 jours, {lignes} au plus par MDS, page de 50) : p50 {:.2} ms, p99 {:.2} ms.",
        ms(percentile(&liste, 0.5)),
        ms(l99)
    );
    println!(
        "Retards du département par MDS et secteur : p50 {:.2} ms, p99 {:.2} ms.",
        ms(percentile(&retards, 0.5)),
        ms(r99)
    );
    println!(
        "Référence sans index (même comptage, balayage) : p50 {:.2} ms, p99 {:.2} ms ; rapport p99 index / balayage : {:.3}.",
        ms(percentile(&scan, 0.5)),
        ms(s99),
        r99.as_secs_f64() / s99.as_secs_f64().max(1e-9)
    );
    println!(
        "Objectif p99 < 50 ms : liste {:.2} × l'objectif, retards {:.2} × l'objectif.",
        ms(l99) / 50.0,
        ms(r99) / 50.0
    );
    store.close().await;
    crate::bench::supprimer_base(postgres, &args.url, PG_DB, &file).await?;
    Ok(())
}
