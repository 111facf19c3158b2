-- 003_payments_results: e-payment attempts with the gateway notifications
-- already applied (so a replay is recognised), and issued e-results.

CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    dossier_id   TEXT NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    amount       INTEGER NOT NULL,
    status       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    gateway_ref  TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    confirmed_at INTEGER
);
CREATE INDEX payments_dossier ON payments (dossier_id, created_at);

-- One row per applied notification: the primary key makes a replayed
-- (payment_id, nonce) a no-op even under concurrent deliveries.
CREATE TABLE payment_notifications (
    payment_id TEXT NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    nonce      TEXT NOT NULL,
    status     TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (payment_id, nonce)
) WITHOUT ROWID;

-- The signed e-result of a dossier, stored as issued (the exact signed
-- JSON), written in the same transaction as the result_issued transition.
CREATE TABLE results (
    dossier_id   TEXT PRIMARY KEY REFERENCES dossiers (id) ON DELETE CASCADE,
    dossier_code TEXT NOT NULL UNIQUE,
    document     BLOB NOT NULL, -- the signed result, JSON
    sha256       TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    issued_at    INTEGER NOT NULL
);
