//! Financial aids: the household budget, the request from the dossier, its decision under the
//! delegations and the envelope, the commission, the review of held payment orders and the anomaly
//! check of a batch — each one function for the pages and the API, decided by the dossier's secret
//! partagé and the agent's sites, and audited.

pub mod cartes;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use parcours_domain::aides::anomalies::{self, Regle};
use parcours_domain::aides::budget::{self, Ligne, Membre};
use parcours_domain::aides::demande::{
    self as regles_demande, Decideur, DecisionForm, DemandeForm, EnCours, Situation,
};
use parcours_domain::aides::{Centimes, Fonds, Niveau, ReglesFonds, Statut, StatutOrdre};
use parcours_domain::dossiers::Titulaire;
use parcours_domain::habilitations::policy::reaches_site;
use parcours_domain::habilitations::Role;
use parcours_domain::{FieldErrors, Invalid};
use parcours_store::aides::{self as store, Budget, Commission, Demande, Enveloppe, Ordre};
use parcours_store::{personnes, Conn, Store};

use crate::dossiers::{ouvrir as ouvrir_dossier, Ouvert};
use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// The job that checks the batch of orders waiting for their check.
pub const JOB_CONTROLE: &str = "aides.controle";
/// The job that sends ready orders to the payment provider.
pub const JOB_PAIEMENT: &str = "aides.paiement";

fn today() -> NaiveDate {
    parcours_store::clock().today()
}

fn age_le(naissance: Option<NaiveDate>, jour: NaiveDate) -> Option<u32> {
    naissance.and_then(|n| jour.years_since(n))
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::Invalid(Invalid::field(field, message).0)
}

/// The household of a dossier on a day: its key (`f<id>` or `p<id>`), its members' ages, and the
/// person the dossier is about with their age and name.
struct Foyer {
    cle: String,
    membres: Vec<Membre>,
    personne_id: Option<i64>,
    age: Option<u32>,
    nom: String,
}

