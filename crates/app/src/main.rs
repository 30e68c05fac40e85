//! The `parcours` binary: one executable for the web server (with its job workers), migrations, the
//! demo département, account administration and the audit check. Errors at start-up are printed in
//! French and end the process with a non-zero code.

mod bench;
mod bench_aides;
mod bench_creneaux;
mod bench_echeances;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use parcours_config::Settings;
use parcours_domain::audit::AuditEvent;
use parcours_domain::demo::{self, Scale};
use parcours_domain::habilitations::{password, Role};
use parcours_store::{agents, audit, departements, Store};

#[derive(Parser)]
#[command(
    name = "parcours",
    version,
    about = "Parcours — système d'information des solidarités départementales"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Démarre le serveur web et ses tâches de fond.
    Serve {
        /// Au premier démarrage, applique les migrations et charge le département de démonstration si
        /// la base est vide.
        #[arg(long)]
        demo: bool,
    },
    /// Applique les migrations de la base de données.
    Migrate,
    /// Charge le département de démonstration (données entièrement fictives) dans une base vide.
    Demo {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// `defaut` (chiffres du schéma 001 : 421 891 habitants, 9 MDS, 177 agents) ou `nord` (2,6 millions d'habitants).
        #[arg(long, default_value = "defaut")]
        scale: String,
        /// Écrit les identifiants de démonstration (JSON) dans ce fichier.
        #[arg(long)]
        identifiants: Option<PathBuf>,
    },
    /// Gestion des comptes.
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Journal d'audit.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Exécute les tâches de fond en attente puis s'arrête.
    Taches,
    /// Détection des doublons de personnes dans un fichier CSV (traitement par lot).
    Doublons(parcours_doublons::DoublonsCommand),
    /// Calcul par lot des échéances légales (référence §10) : un CSV `regle,debut,naissance` en
    /// entrée, les mêmes lignes et leur `echeance` en sortie. À la première ligne fautive, rien n'est
    /// écrit et la commande s'arrête avec un code non nul en nommant la ligne.
    Echeances {
        #[arg(long)]
        entree: PathBuf,
        #[arg(long)]
        sortie: PathBuf,
    },
    /// Tirage au sort équitable et vérifiable d'un groupe projet (LEXIMIN).
    Tirage(parcours_tirage::TirageCommand),
    /// Propositions d'orientation des enfants vers les places d'accueil (modèle placement.md).
    Placement(parcours_placement::PlacementCommand),
    /// Re-sectorisation : secteurs contigus, charge équilibrée par ETP, compacts (modèle
    /// sectorisation.md). Écrit `unit_id,post_id`.
    Sectorisation(parcours_sectorisation::SectorisationCommand),
    /// Affectation des nouvelles situations aux agents sous les plafonds de charge (modèle
    /// sectorisation.md). Écrit `sit_id,worker_id`.
    Affectation(parcours_sectorisation::AffectationCommand),
    /// Mesures de performance sur des données fictives.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Écrit la description OpenAPI 3.1 de l'API (celle de `/api/v1/openapi.json`) sur la sortie standard.
    Openapi,
    /// Jetons d'API des comptes de service.
    Jeton {
        #[command(subcommand)]
        command: JetonCommand,
    },
}

