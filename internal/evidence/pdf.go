package evidence

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pdfToolTimeout bounds each poppler command run to inspect a PDF.
const pdfToolTimeout = 10 * time.Second

// Limits of the scan of a PDF's compressed streams: enough for any bill or
// statement, small enough that a stream bomb costs nothing.
const (
	maxStreamInflate = 4 << 20
	maxTotalInflate  = 32 << 20
)

func judgePDF(ctx context.Context, data []byte) (Facts, error) {
	f := Facts{MIME: MIMEPDF}
	if err := scanPDF(data); err != nil {
		return f, err
	}
	if _, err := exec.LookPath("pdfinfo"); err != nil {
		return f, fmt.Errorf("%w: pdfinfo (poppler-utils) is not installed", ErrToolMissing)
	}
	dir, err := os.MkdirTemp("", "evidence-pdf-")
	if err != nil {
		return f, fmt.Errorf("evidence: judge pdf: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return f, fmt.Errorf("evidence: judge pdf: %w", err)
	}
	out, err := runTool(ctx, pdfToolTimeout, "pdfinfo", path)
	if err != nil {
		if ctx.Err() != nil {
			return f, ctx.Err()
		}
		return f, refuse(CodeInvalidFormat, ReasonPDFStructure, "the PDF's structure cannot be read")
	}
	info := pdfInfo(out)
	f.Pages, _ = strconv.Atoi(info["Pages"])
	if f.Pages < 1 {
		return f, refuse(CodeInvalidFormat, ReasonPDFStructure, "the PDF has no pages")
	}
	if strings.EqualFold(info["JavaScript"], "yes") {
		return f, refuse(CodeInvalidFormat, ReasonPDFJavaScript, "the PDF contains JavaScript")
	}
	if m := pageSize.FindStringSubmatch(info["Page size"]); m != nil {
		w, _ := strconv.ParseFloat(m[1], 64)
		h, _ := strconv.ParseFloat(m[2], 64)
		f.Width, f.Height = int(w+0.5), int(h+0.5)
	}
	if _, err := exec.LookPath("pdfdetach"); err != nil {
		return f, fmt.Errorf("%w: pdfdetach (poppler-utils) is not installed", ErrToolMissing)
	}
	list, err := runTool(ctx, pdfToolTimeout, "pdfdetach", "-list", path)
	if err != nil {
		if ctx.Err() != nil {
			return f, ctx.Err()
		}
		return f, refuse(CodeInvalidFormat, ReasonPDFStructure, "the PDF's attachments cannot be listed")
	}
	if n := embeddedCount.FindStringSubmatch(string(list)); n != nil && n[1] != "0" {
		return f, refuse(CodeInvalidFormat, ReasonPDFEmbeddedFile, "the PDF carries %s embedded files", n[1])
	}
	for _, k := range []string{"Producer", "Creator"} {
		if v := info[k]; v != "" {
			f.Software = append(f.Software, v)
		}
	}
	f.Signals = append(f.Signals, editorSignals(f.Software)...)
	if strings.EqualFold(info["Encrypted"], "yes") || strings.HasPrefix(strings.ToLower(info["Encrypted"]), "yes") {
		f.Signals = append(f.Signals, Signal{SignalPDFEncrypted, "the PDF is encrypted"})
	}
	if n := bytes.Count(data, []byte("%%EOF")); n > 1 {
		f.Signals = append(f.Signals, Signal{SignalPDFModified, fmt.Sprintf("the PDF was saved %d times (incremental updates)", n)})
	} else if c, m := info["CreationDate"], info["ModDate"]; c != "" && m != "" && c != m {
		f.Signals = append(f.Signals, Signal{SignalPDFModified, fmt.Sprintf("created %s, modified %s", c, m)})
	}
	return f, nil
}

var (
	pageSize      = regexp.MustCompile(`^([0-9.]+) x ([0-9.]+) pts`)
	embeddedCount = regexp.MustCompile(`(?m)^(\d+) embedded files`)
)

// pdfInfo reads pdfinfo's "Key: value" lines.
func pdfInfo(out []byte) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// runTool runs a command with its own timeout and returns its standard
// output. OMP_THREAD_LIMIT=1 stops tesseract's OpenMP threads from
// fighting each other when several runs share the cores; one thread per
// run is several times faster on a small machine.
func runTool(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("evidence: %s: timed out after %s: %w", name, timeout, ctx.Err())
		}
		return nil, fmt.Errorf("evidence: %s: %w: %s", name, err, firstLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// dangerous are the PDF names that make a document act rather than show:
// scripts, programs launched, files carried (a file specification's /EF
// stream, an /EmbeddedFile stream, a file attachment annotation), rich
// media. An empty /EmbeddedFiles name tree, which some generators always
// write, carries nothing and is not refused.
var dangerous = map[string]string{
	"JavaScript":     ReasonPDFJavaScript,
	"JS":             ReasonPDFJavaScript,
	"Launch":         ReasonPDFLaunch,
	"EmbeddedFile":   ReasonPDFEmbeddedFile,
	"EF":             ReasonPDFEmbeddedFile,
	"FileAttachment": ReasonPDFEmbeddedFile,
	"RichMedia":      ReasonPDFRichMedia,
}

var pdfName = regexp.MustCompile(`/[^\x00\t\n\f\r /\[\]()<>{}%]+`)

// scanPDF looks for dangerous names in the PDF's objects: in the bytes
// outside streams, and inside every stream that inflates and is not an
// image (object streams carry whole objects compressed). Names are read
// with their #xx escapes decoded, so /J#61vaScript is /JavaScript. Image
// data is never scanned: its random bytes could spell a name by chance.
func scanPDF(data []byte) error {
	if i := bytes.LastIndex(data, []byte("%%EOF")); i < 0 {
		return refuse(CodeInvalidFormat, ReasonPDFStructure, "the PDF has no end-of-file marker")
	} else if rest := bytes.TrimSpace(data[i+5:]); len(rest) > 0 {
		return refuse(CodeInvalidFormat, ReasonTrailingData, "%d bytes follow the PDF's end-of-file marker", len(rest))
	}
	total := 0
	pos := 0
	for {
		s := bytes.Index(data[pos:], []byte("stream"))
		if s < 0 {
			break
		}
		s += pos
		// "endstream" also contains "stream"; only "stream" followed by an
		// end of line opens one.
		body := s + len("stream")
		if body < len(data) && data[body] == '\r' {
			body++
		}
		if body >= len(data) || data[body] != '\n' || (s >= 3 && string(data[s-3:s]) == "end") {
			if err := scanNames(data[pos : s+len("stream")]); err != nil {
				return err
			}
			pos = s + len("stream")
			continue
		}
		body++
		dict := data[pos:s]
		if err := scanNames(dict); err != nil {
			return err
		}
		e := bytes.Index(data[body:], []byte("endstream"))
		if e < 0 {
			return refuse(CodeInvalidFormat, ReasonPDFStructure, "a stream of the PDF does not end")
		}
		e += body
		if d := lastDict(dict); !isImage(d) && total < maxTotalInflate && bytes.Contains(d, []byte("Filter")) {
			text := inflate(data[body:e], maxStreamInflate)
			total += len(text)
			if err := scanNames([]byte(text)); err != nil {
				return err
			}
		} else if !isImage(d) && !bytes.Contains(d, []byte("Filter")) {
			if err := scanNames(data[body:e]); err != nil {
				return err
			}
		}
		pos = e + len("endstream")
	}
	return scanNames(data[pos:])
}

// lastDict is the dictionary of the object a stream belongs to: the text
// after the last "obj" before it.
func lastDict(b []byte) []byte {
	if i := bytes.LastIndex(b, []byte(" obj")); i >= 0 {
		return b[i:]
	}
	return b
}

func isImage(dict []byte) bool {
	for _, n := range pdfName.FindAll(dict, -1) {
		if decodeName(n[1:]) == "Image" {
			return true
		}
	}
	return false
}

func scanNames(b []byte) error {
	for _, n := range pdfName.FindAll(b, -1) {
		name := decodeName(n[1:])
		if reason, bad := dangerous[name]; bad {
			return refuse(CodeInvalidFormat, reason, "the PDF contains /%s", name)
		}
	}
	return nil
}

// decodeName decodes a PDF name's #xx escapes.
func decodeName(b []byte) string {
	if !bytes.Contains(b, []byte("#")) {
		return string(b)
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) {
			if v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}
