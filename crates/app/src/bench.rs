//! `parcours bench recherche`: the figure of the person search. Loads N synthetic French people
//! (deterministic for a seed: `parcours_doublons::synthese`, common names and synthetic ones, no real
//! person; synthetic NIR and mobile numbers) with multi-row inserts in big transactions (the search
//! tokens and pair keys computed by the domain, as the store API does), then times
//! the searches an agent at the front desk types — a name, a name and a given name, the start of a
//! name, a name spelled another way that sounds the same, a birth date, a NIR, a phone number — and
//! prints p50, p99 and max per kind and overall. On PostgreSQL it creates its own database on the
//! server of `--url` and drops it at the end.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use parcours_domain::personnes::{
    fold, nir, NewPersonne, Nir, PersonneResume, Recherche, Sexe, Telephone,
};
use parcours_store::{departements, personnes, raw_execute, Backend, Store};

/// The département the synthetic people are recorded in.
const DEP: &str = "96";
/// Results asked for by each search, as the search page does.
const LIMITE: i64 = 20;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Recherche de personnes : charge N personnes fictives puis mesure p50/p99 des recherches.
    Recherche(RechercheArgs),
    /// Premier créneau libre d'un secteur sur les agendas de démonstration : p50/p99.
    Creneaux(crate::bench_creneaux::CreneauxArgs),
    /// Échéances d'une MDS et retards du département sur N procédures ouvertes : p50/p99, rapport au
    /// balayage sans index.
    Echeances(crate::bench_echeances::EcheancesArgs),
    /// Contrôle des anomalies d'un lot mensuel d'ordres de paiement des aides (issue 20).
    Aides(crate::bench_aides::AidesArgs),
}

#[derive(Args)]
pub struct RechercheArgs {
    /// Nombre de personnes fictives chargées.
    #[arg(long, default_value_t = 1_000_000)]
    personnes: usize,
    /// `sqlite` ou `postgres`.
    #[arg(long, default_value = "sqlite")]
    base: String,
    /// Nombre de recherches mesurées (réparties également entre les types).
    #[arg(long, default_value_t = 2000)]
    requetes: usize,
    /// PostgreSQL : URL du serveur (une base `parcours_bench_recherche` y est créée puis supprimée).
    /// SQLite : chemin du fichier (par défaut dans le répertoire temporaire).
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Garde la base après la mesure (pour l'examiner, ou la réutiliser avec --reutiliser).
    #[arg(long)]
    garder: bool,
    /// Réutilise la base gardée par un passage précédent (mêmes --personnes et --seed) sans la
    /// recharger.
    #[arg(long)]
    reutiliser: bool,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Recherche(args) => recherche(args).await,
        BenchCommand::Creneaux(args) => crate::bench_creneaux::run(args).await,
        BenchCommand::Echeances(args) => crate::bench_echeances::run(args).await,
        BenchCommand::Aides(args) => crate::bench_aides::run(args).await,
    }
}

/// One synthetic person, as loaded and as searched for.
struct Fiche {
    personne: NewPersonne,
}

/// A small deterministic generator (SplitMix64): the choice of the queries does not depend on a
/// crate's version.
struct Alea(u64);

