package evidence

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// ReaderOptions bounds what a Reader spends. Zero values take the
// defaults.
type ReaderOptions struct {
	// PageTimeout bounds one tesseract run (one page, or one MRZ band).
	// Default 10 s; a page takes about half a second on two cores.
	PageTimeout time.Duration
	// Concurrency is how many tesseract runs may go at once across every
	// caller of the Reader. Default: the number of CPUs.
	Concurrency int
	// MaxPDFPages is how many pages of a PDF are read. Default 3.
	MaxPDFPages int
	// Language is tesseract's language. Default "eng".
	Language string
}

// Reader reads text from images and PDFs with tesseract and poppler. It is
// safe for concurrent use; every run waits for one of Concurrency slots.
type Reader struct {
	opt       ReaderOptions
	tesseract string
	pdftotext string
	pdftoppm  string
	slots     chan struct{}
}

// NewReader finds tesseract (with the language's data) and poppler's
// pdftotext and pdftoppm. When one is missing it returns an error wrapping
// ErrToolMissing that names the Debian packages to install.
func NewReader(o ReaderOptions) (*Reader, error) {
	if o.PageTimeout <= 0 {
		o.PageTimeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.NumCPU()
	}
	if o.MaxPDFPages <= 0 {
		o.MaxPDFPages = 3
	}
	if o.Language == "" {
		o.Language = "eng"
	}
	r := &Reader{opt: o, slots: make(chan struct{}, o.Concurrency)}
	var missing []string
	for _, t := range []struct {
		name, pkg string
		dst       *string
	}{
		{"tesseract", "tesseract-ocr", &r.tesseract},
		{"pdftotext", "poppler-utils", &r.pdftotext},
		{"pdftoppm", "poppler-utils", &r.pdftoppm},
		{"pdfinfo", "poppler-utils", new(string)},
		{"pdfdetach", "poppler-utils", new(string)},
	} {
		p, err := exec.LookPath(t.name)
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s (package %s)", t.name, t.pkg))
			continue
		}
		*t.dst = p
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrToolMissing, strings.Join(missing, ", "))
	}
	out, err := runTool(context.Background(), o.PageTimeout, r.tesseract, "--list-langs")
	if err != nil {
		return nil, fmt.Errorf("%w: tesseract does not run: %v", ErrToolMissing, err)
	}
	if !strings.Contains("\n"+string(out), "\n"+o.Language+"\n") {
		return nil, fmt.Errorf("%w: tesseract has no %q language data (package tesseract-ocr-%s)", ErrToolMissing, o.Language, o.Language)
	}
	return r, nil
}

// Page is the text of one page and how it was read.
type Page struct {
	Number int `json:"number"`
	// Source is "text-layer" for a PDF's own text, "ocr" otherwise.
	Source string `json:"source"`
	Text   string `json:"text"`
	// Lines are the text's lines with their boxes on the page image (boxes
	// are zero for a text layer).
	Lines []Line `json:"lines,omitempty"`
	// Confidence is tesseract's mean word confidence, 0-100 (100 for a
	// text layer).
	Confidence float64       `json:"confidence"`
	Duration   time.Duration `json:"duration"`
	// Image is the page as OCR saw it (nil for a text layer), for the
	// quality figures and the MRZ search.
	Image image.Image `json:"-"`
}

// Line is one line OCR read and where it is.
type Line struct {
	Text string          `json:"text"`
	Box  image.Rectangle `json:"box"`
}

// Source values of a Page.
const (
	SourceTextLayer = "text-layer"
	SourceOCR       = "ocr"
)

// minTextLayer is how many letters and digits a PDF's text layer needs to
// count as text; below it (a scan with a stray caption) the pages are
// rendered and read.
const minTextLayer = 40

// maxOCRSide is the longest side an image is read at. Beyond it tesseract
// only gets slower: a document's text is still 20+ pixels high.
const maxOCRSide = 2400

// Read reads a JPEG, PNG or PDF's text, page by page. mime is what Judge
// found, not what the caller declared.
func (r *Reader) Read(ctx context.Context, data []byte, mime string) ([]Page, error) {
	switch mime {
	case MIMEJPEG, MIMEPNG:
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("evidence: read: %w", err)
		}
		p, err := r.ReadImage(ctx, img)
		if err != nil {
			return nil, err
		}
		return []Page{p}, nil
	case MIMEPDF:
		return r.readPDF(ctx, data)
	}
	return nil, fmt.Errorf("evidence: read: unsupported type %q", mime)
}

// ReadImage OCRs one image (a full page, page segmentation automatic).
func (r *Reader) ReadImage(ctx context.Context, img image.Image) (Page, error) {
	start := time.Now()
	g, scale := grayForOCR(img)
	lines, conf, err := r.tesseractTSV(ctx, g, "3", "")
	if err != nil {
		return Page{}, err
	}
	scaleLines(lines, scale)
	return Page{Number: 1, Source: SourceOCR, Text: joinLines(lines), Lines: lines, Confidence: conf,
		Duration: time.Since(start), Image: img}, nil
}

