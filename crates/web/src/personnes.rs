//! Personnes et foyers in the browser: the search (the agent's scope applied: outside it, only
//! « existe, suivi par … »), the fiche of a person (état civil, contacts, address and situation with
//! their history, foyer, dossiers), its creation after a search with a warning on likely duplicates,
//! corrections, and the foyer with its composition on any date. Every read of a fiche is audited.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use parcours_domain::dossiers::secret::Portee;
use parcours_domain::habilitations::policy::{allows, Action};
use parcours_domain::personnes::{
    composition_le, parse_date_text, Adresse, AdresseForm, Emploi, Logement, Membre, MembreForm,
    NewAdresse, NewMembre, NewPersonne, NewSituation, Personne, PersonneForm, PersonneResume,
    Ressource, RoleFoyer, Sexe, Situation, SituationFamiliale, SituationForm,
};
use parcours_domain::FieldErrors;
use parcours_store::personnes::{self as store, MembreError};
use parcours_store::{audit, dossiers, doublons, referentiel, Conn, StoreError};
use serde::Deserialize;

use crate::auth::Ctx;
use crate::error::{Form, Path, Query, WebError, WebResult};
use crate::pages::{enc, render, Field, FormPage, Layout};
use crate::AppState;

fn today() -> NaiveDate {
    parcours_store::clock().today()
}

fn date_fr(d: &NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

pub use parcours_usecases::personnes::{portees_for, scope_for, Scope};

/// Decides the agent's scope on a person (an unknown or merged-away person is not found).
pub async fn scope_of(conn: &mut Conn, ctx: &Ctx, personne_id: i64) -> WebResult<Scope> {
    Ok(scope_for(conn, &ctx.principal, personne_id).await?)
}

/// Records a refused access to a person and answers 403 with what the agent may know.
async fn refuse(state: &AppState, ctx: &Ctx, personne_id: i64) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("refus", "personne", personne_id)
            .purpose("fiche hors du périmètre de l'agent"),
    )
    .await?;
    let suivis = dossiers::suivis(&mut tx, ctx.dep(), &[personne_id]).await?;
    tx.commit().await?;
    let page = HorsPerimetre {
        l: ctx.layout(),
        personne_id,
        suivi_par: suivis.get(&personne_id).cloned().unwrap_or_default(),
        peut_demander: allows(&ctx.principal, Action::AccesMotiveDemander),
    };
    let mut res = (StatusCode::FORBIDDEN, render(&page)).into_response();
    res.extensions_mut().insert(crate::error::RefusAudite);
    Ok(res)
}