impl Alea {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// The synthetic people: the records of the duplicate generator that have a birth name and a given
/// name, with a NIR for seven in ten (consistent with sex and birth date, unique) and a mobile number
/// for six in ten.
fn fiches(n: usize, seed: u64) -> anyhow::Result<Vec<Fiche>> {
    let jeu = parcours_doublons::synthese::generer(n + n / 5 + 10, seed);
    let mut alea = Alea(seed ^ 0x5EED);
    let mut nirs: HashSet<u64> = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    for r in jeu.records {
        if out.len() == n {
            break;
        }
        let prenoms: Vec<String> = r.prenoms.split_whitespace().map(str::to_string).collect();
        if r.nom_naissance.trim().is_empty() || prenoms.is_empty() {
            continue;
        }
        let sexe = match r.sexe {
            Some(parcours_doublons::Sexe::M) => Sexe::Masculin,
            Some(parcours_doublons::Sexe::F) => Sexe::Feminin,
            None => Sexe::Inconnu,
        };
        let date = r.date_naissance.and_then(|d| {
            NaiveDate::from_ymd_opt(i32::from(d.annee), u32::from(d.mois), u32::from(d.jour))
        });
        let i = out.len() as u64;
        let nir = match (sexe, r.date_naissance) {
            (Sexe::Masculin | Sexe::Feminin, Some(d)) if alea.chance(0.7) => {
                let lieu = if r.commune_naissance_insee.len() == 5
                    && r.commune_naissance_insee
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                {
                    r.commune_naissance_insee.clone()
                } else {
                    "59001".to_string()
                };
                let tete = format!(
                    "{}{:02}{:02}{lieu}",
                    if sexe == Sexe::Masculin { 1 } else { 2 },
                    d.annee % 100,
                    d.mois
                );
                let mut ordre = i % 999 + 1;
                let corps = loop {
                    let corps: u64 = format!("{tete}{ordre:03}").parse()?;
                    if nirs.insert(corps) {
                        break corps;
                    }
                    ordre = ordre % 999 + 1;
                };
                Some(
                    Nir::parse(&format!("{corps:013}{:02}", nir::control_key(corps)))
                        .map_err(anyhow::Error::msg)?,
                )
            }
            _ => None,
        };
        let telephones = if alea.chance(0.6) {
            // Unique for fewer than 10^8 people: 7919 is prime to 10^8.
            let numero = format!("06{:08}", (i * 7919) % 100_000_000);
            vec![Telephone::parse(&numero).map_err(anyhow::Error::msg)?]
        } else {
            Vec::new()
        };
        let nom_usage = Some(r.nom_usage.trim().to_string()).filter(|u| !u.is_empty());
        out.push(Fiche {
            personne: NewPersonne {
                nom_naissance: r.nom_naissance.trim().to_string(),
                nom_usage,
                prenoms,
                sexe,
                date_naissance: date,
                lieu_naissance: None,
                nir,
                telephones,
                email: None,
            },
        });
    }
    anyhow::ensure!(
        out.len() == n,
        "le générateur n'a fourni que {} personnes",
        out.len()
    );
    Ok(out)
}

fn barre(len: u64, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Loads the people in transactions of `LOT` people, with multi-row `INSERT`s of `LIGNES` rows for
/// `personnes`, `personne_contacts`, `personne_noms` and `personne_paires` (tokens and pair keys
/// computed by the domain, as `store::personnes::create` does) instead of four statements per
/// person; on PostgreSQL, two writers at once. The database is new: the people get the ids from 1,
/// and on PostgreSQL the identity sequence is moved past them at the end.
async fn charger(store: &Store, fiches: &[Fiche]) -> anyhow::Result<()> {
    const LOT: usize = 20_000;
    let mut tx = store.begin().await?;
    departements::create(&mut tx, DEP, "Département fictif (banc d'essai)").await?;
    tx.commit().await?;
    // A new database: nobody yet.
    let premier = 1;
    let bar = barre(fiches.len() as u64, "Chargement des personnes");
    let ecrivains = match store.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    };
    let at = parcours_store::now();
    let lots: Vec<(usize, &[Fiche])> = fiches
        .chunks(LOT)
        .enumerate()
        .map(|(i, l)| (i * LOT, l))
        .collect();
    for vague in lots.chunks(ecrivains) {
        let taches = vague.iter().map(|(debut, lot)| {
            let bar = bar.clone();
            let at = at.clone();
            async move {
                let ordres = lot_sql(premier + *debut as i64, lot, &at);
                let mut tx = store.begin().await?;
                for sql in &ordres {
                    raw_execute(&mut tx, sql).await?;
                }
                tx.commit().await?;
                bar.inc(lot.len() as u64);
                anyhow::Ok(())
            }
        });
        for r in futures_join(taches).await {
            r?;
        }
    }
    bar.finish_and_clear();
    if store.backend() == Backend::Postgres {
        let mut c = store.read().await?;
        raw_execute(
            &mut c,
            "SELECT setval(pg_get_serial_sequence('personnes', 'id'), (SELECT MAX(id) FROM personnes))",
        )
        .await?;
    }
    Ok(())
}

/// Rows per multi-row `INSERT`.
const LIGNES: usize = 500;

/// A text literal of SQL (both backends: quotes doubled, no backslash escapes).
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn lit_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".to_string(), lit)
}

