package evidence

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"unicode/utf8"
)

// The upload inspector and the MRZ parser read what customers send. Whatever
// the bytes, they end in facts or a refusal (*Error), never a panic, and
// what they accept holds together.

func seedImage(f *testing.F) (jpg, pngb []byte) {
	f.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 90, 255})
		}
	}
	var j, p bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		f.Fatal(err)
	}
	if err := png.Encode(&p, img); err != nil {
		f.Fatal(err)
	}
	return j.Bytes(), p.Bytes()
}

const seedPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
	"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
	"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n" +
	"4 0 obj << /Length 21 >>\nstream\nBT /F1 12 Tf (Hi) Tj ET\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

// FuzzJudge fuzzes the image inspection whole and the PDF object scan
// (Judge hands PDFs to poppler as well, which is not ours to fuzz).
func FuzzJudge(f *testing.F) {
	jpg, pngb := seedImage(f)
	f.Add(jpg)
	f.Add(pngb)
	f.Add(append(bytes.Clone(jpg), []byte("<script>x</script>")...))
	f.Add(pngb[:len(pngb)/2])
	f.Add([]byte(seedPDF))
	f.Add([]byte(strings.Replace(seedPDF, "/Catalog", "/Catalog /OpenAction << /S /J#61vaScript >>", 1)))
	f.Add([]byte("GIF89a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte("%PDF-")) {
			if err := scanPDF(data); err != nil {
				if _, ok := AsError(err); !ok {
					t.Fatalf("scanPDF: %v is not a refusal", err)
				}
			}
			return
		}
		facts, err := Judge(context.Background(), data)
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("Judge: %v is not a refusal", err)
			}
			return
		}
		if facts.MIME != MIMEJPEG && facts.MIME != MIMEPNG {
			t.Fatalf("accepted as %q", facts.MIME)
		}
		if facts.Image == nil || facts.Width <= 0 || facts.Height <= 0 || facts.Width > MaxSide || facts.Height > MaxSide {
			t.Fatalf("accepted an image of %dx%d (decoded: %v)", facts.Width, facts.Height, facts.Image != nil)
		}
	})
}

// FuzzMRZ fuzzes the MRZ parser with exact lines and the finder with OCR
// text, and the visual zone reader with the same text.
func FuzzMRZ(f *testing.F) {
	f.Add("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10")
	f.Add("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
	f.Add("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6")
	f.Add("PASSPORT\nP<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<\nL898902C36UT074O8122F1204159 ZE184226B<<<<10")
	f.Add("Surname ERIKSSON\nGiven names ANNA MARIA\nDate of birth 12 AUG 1974\n4d 0123")
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		if m, err := ParseMRZ(lines); err == nil {
			if m.Format == "" || !utf8.ValidString(m.DocumentNumber) {
				t.Fatalf("parsed an MRZ without a format or with a broken number: %+v", m)
			}
		}
		if m, ok := FindMRZ(lines); ok && m.Format == "" {
			t.Fatalf("found an MRZ without a format: %+v", m)
		}
		for _, month := range []bool{false, true} {
			_ = ReadVisualZone(text, month)
		}
	})
}
