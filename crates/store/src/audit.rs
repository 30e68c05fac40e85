//! The audit log: append-only, one SHA-256 chain per département, appended in the same transaction as
//! the write it records; filtered listing for the data-protection officer; chain verification.

use parcours_domain::audit::{entry_hash, AuditEntry, AuditEvent, ChainBreak, ChainChecker};
use sqlx::Row;

use crate::{now, Conn, Result, StoreError};

/// Appends an event. The head row is updated first: that takes the row lock on PostgreSQL (and the
/// write lock on SQLite), so two concurrent appends cannot chain to the same previous entry.
pub async fn append(
    conn: &mut Conn,
    departement_id: &str,
    event: &AuditEvent,
) -> Result<AuditEntry> {
    let row = sqlx::query(
        "UPDATE audit_heads SET seq = seq + 1 WHERE departement_id = $1 RETURNING seq, hash",
    )
    .bind(departement_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut entry = AuditEntry {
        seq: row.get("seq"),
        departement_id: departement_id.to_string(),
        at: now(),
        agent_id: event.agent_id,
        token_id: event.token_id,
        action: event.action.clone(),
        record_type: event.record_type.clone(),
        record_id: event.record_id.clone(),
        purpose: event.purpose.clone(),
        request_id: event.request_id.clone(),
        details: event.details.to_string(),
        prev_hash: row.get("hash"),
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    sqlx::query(
        "INSERT INTO audit_log (departement_id, seq, at, agent_id, token_id, action, record_type, record_id, \
         purpose, request_id, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&entry.departement_id)
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(entry.agent_id)
    .bind(entry.token_id)
    .bind(&entry.action)
    .bind(&entry.record_type)
    .bind(&entry.record_id)
    .bind(&entry.purpose)
    .bind(&entry.request_id)
    .bind(&entry.details)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE departement_id = $2")
        .bind(&entry.hash)
        .bind(departement_id)
        .execute(&mut *conn)
        .await?;
    Ok(entry)
}

/// The filters of the audit screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub agent_id: Option<i64>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// Inclusive lower bound, `YYYY-MM-DD` or a stored UTC time.
    pub from: Option<String>,
    /// Inclusive upper bound, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Exclusive upper bound, a stored UTC time (the end of a local day).
    pub before: Option<String>,
    pub action: Option<String>,
}

const COLUMNS: &str =
    "seq, departement_id, at, agent_id, token_id, action, record_type, record_id, purpose, \
                       request_id, details, prev_hash, hash";

fn entry(r: &sqlx::any::AnyRow) -> AuditEntry {
    AuditEntry {
        seq: r.get("seq"),
        departement_id: r.get("departement_id"),
        at: r.get("at"),
        agent_id: r.get("agent_id"),
        token_id: r.get("token_id"),
        action: r.get("action"),
        record_type: r.get("record_type"),
        record_id: r.get("record_id"),
        purpose: r.get("purpose"),
        request_id: r.get("request_id"),
        details: r.get("details"),
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
    }
}

/// One page of entries, newest first, and the total count.
pub async fn list(
    conn: &mut Conn,
    departement_id: &str,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64)> {
    let mut clauses = vec!["departement_id = $1".to_string()];
    let mut args: Vec<String> = vec![departement_id.to_string()];
    let mut push = |clause: &str, value: String| {
        args.push(value);
        clauses.push(clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(a) = filter.agent_id {
        push("agent_id = CAST(? AS BIGINT)", a.to_string());
    }
    if let Some(t) = &filter.record_type {
        push("record_type = ?", t.clone());
    }
    if let Some(id) = &filter.record_id {
        push("record_id = ?", id.clone());
    }
    if let Some(f) = &filter.from {
        push("at >= ?", f.clone());
    }
    if let Some(t) = &filter.to {
        // The end date is inclusive: compare with the next day's start.
        push("at < ?", format!("{t}T99"));
    }
    if let Some(b) = &filter.before {
        push("at < ?", b.clone());
    }
    if let Some(a) = &filter.action {
        push("action = ?", a.clone());
    }
    let filter_sql = clauses.join(" AND ");
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE {filter_sql} ORDER BY seq DESC LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE {filter_sql}");
    let mut q = sqlx::query(&count_sql);
    for a in &args {
        q = q.bind(a);
    }
    let total: i64 = q.fetch_one(&mut *conn).await?.get("n");
    Ok((rows.iter().map(entry).collect(), total))
}

/// Walks every département's chain; returns the number of entries checked or the first break.
pub async fn verify(conn: &mut Conn) -> Result<std::result::Result<i64, ChainBreak>> {
    let deps = sqlx::query("SELECT departement_id FROM audit_heads ORDER BY departement_id")
        .fetch_all(&mut *conn)
        .await?;
    let mut total = 0;
    for head in deps {
        match verify_departement(conn, &head.get::<String, _>("departement_id")).await? {
            Ok(n) => total += n,
            Err(b) => return Ok(Err(b)),
        }
    }
    Ok(Ok(total))
}

/// Walks one département's chain, so that a break in one tenant neither hides nor reveals the state
/// of another's (the verification job runs per département).
pub async fn verify_departement(
    conn: &mut Conn,
    dep: &str,
) -> Result<std::result::Result<i64, ChainBreak>> {
    let head = sqlx::query("SELECT seq, hash FROM audit_heads WHERE departement_id = $1")
        .bind(dep)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut checker = ChainChecker::new(dep);
    // Pages by seq so that a large log is walked in constant memory.
    let mut after = 0i64;
    loop {
        let sql =
            format!("SELECT {COLUMNS} FROM audit_log WHERE departement_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000");
        let rows = sqlx::query(&sql)
            .bind(dep)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = entry(r);
            after = e.seq;
            if let Err(b) = checker.check(&e) {
                return Ok(Err(b));
            }
        }
    }
    Ok(checker.finish(head.get("seq"), &head.get::<String, _>("hash")))
}