/// The `INSERT` statements of a batch of people whose ids start at `premier`: the values are
/// literals (synthetic data, quoted by [`lit`]), which keeps each statement under any bind limit.
fn lot_sql(premier: i64, lot: &[Fiche], at: &str) -> Vec<String> {
    let dep = lit(DEP);
    let at = lit(at);
    let mut personnes_v = Vec::with_capacity(lot.len());
    let mut contacts_v = Vec::new();
    let mut noms_v = Vec::new();
    let mut paires_v = Vec::new();
    for (i, f) in lot.iter().enumerate() {
        let p = &f.personne;
        let id = premier + i as i64;
        personnes_v.push(format!(
            "({id}, {dep}, {}, {}, {}, {}, {}, NULL, NULL, {}, {}, {at}, {at})",
            lit(&p.nom_naissance),
            lit_opt(p.nom_usage.as_deref()),
            lit(&p.prenoms.join(", ")),
            p.sexe.code(),
            lit_opt(
                p.date_naissance
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .as_deref()
            ),
            lit_opt(p.nir.as_ref().map(|n| n.as_str())),
            lit(&p.nom_recherche()),
        ));
        for (rang, t) in p.telephones.iter().enumerate() {
            contacts_v.push(format!(
                "({dep}, {id}, 'telephone', {}, {rang}, {at})",
                lit(t.as_str())
            ));
        }
        let tokens = Recherche::tokens_nom(&p.nom_naissance, p.nom_usage.as_deref(), &p.prenoms);
        let tri = lit(&p.nom_recherche());
        for cle in Recherche::cles_index(&tokens) {
            let tri = if cle.contains(' ') {
                "''"
            } else {
                tri.as_str()
            };
            paires_v.push(format!("({dep}, {id}, {}, {tri})", lit(&cle)));
        }
        for t in tokens {
            noms_v.push(format!(
                "({dep}, {id}, {}, {}, '{}')",
                lit(&t.token),
                lit(&t.phonetique),
                t.kind.code()
            ));
        }
    }
    let mut out = Vec::new();
    let mut push = |head: &str, rows: &[String]| {
        for c in rows.chunks(LIGNES) {
            out.push(format!("{head} VALUES {}", c.join(", ")));
        }
    };
    push(
        "INSERT INTO personnes (id, departement_id, nom_naissance, nom_usage, prenoms, sexe, \
         date_naissance, commune_naissance, pays_naissance, nir, nom_recherche, created_at, updated_at)",
        &personnes_v,
    );
    push(
        "INSERT INTO personne_contacts (departement_id, personne_id, kind, valeur, rang, created_at)",
        &contacts_v,
    );
    push(
        "INSERT INTO personne_noms (departement_id, personne_id, token, phonetique, kind)",
        &noms_v,
    );
    push(
        "INSERT INTO personne_paires (departement_id, personne_id, cle, tri)",
        &paires_v,
    );
    out
}

/// Runs the futures concurrently on this task and answers their results in order.
async fn futures_join<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<T>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// The kinds of searches measured, as typed at the front desk.
const TYPES: &[&str] = &[
    "nom",
    "nom prénom",
    "prénom nom date",
    "début de nom prénom",
    "phonétique prénom",
    "date",
    "NIR",
    "téléphone",
];

