package evidence

import (
	"encoding/json"
	"image"
	"math"
	"sort"
)

// Thresholds are the limits of the quality figures; a tenant may set its
// own. DefaultThresholds explains each value.
type Thresholds struct {
	// MinSharpness is the least variance of the Laplacian of the image's
	// grayscale at 1000 pixels on its longer side (SHARPNESS).
	MinSharpness float64 `json:"minSharpness"`
	// MaxGlare is the largest share (0-1) of saturated pixels, luma ≥ 250
	// (GLARE). Not applied to proofs of address: white paper is near
	// saturation.
	MaxGlare float64 `json:"maxGlare"`
	// MinBrightness is the least mean luma, 0-255 (DARKNESS).
	MinBrightness float64 `json:"minBrightness"`
	// MaxBrightness is the largest mean luma of an identity document or a
	// selfie (BRIGHTNESS, washed out).
	MaxBrightness float64 `json:"maxBrightness"`
	// MinSide is the least number of pixels on the shorter side of a
	// document image, MinSideSelfie of a selfie (RESOLUTION).
	MinSide       int `json:"minSide"`
	MinSideSelfie int `json:"minSideSelfie"`
	// MinSharpnessSelfie and MinBrightnessSelfie hold selfies to what the
	// face detector needs rather than to what OCR needs: a face photo has
	// far fewer edges than a printed page, and rooms are darker than scans.
	MinSharpnessSelfie  float64 `json:"minSharpnessSelfie"`
	MinBrightnessSelfie float64 `json:"minBrightnessSelfie"`
	// MinFill is the least share of the frame the document's edges span
	// (FRAMING); documents with an MRZ must also show it whole.
	MinFill float64 `json:"minFill"`
}

// DefaultThresholds are tuned on the documents evidencetest renders
// (internal/evidence/quality_test.go prints the figures):
//
//   - sharpness: the sharp passport page scores about 1900 (1400-1700
//     when small in the frame, 485 at half the light); blurred with a
//     sigma of about 1.4 px it scores 105 and its MRZ still reads, with
//     2.8 px 17 and the MRZ is lost; 60 sits between the two blurs;
//   - glare: a clean page has no saturated pixels, a flash spot over the
//     visual zone 15%; 3% allows a small highlight;
//   - darkness: the page's mean luma is about 200, at half the light 101
//     (still read), in a dim room (×0.3) 60; 80;
//   - brightness: washed out above 240, where the ink is lost;
//   - resolution: 600 px on the short side keeps the MRZ's characters
//     about 20 px high, tesseract's floor; selfies 320 px, enough for a
//     face detector;
//   - framing: the page filling the frame spans 76% of it (its margins
//     have no edges), at 70% of the frame's size 47%, at 45% of it 19%
//     (and its MRZ no longer reads); 45%.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MinSharpness:  60,
		MaxGlare:      0.03,
		MinBrightness: 80,
		MaxBrightness: 240,
		MinSide:       600,
		MinSideSelfie: 320,
		// The portraits cut from the face photos of the face models'
		// npm package score 42 and 48 and their faces are found; a
		// face blurred past recognition scores under 10.
		MinSharpnessSelfie:  15,
		MinBrightnessSelfie: 35,
		MinFill:             0.45,
	}
}

// ThresholdsFrom reads stored thresholds (JSON of a Thresholds): the
// defaults, with what was stored over them.
func ThresholdsFrom(raw []byte) Thresholds {
	t := DefaultThresholds()
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &t)
	}
	return t
}

// The names of the quality figures, as QualityReport.Failed lists them.
const (
	FigureSharpness  = "SHARPNESS"
	FigureGlare      = "GLARE"
	FigureDarkness   = "DARKNESS"
	FigureBrightness = "BRIGHTNESS"
	FigureResolution = "RESOLUTION"
	FigureFraming    = "FRAMING"
)

