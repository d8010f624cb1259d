package api

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
)

// Blob is an uploaded file spooled to disk while it streamed in: its
// content never sits whole in memory, and its size and SHA-256 are known.
type Blob struct {
	File   *os.File
	Size   int64
	SHA256 []byte
}

// Close removes the spooled file.
func (b *Blob) Close() {
	if b != nil && b.File != nil {
		name := b.File.Name()
		b.File.Close()
		os.Remove(name)
	}
}

// errBlobTooLarge is returned when a spooled file passes its limit.
var errBlobTooLarge = errors.New("file too large")

// spoolWriter writes to a temporary file, hashing and counting, and stops
// at a limit.
type spoolWriter struct {
	f     *os.File
	w     *bufio.Writer
	h     hash.Hash
	n     int64
	limit int64
}

func newSpool(limit int64) (*spoolWriter, error) {
	f, err := os.CreateTemp("", "ciam-upload-*")
	if err != nil {
		return nil, err
	}
	return &spoolWriter{f: f, w: bufio.NewWriterSize(f, 64<<10), h: sha256.New(), limit: limit}, nil
}

func (s *spoolWriter) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.n > s.limit {
		return 0, errBlobTooLarge
	}
	s.h.Write(p)
	return s.w.Write(p)
}

func (s *spoolWriter) blob() (*Blob, error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &Blob{File: s.f, Size: s.n, SHA256: s.h.Sum(nil)}, nil
}

func (s *spoolWriter) discard() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// blobFilter reads a JSON body and replaces the string value of each
// document's "content" key ({"documents":[{"content": ...}]}) with a
// reference ("blob:N"), streaming the value's base64
// through a decoder into a spooled file instead. The rest of the document,
// now small, is decoded as usual. It tracks strings and escapes, so only a
// real key named content is taken.
//
// Everything else is bounded here, before any decoder holds it: each
// string at most maxFieldBytes, all of the body but the content at most
// maxFieldsBytes. A content over its limit is read to its end and dropped,
// so the rest of the body (the verificationRequestId the refusal counts
// against) is still read; the refusal is reported when the body ends.
type blobFilter struct {
	src   *bufio.Reader
	limit int64
	blobs []*Blob
	out   []byte // pending output
	err   error
	// tooLarge is the first content over the limit.
	tooLarge error
	// vr is the top-level verificationRequestId as it streamed past.
	vr []byte

	inString bool
	escape   bool
	key      []byte // the current string, while it may be a key
	lastKey  string
	expect   bool // after "content" and its colon, the next value is a blob
	depth    int  // of objects and arrays: a document's fields are at 3

	colonKey   string // the key before the last colon
	colonDepth int
	afterColon bool // the next value is colonKey's
	valueKey   string
	valueDepth int
	isValue    bool // the current string is a value, not a key
	strLen     int
	passed     int64 // bytes passed on, blob references aside
	doc        int   // index of the current document
	docField   string
}

// The bounds of an upload's fields other than content.
const (
	maxFieldBytes  = 64 << 10
	maxFieldsBytes = 1 << 20
)

// errFieldTooLarge is returned when a field other than content passes its
// bound; the error names the field.
var errFieldTooLarge = errors.New("field too large")

// newBlobFilter wraps r; each blob may hold at most limit decoded bytes.
func newBlobFilter(r io.Reader, limit int64) *blobFilter {
	return &blobFilter{src: bufio.NewReaderSize(r, 64<<10), limit: limit, doc: -1}
}

// VerificationRequestID is the top-level verificationRequestId read so
// far, even from a body that was refused later.
func (f *blobFilter) VerificationRequestID() string { return string(f.vr) }

// fieldName names the field the filter is in, as the API's details do.
func (f *blobFilter) fieldName() string {
	if f.depth >= 3 && f.doc >= 0 && f.docField != "" {
		return fmt.Sprintf("documents[%d].%s", f.doc, f.docField)
	}
	if f.depth >= 2 {
		return "documents"
	}
	if f.isValue && f.valueKey != "" {
		return f.valueKey
	}
	return "body"
}

func (f *blobFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 && f.err == nil {
		f.step()
	}
	if len(f.out) > 0 {
		n := copy(p, f.out)
		f.out = f.out[n:]
		return n, nil
	}
	return 0, f.err
}

func (f *blobFilter) emit(c byte) {
	f.out = append(f.out, c)
	f.passed++
	if f.passed > maxFieldsBytes && f.err == nil {
		f.err = fmt.Errorf("%s: %w", f.fieldName(), errFieldTooLarge)
	}
}

