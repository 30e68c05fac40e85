//! Authentication: the session cookie and API tokens become a [`Principal`] for every request; CSRF
//! tokens are checked on every form; sign-in with a password (Argon2id, per-client and per-account
//! limits) and with OpenID Connect (ProConnect) live in the submodules.

pub mod client;
pub mod login;
pub mod oidc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use parcours_domain::audit::AuditEvent;
use parcours_domain::habilitations::{Principal, Role};
use parcours_store::{agents, sessions, tokens};
use rand::RngCore;

use crate::error::{ApiError, WebError};
use crate::pages::Layout;
use crate::AppState;

pub const SESSION_COOKIE: &str = "parcours_session";

/// What the authentication layer found, stored in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub principal: Option<Principal>,
    pub csrf: String,
    pub session_hash: Option<String>,
    pub id_token: Option<String>,
    pub expired: bool,
    pub request_id: Option<String>,
}

/// Whether a request presents an API token (`Authorization: Bearer …`): a program's request, answered
/// with problem+json and never redirected to the sign-in page.
pub fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "))
}

/// A random URL-safe token of 32 bytes.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| Cookie::parse(c.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The session cookie, as set at sign-in.
pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .path("/")
        .build()
}

/// Builds the principal of an agent from the database; `None` if the agent is closed.
pub async fn principal_of(
    state: &AppState,
    dep: &str,
    agent_id: i64,
) -> Result<Option<Principal>, WebError> {
    let mut conn = state.store.read().await?;
    let agent = match agents::get(&mut conn, dep, agent_id).await {
        Ok(a) => a,
        Err(parcours_store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if agent.ferme_le.is_some() {
        return Ok(None);
    }
    Ok(Some(Principal {
        agent_id: Some(agent.id),
        token_id: None,
        departement_id: dep.to_string(),
        display_name: agent.nom_complet(),
        role: agent.role,
        service_id: Some(agent.service_id),
        site_ids: agent.site_ids,
        token_scopes: vec![],
    }))
}

/// Middleware: finds the principal behind the request, enforces the session timeouts and checks the
/// CSRF token of every form sent with a session.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match authenticate_inner(&state, req).await {
        Ok((req, auth)) => {
            let mut req = req;
            req.extensions_mut().insert(auth);
            next.run(req).await
        }
        Err(resp) => resp,
    }
}

async fn authenticate_inner(state: &AppState, req: Request) -> Result<(Request, Auth), Response> {
    let api = req.uri().path().starts_with("/api/");
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut auth = Auth {
        request_id,
        ..Default::default()
    };

    // A service account presents its token to the API and to `/metrics` (Prometheus).
    if api || req.uri().path() == "/metrics" {
        if let Some(bearer) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            let found = match state.store.begin().await {
                Ok(mut tx) => {
                    let t = tokens::authenticate(&mut tx, bearer.trim()).await;
                    let _ = tx.commit().await;
                    t.ok().flatten()
                }
                Err(_) => None,
            };
            let Some(token) = found else {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Jeton invalide",
                    "Le jeton d'API est inconnu ou révoqué.",
                )
                .into_response());
            };
            auth.principal = Some(Principal {
                agent_id: None,
                token_id: Some(token.id),
                departement_id: token.departement_id.clone(),
                display_name: format!("Compte de service « {} »", token.nom),
                // A service account holds no role of its own: its scopes decide (see policy::allows).
                role: Role::Administrateur,
                service_id: None,
                // The sites chosen for the token: `policy::reaches_site` gives it these and no other.
                site_ids: token.site_ids,
                token_scopes: token.scopes,
            });
            return Ok((req, auth));
        }
    }

    if let Some(token) = cookie_value(req.headers(), SESSION_COOKIE) {
        let mut conn = match state.store.read().await {
            Ok(c) => c,
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        let session = sessions::get(&mut conn, &token).await.ok().flatten();
        drop(conn);
        if let Some(s) = session {
            let now = parcours_store::clock().now();
            let idle = parcours_store::parse_time(&s.last_seen_at).map(|t| now - t);
            let age = parcours_store::parse_time(&s.created_at).map(|t| now - t);
            let too_idle =
                idle.is_none_or(|d| d.to_std().unwrap_or_default() > state.settings.session_idle);
            let too_old = age
                .is_none_or(|d| d.to_std().unwrap_or_default() > state.settings.session_absolute);
            if too_idle || too_old {
                if let Ok(mut tx) = state.store.begin().await {
                    let _ = sessions::delete(&mut tx, &s.id_hash).await;
                    let _ = tx.commit().await;
                }
                auth.expired = true;
            } else {
                match principal_of(state, &s.departement_id, s.agent_id).await {
                    Ok(Some(p)) => {
                        // Touch at most once a minute: the idle timeout does not need finer steps.
                        if idle.is_some_and(|d| d.num_seconds() > 60) {
                            if let Ok(mut tx) = state.store.begin().await {
                                let _ = sessions::touch(&mut tx, &s.id_hash).await;
                                let _ = tx.commit().await;
                            }
                        }
                        auth.principal = Some(p);
                        auth.csrf = s.csrf.clone();
                        auth.session_hash = Some(s.id_hash.clone());
                        auth.id_token = s.id_token.clone();
                    }
                    Ok(None) => auth.expired = true,
                    Err(e) => return Err(e.into_response()),
                }
            }
        }
    }

    // The API with a session cookie (a page's script, or a forged cross-site request): every
    // write carries the session's CSRF token and comes from this site, as a form does.
    if api && auth.session_hash.is_some() && !matches!(*req.method(), Method::GET | Method::HEAD) {
        if !same_origin(req.headers()) || !same_origin_referer(req.headers()) {
            return Err(api_csrf_failure(
                "La requête vient d'un autre site que Parcours ; elle est refusée.",
            ));
        }
        if !csrf_header_or_query(&req).is_some_and(|t| constant_eq(&t, &auth.csrf)) {
            return Err(api_csrf_failure(
                "Le jeton de sécurité de la session est absent ou périmé : envoyez-le dans l'en-tête X-CSRF-Token (ou le paramètre _csrf), ou utilisez un jeton d'API (Authorization: Bearer).",
            ));
        }
        return Ok((req, auth));
    }

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !api {
        if !same_origin(req.headers()) {
            return Err(WebError::Forbidden.into_response());
        }
        if auth.session_hash.is_some() {
            let (req2, ok) = check_csrf(req, &auth.csrf, state.settings.max_body_bytes).await?;
            if !ok {
                return Err(csrf_failure());
            }
            return Ok((req2, auth));
        }
    }
    Ok((req, auth))
}

