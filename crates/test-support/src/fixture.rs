//! A small seeded département ("96") with one agent per role, and a second one ("95") for the tests
//! of tenant isolation.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use parcours_domain::habilitations::Role;
use parcours_domain::referentiel::{
    NewAgent, NewPermanence, NewSecteur, NewService, NewSite, NewTerritoire, ServiceKind, SiteKind,
    TerritoireKind,
};
use parcours_store::{agents, departements, referentiel, Store};

/// The password of every fixture agent (it passes the ANSSI rules of `password::check`).
pub const PASSWORD: &str = "Ourson-Vert-42-Lune";

/// The communes of département 96: INSEE, name, postcode, population, index of the secteur
/// (0 = secteur of MDS-A, 1 = secteur of MDS-B, `None` = not attached). 96001 and 96002 share a
/// postcode, so that resolution by postcode needs the name.
pub const COMMUNES: &[(&str, &str, &str, i64, Option<usize>)] = &[
    ("96001", "Aubier", "96100", 1200, Some(0)),
    ("96002", "Saint-Éloi-la-Forêt", "96100", 800, Some(0)),
    ("96003", "Brielle", "96200", 2500, Some(1)),
    ("96004", "Civrac", "96300", 400, Some(1)),
    ("96005", "Orval", "96400", 150, None),
];

/// Argon2 costs about 100 ms per hash: one hash per test process, shared by every agent.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        parcours_domain::habilitations::password::hash(PASSWORD).expect("hachage du mot de passe")
    })
}

/// What `Fixture::seed` created in département 96, by id.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub departement: String,
    /// One service per `ServiceKind`.
    pub services: BTreeMap<&'static str, i64>,
    pub territoire_a: i64,
    pub territoire_b: i64,
    pub site_a: i64,
    pub site_b: i64,
    /// The secteur of MDS-A (communes 96001 and 96002).
    pub secteur_a: i64,
    /// The secteur of MDS-B (communes 96003 and 96004).
    pub secteur_b: i64,
    /// The permanence of MDS-A, in commune 96002.
    pub permanence: i64,
    agents: BTreeMap<Role, (i64, String)>,
}

impl Fixture {
    /// Seeds département 96 in one transaction; panics on failure (test setup).
    pub async fn seed(store: &Store) -> Fixture {
        match Self::try_seed(store).await {
            Ok(f) => f,
            Err(e) => panic!("jeu d'essai 96 impossible à créer : {e:#}"),
        }
    }

