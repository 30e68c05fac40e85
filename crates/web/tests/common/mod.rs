//! The application under test: the real router on a fresh database (SQLite, or PostgreSQL when
//! `PARCOURS_TEST_BACKEND=postgres`) seeded with the test fixture, and a cookie-keeping client.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use parcours_config::Settings;
use parcours_domain::habilitations::Role;
use parcours_test_support::{Fixture, TestDb, PASSWORD};
use tower::ServiceExt;

/// The id in a redirect's location after `prefix` (`/procedures/` in `/procedures/12#etapes`).
pub fn id_after(location: &str, prefix: &str) -> i64 {
    location
        .split(prefix)
        .nth(1)
        .and_then(|s| s.split(['/', '?', '#']).next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("pas d'identifiant après {prefix} dans {location}"))
}

/// A civil date and time of the département, `AAAA-MM-JJTHH:MM`.
pub fn civil(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
}

pub struct TestApp {
    pub db: TestDb,
    pub fx: Fixture,
    pub router: Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    /// The application's clock: setting it moves the pages, the API and the jobs run by the test.
    pub clock: parcours_domain::temps::Clock,
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
    pub set_cookie: Option<String>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(|_| {}).await
    }

    pub async fn with_settings(f: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDb::new().await;
        let fx = Fixture::seed(db.store()).await;
        let mut settings = Settings {
            cookie_secure: false,
            ..Settings::default()
        };
        f(&mut settings);
        let state = parcours_web::AppState::new(db.store().clone(), settings, None).expect("state");
        let clock = state.clock.clone();
        let router = parcours_web::router(state);
        Self {
            db,
            fx,
            router,
            cookie: None,
            csrf: None,
            clock,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res: Response<Body> = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let set_cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            location,
            content_type,
            body: String::from_utf8_lossy(&bytes).to_string(),
            set_cookie,
        }
    }

    fn with_cookie(&self, b: axum::http::request::Builder) -> axum::http::request::Builder {
        match &self.cookie {
            Some(c) => b.header(header::COOKIE, c),
            None => b,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let req = self
            .with_cookie(Request::get(path))
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    /// Posts a urlencoded form, adding the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(t) = &self.csrf {
            pairs.push(("_csrf".into(), t.clone()));
        }
        self.post_raw(path, &pairs).await
    }

    pub async fn post_raw(&self, path: &str, pairs: &[(String, String)]) -> Answer {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let req = self
            .with_cookie(Request::post(path))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Sends a multipart body (CSV upload) with the CSRF token in the query string, as the page does.
    pub async fn upload(&self, path: &str, kind: &str, filename: &str, content: &[u8]) -> Answer {
        let boundary = "----parcours-test";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{kind}\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let uri = format!("{path}?_csrf={}", self.csrf.clone().unwrap_or_default());
        let req = self
            .with_cookie(Request::post(uri))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Sends a multipart form (fields, then one file) with the session's CSRF token, in the query
    /// string as the page sends it and in the header as an API client does.
    pub async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        filename: &str,
        content: &[u8],
    ) -> Answer {
        let boundary = "----parcours-test";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let csrf = self.csrf.clone().unwrap_or_default();
        let req = self
            .with_cookie(Request::post(format!("{path}?_csrf={csrf}")))
            .header("x-csrf-token", csrf)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut b = self.with_cookie(Request::builder().method(method).uri(path));
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        // A page's script sends the session's CSRF token with every API write.
        if let Some(c) = &self.csrf {
            b = b.header("x-csrf-token", c);
        }
        let req = match body {
            Some(text) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(text.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        self.send(req).await
    }

    /// Opens a dossier for the person as the agent signed in; returns its id.
    pub async fn ouvrir_dossier(&self, personne: i64, intitule: &str) -> i64 {
        let a = self
            .post(
                &format!("/personnes/{personne}/dossiers"),
                &[("intitule", intitule)],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        id_after(&a.location.expect("redirection"), "/dossiers/")
    }

    pub async fn login_as(&mut self, role: Role) -> Answer {
        let email = self.fx.email(role).to_string();
        self.login(&email, PASSWORD).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Answer {
        self.cookie = None;
        self.csrf = None;
        let a = self
            .post(
                "/connexion",
                &[
                    ("identifiant", email),
                    ("mot_de_passe", password),
                    ("suite", "/"),
                ],
            )
            .await;
        if let Some(c) = &a.set_cookie {
            self.cookie = Some(c.split(';').next().unwrap_or("").to_string());
            let home = self.get("/").await;
            self.csrf = csrf_of(&home.body);
        }
        a
    }
}

impl TestApp {
    /// Creates a person through the pages (after the search the form requires) with an address in
    /// `insee`; returns its id.
    pub async fn personne_avec_adresse(
        &self,
        nom: &str,
        prenom: &str,
        naissance: &str,
        insee: &str,
        cp: &str,
    ) -> i64 {
        self.personne_complete(
            &[
                ("recherche", nom),
                ("nom_naissance", nom),
                ("prenoms", prenom),
                ("sexe", "2"),
                ("date_naissance", naissance),
            ],
            insee,
            cp,
        )
        .await
    }

    /// Creates a person from the fields of the creation form (`recherche`, `nom_naissance`, …, `nir`)
    /// with an address in `insee`; returns its id.
    pub async fn personne_complete(&self, fields: &[(&str, &str)], insee: &str, cp: &str) -> i64 {
        let a = self.post("/personnes/nouvelle", fields).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let id: i64 = a
            .location
            .unwrap()
            .trim_start_matches("/personnes/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let r = self
            .post(
                &format!("/personnes/{id}/adresse"),
                &[
                    ("ligne_1", "4 rue des Écoles"),
                    ("code_postal", cp),
                    ("commune_insee", insee),
                    ("valid_from", "01/01/2020"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        id
    }

    /// Creates a service-account token with these scopes (as the administrator signed in) and returns
    /// its secret, shown once on the page.
    pub async fn jeton(&self, nom: &str, portees: &[&str]) -> String {
        self.jeton_sites(nom, portees, &[]).await
    }

    /// Creates a service-account token with these scopes, acting on these sites (chosen on the page).
    pub async fn jeton_sites(&self, nom: &str, portees: &[&str], sites: &[i64]) -> String {
        let sites: Vec<String> = sites.iter().map(i64::to_string).collect();
        let mut fields = vec![("nom", nom)];
        fields.extend(portees.iter().map(|p| ("portee", *p)));
        fields.extend(sites.iter().map(|s| ("site", s.as_str())));
        let page = self.post("/admin/jetons", &fields).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let start = page.body.find("prc_").expect("secret shown once");
        page.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect()
    }
}

impl TestApp {
    /// Runs the due jobs with these settings.
    pub async fn run_jobs_with(&self, settings: Settings) -> parcours_jobs::RunReport {
        let ctx = parcours_jobs::JobContext {
            store: self.db.store().clone(),
            settings: std::sync::Arc::new(settings),
            clock: self.clock.clone(),
        };
        parcours_jobs::run_pending(&ctx, &parcours_jobs::Registry::standard())
            .await
            .expect("jobs")
    }

    /// Runs the due jobs with the payment provider at `url` (none: orders and cards wait), its
    /// client giving up after `delai_ms`.
    pub async fn run_jobs_paiement(
        &self,
        url: Option<&str>,
        delai_ms: u64,
    ) -> parcours_jobs::RunReport {
        self.run_jobs_with(Settings {
            paiement: url.map(|u| parcours_config::PaiementSettings {
                url: url::Url::parse(u).expect("adresse du prestataire"),
                jeton: None,
                delai_ms,
            }),
            ..Settings::default()
        })
        .await
    }

    /// The central team opens an envelope of `euros` for a fund in MDS-A in 2026 (signed in as the
    /// central team afterwards).
    pub async fn enveloppe(&mut self, fonds: &str, euros: &str) {
        self.login_as(Role::EquipeCentrale).await;
        let site = self.fx.site_a.to_string();
        let a = self
            .post(
                "/aides/enveloppes",
                &[
                    ("fonds", fonds),
                    ("site_id", &site),
                    ("annee", "2026"),
                    ("montant", euros),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }

    /// Yvonne QUÉMÉNEUR of MDS-A's secteur, her dossier and a budget whose reste à vivre is 5 € a
    /// day (RSA 600 €, rent 450 €, one person), signed in as the social worker: (person, dossier).
    pub async fn personne_avec_budget(&mut self) -> (i64, i64) {
        self.clock.set_civil(civil("2026-12-07T10:00"));
        self.login_as(Role::TravailleurSocial).await;
        let p = self
            .personne_avec_adresse("Quéméneur", "Yvonne", "03/09/1992", "96001", "96100")
            .await;
        let d = self.ouvrir_dossier(p, "Accompagnement budgétaire").await;
        let a = self
            .post(
                &format!("/dossiers/{d}/budget"),
                &[
                    ("poste_0", "rsa"),
                    ("montant_0", "600"),
                    ("poste_1", "loyer"),
                    ("montant_1", "450"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        (p, d)
    }

    /// An active card CB-0042 of the person in the register, as the demo has them.
    pub async fn carte_du_registre(&self, personne: i64) {
        let mut tx = self.db.store().begin().await.expect("transaction");
        parcours_store::aides::cartes::seed_une(
            &mut tx,
            "96",
            self.fx.site_a,
            parcours_domain::aides::carte::Titulaire::Personne,
            Some(personne),
            "Yvonne QUÉMÉNEUR",
            None,
            "CB-0042",
            self.clock.today(),
        )
        .await
        .expect("carte");
        tx.commit().await.expect("commit");
    }
}

/// The CSRF token written in a page's forms.
pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}
