-- Custom taxonomies: operators define topics by name, description and a
-- few example texts; classification against them is zero/few-shot until a
-- head is trained.

CREATE TABLE taxonomies (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE taxonomy_topics (
    taxonomy_id INTEGER NOT NULL REFERENCES taxonomies (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    examples    TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    PRIMARY KEY (taxonomy_id, position),
    UNIQUE (taxonomy_id, name)
);

-- Which taxonomy a prediction was made against; NULL for the trained model.
ALTER TABLE predictions ADD COLUMN taxonomy TEXT;