fn csrf_failure() -> Response {
    WebError::BadRequest("le jeton de sécurité du formulaire est absent ou périmé ; rechargez la page et recommencez".into())
        .into_response()
}

fn api_csrf_failure(detail: &str) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "Requête refusée", detail).into_response()
}

/// The CSRF token of an API request sent with a session: the `X-CSRF-Token` header, or the `_csrf`
/// query parameter (a multipart upload).
fn csrf_header_or_query(req: &Request) -> Option<String> {
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return Some(h.trim().to_string());
    }
    req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.into_owned())
    })
}

/// When the browser says which page a request comes from (`Referer`), it must be a page of this
/// site.
fn same_origin_referer(headers: &HeaderMap) -> bool {
    let Some(referer) = headers.get(header::REFERER).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    url::Url::parse(referer).ok().is_some_and(|u| {
        let o = match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
            None => u.host_str().unwrap_or("").to_string(),
        };
        o == host
    })
}

/// When the browser says where a form comes from, it must be this site.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == "null" {
        return false;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    url::Url::parse(origin).ok().is_some_and(|u| {
        let o = match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
            None => u.host_str().unwrap_or("").to_string(),
        };
        o == host
    })
}

/// Reads the `_csrf` field of a urlencoded form (the body is put back), or the `_csrf` query
/// parameter of a multipart upload.
async fn check_csrf(
    req: Request,
    expected: &str,
    limit: usize,
) -> Result<(Request, bool), Response> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let from_query = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.into_owned())
    });
    if content_type.starts_with("multipart/form-data") {
        let ok = from_query.is_some_and(|t| constant_eq(&t, expected));
        return Ok((req, ok));
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return Err(crate::error::WebError::BadRequest(
                "le formulaire dépasse la taille autorisée".into(),
            )
            .into_response())
        }
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned());
    let ok = token.is_some_and(|t| constant_eq(&t, expected));
    Ok((Request::from_parts(parts, Body::from(bytes)), ok))
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The signed-in agent of an HTML page, with what the layout needs. Rejects with a redirect to the
/// sign-in page when there is none.
pub struct Ctx {
    pub principal: Principal,
    pub csrf: String,
    pub path: String,
    pub query: String,
    pub request_id: Option<String>,
    state: AppState,
}

