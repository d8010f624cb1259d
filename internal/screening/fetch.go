package screening

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
)

// Fetching lists from their publishers. Each source has its address, a
// schedule, a size limit and what the publisher said last (ETag,
// Last-Modified, the checksum of the file). A fetched file is parsed and
// checked whole before it replaces the version in use; one that would
// remove more than the source's share of the entries is held until a
// person loads it anyway. Nothing is fetched unless FetchEnabled is set:
// tests and offline installs never reach the internet.

// The results of a fetch.
const (
	FetchLoaded      = "LOADED"       // a new version is in use
	FetchUnchanged   = "UNCHANGED"    // the publisher sent the file in use again
	FetchNotModified = "NOT_MODIFIED" // the publisher answered 304
	FetchHeld        = "HELD"         // a shrink awaits a person's approval
	FetchFailed      = "FAILED"
)

// The alerts a source raises.
const (
	AlertFailing = "FAILING" // the last fetch failed
	AlertStale   = "STALE"   // no successful fetch for longer than the source allows
)

// SourceFetch is a source's fetch settings and the state of its fetches.
type SourceFetch struct {
	SourceID      string
	Name          string
	Kind          string
	Format        Format
	URL           string
	Enabled       bool
	Interval      time.Duration
	MaxBytes      int64
	StaleAfter    time.Duration
	MaxShrink     float64
	ETag          string
	LastModified  string
	LastChecksum  string
	LastAttemptAt *time.Time
	LastResult    string
	LastError     string
	LastSuccessAt *time.Time
	LastVersionID *uuid.UUID
	Failures      int
	Alert         string
	NextFetchAt   time.Time
	HeldAt        *time.Time
	HeldEntries   int
	HeldCurrent   int
	CreatedAt     time.Time
}

func sourceFetchOf(r db.ScreeningSourceFetch) SourceFetch {
	return SourceFetch{SourceID: r.SourceID, Name: r.Name, Kind: r.Kind, Format: Format(r.Format), URL: r.Url, Enabled: r.Enabled,
		Interval: time.Duration(r.IntervalSeconds) * time.Second, MaxBytes: r.MaxBytes,
		StaleAfter: time.Duration(r.StaleAfterSeconds) * time.Second, MaxShrink: r.MaxShrink,
		ETag: r.Etag, LastModified: r.LastModified, LastChecksum: r.LastChecksum, LastAttemptAt: r.LastAttemptAt,
		LastResult: r.LastResult, LastError: r.LastError, LastSuccessAt: r.LastSuccessAt, LastVersionID: r.LastVersionID,
		Failures: int(r.Failures), Alert: r.Alert, NextFetchAt: r.NextFetchAt, HeldAt: r.HeldAt,
		HeldEntries: int(r.HeldEntries), HeldCurrent: int(r.HeldCurrent), CreatedAt: r.CreatedAt}
}

// Stale reports whether the source has had no successful fetch for longer
// than it allows, at now.
func (f SourceFetch) Stale(now time.Time) bool {
	since := f.CreatedAt
	if f.LastSuccessAt != nil {
		since = *f.LastSuccessAt
	}
	return now.Sub(since) > f.StaleAfter
}

// FetchConfig is a source's settings as an operator sets them.
type FetchConfig struct {
	SourceID   string
	Name       string
	Kind       string
	Format     Format
	URL        string
	Enabled    bool
	Interval   time.Duration
	MaxBytes   int64
	StaleAfter time.Duration
	MaxShrink  float64
}

