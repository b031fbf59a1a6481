-- Trends count articles by when they were published, falling back to when
-- they were received, in whatever time zone the analyst reads them: the
-- daily rollup by prediction time gives way to one by quarter hour of the
-- article's own time (every zone in use today is offset by whole quarter
-- hours, so a quarter hour never straddles two local days). Mirrors the
-- postgres file.

CREATE TABLE topic_slots (
    slot      INTEGER NOT NULL,           -- start of the quarter hour, Unix seconds (UTC)
    source    TEXT NOT NULL DEFAULT '',   -- the article's source, '' if none
    label     TEXT NOT NULL,
    undated   INTEGER NOT NULL DEFAULT 0, -- 1: no published_at, counted by ingested_at
    predicted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (slot, source, label, undated)
);

INSERT INTO topic_slots (slot, source, label, undated, predicted)
SELECT s - ((s % 900) + 900) % 900, source, label, undated, COUNT(*)
FROM (
    SELECT CAST(strftime('%s', COALESCE(a.published_at, a.ingested_at)) AS INTEGER) AS s,
        COALESCE(a.source, '') AS source, p.label AS label,
        CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END AS undated
    FROM predictions p JOIN articles a ON a.id = p.article_id
    WHERE p.taxonomy IS NULL
) t
GROUP BY 1, 2, 3, 4;

DROP TABLE topic_daily;
