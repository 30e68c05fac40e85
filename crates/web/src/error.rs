//! Errors of the web layer and the one place where they become a French HTML page or an
//! `application/problem+json` answer; also the extractors that turn axum's English rejections into
//! those French answers, and the panic and body-size guards.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parcours_domain::FieldErrors;
use parcours_store::StoreError;
use serde::de::DeserializeOwned;

use crate::pages::ErrorPage;

/// What went wrong while answering an HTML request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("page introuvable")]
    NotFound,
    #[error("accès refusé")]
    Forbidden,
    /// A refusal the handler already wrote to the audit log (with its record and purpose).
    #[error("accès refusé")]
    ForbiddenAudited,
    #[error("requête invalide : {0}")]
    BadRequest(String),
    #[error("conflit : {0}")]
    Conflict(String),
    #[error("erreur interne")]
    Internal(#[source] anyhow::Error),
}

/// Marks a 403 response whose refusal the handler already wrote to the audit log (with the record
/// and the purpose), so that the route layer does not write a second, vaguer entry.
#[derive(Debug, Clone, Copy)]
pub struct RefusAudite;

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebError::NotFound,
            StoreError::Conflict(f) => WebError::Conflict(format!("valeur déjà utilisée ({f})")),
            StoreError::Reference => {
                WebError::BadRequest("référence inconnue dans ce département".into())
            }
            other => WebError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<parcours_usecases::Error> for WebError {
    fn from(e: parcours_usecases::Error) -> Self {
        use parcours_usecases::Error as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden { audited: true } => WebError::ForbiddenAudited,
            E::Forbidden { audited: false } => WebError::Forbidden,
            E::Conflict(m) => WebError::Conflict(m),
            // A page handler re-renders its form on `Invalid`; reaching here means a request no
            // form of ours sends.
            E::Invalid(errors) => {
                WebError::BadRequest(errors.0.values().cloned().collect::<Vec<_>>().join(" "))
            }
            E::Store(s) => WebError::from(s),
        }
    }
}

impl From<parcours_usecases::Error> for ApiError {
    fn from(e: parcours_usecases::Error) -> Self {
        match e {
            parcours_usecases::Error::Invalid(errors) => ApiError::invalid(errors),
            other => ApiError::from(WebError::from(other)),
        }
    }
}

impl From<parcours_store::SqlError> for WebError {
    fn from(e: parcours_store::SqlError) -> Self {
        WebError::from(StoreError::from(e))
    }
}

impl From<parcours_store::SqlError> for ApiError {
    fn from(e: parcours_store::SqlError) -> Self {
        ApiError::from(StoreError::from(e))
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(anyhow::Error::new(e))
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Internal(e)
    }
}

pub type WebResult<T> = Result<T, WebError>;

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::ForbiddenAudited => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn french(&self) -> (&'static str, String) {
        match self {
            WebError::NotFound => ("Page introuvable", "Cette page n'existe pas ou plus. Vérifiez l'adresse, ou revenez à l'accueil.".into()),
            WebError::Forbidden | WebError::ForbiddenAudited => ("Accès refusé", "Votre rôle ou votre périmètre ne permet pas d'accéder à cette page. Ce refus est enregistré.".into()),
            WebError::BadRequest(m) => ("Requête invalide", format!("La demande n'a pas pu être traitée : {m}. Rien n'a été enregistré.")),
            WebError::Conflict(m) => ("Conflit", format!("La demande n'a pas pu être traitée : {m}. Rien n'a été enregistré.")),
            WebError::Internal(_) => ("Erreur interne", "Une erreur est survenue ; rien n'a été enregistré. L'incident est journalisé ; réessayez ou contactez l'assistance.".into()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Internal(e) = &self {
            // Logged once, here, with its chain; the page says nothing of it.
            tracing::error!(erreur = format!("{e:#}"), "erreur interne");
        }
        let (title, message) = self.french();
        let page = ErrorPage {
            status: self.status().as_u16(),
            title,
            message,
        };
        let mut res = (self.status(), page.html()).into_response();
        if matches!(self, WebError::ForbiddenAudited) {
            res.extensions_mut().insert(RefusAudite);
        }
        res
    }
}

/// An API error: RFC 9457 problem details in French.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub title: String,
    pub detail: String,
    pub errors: Option<FieldErrors>,
    /// The handler already wrote this refusal to the audit log.
    pub audited: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, title: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
            detail: detail.into(),
            errors: None,
            audited: false,
        }
    }
    /// Marks a refusal already written to the audit log by the handler.
    pub fn audited(mut self) -> Self {
        self.audited = true;
        self
    }
    pub fn invalid(errors: FieldErrors) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title: "Données invalides".into(),
            detail: "Certains champs sont invalides ; rien n'a été enregistré.".into(),
            errors: Some(errors),
            audited: false,
        }
    }
}

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        if let WebError::Internal(err) = &e {
            tracing::error!(erreur = format!("{err:#}"), "erreur interne (API)");
        }
        let (title, message) = e.french();
        let audited = matches!(e, WebError::ForbiddenAudited);
        ApiError {
            audited,
            ..ApiError::new(e.status(), title, message)
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(WebError::from(e))
    }
}

