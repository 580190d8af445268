//! The shared store: PostgreSQL, for several `route serve` instances
//! behind a load balancer. Each assignment is one transaction:
//!
//! 1. the idempotency record is claimed first (`INSERT ... ON CONFLICT`):
//!    a concurrent duplicate waits on that row and then finds the first
//!    decision, so a key is assigned once however many instances see it;
//! 2. the rows of the lead's [`crate::eval::Footprint`] are locked with
//!    `SELECT ... FOR UPDATE`, teams by name then reps by id (one global
//!    order, so two assignments never deadlock), and read;
//! 3. the router decides, the rows are written back, the record filled
//!    in, and the transaction commits.
//!
//! Assignments whose rules share no team or rep run in parallel. The sync
//! `postgres` client is used (not `tokio-postgres`) because the store
//! trait is synchronous, shared with the embedded store; the server calls
//! it on tokio's blocking pool. Connections are kept in a small pool.

use std::sync::Mutex;

use postgres::{Client, NoTls, Transaction};

use super::sqlite::{rep_row, schema};
use super::{caps_cell, signed, Assignment, Decide, Outcome, Store, StoreError, ADD_CAPS_COLUMN};
use crate::eval::state::{SavedState, SavedTeam, VERSION};

/// State in PostgreSQL.
pub struct PostgresStore {
    url: String,
    idle: Mutex<Vec<Client>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` and makes the tables when missing.
    ///
    /// # Errors
    /// When the server cannot be reached or the tables made.
    pub fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        // Several instances may start at once: one makes the tables.
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock(7318)", &[])?;
        tx.batch_execute(&schema(""))?;
        let has_caps = tx.query_one(
            "SELECT COUNT(*) > 0 FROM information_schema.columns WHERE table_name = 'route_reps' AND column_name = 'caps'",
            &[],
        )?;
        if !has_caps.try_get::<_, bool>(0)? {
            tx.batch_execute(ADD_CAPS_COLUMN)?;
        }
        tx.commit()?;
        Ok(PostgresStore { url: url.to_string(), idle: Mutex::new(vec![client]) })
    }

    /// A pooled connection, or a new one; given back by [`Self::give_back`].
    fn take(&self) -> Result<Client, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        match idle {
            Some(client) if !client.is_closed() => Ok(client),
            _ => Ok(Client::connect(&self.url, NoTls)?),
        }
    }

    fn give_back(&self, client: Client) {
        if !client.is_closed() {
            self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(client);
        }
    }

    fn with_client<T>(&self, work: impl FnOnce(&mut Client) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut client = self.take()?;
        let result = work(&mut client);
        self.give_back(client);
        result
    }
}

impl Store for PostgresStore {
    fn assign(&self, assignment: &Assignment<'_>, decide: &mut Decide<'_>) -> Result<Outcome, StoreError> {
        self.with_client(|client| {
            let mut tx = client.transaction()?;
            if let Some(key) = assignment.key {
                if let Some(body) = claim(&mut tx, key, assignment)? {
                    tx.commit()?;
                    return Ok(Outcome::Replayed(body));
                }
            }
            let rows = lock_rows(&mut tx, assignment.footprint)?;
            let decided = decide(&rows);
            write_rows(&mut tx, &decided.state)?;
            if let Some(key) = assignment.key {
                tx.execute("UPDATE route_idempotency SET decision = $2 WHERE key = $1", &[&key, &decided.body])?;
            }
            tx.commit()?;
            Ok(Outcome::New(decided.body))
        })
    }

    fn snapshot(&self) -> Result<SavedState, StoreError> {
        self.with_client(|client| {
            let mut saved = SavedState { version: VERSION, ..SavedState::default() };
            for row in client.query("SELECT name, state FROM route_teams", &[])? {
                let team: SavedTeam = serde_json::from_str(row.try_get::<_, &str>(1)?)?;
                saved.teams.insert(row.try_get(0)?, team);
            }
            for row in client.query("SELECT id, assigned, basis, caps FROM route_reps", &[])? {
                let rep = rep_row(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
                saved.reps.insert(row.try_get(0)?, rep);
            }
            let rng = client.query_opt("SELECT rng FROM route_meta WHERE id = 1", &[])?;
            saved.rng = rng.and_then(|row| row.try_get::<_, Option<i64>>(0).ok().flatten()).map(|r| r as u64);
            Ok(saved)
        })
    }

    fn purge(&self, before_ms: i64) -> Result<u64, StoreError> {
        self.with_client(|client| {
            Ok(client
                .execute("DELETE FROM route_idempotency WHERE created < $1 AND decision IS NOT NULL", &[&before_ms])?)
        })
    }

    fn describe(&self) -> String {
        "postgres".to_string()
    }
}

/// Claims `key` for this transaction; `Some(decision)` when another one
/// already decided it within the retention window.
fn claim(tx: &mut Transaction<'_>, key: &str, assignment: &Assignment<'_>) -> Result<Option<String>, StoreError> {
    let cutoff = assignment.at_ms.saturating_sub(assignment.retention_ms);
    // An expired record is taken over as if new; a live one is left alone.
    let claimed = tx.query_opt(
        "INSERT INTO route_idempotency (key, created, decision) VALUES ($1, $2, NULL)
         ON CONFLICT (key) DO UPDATE SET created = excluded.created, decision = NULL
         WHERE route_idempotency.created < $3
         RETURNING key",
        &[&key, &assignment.at_ms, &cutoff],
    )?;
    if claimed.is_some() {
        return Ok(None);
    }
    let row = tx.query_one("SELECT decision FROM route_idempotency WHERE key = $1", &[&key])?;
    Ok(row.try_get::<_, Option<String>>(0)?)
}

/// Locks and reads the footprint's rows (teams by name, then reps by id,
/// then the generator), making missing ones first so there is a row to lock.
fn lock_rows(tx: &mut Transaction<'_>, footprint: &crate::eval::Footprint) -> Result<SavedState, StoreError> {
    let mut rows = SavedState { version: VERSION, ..SavedState::default() };
    if !footprint.teams.is_empty() {
        tx.execute(
            "INSERT INTO route_teams (name, state) SELECT unnest($1::text[]), '{\"members\":[],\"next\":null}'
             ON CONFLICT (name) DO NOTHING",
            &[&footprint.teams],
        )?;
        let sql = "SELECT name, state FROM route_teams WHERE name = ANY($1) ORDER BY name FOR UPDATE";
        for row in tx.query(sql, &[&footprint.teams])? {
            let team: SavedTeam = serde_json::from_str(row.try_get::<_, &str>(1)?)?;
            rows.teams.insert(row.try_get(0)?, team);
        }
    }
    if !footprint.reps.is_empty() {
        tx.execute(
            "INSERT INTO route_reps (id, assigned, basis) SELECT unnest($1::text[]), 0, 0 ON CONFLICT (id) DO NOTHING",
            &[&footprint.reps],
        )?;
        let sql = "SELECT id, assigned, basis, caps FROM route_reps WHERE id = ANY($1) ORDER BY id FOR UPDATE";
        for row in tx.query(sql, &[&footprint.reps])? {
            let rep = rep_row(row.try_get(1)?, row.try_get(2)?, row.try_get(3)?)?;
            rows.reps.insert(row.try_get(0)?, rep);
        }
    }
    if footprint.random {
        tx.execute("INSERT INTO route_meta (id, rng) VALUES (1, NULL) ON CONFLICT (id) DO NOTHING", &[])?;
        let row = tx.query_one("SELECT rng FROM route_meta WHERE id = 1 FOR UPDATE", &[])?;
        rows.rng = row.try_get::<_, Option<i64>>(0)?.map(|r| r as u64);
    }
    Ok(rows)
}

/// Writes the rows of `state` back; they are locked, so plain updates.
fn write_rows(tx: &mut Transaction<'_>, state: &SavedState) -> Result<(), StoreError> {
    for (name, team) in &state.teams {
        let text = serde_json::to_string(team)?;
        tx.execute("UPDATE route_teams SET state = $2 WHERE name = $1", &[name, &text])?;
    }
    for (id, rep) in &state.reps {
        let (assigned, basis, caps) = (signed(rep.assigned), signed(rep.open_leads_basis), caps_cell(&rep.caps)?);
        tx.execute(
            "UPDATE route_reps SET assigned = $2, basis = $3, caps = $4 WHERE id = $1",
            &[id, &assigned, &basis, &caps],
        )?;
    }
    if let Some(rng) = state.rng {
        // The generator's bits are kept as they are, in a signed column.
        tx.execute("UPDATE route_meta SET rng = $1 WHERE id = 1", &[&(rng as i64)])?;
    }
    Ok(())
}