// SetFetch sets where and how often a source is fetched, audited. The
// source is due at once.
func (s *Service) SetFetch(ctx context.Context, c FetchConfig) (SourceFetch, error) {
	var fe apperr.Fields
	c.SourceID = strings.TrimSpace(c.SourceID)
	if sourceID(c.SourceID) != c.SourceID || len(c.SourceID) < 2 {
		fe.Add("sourceId", "use capitals, digits and _ (2 to 64)")
	}
	if _, err := ParseFormat(string(c.Format)); err != nil {
		fe.Add("format", "unknown list format")
	}
	if !strings.HasPrefix(c.URL, "https://") && !strings.HasPrefix(c.URL, "http://") {
		fe.Add("url", "give an http or https address")
	}
	if c.Kind == "" {
		c.Kind = KindSanctions
	}
	if c.Kind != KindSanctions && c.Kind != KindPEP {
		fe.Add("kind", "use SANCTIONS or PEP")
	}
	if c.Interval < time.Minute {
		fe.Add("interval", "at least a minute")
	}
	if c.StaleAfter < time.Minute {
		fe.Add("staleAfter", "at least a minute")
	}
	if c.MaxBytes <= 0 {
		fe.Add("maxBytes", "give a positive size")
	}
	if c.MaxShrink < 0 || c.MaxShrink > 1 {
		fe.Add("maxShrink", "a share between 0 and 1")
	}
	if err := fe.Err(); err != nil {
		return SourceFetch{}, err
	}
	var out SourceFetch
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		r, err := q.UpsertScreeningSourceFetch(ctx, db.UpsertScreeningSourceFetchParams{
			SourceID: c.SourceID, Name: c.Name, Kind: c.Kind, Format: string(c.Format), Url: c.URL, Enabled: c.Enabled,
			IntervalSeconds: int32(c.Interval / time.Second), MaxBytes: c.MaxBytes,
			StaleAfterSeconds: int32(c.StaleAfter / time.Second), MaxShrink: c.MaxShrink,
		})
		if err != nil {
			return err
		}
		out = sourceFetchOf(r)
		return audit.Write(ctx, q, audit.Entry{
			Action: "screening.source.fetch_set", EntityType: "screening_source", EntityID: c.SourceID,
			After: map[string]any{"url": urlForRecord(c.URL), "format": c.Format, "enabled": c.Enabled, "intervalSeconds": r.IntervalSeconds,
				"maxBytes": c.MaxBytes, "staleAfterSeconds": r.StaleAfterSeconds, "maxShrink": c.MaxShrink},
		})
	})
	if err != nil {
		return SourceFetch{}, fmt.Errorf("screening: set fetch: %w", err)
	}
	return out, nil
}

// SourceFetches lists every source's fetch settings and state.
func (s *Service) SourceFetches(ctx context.Context) ([]SourceFetch, error) {
	var out []SourceFetch
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		rows, err := q.ScreeningSourceFetches(ctx)
		for _, r := range rows {
			out = append(out, sourceFetchOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening: source fetches: %w", err)
	}
	return out, nil
}

// SourceFetchByID is one source's fetch settings and state.
func (s *Service) SourceFetchByID(ctx context.Context, id string) (SourceFetch, error) {
	var out SourceFetch
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		r, err := q.ScreeningSourceFetch(ctx, id)
		out = sourceFetchOf(r)
		return err
	})
	if db.IsNotFound(err) {
		return SourceFetch{}, apperr.New(apperr.NotFound, "no such list source")
	}
	if err != nil {
		return SourceFetch{}, fmt.Errorf("screening: source fetch: %w", err)
	}
	return out, nil
}

// FetchOutcome is what one fetch did.
type FetchOutcome struct {
	Result string
	Err    error
	// Load is the load of a new version, for FetchLoaded.
	Load *LoadResult
}

// fileNames are the names a single-file format's download is kept under.
var fileNames = map[Format]string{FormatUN: "consolidated.xml", FormatEU: "fsf.xml", FormatUK: "uk-sanctions-list.xml",
	FormatCSL: "csl.csv", FormatDPL: "dpl.txt", FormatSenzing: "senzing.json"}

