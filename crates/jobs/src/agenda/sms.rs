//! The SMS provider interface. Départements buy SMS from different operators (HTTP APIs that all take a
//! number and a text), so the reminder job talks to this trait. Two providers: an operator's HTTP API
//! (`PARCOURS_SMS_URL`, one JSON POST per message, in front of which a département puts its operator's
//! adapter if the operator's format differs), and, without it, the `sms_sortants` outbox in the database.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use parcours_config::SmsSettings;
use parcours_store::{agenda as store, Store};

/// The future of one sending.
pub type EnvoiFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Sends one SMS; an error makes the job retry later.
pub trait FournisseurSms: Send + Sync {
    fn envoyer<'a>(
        &'a self,
        dep: &'a str,
        numero: &'a str,
        texte: &'a str,
        rappel_id: i64,
    ) -> EnvoiFuture<'a>;
}

/// The built-in provider: the outbox table.
pub struct BoiteEnvoi {
    pub store: Store,
}

impl FournisseurSms for BoiteEnvoi {
    fn envoyer<'a>(
        &'a self,
        dep: &'a str,
        numero: &'a str,
        texte: &'a str,
        rappel_id: i64,
    ) -> EnvoiFuture<'a> {
        Box::pin(async move {
            let mut tx = self.store.begin().await?;
            store::sms_enregistrer(&mut tx, dep, numero, texte, Some(rappel_id)).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// The provider of the reminder jobs.
pub type Fournisseur = Arc<dyn FournisseurSms>;

/// An operator's HTTP API: `POST {url}` with `{"destinataire", "texte", "expediteur", "reference"}` and
/// the token as `Bearer`; any answer but 2xx is a failure the job queue retries. The error never carries
/// the number or the text (it is shown on the admin jobs page).
pub struct FournisseurHttp {
    client: reqwest::Client,
    settings: SmsSettings,
}

impl FournisseurHttp {
    pub fn new(settings: SmsSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client, settings })
    }
}

impl FournisseurSms for FournisseurHttp {
    fn envoyer<'a>(
        &'a self,
        dep: &'a str,
        numero: &'a str,
        texte: &'a str,
        rappel_id: i64,
    ) -> EnvoiFuture<'a> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(self.settings.url.clone())
                .json(&serde_json::json!({
                    "destinataire": numero,
                    "texte": texte,
                    "expediteur": self.settings.expediteur,
                    // Lets the operator drop a message sent twice (a retry after a lost answer).
                    "reference": format!("parcours-{dep}-rappel-{rappel_id}"),
                }));
            if let Some(j) = &self.settings.jeton {
                req = req.bearer_auth(j.expose());
            }
            let host = self.settings.url.host_str().unwrap_or("?").to_string();
            let res = req.send().await.map_err(|e| {
                anyhow::anyhow!("opérateur SMS {host} injoignable : {}", e.without_url())
            })?;
            let status = res.status();
            if !status.is_success() {
                anyhow::bail!("opérateur SMS {host} : réponse {status}");
            }
            Ok(())
        })
    }
}

/// The provider the settings ask for: the operator's API when `PARCOURS_SMS_URL` is set, the outbox
/// otherwise.
pub fn depuis_reglages(store: &Store, sms: Option<&SmsSettings>) -> anyhow::Result<Fournisseur> {
    Ok(match sms {
        Some(s) => Arc::new(FournisseurHttp::new(s.clone())?),
        None => Arc::new(BoiteEnvoi {
            store: store.clone(),
        }),
    })
}
