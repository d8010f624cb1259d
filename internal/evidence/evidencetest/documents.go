package evidencetest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// IDCard renders p's identity card (ID-1 proportions, 1300×820 pixels) with its
// visual zone and a TD1 MRZ of three lines, as on the back of most cards.
func IDCard(p Person) *image.RGBA {
	loadFonts()
	p = p.withDefaults()
	const w, h = 1300, 820
	c := newCanvas(w, h, color.RGBA{232, 228, 218, 255})
	c.guilloche(image.Rect(0, 0, w, 430), color.RGBA{218, 212, 204, 255}, 5)
	c.rect(image.Rect(0, 0, w, 80), color.RGBA{120, 40, 48, 255})
	c.text(bold, 38, 40, 56, color.RGBA{246, 240, 236, 255}, "IDENTITY CARD  "+countryName(p.IssuingState))
	c.photo(image.Rect(40, 110, 270, 410), nil)
	rows := [][2]string{
		{"Surname", p.Surname},
		{"Given names", p.GivenNames},
		{"Date of birth", date(p.DateOfBirth)},
		{"Document No.", p.DocumentNumber},
	}
	y := 124
	for _, r := range rows {
		c.text(regFont, 19, 310, y, labelInk, r[0])
		c.text(bold, 30, 310, y+34, ink, r[1])
		y += 74
	}
	c.text(regFont, 19, 900, 124, labelInk, "Sex")
	c.text(bold, 30, 900, 158, ink, p.Sex)
	c.text(regFont, 19, 900, 198, labelInk, "Date of expiry")
	c.text(bold, 30, 900, 232, ink, date(p.Expiry))
	c.rect(image.Rect(0, 468, w, 470), color.RGBA{190, 184, 176, 255})
	l := TD1(p)
	drawMRZ(c, l[:], 56, 580, 84)
	return c.img
}

// DriverLicence renders p's driving licence (1012×638 pixels), which has
// no MRZ: numbered, labelled fields as EU licences print them, with dates
// day first.
func DriverLicence(p Person) *image.RGBA {
	loadFonts()
	p = p.withDefaults()
	const w, h = 1012, 638
	c := newCanvas(w, h, color.RGBA{226, 232, 238, 255})
	c.guilloche(image.Rect(0, 0, w, h), color.RGBA{212, 220, 230, 255}, 6)
	c.rect(image.Rect(0, 0, w, 70), color.RGBA{30, 80, 140, 255})
	c.text(bold, 32, 30, 48, color.RGBA{246, 246, 246, 255}, "DRIVING LICENCE")
	c.text(bold, 26, 700, 48, color.RGBA{246, 246, 246, 255}, countryName(p.IssuingState))
	c.photo(image.Rect(30, 100, 250, 380), nil)
	dmy := func(t time.Time) string { return t.Format("02.01.2006") }
	rows := []string{
		"1. Surname: " + p.Surname,
		"2. Given names: " + p.GivenNames,
		"3. Date of birth: " + dmy(p.DateOfBirth),
		"4a. Issued: " + dmy(p.Issued),
		"4b. Expiry: " + dmy(p.Expiry),
		"5. Licence No: " + p.DocumentNumber,
		"9. Categories: AM B",
	}
	y := 130
	for _, r := range rows {
		c.text(bold, 28, 290, y, ink, r)
		y += 62
	}
	return c.img
}

// Bill is a utility bill or bank statement to render.
type Bill struct {
	Issuer string
	// IssuerAddress is printed under the issuer's name.
	IssuerAddress []string
	Holder        string
	// Address is the holder's address, one line each, street first.
	Address []string
	// IssueDate is printed after DateLabel in DateLayout (a Go time
	// layout, default "2 January 2006").
	IssueDate  time.Time
	DateLabel  string
	DateLayout string
	Account    string
}

// SampleBill is a bill for the sample person's registered address.
func SampleBill() Bill {
	return Bill{
		Issuer:        "NORTHWIND ENERGY",
		IssuerAddress: []string{"PO Box 4410, Springfield"},
		Holder:        "Anna Maria Eriksson",
		Address:       []string{"123 Main Street", "Apt 4B", "New York, NY 10001", "United States"},
		IssueDate:     time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC),
		Account:       "8830-2291-07",
	}
}