impl From<parcours_domain::Invalid> for ApiError {
    fn from(e: parcours_domain::Invalid) -> Self {
        ApiError::invalid(e.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(errors) = self.errors {
            body["erreurs"] = serde_json::to_value(errors.0).unwrap_or_default();
        }
        let mut res = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
        if self.audited {
            res.extensions_mut().insert(RefusAudite);
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// `Form` whose rejection is a French page (malformed bodies, wrong content type, too large).
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Form(v)),
            Err(FormRejection::BytesRejection(_)) => Err(WebError::BadRequest(
                "le formulaire est trop volumineux ou incomplet".into(),
            )),
            Err(_) => Err(WebError::BadRequest(
                "le formulaire envoyé est mal formé".into(),
            )),
        }
    }
}

/// `Query` with a French rejection: a page, or problem+json under `/api/`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(_)) | Err(_) => {
                if parts.uri.path().starts_with("/api/") {
                    Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "Paramètres invalides",
                        "Les paramètres de l'adresse sont invalides : vérifiez leur type (nombre, date AAAA-MM-JJ) et les paramètres obligatoires.",
                    )
                    .into_response())
                } else {
                    Err(
                        WebError::BadRequest("les paramètres de l'adresse sont invalides".into())
                            .into_response(),
                    )
                }
            }
        }
    }
}

/// `Path` with a French rejection: a malformed id is a missing page.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(WebError::NotFound),
            Err(_) => Err(WebError::NotFound),
        }
    }
}

/// `Path` for the API, answering problem+json.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Ressource introuvable",
                "L'identifiant de l'adresse est invalide.",
            )),
        }
    }
}

/// `Json` for the API with a French problem+json rejection naming what is wrong.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Type de contenu non pris en charge",
                "Envoyez le corps en JSON avec l'en-tête Content-Type: application/json.",
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "JSON mal formé",
                format!(
                    "Le corps n'est pas un JSON valide ({}).",
                    e.body_text().rsplit(": ").next().unwrap_or("")
                ),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Données invalides",
                format!(
                    "Le JSON ne correspond pas au format attendu ({}).",
                    e.body_text().rsplit(": ").next().unwrap_or("")
                ),
            )),
            Err(_) => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Corps illisible",
                "Le corps de la requête est illisible ou trop volumineux.",
            )),
        }
    }
}

/// The fallback: an unknown route.
pub async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Ressource introuvable",
            "Cette adresse n'existe pas dans l'API v1.",
        )
        .into_response()
    } else {
        WebError::NotFound.into_response()
    }
}

/// The French title of an error status, for the answers that come without one.
fn titre(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Requête invalide",
        401 => "Authentification requise",
        403 => "Accès refusé",
        404 => "Ressource introuvable",
        405 => "Méthode non autorisée",
        408 => "Délai dépassé",
        409 => "Conflit",
        413 => "Requête trop volumineuse",
        415 => "Type de contenu non pris en charge",
        422 => "Données invalides",
        429 => "Trop de requêtes",
        500..=599 => "Erreur interne",
        _ => "Requête refusée",
    }
}

fn detail(status: StatusCode) -> &'static str {
    match status.as_u16() {
        405 => "Cette adresse n'accepte pas cette méthode HTTP.",
        408 => "La requête a pris trop de temps ; rien n'a été enregistré. Réessayez.",
        413 => "Le corps de la requête dépasse la taille autorisée ; rien n'a été enregistré.",
        500..=599 => {
            "Une erreur est survenue ; rien n'a été enregistré. L'incident est journalisé."
        }
        _ => "La demande n'a pas pu être traitée ; rien n'a été enregistré.",
    }
}

/// Every error answer in French: on the API (and any request with a bearer token) an error that is
/// not already problem+json (a bare 413 of the body limit, a 408 of the timeout, a 405, a page of an
/// extractor's rejection) becomes one; on pages a bare 413, 408 or 405 becomes the French page.
pub async fn french_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/") || crate::auth::has_bearer(req.headers());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    if api {
        if content_type.starts_with(b"application/problem+json") {
            return res;
        }
        let problem = ApiError::new(status, titre(status), detail(status)).into_response();
        return with_body_of(res, problem);
    }
    let bare = content_type.is_empty() || content_type.starts_with(b"text/plain");
    if bare && matches!(status.as_u16(), 405 | 408 | 413) {
        let page = ErrorPage {
            status: status.as_u16(),
            title: titre(status),
            message: detail(status).into(),
        };
        return with_body_of(res, (status, page.html()).into_response());
    }
    res
}

/// The answer `res` (status and headers: security headers, request id, `Allow`) with the body and
/// content type of `new`.
fn with_body_of(res: Response, new: Response) -> Response {
    let (mut parts, _) = res.into_parts();
    let (new_parts, body) = new.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(ct) = new_parts.headers.get(header::CONTENT_TYPE) {
        parts.headers.insert(header::CONTENT_TYPE, ct.clone());
    }
    Response::from_parts(parts, body)
}

/// A panic in a handler becomes a French 500 page; the server keeps running.
pub fn panic_page(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("panique dans un gestionnaire de requête");
    WebError::Internal(anyhow::anyhow!("panique")).into_response()
}
