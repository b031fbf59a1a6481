-- A cancelled import (POST /imports/:id/cancel, newsintel import
-- --cancel): when it was cancelled. Its pending items were rejected with
-- the reason "cancelled" in the same transaction, and its reading stops.
-- Mirrors the postgres file.
ALTER TABLE imports ADD COLUMN cancelled_at TIMESTAMP;