func (s *Service) httpClient() *http.Client {
	if s.FetchClient != nil {
		return s.FetchClient
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errFetchOff answers a fetch asked for while fetching is off.
var errFetchOff = apperr.New(apperr.Conflict, "fetching lists from their publishers is off here (SCREENING_FETCH); load the files by hand")

// FetchSource fetches one source now and records the outcome; a failure
// of the fetch is an outcome, not an error. The error is for what kept
// the outcome from being recorded.
func (s *Service) FetchSource(ctx context.Context, id string) (FetchOutcome, error) {
	if !s.FetchEnabled {
		return FetchOutcome{}, errFetchOff
	}
	f, err := s.SourceFetchByID(ctx, id)
	if err != nil {
		return FetchOutcome{}, err
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "list fetch (" + f.SourceID + ")"})
	attempt := s.now()
	dir, err := os.MkdirTemp("", "ciam-fetch-")
	if err != nil {
		return FetchOutcome{}, fmt.Errorf("screening: fetch: %w", err)
	}
	defer os.RemoveAll(dir)

	out, etag, lastMod := s.fetchFiles(ctx, f, dir)
	if out.Result == "" {
		out = s.loadFetched(ctx, f, dir, lastMod)
	}
	return out, s.recordFetch(ctx, f, attempt, out, etag, lastMod)
}

// fetchFiles downloads the source's files into dir. A 304 for the (first)
// file ends the fetch as not modified; the result is empty when the files
// are there to load.
func (s *Service) fetchFiles(ctx context.Context, f SourceFetch, dir string) (FetchOutcome, string, string) {
	type file struct {
		name     string
		optional bool
	}
	var files []file
	if f.Format.Folder() {
		req, opt := FolderFiles(f.Format)
		for _, n := range req {
			files = append(files, file{name: n})
		}
		for _, n := range opt {
			files = append(files, file{name: n, optional: true})
		}
	} else {
		files = []file{{name: fileNames[f.Format]}}
	}
	etag, lastMod := f.ETag, f.LastModified
	var total int64
	for i, fl := range files {
		u := strings.NewReplacer("{file}", fl.name, "{FILE}", strings.ToUpper(fl.name)).Replace(f.URL)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return FetchOutcome{Result: FetchFailed, Err: fmt.Errorf("the address %q is not valid: %v", f.URL, err)}, etag, lastMod
		}
		req.Header.Set("User-Agent", "ciam list fetch")
		// Publishers change their files together: the first file says
		// whether anything changed.
		if i == 0 {
			if f.ETag != "" {
				req.Header.Set("If-None-Match", f.ETag)
			}
			if f.LastModified != "" {
				req.Header.Set("If-Modified-Since", f.LastModified)
			}
		}
		resp, err := s.httpClient().Do(req)
		if err != nil {
			return FetchOutcome{Result: FetchFailed, Err: fmt.Errorf("%s: %v", fl.name, unwrapURLError(err))}, etag, lastMod
		}
		err = func() error {
			defer resp.Body.Close()
			switch {
			case i == 0 && resp.StatusCode == http.StatusNotModified:
				return errNotModified
			case fl.optional && resp.StatusCode == http.StatusNotFound:
				return nil
			case resp.StatusCode != http.StatusOK:
				return fmt.Errorf("%s: the publisher answered %s", fl.name, resp.Status)
			}
			if i == 0 {
				etag, lastMod = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			}
			limit := f.MaxBytes - total
			if resp.ContentLength > limit {
				return fmt.Errorf("%s is %d bytes, over the source's limit of %d", fl.name, resp.ContentLength, f.MaxBytes)
			}
			w, err := os.OpenFile(filepath.Join(dir, fl.name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			n, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
			total += n
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%s: the download broke off: %v", fl.name, err)
			}
			if n > limit {
				return fmt.Errorf("%s is over the source's limit of %d bytes", fl.name, f.MaxBytes)
			}
			return nil
		}()
		if errors.Is(err, errNotModified) {
			return FetchOutcome{Result: FetchNotModified}, f.ETag, f.LastModified
		}
		if err != nil {
			return FetchOutcome{Result: FetchFailed, Err: err}, f.ETag, f.LastModified
		}
	}
	return FetchOutcome{}, etag, lastMod
}

var errNotModified = errors.New("not modified")

// unwrapURLError keeps a network error's cause and drops the address,
// which may carry a token.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// loadFetched parses the downloaded files whole and, unless they are the
// version in use again or remove too much, loads them.
func (s *Service) loadFetched(ctx context.Context, f SourceFetch, dir, lastMod string) FetchOutcome {
	path := dir
	if !f.Format.Folder() {
		path = filepath.Join(dir, fileNames[f.Format])
	}
	p, err := ParseAs(f.Format, path, Source{ID: f.SourceID, Name: f.Name, Kind: f.Kind})
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			if rerr := s.recordFailure(ctx, p.Source, fe.File, err); rerr != nil {
				return FetchOutcome{Result: FetchFailed, Err: errors.Join(err, rerr)}
			}
			return FetchOutcome{Result: FetchFailed, Err: fmt.Errorf("the file was refused: %w", err)}
		}
		return FetchOutcome{Result: FetchFailed, Err: err}
	}
	if p.Published == "" && lastMod != "" {
		if t, err := http.ParseTime(lastMod); err == nil {
			p.Published = t.UTC().Format("2006-01-02")
		}
	}
	p.FileName = f.SourceID + " from " + hostOf(f.URL)
	var cur *db.ScreeningListVersion
	err = db.InTx(ctx, s.pool, func(q *db.Queries) error {
		v, err := q.CurrentScreeningVersion(ctx, f.SourceID)
		if err == nil {
			cur = &v
			return nil
		}
		if db.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return FetchOutcome{Result: FetchFailed, Err: err}
	}
	if cur != nil && cur.Checksum == p.Checksum {
		return FetchOutcome{Result: FetchUnchanged}
	}
	if cur != nil && float64(len(p.Entries)) < float64(cur.EntryCount)*(1-f.MaxShrink) {
		if err := s.hold(ctx, f, dir, p, int(cur.EntryCount)); err != nil {
			return FetchOutcome{Result: FetchFailed, Err: err}
		}
		return FetchOutcome{Result: FetchHeld, Err: fmt.Errorf("the new file has %d entries, the version in use %d: more than %.0f%% would go, so it waits for a person to load it",
			len(p.Entries), cur.EntryCount, f.MaxShrink*100)}
	}
	// The share was checked above, by the source's own rule.
	res, err := s.LoadParsed(ctx, p, LoadOptions{AllowShrink: true})
	if err != nil {
		return FetchOutcome{Result: FetchFailed, Err: err}
	}
	return FetchOutcome{Result: FetchLoaded, Load: &res}
}

