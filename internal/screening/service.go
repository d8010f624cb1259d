package screening

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
)

// Service loads lists, screens names and keeps hits. It holds the index of
// the lists' current versions in memory; Load rebuilds it in this process,
// and Refresh (or Watch) picks up versions another process loaded.
type Service struct {
	pool *pgxpool.Pool

	rebuild sync.Mutex // one rebuild at a time
	current atomic.Pointer[builtIndex]

	optionsTTL time.Duration
	options    sync.Map // tenant id → cachedOptions

	// Jobs, when set, queues the re-screening after each load (in the
	// load's transaction) and the loads of uploaded lists. Set it once,
	// before use: the job queue's client sets it when it is built.
	Jobs JobInserter

	// FetchEnabled lets the lists be fetched from their publishers
	// (SCREENING_FETCH); off, nothing reaches them.
	FetchEnabled bool
	// FetchClient fetches the lists; nil: a client with a five-minute
	// time-out.
	FetchClient *http.Client
	// Now is the clock of the fetch schedule; nil: time.Now.
	Now func() time.Time
	// Metrics, when set, counts the alerts the lists raise.
	Metrics AlertCounter
}

// AlertCounter counts the alerts lists raise, by list and alert.
type AlertCounter interface {
	ListAlert(source, alert string)
}

// builtIndex is an index with the versions it was built from.
type builtIndex struct {
	ix       *Index
	versions map[string]uuid.UUID // source → version id
}

type cachedOptions struct {
	opts    SearchOptions
	expires time.Time
}

// NewService returns a Service on pool. The index is built on first use.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, optionsTTL: 10 * time.Second}
}

// Result is what a search found.
type Result struct {
	// Matches are best first, at or above the tenant's possible-match
	// threshold.
	Matches []Match
	// ListsChecked are the list versions searched.
	ListsChecked []ListRef
}

// Search screens q against the lists the tenant screens against.
func (s *Service) Search(ctx context.Context, tenantID uuid.UUID, q Query) (Result, error) {
	return s.search(ctx, tenantID, q, false)
}

// EnhancedPossible is the possible-match threshold of enhanced screening
// when the tenant set none of its own: the possible-match threshold less
// EnhancedMargin, never below EnhancedFloor, so that weaker resemblances
// reach a person too.
func EnhancedPossible(possible float64) float64 {
	return max(possible-EnhancedMargin, EnhancedFloor)
}

// How much enhanced screening lowers the possible-match threshold, and
// the lowest it goes.
const (
	EnhancedMargin = 0.08
	EnhancedFloor  = 0.65
)

func (s *Service) search(ctx context.Context, tenantID uuid.UUID, q Query, enhanced bool) (Result, error) {
	q, err := validateQuery(q)
	if err != nil {
		return Result{}, err
	}
	ix, err := s.index(ctx)
	if err != nil {
		return Result{}, err
	}
	opts, err := s.searchOptions(ctx, tenantID)
	if err != nil {
		return Result{}, err
	}
	if enhanced {
		opts = enhancedOptions(opts)
	}
	return Result{Matches: ix.Search(q, opts), ListsChecked: listsChecked(ix, opts)}, nil
}

// enhancedOptions are a tenant's options for enhanced screening: the
// stricter possible-match threshold.
func enhancedOptions(opts SearchOptions) SearchOptions {
	th := opts.EnhancedThreshold
	if th == 0 {
		th = EnhancedPossible(opts.PossibleThreshold)
	}
	opts.PossibleThreshold = min(th, opts.PossibleThreshold)
	return opts
}

func listsChecked(ix *Index, opts SearchOptions) []ListRef {
	out := []ListRef{}
	for _, l := range ix.lists {
		if opts.Sources == nil || opts.Sources[l.Source] {
			out = append(out, l)
		}
	}
	return out
}

// Names longer than this are refused: nobody's is.
const maxQueryName = 300

var isoDate = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)

