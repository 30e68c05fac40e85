//! The figures as JSON in `/api/v1`, and their utoipa types.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as AxumJson;
use parcours_domain::accueil::Typologie;
use parcours_store::chiffres::Ligne;
use serde::Serialize;
use utoipa::ToSchema;

use super::{calculer, demande, ChiffresQuery};
use crate::auth::ApiCtx;
use crate::error::{ApiError, ApiResult, Query};
use crate::AppState;

/// Indicateurs d'un mois, d'une MDS, ou de leur ensemble (voir les définitions de la page
/// `/accueil/chiffres`).
#[derive(Serialize, ToSchema)]
pub struct IndicateursOut {
    pub contacts: i64,
    /// Contacts par nature de la demande (code de la typologie → nombre).
    pub contacts_par_typologie: BTreeMap<String, i64>,
    /// Contacts dont la réponse est « information » ou « aide administrative ».
    pub reponses_au_guichet: i64,
    /// reponses_au_guichet / contacts, entre 0 et 1 ; absent sans contact.
    pub part_au_guichet: Option<f64>,
    /// Contacts dont la réponse est « appui technique demandé ».
    pub appuis_techniques: i64,
    /// Rendez-vous commençant dans la période, annulés exclus.
    pub rendez_vous: i64,
    /// Jours entre la date de la demande et le jour du rendez-vous : médiane.
    pub delai_median_jours: Option<f64>,
    pub delai_moyen_jours: Option<f64>,
    /// Rendez-vous passés portant un statut final (honoré, excusé, absent non excusé).
    pub rendez_vous_echus: i64,
    pub absents_non_excuses: i64,
    /// absents_non_excuses / rendez_vous_echus, entre 0 et 1.
    pub taux_absence: Option<f64>,
}

impl From<&Ligne> for IndicateursOut {
    fn from(l: &Ligne) -> Self {
        Self {
            contacts: l.contacts,
            contacts_par_typologie: Typologie::ALL
                .iter()
                .zip(&l.par_typologie)
                .map(|(t, n)| (t.code().to_string(), *n))
                .collect(),
            reponses_au_guichet: l.au_guichet,
            part_au_guichet: l.part_au_guichet(),
            appuis_techniques: l.appuis_techniques,
            rendez_vous: l.rendez_vous,
            delai_median_jours: l.delais.mediane(),
            delai_moyen_jours: l.delais.moyenne(),
            rendez_vous_echus: l.rdv_echus,
            absents_non_excuses: l.absents,
            taux_absence: l.taux_absence(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MoisOut {
    /// AAAA-MM
    pub mois: String,
    pub indicateurs: IndicateursOut,
}

#[derive(Serialize, ToSchema)]
pub struct SiteChiffresOut {
    pub site_id: i64,
    pub site: String,
    pub indicateurs: IndicateursOut,
}

#[derive(Serialize, ToSchema)]
pub struct MoisSiteOut {
    /// AAAA-MM
    pub mois: String,
    pub site_id: i64,
    pub site: String,
    pub indicateurs: IndicateursOut,
}

#[derive(Serialize, ToSchema)]
pub struct DelaiTypeOut {
    /// premier_accueil, suivi, rsa, visite_domicile, telephonique
    pub r#type: String,
    pub libelle: String,
    pub rendez_vous: i64,
    pub delai_median_jours: Option<f64>,
    pub delai_moyen_jours: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct AgentMoisOut {
    /// AAAA-MM
    pub mois: String,
    pub site_id: i64,
    pub agent_id: i64,
    pub agent: String,
    pub rendez_vous: i64,
}

/// Les chiffres de l'accueil d'une période et d'un périmètre.
#[derive(Serialize, ToSchema)]
pub struct ChiffresOut {
    /// Premier mois, AAAA-MM.
    pub du: String,
    /// Dernier mois, AAAA-MM.
    pub au: String,
    /// La MDS choisie ; absent : toutes celles du périmètre.
    pub site_id: Option<i64>,
    pub total: IndicateursOut,
    pub par_mois: Vec<MoisOut>,
    pub par_site: Vec<SiteChiffresOut>,
    pub par_mois_et_site: Vec<MoisSiteOut>,
    pub delais_par_type: Vec<DelaiTypeOut>,
    pub rendez_vous_par_agent: Vec<AgentMoisOut>,
}

#[utoipa::path(get, tag = "crate::chiffres", operation_id = "chiffres_lire", path = "/api/v1/accueil/chiffres", params(ChiffresQuery), responses((status = 200, body = ChiffresOut), (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api(
    State(state): State<AppState>,
    ctx: ApiCtx,
    Query(q): Query<ChiffresQuery>,
) -> ApiResult<AxumJson<ChiffresOut>> {
    let d = demande(&state, &ctx.principal, &q).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Ressource introuvable",
            "Aucune MDS de votre périmètre ne porte cet identifiant.",
        )
    })?;
    if !d.erreurs.is_empty() {
        let mut e = parcours_domain::FieldErrors::new();
        for (k, m) in &d.erreurs {
            e.add(k, m.clone());
        }
        return Err(ApiError::invalid(e));
    }
    let ch = calculer(
        &state,
        &ctx.principal,
        &d,
        ctx.event(
            "lecture",
            "accueil_chiffres",
            d.site
                .map(|s| s.to_string())
                .unwrap_or_else(|| "toutes".into()),
        ),
        "json",
    )
    .await?;
    let sites = d.sites_affiches(&ch);
    let vide = Ligne::default();
    Ok(AxumJson(ChiffresOut {
        du: d.filtre.du.code(),
        au: d.filtre.au.code(),
        site_id: d.site,
        total: (&ch.total).into(),
        par_mois: ch
            .par_mois
            .iter()
            .map(|(m, l)| MoisOut {
                mois: m.code(),
                indicateurs: l.into(),
            })
            .collect(),
        par_site: sites
            .iter()
            .map(|(id, nom)| SiteChiffresOut {
                site_id: *id,
                site: nom.clone(),
                indicateurs: ch.par_site.get(id).unwrap_or(&vide).into(),
            })
            .collect(),
        par_mois_et_site: ch
            .detail
            .iter()
            .map(|((m, s), l)| MoisSiteOut {
                mois: m.code(),
                site_id: *s,
                site: d.nom(*s),
                indicateurs: l.into(),
            })
            .collect(),
        delais_par_type: ch
            .delais_par_type
            .iter()
            .map(|(t, dl)| DelaiTypeOut {
                r#type: t.code().into(),
                libelle: t.libelle().into(),
                rendez_vous: dl.nombre(),
                delai_median_jours: dl.mediane(),
                delai_moyen_jours: dl.moyenne(),
            })
            .collect(),
        rendez_vous_par_agent: ch
            .mois
            .iter()
            .flat_map(|m| {
                ch.agents.iter().filter_map(move |a| {
                    a.par_mois.get(m).map(|n| AgentMoisOut {
                        mois: m.code(),
                        site_id: a.site_id,
                        agent_id: a.agent_id,
                        agent: a.nom.clone(),
                        rendez_vous: *n,
                    })
                })
            })
            .collect(),
    }))
}
