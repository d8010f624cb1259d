package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/staff"
)

// Run statuses.
const (
	Queued  = "QUEUED"
	Running = "RUNNING"
	Done    = "DONE"
	Failed  = "FAILED"
	Expired = "EXPIRED"
)

// TargetType is the audit entity type of a run.
const TargetType = "report_run"

// Defaults of the service.
const (
	// DefaultPageRows is how many rows are read per query.
	DefaultPageRows = 5000
	// ChunkBytes is how much of a file is sealed and stored per row of
	// report_chunks.
	ChunkBytes = 1 << 20
)

// Jobs queues jobs in a transaction (a river client).
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service runs report definitions and keeps their files.
type Service struct {
	pool    *pgxpool.Pool
	keys    *fieldcrypt.Keys
	now     func() time.Time
	Catalog *Catalog
	// Jobs queues runs; nil runs them at once, in the request.
	Jobs Jobs
	// PageRows is how many rows each query reads (DefaultPageRows when 0).
	PageRows int
	// Subjects are what subject access exports read; nil: none are made.
	Subjects *Subjects
}

// NewService returns the service with the shipped definitions.
func NewService(pool *pgxpool.Pool, keys *fieldcrypt.Keys, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, keys: keys, now: now, Catalog: MustCatalog()}
}

// Run is one extract and how far it has got.
type Run struct {
	ID          uuid.UUID
	Definition  string
	Title       string
	Format      string
	Filters     Values
	Roles       []staff.Role
	Status      string
	Total       int64
	Processed   int64
	Bytes       int64
	SHA256      string
	LastError   string
	RequestedBy string
	ScheduleID  *uuid.UUID
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	ExpiresAt   *time.Time
}

// Finished reports whether the run has ended.
func (r Run) Finished() bool { return r.Status == Done || r.Status == Failed || r.Status == Expired }

// Percent is the run's progress.
func (r Run) Percent() int {
	if r.Status == Done {
		return 100
	}
	if r.Total <= 0 {
		return 0
	}
	return int(min(99, r.Processed*100/r.Total))
}

// FileName is the name the file downloads as.
func (r Run) FileName() string {
	ext := ".csv"
	if r.Format == XLSX {
		ext = ".xlsx"
	}
	return r.Definition + "-" + r.CreatedAt.UTC().Format("20060102-150405") + ext
}

// ContentType is the file's media type.
func (r Run) ContentType() string {
	if r.Format == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

func (s *Service) runOf(r db.ReportRun) Run {
	out := Run{ID: r.ID, Definition: r.Definition, Format: r.Format, Status: r.Status, Total: r.Total, Processed: r.Processed,
		Bytes: r.Bytes, SHA256: r.Sha256, LastError: r.LastError, RequestedBy: r.RequestedBy, ScheduleID: r.ScheduleID,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, ExpiresAt: r.ExpiresAt, Title: r.Definition}
	if d, err := s.Catalog.Get(r.Definition); err == nil {
		out.Title = d.Title
	}
	_ = json.Unmarshal(r.Filters, &out.Filters)
	for _, role := range r.Roles {
		out.Roles = append(out.Roles, staff.Role(role))
	}
	return out
}

func rolesOf(roles []staff.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// Request is what a person asks to run.
type Request struct {
	Definition string
	Format     string
	Filters    Values
	// Roles are the roles of whom the file is for: it is masked as their
	// view of customers' data (internal/pii) shows it.
	Roles []staff.Role
	// RequestedByID is the employee asking, when one is.
	RequestedByID *uuid.UUID
}

func (s *Service) check(req Request) (Definition, Values, error) {
	d, err := s.Catalog.Get(req.Definition)
	if err != nil {
		return Definition{}, nil, err
	}
	if req.Format != CSV && req.Format != XLSX {
		return Definition{}, nil, apperr.Validation(apperr.FieldError{Field: "format", Issue: "choose CSV or XLSX"})
	}
	vals, err := d.Resolve(req.Filters)
	return d, vals, err
}

// Start queues a run of req, audited; without a queue it runs at once.
func (s *Service) Start(ctx context.Context, tenant uuid.UUID, req Request) (Run, error) {
	d, vals, err := s.check(req)
	if err != nil {
		return Run{}, err
	}
	var out Run
	err = db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
		var err error
		out, err = s.insertRun(ctx, tx, q, tenant, d, req, vals, nil)
		return err
	})
	if err != nil {
		return Run{}, fmt.Errorf("report: start: %w", err)
	}
	if s.Jobs == nil {
		if err := s.Work(ctx, tenant, out.ID); err != nil {
			return Run{}, err
		}
		return s.Get(ctx, tenant, out.ID)
	}
	return out, nil
}

