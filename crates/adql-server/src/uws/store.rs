//! [`JobStore`]: jobs kept in SQLite (one row per job) and one directory per job for its uploads and
//! result, so that jobs survive a restart of the server.
//!
//! One connection behind a mutex: every statement is a single-row read or write of a small table, far
//! quicker than the queries the jobs run, and the mutex makes read-modify-write of a job atomic
//! ([`JobStore::modify`]).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::ServerError;
use crate::uws::job::{Job, JobResult, Phase};

/// The job store.
#[derive(Debug)]
pub(crate) struct JobStore {
    conn: Mutex<Connection>,
    dir: PathBuf,
    path: PathBuf,
}

/// Which jobs a job list shows (UWS 1.1 `PHASE`, `AFTER`, `LAST`).
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    /// Only jobs in these phases (none: every phase but ARCHIVED, which this server never uses).
    pub(crate) phases: Vec<Phase>,
    /// Only jobs created after this time (ms since the Unix epoch).
    pub(crate) after: Option<i64>,
    /// Only the most recently created this many.
    pub(crate) last: Option<u64>,
}

const COLUMNS: &str = "id, run_id, phase, params, uploads, creation, start, end_time, \
                       execution_duration, destruction, error, result_file, result_mime, result_rows, \
                       result_bytes, result_overflow";

