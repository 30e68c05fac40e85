//! Procedures of a dossier and their due dates: opening one, recording a step, granting an
//! extension, reading them — decided by the dossier's secret partagé and audited, the same functions
//! for the pages and the API — and the lists of due dates of a social worker, an MDS, and the counts
//! of late files by MDS and secteur.

use parcours_domain::echeancier::{regle, suivi::Etat, Echeancier, Moment};
use parcours_domain::habilitations::{Principal, Role};
use parcours_domain::procedures::{
    self as domain, Contexte, EcheanceEnregistree, EtapeForm, TypeProcedure,
};
use parcours_domain::referentiel::ServiceKind;
use parcours_domain::{FieldErrors, Invalid};
use parcours_store::procedures::{
    self as store, EcheanceListee, EtapeEnregistree, NewProcedure, Perimetre, Procedure,
    RetardsSecteur,
};
use parcours_store::{dossiers, Store};

use crate::dossiers::ouvrir as ouvrir_dossier;
use crate::{Acteur, AuditedTx, Canal, Error, Result};

/// A procedure with its history and its timers.
#[derive(Debug, Clone)]
pub struct Vue {
    pub procedure: Procedure,
    pub etapes: Vec<EtapeEnregistree>,
    pub echeances: Vec<EcheanceEnregistree>,
    /// Whether the agent's service records its steps (an IP: the CRIP only), the role's policy
    /// aside.
    pub ecriture: bool,
}

/// The services whose agents read a dossier's informations préoccupantes: the CRIP that receives
/// and evaluates them and the ASE that carries the measures that follow (CASF L226-2-2). The other
/// teams following the dossier do not see them — the stricter reading of the secret partagé, for
/// the DPO to confirm.
const LECTEURS_IP: &[ServiceKind] = &[ServiceKind::Crip, ServiceKind::Ase];

/// Who transmitted an IP is known to the CRIP only (reference §1.2: the informant's identity may be
/// kept from the family; the stricter reading keeps it from every other team).
const MASQUE_INFORMANT: &str = "(connu de la CRIP seulement)";

/// The audit entry of an IP refused to an agent outside the CRIP (read) or outside `LECTEURS_IP`.
fn refus_ip(acteur: &Acteur, id: i64, canal: Canal) -> parcours_domain::audit::AuditEvent {
    acteur
        .event("refus", "procedure", id)
        .purpose(canal.purpose("information préoccupante réservée à la CRIP et à l'ASE"))
}

/// The kind of the acting agent's service.
async fn service_kind(
    conn: &mut parcours_store::Conn,
    acteur: &Acteur,
) -> Result<Option<ServiceKind>> {
    Ok(match acteur.principal.service_id {
        Some(id) => Some(
            parcours_store::referentiel::service_get(conn, acteur.dep(), id)
                .await?
                .kind,
        ),
        None => None,
    })
}

/// The procedures of a dossier the acting agent may see: all but the informations préoccupantes,
/// which only `LECTEURS_IP` read. The dossier page lists them with this, inside the audited read of
/// the dossier that already decided the agent's access.
pub async fn visibles(
    conn: &mut parcours_store::Conn,
    acteur: &Acteur,
    dossier_id: i64,
) -> Result<Vec<Procedure>> {
    let kind = service_kind(conn, acteur).await?;
    visibles_pour(conn, acteur, dossier_id, kind).await
}

/// `visibles` for an agent whose service kind is already read.
async fn visibles_pour(
    conn: &mut parcours_store::Conn,
    acteur: &Acteur,
    dossier_id: i64,
    kind: Option<ServiceKind>,
) -> Result<Vec<Procedure>> {
    let lit_ip = kind.is_some_and(|k| LECTEURS_IP.contains(&k));
    Ok(store::of_dossier(conn, acteur.dep(), dossier_id)
        .await?
        .into_iter()
        .filter(|p| p.type_ != TypeProcedure::Ip || lit_ip)
        .collect())
}

