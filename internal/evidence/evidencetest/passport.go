package evidencetest

import (
	"image"
	"image/color"
)

// PassportOptions changes what a rendered passport shows, to make the
// forgeries and inconsistencies the checks must catch.
type PassportOptions struct {
	// MRZ, when set, replaces the machine-readable zone (for example with
	// BreakDigit applied to one of TD3's lines).
	MRZ *[2]string
	// VisualZone, when set, is printed in the visual zone instead of the
	// holder, so that it disagrees with the MRZ.
	VisualZone *Person
	// Photo is drawn in the photo area; nil draws a placeholder.
	Photo image.Image
}

var (
	ink      = color.RGBA{28, 30, 38, 255}
	labelInk = color.RGBA{70, 82, 110, 255}
)

// Passport renders p's passport data page (TD3, 1250×880 pixels): header,
// photo, labelled visual zone and the two MRZ lines in a monospace font.
func Passport(p Person, o PassportOptions) *image.RGBA {
	loadFonts()
	p = p.withDefaults()
	viz := p
	if o.VisualZone != nil {
		viz = o.VisualZone.withDefaults()
	}
	mrz := TD3(p)
	if o.MRZ != nil {
		mrz = *o.MRZ
	}
	const w, h = 1250, 880
	c := newCanvas(w, h, color.RGBA{228, 234, 224, 255})
	c.guilloche(image.Rect(0, 0, w, 640), color.RGBA{212, 222, 214, 255}, 9)
	c.rect(image.Rect(0, 0, w, 96), color.RGBA{40, 66, 112, 255})
	white := color.RGBA{246, 246, 240, 255}
	c.text(bold, 40, 40, 64, white, "PASSPORT")
	c.text(regFont, 26, 300, 62, white, "PASSEPORT")
	state := countryName(p.IssuingState)
	c.text(bold, 30, w-40-c.width(bold, 30, state), 62, white, state)

	c.photo(image.Rect(50, 140, 350, 530), o.Photo)

	type row struct{ label, value string }
	col := func(x, y int, rows []row) {
		for _, r := range rows {
			c.text(regFont, 17, x, y, labelInk, r.label)
			c.text(bold, 28, x, y+34, ink, r.value)
			y += 78
		}
	}
	col(400, 140, []row{
		{"Type / Type", "P"},
		{"Surname / Nom", viz.Surname},
		{"Given names / Prénoms", viz.GivenNames},
		{"Nationality / Nationalité", countryName(viz.Nationality)},
		{"Date of birth / Date de naissance", date(viz.DateOfBirth)},
		{"Sex / Sexe", viz.Sex},
	})
	col(860, 140, []row{
		{"Code / Code", viz.IssuingState},
		{"Passport No. / No du passeport", viz.DocumentNumber},
		{"Date of issue / Date de délivrance", date(viz.Issued)},
		{"Date of expiry / Date d'expiration", date(viz.Expiry)},
		{"Authority / Autorité", "MINISTRY OF INTERIOR"},
	})
	c.rect(image.Rect(0, 648, w, 650), color.RGBA{180, 190, 184, 255})
	drawMRZ(c, mrz[:], 40, 730, 62)
	return c.img
}

// drawMRZ draws MRZ lines in Go Mono, sized so the longest line fills the
// width the way OCR-B does on a real document.
func drawMRZ(c *canvas, lines []string, size float64, top, step int) {
	x := (c.img.Bounds().Dx() - c.width(monoFont, size, lines[0])) / 2
	for i, l := range lines {
		c.text(monoFont, size, x, top+i*step, ink, l)
	}
}

// countryName is what the visual zone prints for a code.
func countryName(code string) string {
	switch code {
	case "UTO":
		return "UTOPIA"
	case "D", "DEU":
		return "GERMANY"
	case "FRA":
		return "FRANCE"
	case "GBR":
		return "UNITED KINGDOM"
	case "USA":
		return "UNITED STATES"
	case "NLD":
		return "NETHERLANDS"
	case "ESP":
		return "SPAIN"
	case "ITA":
		return "ITALY"
	}
	return code
}
