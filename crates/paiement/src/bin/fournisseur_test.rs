//! `parcours-fournisseur-test`: a test double of the payment provider's API, run as a real process,
//! with an in-memory ledger and fault injection (failures, slow answers) chosen on the command line.
//! It prints `PORT=<n>` once listening; see `docs/paiement.md` for the protocol.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser;
use parcours_paiement::iban::iban_valide;
use parcours_paiement::protocole::{ReponseErreur, ReponseOrdre, EN_TETE_IDEMPOTENCE};
use parcours_paiement::{Mode, Operation, Ordre};

/// Prestataire de paiement de test (chargements de carte, virements) pour Parcours.
#[derive(Debug, Parser)]
#[command(name = "parcours-fournisseur-test")]
struct Args {
    /// Port sur 127.0.0.1 (0 : un port libre, annoncé sur la sortie standard par `PORT=<n>`).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Jeton `Bearer` exigé sur chaque requête (401 sans lui).
    #[arg(long)]
    jeton: Option<String>,
    /// Les N premiers POST répondent 503 sans rien enregistrer.
    #[arg(long, default_value_t = 0)]
    echecs: u64,
    /// Délai des réponses lentes, en millisecondes.
    #[arg(long, default_value_t = 0)]
    lent_ms: u64,
    /// Les K POST qui suivent les échecs sont enregistrés, puis répondus après --lent-ms seulement.
    #[arg(long, default_value_t = 0)]
    lents: u64,
    /// Ajoute chaque opération enregistrée en ligne JSON, et relit le fichier au démarrage : un
    /// prestataire redémarré connaît encore ses clés.
    #[arg(long)]
    journal: Option<PathBuf>,
}

#[derive(Default)]
struct Registre {
    operations: Vec<Operation>,
    par_cle: HashMap<String, usize>,
    /// POSTs received (past the token check), to place the injected faults.
    posts: u64,
}

struct Etat {
    registre: Mutex<Registre>,
    journal: Option<Mutex<File>>,
    jeton: Option<String>,
    echecs: u64,
    lents: u64,
    lent: Duration,
}

type Partage = Arc<Etat>;

fn erreur(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(ReponseErreur {
            erreur: message.into(),
        }),
    )
        .into_response()
}

/// Checks the order of a new key; the reason is shown to the agent, in French.
fn valider(ordre: &Ordre) -> Result<(), String> {
    if ordre.montant_centimes <= 0 {
        return Err("le montant doit être strictement positif".into());
    }
    if ordre.beneficiaire.trim().is_empty() {
        return Err("le nom du bénéficiaire manque".into());
    }
    match ordre.mode {
        Mode::Virement => match ordre.iban.as_deref().map(str::trim) {
            None | Some("") => Err("un virement demande l'IBAN du bénéficiaire".into()),
            Some(iban) if !iban_valide(iban) => {
                Err("IBAN invalide : la clé de contrôle ne correspond pas".into())
            }
            Some(_) => Ok(()),
        },
        Mode::Carte => match ordre.carte.as_deref().map(str::trim) {
            None | Some("") => {
                Err("un chargement de carte demande la référence de la carte".into())
            }
            Some(carte) if carte.starts_with("BLOQ") => {
                Err("carte bloquée : chargement refusé".into())
            }
            Some(_) => Ok(()),
        },
    }
}

