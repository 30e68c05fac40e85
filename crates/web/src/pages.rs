//! Page building blocks shared by every module: the layout (header, navigation by role, CSRF token),
//! a generic form page with one message per field, a generic list page with sorting, filters and
//! paging, and the error page. Module-specific pages live beside their handlers.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::habilitations::Principal;
use parcours_domain::FieldErrors;

/// What every page needs around its content.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub departement_nom: String,
    pub has_logo: bool,
    pub user: Option<String>,
    pub role: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub notice: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The main navigation: only what the role may open.
const NAV: &[(&str, &str, Action)] = &[
    ("/", "Accueil", Action::Connecte),
    ("/personnes", "Personnes", Action::PersonnesLire),
    ("/echeances", "Échéances", Action::EcheancesLire),
    (
        "/echeances/retards",
        "Retards par secteur",
        Action::EcheancesChiffres,
    ),
    (
        "/procedures/chiffres",
        "Chiffres des procédures",
        Action::EcheancesChiffres,
    ),
    (
        "/crip/chiffres",
        "Chiffres de la CRIP",
        Action::CripChiffres,
    ),
    ("/aides", "Aides financières", Action::AidesInstruire),
    (
        "/aides/paiements",
        "Paiements à contrôler",
        Action::AidesPaiements,
    ),
    (
        "/aides/chiffres",
        "Chiffres des aides",
        Action::AidesChiffres,
    ),
    ("/agenda", "Agendas", Action::AgendaLire),
    ("/accueil/contacts", "Main courante", Action::AccueilLire),
    (
        "/accueil/chiffres",
        "Chiffres de l'accueil",
        Action::AccueilChiffres,
    ),
    ("/accueil/appui", "Appui technique", Action::AccueilLire),
    ("/doublons", "Doublons", Action::DoublonsGerer),
    ("/acces-motives", "Accès motivés", Action::AccesMotivesLire),
    (
        "/rgpd/demandes",
        "Demandes de droits",
        Action::RgpdRegistreLire,
    ),
    (
        "/rgpd/transmissions",
        "Droits d'accès à examiner",
        Action::RgpdGerer,
    ),
    ("/rgpd/conservation", "Conservation", Action::RgpdGerer),
    ("/referentiel", "Référentiel", Action::ReferentielLire),
    (
        "/accueil/motifs",
        "Motifs de l'accueil",
        Action::ReferentielGerer,
    ),
    ("/agents", "Agents", Action::AgentsLire),
    ("/groupes-projet", "Groupes projet", Action::GroupesLire),
    ("/audit", "Journal d'audit", Action::AuditLire),
    ("/admin/taches", "Tâches", Action::TachesLire),
    ("/admin/jetons", "Jetons d'API", Action::JetonsGerer),
    ("/compte", "Mon compte", Action::Connecte),
];

impl Layout {
    pub fn new(
        departement_nom: &str,
        has_logo: bool,
        principal: Option<&Principal>,
        csrf: &str,
        path: &str,
    ) -> Self {
        let matches = |href: &str| {
            if href == "/" {
                path == "/"
            } else {
                path.starts_with(href)
            }
        };
        // The current entry is the most specific one (« Retards par secteur » under « Échéances »).
        let current = NAV
            .iter()
            .filter(|(href, _, a)| principal.is_some_and(|p| allows(p, *a)) && matches(href))
            .map(|(href, _, _)| *href)
            .max_by_key(|h| h.len());
        let nav = match principal {
            Some(p) => NAV
                .iter()
                .filter(|(_, _, a)| allows(p, *a))
                .map(|(href, label, _)| NavItem {
                    href,
                    label,
                    current: Some(*href) == current,
                })
                .collect(),
            None => vec![],
        };
        Self {
            departement_nom: departement_nom.to_string(),
            has_logo,
            user: principal.map(|p| p.display_name.clone()),
            role: principal.map(|p| p.role.libelle().to_string()),
            csrf: csrf.to_string(),
            nav,
            notice: None,
        }
    }
    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }
}

/// Renders a template into a response; a rendering error is an internal error.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => crate::WebError::from(e).into_response(),
    }
}

/// One field of a generic form.
#[derive(Debug, Clone, Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    /// text, email, password, number, date, select, textarea, checkbox, file, hidden
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub required: bool,
    pub autocomplete: Option<&'static str>,
    pub accept: Option<&'static str>,
    /// The search-then-choose list of a `choix` field (a person or agents chosen by name).
    pub choix: Option<crate::choix::Liste>,
}

