//! Typed settings of Parcours: defaults, then an optional TOML file, then `PARCOURS_*` environment
//! variables. Validation happens here, once, at start-up; a wrong value stops the process with a French
//! message that names the variable. Secrets are redacted in `Debug`.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// A value that must never be printed (client secrets, SMTP passwords).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("«masqué»")
    }
}

/// OpenID Connect (ProConnect or the département's own provider).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcSettings {
    pub issuer: url::Url,
    pub client_id: String,
    pub client_secret: Secret,
    /// Public base URL of Parcours, used to build the redirect URI `…/auth/oidc/retour`.
    pub public_url: url::Url,
    /// Label of the button on the login page ("Se connecter avec ProConnect").
    pub label: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    pub tls: bool,
}

/// An SMS operator's HTTP API (`PARCOURS_SMS_URL`): Parcours POSTs one JSON message per reminder. Without
/// it, SMS go to the `sms_sortants` outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsSettings {
    pub url: url::Url,
    /// Sent as `Authorization: Bearer …`; never logged.
    pub jeton: Option<Secret>,
    /// The sender name shown on the phone (11 characters at most for most operators).
    pub expediteur: Option<String>,
}

/// The payment provider of financial aids (`PARCOURS_PAIEMENT_URL`): card loads and transfers are
/// sent to its HTTP API with an idempotency key (docs/paiement.md). Without it, approved orders stay
/// « prêts » and nothing is paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaiementSettings {
    pub url: url::Url,
    /// Sent as `Authorization: Bearer …`; never logged.
    pub jeton: Option<Secret>,
    /// How long to wait for the provider's answer before retrying later with the same key.
    pub delai_ms: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub database_url: String,
    pub listen: SocketAddr,
    /// Name of the département shown in the header of every page.
    pub departement_nom: String,
    /// The civil time zone of the département (IANA name): `Europe/Paris`, or an overseas zone such as
    /// `America/Cayenne` (973) or `Indian/Reunion` (974). Every date and time shown or typed is in it.
    pub fuseau: chrono_tz::Tz,
    /// Optional path of a logo (SVG or PNG) shown in the header; the embedded neutral logo otherwise.
    pub logo_path: Option<PathBuf>,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// `Secure` flag on cookies: on by default, off only for local HTTP development and tests.
    pub cookie_secure: bool,
    /// Failed sign-ins of an account after which its next attempts must wait a delay that doubles at
    /// each new failure (30 s first), never longer than `lockout`.
    pub max_failed_logins: u32,
    /// Longest delay imposed on an account, and the window of `login_failures_per_client`.
    pub lockout: Duration,
    /// Failed sign-ins a client address may make within `lockout` before its attempts are refused.
    pub login_failures_per_client: u32,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed (IPs or CIDR ranges);
    /// empty: the peer address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub max_body_bytes: usize,
    /// Job workers in the server process; 0 leaves the jobs to `parcours taches`.
    pub workers: usize,
    pub oidc: Option<OidcSettings>,
    pub smtp: Option<SmtpSettings>,
    pub sms: Option<SmsSettings>,
    pub paiement: Option<PaiementSettings>,
    /// The Typst template of the notification of a decision on a financial aid
    /// (`PARCOURS_MODELE_NOTIFICATION_AIDE`, a file the département edits); the built-in one otherwise.
    pub modele_notification_aide: Option<String>,
    /// The administrative court named in the recourse paragraph of notifications
    /// (`PARCOURS_TRIBUNAL_ADMINISTRATIF`).
    pub tribunal_administratif: String,
    /// Largest document a dossier accepts (below `max_body_bytes`, so that the form re-renders with
    /// a message instead of a bare 413).
    pub document_taille_max: usize,
    /// Directory where the signed checkpoints of the audit chain are written (daily job,
    /// `parcours audit jalon`) and read back by `parcours audit verify`. It must live outside the
    /// database server (another machine, a write-once share): a DBA who rewrites the log after
    /// dropping its triggers cannot rewrite it. `None`: no checkpoint.
    pub audit_jalons: Option<PathBuf>,
    /// The Ed25519 signing key of the checkpoints (64 hex digits; created on first use).
    pub audit_cle: Option<PathBuf>,
    /// Duration of an exceptional access (« accès motivé »). A local rule, not a legal one: set it
    /// with the DPO.
    pub acces_motive_heures: u32,
    /// Retention: months without contact before a closed dossier leaves the active base (reference
    /// §8.3.3, CNIL délibération 2023-095: 2 years, status P).
    pub conservation_actif_mois: u32,
    /// Retention: months of intermediate archiving before anonymisation. UNCONFIRMED (reference
    /// §8.3.4 and §8.5: depends on the département's tableau de gestion): to set with the archives.
    pub conservation_archive_mois: u32,
    /// The partners the desk orients people to (suggested in the desk log; any other name may be
    /// typed). `PARCOURS_ACCUEIL_PARTENAIRES`, separated by `;`; empty: the usual ones
    /// (`domain::accueil::PARTENAIRES`).
    pub accueil_partenaires: Vec<String>,
    /// IP_EVAL for a child under 2, in months. UNCONFIRMED, a local parameter (reference §10:
    /// « shorter for under-2s: local parameter »): `None` keeps the legal 3 months.
    pub ip_eval_moins_2_ans_mois: Option<u32>,
    /// The winter truce of evictions, (month, day) of its first and last days (CPCE L412-6:
    /// 1 November – 31 March). In the overseas départements the préfet sets them: UNCONFIRMED per
    /// département, `PARCOURS_TREVE_DEBUT` / `PARCOURS_TREVE_FIN` as `MM-JJ`.
    pub treve_debut: (u32, u32),
    pub treve_fin: (u32, u32),
    /// Days before a due date when the référent is warned (escalation, issue 17). A local rule.
    pub echeances_preavis_jours: u32,
    /// RSA beneficiaries a référent unique carries before a reason is required to name them again
    /// (seed 003: « entre 50 et 70 »). A local rule; the default is the lower end, the stricter one.
    pub rsa_plafond_referent: u32,
}