async fn foyer_du_dossier(
    conn: &mut Conn,
    dep: &str,
    o: &Ouvert,
    jour: NaiveDate,
) -> Result<Foyer> {
    let (foyer_id, personne_id) = match o.dossier.titulaire {
        Titulaire::Personne(p) => (personnes::foyer_of(conn, dep, p, jour).await?, Some(p)),
        Titulaire::Foyer(f) => (Some(f), o.personne_id),
    };
    let (age, nom) = match personne_id {
        Some(p) => {
            let pe = personnes::get(conn, dep, p).await?;
            (age_le(pe.date_naissance, jour), pe.nom_complet())
        }
        None => (None, String::new()),
    };
    match foyer_id {
        Some(f) => {
            let membres = personnes::composition_at(conn, dep, f, jour)
                .await?
                .iter()
                .map(|m| Membre {
                    age: age_le(m.personne.date_naissance, jour),
                })
                .collect::<Vec<_>>();
            Ok(Foyer {
                cle: format!("f{f}"),
                membres: if membres.is_empty() {
                    vec![Membre { age }]
                } else {
                    membres
                },
                personne_id,
                age,
                nom,
            })
        }
        None => Ok(Foyer {
            cle: format!("p{}", personne_id.unwrap_or(0)),
            membres: vec![Membre { age }],
            personne_id,
            age,
            nom,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Catalogue and envelopes (no personal data)

/// The funds with the rules in force today.
pub async fn catalogue(store_: &Store, acteur: &Acteur) -> Result<Vec<Fonds>> {
    let mut conn = store_.read().await?;
    Ok(store::catalogue(&mut conn, acteur.dep(), today()).await?)
}

/// A fund with its history of rules.
pub async fn fonds(
    store_: &Store,
    acteur: &Acteur,
    code: &str,
) -> Result<(Fonds, Vec<store::Version>)> {
    let mut conn = store_.read().await?;
    let f = store::fonds(&mut conn, acteur.dep(), code, today())
        .await?
        .ok_or(Error::NotFound)?;
    let v = store::versions(&mut conn, acteur.dep(), code).await?;
    Ok((f, v))
}

/// New rules for a fund from a day not in the past (the rules a request was judged by never change).
pub async fn modifier_fonds(
    store_: &Store,
    acteur: &Acteur,
    code: &str,
    valide_du: &str,
    regles: &ReglesFonds,
) -> Result<i64> {
    let mut e = FieldErrors::new();
    let jour = match NaiveDate::parse_from_str(valide_du.trim(), "%Y-%m-%d") {
        Ok(d) if d < today() => {
            e.add("valide_du", "Les nouvelles règles s'appliquent à partir d'aujourd'hui au plus tôt : les demandes passées restent jugées selon les règles de leur jour.");
            d
        }
        Ok(d) => d,
        Err(_) => {
            e.add(
                "valide_du",
                "Indiquez la date d'entrée en vigueur (JJ/MM/AAAA).",
            );
            today()
        }
    };
    if let Err(Invalid(v)) = regles.verifier() {
        for (k, m) in v.0 {
            e.add(&k, m);
        }
    }
    e.into_result()?;
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    store::fonds(tx.conn(), acteur.dep(), code, jour)
        .await?
        .ok_or(Error::NotFound)?;
    let id =
        match store::nouvelle_version(
            tx.conn(),
            acteur.dep(),
            code,
            jour,
            regles,
            acteur.principal.agent_id,
        )
        .await
        {
            Ok(id) => id,
            Err(parcours_store::StoreError::Conflict(_)) => return Err(invalid(
                "valide_du",
                "Une version de ces règles commence déjà ce jour-là : choisissez un autre jour.",
            )),
            Err(e) => return Err(e.into()),
        };
    tx.commit(
        acteur
            .event("creation", "aide_fonds_version", id)
            .purpose("règles d'un fonds d'aide financière")
            .details(serde_json::json!({ "fonds": code, "valide_du": jour.format("%Y-%m-%d").to_string() })),
    )
    .await?;
    Ok(id)
}

/// Adds a fund the département creates (a local aid), its rules copied from an existing fund to
/// be adapted in a new version; in force from today.
pub async fn creer_fonds(
    store_: &Store,
    acteur: &Acteur,
    code: &str,
    libelle: &str,
    modele: &str,
) -> Result<()> {
    let mut e = FieldErrors::new();
    let code = code.trim();
    let libelle = libelle.trim();
    if !parcours_domain::aides::catalogue::code_valide(code) {
        e.add("code", "Le code s'écrit en lettres minuscules sans accent, chiffres et _, de 2 à 40 caractères (par exemple frais_obseques).");
    }
    if libelle.is_empty() || libelle.chars().count() > 120 {
        e.add(
            "libelle",
            "Indiquez le nom du fonds (120 caractères au plus).",
        );
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let jour = today();
    let regles = match store::fonds(tx.conn(), acteur.dep(), modele, jour).await? {
        Some(f) => f.regles,
        None => {
            e.add(
                "modele",
                "Choisissez le fonds dont les règles servent de départ.",
            );
            parcours_domain::aides::catalogue::defaut().remove(0).2
        }
    };
    e.into_result()?;
    match store::fonds_creer(
        tx.conn(),
        acteur.dep(),
        code,
        libelle,
        jour,
        &regles,
        acteur.principal.agent_id,
    )
    .await
    {
        Ok(()) => {}
        Err(parcours_store::StoreError::Conflict(_)) => {
            return Err(invalid(
                "code",
                "Ce code est déjà celui d'un fonds du catalogue.",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit(
        acteur
            .event("creation", "aide_fonds", code)
            .purpose("nouveau fonds d'aide financière")
            .details(serde_json::json!({ "modele": modele })),
    )
    .await?;
    Ok(())
}

/// The envelopes of a year the agent steers: a cadre those of their sites, the central roles all.
pub async fn enveloppes(store_: &Store, acteur: &Acteur, annee: i32) -> Result<Vec<Enveloppe>> {
    let mut conn = store_.read().await?;
    let sites = sites_de(acteur);
    Ok(store::enveloppes(&mut conn, acteur.dep(), annee, sites.as_deref()).await?)
}

/// `None` for the central roles (the whole département), the agent's sites otherwise.
fn sites_de(acteur: &Acteur) -> Option<Vec<i64>> {
    match acteur.principal.role {
        Role::Accueil | Role::TravailleurSocial | Role::Cadre => {
            Some(acteur.principal.site_ids.clone())
        }
        _ if acteur.principal.token_id.is_some() => Some(acteur.principal.site_ids.clone()),
        _ => None,
    }
}

/// Allocates an envelope (fund, MDS, year); never below what is already committed.
pub async fn allouer(
    store_: &Store,
    acteur: &Acteur,
    fonds: &str,
    site: Option<i64>,
    annee: &str,
    montant: &str,
) -> Result<()> {
    let mut e = FieldErrors::new();
    let annee: i32 = match annee.trim().parse::<i32>() {
        Ok(a) if (2000..=2100).contains(&a) => a,
        _ => {
            e.add("annee", "Indiquez l'année, par exemple 2027.");
            0
        }
    };
    let montant = Centimes::parse(montant).unwrap_or_else(|m| {
        e.add("montant", m);
        Centimes(0)
    });
    if site.is_none() {
        e.add("site_id", "Choisissez la MDS.");
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    if store::fonds(tx.conn(), acteur.dep(), fonds, today())
        .await?
        .is_none()
    {
        e.add("fonds", "Choisissez le fonds.");
    }
    e.into_result()?;
    let site = site.unwrap_or_default();
    if !store::allouer(tx.conn(), acteur.dep(), fonds, site, annee, montant).await? {
        return Err(invalid(
            "montant",
            "L'enveloppe ne peut pas descendre sous ce qui est déjà engagé.",
        ));
    }
    tx.commit(
        acteur
            .event(
                "modification",
                "aide_enveloppe",
                format!("{fonds}/{site}/{annee}"),
            )
            .purpose("enveloppe d'un fonds d'aide financière")
            .details(serde_json::json!({ "alloue": montant.0 })),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Budget

/// The budgets of a dossier (latest first) and the household as counted today.
pub struct Budgets {
    pub ouvert: Ouvert,
    pub budgets: Vec<Budget>,
    pub membres: Vec<Membre>,
}

pub async fn budgets(
    store_: &Store,
    acteur: &Acteur,
    dossier_id: i64,
    canal: Canal,
) -> Result<Budgets> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir_dossier(tx, acteur, dossier_id, canal).await?;
    let foyer = foyer_du_dossier(tx.conn(), acteur.dep(), &ouvert, today()).await?;
    let budgets = store::budgets(tx.conn(), acteur.dep(), dossier_id).await?;
    tx.commit(
        acteur
            .event("lecture", "aide_budgets", dossier_id)
            .purpose(canal.purpose("budget du foyer")),
    )
    .await?;
    Ok(Budgets {
        ouvert,
        budgets,
        membres: foyer.membres,
    })
}

/// Establishes a new budget of the household (the earlier ones stay).
pub async fn etablir_budget(
    store_: &Store,
    acteur: &Acteur,
    dossier_id: i64,
    lignes: &[Ligne],
    canal: Canal,
) -> Result<i64> {
    let agent = acteur.agent()?;
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir_dossier(tx, acteur, dossier_id, canal).await?;
    if ouvert.dossier.clos_le.is_some() {
        return Err(invalid(
            "montant_0",
            "Le dossier est clos : rouvrez-le pour établir un budget.",
        ));
    }
    let jour = today();
    let foyer = foyer_du_dossier(tx.conn(), acteur.dep(), &ouvert, jour).await?;
    let calcul = budget::calculer(lignes, &foyer.membres);
    let id = store::budget_creer(
        tx.conn(),
        acteur.dep(),
        dossier_id,
        jour,
        lignes,
        &foyer.membres,
        &calcul,
        Some(agent),
    )
    .await?;
    tx.commit(
        acteur
            .event("creation", "aide_budget", id)
            .purpose(canal.purpose("budget du foyer"))
            .details(serde_json::json!({ "dossier": dossier_id })),
    )
    .await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Requests

/// What the request form needs: the dossier, the funds, the household's situation.
pub struct Preparation {
    pub ouvert: Ouvert,
    pub catalogue: Vec<Fonds>,
    pub budget: Option<Budget>,
    pub nom: String,
    /// The person's active cards and the foster carers' ones (offered when the fund allows it:
    /// `carte::pour_le_fonds`).
    pub cartes: Vec<parcours_domain::aides::carte::CarteChoix>,
}

pub async fn preparer(
    store_: &Store,
    acteur: &Acteur,
    dossier_id: i64,
    canal: Canal,
) -> Result<Preparation> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir_dossier(tx, acteur, dossier_id, canal).await?;
    let foyer = foyer_du_dossier(tx.conn(), acteur.dep(), &ouvert, today()).await?;
    let catalogue = store::catalogue(tx.conn(), acteur.dep(), today()).await?;
    let budget = store::budgets(tx.conn(), acteur.dep(), dossier_id)
        .await?
        .into_iter()
        .next();
    let cartes = cartes::choisissables(tx.conn(), acteur.dep(), foyer.personne_id, true).await?;
    tx.commit(
        acteur
            .event("lecture", "aide_budgets", dossier_id)
            .purpose(canal.purpose("préparation d'une demande d'aide")),
    )
    .await?;
    Ok(Preparation {
        ouvert,
        catalogue,
        budget,
        nom: foyer.nom,
        cartes,
    })
}

/// Records a request from the dossier, checked against the fund's rules of the day.
/// `procedure`: the eviction procedure of the dossier the request answers (FSL), when made from it.
pub async fn demander(
    store_: &Store,
    acteur: &Acteur,
    dossier_id: i64,
    f: &DemandeForm,
    procedure: Option<i64>,
    canal: Canal,
) -> Result<i64> {
    let agent = acteur.agent()?;
    let Some(&site) = acteur.principal.site_ids.first() else {
        return Err(invalid(
            "fonds",
            "Vous n'êtes rattaché à aucune MDS : une demande d'aide s'instruit dans une MDS.",
        ));
    };
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir_dossier(tx, acteur, dossier_id, canal).await?;
    let dep = acteur.dep();
    if ouvert.dossier.clos_le.is_some() {
        return Err(invalid(
            "fonds",
            "Le dossier est clos : rouvrez-le pour instruire une demande.",
        ));
    }
    let jour = today();
    let Some(fonds) = store::fonds(tx.conn(), dep, &f.fonds, jour).await? else {
        return Err(invalid("fonds", "Choisissez le fonds sollicité."));
    };
    let foyer = foyer_du_dossier(tx.conn(), dep, &ouvert, jour).await?;
    let budget = store::budgets(tx.conn(), dep, dossier_id)
        .await?
        .into_iter()
        .next();
    let situation = Situation {
        age: foyer.age,
        budget: budget.as_ref().map(|b| b.calcul.clone()),
        accorde_annee: store::accorde_annee(tx.conn(), dep, &foyer.cle, &fonds.code, jour.year())
            .await?,
        demande_ouverte: store::demande_ouverte(tx.conn(), dep, &foyer.cle, &fonds.code, &f.besoin)
            .await?,
        nom_personne: foyer.nom.clone(),
        cartes: cartes::choisissables(
            tx.conn(),
            dep,
            foyer.personne_id,
            fonds.regles.carte_accueillant,
        )
        .await?,
    };
    if let Some(p) = procedure {
        let ok = match parcours_store::procedures::get(tx.conn(), dep, p).await {
            Ok(pr) => {
                pr.dossier_id == dossier_id
                    && pr.type_ == parcours_domain::procedures::TypeProcedure::Expulsion
            }
            Err(parcours_store::StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if !ok {
            return Err(invalid(
                "fonds",
                "La procédure d'expulsion indiquée n'est pas celle de ce dossier : repartez de la page de la procédure.",
            ));
        }
    }
    let d = regles_demande::verifier(&fonds.regles, f, &situation)?;
    let id = store::demande_creer(
        tx.conn(),
        dep,
        &store::NouvelleDemande {
            dossier_id,
            personne_id: foyer.personne_id,
            foyer_cle: &foyer.cle,
            site_id: site,
            fonds: &fonds,
            demande: &d,
            budget_id: budget.map(|b| b.id),
            instruit_par: Some(agent),
            jour,
            procedure_id: procedure,
        },
    )
    .await?;
    tx.commit(
        acteur
            .event("creation", "aide_demande", id)
            .purpose(canal.purpose("demande d'aide financière"))
            .details(serde_json::json!({ "dossier": dossier_id, "fonds": fonds.code, "montant": d.montant.0, "procedure": procedure })),
    )
    .await?;
    Ok(id)
}

/// A request as its page and the API show it.
#[derive(Debug, Clone)]
pub struct Vue {
    pub demande: Demande,
    pub regles: ReglesFonds,
    pub budget: Option<Budget>,
    pub ordres: Vec<Ordre>,
    pub pieces_manquantes: Vec<String>,
    /// `Ok(None)`: no scale; `Ok(Some)`: within; `Err`: why not.
    pub eligibilite: std::result::Result<Option<String>, String>,
    pub accorde_annee: Centimes,
    pub reste_enveloppe: Option<Centimes>,
    /// The level the acting agent holds for this request (`None`: may not decide it).
    pub niveau_agent: Option<Niveau>,
    pub commissions: Vec<Commission>,
}

fn niveau_de(acteur: &Acteur) -> Option<Niveau> {
    if acteur.principal.token_id.is_some() {
        return None;
    }
    match acteur.principal.role {
        Role::TravailleurSocial => Some(Niveau::TravailleurSocial),
        Role::Cadre => Some(Niveau::Cadre),
        _ => None,
    }
}

/// Opens a request through its dossier (the secret partagé decides), and the site of the request
/// for a decider.
async fn ouvrir(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(AuditedTx, Ouvert, Demande)> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let mut tx = tx;
    let d = store::demande(tx.conn(), acteur.dep(), id).await?;
    let (tx, o) = ouvrir_dossier(tx, acteur, d.dossier_id, canal).await?;
    Ok((tx, o, d))
}

/// What a request is judged with: its rules' version, the budget it was instructed with (the latest
/// when none was), the household's situation, and what remains in the envelope this year.
struct Contexte {
    regles: ReglesFonds,
    budget: Option<Budget>,
    situation: Situation,
    reste: Option<Centimes>,
}

async fn contexte(conn: &mut Conn, dep: &str, d: &Demande, jour: NaiveDate) -> Result<Contexte> {
    let regles = store::version(conn, dep, d.version_id).await?;
    let budgets = store::budgets(conn, dep, d.dossier_id).await?;
    let budget = match d.budget_id {
        Some(b) => budgets.into_iter().find(|x| x.id == b),
        None => budgets.into_iter().next(),
    };
    let situation = situation_de(conn, dep, d, budget.as_ref(), jour).await?;
    let reste = store::reste(conn, dep, &d.fonds_code, d.site_id, jour.year()).await?;
    Ok(Contexte {
        regles,
        budget,
        situation,
        reste,
    })
}

/// Commits `montant` on the request's envelope; the envelope taken meanwhile by another decision is
/// the agent's to see (nothing written).
async fn engager_enveloppe(
    conn: &mut Conn,
    dep: &str,
    d: &Demande,
    jour: NaiveDate,
    montant: Centimes,
    depassement: bool,
) -> Result<()> {
    if store::engager(
        conn,
        dep,
        &d.fonds_code,
        d.site_id,
        jour.year(),
        montant,
        depassement,
    )
    .await?
    {
        Ok(())
    } else {
        Err(invalid(
            "depassement",
            "L'enveloppe vient d'être consommée par une autre décision : rechargez la demande.",
        ))
    }
}

/// The payment order of `montant` for an approved request (read again: its decision is written),
/// the check enqueued; the audit event of the order.
async fn ordonner(
    conn: &mut Conn,
    acteur: &Acteur,
    id: i64,
    montant: Centimes,
    purpose: String,
) -> Result<parcours_domain::audit::AuditEvent> {
    let dep = acteur.dep();
    let d = store::demande(conn, dep, id).await?;
    let ordre = store::ordre_creer(conn, dep, &d, montant).await?;
    parcours_store::jobs::enqueue(conn, dep, JOB_CONTROLE, &serde_json::json!({}), 5).await?;
    Ok(acteur
        .event("creation", "aide_ordre", ordre)
        .purpose(purpose))
}

async fn situation_de(
    conn: &mut Conn,
    dep: &str,
    d: &Demande,
    budget: Option<&Budget>,
    jour: NaiveDate,
) -> Result<Situation> {
    let age = match d.personne_id {
        Some(p) => age_le(personnes::get(conn, dep, p).await?.date_naissance, jour),
        None => None,
    };
    let annee = d
        .decide_le
        .as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .unwrap_or(jour)
        .year();
    let mut accorde = store::accorde_annee(conn, dep, &d.foyer_cle, &d.fonds_code, annee).await?;
    if d.statut == Statut::Accordee {
        accorde = accorde - d.montant_accorde.unwrap_or_default();
    }
    Ok(Situation {
        age,
        budget: budget.map(|b| b.calcul.clone()),
        accorde_annee: accorde,
        demande_ouverte: None,
        nom_personne: d.beneficiaire.clone(),
        cartes: vec![],
    })
}

pub async fn lire(store_: &Store, acteur: &Acteur, id: i64, canal: Canal) -> Result<Vue> {
    let (mut tx, _o, d) = ouvrir(store_, acteur, id, canal).await?;
    let dep = acteur.dep();
    let Contexte {
        regles,
        budget,
        situation: s,
        reste,
    } = contexte(tx.conn(), dep, &d, today()).await?;
    let ordres = store::ordres_de_la_demande(tx.conn(), dep, id).await?;
    let niveau_agent =
        niveau_de(acteur).filter(|_| reaches_site(&acteur.principal, Some(d.site_id)));
    let commissions = store::commissions(tx.conn(), dep)
        .await?
        .into_iter()
        .filter(|c| c.tenue_le.is_none() && c.site_id.is_none_or(|s| s == d.site_id))
        .collect();
    tx.commit(
        acteur
            .event("lecture", "aide_demande", id)
            .purpose(canal.purpose("demande d'aide financière")),
    )
    .await?;
    Ok(Vue {
        pieces_manquantes: regles_demande::pieces_manquantes(&regles, &d.pieces),
        eligibilite: regles_demande::eligibilite(&regles, budget.as_ref().map(|b| &b.calcul)),
        accorde_annee: s.accorde_annee,
        regles,
        budget,
        ordres,
        reste_enveloppe: reste,
        niveau_agent,
        commissions,
        demande: d,
    })
}

/// The requests of a dossier (the dossier page lists them inside its own audited read).
pub async fn du_dossier(conn: &mut Conn, acteur: &Acteur, dossier_id: i64) -> Result<Vec<Demande>> {
    Ok(store::demandes_du_dossier(conn, acteur.dep(), dossier_id).await?)
}

/// Records the documents now provided.
pub async fn completer_pieces(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    pieces: &[String],
    canal: Canal,
) -> Result<()> {
    acteur.agent()?;
    let (mut tx, _o, d) = ouvrir(store_, acteur, id, canal).await?;
    if !d.statut.en_cours() {
        return Err(invalid(
            "pieces",
            "La demande est décidée : ses pièces ne changent plus.",
        ));
    }
    let regles = store::version(tx.conn(), acteur.dep(), d.version_id).await?;
    let pieces: Vec<String> = pieces
        .iter()
        .filter(|p| regles.pieces.iter().any(|r| &r.code == *p))
        .cloned()
        .collect();
    store::completer_pieces(tx.conn(), acteur.dep(), id, &pieces).await?;
    tx.commit(
        acteur
            .event("modification", "aide_demande", id)
            .purpose(canal.purpose("pièces d'une demande d'aide"))
            .details(serde_json::json!({ "pieces": pieces })),
    )
    .await?;
    Ok(())
}

/// Decides a request: the agent's delegation (or the commission's), the envelope committed in the
/// same transaction, and the payment order of an approval created to be checked.
pub async fn decider(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    f: &DecisionForm,
    canal: Canal,
) -> Result<()> {
    decider_comme(store_, acteur, id, f, canal, None).await
}

async fn decider_comme(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    f: &DecisionForm,
    canal: Canal,
    commission: Option<i64>,
) -> Result<()> {
    let agent = acteur.agent()?;
    let (mut tx, _o, d) = ouvrir(store_, acteur, id, canal).await?;
    let dep = acteur.dep();
    let niveau = match commission {
        Some(_) => Some(Niveau::Commission),
        None => niveau_de(acteur),
    };
    let Some(niveau) = niveau.filter(|_| reaches_site(&acteur.principal, Some(d.site_id))) else {
        return Err(tx
            .refuse(
                acteur.event("refus", "aide_demande", id).purpose(
                    canal.purpose("décision hors de la délégation ou de la MDS de l'agent"),
                ),
            )
            .await);
    };
    if let Some(c) = commission {
        if d.commission_id != Some(c) {
            return Err(invalid(
                "sens",
                "Cette demande n'est pas inscrite à l'ordre du jour de cette commission.",
            ));
        }
    }
    let jour = today();
    let c = contexte(tx.conn(), dep, &d, jour).await?;
    let decision = regles_demande::decider(
        &c.regles,
        &EnCours {
            montant_demande: d.montant_demande,
            pieces: d.pieces.clone(),
            en_cours: d.statut.en_cours(),
        },
        &c.situation,
        &Decideur {
            niveau,
            reste_enveloppe: c.reste,
        },
        f,
    )?;
    if decision.sens.accorde() {
        engager_enveloppe(
            tx.conn(),
            dep,
            &d,
            jour,
            decision.montant,
            decision.depassement.is_some(),
        )
        .await?;
    }
    if !store::decider(
        tx.conn(),
        dep,
        id,
        &decision,
        Some(agent),
        jour,
        commission.is_some(),
    )
    .await?
    {
        return Err(Error::Conflict(
            "la demande vient d'être décidée par ailleurs".into(),
        ));
    }
    let mut events = vec![acteur
        .event("decision", "aide_demande", id)
        .purpose(canal.purpose("décision sur une demande d'aide financière"))
        .details(serde_json::json!({
            "sens": decision.sens.code(),
            "montant": decision.montant.0,
            "depassement_enveloppe": decision.depassement.is_some(),
            "commission": commission,
        }))];
    if decision.sens.accorde() {
        let purpose = canal.purpose("ordre de paiement d'une aide accordée");
        events.push(ordonner(tx.conn(), acteur, id, decision.montant, purpose).await?);
    }
    tx.commit_all(&events).await?;
    Ok(())
}

/// Puts a request on a commission's agenda (or takes it off with `None`).
pub async fn inscrire(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    commission: Option<i64>,
    canal: Canal,
) -> Result<()> {
    acteur.agent()?;
    let (mut tx, _o, d) = ouvrir(store_, acteur, id, canal).await?;
    if !d.statut.en_cours() {
        return Err(invalid(
            "commission_id",
            "La demande est décidée : elle ne passe plus en commission.",
        ));
    }
    if let Some(c) = commission {
        let c = match store::commission(tx.conn(), acteur.dep(), c).await {
            Ok(c) => c,
            Err(parcours_store::StoreError::NotFound) => {
                return Err(invalid(
                    "commission_id",
                    "Choisissez une commission à venir.",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        if c.tenue_le.is_some() {
            return Err(invalid(
                "commission_id",
                "Cette commission s'est déjà tenue : choisissez-en une à venir.",
            ));
        }
        if c.site_id.is_some_and(|s| s != d.site_id) {
            return Err(invalid(
                "commission_id",
                "Cette commission est celle d'une autre MDS.",
            ));
        }
    }
    store::inscrire_en_commission(tx.conn(), acteur.dep(), id, commission).await?;
    tx.commit(
        acteur
            .event("modification", "aide_demande", id)
            .purpose(canal.purpose("inscription d'une demande en commission"))
            .details(serde_json::json!({ "commission": commission })),
    )
    .await?;
    Ok(())
}

/// Records a recourse (gracieux or contentieux) against the decision.
pub async fn recours(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    motif: &str,
    canal: Canal,
) -> Result<()> {
    acteur.agent()?;
    let (mut tx, _o, d) = ouvrir(store_, acteur, id, canal).await?;
    if d.sens.is_none() {
        return Err(invalid(
            "recours_motif",
            "Un recours porte sur une décision : celle-ci n'est pas encore prise.",
        ));
    }
    if let Some(le) = &d.recours_le {
        return Err(invalid(
            "recours_motif",
            format!(
                "Un recours est déjà enregistré contre cette décision (le {}) : un recours contentieux se suit au tribunal administratif.",
                NaiveDate::parse_from_str(le, "%Y-%m-%d")
                    .map(|j| j.format("%d/%m/%Y").to_string())
                    .unwrap_or_else(|_| le.clone())
            ),
        ));
    }
    let motif = motif.trim();
    if motif.is_empty() || motif.chars().count() > 2000 {
        return Err(invalid(
            "recours_motif",
            "Indiquez l'objet du recours (2 000 caractères au plus).",
        ));
    }
    store::recours(tx.conn(), acteur.dep(), id, today(), motif).await?;
    tx.commit(
        acteur
            .event("modification", "aide_demande", id)
            .purpose(canal.purpose("recours contre une décision d'aide")),
    )
    .await?;
    Ok(())
}

/// Records the outcome of a recourse: the decision maintained, or reformed into a larger approval
/// (the supplement committed on the envelope and paid by a new order, checked like any other). A
/// cadre of the request's MDS decides it; the initial decision stays beside the new one.
pub async fn juger_recours(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    f: &regles_demande::IssueRecoursForm,
    canal: Canal,
) -> Result<()> {
    let agent = acteur.agent()?;
    let (mut tx, _o, d) = ouvrir(store_, acteur, id, canal).await?;
    let dep = acteur.dep();
    let Some(niveau) =
        niveau_de(acteur).filter(|_| reaches_site(&acteur.principal, Some(d.site_id)))
    else {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "aide_demande", id)
                    .purpose(canal.purpose("recours hors de la MDS ou du rôle de l'agent")),
            )
            .await);
    };
    let jour = today();
    let c = contexte(tx.conn(), dep, &d, jour).await?;
    let accorde = d.montant_accorde.unwrap_or_default();
    let issue = regles_demande::juger_recours(
        &c.regles,
        &regles_demande::EnRecours {
            sens: d.sens,
            montant_demande: d.montant_demande,
            montant_accorde: accorde,
            pieces: d.pieces.clone(),
            recours_forme: d.recours_le.is_some(),
            deja_juge: d.recours_issue.is_some(),
        },
        &c.situation,
        &Decideur {
            niveau,
            reste_enveloppe: c.reste,
        },
        f,
    )?;
    let supplement = issue
        .reformation
        .as_ref()
        .map(|r| r.montant - accorde)
        .unwrap_or_default();
    if let Some(r) = &issue.reformation {
        engager_enveloppe(
            tx.conn(),
            dep,
            &d,
            jour,
            supplement,
            r.depassement.is_some(),
        )
        .await?;
    }
    if !store::juger_recours(
        tx.conn(),
        dep,
        id,
        &store::IssueRecours {
            reformee: issue.reformation.is_some(),
            motivation: &issue.motivation,
            decision: issue.reformation.as_ref(),
            agent,
            jour,
        },
    )
    .await?
    {
        return Err(Error::Conflict(
            "l'issue du recours vient d'être enregistrée par ailleurs".into(),
        ));
    }
    let mut events = vec![acteur
        .event("decision", "aide_demande", id)
        .purpose(canal.purpose("issue d'un recours contre une décision d'aide"))
        .details(serde_json::json!({
            "recours": if issue.reformation.is_some() { "reformee" } else { "maintenue" },
            "montant": issue.reformation.as_ref().map(|r| r.montant.0),
            "supplement": supplement.0,
        }))];
    if issue.reformation.is_some() {
        let purpose = canal.purpose("ordre de paiement d'une aide réformée sur recours");
        events.push(ordonner(tx.conn(), acteur, id, supplement, purpose).await?);
    }
    tx.commit_all(&events).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Commissions

pub async fn commissions(store_: &Store, acteur: &Acteur) -> Result<Vec<Commission>> {
    let mut conn = store_.read().await?;
    let sites = sites_de(acteur);
    Ok(store::commissions(&mut conn, acteur.dep())
        .await?
        .into_iter()
        .filter(|c| match (&sites, c.site_id) {
            (None, _) => true,
            (Some(s), Some(id)) => s.contains(&id),
            (Some(_), None) => true,
        })
        .collect())
}

pub async fn creer_commission(
    store_: &Store,
    acteur: &Acteur,
    site: Option<i64>,
    date: &str,
    intitule: &str,
    membres: &str,
) -> Result<i64> {
    let mut e = FieldErrors::new();
    let jour = match NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d") {
        Ok(d) if d < today() => {
            e.add(
                "date",
                "Une commission se programme à partir d'aujourd'hui.",
            );
            d
        }
        Ok(d) => d,
        Err(_) => {
            e.add("date", "Indiquez la date de la commission.");
            today()
        }
    };
    let intitule = intitule.trim();
    if intitule.is_empty() || intitule.chars().count() > 200 {
        e.add(
            "intitule",
            "Indiquez l'intitulé de la commission (200 caractères au plus).",
        );
    }
    if site.is_some_and(|s| !reaches_site(&acteur.principal, Some(s))) {
        e.add("site_id", "Choisissez une de vos MDS.");
    }
    if site.is_none() && sites_de(acteur).is_some() {
        e.add("site_id", "Choisissez la MDS de la commission.");
    }
    e.into_result()?;
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let id = store::commission_creer(
        tx.conn(),
        acteur.dep(),
        site,
        jour,
        intitule,
        membres.trim(),
        acteur.principal.agent_id,
    )
    .await?;
    tx.commit(
        acteur
            .event("creation", "aide_commission", id)
            .purpose("commission d'attribution des aides"),
    )
    .await?;
    Ok(id)
}

/// A commission's agenda: its requests, which name persons (an audited read).
pub async fn lire_commission(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(Commission, Vec<Demande>)> {
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let c = store::commission(tx.conn(), acteur.dep(), id).await?;
    if c.site_id
        .is_some_and(|s| !reaches_site(&acteur.principal, Some(s)))
    {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "aide_commission", id)
                    .purpose(canal.purpose("commission d'une autre MDS")),
            )
            .await);
    }
    let demandes = store::demandes_de_la_commission(tx.conn(), acteur.dep(), id).await?;
    let ids: Vec<i64> = demandes.iter().map(|d| d.id).collect();
    tx.commit(
        acteur
            .event("lecture", "aide_commission", id)
            .purpose(canal.purpose("ordre du jour d'une commission d'aides"))
            .details(serde_json::json!({ "demandes": ids })),
    )
    .await?;
    Ok((c, demandes))
}

/// The commission's decision on a request of its agenda, recorded by the cadre who holds the pen.
pub async fn decider_en_commission(
    store_: &Store,
    acteur: &Acteur,
    commission: i64,
    id: i64,
    f: &DecisionForm,
    canal: Canal,
) -> Result<()> {
    {
        let mut conn = store_.read().await?;
        let c = store::commission(&mut conn, acteur.dep(), commission).await?;
        if c.tenue_le.is_some() {
            return Err(invalid(
                "sens",
                "Le procès-verbal de cette commission est clos : ses décisions ne changent plus.",
            ));
        }
    }
    decider_comme(store_, acteur, id, f, canal, Some(commission)).await
}

/// Closes a commission with its minutes; the requests left undecided go back to instruction.
pub async fn tenir_commission(store_: &Store, acteur: &Acteur, id: i64, pv: &str) -> Result<()> {
    let pv = pv.trim();
    if pv.is_empty() {
        return Err(invalid(
            "proces_verbal",
            "Rédigez le procès-verbal : membres présents, demandes examinées, avis.",
        ));
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let c = store::commission(tx.conn(), acteur.dep(), id).await?;
    if c.site_id
        .is_some_and(|s| !reaches_site(&acteur.principal, Some(s)))
    {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "aide_commission", id)
                    .purpose("commission d'une autre MDS"),
            )
            .await);
    }
    if c.tenue_le.is_some() {
        return Err(invalid(
            "proces_verbal",
            "Le procès-verbal de cette commission est déjà clos.",
        ));
    }
    for d in store::demandes_de_la_commission(tx.conn(), acteur.dep(), id).await? {
        if d.statut == Statut::Commission {
            store::inscrire_en_commission(tx.conn(), acteur.dep(), d.id, None).await?;
        }
    }
    store::commission_tenir(tx.conn(), acteur.dep(), id, pv, today()).await?;
    tx.commit(
        acteur
            .event("modification", "aide_commission", id)
            .purpose("procès-verbal de commission"),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Payment orders

/// Orders held for review in the agent's sites (the central roles: all), with the ready and the
/// rejected ones.
pub struct Paiements {
    pub retenus: Vec<Ordre>,
    pub prets: Vec<Ordre>,
    pub rejetes: Vec<Ordre>,
    pub a_controler: Vec<Ordre>,
    pub ecarts: Vec<store::Ecart>,
}

pub async fn paiements(store_: &Store, acteur: &Acteur, canal: Canal) -> Result<Paiements> {
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let dep = acteur.dep();
    let sites = sites_de(acteur);
    let s = sites.as_deref();
    let p = Paiements {
        retenus: store::ordres(tx.conn(), dep, StatutOrdre::Retenu, s, 500).await?,
        prets: store::ordres(tx.conn(), dep, StatutOrdre::Pret, s, 200).await?,
        rejetes: store::ordres(tx.conn(), dep, StatutOrdre::Rejete, s, 200).await?,
        a_controler: store::ordres(tx.conn(), dep, StatutOrdre::AVerifier, s, 200).await?,
        ecarts: store::rapprochement(tx.conn(), dep, s).await?,
    };
    let ids: Vec<i64> = p
        .retenus
        .iter()
        .chain(&p.prets)
        .chain(&p.rejetes)
        .map(|o| o.id)
        .collect();
    tx.commit(
        acteur
            .event("lecture", "aide_ordres", "file")
            .purpose(canal.purpose("ordres de paiement à examiner"))
            .details(serde_json::json!({ "ordres": ids })),
    )
    .await?;
    Ok(p)
}

/// A cadre releases a held order (it will be paid) or cancels it (its amount goes back to the
/// envelope), with the reason.
pub async fn examiner(
    store_: &Store,
    acteur: &Acteur,
    id: i64,
    liberer: bool,
    motif: &str,
    canal: Canal,
) -> Result<()> {
    let agent = acteur.agent()?;
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let dep = acteur.dep();
    let o = store::ordre(tx.conn(), dep, id).await?;
    if !reaches_site(&acteur.principal, Some(o.site_id)) {
        return Err(tx
            .refuse(
                acteur
                    .event("refus", "aide_ordre", id)
                    .purpose(canal.purpose("ordre d'une autre MDS")),
            )
            .await);
    }
    let d = store::demande(tx.conn(), dep, o.demande_id).await?;
    // The four-eyes rule again: the agent who decided the aid does not release its own order.
    if liberer && d.decide_par == Some(agent) && o.anomalies.contains(&Regle::AutoValidation) {
        return Err(invalid(
            "motif",
            "Vous avez décidé cette aide : un autre cadre examine l'ordre.",
        ));
    }
    if liberer && o.mode == parcours_domain::aides::ModePaiement::Carte {
        let active = match o.carte.as_deref() {
            Some(r) => cartes::active(tx.conn(), dep, r).await?,
            None => false,
        };
        if !active {
            return Err(invalid(
                "motif",
                "La carte de cet ordre n'est pas active (bloquée ou hors du registre) : annulez l'ordre ; une nouvelle demande chargera une autre carte.",
            ));
        }
    }
    let motif = motif.trim();
    if motif.is_empty() || motif.chars().count() > 1000 {
        return Err(invalid(
            "motif",
            "Indiquez ce qui a été vérifié (1 000 caractères au plus).",
        ));
    }
    if !store::examiner(tx.conn(), dep, id, liberer, motif, Some(agent)).await? {
        return Err(invalid(
            "motif",
            "Cet ordre n'est plus retenu : il a déjà été examiné.",
        ));
    }
    if liberer {
        parcours_store::jobs::enqueue(tx.conn(), dep, JOB_PAIEMENT, &serde_json::json!({}), 5)
            .await?;
    } else {
        store::mouvement(tx.conn(), dep, o.demande_id, o.montant, false).await?;
    }
    tx.commit(
        acteur
            .event(if liberer { "liberation" } else { "annulation" }, "aide_ordre", id)
            .purpose(canal.purpose("examen d'un ordre de paiement retenu"))
            .details(serde_json::json!({ "anomalies": o.anomalies.iter().map(|r| r.code()).collect::<Vec<_>>() })),
    )
    .await?;
    Ok(())
}

/// What the check of a batch found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Controle {
    pub controles: usize,
    pub retenus: usize,
    pub par_regle: Vec<(Regle, usize)>,
}

/// Checks every order waiting for its check, in one transaction: a few set-based reads, the rules
/// in memory, the held orders marked with their rules and the others ready to pay.
pub async fn controler_lot(store_: &Store, dep: &str) -> Result<Controle> {
    let mut tx = store_.begin().await?;
    let lot = store::lot_a_controler(&mut tx, dep).await?;
    if lot.is_empty() {
        return Ok(Controle::default());
    }
    let plus_long = lot
        .iter()
        .map(|o| o.periode_doublon_jours)
        .max()
        .unwrap_or(0);
    let plus_tot = lot.iter().map(|o| o.jour).min().unwrap_or_else(today);
    let depuis = plus_tot - chrono::Days::new(u64::from(plus_long));
    let anterieurs = store::anterieurs(&mut tx, dep, depuis).await?;
    let ibans = store::ibans_connus(&mut tx, dep).await?;
    let retenus = anomalies::controler(&lot, &anterieurs, &ibans);
    let ids: Vec<i64> = lot.iter().map(|o| o.id).collect();
    store::marquer_controles(&mut tx, dep, &ids, &retenus).await?;
    if retenus.len() < ids.len() {
        parcours_store::jobs::enqueue(&mut tx, dep, JOB_PAIEMENT, &serde_json::json!({}), 5)
            .await?;
    }
    tx.commit().await?;
    let mut par: HashMap<Regle, usize> = HashMap::new();
    for r in retenus.values().flatten() {
        *par.entry(*r).or_default() += 1;
    }
    let mut par_regle: Vec<(Regle, usize)> = par.into_iter().collect();
    par_regle.sort();
    Ok(Controle {
        controles: ids.len(),
        retenus: retenus.len(),
        par_regle,
    })
}

// ---------------------------------------------------------------------------------------------
// Figures

pub async fn chiffres(
    store_: &Store,
    acteur: &Acteur,
    depuis: NaiveDate,
) -> Result<(Vec<store::LigneChiffres>, Vec<Enveloppe>)> {
    let mut conn = store_.read().await?;
    let sites = sites_de(acteur);
    let lignes = store::chiffres(
        &mut conn,
        acteur.dep(),
        &depuis.format("%Y-%m-%d").to_string(),
        sites.as_deref(),
    )
    .await?;
    let env = store::enveloppes(&mut conn, acteur.dep(), today().year(), sites.as_deref()).await?;
    Ok((lignes, env))
}

/// Requests waiting for a decision in the agent's sites, paged.
pub async fn a_decider(
    store_: &Store,
    acteur: &Acteur,
    page: i64,
    canal: Canal,
) -> Result<(Vec<Demande>, i64)> {
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let sites = sites_de(acteur);
    let (l, total) = store::a_decider(
        tx.conn(),
        acteur.dep(),
        sites.as_deref(),
        50,
        (page.max(1) - 1) * 50,
    )
    .await?;
    let ids: Vec<i64> = l.iter().map(|d| d.id).collect();
    tx.commit(
        acteur
            .event("lecture", "aide_demandes", "a_decider")
            .purpose(canal.purpose("demandes d'aide à décider"))
            .details(serde_json::json!({ "demandes": ids })),
    )
    .await?;
    Ok((l, total))
}

/// The orders paid between two instants for the accounting file (it names payees: an audited read),
/// in the agent's sites.
pub async fn comptabilite(
    store_: &Store,
    acteur: &Acteur,
    du: &str,
    au: &str,
) -> Result<Vec<Ordre>> {
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let sites = sites_de(acteur);
    let ordres: Vec<Ordre> = store::payes_entre(tx.conn(), acteur.dep(), du, au)
        .await?
        .into_iter()
        .filter(|o| sites.as_ref().is_none_or(|s| s.contains(&o.site_id)))
        .collect();
    tx.commit(
        acteur
            .event("export", "aide_ordres", "comptabilite")
            .purpose("fichier des paiements pour la comptabilité")
            .details(serde_json::json!({ "du": du, "au": au, "ordres": ordres.len() })),
    )
    .await?;
    Ok(ordres)
}

/// The name of the notification template of a decision on an aid.
pub const MODELE_NOTIFICATION: &str = "notification_aide";

/// Records a new version of a letter template, already checked by the caller against every kind
/// of letter it produces (the check needs the typesetting engine, which the web layer holds).
/// Records the département's logo for its letters (`None` withdraws it), already checked as an image
/// by the web layer (it renders it); audited.
pub async fn enregistrer_logo(
    store_: &Store,
    acteur: &Acteur,
    logo: Option<(&str, &[u8])>,
) -> Result<i64> {
    if logo.is_some_and(|(_, c)| c.is_empty() || c.len() > 512 * 1024) {
        return Err(invalid("logo", "Le logo pèse 512 Kio au plus."));
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let id =
        store::logo_enregistrer(tx.conn(), acteur.dep(), logo, acteur.principal.agent_id).await?;
    tx.commit(
        acteur
            .event(
                if logo.is_some() { "creation" } else { "suppression" },
                "logo_courrier",
                id,
            )
            .purpose("logo des courriers du département")
            .details(serde_json::json!({ "format": logo.map(|(f, _)| f), "octets": logo.map(|(_, c)| c.len()) })),
    )
    .await?;
    Ok(id)
}

pub async fn enregistrer_modele(
    store_: &Store,
    acteur: &Acteur,
    nom: &str,
    source: &str,
) -> Result<i64> {
    if source.len() > 200_000 {
        return Err(invalid("source", "Le modèle dépasse 200 000 caractères."));
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let id = store::modele_enregistrer(
        tx.conn(),
        acteur.dep(),
        nom,
        source,
        acteur.principal.agent_id,
    )
    .await?;
    tx.commit(
        acteur
            .event("creation", "modele_courrier", id)
            .purpose("modèle de courrier")
            .details(serde_json::json!({ "nom": nom })),
    )
    .await?;
    Ok(id)
}
