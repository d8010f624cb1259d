// Package kyctest makes small real document files for tests: JPEG, PNG and
// GIF pictures, a one-page PDF built in memory, and a large padded PDF
// written as a stream. Documents the server must read (passports, bills,
// selfies) come from internal/evidence/evidencetest.
package kyctest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
)

// Picture is a w×h gradient; shade tells pictures of the same size apart.
func Picture(w, h int, shade uint8) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), shade, uint8(y * 3), 255})
		}
	}
	return img
}

// JPEG is Picture(w, h, shade) as a JPEG.
func JPEG(t testing.TB, w, h int, shade uint8) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, Picture(w, h, shade), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PNG is a w×h picture as a PNG.
func PNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, Picture(w, h, 99)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// GIF is a 400×400 picture as a GIF.
func GIF(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, Picture(400, 400, 1), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PDF is a one-page PDF showing text, with a correct cross-reference table.
func PDF(text string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>")
	stream := "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET"
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// WritePaddedPDF writes to w a valid one-page PDF whose text layer shows
// lines, padded to about size bytes by an unreferenced stream of hex
// digits (which no scanner mistakes for a PDF name), a piece at a time:
// a large real document that costs its writer no memory.
func WritePaddedPDF(w io.Writer, lines []string, size int) error {
	cw := &countingWriter{w: w}
	var offsets []int64
	obj := func(s string) {
		offsets = append(offsets, cw.n)
		fmt.Fprintf(cw, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	fmt.Fprint(cw, "%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>")
	var content strings.Builder
	content.WriteString("BT /F1 12 Tf 72 760 Td 16 TL\n")
	for _, l := range lines {
		fmt.Fprintf(&content, "(%s) Tj T*\n", strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l))
	}
	content.WriteString("ET")
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	pad := max(0, size-int(cw.n)-400)
	offsets = append(offsets, cw.n)
	fmt.Fprintf(cw, "%d 0 obj\n<< /Length %d >>\nstream\n", len(offsets), pad)
	buf := make([]byte, 64<<10)
	const hex = "0123456789abcdef"
	for i := range buf {
		buf[i] = hex[(i*7+i/13)%16]
	}
	for left := pad; left > 0; {
		n := min(left, len(buf))
		if _, err := cw.Write(buf[:n]); err != nil {
			return err
		}
		left -= n
	}
	fmt.Fprint(cw, "\nendstream\nendobj\n")
	xref := cw.n
	fmt.Fprintf(cw, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(cw, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(cw, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return cw.err
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