impl JobStore {
    /// Opens (or creates) the store in `dir`.
    ///
    /// # Errors
    /// The directory or database cannot be created or read.
    pub(crate) fn open(dir: &Path) -> Result<Self, ServerError> {
        let fail = |path: &Path, e: &dyn std::fmt::Display| ServerError::Store {
            path: path.to_owned(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir.join("jobs")).map_err(|e| fail(dir, &e))?;
        let path = dir.join("jobs.sqlite3");
        let conn = Connection::open(&path).map_err(|e| fail(&path, &e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS jobs (
                 id TEXT PRIMARY KEY,
                 run_id TEXT,
                 phase TEXT NOT NULL,
                 params TEXT NOT NULL,
                 uploads TEXT NOT NULL,
                 creation INTEGER NOT NULL,
                 start INTEGER,
                 end_time INTEGER,
                 execution_duration INTEGER NOT NULL,
                 destruction INTEGER NOT NULL,
                 error TEXT,
                 result_file TEXT,
                 result_mime TEXT,
                 result_rows INTEGER,
                 result_bytes INTEGER,
                 result_overflow INTEGER
             );
             CREATE INDEX IF NOT EXISTS jobs_creation ON jobs (creation);
             CREATE INDEX IF NOT EXISTS jobs_destruction ON jobs (destruction);",
        )
        .map_err(|e| fail(&path, &e))?;
        Ok(Self {
            conn: Mutex::new(conn),
            dir: dir.to_owned(),
            path,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, e: &rusqlite::Error) -> ServerError {
        ServerError::Store {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// The directory of job `id` (its uploads and result). Ids are checked by the handlers; one that is
    /// not a job id names a directory that never exists.
    pub(crate) fn job_dir(&self, id: &str) -> PathBuf {
        let id = if crate::uws::job::is_job_id(id) {
            id
        } else {
            "invalid"
        };
        self.dir.join("jobs").join(id)
    }

    /// Adds a new job.
    pub(crate) fn insert(&self, job: &Job) -> Result<(), ServerError> {
        let conn = self.conn();
        write(&conn, job, true).map_err(|e| self.error(&e))
    }

    /// Job `id`, if there is one.
    pub(crate) fn get(&self, id: &str) -> Result<Option<Job>, ServerError> {
        let conn = self.conn();
        read(&conn, id).map_err(|e| self.error(&e))
    }

    /// Applies `change` to job `id` atomically and stores the job when `change` returns true; returns the
    /// job as it is afterwards and whether it changed (`None`: no such job).
    pub(crate) fn modify(
        &self,
        id: &str,
        change: impl FnOnce(&mut Job) -> bool,
    ) -> Result<Option<(Job, bool)>, ServerError> {
        let conn = self.conn();
        let Some(mut job) = read(&conn, id).map_err(|e| self.error(&e))? else {
            return Ok(None);
        };
        let changed = change(&mut job);
        if changed {
            write(&conn, &job, false).map_err(|e| self.error(&e))?;
        }
        Ok(Some((job, changed)))
    }

    /// Removes job `id` from the store (its directory is the caller's to delete).
    pub(crate) fn delete(&self, id: &str) -> Result<bool, ServerError> {
        let conn = self.conn();
        let n = conn
            .execute("DELETE FROM jobs WHERE id = ?1", params![id])
            .map_err(|e| self.error(&e))?;
        Ok(n > 0)
    }

    /// The jobs a job list shows, oldest first.
    pub(crate) fn list(&self, filter: &ListFilter) -> Result<Vec<Job>, ServerError> {
        let conn = self.conn();
        let mut sql = format!("SELECT {COLUMNS} FROM jobs WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !filter.phases.is_empty() {
            let marks = vec!["?"; filter.phases.len()].join(", ");
            sql.push_str(&format!(" AND phase IN ({marks})"));
            args.extend(filter.phases.iter().map(|p| p.to_string().into()));
        }
        if let Some(after) = filter.after {
            sql.push_str(" AND creation > ?");
            args.push(after.into());
        }
        sql.push_str(" ORDER BY creation DESC, id");
        if let Some(last) = filter.last {
            sql.push_str(" LIMIT ?");
            args.push(i64::try_from(last).unwrap_or(i64::MAX).into());
        }
        let mut statement = conn.prepare(&sql).map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(args), job_from_row)
            .map_err(|e| self.error(&e))?;
        let mut jobs = rows
            .collect::<Result<Vec<Job>, _>>()
            .map_err(|e| self.error(&e))?;
        jobs.reverse();
        Ok(jobs)
    }

    /// The ids of jobs whose destruction time is before `now`.
    pub(crate) fn expired(&self, now: i64) -> Result<Vec<String>, ServerError> {
        self.ids(
            "SELECT id FROM jobs WHERE destruction <= ?1 ORDER BY destruction",
            now,
        )
    }

    /// The jobs that were queued or executing (what a restart runs again), oldest first.
    pub(crate) fn unfinished(&self) -> Result<Vec<String>, ServerError> {
        self.ids(
            "SELECT id FROM jobs WHERE phase IN ('QUEUED', 'EXECUTING') AND ?1 = ?1 ORDER BY creation",
            0,
        )
    }

    /// The finished jobs with a result file, oldest first, with the file's size.
    pub(crate) fn results_by_age(&self) -> Result<Vec<(String, u64)>, ServerError> {
        let conn = self.conn();
        let mut statement = conn
            .prepare(
                "SELECT id, result_bytes FROM jobs WHERE result_file IS NOT NULL ORDER BY end_time, id",
            )
            .map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?))
            })
            .map_err(|e| self.error(&e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, bytes) = row.map_err(|e| self.error(&e))?;
            out.push((id, u64::try_from(bytes.unwrap_or(0)).unwrap_or(0)));
        }
        Ok(out)
    }

    fn ids(&self, sql: &str, arg: i64) -> Result<Vec<String>, ServerError> {
        let conn = self.conn();
        let mut statement = conn.prepare(sql).map_err(|e| self.error(&e))?;
        let rows = statement
            .query_map(params![arg], |row| row.get::<_, String>(0))
            .map_err(|e| self.error(&e))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.error(&e))
    }
}

fn read(conn: &Connection, id: &str) -> rusqlite::Result<Option<Job>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
        params![id],
        job_from_row,
    )
    .optional()
}