// mrzWhitelist is every character an MRZ may hold.
const mrzWhitelist = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

// ReadMRZBand OCRs the lower part of a document image (from fraction top
// of its height down) as one block of MRZ characters only, the way the
// MRZ is best read, and returns the lines with boxes on img.
func (r *Reader) ReadMRZBand(ctx context.Context, img image.Image, top float64) ([]Line, error) {
	b := img.Bounds()
	y0 := b.Min.Y + int(float64(b.Dy())*top)
	band := image.Rect(b.Min.X, y0, b.Max.X, b.Max.Y)
	g, scale := grayForOCR(subImage(img, band))
	lines, _, err := r.tesseractTSV(ctx, g, "6", mrzWhitelist)
	if err != nil {
		return nil, err
	}
	scaleLines(lines, scale)
	for i := range lines {
		lines[i].Box = lines[i].Box.Add(image.Pt(b.Min.X, y0))
	}
	return lines, nil
}

func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			out.Set(x, y, img.At(r.Min.X+x, r.Min.Y+y))
		}
	}
	return out
}

func scaleLines(lines []Line, scale float64) {
	if scale == 1 {
		return
	}
	for i := range lines {
		b := lines[i].Box
		lines[i].Box = image.Rect(int(float64(b.Min.X)/scale), int(float64(b.Min.Y)/scale),
			int(float64(b.Max.X)/scale), int(float64(b.Max.Y)/scale))
	}
}

func joinLines(lines []Line) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Text)
	}
	return b.String()
}

// grayForOCR turns img into grayscale, at most maxOCRSide on its longer
// side; scale is the factor applied.
func grayForOCR(img image.Image) (*image.Gray, float64) {
	b := img.Bounds()
	scale := 1.0
	if long := max(b.Dx(), b.Dy()); long > maxOCRSide {
		scale = float64(maxOCRSide) / float64(long)
	}
	return grayScaled(img, scale), scale
}

// tesseractTSV runs tesseract on g with a page segmentation mode and an
// optional character whitelist, waiting for a free slot, and returns its
// lines with their boxes and the mean word confidence.
func (r *Reader) tesseractTSV(ctx context.Context, g *image.Gray, psm, whitelist string) ([]Line, float64, error) {
	var in bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&in, g); err != nil {
		return nil, 0, fmt.Errorf("evidence: ocr: %w", err)
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() { <-r.slots }()
	args := []string{"stdin", "stdout", "-l", r.opt.Language, "--psm", psm, "--dpi", "300"}
	if whitelist != "" {
		args = append(args, "-c", "tessedit_char_whitelist="+whitelist)
	}
	args = append(args, "tsv")
	out, err := runToolInput(ctx, r.opt.PageTimeout, in.Bytes(), r.tesseract, args...)
	if err != nil {
		return nil, 0, err
	}
	lines, conf := parseTSV(out)
	return lines, conf, nil
}

func runToolInput(ctx context.Context, timeout time.Duration, stdin []byte, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("evidence: %s: timed out after %s: %w", filepath.Base(name), timeout, ctx.Err())
		}
		return nil, fmt.Errorf("evidence: %s: %w: %s", filepath.Base(name), err, firstLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// parseTSV groups tesseract's TSV words into lines (block, paragraph,
// line) with their boxes, in reading order.
func parseTSV(out []byte) ([]Line, float64) {
	type key struct{ block, par, line int }
	type acc struct {
		words []string
		box   image.Rectangle
		order int
	}
	lines := map[key]*acc{}
	var confSum float64
	var confN int
	for i, row := range strings.Split(string(out), "\n") {
		f := strings.Split(row, "\t")
		if i == 0 || len(f) < 12 || f[0] != "5" {
			continue
		}
		text := strings.TrimSpace(f[11])
		if text == "" {
			continue
		}
		n := make([]int, 10)
		for j := range n {
			n[j], _ = strconv.Atoi(f[j])
		}
		if c, err := strconv.ParseFloat(f[10], 64); err == nil && c >= 0 {
			confSum += c
			confN++
		}
		k := key{n[2], n[3], n[4]}
		box := image.Rect(n[6], n[7], n[6]+n[8], n[7]+n[9])
		a := lines[k]
		if a == nil {
			a = &acc{box: box, order: i}
			lines[k] = a
		}
		a.words = append(a.words, text)
		a.box = a.box.Union(box)
	}
	all := make([]*acc, 0, len(lines))
	for _, a := range lines {
		all = append(all, a)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].order < all[j].order })
	out2 := make([]Line, len(all))
	for i, a := range all {
		out2[i] = Line{Text: strings.Join(a.words, " "), Box: a.box}
	}
	conf := 0.0
	if confN > 0 {
		conf = confSum / float64(confN)
	}
	return out2, conf
}

