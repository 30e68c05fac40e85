//! The figures of the desk on a small hand-made dataset, on SQLite by default and on PostgreSQL with
//! `PARCOURS_TEST_BACKEND=postgres`: counts per typology, share answered at the desk, appui technique,
//! delays (median, mean, across a year boundary), no-show rate, appointments per agent; the period,
//! the sites and the département filter what is counted.

use chrono::NaiveDateTime;
use parcours_domain::accueil::{Canal, Lieu, NewContact, Reponse, Typologie};
use parcours_domain::agenda::{heure, TypeRdv};
use parcours_domain::habilitations::Role;
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_store::chiffres::{self, Filtre, Mois};
use parcours_store::{accueil, personnes, Store};
use parcours_test_support::{Fixture, TestDb};

fn at(s: &str) -> NaiveDateTime {
    heure::parse(s).expect("heure civile")
}

fn mois(s: &str) -> Mois {
    Mois::parse(s).expect("mois")
}

async fn contact(
    store: &Store,
    dep: &str,
    site: i64,
    lieu: Lieu,
    moment: &str,
    typologie: Typologie,
    reponse: Reponse,
) {
    let c = NewContact {
        canal: Canal::Visite,
        moment: at(moment),
        lieu,
        personne_id: None,
        typologie,
        reponse,
        partenaire: (reponse == Reponse::Orientation).then(|| "CPAM".to_string()),
        attente_minutes: Some(5),
        motif_appui: None,
        motif_id: None,
    };
    let mut tx = store.begin().await.unwrap();
    accueil::create(&mut tx, dep, &c, site, None).await.unwrap();
    tx.commit().await.unwrap();
}

#[allow(clippy::too_many_arguments)]
async fn rdv(
    store: &Store,
    personne: i64,
    agent: i64,
    site: i64,
    type_rdv: TypeRdv,
    statut: &str,
    debut: &str,
    demande: &str,
) {
    let fin = heure::format(at(debut) + chrono::Duration::minutes(45));
    let mut tx = store.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO rendez_vous (departement_id, personne_id, agent_id, type, statut, debut, fin, nature, site_id, \
         demande_le, created_at, updated_at) VALUES ('96', $1, $2, $3, $4, $5, $6, 'rendez_vous', $7, $8, $9, $9)",
    )
    .bind(personne)
    .bind(agent)
    .bind(type_rdv.code())
    .bind(statut)
    .bind(debut)
    .bind(&fin)
    .bind(site)
    .bind(demande)
    .bind(parcours_store::now())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The dataset of the module's doc: contacts at MDS-A (one at its permanence), at MDS-B, one in March
/// (outside the period) and one in département 95; eight appointments with every status.
async fn seed(db: &TestDb) -> Fixture {
    let store = db.store();
    let fx = Fixture::seed(store).await;
    let other = Fixture::seed_other(store).await;
    let (a, b) = (fx.site_a, fx.site_b);
    use Reponse as R;
    use Typologie as T;
    for (site, lieu, moment, t, r) in [
        (
            a,
            Lieu::Site(a),
            "2025-01-06T09:00",
            T::Financier,
            R::Information,
        ),
        (
            a,
            Lieu::Site(a),
            "2025-01-06T10:00",
            T::Financier,
            R::RendezVous,
        ),
        (
            a,
            Lieu::Site(a),
            "2025-01-07T11:00",
            T::Logement,
            R::AideAdministrative,
        ),
        (
            a,
            Lieu::Site(a),
            "2025-01-31T16:59",
            T::AccesDroits,
            R::AppuiTechnique,
        ),
        (
            a,
            Lieu::Permanence(fx.permanence),
            "2025-01-14T10:00",
            T::Sante,
            R::Orientation,
        ),
        (b, Lieu::Site(b), "2025-01-08T09:30", T::Autre, R::Urgence),
        (
            b,
            Lieu::Site(b),
            "2025-01-09T09:30",
            T::FamilleEnfance,
            R::Information,
        ),
        (
            a,
            Lieu::Site(a),
            "2025-02-03T09:00",
            T::Administratif,
            R::AideAdministrative,
        ),
        (
            a,
            Lieu::Site(a),
            "2025-03-01T00:00",
            T::Financier,
            R::Information,
        ),
        (
            a,
            Lieu::Site(a),
            "2024-12-31T23:59",
            T::Financier,
            R::Information,
        ),
    ] {
        contact(store, "96", site, lieu, moment, t, r).await;
    }
    contact(
        store,
        "95",
        other.site,
        Lieu::Site(other.site),
        "2025-01-10T09:00",
        T::Financier,
        R::Information,
    )
    .await;

    let p = NewPersonne::parse(
        &PersonneForm {
            nom_naissance: "Morel".into(),
            prenoms: "Jean".into(),
            ..PersonneForm::default()
        },
        parcours_store::clock().today(),
    )
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    let personne = personnes::create(&mut tx, "96", &p).await.unwrap();
    tx.commit().await.unwrap();
    let ts = fx.agent(Role::TravailleurSocial);
    let cadre = fx.agent(Role::Cadre);
    use TypeRdv as K;
    for (agent, site, k, statut, debut, demande) in [
        (ts, a, K::Suivi, "honore", "2025-01-10T09:00", "2025-01-01"),
        (ts, a, K::Suivi, "absent", "2025-01-15T09:00", "2025-01-05"),
        (
            ts,
            a,
            K::PremierAccueil,
            "excuse",
            "2025-01-20T09:00",
            "2025-01-18",
        ),
        (
            ts,
            a,
            K::PremierAccueil,
            "annule",
            "2025-01-21T09:00",
            "2025-01-01",
        ),
        (ts, a, K::Suivi, "prevu", "2025-02-20T09:00", "2025-02-01"),
        (ts, a, K::Rsa, "prevu", "2025-02-03T09:00", "2025-01-30"),
        (
            cadre,
            a,
            K::Suivi,
            "absent",
            "2025-02-10T14:00",
            "2025-01-31",
        ),
        (ts, b, K::Suivi, "honore", "2025-01-12T10:00", "2024-12-20"),
        (ts, a, K::Suivi, "honore", "2025-03-03T10:00", "2025-02-20"),
    ] {
        rdv(store, personne, agent, site, k, statut, debut, demande).await;
    }
    fx
}