func hostOf(u string) string {
	rest := u[strings.Index(u, "//")+2:]
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// hold keeps a shrinking file for a person to load or discard.
func (s *Service) hold(ctx context.Context, f SourceFetch, dir string, p Parsed, current int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(q *db.Queries) error {
		if err := q.DeleteScreeningHeldFiles(ctx, f.SourceID); err != nil {
			return err
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			if err := q.InsertScreeningHeldFile(ctx, db.InsertScreeningHeldFileParams{SourceID: f.SourceID, Name: e.Name(), Content: b}); err != nil {
				return err
			}
		}
		if err := q.HoldScreeningFetch(ctx, db.HoldScreeningFetchParams{SourceID: f.SourceID, HeldEntries: int32(len(p.Entries)),
			HeldCurrent: int32(current), HeldChecksum: p.Checksum}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			Action: "screening.source.fetch_held", EntityType: "screening_source", EntityID: f.SourceID,
			After: map[string]any{"entries": len(p.Entries), "current": current, "checksum": p.Checksum, "maxShrink": f.MaxShrink},
		})
	})
}

// retryAfter is how soon a failed fetch is tried again: sooner than the
// schedule, backing off, never later than it.
func retryAfter(interval time.Duration, failures int) time.Duration {
	d := time.Minute << min(failures, 10)
	return min(d, interval)
}

