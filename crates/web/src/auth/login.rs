//! Sign-in with a local password, sign-out, and the agent's own account page (password change).

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::password;
use parcours_domain::referentiel::metier_libelle;
use parcours_domain::FieldErrors;
use parcours_store::{agents, audit, format_time, referentiel, sessions};
use serde::Deserialize;

use super::{random_token, session_cookie, Auth, Ctx};
use crate::error::{Form, Query, WebResult};
use crate::pages::{render, Field, FormPage, Layout};
use crate::AppState;

#[derive(Template)]
#[template(path = "connexion.html")]
pub struct LoginPage {
    pub l: Layout,
    pub identifiant: String,
    pub suite: String,
    pub error: Option<String>,
    pub oidc_label: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    pub suite: Option<String>,
    pub message: Option<String>,
    pub erreur: Option<String>,
}

fn login_layout(state: &AppState, notice: Option<String>) -> Layout {
    Layout::new(
        &state.settings.departement_nom,
        state.logo.is_some(),
        None,
        "",
        "/connexion",
    )
    .with_notice(notice)
}

pub async fn login_page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    let notice = match q.message.as_deref() {
        Some("deconnecte") => Some("Vous êtes déconnecté.".to_string()),
        Some("expire") => Some("Votre session a expiré ; reconnectez-vous.".to_string()),
        _ => None,
    };
    render(&LoginPage {
        l: login_layout(&state, notice),
        identifiant: String::new(),
        suite: safe_target(q.suite.as_deref()),
        error: q.erreur.as_deref().map(oidc_error_text),
        oidc_label: state.settings.oidc.as_ref().map(|o| o.label.clone()),
    })
}

fn oidc_error_text(code: &str) -> String {
    match code {
        "inconnu" => "Aucun agent actif de Parcours ne correspond à cette identité ProConnect. Demandez à l'administrateur de vérifier votre adresse électronique.".into(),
        "navigateur" => "Cette connexion a été commencée dans un autre navigateur : elle est refusée. Cliquez de nouveau sur le bouton de connexion depuis cette page.".into(),
        "expire" => "Cette demande de connexion a expiré ou a déjà servi ; recommencez depuis cette page.".into(),
        "identite" => "Cette identité ProConnect n'est pas celle qui est liée à votre compte Parcours : la connexion est refusée. Demandez à l'administrateur de vérifier votre compte.".into(),
        "trop" => "Trop de demandes de connexion depuis ce poste ; patientez une minute avant de réessayer.".into(),
        _ => "La connexion par le fournisseur d'identité a échoué ; réessayez ou connectez-vous avec votre mot de passe.".into(),
    }
}