impl Ctx {
    pub fn dep(&self) -> &str {
        &self.principal.departement_id
    }
    pub fn layout(&self) -> Layout {
        let notice = form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == "message")
            .and_then(|(_, v)| notice_text(&v));
        Layout::new(
            &self.state.settings.departement_nom,
            self.state.logo.is_some(),
            Some(&self.principal),
            &self.csrf,
            &self.path,
        )
        .with_notice(notice)
    }
    /// An audit event attributed to this agent and request.
    pub fn event(&self, action: &str, record_type: &str, record_id: impl ToString) -> AuditEvent {
        self.acteur().event(action, record_type, record_id)
    }
    /// Who acts, for the use cases shared by the pages and the API.
    pub fn acteur(&self) -> parcours_usecases::Acteur {
        parcours_usecases::Acteur {
            principal: self.principal.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// The fixed notices that a redirect may ask a page to show.
fn notice_text(code: &str) -> Option<String> {
    Some(
        match code {
            "cree" => "Enregistrement créé.",
            "modifie" => "Modifications enregistrées.",
            "ferme" => "Enregistrement fermé ; il reste consultable dans l'historique.",
            "rouvert" => "Enregistrement rouvert.",
            "dossier_clos" => "Dossier clos : il reste consultable et peut être rouvert.",
            "dossier_rouvert" => "Dossier rouvert : vous pouvez à nouveau y écrire.",
            "importe" => "Import appliqué.",
            "abandonne" => "Import abandonné ; rien n'a été modifié.",
            "revoque" => "Jeton révoqué.",
            "relance" => "Tâche remise en file d'attente.",
            "mot_de_passe" => "Mot de passe enregistré.",
            "deconnecte" => "Vous êtes déconnecté.",
            "expire" => "Votre session a expiré ; reconnectez-vous.",
            "rechercher_avant" => {
                "Recherchez d'abord la personne : elle est peut-être déjà connue."
            }
            "fusionne" => {
                "Fiches fusionnées ; la fusion peut être annulée depuis la liste des fusions."
            }
            "defusionne" => "Fusion annulée : les deux fiches sont de nouveau distinctes.",
            "appui_demande" => "Demande d'appui transmise aux travailleurs sociaux du site.",
            "appui_pris" => "Vous avez pris la demande d'appui.",
            "appui_clos" => "Demande d'appui close.",
            "appui_annule" => "Demande d'appui annulée.",
            "tableau" => "Tableau de permanence enregistré.",
            "deplace" => "Rendez-vous déplacé ; les rappels suivent la nouvelle heure.",
            "aide_demandee" => "Demande d'aide enregistrée ; elle est en instruction.",
            "aide_decidee" => "Décision enregistrée.",
            "aide_accordee" => {
                "Aide accordée : l'ordre de paiement est créé et sera contrôlé avant d'être payé."
            }
            "budget" => "Budget établi ; les budgets précédents restent dans l'historique.",
            "ordre_libere" => "Ordre libéré : il sera payé au prochain passage.",
            "ordre_annule" => "Ordre annulé : son montant revient à l'enveloppe.",
            "carte_demandee" => {
                "Carte demandée : le prestataire l'émet au prochain passage, elle devient alors active."
            }
            "carte_bloquee" => {
                "Carte bloquée : plus aucun chargement ne lui est envoyé ; le prestataire en est averti."
            }
            "recours_juge" => "Issue du recours enregistrée.",
            "logo" => "Logo enregistré : il s'imprime sur les prochains courriers.",
            "logo_retire" => "Logo retiré : les prochains courriers n'en portent pas.",
            _ => return None,
        }
        .to_string(),
    )
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        match auth.principal {
            Some(principal) => Ok(Ctx {
                principal,
                csrf: auth.csrf,
                path: parts.uri.path().to_string(),
                query: parts.uri.query().unwrap_or("").to_string(),
                request_id: auth.request_id,
                state: state.clone(),
            }),
            None => Err(login_redirect(parts.uri.path(), auth.expired)),
        }
    }
}

pub fn login_redirect(path: &str, expired: bool) -> Response {
    let mut target = format!("/connexion?suite={}", crate::pages::enc(path));
    if expired {
        target.push_str("&message=expire");
    }
    Redirect::to(&target).into_response()
}

/// The principal of an API request; rejects with a problem+json 401.
pub struct ApiCtx {
    pub principal: Principal,
    pub request_id: Option<String>,
}

impl ApiCtx {
    pub fn dep(&self) -> &str {
        &self.principal.departement_id
    }
    pub fn event(&self, action: &str, record_type: &str, record_id: impl ToString) -> AuditEvent {
        self.acteur().event(action, record_type, record_id)
    }
    /// Who acts, for the use cases shared by the pages and the API.
    pub fn acteur(&self) -> parcours_usecases::Acteur {
        parcours_usecases::Acteur {
            principal: self.principal.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiCtx {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        match auth.principal {
            Some(principal) => Ok(ApiCtx {
                principal,
                request_id: auth.request_id,
            }),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Authentification requise",
                "Présentez un jeton d'API (Authorization: Bearer …) ou une session.",
            )),
        }
    }
}
