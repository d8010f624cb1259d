package face

import (
	"image"
	"image/color"
)

// toRGB returns img as packed 8-bit RGB, scaled down (by area averaging) so
// that its longer side is at most maxSide, with the size and the scale used
// (output pixels per input pixel, at most 1).
func toRGB(img image.Image, maxSide int) (rgb []byte, w, h int, scale float64) {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	w, h, scale = sw, sh, 1
	if long := max(sw, sh); maxSide > 0 && long > maxSide {
		scale = float64(maxSide) / float64(long)
		w = max(1, int(float64(sw)*scale+0.5))
		h = max(1, int(float64(sh)*scale+0.5))
		scale = float64(w) / float64(sw)
	}
	src := fullRGB(img)
	if w == sw && h == sh {
		return src, w, h, 1
	}
	// Area averaging: each output pixel is the mean of the input pixels
	// whose centres fall into it.
	rgb = make([]byte, w*h*3)
	sum := make([]uint32, w*3)
	cnt := make([]uint32, w)
	xmap := make([]int, sw)
	for x := range sw {
		xmap[x] = min(w-1, x*w/sw)
	}
	oy := 0
	flush := func(row int) {
		for x := range w {
			n := max(cnt[x], 1)
			o := (row*w + x) * 3
			rgb[o] = byte((sum[x*3] + n/2) / n)
			rgb[o+1] = byte((sum[x*3+1] + n/2) / n)
			rgb[o+2] = byte((sum[x*3+2] + n/2) / n)
			sum[x*3], sum[x*3+1], sum[x*3+2], cnt[x] = 0, 0, 0, 0
		}
	}
	for y := range sh {
		ty := min(h-1, y*h/sh)
		if ty != oy {
			flush(oy)
			oy = ty
		}
		row := src[y*sw*3 : (y+1)*sw*3]
		for x := range sw {
			tx := xmap[x]
			sum[tx*3] += uint32(row[x*3])
			sum[tx*3+1] += uint32(row[x*3+1])
			sum[tx*3+2] += uint32(row[x*3+2])
			cnt[tx]++
		}
	}
	flush(oy)
	return rgb, w, h, scale
}

// fullRGB converts img to packed RGB at its own size, with fast paths for the
// types the standard decoders return.
func fullRGB(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, w*h*3)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o := (y*w + x) * 3
				out[o], out[o+1], out[o+2] = r, g, bb
			}
		}
	case *image.RGBA:
		for y := range h {
			row := m.Pix[(y)*m.Stride:]
			for x := range w {
				// Premultiplied, so already composited on black.
				o := (y*w + x) * 3
				out[o], out[o+1], out[o+2] = row[x*4], row[x*4+1], row[x*4+2]
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[y*m.Stride:]
			for x := range w {
				o := (y*w + x) * 3
				a := uint32(row[x*4+3])
				out[o] = byte(uint32(row[x*4]) * a / 255)
				out[o+1] = byte(uint32(row[x*4+1]) * a / 255)
				out[o+2] = byte(uint32(row[x*4+2]) * a / 255)
			}
		}
	case *image.Gray:
		for y := range h {
			row := m.Pix[y*m.Stride:]
			for x := range w {
				o := (y*w + x) * 3
				out[o], out[o+1], out[o+2] = row[x], row[x], row[x]
			}
		}
	default:
		for y := range h {
			for x := range w {
				r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				o := (y*w + x) * 3
				out[o], out[o+1], out[o+2] = byte(r>>8), byte(g>>8), byte(bb>>8)
			}
		}
	}
	return out
}
