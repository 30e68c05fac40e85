//! Sign-in with a local password, sign-out, and the agent's own account page (password change).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
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

/// The client's address, when the server knows it (absent in tests that call the router directly).
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "inconnue".into()),
        ))
    }
}

const BAD_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect.";

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Extension(auth): Extension<Auth>,
    Form(form): Form<LoginForm>,
) -> WebResult<Response> {
    let again = |error: String| {
        let page = LoginPage {
            l: login_layout(&state, None),
            identifiant: form.identifiant.clone(),
            suite: safe_target(Some(&form.suite)),
            error: Some(error),
            oidc_label: state.settings.oidc.as_ref().map(|o| o.label.clone()),
        };
        (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
    };
    if state.login_limiter.check_key(&ip).is_err() {
        return Ok(again(
            "Trop de tentatives de connexion depuis ce poste ; patientez une minute.".into(),
        ));
    }
    if form.identifiant.trim().is_empty() || form.mot_de_passe.is_empty() {
        return Ok(again(
            "Saisissez votre adresse électronique et votre mot de passe.".into(),
        ));
    }
    let mut conn = state.store.read().await?;
    let account = agents::account_by_email(&mut conn, &form.identifiant).await?;
    drop(conn);
    let Some(account) = account else {
        // Same work as a real check, so that timing does not tell which addresses exist.
        let _ = tokio::task::spawn_blocking(|| password::verify("x", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$3mYG5h6rD8ZeXK0lpZqS4b2vRgP8cAtR9fF7cE5yBqA")).await;
        return Ok(again(BAD_CREDENTIALS.into()));
    };
    let now = chrono::Utc::now();
    if let Some(until) = account
        .locked_until
        .as_deref()
        .and_then(parcours_store::parse_time)
    {
        if until > now {
            return Ok(again(format!(
                "Compte bloqué après plusieurs échecs jusqu'à {} (heure UTC) ; réessayez ensuite ou demandez à l'administrateur.",
                until.format("%H:%M")
            )));
        }
    }
    let hash = account.password_hash.clone();
    let typed = form.mot_de_passe.clone();
    let ok = !account.ferme
        && match hash {
            Some(h) => tokio::task::spawn_blocking(move || password::verify(&typed, &h))
                .await
                .unwrap_or(false),
            None => false,
        };
    let dep = account.departement_id.clone();
    let mut tx = state.store.begin().await?;
    if !ok {
        let lock_until = format_time(
            now + chrono::Duration::from_std(state.settings.lockout).unwrap_or_default(),
        );
        let locked = agents::record_failure(
            &mut tx,
            &dep,
            account.agent_id,
            i64::from(state.settings.max_failed_logins),
            &lock_until,
        )
        .await?;
        audit::append(
            &mut tx,
            &dep,
            &AuditEvent::new(
                if locked { "blocage" } else { "echec_connexion" },
                "agent",
                account.agent_id,
            )
            .by(None, None, auth.request_id.clone())
            .details(serde_json::json!({ "adresse_ip": ip })),
        )
        .await?;
        tx.commit().await?;
        return Ok(again(if locked {
            "Compte bloqué après plusieurs échecs ; réessayez dans quelques minutes ou demandez à l'administrateur.".into()
        } else {
            BAD_CREDENTIALS.into()
        }));
    }
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
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("mot_de_passe", "agent", agent_id),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/compte?message=mot_de_passe").into_response())
}
