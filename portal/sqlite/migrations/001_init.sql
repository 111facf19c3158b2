-- 001_init: dossiers with their history and attachments, the per-agency daily
-- sequences that number dossier codes, and login state (challenges, sessions).
--
-- Times are INTEGER nanoseconds since the Unix epoch, UTC: exact round trips
-- and correct ordering (RFC3339Nano text trims trailing zeros and so does not
-- sort). 0 stands for the zero time; NULL for "not yet".
--
-- Room for later migrations: payments and issued results get their own
-- tables keyed by dossier_id (REFERENCES dossiers (id)), numbered after the
-- last file in this directory.

CREATE TABLE dossiers (
    id             TEXT PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    procedure_code TEXT NOT NULL,
    owner_id       TEXT NOT NULL,
    group_id       TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    form           TEXT NOT NULL DEFAULT '{}', -- JSON object of field code → value
    fee            INTEGER NOT NULL DEFAULT 0,
    payment_status TEXT NOT NULL DEFAULT '',
    online         INTEGER NOT NULL DEFAULT 1,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    submitted_at   INTEGER,
    received_at    INTEGER,
    appointment_at INTEGER,
    decided_at     INTEGER,
    result_at      INTEGER,
    completed_at   INTEGER,
    on_time        INTEGER, -- NULL until decided
    assignee_id    TEXT NOT NULL DEFAULT '',
    supplements    INTEGER NOT NULL DEFAULT 0,
    rating         INTEGER NOT NULL DEFAULT 0,
    rating_note    TEXT NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1
);

-- "My dossiers", newest first.
CREATE INDEX dossiers_owner ON dossiers (owner_id, created_at);
-- Officer queues by status, oldest submission first; also CountByStatus.
CREATE INDEX dossiers_status ON dossiers (status, submitted_at);
CREATE INDEX dossiers_assignee ON dossiers (assignee_id) WHERE assignee_id <> '';
CREATE INDEX dossiers_created ON dossiers (created_at);

CREATE TABLE dossier_history (
    dossier_id  TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (dossier_id, seq)
) WITHOUT ROWID;

-- The last sequence number given to an agency on a day (Vietnam time), so
-- codes are <agency>-<YYMMDD>-0001, 0002, ... per agency per day.
CREATE TABLE dossier_sequences (
    agency_code TEXT NOT NULL,
    day         TEXT NOT NULL, -- YYYY-MM-DD in Vietnam time
    last_seq    INTEGER NOT NULL,
    PRIMARY KEY (agency_code, day)
) WITHOUT ROWID;

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    dossier_id   TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    requirement  TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    content      BLOB NOT NULL
);
CREATE INDEX attachments_dossier ON attachments (dossier_id, uploaded_at);

CREATE TABLE challenges (
    id          TEXT PRIMARY KEY,
    personal_id TEXT NOT NULL,
    otp         TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX challenges_expires ON challenges (expires_at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