/// Site, agent, appointments per month, total.
type AgentLigne = (i64, i64, Vec<(Mois, i64)>, i64);

fn filtre(sites: Option<Vec<i64>>, du: &str, au: &str) -> Filtre {
    Filtre {
        sites,
        du: mois(du),
        au: mois(au),
        maintenant: at("2025-02-15T12:00"),
    }
}

fn typo(l: &chiffres::Ligne, t: Typologie) -> i64 {
    l.par_typologie[Typologie::ALL.iter().position(|x| *x == t).unwrap()]
}

#[tokio::test]
async fn figures_per_month_and_site_are_exact() {
    let db = TestDb::new().await;
    let fx = seed(&db).await;
    let (a, b) = (fx.site_a, fx.site_b);
    let mut conn = db.store().read().await.unwrap();
    let ch = chiffres::calculer(&mut conn, "96", &filtre(None, "2025-01", "2025-02"))
        .await
        .unwrap();
    let (jan, feb) = (mois("2025-01"), mois("2025-02"));
    assert_eq!(ch.mois, vec![jan, feb]);

    // MDS-A in January: four contacts at the site and one at its permanence.
    let l = ch.ligne(jan, a).unwrap();
    assert_eq!(l.contacts, 5);
    assert_eq!(typo(l, Typologie::Financier), 2);
    assert_eq!(typo(l, Typologie::Logement), 1);
    assert_eq!(typo(l, Typologie::AccesDroits), 1);
    assert_eq!(typo(l, Typologie::Sante), 1);
    assert_eq!(l.par_typologie.iter().sum::<i64>(), 5);
    assert_eq!(l.au_guichet, 2);
    assert_eq!(l.part_au_guichet(), Some(0.4));
    assert_eq!(l.appuis_techniques, 1);
    // Appointments: the cancelled one is left out; delays 9, 10 and 2 days.
    assert_eq!(l.rendez_vous, 3);
    assert_eq!((l.rdv_echus, l.absents), (3, 1));
    assert_eq!(l.delais.mediane(), Some(9.0));
    assert_eq!(l.delais.moyenne(), Some(7.0));

    // February at MDS-A: one appointment after « now », one past but still « prévu »: only the
    // cadre's missed appointment has a final status.
    let l = ch.ligne(feb, a).unwrap();
    assert_eq!((l.contacts, l.au_guichet), (1, 1));
    assert_eq!((l.rendez_vous, l.rdv_echus, l.absents), (3, 1, 1));
    assert_eq!(l.taux_absence(), Some(1.0));
    assert_eq!(l.delais.mediane(), Some(10.0));
    assert_eq!(l.delais.moyenne(), Some(11.0));

    // MDS-B in January: a delay across the new year (20 December → 12 January).
    let l = ch.ligne(jan, b).unwrap();
    assert_eq!((l.contacts, l.au_guichet, l.appuis_techniques), (2, 1, 0));
    assert_eq!(l.delais.mediane(), Some(23.0));
    assert!(ch.ligne(feb, b).is_none());

    // The whole period: département 95, December and March are not counted.
    let t = &ch.total;
    assert_eq!(t.contacts, 8);
    assert_eq!(t.au_guichet, 4);
    assert_eq!(t.part_au_guichet(), Some(0.5));
    assert_eq!(t.appuis_techniques, 1);
    assert_eq!(t.rendez_vous, 7);
    assert_eq!((t.rdv_echus, t.absents), (5, 2));
    assert_eq!(t.taux_absence(), Some(0.4));
    // Delays 2, 4, 9, 10, 10, 19, 23.
    assert_eq!(t.delais.nombre(), 7);
    assert_eq!(t.delais.mediane(), Some(10.0));
    assert_eq!(t.delais.moyenne(), Some(11.0));
    assert_eq!(ch.par_mois[&jan].contacts, 7);
    assert_eq!(ch.par_mois[&feb].rendez_vous, 3);
    assert_eq!(ch.par_site[&a].contacts, 6);
    assert_eq!(ch.par_site[&b].rendez_vous, 1);

    // Delay per kind of appointment.
    let par_type: Vec<(TypeRdv, i64, Option<f64>, Option<f64>)> = ch
        .delais_par_type
        .iter()
        .map(|(k, d)| (*k, d.nombre(), d.mediane(), d.moyenne()))
        .collect();
    assert_eq!(
        par_type,
        vec![
            (TypeRdv::PremierAccueil, 1, Some(2.0), Some(2.0)),
            (TypeRdv::Suivi, 5, Some(10.0), Some(14.2)),
            (TypeRdv::Rsa, 1, Some(4.0), Some(4.0)),
        ]
    );

    // Appointments per agent, per site and month.
    let agents: Vec<AgentLigne> = ch
        .agents
        .iter()
        .map(|x| {
            (
                x.site_id,
                x.agent_id,
                x.par_mois.iter().map(|(m, n)| (*m, *n)).collect(),
                x.total,
            )
        })
        .collect();
    let ts = fx.agent(Role::TravailleurSocial);
    let cadre = fx.agent(Role::Cadre);
    let mut expected = vec![
        (a, ts, vec![(jan, 3), (feb, 2)], 5),
        (a, cadre, vec![(feb, 1)], 1),
        (b, ts, vec![(jan, 1)], 1),
    ];
    // Sorted by site then name: « Agent Cadre » before « Agent Travailleur social ».
    expected.sort_by_key(|(s, ag, _, _)| (*s, *ag != cadre));
    assert_eq!(agents, expected);
}