func (s *Service) insertRun(ctx context.Context, tx pgx.Tx, q *db.Queries, tenant uuid.UUID, d Definition, req Request, vals Values,
	schedule *uuid.UUID) (Run, error) {
	filters, err := json.Marshal(vals)
	if err != nil {
		return Run{}, err
	}
	row, err := q.ReportInsertRun(ctx, db.ReportInsertRunParams{ID: uuid.New(), TenantID: tenant, Definition: d.ID, Format: req.Format,
		Filters: filters, Roles: rolesOf(req.Roles), RequestedBy: actor.From(ctx).Name, RequestedByID: req.RequestedByID, ScheduleID: schedule})
	if err != nil {
		return Run{}, err
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "report.requested", EntityType: TargetType, EntityID: row.ID.String(),
		ReasonCode: "REPORT_EXTRACT", After: map[string]any{"definition": d.ID, "format": req.Format, "filters": vals, "roles": req.Roles}}); err != nil {
		return Run{}, err
	}
	if s.Jobs != nil {
		if _, err := s.Jobs.InsertTx(ctx, tx, RunArgs{TenantID: tenant, RunID: row.ID}, &river.InsertOpts{MaxAttempts: 3}); err != nil {
			return Run{}, err
		}
	}
	return s.runOf(row), nil
}

// Get is one run.
func (s *Service) Get(ctx context.Context, tenant, id uuid.UUID) (Run, error) {
	var out Run
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.ReportRun(ctx, db.ReportRunParams{TenantID: tenant, ID: id})
		out = s.runOf(r)
		return err
	})
	if db.IsNotFound(err) {
		return Run{}, apperr.New(apperr.NotFound, "no such report run")
	}
	if err != nil {
		return Run{}, fmt.Errorf("report: run: %w", err)
	}
	return out, nil
}