// validateQuery checks a query and tidies it; problems are named by the
// API's field names.
func validateQuery(q Query) (Query, error) {
	var fe apperr.Fields
	q.Name = strings.TrimSpace(q.Name)
	q.Type = EntryType(strings.ToUpper(strings.TrimSpace(string(q.Type))))
	q.DateOfBirth = strings.TrimSpace(q.DateOfBirth)
	q.Country = strings.ToUpper(strings.TrimSpace(q.Country))
	switch {
	case q.Name == "":
		fe.Add("name", "give a name to screen")
	case len(q.Name) > maxQueryName:
		fe.Add("name", "a name may have at most %d characters", maxQueryName)
	default:
		if _, ok := prepare(Query{Name: q.Name}); !ok {
			if len(analyse(q.Name)) == 0 {
				fe.Add("name", "the name has no letters or digits to screen")
			} else {
				fe.Add("name", "give at least one word of the name in full, not only initials")
			}
		}
	}
	if q.Type != "" && !q.Type.valid() {
		fe.Add("type", "use INDIVIDUAL, ENTITY, VESSEL or AIRCRAFT")
	}
	if q.DateOfBirth != "" {
		if _, ok := parseDate(q.DateOfBirth); !ok || !isoDate.MatchString(q.DateOfBirth) {
			fe.Add("dateOfBirth", "use YYYY-MM-DD (or YYYY-MM, YYYY)")
		}
	}
	if q.Country != "" {
		if len(q.Country) != 2 || !knownAlpha2[q.Country] {
			fe.Add("country", "use an ISO 3166-1 alpha-2 code such as US")
		}
	}
	q.Identifiers = validateIdentifiers(q.Identifiers, &fe)
	return q, fe.Err()
}

// index is the current index, built from the database on first use.
func (s *Service) index(ctx context.Context) (*Index, error) {
	if b := s.current.Load(); b != nil {
		return b.ix, nil
	}
	if _, err := s.Refresh(ctx); err != nil {
		return nil, err
	}
	return s.current.Load().ix, nil
}

// Refresh rebuilds the index when the current versions in the database are
// not those it was built from, and reports whether it did. A server calls
// it (or Watch) so that versions loaded elsewhere come into use.
func (s *Service) Refresh(ctx context.Context) (bool, error) {
	s.rebuild.Lock()
	defer s.rebuild.Unlock()
	var versions []db.ScreeningListVersion
	var sources []db.ScreeningSource
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		if versions, err = q.CurrentScreeningVersions(ctx); err != nil {
			return err
		}
		sources, err = q.ListScreeningSources(ctx)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("screening: refresh: %w", err)
	}
	want := make(map[string]uuid.UUID, len(versions))
	for _, v := range versions {
		want[v.SourceID] = v.ID
	}
	if b := s.current.Load(); b != nil && maps.Equal(b.versions, want) {
		return false, nil
	}
	kinds := make(map[string]string, len(sources))
	for _, src := range sources {
		kinds[src.ID] = src.Kind
	}
	lists := make([]List, 0, len(versions))
	for _, v := range versions {
		var rows []db.ScreeningEntry
		err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
			var err error
			rows, err = q.ScreeningEntriesOfVersion(ctx, v.ID)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("screening: refresh: entries of %s version %d: %w", v.SourceID, v.Seq, err)
		}
		lists = append(lists, List{Ref: listRef(v, kinds[v.SourceID]), Entries: entriesFromRows(rows)})
	}
	s.current.Store(&builtIndex{ix: BuildIndex(lists), versions: want})
	return true, nil
}

// Watch calls Refresh every interval until ctx ends, reporting failures to
// onError. Servers behind a load balancer run it so that a list loaded
// through one of them reaches all.
func (s *Service) Watch(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Refresh(ctx); err != nil && onError != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}

func listRef(v db.ScreeningListVersion, kind string) ListRef {
	return ListRef{Source: v.SourceID, Kind: kind, Version: int(v.Seq), VersionID: v.ID, LoadedAt: v.LoadedAt, Entries: int(v.EntryCount)}
}

func entriesFromRows(rows []db.ScreeningEntry) []Entry {
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{
			ID: r.SourceEntryID, Type: EntryType(r.Type), Name: r.PrimaryName, Aliases: r.Aliases,
			DatesOfBirth: r.DatesOfBirth, Countries: r.Countries, Programs: r.Programs, Remarks: r.Remarks,
			Identifiers: parseIdentifierStrings(r.Identifiers), ListedOn: r.ListedOn,
		}
	}
	return out
}
