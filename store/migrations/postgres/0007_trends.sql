-- Trends count articles by when they were published, falling back to when
-- they were received, in whatever time zone the analyst reads them: the
-- daily rollup by prediction time gives way to two by the article's own
-- time. topic_hours serves every zone offset by whole hours (UTC, the
-- Americas, Europe, most of Asia); topic_slots, by quarter hour, serves
-- the rest (India, Nepal, parts of Australia...): every zone in use today
-- is offset by whole quarter hours, so a slot never straddles two local
-- days. Mirrors the sqlite file.

CREATE TABLE topic_hours (
    slot      BIGINT NOT NULL,            -- start of the hour, Unix seconds (UTC)
    source    TEXT NOT NULL DEFAULT '',   -- the article's source, '' if none
    label     TEXT NOT NULL,
    undated   INTEGER NOT NULL DEFAULT 0, -- 1: no published_at, counted by ingested_at
    predicted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (slot, source, label, undated)
);

INSERT INTO topic_hours (slot, source, label, undated, predicted)
SELECT floor(extract(epoch FROM COALESCE(a.published_at, a.ingested_at)) / 3600)::bigint * 3600,
    COALESCE(a.source, ''), p.label, CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END, COUNT(*)
FROM predictions p JOIN articles a ON a.id = p.article_id
WHERE p.taxonomy IS NULL
GROUP BY 1, 2, 3, 4;

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

-- The filters list every topic and source: with these, a loose index scan
-- (store.distinctTrendValues) reads one entry per value, not one per row.
CREATE INDEX topic_hours_label ON topic_hours (label);
CREATE INDEX topic_hours_source ON topic_hours (source);

DROP TABLE topic_daily;