// recordFetch keeps the outcome on the source, raises or clears its
// alert, and tells the tenants when an alert is raised.
func (s *Service) recordFetch(ctx context.Context, f SourceFetch, attempt time.Time, out FetchOutcome, etag, lastMod string) error {
	p := db.RecordScreeningFetchParams{SourceID: f.SourceID, AttemptAt: &attempt, LastResult: out.Result, Etag: etag,
		LastModified: lastMod, LastChecksum: f.LastChecksum, LastSuccessAt: f.LastSuccessAt, LastVersionID: f.LastVersionID,
		NextFetchAt: attempt.Add(f.Interval)}
	if out.Err != nil {
		p.LastError = out.Err.Error()
	}
	switch out.Result {
	case FetchFailed:
		p.Failures = int32(f.Failures + 1)
		p.NextFetchAt = attempt.Add(retryAfter(f.Interval, f.Failures+1))
	default:
		// The publisher answered: a held file is an answer too, only one a
		// person must look at.
		p.LastSuccessAt = &attempt
	}
	if out.Load != nil {
		p.LastVersionID = &out.Load.Version.ID
		p.LastChecksum = out.Load.Version.Checksum
	}
	f.LastSuccessAt = p.LastSuccessAt
	switch {
	case f.Stale(attempt):
		p.Alert = AlertStale
	case out.Result == FetchFailed:
		p.Alert = AlertFailing
	}
	return s.setAlert(ctx, f, p.Alert, p.LastError, func(q *db.Queries) error {
		_, err := q.RecordScreeningFetch(ctx, p)
		return err
	})
}

// setAlert runs write and sets the source's alert in one transaction; an
// alert newly raised is audited and told to every tenant that screens
// against the source, as a screening.list.alert event.
func (s *Service) setAlert(ctx context.Context, f SourceFetch, alert, detail string, write func(q *db.Queries) error) error {
	raised := alert != "" && alert != f.Alert
	if raised {
		if s.Metrics != nil {
			s.Metrics.ListAlert(f.SourceID, alert)
		}
	}
	var tenants []db.Tenant
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		if write != nil {
			if err := write(q); err != nil {
				return err
			}
		}
		if err := q.SetScreeningFetchAlert(ctx, db.SetScreeningFetchAlertParams{SourceID: f.SourceID, Alert: alert}); err != nil {
			return err
		}
		if !raised {
			return nil
		}
		var err error
		if tenants, err = q.ListTenants(ctx); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{
			Action: "screening.source.alert", EntityType: "screening_source", EntityID: f.SourceID,
			Before: map[string]any{"alert": f.Alert}, After: map[string]any{"alert": alert, "error": detail},
		})
	})
	if err != nil {
		return fmt.Errorf("screening: record fetch of %s: %w", f.SourceID, err)
	}
	for _, t := range tenants {
		err := db.InTenantTx(ctx, s.pool, t.ID, func(q *db.Queries) error {
			settings, err := q.ScreeningTenantSources(ctx, t.ID)
			if err != nil {
				return err
			}
			for _, st := range settings {
				if st.SourceID == f.SourceID && !st.Enabled {
					return nil // the tenant does not screen against it
				}
			}
			payload := map[string]any{"source": f.SourceID, "name": f.Name, "alert": alert, "error": detail}
			if f.LastSuccessAt != nil {
				payload["lastSuccessAt"] = f.LastSuccessAt.UTC().Format(time.RFC3339)
			}
			_, err = event.Write(ctx, q, event.Event{TenantID: t.ID, Type: "screening.list.alert", EntityType: "screening_source",
				EntityID: f.SourceID, Payload: payload})
			return err
		})
		if err != nil {
			return fmt.Errorf("screening: tell tenant %s of the alert on %s: %w", t.ID, f.SourceID, err)
		}
	}
	return nil
}

