package report

// Subject access (GDPR art. 15): a ZIP of everything held about one
// customer — JSON files, the documents and case attachments themselves,
// and a manifest with each file's SHA-256 — asked for by one employee and
// approved by another (a change request of KindSubjectAccess), made by a
// job that saves its progress after each part, written as it is read into
// the same sealed chunks as an extract, kept for the tenant's retention
// period and downloaded only with an audit record first.
//
// Every part is read through the function of the package that owns it
// (customer, customerauth, kyc, screening, aml, cases, audit, event), so
// the export shows what those packages show, sealed values opened.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/aml"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/cases"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/pii"
	"github.com/ciamhq/ciam/internal/screening"
	"github.com/ciamhq/ciam/internal/staff"
)

// KindSubjectAccess is the change request kind of a subject access
// export; its target is the customer.
const KindSubjectAccess = "subject_access.export"

// SubjectTargetType is the audit entity type of an export.
const SubjectTargetType = "subject_export"

// Subjects are the packages a subject access export reads from.
type Subjects struct {
	Customers *customer.Service
	Auth      *customerauth.Service
	KYC       *kyc.Service
	Screening *screening.Service
	AML       *aml.Service
	Cases     *cases.Service
	Audit     *audit.Service
	Events    *event.Service
	// ComplianceFields are a customer's custom compliance fields with
	// their values opened (compliance.Service.CustomerFields); nil exports
	// none.
	ComplianceFields func(ctx context.Context, tenant, cust uuid.UUID) (any, error)
}

// SubjectRequest is the payload of a subject access change request.
type SubjectRequest struct {
	// ExportID is the export's id, chosen when it is proposed, so that
	// one approval makes one export however often it is applied.
	ExportID      uuid.UUID `json:"exportId"`
	Reason        string    `json:"reason"`
	RequestedBy   string    `json:"requestedBy"`
	RequestedByID string    `json:"requestedById"`
}

// NewSubjectRequest is the request of the employee in ctx, for reason
// (the customer's request: its date, its reference).
func NewSubjectRequest(ctx context.Context, reason string) SubjectRequest {
	a := actor.From(ctx)
	return SubjectRequest{ExportID: uuid.New(), Reason: strings.TrimSpace(reason), RequestedBy: a.Name, RequestedByID: a.ID}
}

// Export is one subject access export and how far it has got.
type Export struct {
	ID          uuid.UUID
	CustomerID  uuid.UUID
	Status      string
	Total       int64
	Processed   int64
	Files       int
	Bytes       int64
	SHA256      string
	LastError   string
	RequestedBy string
	ApprovedBy  string
	Reason      string
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	ExpiresAt   *time.Time
}

// Finished reports whether the export has ended.
func (e Export) Finished() bool { return e.Status == Done || e.Status == Failed || e.Status == Expired }

// Percent is the export's progress.
func (e Export) Percent() int {
	if e.Status == Done {
		return 100
	}
	if e.Total <= 0 {
		return 0
	}
	return int(min(99, e.Processed*100/e.Total))
}

// FileName is the name the ZIP downloads as.
func (e Export) FileName() string {
	return "subject-access-" + e.CustomerID.String() + "-" + e.CreatedAt.UTC().Format("20060102-150405") + ".zip"
}

func exportOf(r db.SubjectExport) Export {
	return Export{ID: r.ID, CustomerID: r.CustomerID, Status: r.Status, Total: r.Total, Processed: r.Processed, Files: int(r.Files),
		Bytes: r.Bytes, SHA256: r.Sha256, LastError: r.LastError, RequestedBy: r.RequestedBy, ApprovedBy: r.ApprovedBy, Reason: r.Reason,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, ExpiresAt: r.ExpiresAt}
}

// MayHaveSubjectAccess reports whether an employee of roles may download
// an export: it holds the customer's data in full, so only a view that
// shows every kind of it in full may.
func MayHaveSubjectAccess(roles []staff.Role) bool {
	v := pii.For(roles)
	return !slices.ContainsFunc(pii.Fields, func(f pii.Field) bool { return !v.Full(f) })
}

// ---------------------------------------------------------------- approval

// SubjectApplier makes the export of an approved request: the export is
// queued in the approval's transaction and its job after the commit.
type SubjectApplier struct {
	S *Service
}

