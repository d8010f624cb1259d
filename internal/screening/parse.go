package screening

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is a list file format the loader reads.
type Format string

// The formats, as `ciam screening load --source` names them.
const (
	FormatOFAC    Format = "ofac"    // OFAC's legacy CSV files in one folder
	FormatUN      Format = "un"      // the UN Security Council consolidated XML
	FormatSenzing Format = "senzing" // Senzing entity JSONL, e.g. a PEP list
)

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatOFAC, FormatUN, FormatSenzing:
		return f, nil
	}
	return "", fmt.Errorf("screening: unknown list format %q (want ofac, un or senzing)", s)
}

// Source describes a list: its id (OFAC_SDN, UN_CONSOLIDATED, or a Senzing
// file's DATA_SOURCE), a readable name, whether it is a sanctions or a PEP
// list, and its file format.
type Source struct {
	ID     string
	Name   string
	Kind   string // SANCTIONS or PEP
	Format Format
}

// The kinds of list.
const (
	KindSanctions = "SANCTIONS"
	KindPEP       = "PEP"
)

// Parsed is a list read from its files, not yet loaded.
type Parsed struct {
	Source  Source
	Entries []Entry
	// Checksum is the SHA-256 of the files read, in hex.
	Checksum string
	// FileName names what was read, for the version's record.
	FileName string
	// PublishedAt is when the publisher published the list, where the
	// file says so (the UN list's dateGenerated); nil otherwise.
	PublishedAt *time.Time
}

// FormatError says where a list file is malformed. The load that met it is
// refused as a whole.
type FormatError struct {
	File string
	Line int
	Msg  string
}

// Error names the file and line, then the problem.
func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Parse reads the list at path in format: for OFAC a folder holding
// sdn.csv, alt.csv, add.csv and optionally sdn_comments.csv; otherwise one
// file. When it fails, the Parsed it returns has no entries but still names
// the source if that was known, so that the refusal can be recorded.
func Parse(format Format, path string) (Parsed, error) {
	var p Parsed
	var err error
	switch format {
	case FormatOFAC:
		p, err = parseOFAC(path)
	case FormatUN:
		p, err = parseUN(path)
	case FormatSenzing:
		p, err = parseSenzing(path)
	default:
		return Parsed{}, fmt.Errorf("screening: unknown list format %q", format)
	}
	if err != nil {
		return Parsed{Source: p.Source, FileName: p.FileName}, err
	}
	if len(p.Entries) == 0 {
		return Parsed{Source: p.Source, FileName: p.FileName}, &FormatError{File: p.FileName, Msg: "no entries"}
	}
	seen := make(map[string]int, len(p.Entries))
	for i := range p.Entries {
		e := &p.Entries[i]
		e.tidy()
		if j, dup := seen[e.ID]; dup {
			return Parsed{Source: p.Source, FileName: p.FileName}, &FormatError{File: p.FileName, Msg: fmt.Sprintf("entry id %q appears twice (entries %d and %d)", e.ID, j+1, i+1)}
		}
		seen[e.ID] = i
	}
	return p, nil
}

// readFile reads a list file whole, adding it to the checksum. Files that
// are not UTF-8 are taken as Latin-1, which is what the older OFAC files
// are.
func readFile(path string, sum hash.Hash) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("screening: read list: %w", err)
	}
	sum.Write([]byte(filepath.Base(path)))
	sum.Write([]byte{0})
	sum.Write(b)
	if !utf8.Valid(b) {
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c)
		}
		b = []byte(string(runes))
	}
	return b, nil
}

func newChecksum() hash.Hash { return sha256.New() }

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

var sourceIDClean = regexp.MustCompile(`[^A-Z0-9_]+`)

// sourceID makes a source id from a free text such as a Senzing
// DATA_SOURCE.
func sourceID(s string) string {
	id := strings.Trim(sourceIDClean.ReplaceAllString(strings.ToUpper(strings.TrimSpace(s)), "_"), "_")
	if len(id) > 64 {
		id = id[:64]
	}
	return id
}