fn write(conn: &Connection, job: &Job, new: bool) -> rusqlite::Result<()> {
    let verb = if new { "INSERT" } else { "REPLACE" };
    let result = job.result.as_ref();
    conn.execute(
        &format!(
            "{verb} INTO jobs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
             ?15, ?16)"
        ),
        params![
            job.id,
            job.run_id,
            job.phase.to_string(),
            job.params_json(),
            job.uploads_json(),
            job.creation,
            job.start,
            job.end,
            i64::try_from(job.execution_duration).unwrap_or(i64::MAX),
            job.destruction,
            job.error,
            result.map(|r| r.file.clone()),
            result.map(|r| r.mime.clone()),
            result.map(|r| i64::try_from(r.rows).unwrap_or(i64::MAX)),
            result.map(|r| i64::try_from(r.bytes).unwrap_or(i64::MAX)),
            result.map(|r| r.overflow),
        ],
    )?;
    Ok(())
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let phase: String = row.get(2)?;
    let result = match row.get::<_, Option<String>>(11)? {
        Some(file) => Some(JobResult {
            file,
            mime: row.get::<_, Option<String>>(12)?.unwrap_or_default(),
            rows: u64::try_from(row.get::<_, Option<i64>>(13)?.unwrap_or(0)).unwrap_or(0),
            bytes: u64::try_from(row.get::<_, Option<i64>>(14)?.unwrap_or(0)).unwrap_or(0),
            overflow: row.get::<_, Option<bool>>(15)?.unwrap_or(false),
        }),
        None => None,
    };
    Ok(Job {
        id: row.get(0)?,
        run_id: row.get(1)?,
        phase: crate::uws::job::parse_phase(&phase).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        params: Job::params_from_json(&row.get::<_, String>(3)?),
        uploads: Job::uploads_from_json(&row.get::<_, String>(4)?),
        creation: row.get(5)?,
        start: row.get(6)?,
        end: row.get(7)?,
        execution_duration: u64::try_from(row.get::<_, i64>(8)?).unwrap_or(0),
        destruction: row.get(9)?,
        error: row.get(10)?,
        result,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn job(id: &str, creation: i64, phase: Phase) -> Job {
        Job {
            id: id.into(),
            run_id: Some("run".into()),
            phase,
            params: vec![("query".into(), "SELECT 1".into())],
            uploads: Vec::new(),
            creation,
            start: None,
            end: None,
            execution_duration: 60,
            destruction: creation + 1000,
            error: None,
            result: None,
        }
    }

    #[test]
    fn jobs_survive_reopening_the_store() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = JobStore::open(dir.path()).unwrap();
            store.insert(&job("a", 1, Phase::Pending)).unwrap();
            store.insert(&job("b", 2, Phase::Queued)).unwrap();
            let (changed, _) = store
                .modify("a", |j| {
                    j.phase = Phase::Completed;
                    j.result = Some(JobResult {
                        file: "result.vot".into(),
                        mime: "application/x-votable+xml".into(),
                        rows: 3,
                        bytes: 100,
                        overflow: true,
                    });
                    true
                })
                .unwrap()
                .unwrap();
            assert_eq!(changed.phase, Phase::Completed);
        }
        let store = JobStore::open(dir.path()).unwrap();
        let a = store.get("a").unwrap().unwrap();
        assert_eq!(a.phase, Phase::Completed);
        assert_eq!(a.result.as_ref().unwrap().rows, 3);
        assert!(a.result.unwrap().overflow);
        assert_eq!(store.unfinished().unwrap(), ["b"]);
        assert!(store.get("zz").unwrap().is_none());
    }

    #[test]
    fn lists_filter_by_phase_time_and_count() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(dir.path()).unwrap();
        for (i, phase) in [
            Phase::Pending,
            Phase::Completed,
            Phase::Error,
            Phase::Completed,
        ]
        .into_iter()
        .enumerate()
        {
            store
                .insert(&job(
                    &format!("j{i}"),
                    i64::try_from(i).unwrap() * 10,
                    phase,
                ))
                .unwrap();
        }
        let ids = |f: ListFilter| -> Vec<String> {
            store.list(&f).unwrap().into_iter().map(|j| j.id).collect()
        };
        assert_eq!(ids(ListFilter::default()), ["j0", "j1", "j2", "j3"]);
        let completed = ListFilter {
            phases: vec![Phase::Completed],
            ..ListFilter::default()
        };
        assert_eq!(ids(completed), ["j1", "j3"]);
        let after = ListFilter {
            after: Some(10),
            ..ListFilter::default()
        };
        assert_eq!(ids(after), ["j2", "j3"]);
        let last = ListFilter {
            last: Some(2),
            ..ListFilter::default()
        };
        assert_eq!(ids(last), ["j2", "j3"]);
        assert_eq!(store.expired(1015).unwrap(), ["j0", "j1"]);
        assert!(store.delete("j0").unwrap());
        assert!(!store.delete("j0").unwrap());
    }
}