type subjectState struct {
	CustomerID string `json:"customerId"`
	// Unfinished counts the customer's exports queued or being made.
	Unfinished int `json:"exportsInProgress"`
}

func (a SubjectApplier) state(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (uuid.UUID, subjectState, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return uuid.Nil, subjectState{}, apperr.New(apperr.NotFound, "no such customer")
	}
	if _, err := q.CustomerByID(ctx, db.CustomerByIDParams{TenantID: tenant, ID: id}); db.IsNotFound(err) {
		return uuid.Nil, subjectState{}, apperr.New(apperr.NotFound, "no such customer")
	} else if err != nil {
		return uuid.Nil, subjectState{}, err
	}
	open, err := q.SubjectExportsUnfinished(ctx, db.SubjectExportsUnfinishedParams{TenantID: tenant, CustomerID: id})
	if err != nil {
		return uuid.Nil, subjectState{}, err
	}
	return id, subjectState{CustomerID: id.String(), Unfinished: len(open)}, nil
}

// Current is the customer and how many of their exports are in progress.
func (a SubjectApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	_, st, err := a.state(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(st)
}

// Check wants a reason, and refuses a second request while one waits for
// approval or an export is being made: a repeated request (a form sent
// twice) makes no second export.
func (a SubjectApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var req SubjectRequest
	if err := json.Unmarshal(payload, &req); err != nil || req.ExportID == uuid.Nil {
		return nil, apperr.Validation(apperr.FieldError{Field: "payload", Issue: "is not a subject access request"})
	}
	if strings.TrimSpace(req.Reason) == "" {
		return nil, apperr.Validation(apperr.FieldError{Field: "reason", Issue: "is required: the customer's request, e.g. its date and reference"})
	}
	if len([]rune(req.Reason)) > 1000 {
		return nil, apperr.Validation(apperr.FieldError{Field: "reason", Issue: "must be at most 1000 characters"})
	}
	_, st, err := a.state(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	pending, err := q.PendingForTarget(ctx, db.PendingForTargetParams{TenantID: tenant, TargetType: "customer", TargetIds: []string{target}})
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		if p.Kind == KindSubjectAccess {
			return nil, apperr.New(apperr.Conflict, "a subject access export of this customer already awaits approval")
		}
	}
	if st.Unfinished > 0 {
		return nil, apperr.New(apperr.Conflict, "a subject access export of this customer is being made")
	}
	return json.Marshal(map[string]any{"customerId": st.CustomerID, "exportsInProgress": 1, "exportId": req.ExportID, "reason": req.Reason,
		"export": "everything held about the customer: JSON files and the documents, in a ZIP"})
}

// Apply queues the export, audited; ctx carries the approver.
func (a SubjectApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	var req SubjectRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	id, _, err := a.state(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	row, err := q.SubjectExportInsert(ctx, db.SubjectExportInsertParams{ID: req.ExportID, TenantID: tenant, CustomerID: id,
		RequestedBy: req.RequestedBy, RequestedByID: req.RequestedByID, ApprovedBy: actor.From(ctx).Name, Reason: req.Reason})
	if err != nil {
		return nil, err
	}
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "subject_access.queued", EntityType: SubjectTargetType, EntityID: row.ID.String(),
		ReasonCode: "SUBJECT_ACCESS", After: map[string]any{"customerId": id, "requestedBy": req.RequestedBy, "approvedBy": row.ApprovedBy,
			"reason": req.Reason}}); err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"customerId": id.String(), "exportsInProgress": 1, "exportId": row.ID, "status": row.Status})
}

