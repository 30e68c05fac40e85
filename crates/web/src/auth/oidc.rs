//! Sign-in with OpenID Connect, compatible with ProConnect: authorisation code flow with PKCE, state
//! and nonce; the identity (claims `sub`, `email`, `given_name`, `usual_name`, `uid`, `siret`) is
//! mapped to an agent by e-mail, then pinned to its `sub`; RP-initiated logout. The provider's metadata
//! is discovered at first use, so Parcours starts even when the provider is down. Pending flows (state,
//! nonce, PKCE verifier) are in the database, bound to a cookie of the browser that started them.

use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum_extra::extract::cookie::{Cookie, SameSite};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout,
    RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use parcours_config::OidcSettings;
use parcours_domain::audit::AuditEvent;
use parcours_store::{agents, audit, sessions};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::client::ClientIp;
use super::{cookie_value, random_token, session_cookie, Auth};
use crate::error::{Query, WebResult};
use crate::AppState;

/// ProConnect's claims beyond the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProConnectClaims {
    pub usual_name: Option<String>,
    pub uid: Option<String>,
    pub siret: Option<String>,
}
impl AdditionalClaims for ProConnectClaims {}

/// The relying party. Pending flows live in the `oidc_flows` table (any server may end them).
pub struct OidcClient {
    settings: Option<OidcSettings>,
    metadata: OnceCell<ProviderMetadataWithLogout>,
    http: Option<openidconnect::reqwest::Client>,
}

/// How long a started sign-in may take.
fn flow_ttl() -> chrono::TimeDelta {
    chrono::TimeDelta::minutes(10)
}

/// The cookie that binds a pending sign-in to the browser that started it. SameSite=Lax: the provider
/// brings the browser back with a top-level cross-site GET, which Lax cookies follow.
pub const BINDING_COOKIE: &str = "parcours_oidc";

fn binding_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((BINDING_COOKIE, value))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .path("/auth/oidc/")
        .build()
}