/// A spelling of `nom` that sounds the same (same phonetic key), as a typist might write it.
fn variante(nom: &str, alea: &mut Alea) -> Option<String> {
    let f = fold(nom);
    let cle = Recherche::phonetique(&f);
    if cle.is_empty() {
        return None;
    }
    let regles: &[(&str, &str)] = &[
        ("ph", "f"),
        ("f", "ph"),
        ("y", "i"),
        ("i", "y"),
        ("au", "o"),
        ("eau", "o"),
        ("o", "au"),
        ("qu", "k"),
        ("z", "s"),
        ("s", "z"),
        ("th", "t"),
        ("t", "th"),
        ("ai", "e"),
        ("c", "k"),
        ("mm", "m"),
        ("m", "mm"),
        ("nn", "n"),
        ("ll", "l"),
        ("l", "ll"),
        ("tt", "t"),
        ("t", "tt"),
        ("rr", "r"),
        ("ss", "s"),
        ("ff", "f"),
        ("e", "ai"),
        ("h", ""),
    ];
    let mut candidats: Vec<String> = Vec::new();
    for (de, vers) in regles {
        for (pos, _) in f.match_indices(de) {
            let v = format!("{}{vers}{}", &f[..pos], &f[pos + de.len()..]);
            if v != f && Recherche::phonetique(&v) == cle && !candidats.contains(&v) {
                candidats.push(v);
            }
        }
    }
    for fin in ["e", "t", "d", "s", "x"] {
        let v = format!("{f}{fin}");
        if Recherche::phonetique(&v) == cle {
            candidats.push(v);
        }
    }
    (!candidats.is_empty()).then(|| candidats[alea.below(candidats.len())].clone())
}

/// As typed: sometimes in capitals, sometimes without accents.
fn saisie(s: &str, alea: &mut Alea) -> String {
    match alea.below(3) {
        0 => s.to_uppercase(),
        1 => s.to_lowercase(),
        _ => s.to_string(),
    }
}