// AfterApply queues the job of each of the customer's queued exports, or
// makes them at once without a queue.
func (a SubjectApplier) AfterApply(ctx context.Context, tenant uuid.UUID, target string) error {
	id, err := uuid.Parse(target)
	if err != nil {
		return err
	}
	s := a.S
	var queued []uuid.UUID
	err = db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
		rows, err := q.SubjectExportsUnfinished(ctx, db.SubjectExportsUnfinishedParams{TenantID: tenant, CustomerID: id})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Status != Queued {
				continue
			}
			queued = append(queued, r.ID)
			if s.Jobs != nil {
				if _, err := s.Jobs.InsertTx(ctx, tx, SubjectArgs{TenantID: tenant, ExportID: r.ID}, subjectJobOpts()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil || s.Jobs != nil {
		return err
	}
	for _, e := range queued {
		if err := s.WorkSubject(ctx, tenant, e); err != nil {
			return err
		}
	}
	return nil
}

// QueueWaiting queues again the job of every export approved more than a
// minute ago that is still waiting: its job was lost (the queue was away
// when it was approved). A job already queued for it is not doubled.
func (s *Service) QueueWaiting(ctx context.Context) (int, error) {
	if s.Jobs == nil || s.Subjects == nil {
		return 0, nil
	}
	tenants, err := s.tenants(ctx)
	if err != nil {
		return 0, fmt.Errorf("report: waiting exports: %w", err)
	}
	n := 0
	for _, tenant := range tenants {
		err := db.InTenantTxPgx(ctx, s.pool, tenant, func(tx pgx.Tx, q *db.Queries) error {
			ids, err := q.SubjectExportsWaiting(ctx, db.SubjectExportsWaitingParams{TenantID: tenant, Before: s.now().Add(-time.Minute)})
			if err != nil {
				return err
			}
			for _, id := range ids {
				res, err := s.Jobs.InsertTx(ctx, tx, SubjectArgs{TenantID: tenant, ExportID: id}, subjectJobOpts())
				if err != nil {
					return err
				}
				if !res.UniqueSkippedAsDuplicate {
					n++
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("report: waiting exports: %w", err)
		}
	}
	return n, nil
}

func subjectJobOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ---------------------------------------------------------------- reading

// Export is one export of tenant's.
func (s *Service) Export(ctx context.Context, tenant, id uuid.UUID) (Export, error) {
	var out Export
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		r, err := q.SubjectExport(ctx, db.SubjectExportParams{TenantID: tenant, ID: id})
		out = exportOf(r)
		return err
	})
	if db.IsNotFound(err) {
		return Export{}, apperr.New(apperr.NotFound, "no such subject access export")
	}
	if err != nil {
		return Export{}, fmt.Errorf("report: subject export: %w", err)
	}
	return out, nil
}

// ExportsOf are a customer's latest exports, newest first.
func (s *Service) ExportsOf(ctx context.Context, tenant, customerID uuid.UUID, limit int) ([]Export, error) {
	var out []Export
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.SubjectExportsOf(ctx, db.SubjectExportsOfParams{TenantID: tenant, CustomerID: customerID, MaxRows: int32(limit)})
		for _, r := range rows {
			out = append(out, exportOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("report: subject exports: %w", err)
	}
	return out, nil
}

// ---------------------------------------------------------------- the job

// SubjectArgs is the job of one export.
type SubjectArgs struct {
	TenantID uuid.UUID `json:"tenantId"`
	ExportID uuid.UUID `json:"exportId"`
}

// Kind implements river.JobArgs.
func (SubjectArgs) Kind() string { return "report.subject_access" }

// SubjectWorker works SubjectArgs jobs.
type SubjectWorker struct {
	river.WorkerDefaults[SubjectArgs]
	S *Service
}

// Work makes the export's ZIP.
func (w *SubjectWorker) Work(ctx context.Context, job *river.Job[SubjectArgs]) error {
	return w.S.WorkSubject(ctx, job.Args.TenantID, job.Args.ExportID)
}

// Timeout lets a customer with many documents finish.
func (w *SubjectWorker) Timeout(*river.Job[SubjectArgs]) time.Duration { return time.Hour }

func subjectAAD(export uuid.UUID, seq int32) []byte {
	return []byte(fmt.Sprintf("subject-access:%s:%d", export, seq))
}

// subjectParts are the parts of an export in the order they are written;
// progress counts them.
var subjectParts = []string{"profile", "login", "virtual documents", "verifications and documents", "screening hits",
	"AML transactions", "AML alerts", "cases", "consents", "audit records", "events", "manifest"}

// WorkSubject makes export id's ZIP, saving progress after every part. An
// export that has ended is left alone; one that was being made when its
// worker died starts again.
func (s *Service) WorkSubject(ctx context.Context, tenant, id uuid.UUID) error {
	if s.Subjects == nil {
		return errors.New("report: subject access: no sources wired")
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: "subject access export", TenantID: tenant})
	var row db.SubjectExport
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		if row, err = q.SubjectExport(ctx, db.SubjectExportParams{TenantID: tenant, ID: id}); err != nil {
			return err
		}
		if row.Status != Queued && row.Status != Running {
			return nil
		}
		if err := q.SubjectExportDeleteChunks(ctx, db.SubjectExportDeleteChunksParams{TenantID: tenant, ExportID: id}); err != nil {
			return err
		}
		if err := q.SubjectExportStart(ctx, db.SubjectExportStartParams{TenantID: tenant, ID: id, Total: int64(len(subjectParts))}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "subject_access.started", EntityType: SubjectTargetType, EntityID: id.String(),
			ReasonCode: "SUBJECT_ACCESS", After: map[string]any{"customerId": row.CustomerID}})
	})
	if err != nil {
		return fmt.Errorf("report: subject export %s: %w", id, err)
	}
	if row.Status != Queued && row.Status != Running {
		return nil
	}
	files, size, sum, err := s.writeSubject(ctx, tenant, exportOf(row))
	if err != nil {
		if ctx.Err() == nil {
			_ = db.InTenantTx(context.WithoutCancel(ctx), s.pool, tenant, func(q *db.Queries) error {
				if err := q.SubjectExportFail(ctx, db.SubjectExportFailParams{TenantID: tenant, ID: id, LastError: err.Error()}); err != nil {
					return err
				}
				return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "subject_access.failed", EntityType: SubjectTargetType, EntityID: id.String(),
					ReasonCode: "SUBJECT_ACCESS", After: map[string]any{"error": err.Error()}})
			})
		}
		return fmt.Errorf("report: subject export %s: %w", id, err)
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
		if err := q.SubjectExportFinish(ctx, db.SubjectExportFinishParams{TenantID: tenant, ID: id, Files: int32(files), Bytes: size, Sha256: sum,
			FinishedAt: &now, ExpiresAt: &expires}); err != nil {
			return err
		}
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "subject_access.completed", EntityType: SubjectTargetType, EntityID: id.String(),
			ReasonCode: "SUBJECT_ACCESS", After: map[string]any{"customerId": row.CustomerID, "files": files, "bytes": size, "sha256": sum,
				"expiresAt": expires}})
	})
	if err != nil {
		return fmt.Errorf("report: subject export %s: finish: %w", id, err)
	}
	return nil
}