impl OidcClient {
    pub fn new(settings: Option<OidcSettings>) -> Self {
        let http = settings.as_ref().and_then(|_| {
            openidconnect::reqwest::ClientBuilder::new()
                // Following redirects would expose the client to SSRF (openidconnect's advice).
                .redirect(openidconnect::reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .ok()
        });
        Self {
            settings,
            metadata: OnceCell::new(),
            http,
        }
    }

    async fn metadata(&self) -> anyhow::Result<&ProviderMetadataWithLogout> {
        let (Some(s), Some(http)) = (&self.settings, &self.http) else {
            anyhow::bail!("OpenID Connect n'est pas configuré");
        };
        self.metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(s.issuer.as_str().trim_end_matches('/').to_string())?;
                Ok::<_, anyhow::Error>(
                    ProviderMetadataWithLogout::discover_async(issuer, http).await?,
                )
            })
            .await
    }

    fn redirect_uri(s: &OidcSettings) -> anyhow::Result<RedirectUrl> {
        Ok(RedirectUrl::new(
            s.public_url.join("/auth/oidc/retour")?.to_string(),
        )?)
    }

    /// The end-session URL of the provider, when there is one.
    pub async fn logout_url(&self, id_token: Option<&str>) -> Option<String> {
        let s = self.settings.as_ref()?;
        let id_token = id_token?;
        let meta = self.metadata().await.ok()?;
        let end = meta.additional_metadata().end_session_endpoint.as_ref()?;
        let mut url = url::Url::parse(end.url().as_str()).ok()?;
        // Providers compare this address exactly with the registered one: no query string.
        let back = s.public_url.join("/connexion").ok()?;
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("post_logout_redirect_uri", back.as_str())
            .append_pair("client_id", &s.client_id);
        Some(url.to_string())
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct StartQuery {
    pub suite: Option<String>,
}

pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(q): Query<StartQuery>,
) -> WebResult<Response> {
    let oidc = &state.oidc;
    let Some(s) = &oidc.settings else {
        return Err(crate::WebError::NotFound);
    };
    // Each start writes a pending flow: a client may not fill the table.
    if state.oidc_limiter.check_key(&ip).is_err() {
        let q = super::login::LoginQuery {
            erreur: Some("trop".into()),
            ..Default::default()
        };
        let mut page = super::login::login_page(State(state.clone()), Query(q)).await;
        *page.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(page);
    }
    let meta = match oidc.metadata().await {
        Ok(m) => m.clone(),
        Err(e) => {
            tracing::warn!(erreur = %e, "fournisseur OpenID Connect injoignable");
            return Ok(Redirect::to("/connexion?erreur=fournisseur").into_response());
        }
    };
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(s.client_id.clone()),
        Some(ClientSecret::new(s.client_secret.expose().to_string())),
    )
    .set_redirect_uri(OidcClient::redirect_uri(s)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in s.scopes.iter().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = req.set_pkce_challenge(challenge).url();
    let binding = random_token();
    let mut tx = state.store.begin().await?;
    sessions::oidc_flow_create(
        &mut tx,
        csrf.secret(),
        &binding,
        nonce.secret(),
        verifier.secret(),
        &super::login::safe_target(q.suite.as_deref()),
        &parcours_store::format_time(parcours_store::clock().now() - flow_ttl()),
    )
    .await?;
    tx.commit().await?;
    let cookie = binding_cookie(binding, state.settings.cookie_secure);
    Ok((
        [(header::SET_COOKIE, cookie.to_string())],
        Redirect::to(url.as_str()),
    )
        .into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Why a callback is refused, when it is not the provider's doing.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("agent inconnu pour cette identité")]
    Unknown,
    #[error("demande de connexion inconnue, déjà utilisée ou expirée")]
    Expired,
    #[error("demande de connexion commencée dans un autre navigateur")]
    OtherBrowser,
    #[error("identité ProConnect différente de celle liée à l'agent")]
    OtherSubject,
}

pub async fn callback(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: axum::http::HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> WebResult<Response> {
    let binding = cookie_value(&headers, BINDING_COOKIE);
    let result = finish(&state, &auth, binding.as_deref(), q).await;
    // The binding cookie has served (or failed): remove it either way.
    let mut clear = binding_cookie(String::new(), state.settings.cookie_secure);
    clear.make_removal();
    // Appended: a successful callback also sets the session cookie.
    let clear = axum::response::AppendHeaders([(header::SET_COOKIE, clear.to_string())]);
    match result {
        Ok(resp) => Ok((clear, resp).into_response()),
        Err(e) => {
            tracing::warn!(
                erreur = format!("{e:#}"),
                "échec de connexion OpenID Connect"
            );
            let code = match e.downcast_ref::<Refused>() {
                Some(Refused::Unknown) => "inconnu",
                Some(Refused::Expired) => "expire",
                Some(Refused::OtherBrowser) => "navigateur",
                Some(Refused::OtherSubject) => "identite",
                None => "fournisseur",
            };
            Ok((clear, Redirect::to(&format!("/connexion?erreur={code}"))).into_response())
        }
    }
}

async fn finish(
    state: &AppState,
    auth: &Auth,
    binding: Option<&str>,
    q: CallbackQuery,
) -> anyhow::Result<Response> {
    let oidc = &state.oidc;
    let (Some(s), Some(http)) = (&oidc.settings, &oidc.http) else {
        anyhow::bail!("OpenID Connect n'est pas configuré");
    };
    if let Some(e) = q.error {
        anyhow::bail!("le fournisseur a refusé : {e}");
    }
    let (Some(code), Some(st)) = (q.code, q.state) else {
        anyhow::bail!("réponse incomplète du fournisseur");
    };
    // Taken at once: a state serves once, even when what follows fails.
    let mut tx = state.store.begin().await?;
    let flow = sessions::oidc_flow_take(&mut tx, &st).await?;
    tx.commit().await?;
    let flow = flow.ok_or(Refused::Expired)?;
    let started = parcours_store::parse_time(&flow.created_at).ok_or(Refused::Expired)?;
    if parcours_store::clock().now() - started > flow_ttl() {
        return Err(Refused::Expired.into());
    }
    // Login CSRF: a state handed to another browser (a link, an image) finds no matching cookie there.
    let bound =
        binding.is_some_and(|b| super::constant_eq(&sessions::hash_token(b), &flow.binding_hash));
    if !bound {
        return Err(Refused::OtherBrowser.into());
    }
    let nonce = Nonce::new(flow.nonce);
    let meta = oidc.metadata().await?.clone();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(s.client_id.clone()),
        Some(ClientSecret::new(s.client_secret.expose().to_string())),
    )
    .set_redirect_uri(OidcClient::redirect_uri(s)?);
    let token = client
        .exchange_code(AuthorizationCode::new(code))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier))
        .request_async(http)
        .await?;
    let id_token = token
        .id_token()
        .ok_or_else(|| anyhow::anyhow!("pas de jeton d'identité"))?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
    let sub = claims.subject().clone();
    let mut email = claims.email().map(|e| e.as_str().to_string());
    let mut extra = ProConnectClaims::default();
    // ProConnect gives the identity on the userinfo endpoint; ask it when there is one.
    if let Ok(req) = client.user_info(token.access_token().clone(), Some(sub.clone())) {
        if let Ok(info) = req
            .request_async::<ProConnectClaims, _, CoreGenderClaim>(http)
            .await
        {
            let info: UserInfoClaims<ProConnectClaims, CoreGenderClaim> = info;
            if email.is_none() {
                email = info.email().map(|e| e.as_str().to_string());
            }
            extra = info.additional_claims().clone();
        }
    }
    // No e-mail in the identity: no agent to map it to.
    let email = email.ok_or(Refused::Unknown)?;
    let mut conn = state.store.read().await?;
    let account = agents::account_by_email(&mut conn, &email).await?;
    drop(conn);
    let account = match account {
        Some(a) if !a.ferme => a,
        _ => return Err(Refused::Unknown.into()),
    };
    let session = random_token();
    let mut tx = state.store.begin().await?;
    // The first sign-in links the agent to the provider's subject; later, the same e-mail under
    // another subject (an address reassigned, a provider account taken over) is refused.
    if !agents::link_oidc_sub(
        &mut tx,
        &account.departement_id,
        account.agent_id,
        sub.as_str(),
    )
    .await?
    {
        audit::append(
            &mut tx,
            &account.departement_id,
            &AuditEvent::new("refus_oidc", "agent", account.agent_id)
                .by(None, None, auth.request_id.clone())
                .details(serde_json::json!({ "motif": "sub_different", "uid": extra.uid, "siret": extra.siret })),
        )
        .await?;
        tx.commit().await?;
        return Err(Refused::OtherSubject.into());
    }
    sessions::create(
        &mut tx,
        &session,
        &account.departement_id,
        account.agent_id,
        &random_token(),
        Some(&id_token.to_string()),
    )
    .await?;
    audit::append(
        &mut tx,
        &account.departement_id,
        &AuditEvent::new("connexion", "agent", account.agent_id)
            .by(Some(account.agent_id), None, auth.request_id.clone())
            .details(serde_json::json!({ "methode": "openid_connect", "uid": extra.uid, "siret": extra.siret })),
    )
    .await?;
    tx.commit().await?;
    let cookie = session_cookie(session, state.settings.cookie_secure);
    Ok((
        [(header::SET_COOKIE, cookie.to_string())],
        Redirect::to(&flow.suite),
    )
        .into_response())
}