    async fn try_seed(store: &Store) -> anyhow::Result<Fixture> {
        let dep = "96";
        let mut tx = store.begin().await?;
        departements::create(&mut tx, dep, "Département de test").await?;
        let mut services = BTreeMap::new();
        for kind in ServiceKind::ALL {
            let id = referentiel::service_create(
                &mut tx,
                dep,
                &NewService {
                    code: kind.code().into(),
                    nom: kind.libelle().into(),
                    kind,
                },
            )
            .await?;
            services.insert(kind.code(), id);
        }
        let territoire = |code: &'static str, nom: &'static str| NewTerritoire {
            code: code.into(),
            nom: nom.into(),
            kind: TerritoireKind::Utasi,
        };
        let territoire_a =
            referentiel::territoire_create(&mut tx, dep, &territoire("UT-NORD", "UTASI Nord"))
                .await?;
        let territoire_b =
            referentiel::territoire_create(&mut tx, dep, &territoire("UT-SUD", "UTASI Sud"))
                .await?;
        let site = |territoire_id: i64, code: &str, nom: &str| NewSite {
            territoire_id,
            code: code.into(),
            nom: nom.into(),
            kind: SiteKind::Mds,
            adresse: format!("1 place de la Mairie, {nom}"),
            commune_insee: None,
        };
        let site_a =
            referentiel::site_create(&mut tx, dep, &site(territoire_a, "MDS-A", "MDS d'Aubier"))
                .await?;
        let site_b =
            referentiel::site_create(&mut tx, dep, &site(territoire_b, "MDS-B", "MDS de Brielle"))
                .await?;
        let secteur_a = referentiel::secteur_create(
            &mut tx,
            dep,
            &NewSecteur {
                site_id: site_a,
                code: "SEC-A1".into(),
                nom: "Aubier et environs".into(),
            },
        )
        .await?;
        let secteur_b = referentiel::secteur_create(
            &mut tx,
            dep,
            &NewSecteur {
                site_id: site_b,
                code: "SEC-B1".into(),
                nom: "Brielle et environs".into(),
            },
        )
        .await?;
        let secteurs = [secteur_a, secteur_b];
        for (insee, nom, cp, population, secteur) in COMMUNES {
            referentiel::commune_upsert(
                &mut tx,
                dep,
                insee,
                nom,
                &[cp.to_string()],
                *population,
                secteur.map(|i| secteurs[i]),
            )
            .await?;
        }
        let permanence = referentiel::permanence_create(
            &mut tx,
            dep,
            &NewPermanence {
                site_id: site_a,
                commune_insee: "96002".into(),
                nom: "Permanence de Saint-Éloi".into(),
                adresse: "Mairie, 96100 Saint-Éloi-la-Forêt".into(),
                horaires: "mardi 9h-12h".into(),
            },
        )
        .await?;
        let mut agents_by_role = BTreeMap::new();
        for (i, role) in Role::ALL.into_iter().enumerate() {
            let (metier, service, territorial) = match role {
                Role::Accueil => ("ACC", ServiceKind::ServiceSocial, true),
                Role::TravailleurSocial => ("ASS", ServiceKind::ServiceSocial, true),
                Role::Cadre => ("CADRE", ServiceKind::ServiceSocial, true),
                Role::EquipeCentrale => ("ADM", ServiceKind::Crip, false),
                Role::Administrateur | Role::Direction | Role::Dpo => {
                    ("ADM", ServiceKind::Central, false)
                }
            };
            let email = format!("{}@cd96.test", role.code().replace('_', "."));
            let id = agents::create(
                &mut tx,
                dep,
                &NewAgent {
                    matricule: format!("T{:04}", i + 1),
                    prenom: "Agent".into(),
                    nom: role.libelle().into(),
                    email: email.clone(),
                    metier: metier.into(),
                    role,
                    service_id: services[service.code()],
                    site_id: territorial.then_some(site_a),
                    secteur_id: (role == Role::TravailleurSocial).then_some(secteur_a),
                    etp_centiemes: 100,
                    pool_remplacement: false,
                },
            )
            .await?;
            agents::set_password(&mut tx, dep, id, password_hash()).await?;
            agents_by_role.insert(role, (id, email));
        }
        tx.commit().await?;
        Ok(Fixture {
            departement: dep.into(),
            services,
            territoire_a,
            territoire_b,
            site_a,
            site_b,
            secteur_a,
            secteur_b,
            permanence,
            agents: agents_by_role,
        })
    }

    /// The id of the agent holding `role` (one per role).
    pub fn agent(&self, role: Role) -> i64 {
        self.agents[&role].0
    }

    /// The e-mail (sign-in login) of the agent holding `role`.
    pub fn email(&self, role: Role) -> &str {
        &self.agents[&role].1
    }

    /// The id of the service of kind `kind`.
    pub fn service(&self, kind: ServiceKind) -> i64 {
        self.services[kind.code()]
    }

    /// Adds the staff of MDS-B in the same Service social départemental as MDS-A's: an agent
    /// d'accueil, a travailleur social (secteur of MDS-B) and a cadre. The service spans the
    /// département; the secret partagé must still keep each MDS to the dossiers its team follows.
    pub async fn seed_mds_b(&self, store: &Store) -> AgentsB {
        match self.try_seed_mds_b(store).await {
            Ok(a) => a,
            Err(e) => panic!("agents de la MDS-B impossibles à créer : {e:#}"),
        }
    }

    async fn try_seed_mds_b(&self, store: &Store) -> anyhow::Result<AgentsB> {
        let mut tx = store.begin().await?;
        let mut agents_b = BTreeMap::new();
        for (i, (role, metier)) in [
            (Role::Accueil, "ACC"),
            (Role::TravailleurSocial, "ASS"),
            (Role::Cadre, "CADRE"),
        ]
        .into_iter()
        .enumerate()
        {
            let email = format!("{}.b@cd96.test", role.code().replace('_', "."));
            let id = agents::create(
                &mut tx,
                &self.departement,
                &NewAgent {
                    matricule: format!("B{:04}", i + 1),
                    prenom: "Collègue".into(),
                    nom: format!("{} MDS-B", role.libelle()),
                    email: email.clone(),
                    metier: metier.into(),
                    role,
                    service_id: self.service(ServiceKind::ServiceSocial),
                    site_id: Some(self.site_b),
                    secteur_id: (role == Role::TravailleurSocial).then_some(self.secteur_b),
                    etp_centiemes: 100,
                    pool_remplacement: false,
                },
            )
            .await?;
            agents::set_password(&mut tx, &self.departement, id, password_hash()).await?;
            agents_b.insert(role, (id, email));
        }
        tx.commit().await?;
        Ok(AgentsB { agents: agents_b })
    }

