//! The HTTP adapter of the payment provider.

use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::{Response, StatusCode, Url};

use crate::protocole::{ReponseCarte, ReponseErreur, ReponseOrdre, EN_TETE_IDEMPOTENCE};
use crate::{Accuse, Carte, DemandeBlocage, DemandeCarte, ErreurFournisseur, Operation, Ordre};

/// The provider's API over HTTP: the orders (`POST {base}/v1/ordres`, `GET {base}/v1/ordres/{cle}`)
/// and the cards (`POST {base}/v1/cartes`, `POST {base}/v1/cartes/{reference}/blocage`,
/// `GET {base}/v1/cartes/{reference}`).
#[derive(Debug, Clone)]
pub struct FournisseurHttp {
    client: reqwest::Client,
    base: Url,
    jeton: Option<String>,
}

impl FournisseurHttp {
    /// `base_url` may carry a path prefix (`https://psp.example/api`); `jeton` is sent as `Bearer`;
    /// `delai` bounds each whole request, connection included.
    pub fn new(
        base_url: &str,
        jeton: Option<String>,
        delai: Duration,
    ) -> Result<Self, ErreurFournisseur> {
        let base = Url::parse(base_url).map_err(|e| {
            ErreurFournisseur::Definitive(format!(
                "adresse du fournisseur invalide « {base_url} » : {e}"
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ErreurFournisseur::Definitive(format!(
                "adresse du fournisseur invalide « {base_url} » : http ou https attendu"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(delai)
            .connect_timeout(delai)
            // A redirected POST could be replayed elsewhere, and would carry the token there.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ErreurFournisseur::Definitive(format!("client HTTP impossible à créer : {e}"))
            })?;
        Ok(Self {
            client,
            base,
            jeton,
        })
    }

    /// Sends `ordre` with its key as `Idempotency-Key`. A key the provider already knows answers
    /// the first operation with `deja_recu`, so after a [`ErreurFournisseur::Temporaire`] the very
    /// same order is simply sent again.
    pub async fn envoyer(&self, ordre: &Ordre) -> Result<Accuse, ErreurFournisseur> {
        let cle = entete_cle(&ordre.cle)?;
        let req = self
            .autoriser(self.client.post(self.url("ordres", &[])))
            .header(EN_TETE_IDEMPOTENCE, cle)
            .json(ordre);
        let res = envoyer_requete(req).await?;
        let status = res.status();
        if !status.is_success() {
            return Err(erreur_de_reponse(res).await);
        }
        let corps: ReponseOrdre = lire_json(res).await?;
        Ok(Accuse {
            reference: corps.operation.reference,
            // 201 = created, 200 = the key was known, for a provider that sends no flag.
            deja_recu: corps.deja_recu.unwrap_or(status == StatusCode::OK),
        })
    }

    /// The operation recorded under `cle`, or `None` if the provider does not know the key (so a
    /// lost order can be told from one whose answer was lost).
    pub async fn consulter(&self, cle: &str) -> Result<Option<Operation>, ErreurFournisseur> {
        let req = self.autoriser(self.client.get(self.url("ordres", &[cle])));
        let res = envoyer_requete(req).await?;
        if res.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(erreur_de_reponse(res).await);
        }
        lire_json(res).await.map(Some)
    }

    /// Every operation the provider lists (`GET {base}/v1/ordres`): the test provider has it, to
    /// check that nothing was paid twice.
    pub async fn lister(&self) -> Result<Vec<Operation>, ErreurFournisseur> {
        let req = self.autoriser(self.client.get(self.url("ordres", &[])));
        let res = envoyer_requete(req).await?;
        if !res.status().is_success() {
            return Err(erreur_de_reponse(res).await);
        }
        lire_json(res).await
    }

    /// Has a card issued for `demande.titulaire`. Like an order, the issuance carries its key: a
    /// retry after a lost answer gets the card already made (`true`: the key was known), never a
    /// second one.
    pub async fn emettre_carte(
        &self,
        demande: &DemandeCarte,
    ) -> Result<(Carte, bool), ErreurFournisseur> {
        let cle = entete_cle(&demande.cle)?;
        let req = self
            .autoriser(self.client.post(self.url("cartes", &[])))
            .header(EN_TETE_IDEMPOTENCE, cle)
            .json(demande);
        let res = envoyer_requete(req).await?;
        let status = res.status();
        if !status.is_success() {
            return Err(erreur_de_reponse(res).await);
        }
        let corps: ReponseCarte = lire_json(res).await?;
        let deja = corps.deja_recu.unwrap_or(status == StatusCode::OK);
        Ok((corps.carte, deja))
    }

    /// Blocks a card: no load is accepted on it afterwards. Blocking a blocked card is not an error
    /// (the retry of a block whose answer was lost).
    pub async fn bloquer_carte(
        &self,
        reference: &str,
        motif: &str,
    ) -> Result<Carte, ErreurFournisseur> {
        let req = self
            .autoriser(
                self.client
                    .post(self.url("cartes", &[reference, "blocage"])),
            )
            .json(&DemandeBlocage {
                motif: motif.to_string(),
            });
        let res = envoyer_requete(req).await?;
        if !res.status().is_success() {
            return Err(erreur_de_reponse(res).await);
        }
        lire_json(res).await
    }

    /// The card with its balance, or `None` if the provider does not know the reference.
    pub async fn consulter_carte(
        &self,
        reference: &str,
    ) -> Result<Option<Carte>, ErreurFournisseur> {
        let req = self.autoriser(self.client.get(self.url("cartes", &[reference])));
        let res = envoyer_requete(req).await?;
        if res.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(erreur_de_reponse(res).await);
        }
        lire_json(res).await.map(Some)
    }

    /// `{base}/v1/{collection}/{segments}`, each segment percent-encoded (a key or a card reference
    /// is not trusted as a path).
    fn url(&self, collection: &str, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked in new: the base URL can be a base")
            .pop_if_empty()
            .extend(["v1", collection])
            .extend(segments);
        url
    }

    fn autoriser(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.jeton {
            Some(j) => req.bearer_auth(j),
            None => req,
        }
    }
}

/// The idempotency key as a header: visible ASCII, not empty.
fn entete_cle(cle: &str) -> Result<HeaderValue, ErreurFournisseur> {
    HeaderValue::from_str(cle)
        .ok()
        .filter(|_| !cle.is_empty())
        .ok_or_else(|| {
            ErreurFournisseur::Definitive(format!(
                "clé d'idempotence invalide « {cle} » (caractères ASCII visibles attendus)"
            ))
        })
}

/// Any failure to get an answer is temporary: the order may have arrived, and a retry with the same
/// key is safe. Only an order that could not even be built is definitive.
async fn envoyer_requete(req: reqwest::RequestBuilder) -> Result<Response, ErreurFournisseur> {
    req.send().await.map_err(|e| {
        let e = e.without_url();
        if e.is_builder() {
            ErreurFournisseur::Definitive(format!("requête impossible à construire : {e}"))
        } else if e.is_timeout() {
            ErreurFournisseur::Temporaire(format!("pas de réponse du fournisseur à temps ({e})"))
        } else if e.is_connect() {
            ErreurFournisseur::Temporaire(format!("fournisseur injoignable ({e})"))
        } else {
            ErreurFournisseur::Temporaire(format!("échange interrompu avec le fournisseur ({e})"))
        }
    })
}

/// A 2xx answer that cannot be read leaves the payment uncertain: temporary, never definitive, since
/// a definitive error means "not paid".
async fn lire_json<T: serde::de::DeserializeOwned>(res: Response) -> Result<T, ErreurFournisseur> {
    let octets = res.bytes().await.map_err(|e| {
        ErreurFournisseur::Temporaire(format!(
            "réponse du fournisseur interrompue ({})",
            e.without_url()
        ))
    })?;
    serde_json::from_slice(&octets).map_err(|e| {
        ErreurFournisseur::Temporaire(format!("réponse du fournisseur illisible ({e})"))
    })
}

/// Sorts a non-2xx answer: 5xx, 429 and 408 are temporary; any other status (4xx refusals, and
/// 1xx/3xx which no provider should send) is definitive, with the provider's reason.
async fn erreur_de_reponse(res: Response) -> ErreurFournisseur {
    let status = res.status();
    let corps = res.text().await.unwrap_or_default();
    let motif = match serde_json::from_str::<ReponseErreur>(&corps) {
        Ok(r) => r.erreur,
        Err(_) => {
            let texte: String = corps.trim().chars().take(200).collect();
            if texte.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("sans motif")
                    .to_string()
            } else {
                texte
            }
        }
    };
    let message = format!("{motif} (HTTP {})", status.as_u16());
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        ErreurFournisseur::Temporaire(message)
    } else {
        ErreurFournisseur::Definitive(message)
    }
}
