package kyc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// ChunkSize is how much of a document is sealed at once. An upload or a
// view holds about one chunk of it in memory, whatever its size.
const ChunkSize = 256 << 10

// Storage keeps a document's sealed chunks.
type Storage interface {
	// Name is stored with each document ("postgres" or "folder").
	Name() string
	// Writer starts writing doc's chunks inside q's transaction where it can.
	Writer(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) (ChunkWriter, error)
	// Chunk returns sealed chunk seq of doc; io.EOF after the last.
	Chunk(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, seq int) ([]byte, error)
	// Replace overwrites sealed chunk seq (key rotation).
	Replace(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, seq int, sealed []byte) error
	// Delete removes every chunk of doc (retention and erasure).
	Delete(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) error
}

// ChunkWriter takes sealed chunks in order.
type ChunkWriter interface {
	WriteChunk(seq int, sealed []byte) error
	Close() error
}

// ChunkAAD binds a sealed chunk to its document, its place and whether it
// is the last: chunks cannot be reordered, swapped between documents or
// cut off.
func ChunkAAD(doc uuid.UUID, seq int, last bool) []byte {
	end := "more"
	if last {
		end = "last"
	}
	return []byte("document:" + doc.String() + ":" + strconv.Itoa(seq) + ":" + end)
}

// sealTo reads r to its end and writes it sealed, chunk by chunk, with a
// final (possibly empty) chunk marked last.
func sealTo(crypt *fieldcrypt.Keys, doc uuid.UUID, r io.Reader, w ChunkWriter) error {
	buf := make([]byte, ChunkSize)
	next := make([]byte, ChunkSize)
	n, err := io.ReadFull(r, buf)
	for seq := 0; ; seq++ {
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return err
		}
		last := err != nil
		var m int
		var nerr error
		if !last {
			m, nerr = io.ReadFull(r, next)
			if nerr == io.EOF {
				last = true
			}
		}
		if werr := w.WriteChunk(seq, crypt.Seal(buf[:n], ChunkAAD(doc, seq, last))); werr != nil {
			return werr
		}
		if last {
			return w.Close()
		}
		buf, next, n, err = next, buf, m, nerr
	}
}

// openFrom reads doc's sealed chunks from s and writes the plain content
// to w, refusing a missing last chunk.
func openFrom(ctx context.Context, crypt *fieldcrypt.Keys, s Storage, q *db.Queries, tenant, doc uuid.UUID, w io.Writer) error {
	return OpenChunks(crypt, doc, func(seq int) ([]byte, error) { return s.Chunk(ctx, q, tenant, doc, seq) }, w)
}

// SealChunks seals r's content under id the way documents are sealed, a
// chunk of ChunkSize at a time bound to id and its place, and writes the
// chunks to w: other files kept with a record (a case's attachments) are
// sealed with it.
func SealChunks(crypt *fieldcrypt.Keys, id uuid.UUID, r io.Reader, w ChunkWriter) error {
	return sealTo(crypt, id, r, w)
}

