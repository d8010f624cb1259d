package evidence

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"regexp"
	"strings"
)

// The MIME types Judge recognises.
const (
	MIMEJPEG = "image/jpeg"
	MIMEPNG  = "image/png"
	MIMEPDF  = "application/pdf"
)

// The pixel budget is checked from the header before any pixel is
// decoded. 50 megapixels covers every phone camera's default mode (a
// 12-48 MP photo) with room, and bounds a decode to about 200 MB; a
// decompression bomb claims far more (30000×30000 is 900 MP).
const (
	MaxPixels = 50_000_000
	MaxSide   = 16_384
)

// maxJPEGPadding is how many bytes of 0x00/0xFF padding may follow a JPEG's
// end marker: some cameras and encoders pad the file to a block size, and
// such bytes cannot carry a payload. Anything else after the end is refused.
const maxJPEGPadding = 2048

// Facts is what Judge learns from a file's bytes.
type Facts struct {
	// MIME is the type the bytes are, whatever the caller declared.
	MIME string `json:"mime"`
	// Width and Height are an image's pixels; for a PDF, its first page in
	// points.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Pages is 1 for an image.
	Pages int `json:"pages"`
	// Software is what the metadata says made the file (EXIF Software, XMP
	// CreatorTool, PNG Software; PDF Producer and Creator).
	Software []string `json:"software,omitempty"`
	Signals  []Signal `json:"signals,omitempty"`
	// Image is the decoded image (nil for a PDF), so that nothing decodes
	// it twice.
	Image image.Image `json:"-"`
}

// Judge says what data is by its bytes alone and refuses, with an *Error,
// anything but a complete, safe JPEG, PNG or PDF. Images are checked
// against the pixel budget before decoding, then decoded whole. PDFs are
// inspected with poppler and by scanning their objects, compressed ones
// included; a missing poppler gives an error wrapping ErrToolMissing.
func Judge(ctx context.Context, data []byte) (Facts, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return judgeJPEG(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return judgePNG(data)
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return judgePDF(ctx, data)
	}
	return Facts{}, refuse(CodeInvalidFormat, ReasonUnknownFormat, "the file is not a JPEG, PNG or PDF")
}