func (r *Reader) readPDF(ctx context.Context, data []byte) ([]Page, error) {
	dir, err := os.MkdirTemp("", "evidence-read-")
	if err != nil {
		return nil, fmt.Errorf("evidence: read pdf: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, fmt.Errorf("evidence: read pdf: %w", err)
	}
	last := strconv.Itoa(r.opt.MaxPDFPages)
	start := time.Now()
	out, err := runTool(ctx, r.opt.PageTimeout, r.pdftotext, "-layout", "-enc", "UTF-8", "-l", last, path, "-")
	if err != nil {
		return nil, err
	}
	if countAlnum(string(out)) >= minTextLayer {
		texts := strings.Split(strings.TrimRight(string(out), "\f\n"), "\f")
		d := time.Since(start) / time.Duration(len(texts))
		pages := make([]Page, len(texts))
		for i, t := range texts {
			pages[i] = Page{Number: i + 1, Source: SourceTextLayer, Text: t, Confidence: 100, Duration: d}
		}
		return pages, nil
	}
	// No text layer: render the first pages and read them.
	if _, err := runTool(ctx, r.opt.PageTimeout*time.Duration(r.opt.MaxPDFPages), r.pdftoppm,
		"-r", "200", "-gray", "-png", "-f", "1", "-l", last, path, filepath.Join(dir, "page")); err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	sort.Slice(files, func(i, j int) bool { return pageNumber(files[i]) < pageNumber(files[j]) })
	pages := make([]Page, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := os.ReadFile(f)
			if err != nil {
				errs[i] = err
				return
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				errs[i] = fmt.Errorf("evidence: rendered page: %w", err)
				return
			}
			pages[i], errs[i] = r.ReadImage(ctx, img)
			pages[i].Number = i + 1
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return pages, nil
}

func pageNumber(path string) int {
	base := strings.TrimSuffix(filepath.Base(path), ".png")
	n, _ := strconv.Atoi(base[strings.LastIndex(base, "-")+1:])
	return n
}

func countAlnum(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// grayScaled converts img to grayscale (Rec. 601 luma) scaled by s ≤ 1,
// averaging the source pixels that fall in each output pixel.
func grayScaled(img image.Image, s float64) *image.Gray {
	b := img.Bounds()
	at := lumaFunc(img)
	w, h := max(1, int(float64(b.Dx())*s)), max(1, int(float64(b.Dy())*s))
	out := image.NewGray(image.Rect(0, 0, w, h))
	if s == 1 {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out.Pix[y*out.Stride+x] = at(b.Min.X+x, b.Min.Y+y)
			}
		}
		return out
	}
	for y := 0; y < h; y++ {
		sy0, sy1 := b.Min.Y+int(float64(y)/s), b.Min.Y+int(float64(y+1)/s)
		for x := 0; x < w; x++ {
			sx0, sx1 := b.Min.X+int(float64(x)/s), b.Min.X+int(float64(x+1)/s)
			sum, n := 0, 0
			for yy := sy0; yy < max(sy1, sy0+1) && yy < b.Max.Y; yy++ {
				for xx := sx0; xx < max(sx1, sx0+1) && xx < b.Max.X; xx++ {
					sum += int(at(xx, yy))
					n++
				}
			}
			if n > 0 {
				out.Pix[y*out.Stride+x] = uint8(sum / n)
			}
		}
	}
	return out
}

// lumaFunc reads a pixel's luma, straight from the pixel buffer for the
// types decoders return.
func lumaFunc(img image.Image) func(x, y int) uint8 {
	switch v := img.(type) {
	case *image.Gray:
		return func(x, y int) uint8 { return v.Pix[v.PixOffset(x, y)] }
	case *image.YCbCr:
		return func(x, y int) uint8 { return v.Y[v.YOffset(x, y)] }
	case *image.RGBA:
		return func(x, y int) uint8 {
			i := v.PixOffset(x, y)
			return uint8((19595*uint32(v.Pix[i]) + 38470*uint32(v.Pix[i+1]) + 7471*uint32(v.Pix[i+2]) + 1<<15) >> 16)
		}
	case *image.NRGBA:
		return func(x, y int) uint8 {
			i := v.PixOffset(x, y)
			return uint8((19595*uint32(v.Pix[i]) + 38470*uint32(v.Pix[i+1]) + 7471*uint32(v.Pix[i+2]) + 1<<15) >> 16)
		}
	}
	return func(x, y int) uint8 { return luma(img.At(x, y)) }
}

func luma(c color.Color) uint8 {
	switch v := c.(type) {
	case color.Gray:
		return v.Y
	case color.YCbCr:
		return v.Y
	}
	r, g, b, _ := c.RGBA()
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
}