func (b Bill) withDefaults() Bill {
	if b.DateLabel == "" {
		b.DateLabel = "Statement date:"
	}
	if b.DateLayout == "" {
		b.DateLayout = "2 January 2006"
	}
	return b
}

// billLines is the bill's content: what both the PDF and the scan print,
// as (x, y in mm on A4, size, bold, text).
type billText struct {
	x, y float64
	size float64
	bold bool
	text string
}

func (b Bill) content() []billText {
	b = b.withDefaults()
	var out []billText
	out = append(out, billText{20, 25, 20, true, b.Issuer})
	for i, l := range b.IssuerAddress {
		out = append(out, billText{20, 33 + float64(i)*6, 10, false, l})
	}
	out = append(out, billText{120, 25, 12, true, "ELECTRICITY STATEMENT"})
	out = append(out, billText{120, 33, 11, false, b.DateLabel + " " + b.IssueDate.Format(b.DateLayout)})
	out = append(out, billText{120, 40, 11, false, "Account number: " + b.Account})
	out = append(out, billText{20, 60, 12, true, b.Holder})
	for i, l := range b.Address {
		out = append(out, billText{20, 67 + float64(i)*7, 12, false, l})
	}
	y := 115.0
	out = append(out, billText{20, y, 13, true, "Summary of charges"})
	rows := [][2]string{
		{"Previous balance", "64.20"}, {"Payment received, thank you", "-64.20"},
		{"Electricity used: 312 kWh", "58.34"}, {"Standing charge", "9.10"}, {"Total due", "67.44"},
	}
	for i, r := range rows {
		out = append(out, billText{20, y + 10 + float64(i)*7, 11, false, r[0]})
		out = append(out, billText{160, y + 10 + float64(i)*7, 11, false, r[1]})
	}
	due := b.IssueDate.AddDate(0, 0, 21)
	out = append(out, billText{20, y + 55, 11, false, "Please pay by direct debit. Due date: " + due.Format(b.DateLayout)})
	out = append(out, billText{20, 280, 8, false, b.Issuer + " - customer service 0800 555 0100"})
	return out
}

// BillPDF renders the bill as a PDF with a real text layer.
func BillPDF(b Bill) []byte {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreator("Northwind Billing 4.2", true)
	pdf.SetProducer("Northwind Billing 4.2", true)
	pdf.SetCreationDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCompression(true)
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	for _, t := range b.content() {
		style := ""
		if t.bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, t.size)
		pdf.Text(t.x, t.y, tr(t.text))
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		panic("evidencetest: bill pdf: " + err.Error())
	}
	return out.Bytes()
}

// BillImage renders the bill as a scan: a 150 dpi A4 page (1240×1754),
// slightly grey paper.
func BillImage(b Bill) *image.RGBA {
	loadFonts()
	const dpmm = 150 / 25.4
	c := newCanvas(1240, 1754, color.RGBA{246, 245, 240, 255})
	for _, t := range b.content() {
		f := regFont
		if t.bold {
			f = bold
		}
		c.text(f, t.size*150/72, int(t.x*dpmm), int(t.y*dpmm), ink, t.text)
	}
	return c.img
}

// ImagePDF wraps a JPEG in a one-page A4 PDF with no text layer, as a
// scanner makes it.
func ImagePDF(jpeg []byte) []byte {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetProducer("ScanSnap Manager", true)
	pdf.SetCreationDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.AddPage()
	opt := fpdf.ImageOptions{ImageType: "JPG"}
	pdf.RegisterImageOptionsReader("scan", opt, bytes.NewReader(jpeg))
	pdf.ImageOptions("scan", 0, 0, 210, 297, false, opt, 0, "")
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		panic("evidencetest: image pdf: " + err.Error())
	}
	return out.Bytes()
}

// String describes the bill, for test names.
func (b Bill) String() string {
	return fmt.Sprintf("%s for %s (%s)", b.Issuer, b.Holder, strings.Join(b.Address, ", "))
}