// QualityReport is an image's quality figures and which fail their
// thresholds.
type QualityReport struct {
	Sharpness  float64 `json:"sharpness"`
	Glare      float64 `json:"glare"`
	Brightness float64 `json:"brightness"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	// Fill is the share of the frame the document's edges span.
	Fill float64 `json:"fill"`
	// MRZFound is set by Examine for kinds that carry an MRZ.
	MRZFound bool `json:"mrzFound"`
	// Failed names the figures that fail, in a fixed order; empty when the
	// image is good enough.
	Failed []string `json:"failed,omitempty"`
	// Thresholds are the limits the figures were held to.
	Thresholds Thresholds `json:"thresholds"`
}

// OK reports whether every figure passed.
func (q QualityReport) OK() bool { return len(q.Failed) == 0 }

// qualitySide is the longer side the figures are measured at: it makes
// them independent of the camera's resolution and costs a few ms.
const qualitySide = 1000

// Quality measures img as a document of the given kind. For kinds with an
// MRZ, framing also needs the MRZ: Examine records it; a caller using
// Quality alone gets framing from the edges only.
func Quality(img image.Image, kind Kind, t Thresholds) QualityReport {
	b := img.Bounds()
	q := QualityReport{Width: b.Dx(), Height: b.Dy(), Thresholds: t}
	s := 1.0
	if long := max(b.Dx(), b.Dy()); long > qualitySide {
		s = float64(qualitySide) / float64(long)
	}
	g := grayScaled(img, s)
	q.Sharpness = laplacianVariance(g)
	q.Glare, q.Brightness = exposure(g)
	q.Fill = edgeFill(g)
	q.MRZFound = true // until Examine says otherwise
	q.Failed = failures(q, kind, t)
	return q
}

func failures(q QualityReport, kind Kind, t Thresholds) []string {
	var f []string
	minSharp, minBright := t.MinSharpness, t.MinBrightness
	if kind == KindSelfie {
		minSharp, minBright = t.MinSharpnessSelfie, t.MinBrightnessSelfie
	}
	if q.Sharpness < minSharp {
		f = append(f, FigureSharpness)
	}
	if kind != KindProofOfAddress && q.Glare > t.MaxGlare {
		f = append(f, FigureGlare)
	}
	if q.Brightness < minBright {
		f = append(f, FigureDarkness)
	}
	if kind != KindProofOfAddress && q.Brightness > t.MaxBrightness {
		f = append(f, FigureBrightness)
	}
	minSide := t.MinSide
	if kind == KindSelfie {
		minSide = t.MinSideSelfie
	}
	if min(q.Width, q.Height) < minSide {
		f = append(f, FigureResolution)
	}
	if kind != KindSelfie && kind != KindProofOfAddress && (q.Fill < t.MinFill || !q.MRZFound) {
		f = append(f, FigureFraming)
	}
	return f
}

// laplacianVariance is the variance of the 4-neighbour Laplacian: edges
// give large values of both signs, blur flattens them.
func laplacianVariance(g *image.Gray) float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 3 || h < 3 {
		return 0
	}
	var sum, sq float64
	n := 0
	for y := 1; y < h-1; y++ {
		row := g.Pix[y*g.Stride:]
		up := g.Pix[(y-1)*g.Stride:]
		down := g.Pix[(y+1)*g.Stride:]
		for x := 1; x < w-1; x++ {
			v := float64(int(up[x]) + int(down[x]) + int(row[x-1]) + int(row[x+1]) - 4*int(row[x]))
			sum += v
			sq += v * v
			n++
		}
	}
	mean := sum / float64(n)
	return sq/float64(n) - mean*mean
}

// exposure returns the share of saturated pixels and the mean luma.
func exposure(g *image.Gray) (glare, mean float64) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var sat, sum int
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			sum += int(v)
			if v >= 250 {
				sat++
			}
		}
	}
	n := float64(w * h)
	return float64(sat) / n, float64(sum) / n
}

// edgeFill is the share of the frame spanned by its edges: the box from
// the 1st to the 99th percentile of the strong-gradient pixels' x and y,
// so that a few specks of background do not count. A document filling the
// frame spans most of it; one held far away, a small box.
func edgeFill(g *image.Gray) float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var xs, ys []int
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*g.Stride + x
			gx := int(g.Pix[i+1]) - int(g.Pix[i-1])
			gy := int(g.Pix[i+g.Stride]) - int(g.Pix[i-g.Stride])
			if abs(gx)+abs(gy) > 60 {
				xs = append(xs, x)
				ys = append(ys, y)
			}
		}
	}
	if len(xs) < 50 {
		return 0
	}
	sort.Ints(xs)
	sort.Ints(ys)
	p := func(v []int, q float64) float64 { return float64(v[int(math.Round(q*float64(len(v)-1)))]) }
	fw := (p(xs, 0.99) - p(xs, 0.01)) / float64(w)
	fh := (p(ys, 0.99) - p(ys, 0.01)) / float64(h)
	return fw * fh
}
