//! `parcours bench aides`: the anomaly check of a month's batch of payment orders (50 000 by default)
//! against a base of N persons (1 million by default). Creates a fresh database (a temporary SQLite
//! file, or a `parcours_bench_aides` database on the PostgreSQL server of `--url`), loads the demo
//! département for its sites, agents and catalogue, then N persons (1 in 500 recorded as deceased),
//! one dossier for each person with an aid, a year of earlier paid orders (twice the batch) and the
//! batch itself, with anomalies planted in known proportions: IBANs shared by two households, repeats
//! of the same need within the period, self-approvals, deceased persons. Times the check as the job
//! runs it (`usecases::aides::controler_lot`, one transaction) several times, resetting the batch
//! between runs, and in the same run the floor: reading the batch alone (`lot_a_controler`). Prints the
//! time against the 5 s target and the ratio to the floor, and the orders held by rule.

use std::time::{Duration, Instant};

use clap::Args;
use parcours_domain::demo::{self, Scale};
use parcours_store::{raw_execute, Backend, Store};
use sqlx::Row;

#[derive(Args)]
pub struct AidesArgs {
    /// `sqlite` ou `postgres`.
    #[arg(long, default_value = "sqlite")]
    base: String,
    /// PostgreSQL : URL du serveur (une base `parcours_bench_aides` y est créée puis supprimée).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    url: String,
    /// Nombre de personnes de la base.
    #[arg(long, default_value_t = 1_000_000)]
    personnes: u64,
    /// Nombre d'ordres du lot contrôlé (un mois de paiements).
    #[arg(long, default_value_t = 50_000)]
    ordres: u64,
    /// Nombre de contrôles mesurés.
    #[arg(long, default_value_t = 5)]
    mesures: usize,
}

const PG_DB: &str = "parcours_bench_aides";

fn s(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// `n(i)` from `debut` to `fin` included: a recursive CTE on SQLite, `generate_series` on PostgreSQL
/// (whose recursive CTE is far slower at this size).
fn serie(postgres: bool, debut: u64, fin: u64) -> String {
    if postgres {
        format!("WITH n(i) AS (SELECT generate_series({debut}, {fin}))")
    } else {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT {debut} UNION ALL SELECT i + 1 FROM n WHERE i < {fin})"
        )
    }
}

/// Commits the step and refreshes the planner's statistics: the foreign-key checks of the next step
/// are planned against the table as it now is (on PostgreSQL a check planned when the table held the
/// demo's few hundred rows would scan it for every inserted row).
async fn etape(store: &Store, tx: parcours_store::Tx, tables: &str) -> anyhow::Result<()> {
    tx.commit().await?;
    let mut c = store.begin().await?;
    raw_execute(&mut c, &format!("ANALYZE {tables}")).await?;
    c.commit().await?;
    Ok(())
}

