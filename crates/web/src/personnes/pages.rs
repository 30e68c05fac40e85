//! Personnes in the browser: the search (the agent's scope applied: outside it, only « existe, suivi
//! par … »), the fiche of a person (état civil, contacts, address and situation with their history,
//! foyer, dossiers), and its creation after a search with a warning on likely duplicates. Every read
//! of a fiche is audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::personnes::{
    composition_le, parse_date_text, Adresse, Membre, Personne, PersonneForm, PersonneResume, Sexe,
    Situation,
};
use parcours_domain::FieldErrors;
use parcours_store::personnes::{self as store};
use parcours_store::{audit, dossiers, referentiel, Conn};
use serde::Deserialize;

use super::{date_fr, hors_perimetre, portees_for, today};
use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebResult};
use crate::pages::{enc, render, Field, Layout};
use crate::AppState;
use parcours_usecases::creation::{self, Creation};

// ---------------------------------------------------------------------------------------------------
// Search

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
}

/// One line of the results.
pub struct Resultat {
    pub id: i64,
    pub nom: String,
    pub naissance: String,
    /// `None`: in the agent's scope (a link to the fiche); otherwise the services that follow them.
    pub hors_perimetre: Option<String>,
}

#[derive(Template)]
#[template(path = "personnes/recherche.html")]
pub struct SearchPage {
    pub l: Layout,
    pub q: String,
    pub searched: bool,
    pub resultats: Vec<Resultat>,
    pub can_create: bool,
    pub q_enc: String,
}

/// Sorts results into what the agent may open and what is only « known ».
pub async fn resultats(
    conn: &mut Conn,
    ctx: &Ctx,
    found: Vec<PersonneResume>,
) -> WebResult<Vec<Resultat>> {
    let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
    let suivis = dossiers::suivis(conn, ctx.dep(), &ids).await?;
    let portees = portees_for(conn, &ctx.principal, &ids).await?;
    let mut out = Vec::with_capacity(found.len());
    for p in found {
        let hors_perimetre = portees.get(&p.id).is_none_or(|v| *v == Portee::Existence);
        let hors = hors_perimetre.then(|| match suivis.get(&p.id) {
            Some(s) if !s.is_empty() => format!("Existe, suivie par : {}", s.join(", ")),
            _ => "Existe, sans dossier ouvert".to_string(),
        });
        out.push(Resultat {
            id: p.id,
            nom: p.nom_complet(),
            naissance: p.date_naissance.as_ref().map(date_fr).unwrap_or_default(),
            hors_perimetre: hors,
        });
    }
    Ok(out)
}

pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> WebResult<Response> {
    let text = q.q.trim().to_string();
    let mut resultats_list = Vec::new();
    if !text.is_empty() {
        let mut tx = state.store.begin().await?;
        let found = store::search(&mut tx, ctx.dep(), &text, 50).await?;
        resultats_list = resultats(&mut tx, &ctx, found).await?;
        // The search itself touches personal data: it is logged (without the typed text, which
        // may be a name, in the details).
        audit::append(
            &mut tx,
            ctx.dep(),
            &ctx.event("recherche", "personne", "*")
                .purpose("recherche d'une personne")
                .details(serde_json::json!({ "resultats": resultats_list.len() })),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(render(&SearchPage {
        l: ctx.layout(),
        searched: !text.is_empty(),
        q_enc: enc(&text),
        q: text,
        resultats: resultats_list,
        can_create: allows(&ctx.principal, Action::PersonnesGerer),
    }))
}

// ---------------------------------------------------------------------------------------------------
// Creation, with the duplicate check

fn personne_fields(v: &BTreeMap<String, String>, errors: &FieldErrors) -> Vec<Field> {
    personne_fields_nir(v, errors, true)
}

/// The fields of the état civil; without the NIR for an agent who may not see it (the desk: it is
/// shown only where it serves, CNIL deliberation on the NIR and reference §8).
pub(super) fn personne_fields_nir(
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
    with_nir: bool,
) -> Vec<Field> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut fields = vec![
        Field::text("nom_naissance", "Nom de naissance", &g("nom_naissance"))
            .required()
            .autocomplete("off")
            .error_from(errors),
        Field::text("nom_usage", "Nom d'usage", &g("nom_usage"))
            .hint("Nom marital ou double nom utilisé au quotidien, s'il diffère.")
            .error_from(errors),
        Field::text("prenoms", "Prénoms", &g("prenoms"))
            .required()
            .hint("Dans l'ordre de l'état civil, séparés par des virgules.")
            .error_from(errors),
        Field::text("sexe", "Sexe", &g("sexe"))
            .select(
                Sexe::ALL
                    .iter()
                    .map(|s| (s.code().to_string(), s.libelle().to_string()))
                    .collect(),
            )
            .error_from(errors),
        Field::text("date_naissance", "Date de naissance", &g("date_naissance"))
            .hint("JJ/MM/AAAA ; laissez vide si elle n'est pas encore connue.")
            .error_from(errors),
        Field::text(
            "commune_naissance",
            "Commune de naissance (code INSEE)",
            &g("commune_naissance"),
        )
        .hint("Cinq caractères, par exemple 96001 ; pour une naissance à l'étranger, renseignez le pays.")
        .error_from(errors),
        Field::text(
            "pays_naissance",
            "Pays de naissance (code INSEE)",
            &g("pays_naissance"),
        )
        .hint("99 suivi de trois chiffres, par exemple 99350 pour le Maroc.")
        .error_from(errors),
        Field::text("nir", "NIR (numéro de sécurité sociale)", &g("nir"))
            .hint("Facultatif : 13 caractères et la clé. Il n'est affiché que là où il sert.")
            .autocomplete("off")
            .error_from(errors),
        Field::text("telephone", "Téléphone", &g("telephone"))
            .kind("tel")
            .error_from(errors),
        Field::text("telephone_2", "Autre téléphone", &g("telephone_2"))
            .kind("tel")
            .error_from(errors),
        Field::text("email", "Courriel", &g("email"))
            .kind("email")
            .error_from(errors),
    ];
    if !with_nir {
        fields.retain(|f| f.name != "nir");
    }
    fields
}

pub(super) fn personne_form(v: &BTreeMap<String, String>) -> PersonneForm {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    PersonneForm {
        nom_naissance: g("nom_naissance"),
        nom_usage: g("nom_usage"),
        prenoms: g("prenoms"),
        sexe: g("sexe"),
        date_naissance: g("date_naissance"),
        commune_naissance: g("commune_naissance"),
        pays_naissance: g("pays_naissance"),
        nir: g("nir"),
        telephone: g("telephone"),
        telephone_2: g("telephone_2"),
        email: g("email"),
    }
}

/// A likely duplicate shown on the creation form.
pub struct Ressemblance {
    pub id: i64,
    pub nom: String,
    pub naissance: String,
    pub score: String,
    pub accessible: bool,
}

#[derive(Template)]
#[template(path = "personnes/nouvelle.html")]
pub struct NewPage {
    pub l: Layout,
    pub fields: Vec<Field>,
    pub recherche: String,
    pub ressemblances: Vec<Ressemblance>,
    pub errors: Vec<(String, String)>,
}

fn new_page(
    ctx: &Ctx,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
    ressemblances: Vec<Ressemblance>,
) -> Response {
    let fields = personne_fields(v, errors);
    let summary = crate::pages::error_summary(&fields);
    let status = if errors.is_empty() && ressemblances.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        render(&NewPage {
            l: ctx.layout(),
            fields,
            recherche: v.get("recherche").cloned().unwrap_or_default(),
            ressemblances,
            errors: summary,
        }),
    )
        .into_response()
}

