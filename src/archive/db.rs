//! The archive database (SQLite, WAL): schema, migrations and the connection settings.
//!
//! Tables: `papers` (one row per Drucksache, with its canonical source record), `renditions`
//! (every PDF ever stored for a paper, by SHA-512), `events` (the history: created, imported,
//! withdrawn), `imports` (which tracked record under `papers/` became which paper). Triggers
//! keep renditions, events and the identity of a paper append-only.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use crate::model::{Paper, Release, slug};

/// How long a writer waits for another writer's transaction before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// The migrations, in order; the database's `user_version` counts how many have run. Each is
/// SQL, and for migration 4 also the Rust that fills the columns it adds, then more SQL.
const MIGRATIONS: [&str; 11] = [
    r#"
CREATE TABLE papers (
    id               INTEGER PRIMARY KEY,
    reference        TEXT    NOT NULL UNIQUE,
    -- The year whose sequence the number belongs to (the paper's year).
    year             INTEGER NOT NULL,
    -- Number within the year, when the reference is written in the paper scheme.
    seq              INTEGER,
    -- For supplements (Ergänzungsvorlagen): the parent's reference and the running number.
    parent_reference TEXT,
    supplement_no    INTEGER,
    -- 1 when this archive allocated the reference, 0 when the record brought it along.
    allocated        INTEGER NOT NULL CHECK (allocated IN (0, 1)),
    kind             TEXT    NOT NULL,
    public           INTEGER NOT NULL CHECK (public IN (0, 1)),
    date             TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    department       TEXT    NOT NULL,
    -- The validated record with its reference, as canonical JSON, and its SHA-512.
    source_json      TEXT    NOT NULL,
    source_sha512    TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    withdrawn_reason TEXT,
    created_at       TEXT    NOT NULL,
    modified_at      TEXT    NOT NULL
);
CREATE UNIQUE INDEX papers_year_seq ON papers (year, seq) WHERE seq IS NOT NULL;
CREATE UNIQUE INDEX papers_supplements ON papers (parent_reference, supplement_no)
    WHERE supplement_no IS NOT NULL;
CREATE INDEX papers_date ON papers (date);

CREATE TABLE renditions (
    id              INTEGER PRIMARY KEY,
    paper_id        INTEGER NOT NULL REFERENCES papers (id),
    sha512          TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    -- SHA-512 over the template set, fonts and letterhead that produced the file.
    template_sha512 TEXT    NOT NULL,
    program_version TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
CREATE INDEX renditions_paper ON renditions (paper_id);
CREATE INDEX renditions_sha512 ON renditions (sha512);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES papers (id),
    at       TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_paper ON events (paper_id);

CREATE TABLE imports (
    path        TEXT    PRIMARY KEY,
    file_sha512 TEXT    NOT NULL,
    paper_id    INTEGER NOT NULL REFERENCES papers (id)
);

CREATE TRIGGER papers_keep BEFORE DELETE ON papers
BEGIN SELECT RAISE(ABORT, 'papers are never deleted (withdraw them)'); END;
CREATE TRIGGER papers_identity BEFORE UPDATE OF id, reference, year, seq, parent_reference,
    supplement_no, allocated, kind, public, date, subject, department, source_json,
    source_sha512, created_at ON papers
BEGIN SELECT RAISE(ABORT, 'a paper''s record never changes (a correction is a new paper)'); END;
CREATE TRIGGER renditions_keep BEFORE DELETE ON renditions
BEGIN SELECT RAISE(ABORT, 'renditions are never deleted'); END;
CREATE TRIGGER renditions_fixed BEFORE UPDATE ON renditions
BEGIN SELECT RAISE(ABORT, 'renditions never change'); END;
CREATE TRIGGER events_keep BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'history is never deleted'); END;
CREATE TRIGGER events_fixed BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'history never changes'); END;
"#,
    r#"
-- 2: who signed each rendition, and whether with the archive's development key.
ALTER TABLE renditions ADD COLUMN signer TEXT;
ALTER TABLE renditions ADD COLUMN development_key INTEGER NOT NULL DEFAULT 0
    CHECK (development_key IN (0, 1));
"#,
    r#"
-- 3: what the public routes of the service need, derived from each row (never stored
-- twice): the day from which a paper may be shown (NULL: never; it is public and either
-- released or blocked only until a date), and the URL slug of its reference.
ALTER TABLE papers ADD COLUMN published_from TEXT GENERATED ALWAYS AS (
    CASE WHEN public = 1 AND (
            json_extract(source_json, '$.verfuegung.veroeffentlichung') = 1
            OR json_extract(source_json, '$.verfuegung.gesperrt_bis') IS NOT NULL)
        THEN coalesce(date(json_extract(source_json, '$.verfuegung.gesperrt_bis'), '+1 day'),
                      '0000-01-01')
    END) VIRTUAL;
ALTER TABLE papers ADD COLUMN slug TEXT GENERATED ALWAYS AS (
    lower(replace(replace(reference, '/', '-'), ' ', '-'))) VIRTUAL;
CREATE INDEX papers_slug ON papers (slug);
CREATE INDEX papers_modified ON papers (modified_at);
"#,
    r#"
-- 4: `published_from` and `slug` are written with each paper from the model's rules
-- (`Paper::published_from`, `slug`), not derived in SQL from the record's keys; the rows
-- before this migration get them from `derive_columns`, then the trigger below keeps them.
DROP INDEX papers_slug;
ALTER TABLE papers DROP COLUMN slug;
ALTER TABLE papers DROP COLUMN published_from;
ALTER TABLE papers ADD COLUMN published_from TEXT;
ALTER TABLE papers ADD COLUMN slug TEXT;
"#,
    r#"
-- 5: re-rendering runs (`drucksache rerender`). A run is the selection it was started with,
-- the template set and program version it renders with, and one item per selected paper;
-- an item leaves `pending` in the same transaction that stores its new rendition, so a run
-- stopped or killed continues with exactly the papers not yet done.
CREATE TABLE rerender_runs (
    id              INTEGER PRIMARY KEY,
    -- The selection as the command line gives it, canonical (`--year 2012 --outdated`).
    selection       TEXT    NOT NULL,
    template_sha512 TEXT    NOT NULL,
    program_version TEXT    NOT NULL,
    started_at      TEXT    NOT NULL,
    -- NULL while papers are pending (running, stopped or killed: the same command resumes).
    finished_at     TEXT
);
CREATE TABLE rerender_items (
    run_id       INTEGER NOT NULL REFERENCES rerender_runs (id),
    paper_id     INTEGER NOT NULL REFERENCES papers (id),
    outcome      TEXT    NOT NULL DEFAULT 'pending'
        CHECK (outcome IN ('pending', 'rerendered', 'flagged', 'unchanged', 'failed')),
    -- The rendition the run stored ('rerendered', 'flagged': stored although its words differ).
    rendition_id INTEGER REFERENCES renditions (id),
    -- The paper's report entry (JSON), written with the outcome.
    report       TEXT,
    PRIMARY KEY (run_id, paper_id)
);
CREATE INDEX rerender_items_paper ON rerender_items (paper_id, outcome);
CREATE TRIGGER rerender_items_once BEFORE UPDATE ON rerender_items WHEN OLD.outcome <> 'pending'
BEGIN SELECT RAISE(ABORT, 'a re-rendered paper''s outcome never changes'); END;
CREATE TRIGGER rerender_keep BEFORE DELETE ON rerender_items
BEGIN SELECT RAISE(ABORT, 'the record of a re-rendering run is never deleted'); END;
-- The run that made a rendition (NULL: made when the paper was created or imported).
ALTER TABLE renditions ADD COLUMN run_id INTEGER REFERENCES rerender_runs (id);
"#,
    r#"
-- 6: what re-rendering compares, recorded when a rendition is made (NULL for renditions made
-- before, and where the words could not be read): its page count and the SHA-256 of its words
-- (`render::words`). A re-rendering whose words give the same digest needs not read the
-- stored PDF's words again.
ALTER TABLE renditions ADD COLUMN pages INTEGER;
ALTER TABLE renditions ADD COLUMN words_sha256 TEXT;
"#,
    r#"
-- 7: a run's pending items by index, so that storing a batch looks at a few of them and not
-- at the whole run (a run of 40,000 papers stores 2,500 batches).
CREATE INDEX rerender_items_pending ON rerender_items (run_id, outcome);
"#,
    r#"
-- 8: the originals of legacy papers (Altbestand): the text dump or PDF of an older system a
-- paper was split from, stored unchanged (`originals/<xx>/<sha512>.original`) beside the
-- renditions drucksache made of it, as the evidence of what the paper said.
CREATE TABLE originals (
    id         INTEGER PRIMARY KEY,
    paper_id   INTEGER NOT NULL REFERENCES papers (id),
    sha512     TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    media_type TEXT    NOT NULL,
    -- The file's name as imported (no folders).
    file_name  TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX originals_paper ON originals (paper_id);
CREATE INDEX originals_sha512 ON originals (sha512);
CREATE TRIGGER originals_keep BEFORE DELETE ON originals
BEGIN SELECT RAISE(ABORT, 'originals are never deleted'); END;
CREATE TRIGGER originals_fixed BEFORE UPDATE ON originals
BEGIN SELECT RAISE(ABORT, 'originals never change'); END;
"#,
    r#"
-- 9: harvesting another council system over OParl. One row per (system, body) paper list:
-- the run in progress (the list page to fetch next, the run's modified_since and start; all
-- NULL between runs) and the start of the last run that went through the whole list (the
-- next run asks for what changed since then, less an overlap).
CREATE TABLE harvest_lists (
    system_url      TEXT NOT NULL,
    body_id         TEXT NOT NULL,
    next_page       TEXT,
    run_since       TEXT,
    run_started_at  TEXT,
    done_started_at TEXT,
    PRIMARY KEY (system_url, body_id)
);
-- Every OParl Paper the harvest has met, by the other system's id: archived (with its paper,
-- written in the transaction that archives it), or pending: in review, or failed (retried by
-- the next run). `modified` is the Paper's as the other system last sent it.
CREATE TABLE harvested (
    system_url TEXT NOT NULL,
    oparl_id   TEXT NOT NULL,
    paper_id   INTEGER REFERENCES papers (id),
    modified   TEXT,
    state      TEXT NOT NULL CHECK (state IN ('archived', 'review', 'failed')),
    reason     TEXT NOT NULL DEFAULT '',
    -- The record keys an archived paper took from OParl (a JSON array); the rest came
    -- from its text.
    oparl_fields TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (system_url, oparl_id),
    CHECK ((state = 'archived') = (paper_id IS NOT NULL))
);
CREATE TRIGGER harvested_paper_fixed BEFORE UPDATE OF paper_id, state ON harvested
    WHEN OLD.paper_id IS NOT NULL AND NEW.paper_id IS NOT OLD.paper_id
BEGIN SELECT RAISE(ABORT, 'a harvested paper stays the paper it was archived as'); END;
CREATE TRIGGER harvested_keep BEFORE DELETE ON harvested WHEN OLD.paper_id IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a harvested paper''s origin is never deleted'); END;
"#,
    r#"
-- 10: legacy papers not structured yet ("nicht strukturiert"): a row whose source_json is a
-- model::LegacyPaper (what is known for certain, and the extracted text), with its originals
-- and no rendition. Until it is structured its metadata may be completed (a harvest fetching
-- its files later); it becomes structured once, when a reviewed record is accepted, and from
-- then on its record never changes. It keeps its number throughout.
ALTER TABLE papers ADD COLUMN structured INTEGER NOT NULL DEFAULT 1 CHECK (structured IN (0, 1));
DROP TRIGGER papers_identity;
CREATE TRIGGER papers_identity BEFORE UPDATE OF id, reference, year, seq, parent_reference,
    supplement_no, allocated, kind, public, date, subject, department, source_json,
    source_sha512, created_at, structured ON papers WHEN OLD.structured = 1
BEGIN SELECT RAISE(ABORT, 'a paper''s record never changes (a correction is a new paper)'); END;
CREATE TRIGGER legacy_papers_number BEFORE UPDATE OF id, reference, year, seq,
    parent_reference, supplement_no, allocated, created_at, slug ON papers WHEN OLD.structured = 0
BEGIN SELECT RAISE(ABORT, 'a legacy paper keeps the number it was issued with'); END;
DROP TRIGGER papers_derived;
CREATE TRIGGER papers_derived BEFORE UPDATE OF published_from, slug ON papers
    WHEN OLD.structured = 1
BEGIN SELECT RAISE(ABORT, 'a paper''s record never changes (a correction is a new paper)'); END;
-- A harvested Paper archived as a legacy paper is pending (in review, or its files failed and
-- are fetched again) and already has its paper.
CREATE TABLE harvested_10 (
    system_url TEXT NOT NULL,
    oparl_id   TEXT NOT NULL,
    paper_id   INTEGER REFERENCES papers (id),
    modified   TEXT,
    state      TEXT NOT NULL CHECK (state IN ('archived', 'review', 'failed')),
    reason     TEXT NOT NULL DEFAULT '',
    oparl_fields TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (system_url, oparl_id),
    CHECK (state <> 'archived' OR paper_id IS NOT NULL)
);
INSERT INTO harvested_10 SELECT system_url, oparl_id, paper_id, modified, state, reason,
    oparl_fields FROM harvested;
DROP TABLE harvested;
ALTER TABLE harvested_10 RENAME TO harvested;
CREATE INDEX harvested_paper ON harvested (paper_id);
CREATE TRIGGER harvested_paper_fixed BEFORE UPDATE OF paper_id, state ON harvested
    WHEN OLD.paper_id IS NOT NULL AND NEW.paper_id IS NOT OLD.paper_id
BEGIN SELECT RAISE(ABORT, 'a harvested paper stays the paper it was archived as'); END;
CREATE TRIGGER harvested_keep BEFORE DELETE ON harvested WHEN OLD.paper_id IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a harvested paper''s origin is never deleted'); END;
"#,
    r#"
-- 11: what OParl reads across all papers, as indexed tables instead of a JSON scan per
-- request. A supplement's parent is the paper its `bezug` names, also when it brought a number
-- of its own in another scheme (parent_reference is only the numbering's): both indexed. Every
-- step of a paper's Beratungsfolge as a row (a meeting is a Gremium on a day), kept by
-- triggers whenever a paper's record is written.
CREATE INDEX papers_bezug ON papers (json_extract(source_json, '$.bezug'));
CREATE INDEX papers_parent ON papers (parent_reference);
CREATE TABLE consultation_steps (
    paper_id INTEGER NOT NULL REFERENCES papers (id),
    step     INTEGER NOT NULL,
    gremium  TEXT    NOT NULL,
    day      TEXT    NOT NULL,
    PRIMARY KEY (paper_id, step)
) WITHOUT ROWID;
CREATE INDEX consultation_steps_meeting ON consultation_steps (gremium, day);
CREATE INDEX consultation_steps_day ON consultation_steps (day);
INSERT INTO consultation_steps
    SELECT papers.id, c.key, json_extract(c.value, '$.gremium'), json_extract(c.value, '$.datum')
    FROM papers, json_each(papers.source_json, '$.beratungsfolge') AS c;
CREATE TRIGGER papers_steps_insert AFTER INSERT ON papers
BEGIN
    INSERT INTO consultation_steps
        SELECT NEW.id, c.key, json_extract(c.value, '$.gremium'), json_extract(c.value, '$.datum')
        FROM json_each(NEW.source_json, '$.beratungsfolge') AS c;
END;
CREATE TRIGGER papers_steps_update AFTER UPDATE OF source_json ON papers
BEGIN
    DELETE FROM consultation_steps WHERE paper_id = NEW.id;
    INSERT INTO consultation_steps
        SELECT NEW.id, c.key, json_extract(c.value, '$.gremium'), json_extract(c.value, '$.datum')
        FROM json_each(NEW.source_json, '$.beratungsfolge') AS c;
END;
"#,
];

/// What runs after a migration's SQL, by migration number (from 1).
fn after_migration(number: usize, conn: &Connection) -> Result<(), DbError> {
    if number == 4 {
        derive_columns(conn)?;
        conn.execute_batch(
            "CREATE INDEX papers_slug ON papers (slug);
             CREATE TRIGGER papers_derived BEFORE UPDATE OF published_from, slug ON papers
             BEGIN SELECT RAISE(ABORT, 'a paper''s record never changes (a correction is a new paper)'); END;",
        )?;
    }
    Ok(())
}

/// The `published_from` column of a paper released so (`Paper::published_from`,
/// `LegacyPaper::published_from`): the day from which the public may see it as
/// `YYYY-MM-DD`, `0000-01-01` for "from the start", `NULL` for never; public queries ask
/// `published_from <= today`.
pub fn published_from_column(release: Release) -> Option<String> {
    match release {
        Release::Never => None,
        Release::Now => Some("0000-01-01".into()),
        Release::From(day) => Some(day.to_string()),
    }
}

/// Fills `published_from` and `slug` of every row from its stored record. A record that
/// cannot be read is left unpublished (`NULL`: the safe side) and named in the log;
/// `drucksache check` reports it.
fn derive_columns(conn: &Connection) -> Result<(), DbError> {
    let mut rows = conn.prepare("SELECT id, reference, source_json FROM papers")?;
    let rows: Vec<(i64, String, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update =
        conn.prepare("UPDATE papers SET published_from = ?2, slug = ?3 WHERE id = ?1")?;
    for (id, reference, json) in rows {
        let published_from = match serde_json::from_str::<Paper>(&json) {
            Ok(paper) => published_from_column(paper.published_from()),
            Err(e) => {
                tracing::warn!(
                    "{reference}: the stored record cannot be read ({e}); the paper is not shown to the public (run `drucksache check`)"
                );
                None
            }
        };
        update.execute(params![id, published_from, slug(&reference)])?;
    }
    Ok(())
}

/// The schema version this program writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why the database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the archive database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "the archive database has schema version {found}, this drucksache knows up to {SCHEMA_VERSION}: use a newer drucksache"
    )]
    Newer { found: i64 },
    #[error(
        "the archive database {path} is read-only: drucksache needs write access to the archive folder"
    )]
    ReadOnly { path: String },
    #[error("archive database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("archive database: {0}")]
    Corrupt(String),
}

