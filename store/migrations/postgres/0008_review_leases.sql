-- Every claim a reviewer has held on an item, with when it ran out, so a
-- label sent after the lease expired is refused even once the item has
-- moved on (another reviewer's first label under double review clears
-- review_items.claimed_by). A claim or an undo writes the row; the
-- reviewer's label or skip removes it. Mirrors the sqlite file.
CREATE TABLE review_leases (
    review_item_id BIGINT NOT NULL REFERENCES review_items (id) ON DELETE CASCADE,
    reviewer       TEXT NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (review_item_id, reviewer)
);

-- A skip may say that none of the item's labels fits ("none of these"),
-- with the reviewer's reason, kept beside the audit log's record of it;
-- admins see the count per reviewer on the Review page.
ALTER TABLE review_actions ADD COLUMN none_of_these BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE review_actions ADD COLUMN note TEXT NOT NULL DEFAULT '';