#[tokio::test]
async fn the_sites_and_the_period_filter_what_is_counted() {
    let db = TestDb::new().await;
    let fx = seed(&db).await;
    let mut conn = db.store().read().await.unwrap();
    let ch = chiffres::calculer(
        &mut conn,
        "96",
        &filtre(Some(vec![fx.site_b]), "2025-01", "2025-02"),
    )
    .await
    .unwrap();
    assert_eq!(ch.total.contacts, 2);
    assert_eq!(ch.total.rendez_vous, 1);
    assert_eq!(ch.agents.len(), 1);
    assert!(ch.par_site.keys().all(|s| *s == fx.site_b));

    // A month without data is still in the period, empty; the bounds are exact to the minute.
    let ch = chiffres::calculer(&mut conn, "96", &filtre(None, "2024-12", "2024-12"))
        .await
        .unwrap();
    assert_eq!(ch.mois, vec![mois("2024-12")]);
    assert_eq!(ch.total.contacts, 1);
    assert_eq!(ch.total.rendez_vous, 0);
    assert_eq!(ch.total.part_au_guichet(), Some(1.0));
    assert_eq!(ch.total.taux_absence(), None);
    assert_eq!(ch.total.delais.mediane(), None);

    // An empty scope counts nothing; another département sees only its own contact.
    let ch = chiffres::calculer(&mut conn, "96", &filtre(Some(vec![]), "2025-01", "2025-03"))
        .await
        .unwrap();
    assert_eq!((ch.total.contacts, ch.total.rendez_vous), (0, 0));
    assert_eq!(ch.par_mois.len(), 3);
    let ch = chiffres::calculer(&mut conn, "95", &filtre(None, "2025-01", "2025-03"))
        .await
        .unwrap();
    assert_eq!((ch.total.contacts, ch.total.rendez_vous), (1, 0));
}
