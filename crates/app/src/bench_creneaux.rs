//! `parcours bench creneaux`: the figure of the first free slot. Creates a fresh database (a temporary
//! SQLite file, or a `parcours_bench_creneaux` database on the PostgreSQL server of `--url`), loads the
//! demo département (177 agents, with the agendas of `parcours_store::agenda::seed_demo`: plages, PLAS,
//! permanences, leave, about five weeks of appointments), then times N searches of the first free slot
//! for a secteur, as the desk asks it (every secteur in turn, kinds in turn), each on a connection taken
//! from the pool like a request would, and prints p50, p99 and max.

use std::time::{Duration, Instant};

use crate::bench::percentile;

use clap::Args;
use parcours_domain::agenda::TypeRdv;
use parcours_domain::demo::{self, Scale};
use parcours_store::agenda::RdvFilter;
use parcours_store::agenda::{self, Cible};
use parcours_store::{referentiel, Store};

#[derive(Args)]
pub struct CreneauxArgs {
    /// `sqlite` ou `postgres`.
    #[arg(long, default_value = "sqlite")]
    base: String,
    /// PostgreSQL : URL du serveur (une base `parcours_bench_creneaux` y est créée puis supprimée).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    url: String,
    /// Nombre de recherches mesurées.
    #[arg(long, default_value_t = 2000)]
    requetes: usize,
}

const PG_DB: &str = "parcours_bench_creneaux";

pub async fn run(args: CreneauxArgs) -> anyhow::Result<()> {
    let postgres = match args.base.as_str() {
        "sqlite" => false,
        "postgres" => true,
        other => anyhow::bail!("--base : « {other} » inconnu (sqlite ou postgres)"),
    };
    let (url, file) =
        crate::bench::base_neuve(postgres, &args.url, PG_DB, "parcours-bench-creneaux").await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let started = Instant::now();
    let d = demo::generate(1, Scale::Defaut);
    parcours_store::demo::load(&store, &d, "bench-sans-connexion", |_, _| {}).await?;
    let mut conn = store.read().await?;
    let (_, n_rdv) = agenda::list(
        &mut conn,
        demo::DEMO_DEPARTEMENT,
        &RdvFilter::default(),
        1,
        0,
    )
    .await?;
    let secteurs: Vec<i64> = referentiel::secteurs(&mut conn, demo::DEMO_DEPARTEMENT)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    drop(conn);
    println!(
        "Département de démonstration chargé en {:.1} s ({}) : {} agents, {} secteurs, {} rendez-vous.",
        started.elapsed().as_secs_f64(),
        args.base,
        d.agents.len(),
        secteurs.len(),
        n_rdv
    );
    let kinds = [TypeRdv::PremierAccueil, TypeRdv::Suivi, TypeRdv::Rsa];
    let search = |i: usize| {
        let store = store.clone();
        let secteur = secteurs[i % secteurs.len()];
        let t = kinds[(i / secteurs.len()) % kinds.len()];
        async move {
            let t0 = Instant::now();
            let mut conn = store.read().await?;
            let found = agenda::creneaux(
                &mut conn,
                demo::DEMO_DEPARTEMENT,
                Cible::Secteur(secteur),
                t,
                t.duree(),
                parcours_store::clock().maintenant(),
                60,
                1,
            )
            .await?;
            Ok::<_, anyhow::Error>((t0.elapsed(), !found.is_empty()))
        }
    };
    for i in 0..50 {
        search(i).await?;
    }
    let mut times = Vec::with_capacity(args.requetes);
    let mut found = 0;
    for i in 0..args.requetes {
        let (t, ok) = search(i).await?;
        times.push(t);
        found += usize::from(ok);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "Premier créneau libre ({}, {} recherches, {} avec un créneau) : p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms.",
        args.base,
        times.len(),
        found,
        ms(percentile(&times, 0.50)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap_or(&Duration::ZERO)),
    );
    store.close().await;
    crate::bench::supprimer_base(postgres, &args.url, PG_DB, &file).await?;
    Ok(())
}