/// A setting that cannot be used; the message is shown as is to the person who installs Parcours.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("Paramètre {variable} invalide : « {value} » — {reason}.")]
    Invalid {
        variable: String,
        value: String,
        reason: String,
    },
    #[error("Paramètre {variable} manquant : {reason}.")]
    Missing { variable: String, reason: String },
    #[error("Fichier de configuration {path} illisible : {reason}.")]
    File { path: String, reason: String },
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://parcours.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            departement_nom: "Département de démonstration".into(),
            fuseau: chrono_tz::Europe::Paris,
            logo_path: None,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            cookie_secure: true,
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            login_failures_per_client: 20,
            trusted_proxies: vec![],
            max_body_bytes: 10 * 1024 * 1024,
            workers: 2,
            oidc: None,
            smtp: None,
            sms: None,
            paiement: None,
            modele_notification_aide: None,
            tribunal_administratif: "le tribunal administratif territorialement compétent".into(),
            document_taille_max: 8 * 1024 * 1024,
            audit_jalons: None,
            audit_cle: None,
            acces_motive_heures: 24,
            conservation_actif_mois: 24,
            conservation_archive_mois: 60,
            accueil_partenaires: vec![],
            ip_eval_moins_2_ans_mois: None,
            treve_debut: (11, 1),
            treve_fin: (3, 31),
            echeances_preavis_jours: 7,
            rsa_plafond_referent: 50,
        }
    }
}