impl Field {
    pub fn text(name: &str, label: &str, value: &str) -> Self {
        Self {
            name: name.into(),
            label: label.into(),
            kind: "text",
            value: value.into(),
            ..Default::default()
        }
    }
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = Some(a);
        self
    }
    /// A person or agents chosen by name (`crate::choix`): a search box, its button, the matches.
    pub fn choix(mut self, liste: crate::choix::Liste) -> Self {
        self.kind = "choix";
        self.choix = Some(liste);
        self
    }
    pub fn select(mut self, options: Vec<(String, String)>) -> Self {
        self.kind = "select";
        self.options = options;
        self
    }
    pub fn error_from(mut self, errors: &FieldErrors) -> Self {
        self.error = errors.get(&self.name).map(str::to_string);
        self
    }
    pub fn is_selected(&self, value: &str) -> bool {
        self.value == value
    }
    pub fn describedby(&self) -> String {
        let mut ids = vec![];
        if self.hint.is_some() {
            ids.push(format!("{}-aide", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-erreur", self.name));
        }
        ids.join(" ")
    }
}

/// A small form with a single button (close, reopen, revoke...).
#[derive(Debug, Clone)]
pub struct ButtonForm {
    pub action: String,
    pub label: String,
    pub danger: bool,
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub l: Layout,
    pub title: String,
    pub intro: Option<String>,
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: String,
    pub cancel: Option<String>,
    pub multipart: bool,
    pub buttons: Vec<ButtonForm>,
    pub details: Vec<(String, String)>,
    /// Other pages of the same record (href, label), listed under the form.
    pub liens: Vec<(String, String)>,
}

impl FormPage {
    pub fn summary(&self) -> Vec<&Field> {
        self.fields.iter().filter(|f| f.error.is_some()).collect()
    }
}

/// The error summary of a form: (field name, « label : message ») for each field in error, in the
/// order of the form — what the summary at the top of a page links to.
pub fn error_summary(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| (f.name.clone(), format!("{} : {e}", f.label)))
        })
        .collect()
}

/// The error summary of a hand-written form: (field, label, message) of each field in error, in the
/// order of `labels` (field name, label).
pub fn resume_erreurs(
    errors: &FieldErrors,
    labels: &[(&str, &str)],
) -> Vec<(String, String, String)> {
    labels
        .iter()
        .filter_map(|(k, label)| {
            errors
                .get(k)
                .map(|m| (k.to_string(), label.to_string(), m.to_string()))
        })
        .collect()
}

/// A cell of a generic list.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Self {
        Self {
            text: t.into(),
            href: None,
        }
    }
    pub fn link(t: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            text: t.into(),
            href: Some(href.into()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub label: String,
    /// Link that sorts by this column, when sortable.
    pub sort_href: Option<String>,
    /// `ascending` when the list is sorted by this column.
    pub aria_sort: Option<&'static str>,
}

impl Column {
    pub fn plain(label: &str) -> Self {
        Self {
            label: label.into(),
            sort_href: None,
            aria_sort: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pagination {
    /// Builds the paging links from a base query (without `page`).
    pub fn new(base: &str, page: i64, per_page: i64, total: i64) -> Self {
        let pages = ((total + per_page - 1) / per_page).max(1);
        let sep = if base.contains('?') { '&' } else { '?' };
        Self {
            page,
            pages,
            total,
            prev: (page > 1).then(|| format!("{base}{sep}page={}", page - 1)),
            next: (page < pages).then(|| format!("{base}{sep}page={}", page + 1)),
        }
    }
}

#[derive(Template)]
#[template(path = "table.html")]
pub struct TablePage {
    pub l: Layout,
    pub title: String,
    pub intro: Option<String>,
    pub actions: Vec<(String, String)>,
    pub filters: Vec<Field>,
    pub filter_action: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub pagination: Option<Pagination>,
    pub caption: String,
    pub empty: String,
}

#[derive(Template)]
#[template(path = "erreur.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

impl ErrorPage {
    pub fn html(&self) -> Html<String> {
        Html(self.render().unwrap_or_else(|_| {
            format!(
                "<!doctype html><html lang=\"fr\"><title>{}</title><p>{}</p></html>",
                self.title, self.message
            )
        }))
    }
}

/// Page number from a query value (1 when absent or invalid).
pub fn page_number(p: Option<&str>) -> i64 {
    p.and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p > 0)
        .unwrap_or(1)
}

pub const PER_PAGE: i64 = 50;

/// Options of a select from (id, label) pairs, with an empty first choice.
pub fn options<I: IntoIterator<Item = (String, String)>>(
    empty: &str,
    items: I,
) -> Vec<(String, String)> {
    std::iter::once((String::new(), empty.to_string()))
        .chain(items)
        .collect()
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A `multipart/form-data` form as read: its text fields, and the file sent in the field `fichier`
/// (its name and bytes).
#[derive(Debug, Default)]
pub struct EnvoiMultipart {
    pub valeurs: std::collections::BTreeMap<String, String>,
    pub fichier: Option<(String, Vec<u8>)>,
}

/// Reads a multipart form; `Err` when the body is malformed, interrupted or over the size limit,
/// with the fields read until then (the page says so, keeps them, and nothing is written).
pub async fn lire_multipart(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<EnvoiMultipart, EnvoiMultipart> {
    let mut envoi = EnvoiMultipart::default();
    let Ok(mut mp) = multipart else {
        return Err(envoi);
    };
    loop {
        let Ok(champ) = mp.next_field().await else {
            return Err(envoi);
        };
        let Some(champ) = champ else {
            return Ok(envoi);
        };
        let nom = champ.name().unwrap_or("").to_string();
        let nom_fichier = champ.file_name().map(str::to_string);
        let Ok(octets) = champ.bytes().await else {
            return Err(envoi);
        };
        if nom == "fichier" {
            envoi.fichier = Some((nom_fichier.unwrap_or_default(), octets.to_vec()));
        } else {
            envoi
                .valeurs
                .insert(nom, String::from_utf8_lossy(&octets).to_string());
        }
    }
}
