-- dossiers_queue (status, queued_at) serves every status lookup that
-- dossiers_status (status, submitted_at) did; keeping both made each status
-- change write two index entries (bench/walprobe: ~2 of a submit's WAL pages).
DROP INDEX IF EXISTS dossiers_status;
