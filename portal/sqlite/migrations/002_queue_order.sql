-- 002_queue_order: officer queues list dossiers by status, oldest submission
-- (else creation) first. Indexing that order lets a queue page read rows in
-- order instead of sorting every queued dossier on each scan.
ALTER TABLE dossiers ADD COLUMN queued_at INTEGER
    GENERATED ALWAYS AS (COALESCE(submitted_at, created_at)) VIRTUAL;
CREATE INDEX dossiers_queue ON dossiers (status, queued_at);