/// The procedures of a dossier the agent opens (audited as a read of the dossier's procedures).
pub async fn lister(
    store_: &Store,
    acteur: &Acteur,
    dossier_id: i64,
    canal: Canal,
) -> Result<Vec<Vue>> {
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, _) = ouvrir_dossier(tx, acteur, dossier_id, canal).await?;
    let dep = acteur.dep();
    let kind = service_kind(tx.conn(), acteur).await?;
    let mut out = Vec::new();
    for p in visibles_pour(tx.conn(), acteur, dossier_id, kind).await? {
        let mut etapes = store::etapes(tx.conn(), dep, p.id).await?;
        if p.type_ == TypeProcedure::Ip && kind != Some(ServiceKind::Crip) {
            for e in &mut etapes {
                if let Some(v) = e.valeurs.get_mut("informant") {
                    *v = MASQUE_INFORMANT.to_string();
                }
            }
        }
        let echeances = store::echeances(tx.conn(), dep, p.id).await?;
        let ecriture = p.type_ != TypeProcedure::Ip || kind == Some(ServiceKind::Crip);
        out.push(Vue {
            procedure: p,
            etapes,
            echeances,
            ecriture,
        });
    }
    let ids: Vec<i64> = out.iter().map(|v| v.procedure.id).collect();
    tx.commit(
        acteur
            .event("lecture", "dossier_procedures", dossier_id)
            .purpose(canal.purpose("suivi des procédures du dossier"))
            .details(serde_json::json!({ "procedures": ids })),
    )
    .await?;
    Ok(out)
}

/// One procedure, through its dossier; an IP outside `LECTEURS_IP` is an audited refusal.
pub async fn lire(store_: &Store, acteur: &Acteur, id: i64, canal: Canal) -> Result<Vue> {
    let (dossier_id, lit) = {
        let mut conn = store_.read().await?;
        let p = store::get(&mut conn, acteur.dep(), id).await?;
        let lit = p.type_ != TypeProcedure::Ip
            || service_kind(&mut conn, acteur)
                .await?
                .is_some_and(|k| LECTEURS_IP.contains(&k));
        (p.dossier_id, lit)
    };
    if !lit {
        let tx = AuditedTx::begin(store_, acteur).await?;
        return Err(tx.refuse(refus_ip(acteur, id, canal)).await);
    }
    lister(store_, acteur, dossier_id, canal)
        .await?
        .into_iter()
        .find(|v| v.procedure.id == id)
        .ok_or(Error::NotFound)
}

/// What opening a procedure asks.
#[derive(Debug, Clone)]
pub struct Ouverture {
    pub type_: TypeProcedure,
    /// The référent; the acting agent when `None`.
    pub referent_id: Option<i64>,
    /// Why the référent is named beyond their RSA cap.
    pub motif_depassement: Option<String>,
    /// The cap of RSA beneficiaries per référent (`PARCOURS_RSA_PLAFOND_REFERENT`).
    pub plafond_rsa: u32,
}