func (f *blobFilter) step() {
	c, err := f.src.ReadByte()
	if err != nil {
		f.err = err
		if errors.Is(err, io.EOF) && f.tooLarge != nil {
			f.err = f.tooLarge
		}
		return
	}
	switch {
	case f.inString:
		f.emit(c)
		f.strLen++
		if f.strLen > maxFieldBytes && f.err == nil {
			f.err = fmt.Errorf("%s: %w", f.fieldName(), errFieldTooLarge)
			return
		}
		capture := f.isValue && f.valueDepth == 1 && f.valueKey == "verificationRequestId"
		switch {
		case f.escape:
			f.escape = false
			f.key = append(f.key, c)
		case c == '\\':
			f.escape = true
			f.key = append(f.key, c)
		case c == '"':
			f.inString = false
			if !f.isValue {
				f.lastKey = string(f.key)
			}
			return
		default:
			if len(f.key) < 32 {
				f.key = append(f.key, c)
			}
		}
		if capture && len(f.vr) < 64 {
			f.vr = append(f.vr, c)
		}
	case c == '"' && f.expect:
		f.expect, f.afterColon = false, false
		f.streamBlob()
	case c == '"':
		f.inString, f.key, f.strLen = true, f.key[:0], 0
		f.isValue = f.afterColon
		if f.isValue {
			f.valueKey, f.valueDepth = f.colonKey, f.colonDepth
			if f.valueDepth == 1 && f.valueKey == "verificationRequestId" {
				f.vr = f.vr[:0]
			}
		}
		f.afterColon = false
		f.emit(c)
	case c == ':':
		f.expect = f.lastKey == "content" && f.depth == 3
		f.colonKey, f.colonDepth, f.afterColon = f.lastKey, f.depth, true
		if f.depth == 3 {
			f.docField = f.lastKey
		}
		f.lastKey = ""
		f.emit(c)
	case c == '{' || c == '[':
		f.depth++
		if c == '{' && f.depth == 3 {
			f.doc++
			f.docField = ""
		}
		f.expect, f.lastKey, f.afterColon = false, "", false
		f.emit(c)
	case c == '}' || c == ']':
		f.depth--
		f.expect, f.lastKey, f.afterColon = false, "", false
		f.emit(c)
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		f.emit(c)
	default:
		f.expect, f.afterColon = false, false
		f.lastKey = ""
		f.emit(c)
	}
}

// base64Reader yields a JSON string's characters up to its closing quote,
// skipping the escaped slashes some encoders write and refusing other
// escapes, which base64 never needs.
type base64Reader struct {
	src  *bufio.Reader
	done bool
	bad  bool
}

func (b *base64Reader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		c, err := b.src.ReadByte()
		if err != nil {
			return n, io.ErrUnexpectedEOF
		}
		switch c {
		case '"':
			b.done = true
			return n, nil
		case '\\':
			next, err := b.src.ReadByte()
			if err != nil {
				return n, io.ErrUnexpectedEOF
			}
			if next != '/' {
				b.bad = true
				return n, errors.New("escape in base64")
			}
			p[n] = '/'
			n++
		case '\n', '\r', ' ':
			// Line breaks are tolerated in base64.
		default:
			p[n] = c
			n++
		}
	}
	return n, nil
}

func (f *blobFilter) streamBlob() {
	idx := len(f.blobs)
	sw, err := newSpool(f.limit)
	if err != nil {
		f.err = err
		return
	}
	raw := &base64Reader{src: f.src}
	_, err = io.Copy(sw, base64.NewDecoder(base64.StdEncoding, raw))
	if err != nil {
		sw.discard()
		if errors.Is(err, errBlobTooLarge) {
			// Read past it, so that the rest of the body is still read.
			if _, err := io.Copy(io.Discard, raw); err != nil || raw.bad {
				f.err = fmt.Errorf("documents[%d].content: %w", idx, errBadBase64)
				return
			}
			if f.tooLarge == nil {
				f.tooLarge = fmt.Errorf("documents[%d].content: %w", idx, errBlobTooLarge)
			}
			f.blobs = append(f.blobs, nil)
			f.out = append(f.out, strconv.Quote("too-large")...)
			return
		}
		f.err = fmt.Errorf("documents[%d].content: %w", idx, errBadBase64)
		return
	}
	if !raw.done { // the decoder stopped at padding: read to the closing quote
		if _, err := io.Copy(io.Discard, raw); err != nil || raw.bad {
			sw.discard()
			f.err = fmt.Errorf("documents[%d].content: %w", idx, errBadBase64)
			return
		}
	}
	blob, err := sw.blob()
	if err != nil {
		sw.discard()
		f.err = err
		return
	}
	f.blobs = append(f.blobs, blob)
	f.out = append(f.out, strconv.Quote("blob:"+strconv.Itoa(idx))...)
}

var errBadBase64 = errors.New("not valid base64")

// closeAll removes every spooled file.
func (f *blobFilter) closeAll() {
	for _, b := range f.blobs {
		b.Close()
	}
}
