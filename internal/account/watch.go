package account

import (
	"context"
	"strings"

	"tandem/internal/db"
	"tandem/internal/fail"
)

// Watch is one project an account watches: Gerrit's ProjectWatchInfo.
// Filter, a change query, narrows the changes it is about; the flags say
// which events the account wants to hear of.
type Watch struct {
	Project          string
	Filter           string
	NewChanges       bool
	NewPatchSets     bool
	AllComments      bool
	SubmittedChanges bool
	AbandonedChanges bool
}

// Watches lists an account's watches by project, then filter.
func (s *Service) Watches(ctx context.Context, id int64) ([]Watch, error) {
	rows, err := s.db.Query(ctx, `SELECT project, filter, new_changes, new_patch_sets, all_comments, submitted_changes,
		abandoned_changes FROM project_watches WHERE account_id = $1 ORDER BY project, filter`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Watch
	for rows.Next() {
		var w Watch
		if err := rows.Scan(&w.Project, &w.Filter, &w.NewChanges, &w.NewPatchSets, &w.AllComments,
			&w.SubmittedChanges, &w.AbandonedChanges); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// normalize trims a watch and checks it names a project.
func (w *Watch) normalize() error {
	w.Project, w.Filter = strings.TrimSpace(w.Project), strings.TrimSpace(w.Filter)
	if w.Project == "" {
		return fail.Errorf(fail.Invalid, "project name must be specified")
	}
	if w.Filter == "*" {
		w.Filter = "" // Gerrit's way of saying "all changes"
	}
	return nil
}

// SetWatches adds watches to an account, replacing those of the same
// project and filter, in one transaction.
func (s *Service) SetWatches(ctx context.Context, id int64, ws []Watch) error {
	return s.changeWatches(ctx, id, ws, true)
}

// DeleteWatches removes the account's watches of the given projects and
// filters, in one transaction; watches it does not have are ignored.
func (s *Service) DeleteWatches(ctx context.Context, id int64, ws []Watch) error {
	return s.changeWatches(ctx, id, ws, false)
}

// changeWatches deletes the account's watches of the projects and filters
// of ws and, with insert, stores ws in their place.
func (s *Service) changeWatches(ctx context.Context, id int64, ws []Watch, insert bool) error {
	for i := range ws {
		if err := ws[i].normalize(); err != nil {
			return err
		}
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		for _, w := range ws {
			if _, err := tx.Exec(ctx, `DELETE FROM project_watches WHERE account_id = $1 AND project = $2 AND filter = $3`,
				id, w.Project, w.Filter); err != nil {
				return err
			}
			if !insert {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO project_watches (account_id, project, filter, new_changes, new_patch_sets,
				all_comments, submitted_changes, abandoned_changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				id, w.Project, w.Filter, w.NewChanges, w.NewPatchSets, w.AllComments, w.SubmittedChanges, w.AbandonedChanges); err != nil {
				return err
			}
		}
		return nil
	})
}