// checkBudget refuses an image whose header claims too many pixels.
func checkBudget(cfg image.Config) error {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return refuse(CodeInvalidFormat, ReasonUndecodable, "the image claims no pixels")
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return refuse(CodeInvalidFormat, ReasonPixelBudget,
			"the image claims %d×%d pixels, over the budget of %d megapixels", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	return nil
}

func judgeJPEG(data []byte) (Facts, error) {
	f := Facts{MIME: MIMEJPEG, Pages: 1}
	end, segs, err := jpegEnd(data)
	if err != nil {
		return f, err
	}
	if rest := data[end:]; len(rest) > 0 {
		if len(rest) > maxJPEGPadding || !onlyPadding(rest) {
			return f, refuse(CodeInvalidFormat, ReasonTrailingData, "%d bytes follow the image's end marker", len(rest))
		}
		f.Signals = append(f.Signals, Signal{SignalTrailingPadding, fmt.Sprintf("%d padding bytes after the end marker", len(rest))})
	}
	for _, s := range segs {
		if hasMarkup(s.data) {
			return f, refuse(CodeInvalidFormat, ReasonMarkup, "the image's metadata holds HTML or script")
		}
		switch {
		case s.marker == 0xE1 && bytes.HasPrefix(s.data, []byte("Exif\x00\x00")):
			f.Software = append(f.Software, exifSoftware(s.data[6:])...)
		case s.marker == 0xE1 && bytes.HasPrefix(s.data, []byte("http://ns.adobe.com/xap/1.0/")):
			f.Software = append(f.Software, xmpCreatorTool(s.data)...)
		}
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return f, refuse(CodeInvalidFormat, ReasonUndecodable, "the JPEG header cannot be read: %v", err)
	}
	if err := checkBudget(cfg); err != nil {
		return f, err
	}
	img, err := jpeg.Decode(bytes.NewReader(data[:end]))
	if err != nil {
		return f, refuse(CodeInvalidFormat, ReasonTruncated, "the JPEG does not decode whole: %v", err)
	}
	f.Width, f.Height, f.Image = cfg.Width, cfg.Height, img
	f.Signals = append(f.Signals, editorSignals(f.Software)...)
	return f, nil
}

type segment struct {
	marker byte
	data   []byte
}

// jpegEnd walks a JPEG's segments and entropy-coded data to its end-of-image
// marker and returns the offset just after it, with the metadata segments
// (APPn, COM) met on the way. Embedded thumbnails live inside APP1 and are
// skipped by its length, so their own end markers do not count.
func jpegEnd(b []byte) (int, []segment, error) {
	truncated := refuse(CodeInvalidFormat, ReasonTruncated, "the JPEG ends before its end marker")
	var segs []segment
	i := 2
	for {
		if i >= len(b) {
			return 0, nil, truncated
		}
		if b[i] != 0xFF {
			return 0, nil, refuse(CodeInvalidFormat, ReasonUndecodable, "the JPEG has no marker at byte %d", i)
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(b) {
			return 0, nil, truncated
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9:
			return i, segs, nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD8):
			continue
		}
		if i+2 > len(b) {
			return 0, nil, truncated
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return 0, nil, truncated
		}
		if (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
			segs = append(segs, segment{m, b[i+2 : i+n]})
		}
		i += n
		if m != 0xDA {
			continue
		}
		// Entropy-coded data runs to the next marker that is neither a
		// stuffed 0xFF00 nor a restart marker.
		for {
			if i+1 >= len(b) {
				return 0, nil, truncated
			}
			if b[i] == 0xFF && b[i+1] != 0x00 && !(b[i+1] >= 0xD0 && b[i+1] <= 0xD7) && b[i+1] != 0xFF {
				break
			}
			i++
		}
	}
}

func onlyPadding(b []byte) bool {
	for _, c := range b {
		if c != 0x00 && c != 0xFF {
			return false
		}
	}
	return true
}

var markup = regexp.MustCompile(`(?i)<\s*(script|html|body|iframe|object|embed|\?php)|javascript:`)

// hasMarkup reports HTML or script in metadata: the sign of a polyglot
// meant to be served as a web page.
func hasMarkup(b []byte) bool { return markup.Match(b) }

// exifSoftware returns the Software (0x0131) and ProcessingSoftware
// (0x000B) strings of a TIFF structure's first IFD.
func exifSoftware(t []byte) []string {
	if len(t) < 8 {
		return nil
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return nil
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return nil
	}
	n := int(bo.Uint16(t[off:]))
	var out []string
	for k := 0; k < n && k < 512; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			break
		}
		tag, typ, count := bo.Uint16(t[e:]), bo.Uint16(t[e+2:]), int(bo.Uint32(t[e+4:]))
		if (tag != 0x0131 && tag != 0x000B) || typ != 2 || count <= 0 || count > 4096 {
			continue
		}
		var v []byte
		if count <= 4 {
			v = t[e+8 : e+8+count]
		} else {
			p := int(bo.Uint32(t[e+8:]))
			if p < 0 || p+count > len(t) {
				continue
			}
			v = t[p : p+count]
		}
		if s := strings.TrimSpace(strings.TrimRight(string(v), "\x00")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var creatorTool = regexp.MustCompile(`CreatorTool(?:="|>)([^"<]{1,200})`)

func xmpCreatorTool(b []byte) []string {
	var out []string
	for _, m := range creatorTool.FindAllSubmatch(b, 4) {
		out = append(out, strings.TrimSpace(string(m[1])))
	}
	return out
}

// editors are names of software that edits images or PDFs; finding one in
// metadata is a signal for the reviewer, not a refusal (people crop and
// straighten scans honestly too).
var editors = []string{
	"photoshop", "gimp", "paint.net", "affinity photo", "affinity designer", "pixelmator", "krita",
	"corel", "paintshop", "photopea", "canva", "picsart", "snapseed", "facetune", "lightroom",
	"inkscape", "illustrator", "pdfescape", "sejda", "pdf-xchange editor", "foxit phantompdf",
	"foxit pdf editor", "nitro pro", "ilovepdf", "smallpdf", "pdffiller", "libreoffice draw",
}

func editorSignals(software []string) []Signal {
	var out []Signal
	for _, s := range software {
		l := strings.ToLower(s)
		for _, e := range editors {
			if strings.Contains(l, e) {
				out = append(out, Signal{SignalEditedWithSoftware, s})
				break
			}
		}
	}
	return out
}

func judgePNG(data []byte) (Facts, error) {
	f := Facts{MIME: MIMEPNG, Pages: 1}
	truncated := refuse(CodeInvalidFormat, ReasonTruncated, "the PNG ends before its IEND chunk")
	i := 8
	end := -1
	for end < 0 {
		if i+12 > len(data) {
			return f, truncated
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || n > len(data)-i-12 {
			return f, truncated
		}
		body := data[i+8 : i+8+n]
		switch typ {
		case "IEND":
			end = i + 12 + n
		case "tEXt", "iTXt", "zTXt":
			key, text := pngText(typ, body)
			if hasMarkup([]byte(text)) || hasMarkup([]byte(key)) {
				return f, refuse(CodeInvalidFormat, ReasonMarkup, "the image's metadata holds HTML or script")
			}
			if strings.EqualFold(key, "Software") && text != "" {
				f.Software = append(f.Software, strings.TrimSpace(text))
			}
			if strings.EqualFold(key, "XML:com.adobe.xmp") {
				f.Software = append(f.Software, xmpCreatorTool([]byte(text))...)
			}
		case "eXIf":
			f.Software = append(f.Software, exifSoftware(body)...)
		}
		i += 12 + n
	}
	if rest := len(data) - end; rest > 0 {
		return f, refuse(CodeInvalidFormat, ReasonTrailingData, "%d bytes follow the image's IEND chunk", rest)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return f, refuse(CodeInvalidFormat, ReasonUndecodable, "the PNG header cannot be read: %v", err)
	}
	if err := checkBudget(cfg); err != nil {
		return f, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return f, refuse(CodeInvalidFormat, ReasonTruncated, "the PNG does not decode whole: %v", err)
	}
	f.Width, f.Height, f.Image = cfg.Width, cfg.Height, img
	f.Signals = append(f.Signals, editorSignals(f.Software)...)
	return f, nil
}

// pngText returns a text chunk's keyword and text, inflating zTXt and
// compressed iTXt up to 64 KB.
func pngText(typ string, b []byte) (string, string) {
	key, rest, ok := bytes.Cut(b, []byte{0})
	if !ok {
		return string(b), ""
	}
	switch typ {
	case "tEXt":
		return string(key), string(rest)
	case "zTXt":
		if len(rest) < 1 {
			return string(key), ""
		}
		return string(key), inflate(rest[1:], 64<<10)
	default: // iTXt: flag, method, language\0, translated keyword\0, text
		if len(rest) < 2 {
			return string(key), ""
		}
		compressed := rest[0] == 1
		_, rest, _ = bytes.Cut(rest[2:], []byte{0})
		_, rest, _ = bytes.Cut(rest, []byte{0})
		if compressed {
			return string(key), inflate(rest, 64<<10)
		}
		return string(key), string(rest)
	}
}

// inflate decompresses zlib data up to limit bytes; what cannot be
// inflated gives what was read so far.
func inflate(b []byte, limit int64) string {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	defer r.Close()
	out, _ := io.ReadAll(io.LimitReader(r, limit))
	return string(out)
}