/// Opens a procedure in the dossier, carried by the acting agent's team (its MDS, and the secteur of
/// the person's address) with a référent — the acting agent unless another is named. An RSA référent
/// at their cap is named only with a reason.
pub async fn ouvrir(
    store_: &Store,
    acteur: &Acteur,
    dossier_id: i64,
    o: &Ouverture,
    canal: Canal,
) -> Result<i64> {
    let (type_, referent_id) = (o.type_, o.referent_id);
    let motif = o
        .motif_depassement
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    if motif.as_ref().is_some_and(|m| m.chars().count() > 500) {
        return Err(Invalid::field("motif_depassement", "Le motif dépasse 500 caractères.").into());
    }
    let agent = acteur.agent()?;
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, ouvert) = ouvrir_dossier(tx, acteur, dossier_id, canal).await?;
    if ouvert.dossier.est_clos() {
        return Err(Error::Conflict("le dossier est clos".into()));
    }
    // IPs are centralised at the CRIP (CASF L226-3): another team transmits, the CRIP records.
    if type_ == TypeProcedure::Ip
        && service_kind(tx.conn(), acteur).await? != Some(ServiceKind::Crip)
    {
        return Err(Invalid::field(
            "type",
            "Une information préoccupante est enregistrée par la CRIP : transmettez-la à la cellule.",
        )
        .into());
    }
    let dep = acteur.dep();
    let referent = referent_id.unwrap_or(agent);
    let equipes = dossiers::current_equipes(tx.conn(), dep, dossier_id).await?;
    let site_id = dossiers::agent_site(tx.conn(), dep, referent, Some(&equipes)).await?;
    if referent != agent {
        // The référent named must belong to the acting agent's team (same service, a shared site).
        let ok = parcours_store::agents::get(tx.conn(), dep, referent)
            .await
            .ok()
            .filter(|a| {
                a.ferme_le.is_none()
                    && matches!(a.role, Role::TravailleurSocial | Role::Cadre)
                    && Some(a.service_id) == acteur.principal.service_id
            })
            .is_some()
            && site_id.is_some_and(|s| acteur.principal.site_ids.contains(&s));
        if !ok {
            return Err(
                Invalid::field("referent", "Choisissez un référent de votre équipe.").into(),
            );
        }
    }
    let charge = store::ouvertes_du_referent(tx.conn(), dep, referent, type_).await?;
    if type_ == TypeProcedure::Rsa && charge >= i64::from(o.plafond_rsa) && motif.is_none() {
        return Err(Invalid::field(
            "motif_depassement",
            format!(
                "Ce référent accompagne déjà {charge} bénéficiaires du RSA, pour un plafond de {} : indiquez le motif du dépassement, ou choisissez un autre référent.",
                o.plafond_rsa
            ),
        )
        .into());
    }
    let secteur_id = match ouvert.personne_id {
        Some(pid) => personne_secteur(tx.conn(), dep, pid).await?,
        None => None,
    };
    let today = parcours_store::clock().today();
    let id = store::create(
        tx.conn(),
        dep,
        &NewProcedure {
            dossier_id,
            type_,
            service_id: acteur.principal.service_id,
            site_id,
            secteur_id,
            referent_id: Some(referent),
            motif_depassement: motif.clone(),
            ouverte_le: today,
            created_by: Some(agent),
        },
    )
    .await?;
    tx.commit(
        acteur
            .event("creation", "procedure", id)
            .purpose(canal.purpose("ouverture d'une procédure"))
            .details(serde_json::json!({
                "dossier": dossier_id,
                "type": type_.code(),
                "referent": referent,
                "charge_du_referent": charge,
                "motif_depassement": motif,
            })),
    )
    .await?;
    Ok(id)
}

async fn personne_secteur(
    conn: &mut parcours_store::Conn,
    dep: &str,
    personne_id: i64,
) -> Result<Option<i64>> {
    Ok(parcours_store::personnes::secteur_actuel(conn, dep, personne_id).await?)
}

/// The procedure, decided through its dossier, in the use case's transaction.
/// An IP is written by the CRIP and read by the services of `LECTEURS_IP` only.
async fn ouvrir_procedure(
    tx: AuditedTx,
    acteur: &Acteur,
    id: i64,
    canal: Canal,
) -> Result<(AuditedTx, Procedure, Option<i64>)> {
    let mut tx = tx;
    let p = store::get(tx.conn(), acteur.dep(), id).await?;
    let (mut tx, ouvert) = ouvrir_dossier(tx, acteur, p.dossier_id, canal).await?;
    if p.type_ == TypeProcedure::Ip
        && service_kind(tx.conn(), acteur).await? != Some(ServiceKind::Crip)
    {
        return Err(tx.refuse(refus_ip(acteur, id, canal)).await);
    }
    Ok((tx, p, ouvert.personne_id))
}