pub async fn run(args: AidesArgs) -> anyhow::Result<()> {
    let postgres = match args.base.as_str() {
        "sqlite" => false,
        "postgres" => true,
        other => anyhow::bail!("--base : « {other} » inconnu (sqlite ou postgres)"),
    };
    anyhow::ensure!(args.ordres >= 100, "--ordres : au moins 100");
    anyhow::ensure!(
        args.personnes >= args.ordres * 3,
        "--personnes : au moins trois fois le nombre d'ordres"
    );
    let (url, file) =
        crate::bench::base_neuve(postgres, &args.url, PG_DB, "parcours-bench-aides").await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let dep = demo::DEMO_DEPARTEMENT;
    let started = Instant::now();
    let d = demo::generate(1, Scale::Defaut);
    parcours_store::demo::load(&store, &d, "bench-sans-connexion", |_, _| {}).await?;
    // The demo's own orders waiting for their check are checked first: the batch is the bench's.
    parcours_usecases::aides::controler_lot(&store, dep)
        .await
        .map_err(|e| anyhow::anyhow!("contrôle : {e}"))?;
    let today = parcours_store::clock().today();
    let t = today.format("%Y-%m-%d").to_string();
    let date = |expr: &str| match store.backend() {
        Backend::Sqlite => format!("date('{t}', '-' || ({expr}) || ' days')"),
        Backend::Postgres => {
            format!("to_char(DATE '{t}' - CAST({expr} AS INTEGER), 'YYYY-MM-DD')")
        }
    };
    let (site, version, ts, cadre): (i64, i64, i64, i64) = {
        let mut c = store.read().await?;
        let site = sqlx::query(
            "SELECT MIN(id) AS id FROM sites WHERE departement_id = $1 AND kind = 'MDS'",
        )
        .bind(dep)
        .fetch_one(&mut *c)
        .await?
        .get("id");
        let version = sqlx::query(
            "SELECT MAX(id) AS id FROM aide_fonds_versions WHERE departement_id = $1 AND fonds_code = 'secours_urgence'",
        )
        .bind(dep)
        .fetch_one(&mut *c)
        .await?
        .get("id");
        let ts = sqlx::query("SELECT MIN(id) AS id FROM agents WHERE departement_id = $1 AND role = 'travailleur_social'")
            .bind(dep)
            .fetch_one(&mut *c)
            .await?
            .get("id");
        let cadre = sqlx::query(
            "SELECT MIN(id) AS id FROM agents WHERE departement_id = $1 AND role = 'cadre'",
        )
        .bind(dep)
        .fetch_one(&mut *c)
        .await?
        .get("id");
        (site, version, ts, cadre)
    };
    // Offsets above the demo's own rows.
    let max = |table: &'static str| {
        let store = store.clone();
        async move {
            let mut c = store.read().await?;
            let m: i64 = sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"))
                .fetch_one(&mut *c)
                .await?
                .get("m");
            anyhow::Ok(m as u64)
        }
    };
    let p0 = max("personnes").await? + 1;
    let d0 = max("dossiers").await? + 1;
    let a0 = max("aide_demandes").await? + 1;
    let o0 = max("aide_ordres").await? + 1;
    let lot = 100_000u64;

    // Persons: 1 in 500 deceased.
    let mut fait = 0;
    while fait < args.personnes {
        let n = lot.min(args.personnes - fait);
        let mut tx = store.begin().await?;
        raw_execute(
            &mut tx,
            &format!(
                "INSERT INTO personnes (id, departement_id, nom_naissance, prenoms, sexe, nom_recherche, created_at, updated_at, decede_le) \
                 {} SELECT {p0} + n.i, '{dep}', 'BANC' || n.i, 'Personne', 0, 'BANC' || n.i, '{t}T00:00:00.000000Z', \
                 '{t}T00:00:00.000000Z', CASE WHEN n.i % 500 = 7 THEN '{t}' ELSE NULL END FROM n",
                serie(postgres, fait, fait + n - 1)
            ),
        )
        .await?;
        etape(&store, tx, "personnes").await?;
        fait += n;
    }
    // Dossiers and requests: the history (2 × the batch, paid over the last year) then the batch
    // (decided today). Request k is for household h = k % batch size, a person spread over the
    // base; a household always asks for the same need, so its earlier aids within the fund's period
    // (30 days) are repeats.
    let historique = args.ordres * 2;
    let total = historique + args.ordres;
    let h_nb = args.ordres;
    let personne = format!("{p0} + ((n.i % {h_nb}) * 19) % {}", args.personnes);
    // Each household's person holds a card of the register (`CB-<person>`); 1 household in 1 000
    // has it blocked, so its loads of the batch are held.
    let c0 = max("aide_cartes").await? + 1;
    let mut fait = 0;
    while fait < h_nb {
        let n = lot.min(h_nb - fait);
        let mut tx = store.begin().await?;
        raw_execute(
            &mut tx,
            &format!(
                "INSERT INTO aide_cartes (id, departement_id, site_id, cle, titulaire_type, personne_id, titulaire_nom, titulaire_recherche, \
                 statut, reference, demandee_le, blocage_transmis, created_at) \
                 {} SELECT {c0} + n.i, '{dep}', {site}, '{dep}-banc-carte-' || n.i, 'personne', {personne}, 'BANC', 'banc', \
                 CASE WHEN n.i % 1000 = 3 THEN 'bloquee' ELSE 'active' END, 'CB-' || ({personne}), '{t}', 1, '{t}T00:00:00.000000Z' FROM n",
                serie(postgres, fait, fait + n - 1)
            ),
        )
        .await?;
        etape(&store, tx, "aide_cartes").await?;
        fait += n;
    }
    let mut fait = 0;
    while fait < total {
        let n = lot.min(total - fait);
        let mut tx = store.begin().await?;
        raw_execute(
            &mut tx,
            &format!(
                "INSERT INTO dossiers (id, departement_id, personne_id, intitule, ouvert_le, created_at) \
                 {} SELECT {d0} + n.i, '{dep}', {personne}, 'Banc d''essai', '{t}', '{t}T00:00:00.000000Z' FROM n",
                serie(postgres, fait, fait + n - 1)
            ),
        )
        .await?;
        etape(&store, tx, "dossiers").await?;
        let mut tx = store.begin().await?;
        let lot_sql = format!("n.i >= {historique}");
        let jour = date(&format!(
            "CASE WHEN {lot_sql} THEN 0 ELSE 1 + (n.i * 7919) % 360 END"
        ));
        // Transfers to persons for 1 household in 10 with the household's own IBAN, except 1 order in
        // 200 of the batch that gives another such household's (a shared IBAN). Self-approval: 1 in 50
        // of the batch.
        raw_execute(
            &mut tx,
            &format!(
                "INSERT INTO aide_demandes (id, departement_id, dossier_id, personne_id, foyer_cle, site_id, fonds_code, version_id, besoin, \
                 montant_demande, mode, beneficiaire, iban, carte, pieces, niveau, statut, instruit_par, demandee_le, sens, montant_accorde, \
                 decide_par, decide_le, created_at) \
                 {} SELECT {a0} + n.i, '{dep}', {d0} + n.i, {personne}, 'p' || ({personne}), {site}, 'secours_urgence', \
                 {version}, CASE (n.i % {h_nb}) % 3 WHEN 0 THEN 'alimentation' WHEN 1 THEN 'energie' ELSE 'transport' END, 8000, \
                 CASE WHEN n.i % 10 = 0 THEN 'virement_personne' ELSE 'carte' END, 'BANC ' || n.i, \
                 CASE WHEN n.i % 10 = 0 THEN 'FR76 BANC ' || (CASE WHEN {lot_sql} AND n.i % 200 = 0 THEN n.i % {h_nb} + 10 ELSE n.i % {h_nb} END) ELSE NULL END, \
                 CASE WHEN n.i % 10 = 0 THEN NULL ELSE 'CB-' || ({personne}) END, '[\"identite\"]', 'travailleur_social', 'accordee', {ts}, {jour}, \
                 'accord', 8000, CASE WHEN {lot_sql} AND n.i % 50 = 0 THEN {ts} ELSE {cadre} END, {jour}, '{t}T00:00:00.000000Z' FROM n",
                serie(postgres, fait, fait + n - 1)
            ),
        )
        .await?;
        etape(&store, tx, "aide_demandes").await?;
        let mut tx = store.begin().await?;
        raw_execute(
            &mut tx,
            &format!(
                "INSERT INTO aide_ordres (id, departement_id, demande_id, cle, mode, montant, beneficiaire, iban, carte, statut, created_at) \
                 SELECT {o0} + d.id - {a0}, d.departement_id, d.id, '{dep}-banc-' || d.id, d.mode, 8000, d.beneficiaire, d.iban, d.carte, \
                 CASE WHEN d.id - {a0} < {historique} THEN 'paye' ELSE 'a_verifier' END, d.created_at \
                 FROM aide_demandes d WHERE d.departement_id = '{dep}' AND d.id >= {a0} + {fait} AND d.id < {a0} + {fin}",
                fin = fait + n
            ),
        )
        .await?;
        etape(&store, tx, "aide_ordres").await?;
        fait += n;
    }
    println!(
        "{} personnes, {historique} ordres payés sur un an et un lot de {} ordres chargés en {:.1} s ({}).",
        args.personnes,
        args.ordres,
        started.elapsed().as_secs_f64(),
        args.base
    );

    let remettre = format!(
        "UPDATE aide_ordres SET statut = 'a_verifier', anomalies = '', controle_le = NULL \
         WHERE departement_id = '{dep}' AND id >= {} AND statut IN ('retenu', 'pret')",
        o0 + historique
    );
    let mut controles = Vec::new();
    let mut lectures = Vec::new();
    let mut dernier = parcours_usecases::aides::Controle::default();
    for i in 0..args.mesures + 1 {
        // The floor: reading the batch with what the rules need, nothing else.
        {
            let mut c = store.read().await?;
            let t0 = Instant::now();
            let l = parcours_store::aides::lot_a_controler(&mut c, dep).await?;
            let e = t0.elapsed();
            anyhow::ensure!(l.len() as u64 == args.ordres, "lot de {} ordres", l.len());
            if i > 0 {
                lectures.push(e);
            }
        }
        let t0 = Instant::now();
        let r = parcours_usecases::aides::controler_lot(&store, dep)
            .await
            .map_err(|e| anyhow::anyhow!("contrôle : {e}"))?;
        let e = t0.elapsed();
        anyhow::ensure!(
            r.controles as u64 == args.ordres,
            "{} ordres contrôlés",
            r.controles
        );
        if i > 0 {
            controles.push(e);
        }
        dernier = r;
        let mut tx = store.begin().await?;
        raw_execute(&mut tx, &remettre).await?;
        raw_execute(
            &mut tx,
            &format!("DELETE FROM jobs WHERE departement_id = '{dep}' AND kind = 'aides.paiement'"),
        )
        .await?;
        tx.commit().await?;
    }
    controles.sort();
    lectures.sort();
    let med = |v: &[Duration]| v[v.len() / 2];
    let (c50, cmax, l50) = (
        med(&controles),
        controles[controles.len() - 1],
        med(&lectures),
    );
    println!(
        "Contrôle d'un lot de {} ordres ({} mesures) : médiane {:.2} s, pire {:.2} s ; objectif < 5 s : {:.2} × l'objectif.",
        args.ordres,
        controles.len(),
        s(c50),
        s(cmax),
        s(cmax) / 5.0
    );
    println!(
        "Référence dans la même exécution, lecture seule du lot : médiane {:.2} s ; rapport contrôle / lecture : {:.2}.",
        s(l50),
        s(c50) / s(l50).max(1e-9)
    );
    println!(
        "Ordres retenus : {} sur {} ; par règle : {}.",
        dernier.retenus,
        dernier.controles,
        dernier
            .par_regle
            .iter()
            .map(|(r, n)| format!("{} {n}", r.libelle()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    store.close().await;
    crate::bench::supprimer_base(postgres, &args.url, PG_DB, &file).await?;
    Ok(())
}