/// Only a local path is a valid destination after sign-in (no open redirect).
pub fn safe_target(t: Option<&str>) -> String {
    match t {
        Some(t) if t.starts_with('/') && !t.starts_with("//") && !t.contains('\\') => t.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub identifiant: String,
    #[serde(default)]
    pub mot_de_passe: String,
    #[serde(default)]
    pub suite: String,
}

pub use super::client::ClientIp;

/// The one answer to every refused sign-in, whatever the reason (unknown address, wrong password,
/// closed account, delay after repeated failures): nothing tells which addresses exist.
pub const BAD_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect. Après plusieurs échecs, les tentatives suivantes doivent attendre quelques minutes.";

/// The first delay after `max_failed_logins` failures; it doubles at each new failure.
const FIRST_DELAY_SECONDS: i64 = 30;

/// A valid hash of a random password, verified when there is no real one to verify, so that every
/// refusal costs the same Argon2 work.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password::hash(&super::random_token()).unwrap_or_default());

/// How long an account must wait after its `failures`-th failure in a row (none below `threshold`).
fn delay_after(
    failures: i64,
    threshold: u32,
    longest: std::time::Duration,
) -> Option<chrono::Duration> {
    let over = failures - i64::from(threshold);
    if over < 0 {
        return None;
    }
    let seconds = FIRST_DELAY_SECONDS
        .saturating_mul(1i64 << over.min(30))
        .min(i64::try_from(longest.as_secs()).unwrap_or(i64::MAX));
    Some(chrono::Duration::seconds(seconds))
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(auth): Extension<Auth>,
    Form(form): Form<LoginForm>,
) -> WebResult<Response> {
    let again = |status: axum::http::StatusCode, error: String| {
        let page = LoginPage {
            l: login_layout(&state, None),
            identifiant: form.identifiant.clone(),
            suite: safe_target(Some(&form.suite)),
            error: Some(error),
            oidc_label: state.settings.oidc.as_ref().map(|o| o.label.clone()),
        };
        (status, render(&page)).into_response()
    };
    let refused = || {
        again(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            BAD_CREDENTIALS.into(),
        )
    };
    if state.login_failures.exceeded(&ip) {
        tracing::warn!(client = %ip, "connexions refusées : trop d'échecs depuis ce client");
        return Ok(again(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives de connexion échouées depuis ce poste ; patientez quelques minutes avant de réessayer.".into(),
        ));
    }
    if form.identifiant.trim().is_empty() || form.mot_de_passe.is_empty() {
        return Ok(again(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Saisissez votre adresse électronique et votre mot de passe.".into(),
        ));
    }
    let mut conn = state.store.read().await?;
    let account = agents::account_by_email(&mut conn, &form.identifiant).await?;
    drop(conn);
    let now = parcours_store::clock().now();
    let delayed = account.as_ref().is_some_and(|a| {
        a.locked_until
            .as_deref()
            .and_then(parcours_store::parse_time)
            .is_some_and(|until| until > now)
    });
    // Always one Argon2 verification: against the real hash when the attempt may succeed, against a
    // dummy one otherwise (unknown address, no password, delayed account), so that timing tells nothing.
    let real_hash = account
        .as_ref()
        .filter(|_| !delayed)
        .and_then(|a| a.password_hash.clone());
    let checks_real = real_hash.is_some();
    let hash = real_hash.unwrap_or_else(|| DUMMY_HASH.clone());
    let typed = form.mot_de_passe.clone();
    let verified = tokio::task::spawn_blocking(move || password::verify(&typed, &hash))
        .await
        .unwrap_or(false);
    let account = match account {
        Some(a) if checks_real && verified && !a.ferme => a,
        other => {
            state.login_failures.record(&ip);
            if let Some(a) = other {
                let mut tx = state.store.begin().await?;
                let mut details = serde_json::json!({ "adresse_ip": ip });
                let action = if delayed {
                    details["differee"] = true.into();
                    "connexion_differee"
                } else {
                    let n = agents::record_failure(&mut tx, &a.departement_id, a.agent_id).await?;
                    if let Some(d) =
                        delay_after(n, state.settings.max_failed_logins, state.settings.lockout)
                    {
                        agents::delay_sign_in(
                            &mut tx,
                            &a.departement_id,
                            a.agent_id,
                            &format_time(now + d),
                        )
                        .await?;
                        details["delai_secondes"] = d.num_seconds().into();
                    }
                    "echec_connexion"
                };
                audit::append(
                    &mut tx,
                    &a.departement_id,
                    &AuditEvent::new(action, "agent", a.agent_id)
                        .by(None, None, auth.request_id.clone())
                        .details(details),
                )
                .await?;
                tx.commit().await?;
            }
            return Ok(refused());
        }
    };
    let dep = account.departement_id.clone();
    let mut tx = state.store.begin().await?;
    agents::record_success(&mut tx, &dep, account.agent_id).await?;
    let token = random_token();
    sessions::create(
        &mut tx,
        &token,
        &dep,
        account.agent_id,
        &random_token(),
        None,
    )
    .await?;
    audit::append(
        &mut tx,
        &dep,
        &AuditEvent::new("connexion", "agent", account.agent_id)
            .by(Some(account.agent_id), None, auth.request_id.clone())
            .details(serde_json::json!({ "methode": "mot_de_passe" })),
    )
    .await?;
    tx.commit().await?;
    let cookie = session_cookie(token, state.settings.cookie_secure);
    Ok((
        [(header::SET_COOKIE, cookie.to_string())],
        Redirect::to(&safe_target(Some(&form.suite))),
    )
        .into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> WebResult<Response> {
    if let (Some(hash), Some(p)) = (&auth.session_hash, &auth.principal) {
        let mut tx = state.store.begin().await?;
        sessions::delete(&mut tx, hash).await?;
        audit::append(
            &mut tx,
            &p.departement_id,
            &AuditEvent::new("deconnexion", "agent", p.agent_id.unwrap_or_default()).by(
                p.agent_id,
                None,
                auth.request_id.clone(),
            ),
        )
        .await?;
        tx.commit().await?;
    }
    let clear = session_cookie(String::new(), state.settings.cookie_secure);
    let mut clear = clear.into_owned();
    clear.make_removal();
    // RP-initiated logout: the identity provider ends its own session too, then comes back here.
    let target = match (
        &auth.id_token,
        state.oidc.logout_url(auth.id_token.as_deref()).await,
    ) {
        (Some(_), Some(url)) => url,
        _ => "/connexion?message=deconnecte".to_string(),
    };
    Ok((
        [(header::SET_COOKIE, clear.to_string())],
        Redirect::to(&target),
    )
        .into_response())
}

pub async fn account_page(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    password_page(&state, &ctx, FieldErrors::new()).await
}

async fn password_page(state: &AppState, ctx: &Ctx, errors: FieldErrors) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    let agent_id = ctx.principal.agent_id.unwrap_or_default();
    let agent = agents::get(&mut conn, ctx.dep(), agent_id).await?;
    let service = referentiel::service_get(&mut conn, ctx.dep(), agent.service_id).await?;
    let mut sites = vec![];
    for id in &agent.site_ids {
        sites.push(referentiel::site_get(&mut conn, ctx.dep(), *id).await?.nom);
    }
    let page = FormPage {
        liens: vec![],
        l: ctx.layout(),
        title: "Mon compte".into(),
        intro: Some("Vos informations et votre mot de passe de connexion locale.".into()),
        action: "/compte/mot-de-passe".into(),
        fields: vec![
            Field::text("actuel", "Mot de passe actuel", "").kind("password").required().autocomplete("current-password").error_from(&errors),
            Field::text("nouveau", "Nouveau mot de passe", "")
                .kind("password")
                .required()
                .autocomplete("new-password")
                .hint("Au moins 12 caractères, avec minuscules, majuscules, chiffres et caractères spéciaux, sans votre identifiant.")
                .error_from(&errors),
            Field::text("confirmation", "Confirmation du nouveau mot de passe", "").kind("password").required().autocomplete("new-password").error_from(&errors),
        ],
        submit: "Changer le mot de passe".into(),
        cancel: None,
        multipart: false,
        buttons: vec![],
        details: vec![
            ("Nom".into(), agent.nom_complet()),
            ("Adresse électronique".into(), agent.email.clone()),
            ("Rôle".into(), agent.role.libelle().into()),
            ("Métier".into(), metier_libelle(&agent.metier).into()),
            ("Service".into(), service.nom),
            ("Sites".into(), if sites.is_empty() { "Tout le département".into() } else { sites.join(", ") }),
        ],
    };
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub actuel: String,
    #[serde(default)]
    pub nouveau: String,
    #[serde(default)]
    pub confirmation: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Extension(auth): Extension<Auth>,
    Form(f): Form<PasswordForm>,
) -> WebResult<Response> {
    let agent_id = ctx.principal.agent_id.unwrap_or_default();
    let mut conn = state.store.read().await?;
    let agent = agents::get(&mut conn, ctx.dep(), agent_id).await?;
    let account = agents::account_by_email(&mut conn, &agent.email).await?;
    drop(conn);
    let mut errors = FieldErrors::new();
    let stored = account.and_then(|a| a.password_hash);
    let current_ok = match stored {
        Some(h) => {
            let typed = f.actuel.clone();
            tokio::task::spawn_blocking(move || password::verify(&typed, &h))
                .await
                .unwrap_or(false)
        }
        // An agent who signs in only through ProConnect has no current password to give.
        None => true,
    };
    if !current_ok {
        errors.add("actuel", "Le mot de passe actuel est incorrect.");
    }
    if let Err(m) = password::check(&f.nouveau, &agent.email) {
        errors.add("nouveau", m);
    }
    if f.nouveau != f.confirmation {
        errors.add(
            "confirmation",
            "La confirmation ne correspond pas au nouveau mot de passe.",
        );
    }
    if !errors.is_empty() {
        return password_page(&state, &ctx, errors).await;
    }
    let new = f.nouveau.clone();
    let hash = tokio::task::spawn_blocking(move || password::hash(&new))
        .await
        .map_err(|e| anyhow::anyhow!(e))?
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut tx = state.store.begin().await?;
    agents::set_password(&mut tx, ctx.dep(), agent_id, &hash).await?;
    // Whoever else held the old password loses the sessions it opened; this one stays.
    let ended =
        sessions::revoke_agent(&mut tx, ctx.dep(), agent_id, auth.session_hash.as_deref()).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("mot_de_passe", "agent", agent_id)
            .details(serde_json::json!({ "sessions_fermees": ended })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/compte?message=mot_de_passe").into_response())
}