/// Records a step: checked by `procedures::decider` against the history and the law (a French
/// message per field, nothing written), then the step and its timers in one audited transaction.
pub async fn enregistrer_etape(
    store_: &Store,
    ech: &Echeancier,
    acteur: &Acteur,
    id: i64,
    form: &EtapeForm,
    canal: Canal,
) -> Result<i64> {
    let agent = acteur.agent()?;
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, p, personne_id) = ouvrir_procedure(tx, acteur, id, canal).await?;
    if p.close_le.is_some() {
        return Err(Error::Conflict("la procédure est close".into()));
    }
    let dep = acteur.dep();
    let etapes = store::etapes(tx.conn(), dep, id).await?;
    let echeances = store::echeances(tx.conn(), dep, id).await?;
    let naissance = match personne_id {
        Some(pid) => {
            parcours_store::personnes::get(tx.conn(), dep, pid)
                .await?
                .date_naissance
        }
        None => None,
    };
    let today = parcours_store::clock().today();
    let faites = store::faites(&etapes);
    let decision = domain::decider(
        ech,
        Contexte {
            type_: p.type_,
            faites: &faites,
            echeances: &echeances,
            naissance,
        },
        form,
        today,
    )?;
    let etape_id = store::record(tx.conn(), dep, &p, &decision, Some(agent)).await?;
    tx.commit(
        acteur
            .event("etape", "procedure", id)
            .purpose(canal.purpose("suivi de la procédure"))
            .details(serde_json::json!({
                "etape": decision.etape,
                "date": decision.date.to_string(),
                "demarre": decision.demarrer.iter().map(|d| d.regle).collect::<Vec<_>>(),
                "honore": decision.honorer,
                "leve": decision.lever,
            })),
    )
    .await?;
    Ok(etape_id)
}

/// Grants the next extension the rule provides (« 5 (+5 +5) »): a recorded decision.
pub async fn prolonger(
    store_: &Store,
    ech: &Echeancier,
    acteur: &Acteur,
    procedure_id: i64,
    echeance_id: i64,
    canal: Canal,
) -> Result<Moment> {
    acteur.agent()?;
    let tx = AuditedTx::begin(store_, acteur).await?;
    let (mut tx, p, _) = ouvrir_procedure(tx, acteur, procedure_id, canal).await?;
    let dep = acteur.dep();
    let e = store::echeances(tx.conn(), dep, p.id)
        .await?
        .into_iter()
        .find(|e| e.id == echeance_id)
        .ok_or(Error::NotFound)?;
    if e.etat != Etat::Ouverte {
        return Err(Error::Conflict("l'échéance n'est plus en cours".into()));
    }
    let r = regle(&e.regle).ok_or(Error::NotFound)?;
    let nouvelle = ech
        .prolonger(r, e.echeance, e.prolongations as usize)
        .map_err(|err| {
            let mut f = FieldErrors::default();
            f.add("prolongation", err.phrase());
            Error::Invalid(f)
        })?;
    store::prolonger(tx.conn(), dep, echeance_id, nouvelle).await?;
    tx.commit(
        acteur
            .event("prolongation", "echeance", echeance_id)
            .purpose(canal.purpose("suivi de la procédure"))
            .details(serde_json::json!({ "procedure": p.id, "regle": e.regle, "echeance": nouvelle.iso() })),
    )
    .await?;
    Ok(nouvelle)
}

/// Whose due dates the agent's list shows: a social worker's own (as référent), a cadre's MDS, a
/// central team's service (the CRIP's IPs), the direction's département (counts only).
pub fn perimetre(p: &Principal) -> Result<Perimetre> {
    match p.role {
        Role::TravailleurSocial => Ok(Perimetre::Referent(
            p.agent_id.ok_or(Error::Forbidden { audited: false })?,
        )),
        Role::Cadre => Ok(Perimetre::Sites(p.site_ids.clone())),
        // A central team (the CRIP) works on the procedures its service carries, not on every
        // dossier of the département.
        Role::EquipeCentrale => p
            .service_id
            .map(Perimetre::Service)
            .ok_or(Error::Forbidden { audited: false }),
        Role::Direction => Ok(Perimetre::Departement),
        _ => Err(Error::Forbidden { audited: false }),
    }
}

/// A page of due dates.
#[derive(Debug, Clone)]
pub struct Liste {
    pub echeances: Vec<EcheanceListee>,
    pub total: i64,
}

