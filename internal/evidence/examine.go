package evidence

import (
	"context"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"

	"github.com/ciamhq/ciam/internal/evidence/face"
)

// Evidence is everything read from one document.
type Evidence struct {
	Kind  Kind   `json:"kind"`
	Facts Facts  `json:"facts"`
	Pages []Page `json:"pages"`
	// MRZ is nil when none was found (or the kind has none).
	MRZ *MRZ `json:"mrz,omitempty"`
	// VisualZoneMissing names the MRZ fields the printed page does not
	// show (see CompareVisualZone).
	VisualZoneMissing []string `json:"visualZoneMissing,omitempty"`
	// VisualZone is read from the labelled fields of the first page of a
	// document without an MRZ (driver's licences).
	VisualZone VisualZone `json:"visualZone"`
	// Address is read from bills and statements.
	Address *ProofOfAddress `json:"address,omitempty"`
	// Quality is measured on images and on rendered pages of scanned
	// PDFs; nil for a PDF with a text layer.
	Quality *QualityReport `json:"quality,omitempty"`
	// Signals gathers the file's and the MRZ's findings.
	Signals  []Signal      `json:"signals,omitempty"`
	Duration time.Duration `json:"duration"`
	// Faces is, on a selfie, the comparison of its face with the identity
	// document's photo: the KYC pipeline's evidence stage adds it.
	Faces *FaceEvidence `json:"faces,omitempty"`
}

// FaceEvidence is a selfie's face comparison, with the identity document
// it was compared with, or why none was made.
type FaceEvidence struct {
	With        string           `json:"with,omitempty"` // the identity document's id
	Comparison  *face.Comparison `json:"comparison,omitempty"`
	Unavailable string           `json:"unavailable,omitempty"`
}

// ExamineOptions are what Examine needs besides the bytes.
type ExamineOptions struct {
	// Thresholds default to DefaultThresholds when zero.
	Thresholds Thresholds
	// MonthFirst reads numeric dates in US order (the registered
	// address's country is the usual hint).
	MonthFirst bool
}

// mrzBandTop is where the MRZ band starts, as a share of the image's
// height: the MRZ is the bottom third of a passport page and the bottom
// half of an ID card's back.
const mrzBandTop = 0.5

// Examine judges data, reads it and measures it as a document of the given
// kind. A refused file gives an *Error; a missing tool an error wrapping
// ErrToolMissing. Quality is measured, not enforced: the caller decides
// what a failed figure means (Evidence.Quality.Failed).
func (r *Reader) Examine(ctx context.Context, data []byte, kind Kind, o ExamineOptions) (Evidence, error) {
	start := time.Now()
	if o.Thresholds == (Thresholds{}) {
		o.Thresholds = DefaultThresholds()
	}
	e := Evidence{Kind: kind}
	f, err := Judge(ctx, data)
	if err != nil {
		return e, err
	}
	e.Facts = f
	e.Signals = append(e.Signals, f.Signals...)
	var img image.Image
	var band []Line
	if f.Image != nil {
		img = f.Image
		var bandErr error
		var wg sync.WaitGroup
		if kind.hasMRZ() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				band, bandErr = r.ReadMRZBand(ctx, img, mrzBandTop)
			}()
		}
		page, err := r.ReadImage(ctx, img)
		wg.Wait()
		if err != nil {
			return e, err
		}
		if bandErr != nil {
			return e, bandErr
		}
		e.Pages = []Page{page}
	} else {
		e.Pages, err = r.Read(ctx, data, f.MIME)
		if err != nil {
			return e, err
		}
		if len(e.Pages) > 0 && e.Pages[0].Image != nil {
			img = e.Pages[0].Image
			if kind.hasMRZ() {
				if band, err = r.ReadMRZBand(ctx, img, mrzBandTop); err != nil {
					return e, err
				}
			}
		}
	}
	text := ""
	if len(e.Pages) > 0 {
		text = e.Pages[0].Text
	}
	if kind.hasMRZ() {
		if m, ok := bestMRZ(band, e.Pages); ok {
			e.MRZ = &m
			if failed := m.FailedChecks(); len(failed) > 0 {
				e.Signals = append(e.Signals, Signal{SignalMRZCheckDigit, "check digit does not agree: " + strings.Join(failed, ", ")})
			}
			e.VisualZoneMissing = CompareVisualZone(m, text)
		}
	}
	switch kind {
	case KindProofOfAddress:
		all := make([]string, len(e.Pages))
		for i, p := range e.Pages {
			all[i] = p.Text
		}
		a := ReadProofOfAddress(strings.Join(all, "\n"), o.MonthFirst)
		e.Address = &a
	case KindSelfie, KindPassport, KindIDCard:
		// Documents with an MRZ are read from it; CompareVisualZone holds
		// the printed page against it.
	default:
		e.VisualZone = ReadVisualZone(text, o.MonthFirst)
	}
	if img != nil {
		q := Quality(img, kind, o.Thresholds)
		if kind.hasMRZ() {
			q.MRZFound = e.MRZ != nil
			q.Failed = failures(q, kind, o.Thresholds)
		}
		e.Quality = &q
	}
	e.Duration = time.Since(start)
	return e, nil
}

// bestMRZ takes the MRZ from the whitelisted band when it reads there
// (OCR of the band is the more accurate), else from the full page; the
// one with more agreeing check digits wins.
func bestMRZ(band []Line, pages []Page) (MRZ, bool) {
	var best MRZ
	found := false
	try := func(lines []Line) {
		txt := make([]string, len(lines))
		for i, l := range lines {
			txt[i] = l.Text
		}
		m, used, ok := findMRZ(txt)
		if !ok || (found && passed(m) <= passed(best)) {
			return
		}
		m.Box = image.Rectangle{}
		for _, i := range used {
			if m.Box.Empty() {
				m.Box = lines[i].Box
			} else {
				m.Box = m.Box.Union(lines[i].Box)
			}
		}
		best, found = m, true
	}
	try(band)
	if !found || !best.Valid {
		for _, p := range pages {
			try(p.Lines)
		}
	}
	return best, found
}

// String is a one-line summary for logs.
func (e Evidence) String() string {
	mrz := "no MRZ"
	if e.MRZ != nil {
		mrz = fmt.Sprintf("%s valid=%v", e.MRZ.Format, e.MRZ.Valid)
	}
	return fmt.Sprintf("%s %s %d page(s), %s, %s", e.Kind, e.Facts.MIME, len(e.Pages), mrz, e.Duration.Round(time.Millisecond))
}