// ManifestFile is one file of an export as manifest.json lists it.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Manifest is an export's manifest.json.
type Manifest struct {
	ExportID    uuid.UUID      `json:"exportId"`
	CustomerID  uuid.UUID      `json:"customerId"`
	MadeAt      time.Time      `json:"madeAt"`
	RequestedBy string         `json:"requestedBy"`
	ApprovedBy  string         `json:"approvedBy"`
	Reason      string         `json:"reason"`
	Files       []ManifestFile `json:"files"`
	Notes       []string       `json:"notes"`
}

// zipOut writes an export's files into its ZIP, hashing each.
type zipOut struct {
	ctx   context.Context
	zw    *zip.Writer
	files []ManifestFile
}

type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// file writes one file named name with fill, which writes its content.
func (z *zipOut) file(name string, fill func(w io.Writer) error) error {
	if err := z.ctx.Err(); err != nil {
		return err
	}
	fw, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now().UTC()})
	if err != nil {
		return err
	}
	ch := &countingHash{h: sha256.New()}
	if err := fill(io.MultiWriter(fw, ch)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	z.files = append(z.files, ManifestFile{Name: name, Bytes: ch.n, SHA256: hex.EncodeToString(ch.h.Sum(nil))})
	return nil
}

// json writes v as an indented JSON file.
func (z *zipOut) json(name string, v any) error {
	return z.file(name, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// list writes a JSON array file whose items each(emit) gives one at a
// time, so that a long list is never held whole.
func (z *zipOut) list(name string, each func(emit func(any) error) error) error {
	return z.file(name, func(w io.Writer) error {
		if _, err := io.WriteString(w, "[\n"); err != nil {
			return err
		}
		first := true
		err := each(func(v any) error {
			b, err := json.MarshalIndent(v, "  ", "  ")
			if err != nil {
				return err
			}
			sep := ",\n  "
			if first {
				sep, first = "  ", false
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		})
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, "\n]\n")
		return err
	})
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName is a file name fit for a path inside the ZIP.
func safeName(s string) string {
	s = unsafeName.ReplaceAllString(path.Base(s), "_")
	if strings.Trim(s, "._") == "" {
		return "file"
	}
	return s
}

func (s *Service) writeSubject(ctx context.Context, tenant uuid.UUID, e Export) (files int, size int64, sum string, err error) {
	src := s.Subjects
	h := sha256.New()
	store := &chunkStore{ctx: ctx, s: s, tenant: tenant, run: e.ID, buf: make([]byte, 0, ChunkBytes), hash: h,
		aad: func(seq int32) []byte { return subjectAAD(e.ID, seq) },
		insert: func(q *db.Queries, seq int32, sealed []byte) error {
			return q.SubjectExportInsertChunk(ctx, db.SubjectExportInsertChunkParams{ExportID: e.ID, Seq: seq, TenantID: tenant, Content: sealed})
		}}
	z := &zipOut{ctx: ctx, zw: zip.NewWriter(store)}
	done := 0
	progress := func() error {
		done++
		return db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			return q.SubjectExportProgress(ctx, db.SubjectExportProgressParams{TenantID: tenant, ID: e.ID, Processed: int64(done), Files: int32(len(z.files))})
		})
	}
	cid := e.CustomerID
	// Entities whose audit records and events are about the customer.
	entities := []audit.Filter{{EntityType: "customer", EntityID: cid.String()}}
	var notes []string

	// Profile, categorisation and parameters, wallets.
	d, err := src.Customers.GetDetail(ctx, tenant, cid)
	if err != nil {
		return 0, 0, "", err
	}
	prof := map[string]any{"customer": d.Customer, "wallets": d.Wallets, "loginId": d.UserID, "registeredByClient": d.ClientName}
	if applied, ok, err := d.Customer.Applied(); err == nil && ok {
		prof["categorisation"] = applied
	}
	if src.ComplianceFields != nil {
		if prof["complianceFields"], err = src.ComplianceFields(ctx, tenant, cid); err != nil {
			return 0, 0, "", err
		}
	}
	if err := z.json("profile.json", prof); err != nil {
		return 0, 0, "", err
	}
	for _, w := range d.Wallets {
		entities = append(entities, audit.Filter{EntityType: customer.WalletTarget, EntityID: w.ID.String()})
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// The login, without secrets, and the sessions.
	login := map[string]any{}
	if f, err := src.Auth.CredentialFacts(ctx, tenant, cid); err == nil {
		login["credential"] = f
	} else if apperr.CodeOf(err) != apperr.NotFound {
		return 0, 0, "", err
	}
	sess, total, err := src.Customers.Sessions(ctx, tenant, cid, 200)
	if err != nil {
		return 0, 0, "", err
	}
	login["sessions"], login["sessionsTotal"] = sess, total
	if total > int64(len(sess)) {
		notes = append(notes, fmt.Sprintf("login.json: the newest %d of %d sessions", len(sess), total))
	}
	if err := z.json("login.json", login); err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Virtual and social documents, their values opened.
	vals, err := src.KYC.CustomerValuesOpened(ctx, tenant, cid)
	if err != nil {
		return 0, 0, "", err
	}
	for _, v := range vals {
		entities = append(entities, audit.Filter{EntityType: "virtual_document", EntityID: v.ID.String()})
	}
	if err := z.json("virtual-documents.json", vals); err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Verifications with their checks and decisions, each document's
	// evidence, and the documents themselves.
	type docFile struct {
		ID   uuid.UUID
		Name string
	}
	var docs []docFile
	err = z.list("verifications.json", func(emit func(any) error) error {
		for _, vr := range d.Verifications {
			v, err := src.KYC.Get(ctx, tenant, vr.ID, nil)
			if err != nil {
				return err
			}
			entities = append(entities, audit.Filter{EntityType: "verification_request", EntityID: v.ID.String()})
			evidence := map[string]any{}
			for _, doc := range v.Documents {
				name := "documents/" + doc.ID.String() + "-" + safeName(doc.FileName)
				docs = append(docs, docFile{ID: doc.ID, Name: name})
				entities = append(entities, audit.Filter{EntityType: "document", EntityID: doc.ID.String()})
				ev, err := src.KYC.DocumentEvidence(ctx, tenant, doc.ID)
				if err != nil {
					return err
				}
				evidence[doc.ID.String()] = map[string]any{"file": name, "evidence": ev}
			}
			if err := emit(map[string]any{"verification": v, "documentEvidence": evidence}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, "", err
	}
	for _, doc := range docs {
		if err := z.file(doc.Name, func(w io.Writer) error {
			_, err := src.KYC.OpenTo(ctx, tenant, doc.ID, w)
			return err
		}); err != nil {
			return 0, 0, "", err
		}
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Screening hits and how each was decided.
	hits, err := src.Screening.ListHits(ctx, tenant, screening.HitFilter{SubjectID: &cid, Limit: 1000})
	if err != nil {
		return 0, 0, "", err
	}
	if len(hits) == 1000 {
		notes = append(notes, "screening-hits.json: the newest 1000 hits")
	}
	for _, hit := range hits {
		entities = append(entities, audit.Filter{EntityType: "screening_hit", EntityID: hit.ID.String()})
	}
	if err := z.json("screening-hits.json", hits); err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Every screened transaction.
	if err := z.list("aml-transactions.json", func(emit func(any) error) error {
		return src.AML.EachCustomerTransaction(ctx, tenant, cid, func(t aml.Kept) error { return emit(t) })
	}); err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Alerts, each with its history, comments and SAR narrative.
	err = z.list("aml-alerts.json", func(emit func(any) error) error {
		for offset := 0; ; offset += 200 {
			page, err := src.AML.Alerts(ctx, tenant, aml.AlertFilter{Status: "all", CustomerID: &cid, Limit: 200, Offset: offset})
			if err != nil {
				return err
			}
			for _, a := range page.Alerts {
				full, err := src.AML.Alert(ctx, tenant, a.ID)
				if err != nil {
					return err
				}
				entities = append(entities, audit.Filter{EntityType: "aml_alert", EntityID: a.ID.String()})
				if err := emit(full); err != nil {
					return err
				}
			}
			if len(page.Alerts) < 200 {
				return nil
			}
		}
	})
	if err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Cases with their timeline, and their attachments.
	type attFile struct {
		Case, ID uuid.UUID
		Name     string
	}
	var atts []attFile
	err = z.list("cases.json", func(emit func(any) error) error {
		for offset := 0; ; offset += 200 {
			page, err := src.Cases.List(ctx, tenant, cases.Filter{Status: "all", CustomerID: &cid, Limit: 200, Offset: offset})
			if err != nil {
				return err
			}
			for _, c := range page.Cases {
				full, err := src.Cases.Get(ctx, tenant, c.ID)
				if err != nil {
					return err
				}
				entities = append(entities, audit.Filter{EntityType: "case", EntityID: c.ID.String()})
				files := map[string]string{}
				for _, a := range full.Attachments {
					name := fmt.Sprintf("cases/%d/%s-%s", full.Number, a.ID, safeName(a.FileName))
					atts = append(atts, attFile{Case: c.ID, ID: a.ID, Name: name})
					files[a.ID.String()] = name
				}
				if err := emit(map[string]any{"case": full, "attachmentFiles": files}); err != nil {
					return err
				}
			}
			if len(page.Cases) < 200 {
				return nil
			}
		}
	})
	if err != nil {
		return 0, 0, "", err
	}
	for _, a := range atts {
		if err := z.file(a.Name, func(w io.Writer) error {
			_, err := src.Cases.OpenAttachment(ctx, tenant, a.Case, a.ID, w)
			return err
		}); err != nil {
			return 0, 0, "", err
		}
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// Consents and preferences: the product records none.
	if err := z.json("consents.json", map[string]any{"consents": []any{}, "preferences": []any{},
		"note": "This service records no consents or marketing preferences of customers; none are held."}); err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// The audit records about the customer and what is theirs, each
	// entity's newest first (the export's own opening of the documents
	// among them).
	err = z.list("audit.json", func(emit func(any) error) error {
		for _, f := range entities {
			f.Limit = 200
			for {
				page, err := src.Audit.List(ctx, tenant, f)
				if err != nil {
					return err
				}
				for _, r := range page.Records {
					if err := emit(r); err != nil {
						return err
					}
				}
				if page.NextBeforeSeq == 0 {
					break
				}
				f.BeforeSeq = page.NextBeforeSeq
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}

	// The events about them, oldest first.
	ids := make([]string, len(entities))
	for i, f := range entities {
		ids[i] = f.EntityID
	}
	err = z.list("events.json", func(emit func(any) error) error {
		var seq int64
		for {
			evs, err := src.Events.About(ctx, tenant, cid, ids, seq, 500)
			if err != nil {
				return err
			}
			for _, ev := range evs {
				seq = ev.Seq
				if err := emit(ev); err != nil {
					return err
				}
			}
			if len(evs) < 500 {
				return nil
			}
		}
	})
	if err != nil {
		return 0, 0, "", err
	}

	m := Manifest{ExportID: e.ID, CustomerID: cid, MadeAt: s.now().UTC(), RequestedBy: e.RequestedBy, ApprovedBy: e.ApprovedBy,
		Reason: e.Reason, Files: z.files, Notes: append(notes,
			"Sealed values (documents, national ids, virtual documents) are opened; passwords, PINs and authenticator secrets are held only as hashes or sealed secrets and are not exported.")}
	var mb bytes.Buffer
	enc := json.NewEncoder(&mb)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return 0, 0, "", err
	}
	fw, err := z.zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: time.Now().UTC()})
	if err != nil {
		return 0, 0, "", err
	}
	if _, err := fw.Write(mb.Bytes()); err != nil {
		return 0, 0, "", err
	}
	if err := z.zw.Close(); err != nil {
		return 0, 0, "", err
	}
	if err := store.flush(); err != nil {
		return 0, 0, "", err
	}
	if err := progress(); err != nil {
		return 0, 0, "", err
	}
	return len(z.files) + 1, store.n, hex.EncodeToString(h.Sum(nil)), nil
}

// ---------------------------------------------------------------- download

// DownloadExport writes export id's ZIP to w, after auditing the
// download: the record is written before the first byte goes out. roles
// are the downloader's.
func (s *Service) DownloadExport(ctx context.Context, tenant, id uuid.UUID, roles []staff.Role, w func(Export) io.Writer) error {
	e, err := s.Export(ctx, tenant, id)
	if err != nil {
		return err
	}
	switch e.Status {
	case Expired:
		return apperr.New(apperr.NotFound, "this export was deleted when its retention period ended; request another")
	case Done:
	default:
		return apperr.New(apperr.Conflict, "this export is not ready")
	}
	if !MayHaveSubjectAccess(roles) {
		return apperr.New(apperr.Forbidden, "a subject access export holds the customer's data in full, which your role sees masked")
	}
	if err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "subject_access.downloaded", EntityType: SubjectTargetType, EntityID: id.String(),
			ReasonCode: "SUBJECT_ACCESS", After: map[string]any{"customerId": e.CustomerID, "bytes": e.Bytes, "sha256": e.SHA256}})
	}); err != nil {
		return fmt.Errorf("report: subject export download: %w", err)
	}
	out := w(e)
	for seq := int32(0); ; seq++ {
		var sealed []byte
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			var err error
			sealed, err = q.SubjectExportChunk(ctx, db.SubjectExportChunkParams{TenantID: tenant, ExportID: id, Seq: seq})
			return err
		})
		if db.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("report: subject export download: %w", err)
		}
		plain, err := s.keys.Open(sealed, subjectAAD(id, seq))
		if err != nil {
			return fmt.Errorf("report: subject export download: chunk %d: %w", seq, err)
		}
		if _, err := out.Write(plain); err != nil {
			return fmt.Errorf("report: subject export download: %w", err)
		}
	}
}

// expireExports deletes the ZIPs of tenant's exports whose retention has
// ended, each audited; it returns how many.
func (s *Service) expireExports(ctx context.Context, tenant uuid.UUID) (int, error) {
	n := 0
	for {
		var done int
		err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
			done = 0
			rows, err := q.SubjectExportsExpired(ctx, db.SubjectExportsExpiredParams{TenantID: tenant, Now: s.now(), MaxRows: 100})
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := q.SubjectExportDeleteChunks(ctx, db.SubjectExportDeleteChunksParams{TenantID: tenant, ExportID: r.ID}); err != nil {
					return err
				}
				if err := q.SubjectExportExpire(ctx, db.SubjectExportExpireParams{TenantID: tenant, ID: r.ID}); err != nil {
					return err
				}
				if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "subject_access.expired", EntityType: SubjectTargetType,
					EntityID: r.ID.String(), ReasonCode: "RETENTION", Before: map[string]any{"customerId": r.CustomerID, "bytes": r.Bytes,
						"expiresAt": r.ExpiresAt}}); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += done
		if done < 100 {
			return n, nil
		}
	}
}
