package evidencetest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
)

// TruncatedJPEG is a real JPEG cut to its first 3 KB: the header reads,
// the image does not decode.
func TruncatedJPEG() []byte {
	b := JPEG(Passport(Sample(), PassportOptions{}))
	return b[:3<<10]
}

// HugeEmptyJPEG is the 104-byte attack: a JPEG whose frame header claims
// 65535×65535 pixels, with no image data.
func HugeEmptyJPEG() []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	// APP0 JFIF
	b.Write([]byte{0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0})
	// DQT: one table of 64 ones
	b.Write([]byte{0xFF, 0xDB, 0x00, 0x43, 0x00})
	b.Write(bytes.Repeat([]byte{1}, 64))
	// SOF0: 8-bit, 65535×65535, one component
	b.Write([]byte{0xFF, 0xC0, 0x00, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01, 0x11, 0x00})
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	b.Write(n[:])
}

// PNGBomb is a small PNG whose header claims 30000×30000 pixels (900
// megapixels, 2.7 GB decoded) over highly compressed rows of zeros.
func PNGBomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 30000)
	binary.BigEndian.PutUint32(ihdr[4:], 30000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	pngChunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+30000*3)
	for y := 0; y < 200; y++ { // enough rows to be a believable start
		w.Write(row)
	}
	w.Close()
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// PNGHTMLPolyglot is a valid PNG with an HTML page after its IEND chunk: a
// browser sniffing it as HTML runs the script.
func PNGHTMLPolyglot() []byte {
	b := PNG(smallImage())
	return append(b, []byte("<html><body><script>fetch('/api/v2.1/customer/me').then(r=>r.text()).then(alert)</script></body></html>")...)
}

// PNGWithScriptText is a PNG that hides HTML in a tEXt chunk before IEND.
func PNGWithScriptText() []byte {
	b := PNG(smallImage())
	iend := len(b) - 12
	var out bytes.Buffer
	out.Write(b[:iend])
	pngChunk(&out, "tEXt", []byte("Comment\x00<script>alert(document.cookie)</script>"))
	out.Write(b[iend:])
	return out.Bytes()
}

// smallImage is a 64×64 gradient for the malformed files that do not need
// a document.
func smallImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(4 * x), uint8(4 * y), 128, 255})
		}
	}
	return img
}

// WithEXIFSoftware inserts an EXIF APP1 segment whose Software tag is
// software (such as "Adobe Photoshop 25.0 (Windows)") right after a JPEG's
// start marker.
func WithEXIFSoftware(jpeg []byte, software string) []byte {
	val := append([]byte(software), 0)
	var t bytes.Buffer
	t.WriteString("II*\x00")
	binary.Write(&t, binary.LittleEndian, uint32(8)) // IFD0 offset
	binary.Write(&t, binary.LittleEndian, uint16(1)) // one entry
	binary.Write(&t, binary.LittleEndian, uint16(0x0131))
	binary.Write(&t, binary.LittleEndian, uint16(2)) // ASCII
	binary.Write(&t, binary.LittleEndian, uint32(len(val)))
	binary.Write(&t, binary.LittleEndian, uint32(8+2+12+4)) // value after the IFD
	binary.Write(&t, binary.LittleEndian, uint32(0))        // no next IFD
	t.Write(val)
	payload := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var b bytes.Buffer
	b.Write(jpeg[:2])
	b.Write([]byte{0xFF, 0xE1})
	binary.Write(&b, binary.BigEndian, uint16(len(payload)+2))
	b.Write(payload)
	b.Write(jpeg[2:])
	return b.Bytes()
}

// rawPDF writes a one-page PDF by hand from numbered object bodies (object
// 1 is the catalog, 2 the page tree, 3 the page), with a correct
// cross-reference table.
func rawPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

const (
	pdfPages   = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
	pdfPage    = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
	pdfFont    = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	pdfContent = "BT /F1 14 Tf 72 760 Td (Statement of account) Tj ET"
)

func pdfStream(s string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(s), s)
}

// PDFWithJavaScript is a one-page PDF whose OpenAction runs JavaScript.
func PDFWithJavaScript() []byte {
	return rawPDF(
		"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
		pdfPages, pdfPage, pdfStream(pdfContent), pdfFont,
		"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\);) >>",
	)
}

// PDFWithLaunchAction is a one-page PDF whose OpenAction launches a
// program.
func PDFWithLaunchAction() []byte {
	return rawPDF(
		"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
		pdfPages, pdfPage, pdfStream(pdfContent), pdfFont,
		"<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>",
	)
}

// PDFWithEmbeddedFile is a one-page PDF carrying an embedded executable.
func PDFWithEmbeddedFile() []byte {
	payload := "MZ\x90\x00 not really a program"
	return rawPDF(
		"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >> >> >>",
		pdfPages, pdfPage, pdfStream(pdfContent), pdfFont,
		"<< /Type /Filespec /F (invoice.exe) /EF << /F 7 0 R >> >>",
		fmt.Sprintf("<< /Type /EmbeddedFile /Length %d >>\nstream\n%s\nendstream", len(payload), payload),
	)
}

// PDFWithHiddenJavaScript hides the JavaScript action's name behind #-escapes
// (/J#61vaScript is /JavaScript) inside a compressed stream, where a naive
// scan of the raw bytes does not see it.
func PDFWithHiddenJavaScript() []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write([]byte("<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"))
	w.Close()
	return rawPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		pdfPages, pdfPage, pdfStream(pdfContent), pdfFont,
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String()),
	)
}

// PlainPDF is the same one-page PDF with nothing dangerous in it, the
// control for the variants above.
func PlainPDF() []byte {
	return rawPDF("<< /Type /Catalog /Pages 2 0 R >>", pdfPages, pdfPage, pdfStream(pdfContent), pdfFont)
}
