//! The CRIP's figures (reference §1.6): the informations préoccupantes of the last 12 months by
//! source, their evaluation delays and outcomes, for the CRIP and the direction — counts, no child
//! named, so the read is not a read of personal data; the exports are traced by the pages.

use chrono::{Datelike, Months, NaiveDate};
use parcours_domain::habilitations::Role;
use parcours_domain::procedures::chiffres_ip::{indicateurs_ip, IndicateursIp};
use parcours_store::Store;

use crate::{Acteur, Error, Result};

/// The figures of the 12 months ending today.
#[derive(Debug, Clone)]
pub struct ChiffresIp {
    pub depuis: NaiveDate,
    pub total: IndicateursIp,
    /// By month of reception (`AAAA-MM`), oldest first, every month present.
    pub par_mois: Vec<(String, IndicateursIp)>,
}

/// The first day of the month eleven months before today's.
fn debut_periode(aujourdhui: NaiveDate) -> NaiveDate {
    aujourdhui
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(11)))
        .unwrap_or(aujourdhui)
}

pub async fn chiffres_ip(store_: &Store, acteur: &Acteur) -> Result<ChiffresIp> {
    if !matches!(
        acteur.principal.role,
        Role::EquipeCentrale | Role::Direction
    ) {
        return Err(Error::Forbidden { audited: false });
    }
    let aujourdhui = parcours_store::clock().today();
    let depuis = debut_periode(aujourdhui);
    let mut conn = store_.read().await?;
    let ips = parcours_store::procedures::ip_resumes(&mut conn, acteur.dep(), depuis).await?;
    // Each IP in its month of reception, once; every month of the period present.
    let mut mois: std::collections::BTreeMap<String, Vec<_>> = (0..12u32)
        .filter_map(|k| depuis.checked_add_months(Months::new(k)))
        .map(|m| (m.format("%Y-%m").to_string(), Vec::new()))
        .collect();
    for ip in &ips {
        if let Some(v) = ip
            .reception
            .and_then(|r| mois.get_mut(&r.format("%Y-%m").to_string()))
        {
            v.push(ip.clone());
        }
    }
    let par_mois = mois
        .into_iter()
        .map(|(code, du_mois)| (code, indicateurs_ip(&du_mois, aujourdhui)))
        .collect();
    Ok(ChiffresIp {
        depuis,
        total: indicateurs_ip(&ips, aujourdhui),
        par_mois,
    })
}
