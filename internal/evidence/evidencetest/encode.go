package evidencetest

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
)

// JPEG encodes img at quality 90.
func JPEG(img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic("evidencetest: jpeg: " + err.Error())
	}
	return b.Bytes()
}

// PNG encodes img.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic("evidencetest: png: " + err.Error())
	}
	return b.Bytes()
}
