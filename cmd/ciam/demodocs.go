package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/demo"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/jobs"
	"github.com/ciamhq/ciam/internal/kyc"
)

// demoStorage is where the demo's documents go: where the server keeps
// them (DOCUMENT_STORAGE and DOCUMENT_STORAGE_DIR).
type demoStorage struct {
	keys       *fieldcrypt.Keys
	kind, dir  string
	faceFolder string // the project folder with node_modules
}

// seedDemoDocuments gives the demo customers their documents
// (demo.SeedDocuments) through a verification service wired as the
// server's is: the same reader, storage and keys, and a queue client, so
// that the server's job runner runs the checks once it starts. Without the
// OCR tools, the face photos or the keys it prints why and uploads
// nothing: `make run` starts all the same.
func seedDemoDocuments(ctx context.Context, pool *pgxpool.Pool, customers *customer.Service, d demo.Data, st demoStorage, out io.Writer) error {
	if st.keys == nil {
		demo.NoteSkipped(out, errors.New("FIELD_ENCRYPTION_KEYS is not set, documents cannot be sealed"))
		return nil
	}
	var store kyc.Storage = kyc.PostgresStorage{}
	if st.kind == "folder" {
		store = kyc.FolderStorage{Dir: st.dir}
	}
	svc := kyc.NewService(pool, st.keys, store, customers, nil)
	reader, err := evidence.NewReader(evidence.ReaderOptions{})
	if err != nil {
		demo.NoteSkipped(out, err)
		return nil
	}
	svc.Reader = reader
	if svc.Jobs, err = jobs.NewInserter(pool); err != nil {
		return err
	}
	start := time.Now()
	n, err := demo.SeedDocuments(ctx, svc, customers, d, st.faceFolder, time.Now())
	if errors.Is(err, demo.ErrNoDocumentTools) {
		demo.NoteSkipped(out, err)
		return nil
	}
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(out, "demo: documents of %d customers uploaded and read in %s; the server runs their checks\n", n, time.Since(start).Round(time.Second/10))
	}
	return nil
}
