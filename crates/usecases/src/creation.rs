//! Creating a person: the état civil checked, the likely duplicates looked for first (a creation
//! confirmed despite them goes to the cadre's review queue), the NIR and the phone unique — one
//! function for the page and the API.

use std::collections::BTreeMap;

use parcours_domain::dossiers::secret::Portee;
use parcours_domain::personnes::{NewPersonne, PersonneForm, PersonneResume};
use parcours_domain::FieldErrors;
use parcours_store::{doublons, personnes as store, Conn, Store, StoreError};

use crate::{Acteur, AuditedTx, Canal, Result};

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
) -> std::result::Result<Vec<(PersonneResume, f64)>, StoreError> {
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

/// A likely duplicate shown before a creation, with whether the agent may open its fiche.
#[derive(Debug, Clone)]
pub struct Ressemblance {
    pub personne: PersonneResume,
    pub score: f64,
    pub accessible: bool,
}

/// What a creation did.
#[derive(Debug, Clone)]
pub enum Creation {
    Creee(i64),
    /// Likely duplicates and no confirmation: nothing written; the agent checks them first.
    Ressemblances(Vec<Ressemblance>),
    /// The NIR or the phone number is another person's: nothing written.
    NumeroPris(FieldErrors),
}

/// Creates a person, unless likely duplicates exist and `confirmer` is false.
pub async fn creer(
    store_: &Store,
    acteur: &Acteur,
    form: &PersonneForm,
    confirmer: bool,
    canal: Canal,
) -> Result<Creation> {
    let parsed = NewPersonne::parse(form, parcours_store::clock().today())?;
    let dep = acteur.dep();
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let similar = ressemblances(tx.conn(), dep, &parsed).await?;
    if !similar.is_empty() && !confirmer {
        let mut shown = Vec::with_capacity(similar.len());
        for (p, score) in similar {
            let portee = crate::personnes::scope_for(tx.conn(), &acteur.principal, p.id)
                .await?
                .portee;
            shown.push(Ressemblance {
                personne: p,
                score,
                accessible: portee != Portee::Existence,
            });
        }
        return Ok(Creation::Ressemblances(shown));
    }
    let id = match store::create(tx.conn(), dep, &parsed).await {
        Ok(id) => id,
        Err(StoreError::Conflict(field)) => {
            let mut e = FieldErrors::new();
            e.add(
                if field == "nir" { "nir" } else { "telephone" },
                "Ce numéro est déjà celui d'une autre personne : recherchez-la plutôt que d'en créer une seconde.",
            );
            return Ok(Creation::NumeroPris(e));
        }
        Err(e) => return Err(e.into()),
    };
    // A creation confirmed against a warning goes to the review queue: a cadre decides.
    for (p, score) in &similar {
        doublons::candidat_add(tx.conn(), dep, p.id, id, *score).await?;
    }
    tx.commit(
        acteur
            .event("creation", "personne", id)
            .purpose(canal.purpose("accueil ou accompagnement"))
            .details(serde_json::json!({ "doublons_signales": similar.len() })),
    )
    .await?;
    Ok(Creation::Creee(id))
}
