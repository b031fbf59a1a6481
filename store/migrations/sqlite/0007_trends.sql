-- Trends count articles by when they were published, falling back to when
-- they were received, in whatever time zone the analyst reads them: the
-- daily rollup by prediction time gives way to two by the article's own
-- time. topic_hours serves every zone offset by whole hours (UTC, the
-- Americas, Europe, most of Asia); topic_slots, by quarter hour, serves
-- the rest (India, Nepal, parts of Australia...): every zone in use today
-- is offset by whole quarter hours, so a slot never straddles two local
-- days. Mirrors the postgres file.

CREATE TABLE topic_hours (
    slot      INTEGER NOT NULL,           -- start of the hour, Unix seconds (UTC)
    source    TEXT NOT NULL DEFAULT '',   -- the article's source, '' if none
    label     TEXT NOT NULL,
    undated   INTEGER NOT NULL DEFAULT 0, -- 1: no published_at, counted by ingested_at
    predicted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (slot, source, label, undated)
);

INSERT INTO topic_hours (slot, source, label, undated, predicted)
SELECT s - ((s % 3600) + 3600) % 3600, source, label, undated, COUNT(*)
FROM (
    SELECT CAST(strftime('%s', COALESCE(a.published_at, a.ingested_at)) AS INTEGER) AS s,
        COALESCE(a.source, '') AS source, p.label AS label,
        CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END AS undated
    FROM predictions p JOIN articles a ON a.id = p.article_id
    WHERE p.taxonomy IS NULL
) t
GROUP BY 1, 2, 3, 4;

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

-- The filters list every topic and source: with these, a loose index scan
-- (store.distinctTrendValues) reads one entry per value, not one per row.
CREATE INDEX topic_hours_label ON topic_hours (label);
CREATE INDEX topic_hours_source ON topic_hours (source);

DROP TABLE topic_daily;
