-- Trends count articles by when they were published, falling back to when
-- they were received, in whatever time zone the analyst reads them: the
-- daily rollup by prediction time gives way to one by quarter hour of the
-- article's own time (every zone in use today is offset by whole quarter
-- hours, so a quarter hour never straddles two local days). Mirrors the
-- sqlite file.

CREATE TABLE topic_slots (
    slot      BIGINT NOT NULL,            -- start of the quarter hour, Unix seconds (UTC)
    source    TEXT NOT NULL DEFAULT '',   -- the article's source, '' if none
    label     TEXT NOT NULL,
    undated   INTEGER NOT NULL DEFAULT 0, -- 1: no published_at, counted by ingested_at
    predicted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (slot, source, label, undated)
);

INSERT INTO topic_slots (slot, source, label, undated, predicted)
SELECT floor(extract(epoch FROM COALESCE(a.published_at, a.ingested_at)) / 900)::bigint * 900,
    COALESCE(a.source, ''), p.label, CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END, COUNT(*)
FROM predictions p JOIN articles a ON a.id = p.article_id
WHERE p.taxonomy IS NULL
GROUP BY 1, 2, 3, 4;

DROP TABLE topic_daily;