/// The query of kind `k` for a person, or `None` when the person cannot be searched that way (no
/// NIR, no phone, no date, no other spelling).
fn requete(k: &str, p: &NewPersonne, alea: &mut Alea) -> Option<String> {
    let nom = match &p.nom_usage {
        Some(u) if alea.chance(0.5) => u.clone(),
        _ => p.nom_naissance.clone(),
    };
    let prenom = p.prenoms.first()?.clone();
    let date = p.date_naissance.map(|d| d.format("%d/%m/%Y").to_string());
    Some(match k {
        "nom" => saisie(&nom, alea),
        "nom prénom" => saisie(&format!("{nom} {prenom}"), alea),
        "prénom nom date" => format!("{} {}", saisie(&format!("{prenom} {nom}"), alea), date?),
        "début de nom prénom" => {
            let debut: String = fold(&nom).chars().take(4).collect();
            (debut.len() == 4).then_some(())?;
            format!("{debut} {}", saisie(&prenom, alea))
        }
        "phonétique prénom" => format!("{} {}", variante(&nom, alea)?, saisie(&prenom, alea)),
        "date" => date?,
        "NIR" => p.nir.as_ref()?.as_str().to_string(),
        "téléphone" => {
            let t = p.telephones.first()?.as_str();
            // +33612345678 → 06 12 34 56 78
            let national = format!("0{}", &t[3..]);
            national
                .as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => return None,
    })
}

/// The person sought is among the results (same names and birth date: the generator may create
/// homonyms born the same day, which are then equally right).
fn trouvee(p: &NewPersonne, resultats: &[PersonneResume]) -> bool {
    resultats.iter().any(|r| {
        r.nom_naissance == p.nom_naissance
            && r.prenoms == p.prenoms
            && r.date_naissance == p.date_naissance
    })
}

struct Mesure {
    durees: Vec<Duration>,
    trouvees: usize,
    resultats: usize,
}

fn quantile(triees: &[Duration], q: f64) -> Duration {
    if triees.is_empty() {
        return Duration::ZERO;
    }
    let rang = ((triees.len() as f64) * q).ceil() as usize;
    triees[rang.clamp(1, triees.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

async fn recherche(args: RechercheArgs) -> anyhow::Result<()> {
    let backend = match args.base.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        autre => anyhow::bail!("base inconnue « {autre} » : attendu sqlite ou postgres"),
    };
    let debut = Instant::now();
    eprintln!(
        "Génération de {} personnes fictives (graine {})…",
        args.personnes, args.seed
    );
    let fiches = tokio::task::spawn_blocking(move || fiches(args.personnes, args.seed)).await??;

    // The database: a file of our own, or a database of our own on the PostgreSQL server.
    let (url, admin) = match backend {
        Backend::Sqlite => {
            let chemin = args.url.clone().unwrap_or_else(|| {
                std::env::temp_dir()
                    .join("parcours-bench-recherche.db")
                    .display()
                    .to_string()
            });
            if !args.reutiliser {
                for suffixe in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{chemin}{suffixe}"));
                }
            }
            (format!("sqlite://{chemin}"), None)
        }
        Backend::Postgres => {
            let serveur = args
                .url
                .clone()
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let nom = "parcours_bench_recherche";
            let admin = Store::connect(&serveur)
                .await
                .with_context(|| format!("serveur PostgreSQL injoignable ({serveur})"))?;
            if !args.reutiliser {
                let mut c = admin.read().await?;
                raw_execute(&mut c, &format!("DROP DATABASE IF EXISTS {nom}")).await?;
                raw_execute(&mut c, &format!("CREATE DATABASE {nom}")).await?;
            }
            (database_url(&serveur, nom), Some((admin, nom)))
        }
    };
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    if args.reutiliser {
        eprintln!("Base réutilisée : {url}");
    } else {
        let t = Instant::now();
        charger(&store, &fiches).await?;
        eprintln!(
            "{} personnes chargées en {:.0} s.",
            fiches.len(),
            t.elapsed().as_secs_f64()
        );
        if backend == Backend::Postgres {
            // What autovacuum does after a bulk load: statistics, and the visibility map that lets
            // the search read its indexes alone.
            let mut c = store.read().await?;
            raw_execute(&mut c, "VACUUM ANALYZE").await?;
        }
    }

    // The queries: for each, a person drawn at random and a kind in turn.
    let mut alea = Alea(args.seed.wrapping_mul(31).wrapping_add(7));
    let mut requetes: Vec<(usize, usize, String)> = Vec::with_capacity(args.requetes);
    let mut essais = 0;
    while requetes.len() < args.requetes && essais < args.requetes * 50 {
        essais += 1;
        let k = requetes.len() % TYPES.len();
        let j = alea.below(fiches.len());
        if let Some(q) = requete(TYPES[k], &fiches[j].personne, &mut alea) {
            requetes.push((k, j, q));
        }
    }

    // Warm-up: the first queries after a load read pages from disk; the figure is for a server
    // that has been running.
    let echauffement = requetes.len().min(200);
    for (_, _, q) in requetes.iter().take(echauffement) {
        let mut c = store.read().await?;
        personnes::search(&mut c, DEP, q, LIMITE).await?;
    }

    let bar = barre(requetes.len() as u64, "Recherches");
    let mut mesures: Vec<Mesure> = TYPES
        .iter()
        .map(|_| Mesure {
            durees: Vec::new(),
            trouvees: 0,
            resultats: 0,
        })
        .collect();
    for (k, j, q) in &requetes {
        let t = Instant::now();
        let mut c = store.read().await?;
        let r = personnes::search(&mut c, DEP, q, LIMITE).await?;
        drop(c);
        let d = t.elapsed();
        let m = &mut mesures[*k];
        m.durees.push(d);
        m.resultats += r.len();
        if trouvee(&fiches[*j].personne, &r) {
            m.trouvees += 1;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    println!(
        "Recherche de personnes — {}, {} personnes, {} recherches (limite {LIMITE} résultats)",
        args.base,
        fiches.len(),
        requetes.len()
    );
    println!(
        "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "type", "n", "p50 ms", "p99 ms", "max ms", "résultats", "trouvée"
    );
    let mut toutes: Vec<Duration> = Vec::new();
    let (mut n_trouvees, mut n_resultats) = (0, 0);
    for (k, m) in mesures.iter_mut().enumerate() {
        m.durees.sort();
        toutes.extend(&m.durees);
        n_trouvees += m.trouvees;
        n_resultats += m.resultats;
        let n = m.durees.len().max(1);
        println!(
            "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9.1} {:>8.1}%",
            TYPES[k],
            m.durees.len(),
            ms(quantile(&m.durees, 0.5)),
            ms(quantile(&m.durees, 0.99)),
            ms(m.durees.last().copied().unwrap_or_default()),
            m.resultats as f64 / n as f64,
            100.0 * m.trouvees as f64 / n as f64
        );
    }
    toutes.sort();
    let n = toutes.len().max(1);
    println!(
        "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9.1} {:>8.1}%",
        "ensemble",
        toutes.len(),
        ms(quantile(&toutes, 0.5)),
        ms(quantile(&toutes, 0.99)),
        ms(toutes.last().copied().unwrap_or_default()),
        n_resultats as f64 / n as f64,
        100.0 * n_trouvees as f64 / n as f64
    );
    eprintln!("Durée totale : {:.0} s.", debut.elapsed().as_secs_f64());

    store.close().await;
    if args.garder {
        eprintln!("Base gardée : {url}");
    } else if let Some((admin, nom)) = admin {
        let mut c = admin.read().await?;
        raw_execute(&mut c, &format!("DROP DATABASE IF EXISTS {nom}")).await?;
    } else if let Some(chemin) = url.strip_prefix("sqlite://") {
        for suffixe in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{chemin}{suffixe}"));
        }
    }
    Ok(())
}

/// The URL of database `name` on the server of `server_url` (its path replaced, its query kept).
fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server_url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

/// The URL of database `db` on the PostgreSQL server of `server` (same host, user and options).
pub(crate) fn pg_url(server: &str, db: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, String::new()), |(b, q)| (b, format!("?{q}")));
    let start = base.find("://").map_or(0, |i| i + 3);
    let end = base[start..].find('/').map_or(base.len(), |i| start + i);
    format!("{}/{db}{query}", &base[..end])
}

/// The `p` quantile of sorted durations.
pub(crate) fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len().saturating_sub(1))]
}