async fn poster(State(etat): State<Partage>, entetes: HeaderMap, corps: Bytes) -> Response {
    // Everything is decided under the lock and before any wait: a slow answer is recorded even if
    // the client gives up, which is the very case a retry with the same key must survive.
    let (reponse, lent) = {
        let mut registre = etat.registre.lock().expect("registre");
        let rang = registre.posts;
        registre.posts += 1;
        if rang < etat.echecs {
            return erreur(
                StatusCode::SERVICE_UNAVAILABLE,
                "service momentanément indisponible (panne simulée)",
            );
        }
        let lent = rang < etat.echecs + etat.lents;
        let cle = match entetes
            .get(EN_TETE_IDEMPOTENCE)
            .and_then(|v| v.to_str().ok())
        {
            Some(c) if !c.trim().is_empty() => c.to_string(),
            _ => {
                return erreur(
                    StatusCode::BAD_REQUEST,
                    "en-tête Idempotency-Key manquant ou illisible",
                )
            }
        };
        let reponse = if let Some(&i) = registre.par_cle.get(&cle) {
            // The first order under a key wins, whatever the body of the later ones.
            let corps = ReponseOrdre {
                operation: registre.operations[i].clone(),
                deja_recu: Some(true),
            };
            (StatusCode::OK, Json(corps)).into_response()
        } else {
            let ordre: Ordre = match serde_json::from_slice(&corps) {
                Ok(o) => o,
                Err(e) => return erreur(StatusCode::BAD_REQUEST, format!("ordre illisible : {e}")),
            };
            if let Err(motif) = valider(&ordre) {
                return erreur(StatusCode::UNPROCESSABLE_ENTITY, motif);
            }
            let operation = Operation {
                reference: format!("FT-{:06}", registre.operations.len() + 1),
                cle: cle.clone(),
                mode: ordre.mode,
                montant_centimes: ordre.montant_centimes,
                beneficiaire: ordre.beneficiaire,
                statut: "execute".into(),
                // The provider's own clock (another system), not Parcours's: the test double
                // stamps receipt as a provider would.
                recu_le: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            };
            if let Some(journal) = &etat.journal {
                let ligne = serde_json::to_string(&operation).expect("opération en JSON");
                let mut f = journal.lock().expect("journal");
                if let Err(e) = writeln!(f, "{ligne}").and_then(|()| f.flush()) {
                    return erreur(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("journal impossible à écrire : {e}"),
                    );
                }
            }
            let i = registre.operations.len();
            registre.operations.push(operation.clone());
            registre.par_cle.insert(cle, i);
            let corps = ReponseOrdre {
                operation,
                deja_recu: Some(false),
            };
            (StatusCode::CREATED, Json(corps)).into_response()
        };
        (reponse, lent)
    };
    if lent {
        tokio::time::sleep(etat.lent).await;
    }
    reponse
}

async fn consulter(State(etat): State<Partage>, Path(cle): Path<String>) -> Response {
    let registre = etat.registre.lock().expect("registre");
    match registre.par_cle.get(&cle) {
        Some(&i) => Json(registre.operations[i].clone()).into_response(),
        None => erreur(
            StatusCode::NOT_FOUND,
            format!("aucun ordre sous la clé {cle}"),
        ),
    }
}

async fn lister(State(etat): State<Partage>) -> Json<Vec<Operation>> {
    Json(etat.registre.lock().expect("registre").operations.clone())
}

async fn authentifier(State(etat): State<Partage>, req: Request, next: Next) -> Response {
    if let Some(jeton) = &etat.jeton {
        let attendu = format!("Bearer {jeton}");
        let recu = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if recu != Some(attendu.as_str()) {
            return erreur(StatusCode::UNAUTHORIZED, "jeton d'accès absent ou refusé");
        }
    }
    next.run(req).await
}

/// Reads back the operations of an earlier run.
fn relire(chemin: &std::path::Path, registre: &mut Registre) -> anyhow::Result<()> {
    let fichier = match File::open(chemin) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("lecture de {}", chemin.display())),
    };
    for (n, ligne) in BufReader::new(fichier).lines().enumerate() {
        let ligne = ligne?;
        if ligne.trim().is_empty() {
            continue;
        }
        let op: Operation = serde_json::from_str(&ligne)
            .with_context(|| format!("{} ligne {}", chemin.display(), n + 1))?;
        registre
            .par_cle
            .insert(op.cle.clone(), registre.operations.len());
        registre.operations.push(op);
    }
    Ok(())
}

async fn arret() {
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
        () = ctrl_c => {},
        () = term => {},
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut registre = Registre::default();
    let journal = match &args.journal {
        Some(chemin) => {
            relire(chemin, &mut registre)?;
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(chemin)
                .with_context(|| format!("ouverture de {}", chemin.display()))?;
            Some(Mutex::new(f))
        }
        None => None,
    };
    let etat: Partage = Arc::new(Etat {
        registre: Mutex::new(registre),
        journal,
        jeton: args.jeton,
        echecs: args.echecs,
        lents: args.lents,
        lent: Duration::from_millis(args.lent_ms),
    });
    let app = Router::new()
        .route("/v1/ordres", get(lister).post(poster))
        .route("/v1/ordres/{cle}", get(consulter))
        .layer(middleware::from_fn_with_state(etat.clone(), authentifier))
        .with_state(etat);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .context("écoute sur 127.0.0.1")?;
    let port = listener.local_addr()?.port();
    // The one line the tests wait for: the socket already listens, so they may connect at once.
    let mut sortie = std::io::stdout().lock();
    writeln!(sortie, "PORT={port}")?;
    sortie.flush()?;
    drop(sortie);
    axum::serve(listener, app)
        .with_graceful_shutdown(arret())
        .await
        .context("serveur")?;
    Ok(())
}
