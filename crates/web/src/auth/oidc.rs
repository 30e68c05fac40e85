//! Sign-in with OpenID Connect, compatible with ProConnect: authorisation code flow with PKCE, state
//! and nonce; the identity (claims `sub`, `email`, `given_name`, `usual_name`, `uid`, `siret`) is
//! mapped to an agent by e-mail; RP-initiated logout. The provider's metadata is discovered at first
//! use, so Parcours starts even when the provider is down.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
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
use tokio::sync::{Mutex, OnceCell};

use super::{random_token, session_cookie, Auth};
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

struct Flow {
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    suite: String,
    started: Instant,
}

/// The relying party. Pending flows are kept in memory for ten minutes: a sign-in started on one
/// server must end on the same one (documented in ARCHITECTURE.md).
pub struct OidcClient {
    settings: Option<OidcSettings>,
    metadata: OnceCell<ProviderMetadataWithLogout>,
    flows: Mutex<HashMap<String, Flow>>,
    http: Option<openidconnect::reqwest::Client>,
}

const FLOW_TTL: Duration = Duration::from_secs(600);

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
            flows: Mutex::new(HashMap::new()),
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
    Query(q): Query<StartQuery>,
) -> WebResult<Response> {
    let oidc = &state.oidc;
    let Some(s) = &oidc.settings else {
        return Err(crate::WebError::NotFound);
    };
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
    let mut flows = oidc.flows.lock().await;
    flows.retain(|_, f| f.started.elapsed() < FLOW_TTL);
    flows.insert(
        csrf.secret().clone(),
        Flow {
            nonce,
            verifier,
            suite: super::login::safe_target(q.suite.as_deref()),
            started: Instant::now(),
        },
    );
    Ok(Redirect::to(url.as_str()).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<CallbackQuery>,
) -> WebResult<Response> {
    match finish(&state, &auth, q).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            tracing::warn!(
                erreur = format!("{e:#}"),
                "échec de connexion OpenID Connect"
            );
            let code = if e.to_string().contains("agent inconnu") {
                "inconnu"
            } else {
                "fournisseur"
            };
            Ok(Redirect::to(&format!("/connexion?erreur={code}")).into_response())
        }
    }
}

async fn finish(state: &AppState, auth: &Auth, q: CallbackQuery) -> anyhow::Result<Response> {
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
    let flow = oidc
        .flows
        .lock()
        .await
        .remove(&st)
        .ok_or_else(|| anyhow::anyhow!("état inconnu ou expiré"))?;
    if flow.started.elapsed() > FLOW_TTL {
        anyhow::bail!("connexion trop ancienne");
    }
    let meta = oidc.metadata().await?.clone();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(s.client_id.clone()),
        Some(ClientSecret::new(s.client_secret.expose().to_string())),
    )
    .set_redirect_uri(OidcClient::redirect_uri(s)?);
    let token = client
        .exchange_code(AuthorizationCode::new(code))?
        .set_pkce_verifier(flow.verifier)
        .request_async(http)
        .await?;
    let id_token = token
        .id_token()
        .ok_or_else(|| anyhow::anyhow!("pas de jeton d'identité"))?;
    let claims = id_token.claims(&client.id_token_verifier(), &flow.nonce)?;
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
    let email = email.ok_or_else(|| {
        anyhow::anyhow!("agent inconnu : pas d'adresse électronique dans l'identité")
    })?;
    let mut conn = state.store.read().await?;
    let account = agents::account_by_email(&mut conn, &email).await?;
    drop(conn);
    let account = match account {
        Some(a) if !a.ferme => a,
        _ => anyhow::bail!("agent inconnu pour cette identité"),
    };
    let session = random_token();
    let mut tx = state.store.begin().await?;
    agents::set_oidc_sub(
        &mut tx,
        &account.departement_id,
        account.agent_id,
        sub.as_str(),
    )
    .await?;
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
