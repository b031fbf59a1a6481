package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Topic is one class of a custom taxonomy.
type Topic struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Examples    []string `json:"examples"`
}

// Taxonomy is an operator-defined set of topics.
type Taxonomy struct {
	Name      string    `json:"name"`
	Topics    []Topic   `json:"topics"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PutTaxonomy creates the taxonomy or replaces its topics, and reports
// whether it was created. An invalid taxonomy gets a ValidationError.
func (db *DB) PutTaxonomy(ctx context.Context, t Taxonomy) (created bool, err error) {
	if err := t.Validate(); err != nil {
		return false, fmt.Errorf("store: put taxonomy: %w", err)
	}
	now := time.Now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, db.rebind(`SELECT id FROM taxonomies WHERE name = ?`), t.Name).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO taxonomies (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`),
				t.Name, now, now).Scan(&id)
		case err == nil:
			_, err = tx.ExecContext(ctx, db.rebind(`UPDATE taxonomies SET updated_at = ? WHERE id = ?`), now, id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM taxonomy_topics WHERE taxonomy_id = ?`), id); err != nil {
			return err
		}
		for i, topic := range t.Topics {
			examples := topic.Examples
			if examples == nil {
				examples = []string{}
			}
			ex, err := json.Marshal(examples)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO taxonomy_topics (taxonomy_id, position, name, description, examples)
				VALUES (?, ?, ?, ?, ?)`), id, i, topic.Name, topic.Description, string(ex)); err != nil {
				return fmt.Errorf("topic %q: %w", topic.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: put taxonomy %q: %w", t.Name, err)
	}
	return created, nil
}

// Taxonomy returns the named taxonomy, or ErrNotFound.
func (db *DB) Taxonomy(ctx context.Context, name string) (Taxonomy, error) {
	all, err := db.taxonomies(ctx, name)
	if err != nil {
		return Taxonomy{}, fmt.Errorf("store: taxonomy %q: %w", name, err)
	}
	if len(all) == 0 {
		return Taxonomy{}, fmt.Errorf("store: taxonomy %q: %w", name, ErrNotFound)
	}
	return all[0], nil
}

// Taxonomies lists every taxonomy by name.
func (db *DB) Taxonomies(ctx context.Context) ([]Taxonomy, error) {
	all, err := db.taxonomies(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("store: taxonomies: %w", err)
	}
	return all, nil
}

// taxonomies reads one taxonomy by name, or all when name is empty.
func (db *DB) taxonomies(ctx context.Context, name string) ([]Taxonomy, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT t.name, t.created_at, t.updated_at, tt.name, tt.description, tt.examples
		FROM taxonomies t LEFT JOIN taxonomy_topics tt ON tt.taxonomy_id = t.id
		WHERE ? = '' OR t.name = ?
		ORDER BY t.name, tt.position`), name, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Taxonomy
	for rows.Next() {
		var (
			t           Taxonomy
			topic, desc sql.NullString
			examples    []byte
		)
		if err := rows.Scan(&t.Name, &t.CreatedAt, &t.UpdatedAt, &topic, &desc, &examples); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != t.Name {
			out = append(out, t)
		}
		if topic.Valid {
			tp := Topic{Name: topic.String, Description: desc.String}
			if err := json.Unmarshal(examples, &tp.Examples); err != nil {
				return nil, fmt.Errorf("examples of %q: %w", topic.String, err)
			}
			last := &out[len(out)-1]
			last.Topics = append(last.Topics, tp)
		}
	}
	return out, rows.Err()
}

// DeleteTaxonomy removes the named taxonomy, or returns ErrNotFound.
func (db *DB) DeleteTaxonomy(ctx context.Context, name string) error {
	res, err := db.sql.ExecContext(ctx, db.rebind(`DELETE FROM taxonomies WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("store: delete taxonomy %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("store: delete taxonomy %q: %w", name, ErrNotFound)
	}
	return nil
}
