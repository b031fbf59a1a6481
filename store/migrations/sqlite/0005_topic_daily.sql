-- A daily rollup of the trained model's predictions by topic and source,
-- kept in the same transaction as each prediction. The trends page reads
-- it instead of grouping a million predictions per view. Mirrors the
-- postgres file.

CREATE TABLE topic_daily (
    day       TEXT NOT NULL,              -- UTC day, YYYY-MM-DD
    source    TEXT NOT NULL DEFAULT '',   -- the article's source, '' if none
    label     TEXT NOT NULL,
    predicted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, source, label)
);

INSERT INTO topic_daily (day, source, label, predicted)
SELECT date(p.created_at), COALESCE(a.source, ''), p.label, COUNT(*)
FROM predictions p JOIN articles a ON a.id = p.article_id
WHERE p.taxonomy IS NULL
GROUP BY 1, 2, 3;

-- Whether a label settled its review item is asked per label (training
-- data, trends, lineage): find items by their final label without a scan.
CREATE INDEX review_items_final_label ON review_items (final_label_id) WHERE final_label_id IS NOT NULL;