#[derive(Subcommand)]
enum JetonCommand {
    /// Crée un jeton d'API et l'écrit, une seule fois, sur la sortie standard.
    Create {
        #[arg(long, default_value = demo::DEMO_DEPARTEMENT)]
        departement: String,
        /// Nom du compte de service.
        #[arg(long)]
        nom: String,
        /// Portées séparées par des virgules (`referentiel:lire,agents:lire`…), ou `toutes`.
        #[arg(long)]
        portees: String,
        /// Codes des sites où le compte agit, séparés par des virgules, ou `tous` ; aucun par défaut
        /// (le jeton n'atteint alors aucun site).
        #[arg(long, default_value = "")]
        sites: String,
    },
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Crée un agent (et son compte local) ; le mot de passe est lu sur l'entrée standard.
    Create {
        #[arg(long)]
        departement: String,
        /// Nom du département, s'il faut le créer.
        #[arg(long)]
        departement_nom: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long)]
        prenom: String,
        #[arg(long)]
        nom: String,
        #[arg(long)]
        matricule: String,
        /// accueil, travailleur_social, cadre, equipe_centrale, administrateur, direction, dpo
        #[arg(long, default_value = "administrateur")]
        role: String,
        #[arg(long, default_value = "ADM")]
        metier: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Vérifie la chaîne d'empreintes du journal ; code de sortie non nul et première entrée fautive
    /// nommée si une ligne a été modifiée, supprimée ou insérée ; puis les jalons signés
    /// (PARCOURS_AUDIT_JALONS) : un journal réécrit ou raccourci depuis un jalon est signalé (code 3).
    Verify,
    /// Écrit un jalon signé de la tête de chaque chaîne dans PARCOURS_AUDIT_JALONS (la tâche
    /// quotidienne de vérification le fait aussi).
    Jalon,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("Configuration invalide : {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing();
    // The clock of the commands and of whatever runs outside a request or a job.
    parcours_store::clock::set_default(parcours_domain::temps::Clock::system(settings.fuseau));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Impossible de démarrer : {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, settings)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PARCOURS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // JSON lines for log collectors; the fields never carry personal data (see ARCHITECTURE.md).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .json()
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(settings: &Settings) -> anyhow::Result<Store> {
    Store::connect(&settings.database_url)
        .await
        .with_context(|| {
            format!(
                "base de données injoignable (PARCOURS_DATABASE_URL = {})",
                redact(&settings.database_url)
            )
        })
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:«masqué»{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Serve { demo } => serve(settings, demo).await?,
        Command::Migrate => {
            let store = open(&settings).await?;
            store.migrate().await.context("échec des migrations")?;
            println!("Migrations appliquées.");
        }
        Command::Demo {
            seed,
            scale,
            identifiants,
        } => {
            let scale = Scale::parse(&scale).with_context(|| {
                format!("échelle inconnue « {scale} » : attendu defaut ou nord")
            })?;
            let store = open(&settings).await?;
            store.migrate().await?;
            load_demo(&store, seed, scale, identifiants.as_deref()).await?;
        }
        Command::Agent {
            command:
                AgentCommand::Create {
                    departement,
                    departement_nom,
                    email,
                    prenom,
                    nom,
                    matricule,
                    role,
                    metier,
                },
        } => {
            let store = open(&settings).await?;
            store.migrate().await?;
            let role = Role::parse(&role).with_context(|| format!("rôle inconnu « {role} »"))?;
            let mut secret = String::new();
            std::io::stdin()
                .read_line(&mut secret)
                .context("mot de passe attendu sur l'entrée standard")?;
            let secret = secret.trim_end_matches(['\n', '\r']).to_string();
            password::check(&secret, &email).map_err(anyhow::Error::msg)?;
            let hash = password::hash(&secret).map_err(anyhow::Error::msg)?;
            let mut tx = store.begin().await?;
            if departements::get(&mut tx, &departement).await?.is_none() {
                let nom_dep = departement_nom
                    .clone()
                    .unwrap_or_else(|| format!("Département {departement}"));
                departements::create(&mut tx, &departement, &nom_dep).await?;
                for kind in parcours_domain::referentiel::ServiceKind::ALL {
                    parcours_store::referentiel::service_create(
                        &mut tx,
                        &departement,
                        &parcours_domain::referentiel::NewService {
                            code: kind.code().into(),
                            nom: kind.libelle().into(),
                            kind,
                        },
                    )
                    .await?;
                }
            }
            let services = parcours_store::referentiel::services(&mut tx, &departement).await?;
            let service = services
                .iter()
                .find(|s| s.kind == parcours_domain::referentiel::ServiceKind::Central)
                .or(services.first())
                .context("aucun service dans le département")?;
            let form = parcours_domain::referentiel::AgentForm {
                matricule,
                prenom,
                nom,
                email,
                metier,
                role: role.code().into(),
                service_id: service.id.to_string(),
                etp: "1".into(),
                ..Default::default()
            };
            let new = parcours_domain::referentiel::NewAgent::parse(&form)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let id = agents::create(&mut tx, &departement, &new)
                .await
                .map_err(|e| anyhow::anyhow!("création impossible : {e}"))?;
            agents::set_password(&mut tx, &departement, id, &hash).await?;
            audit::append(
                &mut tx,
                &departement,
                &AuditEvent::new("creation", "agent", id)
                    .details(serde_json::json!({ "origine": "parcours agent create" })),
            )
            .await?;
            tx.commit().await?;
            println!("Agent n° {id} créé ({}).", role.libelle());
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = open(&settings).await?;
            let mut conn = store.read().await?;
            match audit::verify(&mut conn).await? {
                Ok(n) => println!("Journal d'audit intègre : {n} entrées vérifiées."),
                Err(b) => {
                    eprintln!("Journal d'audit altéré : {b}");
                    return Ok(std::process::ExitCode::from(3));
                }
            }
            match (&settings.audit_jalons, &settings.audit_cle) {
                (Some(dir), Some(cle)) => {
                    let cle = parcours_store::jalons::CleJalons::charger(cle)?;
                    let bilan = parcours_store::jalons::verifier(&mut conn, dir, &cle, None).await?;
                    if !bilan.fautes.is_empty() {
                        for f in &bilan.fautes {
                            eprintln!("Journal d'audit en désaccord avec ses jalons signés : {f}");
                        }
                        return Ok(std::process::ExitCode::from(3));
                    }
                    println!(
                        "Jalons signés concordants : {} (répertoire {}).",
                        bilan.concordants,
                        dir.display()
                    );
                }
                _ => println!(
                    "Aucun répertoire de jalons (PARCOURS_AUDIT_JALONS) : une réécriture complète du journal par un administrateur de la base ne serait pas décelée."
                ),
            }
        }
        Command::Audit {
            command: AuditCommand::Jalon,
        } => {
            let (Some(dir), Some(cle)) = (&settings.audit_jalons, &settings.audit_cle) else {
                anyhow::bail!(
                    "PARCOURS_AUDIT_JALONS n'est pas réglé : aucun répertoire où écrire les jalons"
                );
            };
            let store = open(&settings).await?;
            let cle = parcours_store::jalons::CleJalons::charger_ou_creer(cle)?;
            let mut conn = store.read().await?;
            let files = parcours_store::jalons::poser(&mut conn, dir, &cle, None).await?;
            for f in &files {
                println!("Jalon écrit : {}", f.display());
            }
            println!("Clé publique des jalons (Ed25519) : {}", cle.publique());
        }
        Command::Echeances { entree, sortie } => {
            let texte = std::fs::read(&entree)
                .with_context(|| format!("fichier d'entrée {} illisible", entree.display()))?;
            let ech = settings.echeancier();
            let resultat = parcours_domain::echeancier::calculer_lot(&ech, &texte)
                .map_err(|e| anyhow::anyhow!("{} : {e} ; aucun fichier écrit", entree.display()))?;
            // Written beside the target then renamed: a killed run leaves no half file.
            let tmp = sortie.with_extension("csv.partiel");
            std::fs::write(&tmp, &resultat)
                .with_context(|| format!("écriture de {} impossible", tmp.display()))?;
            std::fs::rename(&tmp, &sortie)
                .with_context(|| format!("écriture de {} impossible", sortie.display()))?;
            let lignes = resultat
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                .saturating_sub(1);
            eprintln!("{lignes} échéances calculées dans {}", sortie.display());
        }
        Command::Doublons(cmd) => {
            tokio::task::spawn_blocking(move || parcours_doublons::run(cmd)).await??;
        }
        Command::Tirage(cmd) => {
            // CPU-bound and synchronous: off the async workers.
            tokio::task::spawn_blocking(move || parcours_tirage::run(cmd)).await??;
        }
        Command::Placement(cmd) => {
            // CPU-bound and synchronous: off the async workers.
            tokio::task::spawn_blocking(move || parcours_placement::run(cmd)).await??;
        }
        Command::Sectorisation(cmd) => {
            tokio::task::spawn_blocking(move || parcours_sectorisation::run_sectorisation(cmd))
                .await??;
        }
        Command::Affectation(cmd) => {
            tokio::task::spawn_blocking(move || parcours_sectorisation::run_affectation(cmd))
                .await??;
        }
        Command::Bench(cmd) => bench::run(cmd).await?,
        Command::Openapi => println!("{}", parcours_web::api::document()?),
        Command::Jeton {
            command:
                JetonCommand::Create {
                    departement,
                    nom,
                    portees,
                    sites,
                },
        } => {
            use parcours_domain::habilitations::policy::TOKEN_SCOPES;
            let scopes: Vec<String> = if portees == "toutes" {
                TOKEN_SCOPES.iter().map(|(c, _)| c.to_string()).collect()
            } else {
                portees.split(',').map(|p| p.trim().to_string()).collect()
            };
            if let Some(p) = scopes
                .iter()
                .find(|p| !TOKEN_SCOPES.iter().any(|(c, _)| c == p))
            {
                anyhow::bail!("portée inconnue « {p} »");
            }
            let nom = nom.trim();
            if nom.is_empty() || nom.chars().count() > 80 {
                anyhow::bail!("donnez un nom au compte de service (80 caractères au plus)");
            }
            let store = open(&settings).await?;
            store.migrate().await?;
            let mut tx = store.begin().await?;
            if departements::get(&mut tx, &departement).await?.is_none() {
                anyhow::bail!("département « {departement} » inconnu");
            }
            let tous = parcours_store::referentiel::sites(&mut tx, &departement).await?;
            let mut site_ids = Vec::new();
            for code in sites.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if code == "tous" {
                    site_ids = tous.iter().map(|s| s.id).collect();
                    break;
                }
                match tous.iter().find(|s| s.code == code) {
                    Some(s) => site_ids.push(s.id),
                    None => anyhow::bail!("site « {code} » inconnu dans le département"),
                }
            }
            let secret = format!("prc_{}", parcours_web::auth::random_token());
            // No agent behind a command line: created_by 0, the origin is in the audit entry.
            let id = parcours_store::tokens::create(
                &mut tx,
                &departement,
                nom,
                &scopes,
                &site_ids,
                0,
                &secret,
            )
            .await?;
            audit::append(
                &mut tx,
                &departement,
                &AuditEvent::new("creation", "jeton_api", id).details(serde_json::json!({
                    "nom": nom, "portees": scopes, "sites": site_ids, "origine": "parcours jeton create"
                })),
            )
            .await?;
            tx.commit().await?;
            println!("{secret}");
        }
        Command::Taches => {
            let store = open(&settings).await?;
            store.migrate().await?;
            let ctx = parcours_jobs::JobContext {
                store,
                settings: Arc::new(settings),
                clock: parcours_store::clock(),
            };
            let report =
                parcours_jobs::run_pending(&ctx, &parcours_jobs::Registry::standard()).await?;
            println!("{} tâche(s) exécutée(s).", report.ran());
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn load_demo(
    store: &Store,
    seed: u64,
    scale: Scale,
    identifiants: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut conn = store.read().await?;
    if departements::get(&mut conn, demo::DEMO_DEPARTEMENT)
        .await?
        .is_some()
    {
        anyhow::bail!("le département de démonstration est déjà chargé dans cette base");
    }
    drop(conn);
    let d = demo::generate(seed, scale);
    let hash = password::hash(demo::DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("Chargement du département de démonstration");
    let logins = parcours_store::demo::load(store, &d, &hash, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "Département de démonstration chargé en {:.1} s : {} habitants, {} sites, {} secteurs, {} communes, {} permanences, {} agents.",
        started.elapsed().as_secs_f64(),
        d.population(),
        d.sites.len(),
        d.secteurs.len(),
        d.communes.len(),
        d.permanences.len(),
        d.agents.len()
    );
    println!(
        "Identifiants de démonstration (mot de passe commun : {}) :",
        demo::DEMO_PASSWORD
    );
    for (email, label) in &logins {
        println!("  {email:<45} {label}");
    }
    if let Some(path) = identifiants {
        let json: Vec<_> = d
            .agents
            .iter()
            .filter(|a| a.login)
            .map(|a| serde_json::json!({ "email": a.email, "role": a.role.code(), "libelle": a.role.libelle() }))
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("écriture de {}", path.display()))?;
    }
    Ok(())
}

/// Ctrl-C or SIGTERM (systemd, containers): stop accepting, finish the requests under way.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = open(&settings).await?;
    store.migrate().await.context("échec des migrations")?;
    if demo {
        let mut conn = store.read().await?;
        let empty = departements::list(&mut conn).await?.is_empty();
        drop(conn);
        if empty {
            load_demo(&store, 1, Scale::Defaut, None).await?;
        }
    }
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    let listen = settings.listen;
    let settings = Arc::new(settings);
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    // One clock for the server's requests and its workers: the process's, set at start-up.
    let clock = parcours_store::clock();
    let workers = parcours_jobs::spawn_workers(
        parcours_jobs::JobContext {
            store: store.clone(),
            settings: settings.clone(),
            clock: clock.clone(),
        },
        parcours_jobs::Registry::standard(),
        settings.workers,
        shutdown_rx,
    );
    let mut state = parcours_web::AppState::new(store.clone(), (*settings).clone(), metrics)?;
    state.clock = clock;
    let app = parcours_web::router(state);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("impossible d'écouter sur {listen} (PARCOURS_LISTEN)"))?;
    tracing::info!(adresse = %listen, demarrage_ms = started.elapsed().as_millis() as u64, "Parcours écoute");
    println!("Parcours écoute sur http://{listen}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let _ = shutdown_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    store.close().await;
    Ok(())
}