impl DbError {
    /// A stored record that does not read as a paper.
    pub fn unreadable_record(reference: &str, error: &serde_json::Error) -> DbError {
        DbError::Corrupt(format!(
            "{reference}: the stored record cannot be read: {error}"
        ))
    }
}

/// Opens (creating if needed) the database with the settings every connection uses, and
/// migrates it to [`SCHEMA_VERSION`].
pub fn open(path: &Path) -> Result<Connection, DbError> {
    let open_error = |source| DbError::Open {
        path: path.display().to_string(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(open_error)? {
        return Err(DbError::ReadOnly {
            path: path.display().to_string(),
        });
    }
    // WAL lets readers (the service, `list`) work while a paper is being created; FULL
    // synchronous makes a committed paper survive a power cut, not only a crash.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!("the archive database runs in {mode} mode, not WAL");
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(open_error)?;
    migrate(&conn)?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> Result<(), DbError> {
    let version = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
    };
    if version(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    // Several processes may open a new archive at once: migrate under the write lock and
    // look again once it is held.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let found = version(conn)?;
        if found > SCHEMA_VERSION {
            return Err(DbError::Newer { found });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            conn.execute_batch(sql)?;
            after_migration(i + 1, conn)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_guards_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite");
        let conn = open(&path).unwrap();
        drop(conn);
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        conn.execute_batch(
            "INSERT INTO papers (reference, year, seq, allocated, kind, public, date, subject,
                department, source_json, source_sha512, created_at, modified_at)
             VALUES ('0001/2026', 2026, 1, 1, 'beschlussvorlage', 1, '2026-01-02', 'S', '55 X',
                '{}', 'h', 't', 't');",
        )
        .unwrap();
        let err = conn
            .execute("DELETE FROM papers", [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("never deleted"), "{err}");
        let err = conn
            .execute("UPDATE papers SET subject = 'x'", [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("never changes"), "{err}");
        conn.execute("UPDATE papers SET status = 'withdrawn'", [])
            .unwrap();

        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let err = open(&path).unwrap_err().to_string();
        assert!(err.contains("newer drucksache"), "{err}");
    }

    #[test]
    fn an_archive_of_schema_1_gets_the_later_migrations_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute_batch(
            "INSERT INTO papers (reference, year, seq, allocated, kind, public, date, subject,
                department, source_json, source_sha512, created_at, modified_at)
             VALUES ('0001/2026', 2026, 1, 1, 'beschlussvorlage', 1, '2026-01-02', 'S', '55 X',
                '{}', 'h', 't', 't');
             INSERT INTO renditions (paper_id, sha512, size, template_sha512, program_version,
                created_at) VALUES (1, 'f', 1, 't', '0.1.0', 't');",
        )
        .unwrap();
        drop(old);
        let conn = open(&path).unwrap();
        let (version, signer, development): (i64, Option<String>, bool) = conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), signer, development_key
                 FROM renditions",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!((signer, development), (None, false));
    }

    /// Migration 4 writes `published_from` and `slug` from the model's rules; for every
    /// paper they are what migration 3 derived in SQL from the record's keys, and a record
    /// that cannot be read is not published.
    #[test]
    fn migration_4_gives_the_columns_migration_3_derived() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sqlite");
        let old = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..3] {
            old.execute_batch(sql).unwrap();
        }
        old.pragma_update(None, "user_version", 3).unwrap();
        let seed = Paper::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("archive/papers/2012/0310-2012.toml"),
        )
        .unwrap();
        let mut blocked = seed.clone();
        blocked.routing.publish = false;
        blocked.routing.blocked_until = crate::model::Date::parse_iso("2026-01-14");
        let mut unreleased = seed.clone();
        unreleased.routing.publish = false;
        let mut secret = seed.clone();
        secret.public = false;
        let mut released_and_blocked = blocked.clone();
        released_and_blocked.routing.publish = true;
        let records = [
            ("0310/2012", serde_json::to_string(&seed).unwrap()),
            ("0001/2026", serde_json::to_string(&blocked).unwrap()),
            ("VO/2 2026", serde_json::to_string(&unreleased).unwrap()),
            ("0003/2026", serde_json::to_string(&secret).unwrap()),
            (
                "0004/2026",
                serde_json::to_string(&released_and_blocked).unwrap(),
            ),
        ];
        for (i, (reference, json)) in records.iter().enumerate() {
            old.execute(
                "INSERT INTO papers (reference, year, seq, allocated, kind, public, date, subject,
                    department, source_json, source_sha512, created_at, modified_at)
                 VALUES (?1, 2026, ?2, 1, 'beschlussvorlage', ?3, '2026-01-02', 'S', '55 X', ?4,
                    'h', 't', 't')",
                params![
                    reference,
                    i as i64 + 1,
                    json.contains("\"oeffentlich\":true"),
                    json
                ],
            )
            .unwrap();
        }
        let columns = |conn: &Connection| -> Vec<(Option<String>, String)> {
            conn.prepare("SELECT published_from, slug FROM papers ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let derived_in_sql = columns(&old);
        drop(old);
        let conn = open(&path).unwrap();
        assert_eq!(columns(&conn), derived_in_sql);
        assert_eq!(
            derived_in_sql[..2],
            [
                (Some("0000-01-01".into()), "0310-2012".into()),
                (Some("2026-01-15".into()), "0001-2026".into())
            ]
        );
        // Written with each paper from now on; changing them is refused.
        let err = conn
            .execute("UPDATE papers SET published_from = '0000-01-01'", [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("never changes"), "{err}");
        drop(conn);

        // A record that does not read as a paper stays unpublished.
        let path = dir.path().join("b.sqlite");
        let old = Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..3] {
            old.execute_batch(sql).unwrap();
        }
        old.pragma_update(None, "user_version", 3).unwrap();
        old.execute(
            "INSERT INTO papers (reference, year, seq, allocated, kind, public, date, subject,
                department, source_json, source_sha512, created_at, modified_at)
             VALUES ('0001/2026', 2026, 1, 1, 'beschlussvorlage', 1, '2026-01-02', 'S', '55 X',
                '{\"oeffentlich\": true, \"verfuegung\": {\"veroeffentlichung\": true}}', 'h', 't', 't')",
            [],
        )
        .unwrap();
        assert_eq!(columns(&old)[0].0.as_deref(), Some("0000-01-01"));
        drop(old);
        let conn = open(&path).unwrap();
        assert_eq!(columns(&conn), [(None, "0001-2026".into())]);
    }
}
