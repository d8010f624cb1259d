package aml

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// CustomList is one of a tenant's own lists.
type CustomList struct {
	ID          uuid.UUID
	Name        string
	Description string
	Entries     int64
	CreatedAt   time.Time
}

// CustomListEntry is a name or an account on a list.
type CustomListEntry struct {
	ID        uuid.UUID
	Kind      string
	Value     string
	Note      string
	AddedBy   string
	CreatedAt time.Time
}

// Lists returns the tenant's custom lists.
func (s *Service) Lists(ctx context.Context, tenant uuid.UUID) ([]CustomList, error) {
	var out []CustomList
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLLists(ctx, tenant)
		for _, r := range rows {
			out = append(out, CustomList{ID: r.ID, Name: r.Name, Description: r.Description, Entries: r.Entries, CreatedAt: r.CreatedAt})
		}
		return err
	})
	if err != nil {
		return nil, errf("lists: %w", err)
	}
	return out, nil
}

func errListNotFound() error { return apperr.New(apperr.NotFound, "no such list") }

// CreateList makes a custom list that rules can name with on_list.
func (s *Service) CreateList(ctx context.Context, tenant uuid.UUID, name, description string) (CustomList, error) {
	name, description = strings.TrimSpace(name), strings.TrimSpace(description)
	var fe apperr.Fields
	switch {
	case name == "":
		fe.Add("name", "is required")
	case len([]rune(name)) > 80:
		fe.Add("name", "must be at most 80 characters")
	case strings.ContainsAny(name, `",`):
		fe.Add("name", "must not contain quotes or commas")
	}
	if len([]rune(description)) > 500 {
		fe.Add("description", "must be at most 500 characters")
	}
	if err := fe.Err(); err != nil {
		return CustomList{}, err
	}
	var out CustomList
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.AMLInsertList(ctx, db.AMLInsertListParams{ID: uuid.New(), TenantID: tenant, Name: name, Description: description})
		if err != nil {
			return err
		}
		out = CustomList{ID: r.ID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt}
		if err := bump(ctx, q, tenant); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.list.created", EntityType: "aml_list", EntityID: r.ID.String(),
			ReasonCode: "LIST", After: map[string]any{"name": name, "description": description}})
	})
	if db.IsUniqueViolation(err, "") {
		return CustomList{}, apperr.Validation(apperr.FieldError{Field: "name", Issue: "a list of this name exists already"})
	}
	if err != nil {
		return CustomList{}, errf("create list: %w", err)
	}
	return out, nil
}

// List returns a list with its latest entries.
func (s *Service) List(ctx context.Context, tenant, id uuid.UUID) (CustomList, []CustomListEntry, error) {
	var (
		l       CustomList
		entries []CustomListEntry
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.AMLList(ctx, db.AMLListParams{TenantID: tenant, ID: id})
		if err != nil {
			return err
		}
		l = CustomList{ID: r.ID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt}
		rows, err := q.AMLListEntries(ctx, db.AMLListEntriesParams{TenantID: tenant, ListID: id, MaxRows: 1000})
		for _, e := range rows {
			entries = append(entries, CustomListEntry{ID: e.ID, Kind: e.Kind, Value: e.Value, Note: e.Note, AddedBy: e.AddedBy, CreatedAt: e.CreatedAt})
		}
		l.Entries = int64(len(entries))
		return err
	})
	if db.IsNotFound(err) {
		return CustomList{}, nil, errListNotFound()
	}
	if err != nil {
		return CustomList{}, nil, errf("list: %w", err)
	}
	return l, entries, nil
}

// AddListEntry puts a name or an account on a list.
func (s *Service) AddListEntry(ctx context.Context, tenant, list uuid.UUID, kind, value, note string) (CustomListEntry, error) {
	kind, value, note = strings.ToUpper(strings.TrimSpace(kind)), strings.TrimSpace(value), strings.TrimSpace(note)
	var fe apperr.Fields
	if kind != "NAME" && kind != "ACCOUNT" {
		fe.Add("kind", "must be NAME or ACCOUNT")
	}
	normalized := NormalizeName(value)
	if kind == "ACCOUNT" {
		normalized = NormalizeAccount(value)
	}
	switch {
	case value == "":
		fe.Add("value", "is required")
	case len([]rune(value)) > 200:
		fe.Add("value", "must be at most 200 characters")
	case normalized == "":
		fe.Add("value", "has no letters or digits")
	}
	if len([]rune(note)) > 500 {
		fe.Add("note", "must be at most 500 characters")
	}
	if err := fe.Err(); err != nil {
		return CustomListEntry{}, err
	}
	who := actor.From(ctx)
	var out CustomListEntry
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		l, err := q.AMLList(ctx, db.AMLListParams{TenantID: tenant, ID: list})
		if err != nil {
			return err
		}
		e, err := q.AMLInsertListEntry(ctx, db.AMLInsertListEntryParams{ID: uuid.New(), TenantID: tenant, ListID: list, Kind: kind,
			Value: value, Normalized: normalized, Note: note, AddedBy: who.Name})
		if err != nil {
			return err
		}
		out = CustomListEntry{ID: e.ID, Kind: e.Kind, Value: e.Value, Note: e.Note, AddedBy: e.AddedBy, CreatedAt: e.CreatedAt}
		if err := bump(ctx, q, tenant); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.list.entry_added", EntityType: "aml_list", EntityID: list.String(),
			ReasonCode: kind, After: map[string]any{"list": l.Name, "kind": kind, "value": value, "note": note}})
	})
	if db.IsNotFound(err) {
		return CustomListEntry{}, errListNotFound()
	}
	if db.IsUniqueViolation(err, "") {
		return CustomListEntry{}, apperr.Validation(apperr.FieldError{Field: "value", Issue: "is on this list already"})
	}
	if err != nil {
		return CustomListEntry{}, errf("add list entry: %w", err)
	}
	return out, nil
}

