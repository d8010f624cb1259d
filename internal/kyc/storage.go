package kyc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// Storage keeps sealed document content.
type Storage interface {
	// Name is stored with each document ("postgres" or "folder").
	Name() string
	// Put stores sealed content inside q's transaction where it can.
	Put(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, sealed []byte) error
	// Get returns sealed content.
	Get(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) ([]byte, error)
	// Replace overwrites sealed content (key rotation).
	Replace(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, sealed []byte) error
}

// PostgresStorage keeps documents in the document_blobs table: backed up
// and walled off by tenant with everything else.
type PostgresStorage struct{}

// Name implements Storage.
func (PostgresStorage) Name() string { return "postgres" }

// Put implements Storage.
func (PostgresStorage) Put(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, sealed []byte) error {
	return q.InsertDocumentBlob(ctx, db.InsertDocumentBlobParams{DocumentID: doc, TenantID: tenant, Content: sealed})
}

// Get implements Storage.
func (PostgresStorage) Get(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) ([]byte, error) {
	return q.DocumentBlob(ctx, db.DocumentBlobParams{TenantID: tenant, DocumentID: doc})
}

// Replace implements Storage.
func (PostgresStorage) Replace(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, sealed []byte) error {
	return q.UpdateDocumentBlob(ctx, db.UpdateDocumentBlobParams{TenantID: tenant, DocumentID: doc, Content: sealed})
}

// FolderStorage keeps documents as files under Dir/<tenant>/<document>.
// Files are written before the database transaction commits; a rolled
// back upload leaves an orphan file that no row points to.
type FolderStorage struct {
	Dir string
}

// Name implements Storage.
func (FolderStorage) Name() string { return "folder" }

func (f FolderStorage) path(tenant, doc uuid.UUID) string {
	return filepath.Join(f.Dir, tenant.String(), doc.String())
}

// Put implements Storage.
func (f FolderStorage) Put(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, sealed []byte) error {
	p := f.path(tenant, doc)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("kyc: storage: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, sealed, 0o600); err != nil {
		return fmt.Errorf("kyc: storage: %w", err)
	}
	return os.Rename(tmp, p)
}

// Get implements Storage.
func (f FolderStorage) Get(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) ([]byte, error) {
	b, err := os.ReadFile(f.path(tenant, doc))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("kyc: document %s: content missing from the folder", doc)
	}
	return b, err
}

// Replace implements Storage.
func (f FolderStorage) Replace(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, sealed []byte) error {
	return f.Put(ctx, q, tenant, doc, sealed)
}
