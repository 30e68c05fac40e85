//! The `parcours` binary as an operator uses it: a wrong setting stops start-up naming the variable;
//! `audit verify` names the first tampered entry; a killed server loses no committed write.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_parcours");

fn parcours(db: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PARCOURS_DATABASE_URL", db)
        .env("PARCOURS_COOKIE_SECURE", "non");
    c
}

fn create_admin(db: &str, email: &str, matricule: &str) {
    let mut child = parcours(db)
        .args([
            "agent",
            "create",
            "--departement",
            "96",
            "--email",
            email,
            "--prenom",
            "Alix",
            "--nom",
            "Test",
            "--matricule",
            matricule,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Rivage-Clair-77!\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Rewrites the database under the application, as an attacker with the owner's rights would: the
/// triggers that refuse UPDATE and DELETE on the audit log are dropped first.
async fn tamper(db: &str, sql: &str) {
    let store = parcours_store::Store::connect(db).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for drop in parcours_test_support::attaque::sql_lever_la_garde(store.backend()) {
        parcours_store::raw_execute(&mut tx, drop).await.unwrap();
    }
    parcours_store::raw_execute(&mut tx, sql).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
}

#[test]
fn a_wrong_setting_stops_start_up_and_names_the_variable() {
    let out = parcours("sqlite://inutile.db")
        .env("PARCOURS_LISTEN", "partout")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PARCOURS_LISTEN") && err.contains("invalide"),
        "{err}"
    );
}

#[tokio::test]
async fn audit_verify_names_a_modified_a_deleted_and_an_inserted_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    for i in 1..=3 {
        create_admin(&db, &format!("admin{i}@cd96.test"), &format!("M{i}"));
    }
    let ok = parcours(&db).args(["audit", "verify"]).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intègre"));

    // A copy of the database with its write-ahead log (committed writes may still be there).
    let copy = |name: &str| {
        let p = dir.path().join(name);
        std::fs::copy(dir.path().join("p.db"), &p).unwrap();
        if dir.path().join("p.db-wal").exists() {
            std::fs::copy(
                dir.path().join("p.db-wal"),
                dir.path().join(format!("{name}-wal")),
            )
            .unwrap();
        }
        format!("sqlite://{}", p.display())
    };
    let modified = copy("modifie.db");
    tamper(
        &modified,
        "UPDATE audit_log SET record_id = '999' WHERE seq = 2",
    )
    .await;
    let out = parcours(&modified)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("entrée n° 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let deleted = copy("supprime.db");
    tamper(&deleted, "DELETE FROM audit_log WHERE seq = 2").await;
    let out = parcours(&deleted)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("n° 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let inserted = copy("insere.db");
    // Make room for a forged entry n° 2 (in two steps: the key is checked row by row).
    tamper(
        &inserted,
        "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 2",
    )
    .await;
    tamper(
        &inserted,
        "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000",
    )
    .await;
    tamper(
        &inserted,
        "INSERT INTO audit_log (departement_id, seq, at, action, record_type, record_id, details, prev_hash, hash) \
         SELECT departement_id, 2, at, 'lecture', 'agent', '1', '{}', hash, hash FROM audit_log WHERE seq = 1",
    )
    .await;
    let out = parcours(&inserted)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("entrée n° 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn audit_verify_catches_through_its_checkpoint_a_log_rewritten_after_dropping_the_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let jalons = dir.path().join("jalons");
    let cle = dir.path().join("cle-jalons");
    let with_jalons = |c: &mut Command| {
        c.env("PARCOURS_AUDIT_JALONS", &jalons)
            .env("PARCOURS_AUDIT_CLE", &cle);
    };
    for i in 1..=3 {
        create_admin(&db, &format!("admin{i}@cd96.test"), &format!("M{i}"));
    }
    let mut jalon = parcours(&db);
    with_jalons(&mut jalon);
    let out = jalon.args(["audit", "jalon"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Clé publique"));

    let mut verify = parcours(&db);
    with_jalons(&mut verify);
    let ok = verify.args(["audit", "verify"]).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Jalons signés concordants : 1"));

    // A DELETE is refused by the trigger, so the attacker drops it, then rewrites the chain.
    let store = parcours_store::Store::connect(&db).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let refused = parcours_store::raw_execute(&mut tx, "DELETE FROM audit_log WHERE seq = 2").await;
    assert!(refused.is_err(), "the trigger refuses the deletion");
    drop(tx);
    parcours_test_support::lever_la_garde_du_journal(&store).await;
    let mut tx = store.begin().await.unwrap();
    parcours_store::raw_execute(
        &mut tx,
        "UPDATE audit_log SET record_id = '999' WHERE seq = 2",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    parcours_test_support::attaque::rechainer(&store, "96").await;
    store.close().await;

    let plain = parcours(&db).args(["audit", "verify"]).output().unwrap();
    assert!(
        plain.status.success(),
        "without its checkpoints the rewritten chain looks intact"
    );
    let mut verify = parcours(&db);
    with_jalons(&mut verify);
    let out = verify.args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("désaccord avec ses jalons")
            && err.contains("entrée n° 3 (96) ne correspond plus"),
        "{err}"
    );
}

/// A minimal HTTP/1.1 exchange (one request per connection), enough to drive the real server.
async fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = form.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if form.is_some() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_string(), rest.to_string())
}

#[tokio::test]
async fn a_killed_server_loses_no_committed_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    create_admin(&db, "admin@cd96.test", "M1");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = parcours(&db)
        .env("PARCOURS_LISTEN", &addr)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Readiness: a bounded wait on /healthz.
    let mut ready = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok()
            && http(&addr, "GET", "/healthz", None, None).await.0 == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "le serveur n'a pas démarré");
    let (status, head, _) = http(
        &addr,
        "POST",
        "/connexion",
        None,
        Some("identifiant=admin%40cd96.test&mot_de_passe=Rivage-Clair-77%21&suite=%2F"),
    )
    .await;
    assert_eq!(status, 303);
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (_, _, page) = http(&addr, "GET", "/compte", Some(&cookie), None).await;
    let marker = "name=\"_csrf\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let csrf = &page[start..start + page[start..].find('"').unwrap()];
    let form = format!("code=UTASI-DURABLE&nom=Durable&kind=UTASI&_csrf={csrf}");
    let (status, _, _) = http(
        &addr,
        "POST",
        "/referentiel/territoires/nouveau",
        Some(&cookie),
        Some(&form),
    )
    .await;
    assert_eq!(status, 303, "the write was acknowledged");
    // SIGKILL: no graceful shutdown, no flush.
    server.kill().unwrap();
    server.wait().unwrap();
    let store = parcours_store::Store::connect(&db).await.unwrap();
    let mut conn = store.read().await.unwrap();
    let list = parcours_store::referentiel::territoires(&mut conn, "96")
        .await
        .unwrap();
    assert!(
        list.iter().any(|t| t.code == "UTASI-DURABLE"),
        "the acknowledged write survived the kill"
    );
    let verified = parcours_store::audit::verify(&mut conn).await.unwrap();
    assert!(verified.is_ok(), "and its audit entry with it");
}