// RemoveListEntry takes an entry off a list.
func (s *Service) RemoveListEntry(ctx context.Context, tenant, list, entry uuid.UUID) error {
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		e, err := q.AMLDeleteListEntry(ctx, db.AMLDeleteListEntryParams{TenantID: tenant, ListID: list, ID: entry})
		if err != nil {
			return err
		}
		if err := bump(ctx, q, tenant); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.list.entry_removed", EntityType: "aml_list", EntityID: list.String(),
			ReasonCode: e.Kind, Before: map[string]any{"kind": e.Kind, "value": e.Value, "note": e.Note}})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such entry")
	}
	if err != nil {
		return errf("remove list entry: %w", err)
	}
	return nil
}

// Rates returns the rates in use: the tenant's own and the built-in ones
// it has not replaced, by currency.
func (s *Service) Rates(ctx context.Context, tenant uuid.UUID) ([]Rate, error) {
	var out []Rate
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLRates(ctx, tenant)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, Rate{Currency: r.Currency, EURPerUnit: r.EurPerUnit, Tenant: true, UpdatedBy: r.UpdatedBy})
		}
		return nil
	})
	if err != nil {
		return nil, errf("rates: %w", err)
	}
	for c, v := range BuiltInRates {
		if !slices.ContainsFunc(out, func(r Rate) bool { return r.Currency == c }) {
			out = append(out, Rate{Currency: c, EURPerUnit: decimal.RequireFromString(v)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

// SetRate sets what one unit of a currency is worth in euros for the
// tenant; an empty value goes back to the built-in rate.
func (s *Service) SetRate(ctx context.Context, tenant uuid.UUID, cur, eurPerUnit string) error {
	cur = strings.ToUpper(strings.TrimSpace(cur))
	eurPerUnit = strings.TrimSpace(eurPerUnit)
	var fe apperr.Fields
	if !validCurrency(cur) {
		fe.Add("currency", "must be an ISO 4217 currency code such as USD")
	} else if cur == ReferenceCurrency {
		fe.Add("currency", "EUR is the reference currency: it is always worth 1")
	}
	var rate decimal.Decimal
	if eurPerUnit != "" {
		var err error
		rate, err = decimal.NewFromString(eurPerUnit)
		switch {
		case err != nil:
			fe.Add("rate", "must be a number such as 0.92")
		case rate.Sign() <= 0:
			fe.Add("rate", "must be more than zero")
		case rate.Exponent() < -10 || rate.GreaterThanOrEqual(decimal.New(1, 13)):
			fe.Add("rate", "must have at most ten decimal places and be reasonable")
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	who := actor.From(ctx)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.AMLRates(ctx, tenant)
		if err != nil {
			return err
		}
		var before any
		for _, r := range rows {
			if r.Currency == cur {
				before = map[string]any{"currency": cur, "eurPerUnit": r.EurPerUnit.String()}
			}
		}
		var after any
		if eurPerUnit == "" {
			if _, err := q.AMLDeleteRate(ctx, db.AMLDeleteRateParams{TenantID: tenant, Currency: cur}); err != nil {
				return err
			}
		} else {
			if _, err := q.AMLUpsertRate(ctx, db.AMLUpsertRateParams{TenantID: tenant, Currency: cur, EurPerUnit: rate, UpdatedBy: who.Name}); err != nil {
				return err
			}
			after = map[string]any{"currency": cur, "eurPerUnit": rate.String()}
		}
		if err := bump(ctx, q, tenant); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "aml.rate.set", EntityType: "aml_rate", EntityID: cur,
			ReasonCode: "RATE", Before: before, After: after})
	})
	if err != nil {
		return errf("set rate: %w", err)
	}
	return nil
}
