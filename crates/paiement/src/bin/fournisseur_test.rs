//! `parcours-fournisseur-test`: a test double of the payment provider's API (orders and prepaid
//! cards), run as a real process, with an in-memory ledger and fault injection (failures, slow
//! answers) chosen on the command line.
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
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use parcours_paiement::iban::iban_valide;
use parcours_paiement::protocole::{
    ReponseCarte, ReponseErreur, ReponseOrdre, EN_TETE_IDEMPOTENCE,
};
use parcours_paiement::{Carte, DemandeBlocage, DemandeCarte, Mode, Operation, Ordre};
use serde::{Deserialize, Serialize};

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
    /// Les N premiers POST d'ordres (et, comptés à part, les N premiers POST de cartes) répondent
    /// 503 sans rien enregistrer.
    #[arg(long, default_value_t = 0)]
    echecs: u64,
    /// Délai des réponses lentes, en millisecondes.
    #[arg(long, default_value_t = 0)]
    lent_ms: u64,
    /// Les K POST d'ordres qui suivent les échecs sont enregistrés, puis répondus après --lent-ms
    /// seulement.
    #[arg(long, default_value_t = 0)]
    lents: u64,
    /// Ajoute chaque opération enregistrée en ligne JSON, et relit le fichier au démarrage : un
    /// prestataire redémarré connaît encore ses clés.
    #[arg(long)]
    journal: Option<PathBuf>,
}

/// A line of the journal that is not an operation: a card issued, a card blocked.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entree {
    Carte(Carte),
    Blocage {
        reference: String,
        le: String,
        motif: String,
    },
}