/// The open due dates up to `jusqu_au` (late ones first) in the agent's perimeter; the read names
/// dossiers, so it is audited with the dossiers listed.
pub async fn a_traiter(
    store_: &Store,
    acteur: &Acteur,
    jusqu_au: chrono::NaiveDate,
    limit: u32,
    offset: u32,
    canal: Canal,
) -> Result<Liste> {
    let perimetre = perimetre(&acteur.principal)?;
    if acteur.principal.role == Role::Direction {
        return Err(Error::Forbidden { audited: false });
    }
    let mut tx = AuditedTx::begin(store_, acteur).await?;
    let (echeances, total) =
        store::a_traiter(tx.conn(), acteur.dep(), &perimetre, jusqu_au, limit, offset).await?;
    let dossiers: Vec<i64> = echeances.iter().map(|e| e.dossier_id).collect();
    tx.commit(
        acteur
            .event(
                "lecture",
                "echeances",
                acteur.principal.agent_id.unwrap_or(0),
            )
            .purpose(canal.purpose("échéances à traiter"))
            .details(serde_json::json!({ "dossiers": dossiers })),
    )
    .await?;
    Ok(Liste { echeances, total })
}

/// Late and due-today counts by MDS and secteur (no dossier named): the cadre's MDS, or the whole
/// département for the direction and the central team.
pub async fn retards(store_: &Store, acteur: &Acteur) -> Result<Vec<RetardsSecteur>> {
    let perimetre = match acteur.principal.role {
        Role::Cadre => Perimetre::Sites(acteur.principal.site_ids.clone()),
        Role::Direction | Role::EquipeCentrale => Perimetre::Departement,
        _ => return Err(Error::Forbidden { audited: false }),
    };
    let mut conn = store_.read().await?;
    let today = parcours_store::clock().today();
    Ok(store::retards(&mut conn, acteur.dep(), &perimetre, today).await?)
}

/// The RSA figures of an MDS (or of those without one) and of the whole perimeter.
#[derive(Debug, Clone)]
pub struct ChiffresRsa {
    pub par_mds: Vec<(
        String,
        parcours_domain::procedures::chiffres::IndicateursRsa,
    )>,
    pub total: parcours_domain::procedures::chiffres::IndicateursRsa,
    /// Every procedure's opened count and due dates met, by month, over the last 12 months.
    pub par_mois: Vec<parcours_store::procedures::MoisProcedure>,
}

/// The RSA figures of the cadre's MDS, or of the département for the direction and the central team
/// (counts and delays, no person named).
pub async fn chiffres_rsa(
    store_: &Store,
    ech: &Echeancier,
    acteur: &Acteur,
) -> Result<ChiffresRsa> {
    use parcours_domain::procedures::chiffres::indicateurs_rsa;
    let perimetre = match acteur.principal.role {
        Role::Cadre => Perimetre::Sites(acteur.principal.site_ids.clone()),
        Role::Direction | Role::EquipeCentrale => Perimetre::Departement,
        _ => return Err(Error::Forbidden { audited: false }),
    };
    let mut conn = store_.read().await?;
    let dep = acteur.dep();
    let par = store::parcours_rsa(&mut conn, dep, &perimetre).await?;
    let noms: std::collections::BTreeMap<i64, String> =
        parcours_store::referentiel::sites(&mut conn, dep)
            .await?
            .into_iter()
            .map(|s| (s.id, s.nom))
            .collect();
    let tous: Vec<_> = par.values().flatten().cloned().collect();
    let mut par_mds: Vec<_> = par
        .iter()
        .map(|(site, p)| {
            let nom = site
                .and_then(|s| noms.get(&s).cloned())
                .unwrap_or_else(|| "Sans MDS (service central)".into());
            (nom, indicateurs_rsa(ech, p))
        })
        .collect();
    par_mds.sort_by(|a, b| a.0.cmp(&b.0));
    let today = parcours_store::clock().today();
    let depuis = chrono::Datelike::with_day(&today, 1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
        .unwrap_or(today);
    let par_mois = store::par_mois(&mut conn, dep, &perimetre, depuis, today).await?;
    Ok(ChiffresRsa {
        par_mds,
        total: indicateurs_rsa(ech, &tous),
        par_mois,
    })
}