#[derive(Template)]
#[template(path = "personnes/hors_perimetre.html")]
pub struct HorsPerimetre {
    pub l: Layout,
    pub personne_id: i64,
    pub suivi_par: Vec<String>,
    pub peut_demander: bool,
}

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
fn personne_fields_nir(
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

fn personne_form(v: &BTreeMap<String, String>) -> PersonneForm {
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

fn record_of(id: &str, p: &NewPersonne) -> parcours_doublons::Record {
    use parcours_domain::personnes::LieuNaissance;
    let record = parcours_doublons::Record::from_parts(
        id,
        &p.nom_naissance,
        p.nom_usage.as_deref(),
        &p.prenoms,
        p.sexe,
        p.date_naissance,
    );
    match &p.lieu_naissance {
        Some(LieuNaissance::Commune(c)) => record.ne_a(c.as_str()),
        _ => record,
    }
}

fn record_of_resume(p: &PersonneResume) -> parcours_doublons::Record {
    parcours_doublons::Record::from_parts(
        p.id,
        &p.nom_naissance,
        p.nom_usage.as_deref(),
        &p.prenoms,
        p.sexe,
        p.date_naissance,
    )
}

/// Likely duplicates of a person about to be created: candidates from the search (birth and usage
/// names, given names, birth date), scored by the matcher.
pub async fn ressemblances(
    conn: &mut Conn,
    dep: &str,
    p: &NewPersonne,
) -> Result<Vec<(PersonneResume, f64)>, StoreError> {
    let mut queries = vec![p.nom_naissance.clone()];
    if let Some(u) = &p.nom_usage {
        queries.push(u.clone());
    }
    if let Some(d) = p.date_naissance {
        queries.push(d.format("%d/%m/%Y").to_string());
    }
    if let Some(first) = p.prenoms.first() {
        queries.push(format!("{} {first}", p.nom_naissance));
    }
    if let Some(nir) = &p.nir {
        queries.push(nir.as_str().to_string());
    }
    let mut pool: BTreeMap<i64, PersonneResume> = BTreeMap::new();
    for q in queries {
        for r in store::search(conn, dep, &q, 100).await? {
            pool.insert(r.id, r);
        }
    }
    let people: Vec<PersonneResume> = pool.into_values().collect();
    let records: Vec<parcours_doublons::Record> = people.iter().map(record_of_resume).collect();
    let index = parcours_doublons::Index::new(&records, &parcours_doublons::Options::default());
    Ok(
        parcours_doublons::candidates_for(&record_of("nouveau", p), &index)
            .into_iter()
            .take(10)
            .map(|c| (people[c.position].clone(), c.score))
            .collect(),
    )
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let parsed = match NewPersonne::parse(&personne_form(&v), today()) {
        Ok(p) => p,
        Err(e) => return Ok(new_page(&ctx, &v, &e.0, vec![])),
    };
    let mut tx = state.store.begin().await?;
    let similar = ressemblances(&mut tx, ctx.dep(), &parsed).await?;
    let confirmed = v.get("confirmer").is_some_and(|c| c == "oui");
    if !similar.is_empty() && !confirmed {
        let mut shown = Vec::new();
        for (p, score) in &similar {
            let accessible = scope_of(&mut tx, &ctx, p.id).await?.portee != Portee::Existence;
            shown.push(Ressemblance {
                id: p.id,
                nom: p.nom_complet(),
                naissance: p.date_naissance.as_ref().map(date_fr).unwrap_or_default(),
                score: format!("{:.0} %", score * 100.0),
                accessible,
            });
        }
        drop(tx);
        return Ok(new_page(&ctx, &v, &FieldErrors::new(), shown));
    }
    let id = match store::create(&mut tx, ctx.dep(), &parsed).await {
        Ok(id) => id,
        Err(StoreError::Conflict(field)) => {
            let mut e = FieldErrors::new();
            e.add(
                if field == "nir" { "nir" } else { "telephone" },
                "Ce numéro est déjà celui d'une autre personne : recherchez-la plutôt que d'en créer une seconde.",
            );
            return Ok(new_page(&ctx, &v, &e, vec![]));
        }
        Err(e) => return Err(e.into()),
    };
    // A creation confirmed against a warning goes to the review queue: a cadre decides.
    for (p, score) in &similar {
        doublons::candidat_add(&mut tx, ctx.dep(), p.id, id, *score).await?;
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "personne", id)
            .purpose("accueil ou accompagnement")
            .details(serde_json::json!({ "doublons_signales": similar.len() })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=cree")).into_response())
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
}

impl FichePage {
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
    let mut tx = state.store.begin().await?;
    let p = store::get(&mut tx, ctx.dep(), id).await?;
    let scope = scope_of(&mut tx, &ctx, id).await?;
    if scope.portee == Portee::Existence {
        drop(tx);
        return refuse(&state, &ctx, id).await;
    }
    let complete = scope.portee == Portee::Complete;
    let fusionnee_dans = doublons::fusionnee_dans(&mut tx, ctx.dep(), id).await?;
    let mut adresses = Vec::new();
    for a in store::adresses(&mut tx, ctx.dep(), id).await? {
        let commune = referentiel::commune_get(&mut tx, ctx.dep(), &a.commune_insee)
            .await
            .map(|c| c.nom)
            .unwrap_or_else(|_| a.commune_insee.clone());
        let secteur = match a.secteur_id {
            Some(s) => referentiel::secteur_get(&mut tx, ctx.dep(), s)
                .await
                .map(|s| s.nom)
                .unwrap_or_default(),
            None => "hors secteur".into(),
        };
        adresses.push((a, commune, secteur));
    }
    let (mut situations, mut composition, mut dossiers_l) = (Vec::new(), Vec::new(), Vec::new());
    let mut foyer_id = None;
    let mut date_foyer_erreur = None;
    let date = match q.date.trim() {
        "" => today(),
        t => parse_date_text(t).unwrap_or_else(|| {
            date_foyer_erreur = Some(format!("« {t} » n'est pas une date (JJ/MM/AAAA)."));
            today()
        }),
    };
    if complete {
        situations = store::situations(&mut tx, ctx.dep(), id)
            .await?
            .into_iter()
            .map(|s| {
                let l = FichePage::situation_libelle(&s);
                (s, l)
            })
            .collect();
        foyer_id = store::foyer_of(&mut tx, ctx.dep(), id, date).await?;
        if let Some(f) = foyer_id {
            let membres = store::membres(&mut tx, ctx.dep(), f).await?;
            composition = lignes_membres(composition_le(&membres, date));
        }
        let services = service_names(&mut tx, ctx.dep()).await?;
        dossiers_l = scope
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
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "personne", id)
            .purpose(if scope.acces_motive.is_some() {
                "consultation de la fiche (accès motivé)"
            } else {
                "consultation de la fiche"
            })
            .details(serde_json::json!({ "portee": format!("{:?}", scope.portee) })),
    )
    .await?;
    tx.commit().await?;
    let lieu = match (&p.commune_naissance, &p.pays_naissance) {
        (Some(c), _) => format!("commune {c}"),
        (None, Some(pays)) => format!("pays {pays}"),
        _ => String::new(),
    };
    Ok(render(&FichePage {
        l: ctx.layout(),
        complete,
        sexe: p.sexe.libelle(),
        naissance: p.date_naissance.as_ref().map(date_fr).unwrap_or_default(),
        lieu,
        // Reference §8.6: the NIR only where it serves — the full fiche of the social work roles.
        nir: if complete { p.nir.clone() } else { None },
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
        acces_motive: scope.acces_motive,
        can_merge: allows(&ctx.principal, Action::DoublonsGerer),
        can_rgpd: complete && allows(&ctx.principal, Action::RgpdGerer),
        fusionnee_dans,
        p,
    }))
}

fn lignes_membres(membres: Vec<&Membre>) -> Vec<LigneMembre> {
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

/// Loads a person the agent may edit (the desk included: it records état civil and address).
async fn editable(conn: &mut Conn, ctx: &Ctx, id: i64) -> WebResult<Personne> {
    Ok(editable_with_portee(conn, ctx, id).await?.0)
}

/// The person to correct and how much of them the agent sees (`EtatCivil` for the desk, which
/// never sees nor changes the NIR). Outside the scope: 403, recorded by the route layer.
async fn editable_with_portee(
    conn: &mut Conn,
    ctx: &Ctx,
    id: i64,
) -> WebResult<(Personne, Portee)> {
    let p = store::get(conn, ctx.dep(), id).await?;
    let portee = scope_of(conn, ctx, id).await?.portee;
    if portee == Portee::Existence {
        return Err(WebError::Forbidden);
    }
    Ok((p, portee))
}

// ---------------------------------------------------------------------------------------------------
// Corrections of the état civil

fn values_of(p: &Personne) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    v.insert("nom_naissance".into(), p.nom_naissance.clone());
    v.insert("nom_usage".into(), p.nom_usage.clone().unwrap_or_default());
    v.insert("prenoms".into(), p.prenoms.join(", "));
    v.insert("sexe".into(), p.sexe.code().to_string());
    v.insert(
        "date_naissance".into(),
        p.date_naissance.as_ref().map(date_fr).unwrap_or_default(),
    );
    v.insert(
        "commune_naissance".into(),
        p.commune_naissance.clone().unwrap_or_default(),
    );
    v.insert(
        "pays_naissance".into(),
        p.pays_naissance.clone().unwrap_or_default(),
    );
    v.insert("nir".into(), p.nir.clone().unwrap_or_default());
    v.insert(
        "telephone".into(),
        p.telephones.first().cloned().unwrap_or_default(),
    );
    v.insert(
        "telephone_2".into(),
        p.telephones.get(1).cloned().unwrap_or_default(),
    );
    v.insert("email".into(), p.email.clone().unwrap_or_default());
    v
}

fn edit_page(
    ctx: &Ctx,
    id: i64,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
    with_nir: bool,
) -> Response {
    let page = FormPage {
        l: ctx.layout(),
        title: "Corriger l'état civil".into(),
        intro: Some(
            "La correction est tracée : l'état civil antérieur reste dans le journal d'audit."
                .into(),
        ),
        action: format!("/personnes/{id}/modifier"),
        fields: personne_fields_nir(v, errors, with_nir),
        submit: "Enregistrer la correction".into(),
        cancel: Some(format!("/personnes/{id}")),
        multipart: false,
        buttons: vec![],
        details: vec![],
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    // The form shows the état civil: its read is audited like the fiche's.
    let mut tx = state.store.begin().await?;
    let (p, portee) = editable_with_portee(&mut tx, &ctx, id).await?;
    let with_nir = portee == Portee::Complete;
    let mut values = values_of(&p);
    if !with_nir {
        values.remove("nir");
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "personne", id)
            .purpose("formulaire de correction de l'état civil")
            .details(serde_json::json!({ "nir_affiche": with_nir })),
    )
    .await?;
    tx.commit().await?;
    Ok(edit_page(&ctx, id, &values, &FieldErrors::new(), with_nir))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(mut v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    let (before, portee) = editable_with_portee(&mut tx, &ctx, id).await?;
    let with_nir = portee == Portee::Complete;
    // An agent who does not see the NIR cannot change it either: the stored one is kept, whatever
    // the request carries.
    let typed = v.clone();
    if !with_nir {
        v.insert("nir".into(), before.nir.clone().unwrap_or_default());
    }
    let parsed = match NewPersonne::parse(&personne_form(&v), today()) {
        Ok(p) => p,
        Err(e) => return Ok(edit_page(&ctx, id, &typed, &e.0, with_nir)),
    };
    match store::update(&mut tx, ctx.dep(), id, &parsed).await {
        Ok(()) => {}
        Err(StoreError::Conflict(field)) => {
            let mut e = FieldErrors::new();
            e.add(
                if field == "nir" { "nir" } else { "telephone" },
                "Ce numéro est déjà celui d'une autre personne.",
            );
            return Ok(edit_page(&ctx, id, &typed, &e, with_nir));
        }
        Err(e) => return Err(e.into()),
    }
    let mut avant = values_of(&before);
    // The NIR is not copied into the audit log: only whether it changed.
    let nir_change = avant.remove("nir").unwrap_or_default()
        != parsed
            .nir
            .as_ref()
            .map(|n| n.as_str().to_string())
            .unwrap_or_default();
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("correction", "personne", id)
            .purpose("correction de l'état civil")
            .details(serde_json::json!({ "avant": avant, "nir_modifie": nir_change })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}

// ---------------------------------------------------------------------------------------------------
// Address and situation

fn adresse_page(
    ctx: &Ctx,
    id: i64,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> Response {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let page = FormPage {
        l: ctx.layout(),
        title: "Nouvelle adresse".into(),
        intro: Some("L'adresse précédente reste dans l'historique. Pour une personne sans domicile stable, indiquez l'adresse de sa domiciliation : c'est elle qui désigne le secteur compétent.".into()),
        action: format!("/personnes/{id}/adresse"),
        fields: vec![
            Field::text("ligne_1", "Numéro et voie", &g("ligne_1")).required().autocomplete("off").error_from(errors),
            Field::text("ligne_2", "Complément (bâtiment, appartement)", &g("ligne_2")).error_from(errors),
            Field::text("ligne_3", "Lieu-dit", &g("ligne_3")).error_from(errors),
            Field::text("code_postal", "Code postal", &g("code_postal")).required().error_from(errors),
            Field::text("commune_insee", "Commune (code INSEE)", &g("commune_insee")).required().hint("Cinq caractères, par exemple 96001.").error_from(errors),
            Field::text("valid_from", "Date d'emménagement", &g("valid_from")).required().hint("JJ/MM/AAAA").error_from(errors),
        ],
        submit: "Enregistrer l'adresse".into(),
        cancel: Some(format!("/personnes/{id}")),
        multipart: false,
        buttons: vec![],
        details: vec![],
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn adresse_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    editable(&mut conn, &ctx, id).await?;
    let mut v = BTreeMap::new();
    v.insert("valid_from".to_string(), date_fr(&today()));
    Ok(adresse_page(&ctx, id, &v, &FieldErrors::new()))
}

pub async fn adresse(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = AdresseForm {
        ligne_1: g("ligne_1"),
        ligne_2: g("ligne_2"),
        ligne_3: g("ligne_3"),
        code_postal: g("code_postal"),
        commune_insee: g("commune_insee"),
        valid_from: g("valid_from"),
    };
    // The scope first: out of it, nothing of the form is even read back.
    let mut tx = state.store.begin().await?;
    editable(&mut tx, &ctx, id).await?;
    let parsed = match NewAdresse::parse(&form, today()) {
        Ok(a) => a,
        Err(e) => return Ok(adresse_page(&ctx, id, &v, &e.0)),
    };
    // An INSEE code of the département must be one of its communes (a commune elsewhere is fine).
    let insee = parsed.commune_insee.as_str().to_string();
    if insee.starts_with(ctx.dep())
        && referentiel::commune_get(&mut tx, ctx.dep(), &insee)
            .await
            .is_err()
    {
        let mut e = FieldErrors::new();
        e.add(
            "commune_insee",
            format!("Aucune commune du département n'a le code INSEE {insee}."),
        );
        return Ok(adresse_page(&ctx, id, &v, &e));
    }
    let a = store::adresse_set(&mut tx, ctx.dep(), id, &parsed, ctx.principal.agent_id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "adresse", a.id)
            .purpose("mise à jour de l'adresse")
            .details(serde_json::json!({ "personne": id, "secteur": a.secteur_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}

#[derive(Template)]
#[template(path = "personnes/situation.html")]
pub struct SituationPage {
    pub l: Layout,
    pub id: i64,
    pub valid_from: String,
    pub selects: Vec<Field>,
    pub ressources: Vec<(String, String, bool)>,
    pub errors: FieldErrors,
    pub summary: Vec<(String, String)>,
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    std::iter::once((String::new(), "Non renseigné".to_string()))
        .chain(
            all.iter()
                .map(|c| (code(*c).to_string(), label(*c).to_string())),
        )
        .collect()
}

fn situation_page(ctx: &Ctx, id: i64, f: &SituationForm, errors: FieldErrors) -> Response {
    let summary = errors
        .0
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let page = SituationPage {
        l: ctx.layout(),
        id,
        valid_from: f.valid_from.clone(),
        selects: vec![
            Field::text("familiale", "Situation familiale", &f.familiale)
                .select(choices(
                    SituationFamiliale::ALL,
                    SituationFamiliale::code,
                    SituationFamiliale::libelle,
                ))
                .error_from(&errors),
            Field::text("logement", "Logement", &f.logement)
                .select(choices(Logement::ALL, Logement::code, Logement::libelle))
                .error_from(&errors),
            Field::text("emploi", "Emploi", &f.emploi)
                .select(choices(Emploi::ALL, Emploi::code, Emploi::libelle))
                .error_from(&errors),
        ],
        ressources: Ressource::ALL
            .iter()
            .map(|r| {
                (
                    r.code().to_string(),
                    r.libelle().to_string(),
                    f.ressources.iter().any(|c| c == r.code()),
                )
            })
            .collect(),
        errors,
        summary,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, render(&page)).into_response()
}

pub async fn situation_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut conn = state.store.read().await?;
    editable(&mut conn, &ctx, id).await?;
    let f = SituationForm {
        valid_from: date_fr(&today()),
        ..SituationForm::default()
    };
    Ok(situation_page(&ctx, id, &f, FieldErrors::new()))
}

pub async fn situation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let mut f = SituationForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "valid_from" => f.valid_from = v,
            "familiale" => f.familiale = v,
            "logement" => f.logement = v,
            "emploi" => f.emploi = v,
            "ressources" => f.ressources.push(v),
            _ => {}
        }
    }
    // The scope first: out of it, nothing of the form is even read back.
    let mut tx = state.store.begin().await?;
    editable(&mut tx, &ctx, id).await?;
    let parsed = match NewSituation::parse(&f, today()) {
        Ok(s) => s,
        Err(e) => return Ok(situation_page(&ctx, id, &f, e.0)),
    };
    let sid = store::situation_add(&mut tx, ctx.dep(), id, &parsed, ctx.principal.agent_id).await?;
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "situation", sid)
            .purpose("mise à jour de la situation")
            .details(serde_json::json!({ "personne": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/personnes/{id}?message=modifie")).into_response())
}

// ---------------------------------------------------------------------------------------------------
// Foyer

/// Creates a foyer whose demandeur is this person, from today.
pub async fn foyer_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    editable(&mut tx, &ctx, id).await?;
    if store::foyer_of(&mut tx, ctx.dep(), id, today())
        .await?
        .is_some()
    {
        return Err(WebError::Conflict(
            "cette personne appartient déjà à un foyer".into(),
        ));
    }
    let f = store::foyer_create(&mut tx, ctx.dep()).await?;
    let m = NewMembre {
        personne_id: id,
        role: RoleFoyer::Demandeur,
        periode: parcours_domain::personnes::Periode {
            arrivee: today(),
            depart: None,
        },
    };
    match store::membre_add(&mut tx, ctx.dep(), f, &m).await {
        Ok(_) => {}
        Err(MembreError::Regle(e)) => {
            return Err(WebError::Conflict(
                e.0 .0.values().cloned().collect::<Vec<_>>().join(" "),
            ))
        }
        Err(MembreError::Store(e)) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "foyer", f)
            .details(serde_json::json!({ "demandeur": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/foyers/{f}?message=cree")).into_response())
}

#[derive(Template)]
#[template(path = "personnes/foyer.html")]
pub struct FoyerPage {
    pub l: Layout,
    pub id: i64,
    pub date: String,
    pub date_erreur: Option<String>,
    pub composition: Vec<LigneMembre>,
    pub historique: Vec<LigneMembre>,
    pub can_edit: bool,
    pub fields: Vec<Field>,
    pub errors: Vec<(String, String)>,
}

async fn foyer_reachable(conn: &mut Conn, ctx: &Ctx, membres: &[Membre]) -> WebResult<()> {
    // A foyer is open to an agent who reaches at least one of its members.
    for m in membres {
        if scope_of(conn, ctx, m.personne.id).await?.portee != Portee::Existence {
            return Ok(());
        }
    }
    Err(WebError::Forbidden)
}

async fn foyer_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    date_text: &str,
    v: &BTreeMap<String, String>,
    errors: &FieldErrors,
) -> WebResult<Response> {
    let mut tx = state.store.begin().await?;
    store::foyer_get(&mut tx, ctx.dep(), id).await?;
    let membres = store::membres(&mut tx, ctx.dep(), id).await?;
    foyer_reachable(&mut tx, ctx, &membres).await?;
    let mut date_erreur = None;
    let date = match date_text.trim() {
        "" => today(),
        t => parse_date_text(t).unwrap_or_else(|| {
            date_erreur = Some(format!("« {t} » n'est pas une date (JJ/MM/AAAA)."));
            today()
        }),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("lecture", "foyer", id)
            .purpose("composition du foyer"),
    )
    .await?;
    tx.commit().await?;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let fields = vec![
        Field::text("personne_id", "Numéro de la personne", &g("personne_id"))
            .required()
            .hint("Le numéro affiché sur sa fiche (recherchez-la d'abord).")
            .error_from(errors),
        Field::text("role", "Place dans le foyer", &g("role"))
            .select(
                RoleFoyer::ALL
                    .iter()
                    .map(|r| (r.code().to_string(), r.libelle().to_string()))
                    .collect(),
            )
            .error_from(errors),
        Field::text("arrivee", "Arrivée dans le foyer", &g("arrivee"))
            .required()
            .hint("JJ/MM/AAAA")
            .error_from(errors),
    ];
    let summary = crate::pages::error_summary(&fields);
    let page = FoyerPage {
        l: ctx.layout(),
        id,
        date: date_text.trim().to_string(),
        date_erreur,
        composition: lignes_membres(composition_le(&membres, date)),
        historique: lignes_membres(membres.iter().collect()),
        can_edit: allows(&ctx.principal, Action::PersonnesGerer),
        fields,
        errors: summary,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn foyer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<FicheQuery>,
) -> WebResult<Response> {
    let mut v = BTreeMap::new();
    v.insert("arrivee".to_string(), date_fr(&today()));
    v.insert("role".to_string(), RoleFoyer::Enfant.code().to_string());
    foyer_page(&state, &ctx, id, &q.date, &v, &FieldErrors::new()).await
}

pub async fn membre_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(v): Form<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let form = MembreForm {
        personne_id: g("personne_id"),
        role: g("role"),
        arrivee: g("arrivee"),
        depart: String::new(),
    };
    let m = match NewMembre::parse(&form, today()) {
        Ok(m) => m,
        Err(e) => return foyer_page(&state, &ctx, id, "", &v, &e.0).await,
    };
    let mut tx = state.store.begin().await?;
    let membres = store::membres(&mut tx, ctx.dep(), id).await?;
    foyer_reachable(&mut tx, &ctx, &membres).await?;
    let added = match store::membre_add(&mut tx, ctx.dep(), id, &m).await {
        Ok(mid) => mid,
        Err(MembreError::Regle(e)) => {
            drop(tx);
            return foyer_page(&state, &ctx, id, "", &v, &e.0).await;
        }
        Err(MembreError::Store(StoreError::Reference)) => {
            drop(tx);
            let mut e = FieldErrors::new();
            e.add(
                "personne_id",
                "Aucune personne n'a ce numéro dans le département.",
            );
            return foyer_page(&state, &ctx, id, "", &v, &e).await;
        }
        Err(MembreError::Store(e)) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("creation", "membre_foyer", added)
            .details(serde_json::json!({ "foyer": id, "personne": m.personne_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/foyers/{id}?message=modifie")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DepartForm {
    #[serde(default)]
    pub depart: String,
}

pub async fn membre_depart(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, mid)): Path<(i64, i64)>,
    Form(f): Form<DepartForm>,
) -> WebResult<Response> {
    let depart = match parcours_domain::personnes::parse_depart(&f.depart, today()) {
        Ok(d) => d,
        Err(e) => {
            return foyer_page(&state, &ctx, id, "", &BTreeMap::new(), &e.0).await;
        }
    };
    let mut tx = state.store.begin().await?;
    let membres = store::membres(&mut tx, ctx.dep(), id).await?;
    if !membres.iter().any(|m| m.id == mid) {
        return Err(WebError::NotFound);
    }
    foyer_reachable(&mut tx, &ctx, &membres).await?;
    match store::membre_depart(&mut tx, ctx.dep(), mid, depart).await {
        Ok(()) => {}
        Err(MembreError::Regle(e)) => {
            drop(tx);
            return foyer_page(&state, &ctx, id, "", &BTreeMap::new(), &e.0).await;
        }
        Err(MembreError::Store(e)) => return Err(e.into()),
    }
    audit::append(
        &mut tx,
        ctx.dep(),
        &ctx.event("depart", "membre_foyer", mid)
            .details(serde_json::json!({ "foyer": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/foyers/{id}?message=modifie")).into_response())
}
