package kyc

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// memStore keeps chunks in memory for tests of the sealing itself.
type memStore struct{ chunks map[int][]byte }

func (m *memStore) Name() string { return "memory" }
func (m *memStore) Writer(context.Context, *db.Queries, uuid.UUID, uuid.UUID) (ChunkWriter, error) {
	return m, nil
}
func (m *memStore) WriteChunk(seq int, sealed []byte) error { m.chunks[seq] = sealed; return nil }
func (m *memStore) Close() error                            { return nil }
func (m *memStore) Chunk(_ context.Context, _ *db.Queries, _, _ uuid.UUID, seq int) ([]byte, error) {
	c, ok := m.chunks[seq]
	if !ok {
		return nil, io.EOF
	}
	return c, nil
}
func (m *memStore) Replace(_ context.Context, _ *db.Queries, _, _ uuid.UUID, seq int, sealed []byte) error {
	m.chunks[seq] = sealed
	return nil
}
func (m *memStore) Delete(context.Context, *db.Queries, uuid.UUID, uuid.UUID) error {
	clear(m.chunks)
	return nil
}

func TestChunkedSealing(t *testing.T) {
	crypt, _ := fieldcrypt.New("k", bytes.Repeat([]byte{1}, 32))
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		plain := make([]byte, size)
		_, _ = rand.Read(plain)
		doc := uuid.New()
		st := &memStore{chunks: map[int][]byte{}}
		if err := sealTo(crypt, doc, bytes.NewReader(plain), st); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := openFrom(t.Context(), crypt, st, nil, uuid.Nil, doc, &out); err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("size %d: round trip failed (%v)", size, err)
		}
		if want := max(1, (size+ChunkSize-1)/ChunkSize); len(st.chunks) != want {
			t.Errorf("size %d: %d chunks", size, len(st.chunks))
		}
		if len(st.chunks) > 1 {
			// Cutting off the last chunk is detected.
			delete(st.chunks, len(st.chunks)-1)
			if err := openFrom(t.Context(), crypt, st, nil, uuid.Nil, doc, io.Discard); err == nil {
				t.Errorf("size %d: a truncated document opened", size)
			}
		}
		// Another document's id does not open it.
		if len(st.chunks) > 0 {
			if err := openFrom(t.Context(), crypt, st, nil, uuid.Nil, uuid.New(), io.Discard); err == nil {
				t.Errorf("size %d: opened under another document's id", size)
			}
		}
	}
}