    /// An educator of the ASE at MDS-A (a social worker of another service than the fixture's):
    /// returns (id, e-mail).
    pub async fn seed_educateur_ase(&self, store: &Store) -> (i64, String) {
        let email = "educateur.ase@cd96.test".to_string();
        let mut tx = store.begin().await.expect("transaction");
        let id = agents::create(
            &mut tx,
            &self.departement,
            &NewAgent {
                matricule: "E0001".into(),
                prenom: "Éducatrice".into(),
                nom: "ASE MDS-A".into(),
                email: email.clone(),
                metier: "EDUC".into(),
                role: Role::TravailleurSocial,
                service_id: self.service(ServiceKind::Ase),
                site_id: Some(self.site_a),
                secteur_id: None,
                etp_centiemes: 100,
                pool_remplacement: false,
            },
        )
        .await
        .expect("éducatrice ASE");
        agents::set_password(&mut tx, &self.departement, id, password_hash())
            .await
            .expect("mot de passe");
        tx.commit().await.expect("commit");
        (id, email)
    }

    /// Seeds département 95 beside 96 (see [`OtherFixture`]).
    pub async fn seed_other(store: &Store) -> OtherFixture {
        match OtherFixture::try_seed(store).await {
            Ok(f) => f,
            Err(e) => panic!("jeu d'essai 95 impossible à créer : {e:#}"),
        }
    }
}

/// The staff of MDS-B created by [`Fixture::seed_mds_b`] (accueil, travailleur social, cadre).
#[derive(Debug, Clone)]
pub struct AgentsB {
    agents: BTreeMap<Role, (i64, String)>,
}

impl AgentsB {
    /// The id of the MDS-B agent holding `role` (accueil, travailleur social or cadre).
    pub fn agent(&self, role: Role) -> i64 {
        self.agents[&role].0
    }

    /// The e-mail (sign-in login) of the MDS-B agent holding `role`.
    pub fn email(&self, role: Role) -> &str {
        &self.agents[&role].1
    }
}

/// Département 95: one territoire, one site, one secteur, one commune (95001), one service, one
/// administrator — enough to show that its data never leaks into 96.
#[derive(Debug, Clone)]
pub struct OtherFixture {
    pub departement: String,
    pub service: i64,
    pub territoire: i64,
    pub site: i64,
    pub secteur: i64,
    pub admin: i64,
    pub admin_email: String,
}

impl OtherFixture {
    async fn try_seed(store: &Store) -> anyhow::Result<OtherFixture> {
        let dep = "95";
        let mut tx = store.begin().await?;
        departements::create(&mut tx, dep, "Autre département").await?;
        let service = referentiel::service_create(
            &mut tx,
            dep,
            &NewService {
                code: "CENTRAL".into(),
                nom: "Services centraux 95".into(),
                kind: ServiceKind::Central,
            },
        )
        .await?;
        let territoire = referentiel::territoire_create(
            &mut tx,
            dep,
            &NewTerritoire {
                code: "UT-95".into(),
                nom: "UTASI 95".into(),
                kind: TerritoireKind::Utasi,
            },
        )
        .await?;
        // Same site code as in 96 on purpose: codes are unique per département only.
        let site = referentiel::site_create(
            &mut tx,
            dep,
            &NewSite {
                territoire_id: territoire,
                code: "MDS-A".into(),
                nom: "MDS du 95".into(),
                kind: SiteKind::Mds,
                adresse: "2 rue des Écoles, 95100 Ailleurs".into(),
                commune_insee: None,
            },
        )
        .await?;
        let secteur = referentiel::secteur_create(
            &mut tx,
            dep,
            &NewSecteur {
                site_id: site,
                code: "SEC-95".into(),
                nom: "Secteur 95".into(),
            },
        )
        .await?;
        referentiel::commune_upsert(
            &mut tx,
            dep,
            "95001",
            "Ailleurs",
            &["95100".into()],
            3000,
            Some(secteur),
        )
        .await?;
        let admin_email = "administrateur@cd95.test".to_string();
        let admin = agents::create(
            &mut tx,
            dep,
            &NewAgent {
                matricule: "T0001".into(),
                prenom: "Admin".into(),
                nom: "Du 95".into(),
                email: admin_email.clone(),
                metier: "ADM".into(),
                role: Role::Administrateur,
                service_id: service,
                site_id: None,
                secteur_id: None,
                etp_centiemes: 100,
                pool_remplacement: false,
            },
        )
        .await?;
        agents::set_password(&mut tx, dep, admin, password_hash()).await?;
        tx.commit().await?;
        Ok(OtherFixture {
            departement: dep.into(),
            service,
            territoire,
            site,
            secteur,
            admin,
            admin_email,
        })
    }
}
