package screening

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// Settings are a tenant's screening settings.
type Settings struct {
	MatchThreshold    float64
	PossibleThreshold float64
	// EnhancedThreshold is the possible-match threshold of enhanced
	// screening (a categorisation's sanctionsCheck ENHANCED); 0: derived
	// from PossibleThreshold (EnhancedPossible).
	EnhancedThreshold float64
	// Sources lists every known source and whether the tenant screens
	// against it. A source the tenant never chose about is screened.
	Sources []SourceSetting
	// MaxListAgeDays is the age, in days since its publication (or its
	// load, when the file carries no date), past which a list in use is
	// flagged as out of date.
	MaxListAgeDays int
}

// DefaultMaxListAgeDays is the list age past which the lists page warns,
// for a tenant that never chose: the sanctions lists change weekly.
const DefaultMaxListAgeDays = 7

// MaxListAgeLimit bounds the tenant's choice of list age, in days.
const MaxListAgeLimit = 365

// SourceSetting is one source and whether a tenant screens against it.
type SourceSetting struct {
	ID      string
	Name    string
	Kind    string
	Enabled bool
}

// SettingsUpdate changes a tenant's settings; nil fields stay as they are.
type SettingsUpdate struct {
	MatchThreshold    *float64
	PossibleThreshold *float64
	// EnhancedThreshold: 0 clears it (derived again).
	EnhancedThreshold *float64
	// Sources turns sources on (true) or off (false) by id.
	Sources map[string]bool
	// MaxListAgeDays sets the list age past which the lists page warns.
	MaxListAgeDays *int
}

// Settings returns the tenant's settings.
func (s *Service) Settings(ctx context.Context, tenantID uuid.UUID) (Settings, error) {
	var out Settings
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		var err error
		out, err = readSettings(ctx, q, tenantID)
		return err
	})
	if err != nil {
		return Settings{}, fmt.Errorf("screening: settings: %w", err)
	}
	return out, nil
}

func readSettings(ctx context.Context, q *db.Queries, tenantID uuid.UUID) (Settings, error) {
	out := Settings{MatchThreshold: DefaultMatchThreshold, PossibleThreshold: DefaultPossibleThreshold, MaxListAgeDays: DefaultMaxListAgeDays}
	row, err := q.ScreeningSettings(ctx, tenantID)
	switch {
	case err == nil:
		out.MatchThreshold, out.PossibleThreshold, out.MaxListAgeDays = row.MatchThreshold, row.PossibleThreshold, int(row.MaxListAgeDays)
		if row.EnhancedThreshold != nil {
			out.EnhancedThreshold = *row.EnhancedThreshold
		}
	case !db.IsNotFound(err):
		return Settings{}, err
	}
	sources, err := q.ListScreeningSources(ctx)
	if err != nil {
		return Settings{}, err
	}
	chosen, err := q.ScreeningTenantSources(ctx, tenantID)
	if err != nil {
		return Settings{}, err
	}
	for _, src := range sources {
		enabled := true
		for _, c := range chosen {
			if c.SourceID == src.ID {
				enabled = c.Enabled
			}
		}
		out.Sources = append(out.Sources, SourceSetting{ID: src.ID, Name: src.Name, Kind: src.Kind, Enabled: enabled})
	}
	return out, nil
}

// UpdateSettings changes the tenant's thresholds and sources, audited.
func (s *Service) UpdateSettings(ctx context.Context, tenantID uuid.UUID, u SettingsUpdate) (Settings, error) {
	var out Settings
	err := db.InTenantTx(ctx, s.pool, tenantID, func(q *db.Queries) error {
		before, err := readSettings(ctx, q, tenantID)
		if err != nil {
			return err
		}
		match, possible, enhanced := before.MatchThreshold, before.PossibleThreshold, before.EnhancedThreshold
		if u.EnhancedThreshold != nil {
			enhanced = *u.EnhancedThreshold
		}
		if u.MatchThreshold != nil {
			match = *u.MatchThreshold
		}
		if u.PossibleThreshold != nil {
			possible = *u.PossibleThreshold
		}
		maxAge := before.MaxListAgeDays
		if u.MaxListAgeDays != nil {
			maxAge = *u.MaxListAgeDays
		}
		var fe apperr.Fields
		if maxAge < 1 || maxAge > MaxListAgeLimit {
			fe.Add("maxListAgeDays", "use a whole number of days from 1 to %d", MaxListAgeLimit)
		}
		if match <= 0 || match > 1 {
			fe.Add("matchThreshold", "use a number above 0 and at most 1")
		}
		if possible <= 0 || possible > 1 {
			fe.Add("possibleThreshold", "use a number above 0 and at most 1")
		}
		if !fe.Has("matchThreshold") && !fe.Has("possibleThreshold") && possible > match {
			fe.Add("possibleThreshold", "must not be above the match threshold")
		}
		if enhanced < 0 || enhanced > 1 {
			fe.Add("enhancedThreshold", "use a number above 0 and at most 1, or leave it empty")
		} else if enhanced > possible && !fe.Has("possibleThreshold") {
			fe.Add("enhancedThreshold", "must not be above the possible-match threshold: enhanced screening is the stricter one")
		}
		for id := range u.Sources {
			if !slices.ContainsFunc(before.Sources, func(src SourceSetting) bool { return src.ID == id }) {
				fe.Add("sources", "no list %q", id)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if _, err := q.UpsertScreeningSettings(ctx, db.UpsertScreeningSettingsParams{
			TenantID: tenantID, MatchThreshold: match, PossibleThreshold: possible, EnhancedThreshold: nonZero(enhanced),
			MaxListAgeDays: int32(maxAge),
		}); err != nil {
			return err
		}
		for id, enabled := range u.Sources {
			if err := q.SetScreeningTenantSource(ctx, db.SetScreeningTenantSourceParams{TenantID: tenantID, SourceID: id, Enabled: enabled}); err != nil {
				return err
			}
		}
		if out, err = readSettings(ctx, q, tenantID); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			TenantID: tenantID, Action: "screening.settings.updated", EntityType: "screening_settings",
			EntityID: tenantID.String(), Before: before, After: out,
		})
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return Settings{}, err
		}
		return Settings{}, fmt.Errorf("screening: update settings: %w", err)
	}
	s.options.Delete(tenantID)
	return out, nil
}

// searchOptions are the tenant's settings as a search uses them, cached
// briefly: they are read on every search.
func (s *Service) searchOptions(ctx context.Context, tenantID uuid.UUID) (SearchOptions, error) {
	if c, ok := s.options.Load(tenantID); ok && time.Now().Before(c.(cachedOptions).expires) {
		return c.(cachedOptions).opts, nil
	}
	st, err := s.Settings(ctx, tenantID)
	if err != nil {
		return SearchOptions{}, err
	}
	opts := optionsOf(st)
	s.options.Store(tenantID, cachedOptions{opts: opts, expires: time.Now().Add(s.optionsTTL)})
	return opts, nil
}

func optionsOf(st Settings) SearchOptions {
	opts := SearchOptions{MatchThreshold: st.MatchThreshold, PossibleThreshold: st.PossibleThreshold, EnhancedThreshold: st.EnhancedThreshold,
		Sources: map[string]bool{}}
	for _, src := range st.Sources {
		if src.Enabled {
			opts.Sources[src.ID] = true
		}
	}
	return opts
}

func nonZero(v float64) *float64 {
	if v == 0 {
		return nil
	}
	return &v
}