/// The names of every variable Parcours reads; a TOML key is the same name, lower case, without the
/// `PARCOURS_` prefix (e.g. `database_url`).
pub const VARIABLES: &[&str] = &[
    "PARCOURS_DATABASE_URL",
    "PARCOURS_LISTEN",
    "PARCOURS_DEPARTEMENT_NOM",
    "PARCOURS_FUSEAU",
    "PARCOURS_LOGO",
    "PARCOURS_SESSION_IDLE_MINUTES",
    "PARCOURS_SESSION_ABSOLUE_HEURES",
    "PARCOURS_COOKIE_SECURE",
    "PARCOURS_ECHECS_AVANT_BLOCAGE",
    "PARCOURS_BLOCAGE_MINUTES",
    "PARCOURS_ECHECS_PAR_POSTE",
    "PARCOURS_PROXIES_DE_CONFIANCE",
    "PARCOURS_TAILLE_MAX_REQUETE",
    "PARCOURS_WORKERS",
    "PARCOURS_DOCUMENT_TAILLE_MAX",
    "PARCOURS_AUDIT_JALONS",
    "PARCOURS_AUDIT_CLE",
    "PARCOURS_ACCES_MOTIVE_HEURES",
    "PARCOURS_CONSERVATION_ACTIF_MOIS",
    "PARCOURS_CONSERVATION_ARCHIVE_MOIS",
    "PARCOURS_ACCUEIL_PARTENAIRES",
    "PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS",
    "PARCOURS_TREVE_DEBUT",
    "PARCOURS_TREVE_FIN",
    "PARCOURS_ECHEANCES_PREAVIS_JOURS",
    "PARCOURS_RSA_PLAFOND_REFERENT",
    "PARCOURS_OIDC_ISSUER",
    "PARCOURS_OIDC_CLIENT_ID",
    "PARCOURS_OIDC_CLIENT_SECRET",
    "PARCOURS_OIDC_LIBELLE",
    "PARCOURS_OIDC_SCOPES",
    "PARCOURS_URL_PUBLIQUE",
    "PARCOURS_SMTP_HOTE",
    "PARCOURS_SMTP_PORT",
    "PARCOURS_SMTP_UTILISATEUR",
    "PARCOURS_SMTP_MOT_DE_PASSE",
    "PARCOURS_SMTP_EXPEDITEUR",
    "PARCOURS_SMTP_TLS",
    "PARCOURS_SMS_URL",
    "PARCOURS_SMS_JETON",
    "PARCOURS_SMS_EXPEDITEUR",
];

impl Settings {
    /// The parameters of the échéancier: the zone of the hour timers and the values the law leaves
    /// to the département.
    pub fn echeancier(&self) -> parcours_domain::echeancier::Echeancier {
        use parcours_domain::echeancier::{Echeancier, Parametres, Treve};
        Echeancier::new(Parametres {
            zone: self.fuseau,
            ip_eval_moins_2_ans_mois: self.ip_eval_moins_2_ans_mois,
            treve: Treve {
                debut: self.treve_debut,
                fin: self.treve_fin,
            },
        })
    }