// FetchDue fetches every enabled source whose time has come, and raises
// the stale alert of those whose last success is too old. It reports how
// many it fetched.
func (s *Service) FetchDue(ctx context.Context) (int, error) {
	if !s.FetchEnabled {
		return 0, nil
	}
	all, err := s.SourceFetches(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	var errs []error
	for _, f := range all {
		if !f.Enabled {
			continue
		}
		if !f.NextFetchAt.After(now) {
			var claimed int64
			err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
				var err error
				claimed, err = q.ClaimScreeningFetch(ctx, db.ClaimScreeningFetchParams{SourceID: f.SourceID, Now: now, Until: now.Add(time.Hour)})
				return err
			})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if claimed == 0 {
				continue // another run has it
			}
			if _, err := s.FetchSource(ctx, f.SourceID); err != nil {
				errs = append(errs, err)
			}
			n++
			continue
		}
		if f.Stale(now) && f.Alert != AlertStale {
			if err := s.setAlert(ctx, f, AlertStale, "no successful fetch since "+staleSince(f), nil); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return n, errors.Join(errs...)
}

func staleSince(f SourceFetch) string {
	if f.LastSuccessAt == nil {
		return "it was set up"
	}
	return f.LastSuccessAt.UTC().Format(time.RFC3339)
}

// RequestFetch queues a fetch of the source now, for a person, audited.
func (s *Service) RequestFetch(ctx context.Context, id string) error {
	if !s.FetchEnabled {
		return errFetchOff
	}
	if s.Jobs == nil {
		return apperr.New(apperr.Unavailable, "the job queue is not running here, so nothing could fetch the list; try again later")
	}
	err := db.InTxPgx(ctx, s.pool, func(tx pgx.Tx, q *db.Queries) error {
		if _, err := q.LockScreeningSourceFetch(ctx, id); err != nil {
			return err
		}
		if _, err := s.Jobs.InsertTx(ctx, tx, FetchArgs{SourceID: id}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{Action: "screening.source.fetch_requested", EntityType: "screening_source", EntityID: id})
	})
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "no such list source")
	}
	if err != nil {
		return fmt.Errorf("screening: request fetch: %w", err)
	}
	return nil
}

// DecideHeld loads a held file anyway (load true), through the upload path
// as a person's upload with the shrink allowed, or discards it; audited.
func (s *Service) DecideHeld(ctx context.Context, id string, load bool) (*Upload, error) {
	f, err := s.SourceFetchByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.HeldAt == nil {
		return nil, apperr.New(apperr.Conflict, "no file of this source is waiting")
	}
	var files []UploadFile
	err = db.InTx(ctx, s.pool, func(q *db.Queries) error {
		rows, err := q.ScreeningHeldFiles(ctx, id)
		for _, r := range rows {
			files = append(files, UploadFile{Name: r.Name, Content: r.Content})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening: held files: %w", err)
	}
	var up *Upload
	if load {
		u, err := s.startUpload(ctx, f.Format, files, true, f.SourceID)
		if err != nil {
			return nil, err
		}
		up = &u
	}
	err = db.InTx(ctx, s.pool, func(q *db.Queries) error {
		if err := q.DeleteScreeningHeldFiles(ctx, id); err != nil {
			return err
		}
		if err := q.ClearScreeningFetchHeld(ctx, id); err != nil {
			return err
		}
		after := map[string]any{"decision": "discarded", "entries": f.HeldEntries, "current": f.HeldCurrent}
		if up != nil {
			after["decision"], after["upload"] = "loaded", up.ID.String()
		}
		return audit.Write(ctx, q, audit.Entry{Action: "screening.source.held_decided", EntityType: "screening_source", EntityID: id, After: after})
	})
	if err != nil {
		return nil, fmt.Errorf("screening: decide held: %w", err)
	}
	return up, nil
}

// FetchArgs is the job that fetches one source, or every due source when
// SourceID is empty (the periodic job).
type FetchArgs struct {
	SourceID string `json:"sourceId,omitempty"`
}

// Kind names the job.
func (FetchArgs) Kind() string { return "screening.fetch" }

// FetchWorker runs FetchArgs jobs.
type FetchWorker struct {
	river.WorkerDefaults[FetchArgs]
	S *Service
}

// Timeout lets a large list download and load.
func (w *FetchWorker) Timeout(*river.Job[FetchArgs]) time.Duration { return 20 * time.Minute }

// Work fetches. A fetch that failed is recorded on its source and alerts;
// the job fails only when the outcome could not be recorded.
func (w *FetchWorker) Work(ctx context.Context, job *river.Job[FetchArgs]) error {
	if job.Args.SourceID != "" {
		_, err := w.S.FetchSource(ctx, job.Args.SourceID)
		return err
	}
	_, err := w.S.FetchDue(ctx)
	return err
}

// FetchTick is how often the periodic job looks for sources due a fetch.
const FetchTick = time.Minute

// urlForRecord is an address as the audit trail keeps it: without its
// query, which may carry a token.
func urlForRecord(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}
