//! Choosing a person or an agent by name: the search-then-choose field shared by every form that
//! designates someone (a household member, a dossier's référent, the agents an écrit is shared with).
//! It works without JavaScript: the « Rechercher » button submits the same form, which comes back
//! with what was typed and the matches to pick from; nothing is saved by a search.

use std::collections::BTreeMap;

use parcours_domain::personnes::fold;
use parcours_domain::referentiel::metier_libelle;
use parcours_store::agents as agents_store;
use parcours_store::{audit, referentiel};

use crate::auth::Ctx;
use crate::error::WebResult;
use crate::AppState;

/// The name of the button that asks for a search instead of a save.
pub const CHERCHER: &str = "_chercher";

/// At most this many matches are listed: beyond, the agent refines the search.
const MAX_RESULTATS: usize = 20;

/// One person or agent that can be ticked.
#[derive(Debug, Clone)]
pub struct Option_ {
    pub valeur: String,
    pub libelle: String,
    pub coche: bool,
}

/// What the field shows: the search box as typed, whether a search was made, the choices.
#[derive(Debug, Clone, Default)]
pub struct Liste {
    pub recherche: String,
    pub cherche: bool,
    /// Check boxes (several agents) rather than radio buttons (one).
    pub multiple: bool,
    pub options: Vec<Option_>,
    /// What to say when there is nothing to choose from yet.
    pub quoi: &'static str,
}

/// The form's values with a repeated name (several check boxes) joined by commas, as the domain's
/// forms read a list of ids.
pub fn valeurs(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        out.entry(k)
            .and_modify(|e| {
                e.push(',');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

/// Whether the form was sent by a field's « Rechercher » button rather than to be saved.
pub fn recherche_demandee(v: &BTreeMap<String, String>) -> bool {
    v.contains_key(CHERCHER)
}

/// The ids already chosen in the field `name` (comma-separated, as `valeurs` joins them).
pub fn choisis(v: &BTreeMap<String, String>, name: &str) -> Vec<i64> {
    v.get(name)
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_default()
}

fn recherche_de(v: &BTreeMap<String, String>, name: &str) -> String {
    v.get(&format!("{name}_q"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Agents of the département matching the search of field `name` (every word of it in the first name
/// or the name, accents and case ignored), restricted to `service` when given, closed accounts left
/// out; those already chosen stay listed first and ticked.
pub async fn agents(
    state: &AppState,
    ctx: &Ctx,
    v: &BTreeMap<String, String>,
    name: &str,
    service: Option<i64>,
    multiple: bool,
) -> WebResult<Liste> {
    let recherche = recherche_de(v, name);
    let chosen = choisis(v, name);
    let mots: Vec<String> = recherche
        .split_whitespace()
        .map(fold)
        .filter(|m| !m.is_empty())
        .collect();
    let mut liste = Liste {
        cherche: !recherche.is_empty(),
        recherche,
        multiple,
        options: vec![],
        quoi: "agent",
    };
    // Most renderings of a form have nothing chosen and nothing searched: no query then.
    if chosen.is_empty() && mots.is_empty() {
        return Ok(liste);
    }
    let dep = ctx.dep();
    let mut conn = state.store.read().await?;
    let services = referentiel::services(&mut conn, dep).await?;
    // The chosen ones are read from the whole département: one chosen before the service changed
    // stays listed, and the use case says why it does not fit.
    let tous = agents_store::annuaire(&mut conn, dep, None).await?;
    drop(conn);
    let libelle = |a: &agents_store::AgentNom| {
        let service = services
            .iter()
            .find(|s| s.id == a.service_id)
            .map(|s| s.nom.as_str())
            .unwrap_or("");
        format!(
            "{} {} — {}, {service}",
            a.prenom,
            a.nom,
            metier_libelle(&a.metier)
        )
    };
    let option = |a: &agents_store::AgentNom, coche: bool| Option_ {
        valeur: a.id.to_string(),
        libelle: libelle(a),
        coche,
    };
    for id in &chosen {
        if let Some(a) = tous.iter().find(|a| a.id == *id) {
            liste.options.push(option(a, true));
        }
    }
    if !mots.is_empty() {
        let trouves = tous
            .iter()
            .filter(|a| service.is_none_or(|s| a.service_id == s) && !chosen.contains(&a.id))
            .filter(|a| {
                let nom = fold(&format!("{}{}", a.prenom, a.nom));
                mots.iter().all(|m| nom.contains(m.as_str()))
            })
            .take(MAX_RESULTATS);
        for a in trouves {
            liste.options.push(option(a, false));
        }
    }
    Ok(liste)
}

/// Persons of the département matching the search of field `name` (names, birth date, phone or NIR,
/// as the search of people reads them), the one already chosen first. The search is audited without
/// the text typed, which may be a name; `objet` says which page searched.
pub async fn personnes(
    state: &AppState,
    ctx: &Ctx,
    v: &BTreeMap<String, String>,
    name: &str,
    objet: &str,
) -> WebResult<Liste> {
    let dep = ctx.dep();
    let recherche = recherche_de(v, name);
    let chosen = choisis(v, name).first().copied();
    let mut options = vec![];
    let mut conn = state.store.read().await?;
    if let Some(id) = chosen {
        if let Some(nom) = parcours_store::agenda::personne_nom(&mut conn, dep, id).await? {
            options.push(Option_ {
                valeur: id.to_string(),
                libelle: nom,
                coche: true,
            });
        }
    }
    if !recherche.is_empty() {
        let found =
            parcours_store::personnes::search(&mut conn, dep, &recherche, MAX_RESULTATS as i64)
                .await?;
        drop(conn);
        let mut tx = state.store.begin().await?;
        audit::append(
            &mut tx,
            dep,
            &ctx.event("recherche", "personnes", objet)
                .details(serde_json::json!({ "resultats": found.len() })),
        )
        .await?;
        tx.commit().await?;
        // A single match is ticked: the agent searched for that person.
        let seul = chosen.is_none() && found.len() == 1;
        for r in found {
            if Some(r.id) != chosen {
                let date = r
                    .date_naissance
                    .map(|d| format!(", né(e) le {}", d.format("%d/%m/%Y")))
                    .unwrap_or_default();
                options.push(Option_ {
                    valeur: r.id.to_string(),
                    libelle: format!("{}{date}", r.nom_complet()),
                    coche: seul,
                });
            }
        }
    }
    Ok(Liste {
        cherche: !recherche.is_empty(),
        recherche,
        multiple: false,
        options,
        quoi: "personne",
    })
}