    /// Reads the process environment, and the TOML file named by `PARCOURS_CONFIG` if set.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("PARCOURS_CONFIG") {
            Some(path) => Some(
                std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?,
            ),
            None => None,
        };
        Self::from_sources(file.as_deref(), &env)
    }

    /// Merges the defaults, a TOML document and a map of variables (environment wins).
    pub fn from_sources(
        toml_text: Option<&str>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut values: HashMap<String, String> = HashMap::new();
        if let Some(text) = toml_text {
            let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::File {
                path: "PARCOURS_CONFIG".into(),
                reason: e.to_string(),
            })?;
            for (key, value) in table {
                let name = format!("PARCOURS_{}", key.to_uppercase());
                if !VARIABLES.contains(&name.as_str()) {
                    return Err(ConfigError::File {
                        path: "PARCOURS_CONFIG".into(),
                        reason: format!("clé inconnue « {key} »"),
                    });
                }
                let text = match value {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                values.insert(name, text);
            }
        }
        for name in VARIABLES {
            if let Some(v) = env.get(*name) {
                values.insert((*name).to_string(), v.clone());
            }
        }
        let mut s = Settings::default();
        let get = |name: &str| {
            values
                .get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        if let Some(url) = get("PARCOURS_DATABASE_URL") {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(invalid(
                    "PARCOURS_DATABASE_URL",
                    &url,
                    "attendu sqlite://chemin.db ou postgres://utilisateur@hôte/base",
                ));
            }
            s.database_url = url;
        }
        if let Some(v) = get("PARCOURS_LISTEN") {
            s.listen = v.parse().map_err(|_| {
                invalid(
                    "PARCOURS_LISTEN",
                    &v,
                    "attendu une adresse et un port, par exemple 127.0.0.1:8080",
                )
            })?;
        }
        if let Some(v) = get("PARCOURS_FUSEAU") {
            s.fuseau = v.trim().parse().map_err(|_| ConfigError::Invalid {
                variable: "PARCOURS_FUSEAU".into(),
                value: v.clone(),
                reason: "un fuseau horaire de la base IANA est attendu, comme Europe/Paris, \
                         America/Cayenne ou Indian/Reunion"
                    .into(),
            })?;
        }
        if let Some(v) = get("PARCOURS_DEPARTEMENT_NOM") {
            s.departement_nom = v;
        }
        if let Some(v) = get("PARCOURS_LOGO") {
            let path = PathBuf::from(&v);
            if !path.is_file() {
                return Err(invalid("PARCOURS_LOGO", &v, "fichier introuvable"));
            }
            s.logo_path = Some(path);
        }
        if let Some(v) = get("PARCOURS_SESSION_IDLE_MINUTES") {
            s.session_idle =
                Duration::from_secs(60 * positive("PARCOURS_SESSION_IDLE_MINUTES", &v)?);
        }
        if let Some(v) = get("PARCOURS_SESSION_ABSOLUE_HEURES") {
            s.session_absolute =
                Duration::from_secs(3600 * positive("PARCOURS_SESSION_ABSOLUE_HEURES", &v)?);
        }
        if let Some(v) = get("PARCOURS_COOKIE_SECURE") {
            s.cookie_secure = boolean("PARCOURS_COOKIE_SECURE", &v)?;
        }
        if let Some(v) = get("PARCOURS_ECHECS_AVANT_BLOCAGE") {
            s.max_failed_logins = positive("PARCOURS_ECHECS_AVANT_BLOCAGE", &v)? as u32;
        }
        if let Some(v) = get("PARCOURS_BLOCAGE_MINUTES") {
            s.lockout = Duration::from_secs(60 * positive("PARCOURS_BLOCAGE_MINUTES", &v)?);
        }
        if let Some(v) = get("PARCOURS_ECHECS_PAR_POSTE") {
            s.login_failures_per_client = positive("PARCOURS_ECHECS_PAR_POSTE", &v)? as u32;
        }
        if let Some(v) = get("PARCOURS_PROXIES_DE_CONFIANCE") {
            s.trusted_proxies = proxies(&v)?;
        }
        if let Some(v) = get("PARCOURS_TAILLE_MAX_REQUETE") {
            s.max_body_bytes = positive("PARCOURS_TAILLE_MAX_REQUETE", &v)? as usize;
        }
        if let Some(v) = get("PARCOURS_DOCUMENT_TAILLE_MAX") {
            s.document_taille_max = positive("PARCOURS_DOCUMENT_TAILLE_MAX", &v)? as usize;
        }
        if let Some(v) = get("PARCOURS_AUDIT_JALONS") {
            let cle = get("PARCOURS_AUDIT_CLE").ok_or_else(|| ConfigError::Missing {
                variable: "PARCOURS_AUDIT_CLE".into(),
                reason: "les jalons du journal d'audit (PARCOURS_AUDIT_JALONS) sont signés avec \
                         cette clé ; indiquer le chemin de son fichier (créé au premier usage)"
                    .into(),
            })?;
            s.audit_jalons = Some(PathBuf::from(v));
            s.audit_cle = Some(PathBuf::from(cle));
        }
        if let Some(v) = get("PARCOURS_ACCES_MOTIVE_HEURES") {
            s.acces_motive_heures =
                positive("PARCOURS_ACCES_MOTIVE_HEURES", &v)?.min(24 * 30) as u32;
        }
        if let Some(v) = get("PARCOURS_CONSERVATION_ACTIF_MOIS") {
            s.conservation_actif_mois = positive("PARCOURS_CONSERVATION_ACTIF_MOIS", &v)? as u32;
        }
        if let Some(v) = get("PARCOURS_CONSERVATION_ARCHIVE_MOIS") {
            s.conservation_archive_mois =
                positive("PARCOURS_CONSERVATION_ARCHIVE_MOIS", &v)? as u32;
        }
        if let Some(v) = get("PARCOURS_WORKERS") {
            // 0: this server runs no job; a separate `parcours taches` (cron, timer) does.
            s.workers = v.parse::<usize>().map_err(|_| {
                invalid(
                    "PARCOURS_WORKERS",
                    &v,
                    "attendu un nombre entier (0 : aucune tâche dans ce serveur)",
                )
            })?;
        }

        let issuer = get("PARCOURS_OIDC_ISSUER");
        if let Some(issuer_text) = issuer {
            let issuer = url::Url::parse(&issuer_text)
                .map_err(|_| invalid("PARCOURS_OIDC_ISSUER", &issuer_text, "URL invalide"))?;
            let client_id = get("PARCOURS_OIDC_CLIENT_ID").ok_or_else(|| {
                missing(
                    "PARCOURS_OIDC_CLIENT_ID",
                    "obligatoire quand PARCOURS_OIDC_ISSUER est renseigné",
                )
            })?;
            let client_secret = get("PARCOURS_OIDC_CLIENT_SECRET").ok_or_else(|| {
                missing(
                    "PARCOURS_OIDC_CLIENT_SECRET",
                    "obligatoire quand PARCOURS_OIDC_ISSUER est renseigné",
                )
            })?;
            let public = get("PARCOURS_URL_PUBLIQUE").ok_or_else(|| {
                missing(
                    "PARCOURS_URL_PUBLIQUE",
                    "obligatoire avec OpenID Connect pour construire l'adresse de retour",
                )
            })?;
            let public_url = url::Url::parse(&public)
                .map_err(|_| invalid("PARCOURS_URL_PUBLIQUE", &public, "URL invalide"))?;
            let scopes = get("PARCOURS_OIDC_SCOPES")
                .unwrap_or_else(|| "openid email given_name usual_name uid siret".into())
                .split_whitespace()
                .map(str::to_string)
                .collect();
            s.oidc = Some(OidcSettings {
                issuer,
                client_id,
                client_secret: Secret::new(client_secret),
                public_url,
                label: get("PARCOURS_OIDC_LIBELLE")
                    .unwrap_or_else(|| "Se connecter avec ProConnect".into()),
                scopes,
            });
        }

        if let Some(host) = get("PARCOURS_SMTP_HOTE") {
            let port = match get("PARCOURS_SMTP_PORT") {
                Some(p) => p
                    .parse()
                    .map_err(|_| invalid("PARCOURS_SMTP_PORT", &p, "attendu un numéro de port"))?,
                None => 587,
            };
            let from = get("PARCOURS_SMTP_EXPEDITEUR").ok_or_else(|| {
                missing(
                    "PARCOURS_SMTP_EXPEDITEUR",
                    "obligatoire quand PARCOURS_SMTP_HOTE est renseigné",
                )
            })?;
            let tls = match get("PARCOURS_SMTP_TLS") {
                Some(v) => boolean("PARCOURS_SMTP_TLS", &v)?,
                None => true,
            };
            s.smtp = Some(SmtpSettings {
                host,
                port,
                username: get("PARCOURS_SMTP_UTILISATEUR"),
                password: get("PARCOURS_SMTP_MOT_DE_PASSE").map(Secret::new),
                from,
                tls,
            });
        }
        if let Some(text) = get("PARCOURS_ACCUEIL_PARTENAIRES") {
            let list: Vec<String> = text
                .split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect();
            if list.is_empty() || list.iter().any(|p| p.chars().count() > 100) {
                return Err(invalid(
                    "PARCOURS_ACCUEIL_PARTENAIRES",
                    &text,
                    "attendu des noms de partenaires séparés par « ; », 100 caractères au plus chacun",
                ));
            }
            s.accueil_partenaires = list;
        }
        if let Some(v) = get("PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS") {
            let n = positive("PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS", &v)?;
            if n > 3 {
                return Err(invalid(
                    "PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS",
                    &v,
                    "le délai des moins de 2 ans ne peut dépasser les 3 mois de la loi (CASF D226-2-4)",
                ));
            }
            s.ip_eval_moins_2_ans_mois = Some(n as u32);
        }
        if let Some(v) = get("PARCOURS_TREVE_DEBUT") {
            s.treve_debut = mois_jour("PARCOURS_TREVE_DEBUT", &v)?;
        }
        if let Some(v) = get("PARCOURS_TREVE_FIN") {
            s.treve_fin = mois_jour("PARCOURS_TREVE_FIN", &v)?;
        }
        if let Some(v) = get("PARCOURS_ECHEANCES_PREAVIS_JOURS") {
            s.echeances_preavis_jours =
                v.parse::<u32>().ok().filter(|n| *n <= 90).ok_or_else(|| {
                    invalid(
                        "PARCOURS_ECHEANCES_PREAVIS_JOURS",
                        &v,
                        "attendu un nombre de jours entre 0 et 90",
                    )
                })?;
        }
        if let Some(v) = get("PARCOURS_RSA_PLAFOND_REFERENT") {
            s.rsa_plafond_referent = v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "PARCOURS_RSA_PLAFOND_REFERENT",
                        &v,
                        "attendu un nombre de bénéficiaires entre 1 et 500",
                    )
                })?;
        }
        if let Some(text) = get("PARCOURS_SMS_URL") {
            let url = url::Url::parse(&text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    invalid(
                        "PARCOURS_SMS_URL",
                        &text,
                        "attendu une adresse http(s) de l'API de l'opérateur SMS",
                    )
                })?;
            s.sms = Some(SmsSettings {
                url,
                jeton: get("PARCOURS_SMS_JETON").map(Secret::new),
                expediteur: get("PARCOURS_SMS_EXPEDITEUR"),
            });
        }
        if let Some(chemin) = get("PARCOURS_MODELE_NOTIFICATION_AIDE") {
            if !std::path::Path::new(&chemin).is_file() {
                return Err(invalid(
                    "PARCOURS_MODELE_NOTIFICATION_AIDE",
                    &chemin,
                    "attendu le chemin d'un fichier de modèle Typst (.typ) lisible",
                ));
            }
            s.modele_notification_aide = Some(chemin);
        }
        if let Some(t) = get("PARCOURS_TRIBUNAL_ADMINISTRATIF") {
            s.tribunal_administratif = t;
        }
        if let Some(text) = get("PARCOURS_PAIEMENT_URL") {
            let url = url::Url::parse(&text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    invalid(
                        "PARCOURS_PAIEMENT_URL",
                        &text,
                        "attendu une adresse http(s) de l'API du prestataire de paiement",
                    )
                })?;
            let delai_ms = match get("PARCOURS_PAIEMENT_DELAI_MS") {
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|d| (100..=120_000).contains(d))
                    .ok_or_else(|| {
                        invalid(
                            "PARCOURS_PAIEMENT_DELAI_MS",
                            &v,
                            "attendu un délai en millisecondes entre 100 et 120000",
                        )
                    })?,
                None => 10_000,
            };
            s.paiement = Some(PaiementSettings {
                url,
                jeton: get("PARCOURS_PAIEMENT_JETON").map(Secret::new),
                delai_ms,
            });
        }
        Ok(s)
    }
}