#[derive(Default)]
struct Registre {
    operations: Vec<Operation>,
    par_cle: HashMap<String, usize>,
    cartes: Vec<Carte>,
    cartes_par_cle: HashMap<String, usize>,
    cartes_par_reference: HashMap<String, usize>,
    /// POSTs of orders received (past the token check), to place the injected faults.
    posts: u64,
    /// POSTs about cards, counted apart so that a card issued in a test does not move the faults
    /// aimed at the orders.
    posts_cartes: u64,
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

/// The provider's own stamp on what it records. The double plays another system, whose clock is
/// not Parcours's: Parcours never stores these stamps (it dates what it learns with its own clock),
/// they only let a tester read the provider's ledger.
fn horodatage() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The answer of an injected failure.
fn panne() -> Response {
    erreur(
        StatusCode::SERVICE_UNAVAILABLE,
        "service momentanément indisponible (panne simulée)",
    )
}

/// Checks the order of a new key; the reason is shown to the agent, in French.
fn valider(ordre: &Ordre, registre: &Registre) -> Result<(), String> {
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
            Some(carte) => match registre.cartes_par_reference.get(carte) {
                None => Err(format!("carte {carte} inconnue : chargement refusé")),
                Some(&i) if registre.cartes[i].bloquee() => {
                    Err("carte bloquée : chargement refusé".into())
                }
                Some(_) => Ok(()),
            },
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
            return panne();
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
            if let Err(motif) = valider(&ordre, &registre) {
                return erreur(StatusCode::UNPROCESSABLE_ENTITY, motif);
            }
            let operation = Operation {
                reference: format!("FT-{:06}", registre.operations.len() + 1),
                cle: cle.clone(),
                mode: ordre.mode,
                montant_centimes: ordre.montant_centimes,
                beneficiaire: ordre.beneficiaire,
                carte: ordre.carte.filter(|_| ordre.mode == Mode::Carte),
                statut: "execute".into(),
                recu_le: horodatage(),
            };
            if let Err(r) = journaliser(&etat, &operation) {
                return *r;
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

/// Appends a line to the journal, if any, before the answer: what was answered is on disk.
fn journaliser<T: Serialize>(etat: &Etat, ligne: &T) -> Result<(), Box<Response>> {
    if let Some(journal) = &etat.journal {
        let ligne = serde_json::to_string(ligne).expect("ligne du journal en JSON");
        let mut f = journal.lock().expect("journal");
        if let Err(e) = writeln!(f, "{ligne}").and_then(|()| f.flush()) {
            return Err(Box::new(erreur(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("journal impossible à écrire : {e}"),
            )));
        }
    }
    Ok(())
}

/// The card with its balance: every load executed on it (the double has no spending).
fn avec_solde(registre: &Registre, i: usize) -> Carte {
    let mut c = registre.cartes[i].clone();
    c.solde_centimes = registre
        .operations
        .iter()
        .filter(|o| o.carte.as_deref() == Some(c.reference.as_str()))
        .map(|o| o.montant_centimes)
        .sum();
    c
}

/// `POST /v1/cartes`: issues a card, once per idempotency key. Subject to the same injected
/// failures as the orders (they count the POSTs).
async fn emettre(State(etat): State<Partage>, entetes: HeaderMap, corps: Bytes) -> Response {
    let mut registre = etat.registre.lock().expect("registre");
    registre.posts_cartes += 1;
    if registre.posts_cartes <= etat.echecs {
        return panne();
    }
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
    if let Some(&i) = registre.cartes_par_cle.get(&cle) {
        let corps = ReponseCarte {
            carte: avec_solde(&registre, i),
            deja_recu: Some(true),
        };
        return (StatusCode::OK, Json(corps)).into_response();
    }
    let demande: DemandeCarte = match serde_json::from_slice(&corps) {
        Ok(d) => d,
        Err(e) => return erreur(StatusCode::BAD_REQUEST, format!("demande illisible : {e}")),
    };
    if demande.titulaire.trim().is_empty() {
        return erreur(
            StatusCode::UNPROCESSABLE_ENTITY,
            "le nom du titulaire de la carte manque",
        );
    }
    let carte = Carte {
        reference: format!("FTC-{:06}", registre.cartes.len() + 1),
        cle: cle.clone(),
        titulaire: demande.titulaire.trim().to_string(),
        statut: "active".into(),
        emise_le: horodatage(),
        bloquee_le: None,
        motif_blocage: None,
        solde_centimes: 0,
    };
    if let Err(r) = journaliser(&etat, &Entree::Carte(carte.clone())) {
        return *r;
    }
    let i = registre.cartes.len();
    registre
        .cartes_par_reference
        .insert(carte.reference.clone(), i);
    registre.cartes_par_cle.insert(cle, i);
    registre.cartes.push(carte.clone());
    let corps = ReponseCarte {
        carte,
        deja_recu: Some(false),
    };
    (StatusCode::CREATED, Json(corps)).into_response()
}

/// `POST /v1/cartes/{reference}/blocage`: blocks a card; a blocked card answers as it is.
async fn bloquer(
    State(etat): State<Partage>,
    Path(reference): Path<String>,
    corps: Bytes,
) -> Response {
    let mut registre = etat.registre.lock().expect("registre");
    registre.posts_cartes += 1;
    if registre.posts_cartes <= etat.echecs {
        return panne();
    }
    let Some(&i) = registre.cartes_par_reference.get(&reference) else {
        return erreur(StatusCode::NOT_FOUND, format!("carte {reference} inconnue"));
    };
    let demande: DemandeBlocage = match serde_json::from_slice(&corps) {
        Ok(d) => d,
        Err(e) => return erreur(StatusCode::BAD_REQUEST, format!("demande illisible : {e}")),
    };
    if !registre.cartes[i].bloquee() {
        let le = horodatage();
        let entree = Entree::Blocage {
            reference,
            le: le.clone(),
            motif: demande.motif.clone(),
        };
        if let Err(r) = journaliser(&etat, &entree) {
            return *r;
        }
        appliquer_blocage(&mut registre, i, le, demande.motif);
    }
    Json(avec_solde(&registre, i)).into_response()
}

fn appliquer_blocage(registre: &mut Registre, i: usize, le: String, motif: String) {
    let c = &mut registre.cartes[i];
    c.statut = "bloquee".into();
    c.bloquee_le = Some(le);
    c.motif_blocage = Some(motif);
}

async fn consulter_carte(State(etat): State<Partage>, Path(reference): Path<String>) -> Response {
    let registre = etat.registre.lock().expect("registre");
    match registre.cartes_par_reference.get(&reference) {
        Some(&i) => Json(avec_solde(&registre, i)).into_response(),
        None => erreur(StatusCode::NOT_FOUND, format!("carte {reference} inconnue")),
    }
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
        let lieu = || format!("{} ligne {}", chemin.display(), n + 1);
        if let Ok(op) = serde_json::from_str::<Operation>(&ligne) {
            registre
                .par_cle
                .insert(op.cle.clone(), registre.operations.len());
            registre.operations.push(op);
            continue;
        }
        match serde_json::from_str::<Entree>(&ligne).with_context(lieu)? {
            Entree::Carte(c) => {
                let i = registre.cartes.len();
                registre.cartes_par_reference.insert(c.reference.clone(), i);
                registre.cartes_par_cle.insert(c.cle.clone(), i);
                registre.cartes.push(c);
            }
            Entree::Blocage {
                reference,
                le,
                motif,
            } => {
                let i = *registre
                    .cartes_par_reference
                    .get(&reference)
                    .with_context(|| format!("{} : carte {reference} inconnue", lieu()))?;
                appliquer_blocage(registre, i, le, motif);
            }
        }
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
        .route("/v1/cartes", post(emettre))
        .route("/v1/cartes/{reference}", get(consulter_carte))
        .route("/v1/cartes/{reference}/blocage", post(bloquer))
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