/// A fresh database for a benchmark: `db` (re)created on the PostgreSQL server of `server`, or a
/// temporary SQLite file named after `nom`; returns its URL and the SQLite file.
pub(crate) async fn base_neuve(
    postgres: bool,
    server: &str,
    db: &str,
    nom: &str,
) -> anyhow::Result<(String, std::path::PathBuf)> {
    let file = std::env::temp_dir().join(format!("{nom}-{}.db", std::process::id()));
    if !postgres {
        return Ok((format!("sqlite://{}", file.display()), file));
    }
    let admin = parcours_store::Store::connect(server).await?;
    let mut c = admin.read().await?;
    parcours_store::raw_execute(
        &mut c,
        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
    )
    .await?;
    parcours_store::raw_execute(&mut c, &format!("CREATE DATABASE {db}")).await?;
    drop(c);
    admin.close().await;
    Ok((pg_url(server, db), file))
}

/// Removes what `base_neuve` made.
pub(crate) async fn supprimer_base(
    postgres: bool,
    server: &str,
    db: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    if postgres {
        let admin = parcours_store::Store::connect(server).await?;
        let mut c = admin.read().await?;
        // Forced: the pool's connections may not all be gone yet.
        parcours_store::raw_execute(
            &mut c,
            &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        )
        .await?;
    } else {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    Ok(())
}