// Runs are the latest runs, newest first.
func (s *Service) Runs(ctx context.Context, tenant uuid.UUID, limit int) ([]Run, error) {
	var out []Run
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ReportRuns(ctx, db.ReportRunsParams{TenantID: tenant, MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, s.runOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report: runs: %w", err)
	}
	return out, nil
}

// RunArgs is the job of one run.
type RunArgs struct {
	TenantID uuid.UUID `json:"tenantId"`
	RunID    uuid.UUID `json:"runId"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "report.run" }

// RunWorker works RunArgs jobs.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	S *Service
}

// Work makes the run's file.
func (w *RunWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.S.Work(ctx, job.Args.TenantID, job.Args.RunID)
}

// Timeout lets a large extract finish: progress is saved as it goes.
func (w *RunWorker) Timeout(*river.Job[RunArgs]) time.Duration { return 2 * time.Hour }

// chunkStore is where a run's file goes as it is written: sealed chunks
// of ChunkBytes, each stored in a transaction of its own, so the file
// never sits whole in memory.
type chunkStore struct {
	ctx    context.Context
	s      *Service
	tenant uuid.UUID
	run    uuid.UUID
	buf    []byte
	seq    int32
	n      int64
	hash   io.Writer
	// aad and insert seal and store a chunk; nil: a report run's.
	aad    func(seq int32) []byte
	insert func(q *db.Queries, seq int32, sealed []byte) error
}

func (c *chunkStore) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		room := ChunkBytes - len(c.buf)
		take := min(room, len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		if len(c.buf) == ChunkBytes {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return written, nil
}

func chunkAAD(run uuid.UUID, seq int32) []byte {
	return []byte(fmt.Sprintf("report:%s:%d", run, seq))
}

func (c *chunkStore) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	c.hash.Write(c.buf)
	c.n += int64(len(c.buf))
	aad := chunkAAD(c.run, c.seq)
	if c.aad != nil {
		aad = c.aad(c.seq)
	}
	sealed := c.s.keys.Seal(c.buf, aad)
	err := db.InTenantTx(c.ctx, c.s.pool, c.tenant, func(q *db.Queries) error {
		if c.insert != nil {
			return c.insert(q, c.seq, sealed)
		}
		return q.ReportInsertChunk(c.ctx, db.ReportInsertChunkParams{RunID: c.run, Seq: c.seq, TenantID: c.tenant, Content: sealed})
	})
	if err != nil {
		return err
	}
	c.seq++
	c.buf = c.buf[:0]
	return nil
}

// Work makes run id's file, saving progress after every page. A run that
// has ended is left alone; one that was running when its worker died
// starts again from the first row.
func (s *Service) Work(ctx context.Context, tenant, id uuid.UUID) error {
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "report run", TenantID: tenant})
	var (
		run  db.ReportRun
		loc  = time.UTC
		p    params
		src  source
		d    Definition
		vals Values
	)
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if run, err = q.ReportRun(ctx, db.ReportRunParams{TenantID: tenant, ID: id}); err != nil {
			return err
		}
		if run.Status != Queued && run.Status != Running {
			return nil
		}
		if d, err = s.Catalog.Get(run.Definition); err != nil {
			return err
		}
		if err := json.Unmarshal(run.Filters, &vals); err != nil {
			return err
		}
		t, err := q.TenantByID(ctx, tenant)
		if err != nil {
			return err
		}
		if l, err := time.LoadLocation(t.TimeZone); err == nil {
			loc = l
		}
		src = sources[d.Source]
		p = paramsOf(tenant, vals, loc)
		total, err := src.count(ctx, q, p)
		if err != nil {
			return err
		}
		if err := q.ReportDeleteChunks(ctx, db.ReportDeleteChunksParams{TenantID: tenant, RunID: id}); err != nil {
			return err
		}
		return q.ReportStartRun(ctx, db.ReportStartRunParams{TenantID: tenant, ID: id, Total: total})
	})
	if err != nil {
		return fmt.Errorf("report: run %s: %w", id, err)
	}
	if run.Status != Queued && run.Status != Running {
		return nil
	}
	n, bytes, sum, err := s.write(ctx, tenant, id, d, src, p, run.Format, run.Roles)
	if err != nil {
		if ctx.Err() == nil {
			_ = db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
				if err := q.ReportFailRun(ctx, db.ReportFailRunParams{TenantID: tenant, ID: id, LastError: err.Error()}); err != nil {
					return err
				}
				return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "report.failed", EntityType: TargetType, EntityID: id.String(),
					ReasonCode: "REPORT_EXTRACT", After: map[string]any{"error": err.Error()}})
			})
		}
		return fmt.Errorf("report: run %s: %w", id, err)
	}
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		if err := q.EnsureTenantSettings(ctx, tenant); err != nil {
			return err
		}
		set, err := q.ReportingSettings(ctx, tenant)
		if err != nil {
			return err
		}
		now := s.now()
		expires := now.Add(db.Duration(set.ReportRetention))
		if err := q.ReportFinishRun(ctx, db.ReportFinishRunParams{TenantID: tenant, ID: id, Processed: n, Bytes: bytes, Sha256: sum,
			FinishedAt: &now, ExpiresAt: &expires}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "report.completed", EntityType: TargetType, EntityID: id.String(),
			ReasonCode: "REPORT_EXTRACT", After: map[string]any{"rows": n, "bytes": bytes, "sha256": sum, "expiresAt": expires}})
	})
	if err != nil {
		return fmt.Errorf("report: run %s: finish: %w", id, err)
	}
	return nil
}

// write streams the rows of d to a sheet over the chunk store: one page
// read, masked and written at a time.
func (s *Service) write(ctx context.Context, tenant, id uuid.UUID, d Definition, src source, p params, format string,
	roles []string) (rows, bytes int64, sum string, err error) {
	var rs []staff.Role
	for _, r := range roles {
		rs = append(rs, staff.Role(r))
	}
	view := pii.For(rs)
	cols := make([]column, len(d.Columns))
	idx := make([]int, len(d.Columns))
	for i, k := range d.Columns {
		idx[i] = src.column(k)
		cols[i] = src.columns[idx[i]]
	}
	h := sha256.New()
	store := &chunkStore{ctx: ctx, s: s, tenant: tenant, run: id, buf: make([]byte, 0, ChunkBytes), hash: h}
	sh, err := newSheet(format, store, cols)
	if err != nil {
		return 0, 0, "", err
	}
	closed := false
	defer func() {
		if !closed {
			_ = sh.Close()
		}
	}()
	p.limit = int32(s.PageRows)
	if p.limit <= 0 {
		p.limit = DefaultPageRows
	}
	out := make([]string, len(cols))
	var werr error
	for {
		if err := ctx.Err(); err != nil {
			return 0, 0, "", err
		}
		var last uuid.UUID
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			last, err = src.page(ctx, q, p, func(vals []string) {
				if werr != nil {
					return
				}
				for i, j := range idx {
					if f := cols[i].field; f != "" {
						out[i] = view.Show(f, vals[j])
					} else {
						out[i] = vals[j]
					}
				}
				werr = sh.Row(out)
				rows++
			})
			return err
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			return 0, 0, "", err
		}
		if last == uuid.Nil {
			break
		}
		p.after = last
		if err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			return q.ReportRunProgress(ctx, db.ReportRunProgressParams{TenantID: tenant, ID: id, Processed: rows})
		}); err != nil {
			return 0, 0, "", err
		}
	}
	closed = true
	if err := sh.Close(); err != nil {
		return 0, 0, "", err
	}
	if err := store.flush(); err != nil {
		return 0, 0, "", err
	}
	return rows, store.n, hex.EncodeToString(h.Sum(nil)), nil
}

// MayDownload reports whether an employee of roles may download run: the
// file shows customers' values as the requester's roles see them, so only
// a view that shows at least as much may have it.
func MayDownload(run Run, roles []staff.Role) bool {
	made, mine := pii.For(run.Roles), pii.For(roles)
	return !slices.ContainsFunc(pii.Fields, func(f pii.Field) bool { return made.Full(f) && !mine.Full(f) })
}

// Download writes run id's file to w, after auditing the download: the
// record is written before the first byte goes out, so no download
// escapes the trail. roles are the downloader's.
func (s *Service) Download(ctx context.Context, tenant, id uuid.UUID, roles []staff.Role, w func(Run) io.Writer) error {
	run, err := s.Get(ctx, tenant, id)
	if err != nil {
		return err
	}
	switch run.Status {
	case Expired:
		return apperr.New(apperr.NotFound, "this extract was deleted when its retention period ended; run the report again")
	case Done:
	default:
		return apperr.New(apperr.Conflict, "this extract is not ready")
	}
	if !MayDownload(run, roles) {
		return apperr.New(apperr.Forbidden, "this extract shows customers' data your role sees masked")
	}
	if err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "report.downloaded", EntityType: TargetType, EntityID: id.String(),
			ReasonCode: "REPORT_DOWNLOAD", After: map[string]any{"definition": run.Definition, "format": run.Format, "bytes": run.Bytes, "sha256": run.SHA256}})
	}); err != nil {
		return fmt.Errorf("report: download: %w", err)
	}
	out := w(run)
	for seq := int32(0); ; seq++ {
		var sealed []byte
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			sealed, err = q.ReportChunk(ctx, db.ReportChunkParams{TenantID: tenant, RunID: id, Seq: seq})
			return err
		})
		if db.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("report: download: %w", err)
		}
		plain, err := s.keys.Open(sealed, chunkAAD(id, seq))
		if err != nil {
			return fmt.Errorf("report: download: chunk %d: %w", seq, err)
		}
		if _, err := io.Copy(out, bytes.NewReader(plain)); err != nil {
			return fmt.Errorf("report: download: %w", err)
		}
	}
}