/// The creation form is reached from a search: creating without looking first is how duplicates
/// are made (seed 001, « dossiers éparpillés en doublon »).
pub async fn new_form(ctx: Ctx, Query(q): Query<SearchQuery>) -> Response {
    if q.q.trim().is_empty() {
        return Redirect::to("/personnes?message=rechercher_avant").into_response();
    }
    let mut v = BTreeMap::new();
    v.insert("recherche".to_string(), q.q.trim().to_string());
    // What was searched is most often the name: start the form with it.
    let words: Vec<&str> =
        q.q.split_whitespace()
            .filter(|w| parse_date_text(w).is_none())
            .collect();
    if let Some(first) = words.first() {
        v.insert("nom_naissance".into(), first.to_string());
    }
    if words.len() > 1 {
        v.insert("prenoms".into(), words[1..].join(" "));
    }
    if let Some(d) = q.q.split_whitespace().find_map(parse_date_text) {
        v.insert("date_naissance".into(), date_fr(&d));
    }
    new_page(&ctx, &v, &FieldErrors::new(), vec![])
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let confirmed = v.get("confirmer").is_some_and(|c| c == "oui");
    match creation::creer(
        &state.store,
        &ctx.acteur(),
        &personne_form(&v),
        confirmed,
        parcours_usecases::Canal::Page,
    )
    .await
    {
        Ok(Creation::Creee(id)) => {
            Ok(Redirect::to(&format!("/personnes/{id}?message=cree")).into_response())
        }
        Ok(Creation::Ressemblances(similar)) => {
            let shown = similar
                .into_iter()
                .map(|r| Ressemblance {
                    id: r.personne.id,
                    nom: r.personne.nom_complet(),
                    naissance: r
                        .personne
                        .date_naissance
                        .as_ref()
                        .map(date_fr)
                        .unwrap_or_default(),
                    score: format!("{:.0} %", r.score * 100.0),
                    accessible: r.accessible,
                })
                .collect();
            Ok(new_page(&ctx, &v, &FieldErrors::new(), shown))
        }
        Ok(Creation::NumeroPris(errors)) | Err(parcours_usecases::Error::Invalid(errors)) => {
            Ok(new_page(&ctx, &v, &errors, vec![]))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// The fiche

#[derive(Debug, Default, Deserialize)]
pub struct FicheQuery {
    /// Show the foyer as it was on this date (JJ/MM/AAAA or AAAA-MM-JJ).
    #[serde(default)]
    pub date: String,
}

pub struct LigneMembre {
    pub personne_id: i64,
    pub membre_id: i64,
    pub nom: String,
    pub role: &'static str,
    pub arrivee: String,
    pub depart: String,
}

pub struct LigneDossier {
    pub id: i64,
    pub intitule: String,
    pub ouvert_le: String,
    pub clos_le: Option<String>,
    pub services: String,
}

#[derive(Template)]
#[template(path = "personnes/fiche.html")]
pub struct FichePage {
    pub l: Layout,
    pub p: Personne,
    pub complete: bool,
    pub sexe: &'static str,
    pub naissance: String,
    pub lieu: String,
    pub nir: Option<String>,
    pub adresses: Vec<(Adresse, String, String)>,
    pub situations: Vec<(Situation, String)>,
    pub foyer_id: Option<i64>,
    pub composition: Vec<LigneMembre>,
    pub date_foyer: String,
    pub date_foyer_erreur: Option<String>,
    pub dossiers: Vec<LigneDossier>,
    pub can_edit: bool,
    pub can_write: bool,
    pub acces_motive: Option<String>,
    pub can_merge: bool,
    pub can_rgpd: bool,
    pub fusionnee_dans: Option<i64>,
    /// « 12/03/2026 » when the person's death is recorded.
    pub decede_le: Option<String>,
    /// Appointments to come and past ones (`None`: not for this role).
    pub rdv_a_venir: Option<Vec<LigneRdv>>,
    pub rdv_passes: Vec<LigneRdv>,
    pub contacts: Option<Vec<LigneContact>>,
    /// « Prendre rendez-vous » with the person and the secteur of their address already chosen.
    pub prendre_rdv: Option<String>,
}

/// One appointment on the fiche.
pub struct LigneRdv {
    pub quand: String,
    pub type_: String,
    pub agent: String,
    pub lieu: String,
    pub statut: String,
    pub id: i64,
}

/// One desk contact on the fiche.
pub struct LigneContact {
    pub quand: String,
    pub canal: String,
    pub motif: String,
    pub reponse: String,
}

impl FichePage {
    /// The phone numbers as French people read them (« 06 12 34 56 78 »).
    pub fn telephones(&self) -> String {
        self.p
            .telephones
            .iter()
            .map(|t| {
                parcours_domain::personnes::Telephone::parse(t)
                    .map(|t| t.affichage())
                    .unwrap_or_else(|_| t.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
    pub fn situation_libelle(s: &Situation) -> String {
        let mut parts = Vec::new();
        if let Some(f) = s.familiale {
            parts.push(f.libelle().to_string());
        }
        if let Some(l) = s.logement {
            parts.push(l.libelle().to_string());
        }
        if let Some(e) = s.emploi {
            parts.push(e.libelle().to_string());
        }
        if !s.ressources.is_empty() {
            parts.push(format!(
                "Ressources : {}",
                s.ressources
                    .iter()
                    .map(|r| r.libelle())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if parts.is_empty() {
            "Non renseignée".into()
        } else {
            parts.join(" — ")
        }
    }
}

async fn service_names(conn: &mut Conn, dep: &str) -> WebResult<BTreeMap<i64, String>> {
    Ok(referentiel::services(conn, dep)
        .await?
        .into_iter()
        .map(|s| (s.id, s.nom))
        .collect())
}

pub async fn fiche(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<FicheQuery>,
) -> WebResult<Response> {
    let mut date_foyer_erreur = None;
    let date = match q.date.trim() {
        "" => today(),
        t => parse_date_text(t).unwrap_or_else(|| {
            date_foyer_erreur = Some(format!("« {t} » n'est pas une date (JJ/MM/AAAA)."));
            today()
        }),
    };
    let f = match parcours_usecases::personnes::lire_fiche(
        &state.store,
        &ctx.acteur(),
        id,
        date,
        parcours_usecases::Canal::Page,
    )
    .await
    {
        Ok(f) => f,
        Err(parcours_usecases::Error::Forbidden { audited: true }) => {
            return hors_perimetre(&state, &ctx, id).await
        }
        Err(e) => return Err(e.into()),
    };
    let complete = f.portee == Portee::Complete;
    // Names for the page, read after the audited use case: the référentiel is not personal data.
    let mut conn = state.store.read().await?;
    let mut adresses = Vec::new();
    for a in f.adresses {
        let commune = referentiel::commune_get(&mut conn, ctx.dep(), &a.commune_insee)
            .await
            .map(|c| c.nom)
            .unwrap_or_else(|_| a.commune_insee.clone());
        let secteur = match a.secteur_id {
            Some(s) => referentiel::secteur_get(&mut conn, ctx.dep(), s)
                .await
                .map(|s| s.nom)
                .unwrap_or_default(),
            None => "hors secteur".into(),
        };
        adresses.push((a, commune, secteur));
    }
    let situations = f
        .situations
        .into_iter()
        .map(|s| {
            let l = FichePage::situation_libelle(&s);
            (s, l)
        })
        .collect();
    let (foyer_id, composition) = match &f.foyer {
        Some((fid, membres)) => (Some(*fid), lignes_membres(composition_le(membres, date))),
        None => (None, Vec::new()),
    };
    let services = service_names(&mut conn, ctx.dep()).await?;
    let dossiers_l = f
        .dossiers
        .iter()
        .map(|d| LigneDossier {
            id: d.id,
            intitule: d.intitule.clone(),
            ouvert_le: crate::dossiers::fr(&d.ouvert_le),
            clos_le: d.clos_le.as_deref().map(crate::dossiers::fr),
            services: d
                .services
                .iter()
                .filter_map(|s| services.get(s).cloned())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let maintenant = parcours_store::clock().maintenant();
    let (mut rdv_a_venir, mut rdv_passes) = (None, vec![]);
    if let Some(l) = f.rendez_vous {
        let mut venir = vec![];
        for r in l {
            let ligne = LigneRdv {
                quand: r.quand(),
                type_: r.type_rdv.libelle().to_string(),
                agent: r.agent.clone(),
                lieu: r.lieu.clone(),
                statut: r.statut.libelle().to_string(),
                id: r.id,
            };
            if r.fin >= maintenant {
                venir.push(ligne);
            } else {
                rdv_passes.push(ligne);
            }
        }
        // The latest past appointment first.
        rdv_passes.reverse();
        rdv_a_venir = Some(venir);
    }
    let contacts = f.contacts.map(|l| {
        l.into_iter()
            .map(|c| LigneContact {
                quand: parcours_domain::agenda::heure::date_heure(c.moment),
                canal: c.canal.libelle().to_string(),
                motif: c
                    .motif
                    .clone()
                    .unwrap_or_else(|| c.typologie.libelle().to_string()),
                reponse: match &c.partenaire {
                    Some(p) if !p.is_empty() => format!("{} : {p}", c.reponse.libelle()),
                    _ => c.reponse.libelle().to_string(),
                },
            })
            .collect()
    });
    // The secteur of the current address (the first one: the latest).
    let secteur = adresses.first().and_then(|(a, _, _)| a.secteur_id);
    let prendre_rdv = allows(&ctx.principal, Action::RendezVousGerer).then(|| match secteur {
        Some(s) => format!("/agenda?secteur_id={s}&personne_id={id}"),
        None => format!("/rendez-vous/nouveau?personne_id={id}"),
    });
    let p = f.personne;
    let lieu = match (&p.commune_naissance, &p.pays_naissance) {
        // By its name when the référentiel knows the commune (those of the département); the INSEE
        // code otherwise, said as such.
        (Some(c), _) => match referentiel::commune_get(&mut conn, ctx.dep(), c).await {
            Ok(commune) => format!("à {}", commune.nom),
            Err(_) => format!("commune de code INSEE {c}"),
        },
        (None, Some(pays)) => format!("pays : {pays}"),
        _ => String::new(),
    };
    Ok(render(&FichePage {
        l: ctx.layout(),
        complete,
        sexe: p.sexe.libelle(),
        naissance: p.date_naissance.as_ref().map(date_fr).unwrap_or_default(),
        lieu,
        // Reference §8.6: the NIR only where it serves — the use case keeps it for the full fiche.
        nir: p.nir.clone(),
        adresses,
        situations,
        foyer_id,
        composition,
        date_foyer: if q.date.trim().is_empty() {
            String::new()
        } else {
            q.date.trim().to_string()
        },
        date_foyer_erreur,
        dossiers: dossiers_l,
        can_edit: allows(&ctx.principal, Action::PersonnesGerer),
        can_write: complete && allows(&ctx.principal, Action::DossiersEcrire),
        // Stored in UTC: read in the département's time.
        acces_motive: f
            .acces_motive
            .map(|fin| match parcours_store::parse_time(&fin) {
                Some(t) => {
                    parcours_domain::agenda::heure::date_heure(parcours_store::clock().civil(t))
                }
                None => fin,
            }),
        can_merge: allows(&ctx.principal, Action::DoublonsGerer),
        can_rgpd: complete && allows(&ctx.principal, Action::RgpdGerer),
        fusionnee_dans: f.fusionnee_dans,
        decede_le: parcours_store::personnes::deces(&mut conn, ctx.dep(), id)
            .await?
            .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .map(|d| super::date_fr(&d)),
        rdv_a_venir,
        rdv_passes,
        contacts,
        prendre_rdv,
        p,
    }))
}

pub(super) fn lignes_membres(membres: Vec<&Membre>) -> Vec<LigneMembre> {
    membres
        .into_iter()
        .map(|m| LigneMembre {
            personne_id: m.personne.id,
            membre_id: m.id,
            nom: m.personne.nom_complet(),
            role: m.role.libelle(),
            arrivee: date_fr(&m.periode.arrivee),
            depart: m.periode.depart.as_ref().map(date_fr).unwrap_or_default(),
        })
        .collect()
}
