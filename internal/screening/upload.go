package screening

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
)

// Upload statuses.
const (
	UploadQueued  = "QUEUED"
	UploadRunning = "RUNNING"
	UploadDone    = "DONE"
	UploadFailed  = "FAILED"
)

// Upload is a list handed in through the portal, loaded by a job, with
// the load's progress.
type Upload struct {
	ID          uuid.UUID
	Format      Format
	Status      string // QUEUED, RUNNING, DONE or FAILED
	Stage       string // parse, write or index
	Done, Total int
	Files       []string
	SizeBytes   int64
	AllowShrink bool
	// VersionID is the version the load made, once DONE.
	VersionID *uuid.UUID
	// Error says why a FAILED upload was refused, naming file and line.
	Error     string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Finished reports whether the upload's job is over.
func (u Upload) Finished() bool { return u.Status == UploadDone || u.Status == UploadFailed }

func uploadOf(r db.ScreeningUpload) Upload {
	return Upload{ID: r.ID, Format: Format(r.Format), Status: r.Status, Stage: r.Stage, Done: int(r.Done), Total: int(r.Total),
		Files: r.FileNames, SizeBytes: r.SizeBytes, AllowShrink: r.AllowShrink, VersionID: r.VersionID, Error: r.Error,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// UploadFile is one file of an upload. For OFAC, Name is the role of the
// file: sdn.csv, alt.csv, add.csv or sdn_comments.csv.
type UploadFile struct {
	Name    string
	Content []byte
}

// The files an OFAC upload takes; the comments are optional.
var (
	ofacRequired = []string{"sdn.csv", "alt.csv", "add.csv"}
	ofacOptional = []string{"sdn_comments.csv"}
	consRequired = []string{"cons_prim.csv", "cons_alt.csv", "cons_add.csv"}
	consOptional = []string{"cons_comments.csv"}
)

// FolderFiles names the files of a folder format: those it needs, then
// the optional ones.
func FolderFiles(f Format) (required, optional []string) {
	switch f {
	case FormatOFAC:
		return ofacRequired, ofacOptional
	case FormatOFACCons:
		return consRequired, consOptional
	}
	return nil, nil
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeFileName keeps a file's base name readable in messages and safe on
// disk.
func safeFileName(name string) string {
	name = unsafeFileChars.ReplaceAllString(filepath.Base(strings.ReplaceAll(name, `\`, "/")), "_")
	name = strings.TrimLeft(name, ".")
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	if name == "" {
		name = "list"
	}
	return name
}

// StartUpload keeps an uploaded list and queues the job that loads it as a
// new version, both in one transaction, audited. Follow the load with
// GetUpload.
func (s *Service) StartUpload(ctx context.Context, format Format, files []UploadFile, allowShrink bool) (Upload, error) {
	return s.startUpload(ctx, format, files, allowShrink, "")
}

// startUpload is StartUpload of a list that loads as the fetched source
// asSource, when set.
func (s *Service) startUpload(ctx context.Context, format Format, files []UploadFile, allowShrink bool, asSource string) (Upload, error) {
	var fe apperr.Fields
	var kept []UploadFile
	switch format {
	case FormatOFAC, FormatOFACCons:
		required, optional := FolderFiles(format)
		for _, f := range files {
			if !slices.Contains(required, f.Name) && !slices.Contains(optional, f.Name) {
				fe.Add("files", "an OFAC upload takes %s and optionally %s, not %q", strings.Join(required, ", "), optional[0], f.Name)
			}
		}
		for _, name := range required {
			if !slices.ContainsFunc(files, func(f UploadFile) bool { return f.Name == name }) {
				fe.Add(strings.TrimSuffix(name, ".csv"), "choose the %s file", name)
			}
		}
		kept = files
	case FormatUN, FormatSenzing, FormatDPL, FormatCSL, FormatEU, FormatUK:
		if len(files) != 1 {
			fe.Add("file", "choose one file")
		} else {
			kept = []UploadFile{{Name: safeFileName(files[0].Name), Content: files[0].Content}}
		}
	default:
		fe.Add("format", "choose one of the list formats")
	}
	var size int64
	for _, f := range kept {
		if len(f.Content) == 0 {
			fe.Add("files", "%s is empty", f.Name)
		}
		size += int64(len(f.Content))
	}
	if err := fe.Err(); err != nil {
		return Upload{}, err
	}
	if s.Jobs == nil {
		return Upload{}, apperr.New(apperr.Unavailable, "the job queue is not running here, so nothing could load the list; try again later")
	}
	names := make([]string, len(kept))
	for i, f := range kept {
		names[i] = f.Name
	}
	var out Upload
	err := db.InTxPgx(ctx, s.pool, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.InsertScreeningUpload(ctx, db.InsertScreeningUploadParams{
			ID: uuid.New(), Format: string(format), FileNames: names, SizeBytes: size, AllowShrink: allowShrink, CreatedBy: actorName(ctx),
			SourceID: asSource,
		})
		if err != nil {
			return err
		}
		for _, f := range kept {
			if err := q.InsertScreeningUploadFile(ctx, db.InsertScreeningUploadFileParams{UploadID: row.ID, Name: f.Name, Content: f.Content}); err != nil {
				return err
			}
		}
		if _, err := s.Jobs.InsertTx(ctx, tx, LoadArgs{UploadID: row.ID}, &river.InsertOpts{MaxAttempts: 3}); err != nil {
			return err
		}
		out = uploadOf(row)
		return audit.Write(ctx, q, audit.Entry{
			Action: "screening.list.uploaded", EntityType: "screening_upload", EntityID: row.ID.String(),
			After: map[string]any{"format": format, "files": names, "bytes": size, "allowShrink": allowShrink},
		})
	})
	if err != nil {
		return Upload{}, fmt.Errorf("screening: upload: %w", err)
	}
	return out, nil
}

// GetUpload returns an upload with its progress.
func (s *Service) GetUpload(ctx context.Context, id uuid.UUID) (Upload, error) {
	var out Upload
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		row, err := q.ScreeningUploadByID(ctx, id)
		out = uploadOf(row)
		return err
	})
	if db.IsNotFound(err) {
		return Upload{}, apperr.New(apperr.NotFound, "no such upload")
	}
	if err != nil {
		return Upload{}, fmt.Errorf("screening: upload: %w", err)
	}
	return out, nil
}

// Uploads lists the latest uploads, newest first.
func (s *Service) Uploads(ctx context.Context, limit int) ([]Upload, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	var out []Upload
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		rows, err := q.ListScreeningUploads(ctx, int32(limit))
		for _, r := range rows {
			out = append(out, uploadOf(r))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening: uploads: %w", err)
	}
	return out, nil
}

// uploadFailure is a load that ended for good: the list was refused.
type uploadFailure struct{ err error }

func (e *uploadFailure) Error() string { return e.err.Error() }
func (e *uploadFailure) Unwrap() error { return e.err }

// runUpload loads an upload: its files go to a private folder, the load
// reports its progress on the upload, and the outcome (the version, or
// the refusal naming file and line) is recorded on it. The files are
// deleted once the outcome is known.
func (s *Service) runUpload(ctx context.Context, id uuid.UUID) error {
	var up db.ScreeningUpload
	var files []db.ScreeningUploadFile
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		if up, err = q.ScreeningUploadByID(ctx, id); err != nil {
			return err
		}
		files, err = q.ScreeningUploadFiles(ctx, id)
		return err
	})
	if db.IsNotFound(err) {
		return &uploadFailure{apperr.New(apperr.NotFound, "no such upload")}
	}
	if err != nil {
		return fmt.Errorf("screening: upload: %w", err)
	}
	if up.Status == UploadDone || up.Status == UploadFailed {
		return nil // finished by an earlier attempt
	}
	ctx = actor.With(ctx, actor.Actor{Kind: actor.System, Name: up.CreatedBy + " (upload)"})
	dir, err := os.MkdirTemp("", "ciam-list-")
	if err != nil {
		return fmt.Errorf("screening: upload: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, safeFileName(f.Name)), f.Content, 0o600); err != nil {
			return fmt.Errorf("screening: upload: %w", err)
		}
	}
	path := dir
	if !Format(up.Format).Folder() && len(files) == 1 {
		path = filepath.Join(dir, safeFileName(files[0].Name))
	}
	var as Source
	if up.SourceID != "" {
		f, err := s.SourceFetchByID(ctx, up.SourceID)
		if err != nil {
			return err
		}
		as = Source{ID: f.SourceID, Name: f.Name, Kind: f.Kind}
	}
	s.setUploadProgress(ctx, id, UploadRunning, "parse", 0, 1)
	res, err := s.Load(ctx, Format(up.Format), path, LoadOptions{
		AllowShrink: up.AllowShrink, As: as,
		Progress: func(stage string, done, total int) {
			s.setUploadProgress(ctx, id, UploadRunning, stage, done, total)
		},
	})
	if apperr.CodeOf(err) == apperr.Malformed {
		msg := err.Error()
		if e, ok := apperr.As(err); ok {
			msg = e.Message
		}
		// The refusal names the folder the files were in for the load,
		// which means nothing to the person who uploaded them.
		msg = strings.ReplaceAll(msg, dir+string(filepath.Separator), "")
		if ferr := s.finishUpload(ctx, id, UploadFailed, nil, msg); ferr != nil {
			return ferr
		}
		return &uploadFailure{err}
	}
	if err != nil {
		return err
	}
	return s.finishUpload(ctx, id, UploadDone, &res.Version.ID, "")
}

func (s *Service) setUploadProgress(ctx context.Context, id uuid.UUID, status, stage string, done, total int) {
	// Progress is advisory: a failed update must not fail the load.
	_ = db.InTx(ctx, s.pool, func(q *db.Queries) error {
		return q.SetScreeningUploadProgress(ctx, db.SetScreeningUploadProgressParams{
			ID: id, Status: status, Stage: stage, Done: int32(done), Total: int32(total),
		})
	})
}

func (s *Service) finishUpload(ctx context.Context, id uuid.UUID, status string, version *uuid.UUID, msg string) error {
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		if _, err := q.FinishScreeningUpload(ctx, db.FinishScreeningUploadParams{ID: id, Status: status, VersionID: version, Error: msg}); err != nil {
			return err
		}
		return q.DeleteScreeningUploadFiles(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("screening: finish upload: %w", err)
	}
	return nil
}

// failUpload records that an upload could not be loaded at all. It is the
// last word of a failing job, which reports the failure itself.
func (s *Service) failUpload(ctx context.Context, id uuid.UUID, msg string) {
	_ = s.finishUpload(ctx, id, UploadFailed, nil, msg)
}
