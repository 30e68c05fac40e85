//! The CRIP's figures as JSON in `/api/v1`, and their utoipa types: the same use case as the page.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json as AxumJson;
use parcours_domain::procedures::chiffres_ip::IndicateursIp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCtx;
use crate::error::ApiResult;
use crate::AppState;

/// Indicateurs d'un ensemble d'informations préoccupantes (voir les définitions de la page
/// `/crip/chiffres`).
#[derive(Serialize, ToSchema)]
pub struct IndicateursIpOut {
    pub recues: i64,
    /// Informations reçues par origine (code de l'origine → nombre).
    pub par_origine: BTreeMap<String, i64>,
    pub pas_une_ip: i64,
    pub evaluations: i64,
    pub classements: i64,
    pub propositions_administratives: i64,
    pub saisines_judiciaires: i64,
    pub signalements_directs: i64,
    /// Conclues au plus tard à leur échéance IP_EVAL / conclues, entre 0 et 1.
    pub part_conclues_dans_le_delai: Option<f64>,
    /// Jours entre la réception et la conclusion : médiane.
    pub delai_median_jours: Option<f64>,
    /// Par tranche : moins_1_mois, 1_2_mois, 2_3_mois, plus_3_mois, en_cours, en_retard.
    pub par_delai: BTreeMap<String, i64>,
    pub retours_dus: i64,
    pub retours_dans_le_delai: i64,
}

impl From<&IndicateursIp> for IndicateursIpOut {
    fn from(i: &IndicateursIp) -> Self {
        Self {
            recues: i.recues,
            par_origine: i.par_source.clone(),
            pas_une_ip: i.non_ip,
            evaluations: i.evaluations,
            classements: i.classements,
            propositions_administratives: i.propositions,
            saisines_judiciaires: i.saisines,
            signalements_directs: i.signalements_directs,
            part_conclues_dans_le_delai: i.part_conclues_dans_delai,
            delai_median_jours: i.delai_median,
            par_delai: i.tranches.clone(),
            retours_dus: i.retours_dus,
            retours_dans_le_delai: i.retours_dans_delai,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MoisIpOut {
    /// AAAA-MM, mois de réception.
    pub mois: String,
    pub indicateurs: IndicateursIpOut,
}

/// Les chiffres de la CRIP sur les douze derniers mois.
#[derive(Serialize, ToSchema)]
pub struct ChiffresIpOut {
    /// Premier jour de la période, AAAA-MM-JJ.
    pub depuis: String,
    pub total: IndicateursIpOut,
    pub par_mois: Vec<MoisIpOut>,
}

#[utoipa::path(get, tag = "crate::crip", operation_id = "crip_chiffres", path = "/api/v1/crip/chiffres", responses((status = 200, body = ChiffresIpOut), (status = 403, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn chiffres(
    State(state): State<AppState>,
    ctx: ApiCtx,
) -> ApiResult<AxumJson<ChiffresIpOut>> {
    let c = parcours_usecases::crip::chiffres_ip(&state.store, &ctx.acteur()).await?;
    Ok(AxumJson(ChiffresIpOut {
        depuis: c.depuis.to_string(),
        total: (&c.total).into(),
        par_mois: c
            .par_mois
            .iter()
            .map(|(m, i)| MoisIpOut {
                mois: m.clone(),
                indicateurs: i.into(),
            })
            .collect(),
    }))
}
