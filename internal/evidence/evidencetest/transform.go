package evidencetest

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// Blur is img out of focus: three box blurs of radius r, close to a
// Gaussian of sigma r.
func Blur(img image.Image, r int) *image.RGBA {
	out := toRGBA(img)
	for i := 0; i < 3; i++ {
		boxBlur(out, r, true)
		boxBlur(out, r, false)
	}
	return out
}

func boxBlur(img *image.RGBA, r int, horizontal bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	src := make([]uint8, len(img.Pix))
	copy(src, img.Pix)
	n, m := w, h
	if !horizontal {
		n, m = h, w
	}
	at := func(line, k int) int {
		k = max(0, min(n-1, k))
		if horizontal {
			return line*img.Stride + 4*k
		}
		return k*img.Stride + 4*line
	}
	for line := 0; line < m; line++ {
		for c := 0; c < 3; c++ {
			sum := 0
			for k := -r; k <= r; k++ {
				sum += int(src[at(line, k)+c])
			}
			for k := 0; k < n; k++ {
				img.Pix[at(line, k)+c] = uint8(sum / (2*r + 1))
				sum += int(src[at(line, k+r+1)+c]) - int(src[at(line, k-r)+c])
			}
		}
	}
}

// Darken is img photographed in a dim room: every channel times f (0-1).
func Darken(img image.Image, f float64) *image.RGBA {
	out := toRGBA(img)
	for i := range out.Pix {
		if i%4 != 3 {
			out.Pix[i] = uint8(float64(out.Pix[i]) * f)
		}
	}
	return out
}

// Glare is img under a camera flash: a saturated spot with a soft halo
// over the middle of the visual zone.
func Glare(img image.Image) *image.RGBA {
	out := toRGBA(img)
	b := out.Bounds()
	cx, cy := float64(b.Dx())*0.55, float64(b.Dy())*0.42
	rx, ry := float64(b.Dx())*0.2, float64(b.Dy())*0.2
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			d := math.Sqrt(dx*dx + dy*dy)
			a := 0.0
			switch {
			case d < 1:
				a = 1
			case d < 1.6:
				a = (1.6 - d) / 0.6
			}
			if a == 0 {
				continue
			}
			i := out.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				out.Pix[i+c] = uint8(float64(out.Pix[i+c])*(1-a) + 255*a)
			}
		}
	}
	return out
}

// CropBottom keeps the top share (0-1) of img: a photo that cuts off the
// MRZ.
func CropBottom(img image.Image, keep float64) *image.RGBA {
	b := img.Bounds()
	r := image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+int(float64(b.Dy())*keep))
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// InFrame is img photographed from too far: scaled by share (0-1) and
// placed in the middle of a frame of the same size over a plain desk.
func InFrame(img image.Image, share float64) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.RGBA{120, 92, 64, 255}}, image.Point{}, draw.Src)
	w, h := int(float64(b.Dx())*share), int(float64(b.Dy())*share)
	x0, y0 := (b.Dx()-w)/2, (b.Dy()-h)/2
	scaleInto(out, image.Rect(x0, y0, x0+w, y0+h), img)
	return out
}

// Downscale is img at a share (0-1) of its size: a low-resolution photo.
func Downscale(img image.Image, share float64) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, int(float64(b.Dx())*share), int(float64(b.Dy())*share)))
	scaleInto(out, out.Bounds(), img)
	return out
}

// Shake is img taken with a hand that moved sideways: a horizontal smear
// of r pixels each way (three box blurs along the rows only). Edges across
// the movement stay sharp, so the image can pass a sharpness threshold
// while its letters run into each other and OCR cannot read them.
func Shake(img image.Image, r int) *image.RGBA {
	out := toRGBA(img)
	for i := 0; i < 3; i++ {
		boxBlur(out, r, true)
	}
	return out
}
