package evidencetest

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// The fonts ship inside the Go module, so the documents look the same on
// every machine whatever fonts the system has.
var (
	fontsOnce               sync.Once
	monoFont, regFont, bold *opentype.Font
	faces                   sync.Map // faceKey → font.Face
)

type faceKey struct {
	f    *opentype.Font
	size float64
}

func loadFonts() {
	fontsOnce.Do(func() {
		monoFont = mustParse(gomono.TTF)
		regFont = mustParse(goregular.TTF)
		bold = mustParse(gobold.TTF)
	})
}

func mustParse(b []byte) *opentype.Font {
	f, err := opentype.Parse(b)
	if err != nil {
		panic("evidencetest: font: " + err.Error())
	}
	return f
}

func face(f *opentype.Font, size float64) font.Face {
	k := faceKey{f, size}
	if v, ok := faces.Load(k); ok {
		return v.(font.Face)
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("evidencetest: face: " + err.Error())
	}
	v, _ := faces.LoadOrStore(k, fc)
	return v.(font.Face)
}

// canvas is an RGBA image with text helpers; every face is drawn by one
// goroutine at a time because font.Face is not safe for concurrent use.
type canvas struct {
	img *image.RGBA
}

var drawMu sync.Mutex

func newCanvas(w, h int, bg color.RGBA) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)
	return &canvas{img: img}
}

// text draws s with its baseline at (x, y).
func (c *canvas) text(f *opentype.Font, size float64, x, y int, col color.Color, s string) {
	drawMu.Lock()
	defer drawMu.Unlock()
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: face(f, size), Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// width is how wide s is drawn in pixels.
func (c *canvas) width(f *opentype.Font, size float64, s string) int {
	drawMu.Lock()
	defer drawMu.Unlock()
	return font.MeasureString(face(f, size), s).Round()
}

func (c *canvas) rect(r image.Rectangle, col color.RGBA) {
	draw.Draw(c.img, r, &image.Uniform{col}, image.Point{}, draw.Over)
}

// ellipse fills an axis-aligned ellipse, clipped to clip.
func (c *canvas) ellipse(cx, cy, rx, ry int, col color.RGBA, clip image.Rectangle) {
	for y := max(cy-ry, clip.Min.Y); y <= cy+ry && y < clip.Max.Y; y++ {
		for x := max(cx-rx, clip.Min.X); x <= cx+rx && x < clip.Max.X; x++ {
			dx, dy := float64(x-cx)/float64(rx), float64(y-cy)/float64(ry)
			if dx*dx+dy*dy <= 1 {
				c.img.SetRGBA(x, y, col)
			}
		}
	}
}

// guilloche draws the faint wavy security pattern of a document's
// background, kept light so it does not disturb OCR.
func (c *canvas) guilloche(r image.Rectangle, col color.RGBA, waves int) {
	for k := 0; k < waves; k++ {
		phase := float64(k) * 0.7
		base := r.Min.Y + (k+1)*r.Dy()/(waves+1)
		for x := r.Min.X; x < r.Max.X; x++ {
			y := base + int(18*math.Sin(float64(x)/37+phase)+9*math.Sin(float64(x)/11+2*phase))
			if y >= r.Min.Y && y < r.Max.Y {
				c.img.SetRGBA(x, y, col)
				if y+1 < r.Max.Y {
					c.img.SetRGBA(x, y+1, col)
				}
			}
		}
	}
}

// photo draws p scaled into r, or a placeholder head and shoulders.
func (c *canvas) photo(r image.Rectangle, p image.Image) {
	if p != nil {
		scaleInto(c.img, r, p)
		return
	}
	c.rect(r, color.RGBA{196, 204, 212, 255})
	cx := (r.Min.X + r.Max.X) / 2
	c.ellipse(cx, r.Min.Y+r.Dy()*85/100+r.Dy()/3, r.Dx()*45/100, r.Dy()/3, color.RGBA{92, 104, 120, 255}, r)
	c.ellipse(cx, r.Min.Y+r.Dy()*40/100, r.Dx()*22/100, r.Dy()*24/100, color.RGBA{150, 124, 108, 255}, r)
}

// scaleInto draws src into r of dst with nearest-neighbour sampling.
func scaleInto(dst *image.RGBA, r image.Rectangle, src image.Image) {
	sb := src.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		sy := sb.Min.Y + (y-r.Min.Y)*sb.Dy()/r.Dy()
		for x := r.Min.X; x < r.Max.X; x++ {
			sx := sb.Min.X + (x-r.Min.X)*sb.Dx()/r.Dx()
			dst.Set(x, y, src.At(sx, sy))
		}
	}
}
