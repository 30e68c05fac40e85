//! Agendas: a booking lands only inside a plage, two desks booking the same agent at the same time get
//! one appointment and one refusal (the agenda row serialises them), the first free slot skips what is
//! taken, a session never takes more people than its places, and nothing leaks across départements.

use chrono::{Duration, NaiveDateTime};
use parcours_domain::agenda::{
    heure, NaturePlage, NewPlage, NewRendezVous, RendezVousForm, TypeRdv,
};
use parcours_domain::habilitations::Role;
use parcours_domain::personnes::{NewPersonne, PersonneForm};
use parcours_store::agenda::{self, Cible, Reservation, ReservationError};
use parcours_store::{personnes, Store};
use parcours_test_support::{Fixture, TestDb};

async fn personne(store: &Store, nom: &str) -> i64 {
    let p = NewPersonne::parse(
        &PersonneForm {
            nom_naissance: nom.into(),
            prenoms: "Léa".into(),
            ..PersonneForm::default()
        },
        parcours_store::clock().today(),
    )
    .expect("personne valide");
    let mut tx = store.begin().await.unwrap();
    let id = personnes::create(&mut tx, "96", &p).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn toute_la_semaine(store: &Store, fx: &Fixture) -> i64 {
    let ts = fx.agent(Role::TravailleurSocial);
    let mut tx = store.begin().await.unwrap();
    for jour in 1..=7 {
        let p = NewPlage {
            jour,
            debut: 8 * 60,
            fin: 20 * 60,
            nature: NaturePlage::RendezVous,
            site_id: fx.site_a,
            permanence_id: None,
        };
        agenda::plage_create(&mut tx, "96", ts, &p).await.unwrap();
    }
    tx.commit().await.unwrap();
    ts
}

fn demain_a(h: &str) -> NaiveDateTime {
    let d = parcours_store::clock().today() + Duration::days(1);
    heure::parse(&format!("{d}T{h}")).unwrap()
}

fn rdv(personne: i64, agent: i64, at: NaiveDateTime) -> NewRendezVous {
    NewRendezVous::parse(
        &RendezVousForm {
            personne_id: personne.to_string(),
            agent_id: agent.to_string(),
            type_rdv: "suivi".into(),
            date: at.date().to_string(),
            heure: at.format("%H:%M").to_string(),
            ..Default::default()
        },
        parcours_store::clock().maintenant(),
    )
    .expect("réservation valide")
}

#[tokio::test]
async fn two_desks_booking_the_same_agent_at_once_get_one_appointment() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let ts = toute_la_semaine(db.store(), &fx).await;
    let (a, b) = (
        personne(db.store(), "AUBERT").await,
        personne(db.store(), "BLANC").await,
    );
    let at = demain_a("10:00");
    let book = |p: i64, at: NaiveDateTime| {
        let store = db.store().clone();
        async move {
            let r = rdv(p, ts, at);
            let mut tx = store.begin().await.unwrap();
            let out = agenda::reserver(&mut tx, "96", Reservation { rdv: &r, by: None }).await;
            if out.is_ok() {
                tx.commit().await.unwrap();
            }
            out
        }
    };
    let (x, y) = tokio::join!(book(a, at), book(b, at + Duration::minutes(15)));
    let refused = [&x, &y]
        .iter()
        .filter(|r| matches!(r, Err(ReservationError::Regle(_))))
        .count();
    assert_eq!(refused, 1, "{x:?} {y:?}");
    assert_eq!([&x, &y].iter().filter(|r| r.is_ok()).count(), 1);

    // The first free slot comes after the appointment (45 minutes from 10:00 or 10:15).
    let mut c = db.store().read().await.unwrap();
    let s = agenda::creneaux(
        &mut c,
        "96",
        Cible::Secteur(fx.secteur_a),
        TypeRdv::Suivi,
        45,
        demain_a("09:30"),
        10,
        1,
    )
    .await
    .unwrap();
    assert_eq!(s.len(), 1);
    assert!(
        s[0].debut == demain_a("10:45")
            || s[0].debut == demain_a("11:00")
            || s[0].debut == demain_a("09:30"),
        "{s:?}"
    );
    // Whichever desk won, the slot offered does not overlap the appointment it booked.
    let pris = if x.is_ok() {
        at
    } else {
        at + Duration::minutes(15)
    };
    assert!(
        s[0].debut + Duration::minutes(45) <= pris || s[0].debut >= pris + Duration::minutes(45),
        "{s:?} {pris}"
    );
    // Secteur B has no agenda: nothing to offer, and never the agents of A.
    assert!(agenda::creneaux(
        &mut c,
        "96",
        Cible::Secteur(fx.secteur_b),
        TypeRdv::Suivi,
        45,
        demain_a("09:30"),
        10,
        1
    )
    .await
    .unwrap()
    .is_empty());
    assert!(agenda::creneaux(
        &mut c,
        "95",
        Cible::Secteur(fx.secteur_a),
        TypeRdv::Suivi,
        45,
        demain_a("09:30"),
        10,
        1
    )
    .await
    .unwrap()
    .is_empty());
}

#[tokio::test]
async fn a_session_never_takes_more_people_than_its_places() {
    let db = TestDb::new().await;
    let fx = Fixture::seed(db.store()).await;
    let people = [
        personne(db.store(), "AUBERT").await,
        personne(db.store(), "BLANC").await,
        personne(db.store(), "COLIN").await,
    ];
    let s = parcours_domain::agenda::NewSession {
        titre: "Atelier".into(),
        site_id: fx.site_a,
        salle_id: None,
        animateur_id: fx.agent(Role::Cadre),
        debut: demain_a("14:00"),
        fin: demain_a("16:00"),
        capacite: 2,
    };
    let mut tx = db.store().begin().await.unwrap();
    let id = agenda::session_create(&mut tx, "96", &s, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let register = |p: i64| {
        let store = db.store().clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let out = agenda::session_inscrire(&mut tx, "96", id, p).await;
            if out.is_ok() {
                tx.commit().await.unwrap();
            }
            out.is_ok()
        }
    };
    let (a, b, c) = tokio::join!(
        register(people[0]),
        register(people[1]),
        register(people[2])
    );
    assert_eq!([a, b, c].iter().filter(|x| **x).count(), 2);
    let mut conn = db.store().read().await.unwrap();
    let got = agenda::session_get(&mut conn, "96", id).await.unwrap();
    assert_eq!(got.inscrits, 2);
    assert_eq!(
        agenda::participants(&mut conn, "96", id)
            .await
            .unwrap()
            .len(),
        2
    );
}