/// A day of the year written `MM-JJ` (29 February excluded: it does not return every year).
fn mois_jour(variable: &str, value: &str) -> Result<(u32, u32), ConfigError> {
    value
        .trim()
        .split_once('-')
        .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
        .filter(|&(m, d)| {
            (m, d) != (2, 29) && chrono::NaiveDate::from_ymd_opt(2025, m, d).is_some()
        })
        .ok_or_else(|| {
            invalid(
                variable,
                value,
                "attendu un jour de l'année au format MM-JJ",
            )
        })
}

fn invalid(variable: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        variable: variable.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn missing(variable: &str, reason: &str) -> ConfigError {
    ConfigError::Missing {
        variable: variable.into(),
        reason: reason.into(),
    }
}

fn positive(variable: &str, value: &str) -> Result<u64, ConfigError> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(variable, value, "attendu un nombre entier positif")),
    }
}

/// A list of addresses or CIDR ranges separated by commas or spaces; a bare address is a /32 or /128.
fn proxies(value: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    invalid(
                        "PARCOURS_PROXIES_DE_CONFIANCE",
                        p,
                        "attendu des adresses IP ou des plages CIDR (10.0.0.0/8) séparées par des virgules",
                    )
                })
        })
        .collect()
}

fn boolean(variable: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_lowercase().as_str() {
        "1" | "true" | "oui" | "vrai" => Ok(true),
        "0" | "false" | "non" | "faux" => Ok(false),
        _ => Err(invalid(variable, value, "attendu oui ou non")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_run_on_a_sqlite_file_on_localhost() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!(s.database_url, "sqlite://parcours.db");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert!(s.oidc.is_none());
    }

    #[test]
    fn a_wrong_listen_address_names_the_variable_in_french() {
        let err =
            Settings::from_sources(None, &env(&[("PARCOURS_LISTEN", "partout")])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("PARCOURS_LISTEN"), "{text}");
        assert!(text.contains("invalide"), "{text}");
    }

    #[test]
    fn the_departements_time_zone_is_an_iana_name() {
        let s =
            Settings::from_sources(None, &env(&[("PARCOURS_FUSEAU", "Indian/Reunion")])).unwrap();
        assert_eq!(s.fuseau, chrono_tz::Indian::Reunion);
        let err = Settings::from_sources(None, &env(&[("PARCOURS_FUSEAU", "Europe/Pariss")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("PARCOURS_FUSEAU") && err.contains("IANA"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_database_scheme_is_refused() {
        let err = Settings::from_sources(None, &env(&[("PARCOURS_DATABASE_URL", "mysql://x")]))
            .unwrap_err();
        assert!(err.to_string().contains("PARCOURS_DATABASE_URL"));
    }

    #[test]
    fn oidc_without_secret_names_the_missing_variable() {
        let err = Settings::from_sources(
            None,
            &env(&[
                ("PARCOURS_OIDC_ISSUER", "http://127.0.0.1:9000"),
                ("PARCOURS_OIDC_CLIENT_ID", "parcours"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("PARCOURS_OIDC_CLIENT_SECRET"));
    }

    #[test]
    fn environment_wins_over_the_file_and_secrets_are_not_printed() {
        let toml = "listen = \"127.0.0.1:9999\"\noidc_issuer = \"http://idp.test\"\noidc_client_id = \"c\"\noidc_client_secret = \"tres-secret\"\nurl_publique = \"http://localhost:8080\"\n";
        let s = Settings::from_sources(Some(toml), &env(&[("PARCOURS_LISTEN", "127.0.0.1:7000")]))
            .unwrap();
        assert_eq!(s.listen.port(), 7000);
        let debug = format!("{s:?}");
        assert!(!debug.contains("tres-secret"), "{debug}");
    }

    #[test]
    fn the_sms_operator_and_the_partners_are_settings_and_the_token_is_never_printed() {
        let s = Settings::from_sources(
            None,
            &env(&[
                ("PARCOURS_SMS_URL", "https://sms.operateur.test/v1/envoi"),
                ("PARCOURS_SMS_JETON", "jeton-tres-secret"),
                ("PARCOURS_ACCUEIL_PARTENAIRES", "CAF; Restos du cœur ;"),
            ]),
        )
        .unwrap();
        assert_eq!(
            s.sms.as_ref().unwrap().url.host_str(),
            Some("sms.operateur.test")
        );
        assert_eq!(s.accueil_partenaires, vec!["CAF", "Restos du cœur"]);
        assert!(!format!("{s:?}").contains("jeton-tres-secret"));
        let err =
            Settings::from_sources(None, &env(&[("PARCOURS_SMS_URL", "ftp://x")])).unwrap_err();
        assert!(err.to_string().contains("PARCOURS_SMS_URL"));
        let err = Settings::from_sources(None, &env(&[("PARCOURS_ACCUEIL_PARTENAIRES", " ; ")]))
            .unwrap_err();
        assert!(err.to_string().contains("PARCOURS_ACCUEIL_PARTENAIRES"));
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges_and_a_wrong_one_is_named() {
        let s = Settings::from_sources(
            None,
            &env(&[("PARCOURS_PROXIES_DE_CONFIANCE", "10.0.0.0/8, 192.0.2.7 ::1")]),
        )
        .unwrap();
        let ip = |t: &str| t.parse::<std::net::IpAddr>().unwrap();
        assert!(s.trusted_proxies[0].contains(&ip("10.1.2.3")));
        assert!(s.trusted_proxies[1].contains(&ip("192.0.2.7")));
        assert!(!s.trusted_proxies[1].contains(&ip("192.0.2.8")));
        assert!(s.trusted_proxies[2].contains(&ip("::1")));
        let err = Settings::from_sources(
            None,
            &env(&[("PARCOURS_PROXIES_DE_CONFIANCE", "10.0.0.0/8,le-proxy")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("le-proxy"), "{err}");
    }

    #[test]
    fn the_timers_left_to_the_departement_are_settings_checked_in_french() {
        let s = Settings::from_sources(None, &env(&[])).unwrap();
        assert_eq!((s.treve_debut, s.treve_fin), ((11, 1), (3, 31)));
        assert_eq!(s.ip_eval_moins_2_ans_mois, None);
        let s = Settings::from_sources(
            None,
            &env(&[
                ("PARCOURS_TREVE_DEBUT", "07-01"),
                ("PARCOURS_TREVE_FIN", "10-15"),
                ("PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS", "2"),
            ]),
        )
        .unwrap();
        assert_eq!((s.treve_debut, s.treve_fin), ((7, 1), (10, 15)));
        assert_eq!(s.ip_eval_moins_2_ans_mois, Some(2));
        let e = Settings::from_sources(None, &env(&[("PARCOURS_TREVE_FIN", "31-03")])).unwrap_err();
        assert!(e.to_string().contains("PARCOURS_TREVE_FIN"), "{e}");
        let e = Settings::from_sources(None, &env(&[("PARCOURS_IP_EVAL_MOINS_2_ANS_MOIS", "4")]))
            .unwrap_err();
        assert!(e.to_string().contains("D226-2-4"), "{e}");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused() {
        let err = Settings::from_sources(Some("ecoute = 3"), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("ecoute"));
    }
}