// OpenChunks reads id's sealed chunks from chunk (io.EOF after the last
// one stored) and writes the plain content to w, refusing chunks out of
// place and a missing last chunk.
func OpenChunks(crypt *fieldcrypt.Keys, id uuid.UUID, chunk func(seq int) ([]byte, error), w io.Writer) error {
	for seq := 0; ; seq++ {
		sealed, err := chunk(seq)
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("kyc: document %s: content ends without its last chunk", id)
		}
		if err != nil {
			return err
		}
		plain, lastErr := crypt.Open(sealed, ChunkAAD(id, seq, true))
		last := lastErr == nil
		if !last {
			if plain, err = crypt.Open(sealed, ChunkAAD(id, seq, false)); err != nil {
				return fmt.Errorf("kyc: document %s chunk %d: %w", id, seq, err)
			}
		}
		if _, err := w.Write(plain); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// PostgresStorage keeps documents in the document_chunks table: backed up
// and walled off by tenant with everything else.
type PostgresStorage struct{}

// Name implements Storage.
func (PostgresStorage) Name() string { return "postgres" }

type pgWriter struct {
	ctx         context.Context
	q           *db.Queries
	tenant, doc uuid.UUID
}

func (w pgWriter) WriteChunk(seq int, sealed []byte) error {
	return w.q.InsertDocumentChunk(w.ctx, db.InsertDocumentChunkParams{DocumentID: w.doc, Seq: int32(seq), TenantID: w.tenant, Content: sealed})
}

func (pgWriter) Close() error { return nil }

// Writer implements Storage.
func (PostgresStorage) Writer(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) (ChunkWriter, error) {
	return pgWriter{ctx: ctx, q: q, tenant: tenant, doc: doc}, nil
}

// Chunk implements Storage.
func (PostgresStorage) Chunk(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, seq int) ([]byte, error) {
	b, err := q.DocumentChunk(ctx, db.DocumentChunkParams{TenantID: tenant, DocumentID: doc, Seq: int32(seq)})
	if db.IsNotFound(err) {
		return nil, io.EOF
	}
	return b, err
}

// Replace implements Storage.
func (PostgresStorage) Replace(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, seq int, sealed []byte) error {
	return q.UpdateDocumentChunk(ctx, db.UpdateDocumentChunkParams{TenantID: tenant, DocumentID: doc, Seq: int32(seq), Content: sealed})
}

// Delete implements Storage.
func (PostgresStorage) Delete(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) error {
	return q.DeleteDocumentChunks(ctx, db.DeleteDocumentChunksParams{TenantID: tenant, DocumentID: doc})
}

// FolderStorage keeps documents as files under Dir/<tenant>/<document>,
// one file per chunk. Files are written before the database transaction
// commits; a rolled back upload leaves orphan files no row points to.
type FolderStorage struct {
	Dir string
}

// Name implements Storage.
func (FolderStorage) Name() string { return "folder" }

func (f FolderStorage) path(tenant, doc uuid.UUID, seq int) string {
	return filepath.Join(f.Dir, tenant.String(), doc.String(), fmt.Sprintf("%06d", seq))
}

type folderWriter struct {
	f           FolderStorage
	tenant, doc uuid.UUID
}

func (w folderWriter) WriteChunk(seq int, sealed []byte) error {
	return w.f.Replace(context.Background(), nil, w.tenant, w.doc, seq, sealed)
}

func (folderWriter) Close() error { return nil }

// Writer implements Storage.
func (f FolderStorage) Writer(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) (ChunkWriter, error) {
	if err := os.MkdirAll(filepath.Dir(f.path(tenant, doc, 0)), 0o700); err != nil {
		return nil, fmt.Errorf("kyc: storage: %w", err)
	}
	return folderWriter{f: f, tenant: tenant, doc: doc}, nil
}

// Chunk implements Storage.
func (f FolderStorage) Chunk(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, seq int) ([]byte, error) {
	b, err := os.ReadFile(f.path(tenant, doc, seq))
	if errors.Is(err, os.ErrNotExist) {
		return nil, io.EOF
	}
	return b, err
}

// Replace implements Storage.
func (f FolderStorage) Replace(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID, seq int, sealed []byte) error {
	p := f.path(tenant, doc, seq)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, sealed, 0o600); err != nil {
		return fmt.Errorf("kyc: storage: %w", err)
	}
	return os.Rename(tmp, p)
}

// Delete implements Storage. The files go at once, before the database
// transaction commits: a rolled back deletion leaves a document row
// without content, never content without a row.
func (f FolderStorage) Delete(ctx context.Context, q *db.Queries, tenant, doc uuid.UUID) error {
	if err := os.RemoveAll(filepath.Dir(f.path(tenant, doc, 0))); err != nil {
		return fmt.Errorf("kyc: storage: %w", err)
	}
	return nil
}
