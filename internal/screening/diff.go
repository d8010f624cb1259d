package screening

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// FieldChange is one field of an entry that differs between two versions.
// Lists compare as sets: Removed and Added are the values one side has
// and the other not; a text field has one value on each side.
type FieldChange struct {
	Field   string // name, type, aliases, datesOfBirth, countries, programs, remarks
	Removed []string
	Added   []string
}

// FieldChanges lists the fields in which after differs from before.
func FieldChanges(before, after Entry) []FieldChange {
	var out []FieldChange
	text := func(field, b, a string) {
		if b != a {
			fc := FieldChange{Field: field}
			if b != "" {
				fc.Removed = []string{b}
			}
			if a != "" {
				fc.Added = []string{a}
			}
			out = append(out, fc)
		}
	}
	set := func(field string, b, a []string) {
		fc := FieldChange{Field: field}
		for _, x := range b {
			if !slices.Contains(a, x) {
				fc.Removed = append(fc.Removed, x)
			}
		}
		for _, x := range a {
			if !slices.Contains(b, x) {
				fc.Added = append(fc.Added, x)
			}
		}
		if len(fc.Removed)+len(fc.Added) > 0 {
			out = append(out, fc)
		}
	}
	text("name", before.Name, after.Name)
	text("type", string(before.Type), string(after.Type))
	set("aliases", before.Aliases, after.Aliases)
	set("datesOfBirth", before.DatesOfBirth, after.DatesOfBirth)
	set("countries", before.Countries, after.Countries)
	set("programs", before.Programs, after.Programs)
	text("remarks", before.Remarks, after.Remarks)
	return out
}

// EntryChange is an entry a version added, removed or changed, with the
// entry as it was and as it is.
type EntryChange struct {
	Change  string // ADDED, REMOVED or CHANGED
	EntryID string
	// Before is the entry in the previous version (nil when added), After
	// in this one (nil when removed).
	Before, After *Entry
	// Fields are what changed, for a CHANGED entry.
	Fields []FieldChange
}

// Name is the entry's name as it now stands, or stood when removed.
func (c EntryChange) Name() string {
	if c.After != nil {
		return c.After.Name
	}
	if c.Before != nil {
		return c.Before.Name
	}
	return ""
}

// DiffPage is a page of what a version changed against the one before.
type DiffPage struct {
	Version  Version
	Previous *Version
	Changes  []EntryChange
	// Total is how many changes of the asked kind there are.
	Total int64
}

// Version returns one version of a list.
func (s *Service) Version(ctx context.Context, id uuid.UUID) (Version, error) {
	var out Version
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		v, err := q.ScreeningVersionByID(ctx, id)
		out = versionOf(v)
		return err
	})
	if db.IsNotFound(err) {
		return Version{}, apperr.New(apperr.NotFound, "no such list version")
	}
	if err != nil {
		return Version{}, fmt.Errorf("screening: version: %w", err)
	}
	return out, nil
}

// VersionDiff is a page of a version's changes (of one kind, or all when
// change is empty), each with its entry before and after and the fields
// that changed.
func (s *Service) VersionDiff(ctx context.Context, versionID uuid.UUID, change string, offset, limit int) (DiffPage, error) {
	if change != "" && change != "ADDED" && change != "REMOVED" && change != "CHANGED" {
		return DiffPage{}, apperr.Validation(apperr.FieldError{Field: "change", Issue: "use ADDED, REMOVED or CHANGED"})
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	offset = max(offset, 0)
	var out DiffPage
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		v, err := q.ScreeningVersionByID(ctx, versionID)
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "no such list version")
		}
		if err != nil {
			return err
		}
		out.Version = versionOf(v)
		if v.PreviousVersionID != nil {
			p, err := q.ScreeningVersionByID(ctx, *v.PreviousVersionID)
			if err != nil {
				return err
			}
			pv := versionOf(p)
			out.Previous = &pv
		}
		if out.Total, err = q.CountScreeningVersionChanges(ctx, db.CountScreeningVersionChangesParams{VersionID: versionID, Change: change}); err != nil {
			return err
		}
		rows, err := q.ScreeningVersionChangePage(ctx, db.ScreeningVersionChangePageParams{
			VersionID: versionID, Change: change, Skip: int32(offset), MaxRows: int32(limit),
		})
		if err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.SourceEntryID
		}
		after, err := entriesByID(ctx, q, versionID, ids)
		if err != nil {
			return err
		}
		before := map[string]Entry{}
		if v.PreviousVersionID != nil {
			if before, err = entriesByID(ctx, q, *v.PreviousVersionID, ids); err != nil {
				return err
			}
		}
		for _, r := range rows {
			c := EntryChange{Change: r.Change, EntryID: r.SourceEntryID}
			if e, ok := before[r.SourceEntryID]; ok {
				c.Before = &e
			}
			if e, ok := after[r.SourceEntryID]; ok {
				c.After = &e
			}
			if c.Before != nil && c.After != nil {
				c.Fields = FieldChanges(*c.Before, *c.After)
			}
			out.Changes = append(out.Changes, c)
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return DiffPage{}, err
		}
		return DiffPage{}, fmt.Errorf("screening: diff: %w", err)
	}
	return out, nil
}

func entriesByID(ctx context.Context, q *db.Queries, versionID uuid.UUID, ids []string) (map[string]Entry, error) {
	rows, err := q.ScreeningEntriesByIDs(ctx, db.ScreeningEntriesByIDsParams{VersionID: versionID, Ids: ids})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Entry, len(rows))
	for _, r := range rows {
		out[r.SourceEntryID] = entryOf(r)
	}
	return out, nil
}

// Sources lists the known lists.
func (s *Service) Sources(ctx context.Context) ([]Source, error) {
	var out []Source
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		rows, err := q.ListScreeningSources(ctx)
		for _, r := range rows {
			out = append(out, Source{ID: r.ID, Name: r.Name, Kind: r.Kind, Format: formatOf(r.Format)})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening: sources: %w", err)
	}
	return out, nil
}

func formatOf(name string) Format {
	for f, n := range formatNames {
		if n == name {
			return f
		}
	}
	return ""
}
