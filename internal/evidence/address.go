package evidence

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// ProofOfAddress is what a bill or statement says about its holder.
type ProofOfAddress struct {
	// Name is the holder's name, empty when not found.
	Name string `json:"name"`
	// AddressLines are the lines of the holder's address, street first.
	AddressLines []string `json:"addressLines"`
	// IssueDate is the printed statement or issue date (zero when none is
	// found); IssueDateText is how it was written.
	IssueDate     time.Time `json:"issueDate"`
	IssueDateText string    `json:"issueDateText,omitempty"`
}

// cell is a run of text on a line of pdftotext -layout output, which puts
// columns side by side separated by wide gaps.
type cell struct {
	line, col int
	text      string
}

var gap = regexp.MustCompile(`\S+(?: {1,2}\S+)*`)

func cells(text string) [][]cell {
	var out [][]cell
	for i, l := range strings.Split(strings.ReplaceAll(text, "\t", "    "), "\n") {
		var row []cell
		for _, loc := range gap.FindAllStringIndex(l, -1) {
			row = append(row, cell{i, len([]rune(l[:loc[0]])), l[loc[0]:loc[1]]})
		}
		out = append(out, row)
	}
	return out
}

var (
	streetLine = regexp.MustCompile(`^(\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?,?\s+\p{L}[\p{L}.'\- ]*|\p{L}[\p{L}.'\- ]*\s\d+[A-Za-z]?)$`)
	postalLike = regexp.MustCompile(`\b(\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b`)
	holderTag  = regexp.MustCompile(`(?i)^(account holder|account name|customer name|customer|name|bill to|billed to|statement for)\s*:?\s*`)
	issueTag   = regexp.MustCompile(`(?i)(statement date|issue date|date of issue|bill date|invoice date|document date|date issued|issued on|issued|dated|date)\s*:?\s*`)
	notIssue   = regexp.MustCompile(`(?i)(due|period|from|to|until|payment|reading|birth|since|next)\s*(date)?\s*:?\s*$`)
)

// ReadProofOfAddress reads a bill or statement's text (a PDF's text layer
// or OCR): the holder's name (labelled, or the line above the address),
// the address block (a street line with a number, and the lines under it
// down to the one with a postal code) and the issue date (labelled
// statement or issue date, else the first date printed). monthFirst
// reads 11/12/2026 as November 12 (US order).
func ReadProofOfAddress(text string, monthFirst bool) ProofOfAddress {
	var p ProofOfAddress
	rows := cells(text)
	labelled := ""
	for _, row := range rows {
		for _, c := range row {
			if loc := holderTag.FindStringIndex(c.text); loc != nil && labelled == "" {
				if v := strings.TrimSpace(c.text[loc[1]:]); looksLikeName(v) {
					labelled = v
				}
			}
		}
	}
	// Address blocks: a street cell, then cells in the same column on the
	// following lines until a postal code has been seen.
	type block struct {
		name  string
		lines []string
	}
	var blocks []block
	for i, row := range rows {
		for _, c := range row {
			t := strings.TrimSpace(holderTag.ReplaceAllString(c.text, ""))
			if !streetLine.MatchString(t) || postalLike.MatchString(t) && !hasLetters(t) {
				continue
			}
			b := block{lines: []string{t}}
			for j := i + 1; j < len(rows) && j <= i+4; j++ {
				next, ok := cellAt(rows[j], c.col)
				if !ok {
					break
				}
				b.lines = append(b.lines, next.text)
				if postalLike.MatchString(next.text) {
					// A country may follow the postal line.
					if k := j + 1; k < len(rows) {
						if n, ok := cellAt(rows[k], c.col); ok && isCountry(n.text) {
							b.lines = append(b.lines, n.text)
						}
					}
					break
				}
			}
			if !postalLike.MatchString(strings.Join(b.lines, " ")) || len(b.lines) < 2 {
				continue
			}
			if i > 0 {
				if prev, ok := cellAt(rows[i-1], c.col); ok && looksLikeName(prev.text) {
					b.name = strings.TrimSpace(holderTag.ReplaceAllString(prev.text, ""))
				}
			}
			blocks = append(blocks, b)
		}
	}
	for _, b := range blocks {
		if labelled != "" && strings.EqualFold(b.name, labelled) || labelled == "" && b.name != "" {
			p.Name, p.AddressLines = b.name, b.lines
			break
		}
	}
	if p.AddressLines == nil && len(blocks) > 0 {
		p.AddressLines, p.Name = blocks[0].lines, blocks[0].name
	}
	if labelled != "" {
		p.Name = labelled
	}
	p.IssueDate, p.IssueDateText = issueDate(rows, monthFirst)
	return p
}

// issueDate is the date after a statement/issue label, else the first
// date that is not after a due/period label.
func issueDate(rows [][]cell, monthFirst bool) (time.Time, string) {
	var first Date
	for _, row := range rows {
		line := make([]string, len(row))
		for i, c := range row {
			line[i] = c.text
		}
		for i, c := range row {
			joined := c.text
			if i+1 < len(row) {
				joined += " " + row[i+1].text
			}
			if loc := issueTag.FindStringIndex(c.text); loc != nil && !notIssue.MatchString(c.text[:loc[1]]) &&
				!strings.Contains(strings.ToLower(c.text[:loc[0]]), "due") {
				if d := FindDates(joined[loc[1]:], monthFirst); len(d) > 0 {
					return d[0].Time, d[0].Text
				}
			}
		}
		if first.Time.IsZero() {
			all := strings.Join(line, "   ")
			for _, d := range FindDates(all, monthFirst) {
				if !notIssue.MatchString(all[:d.at]) {
					first = d
					break
				}
			}
		}
	}
	return first.Time, first.Text
}

// cellAt is the cell of a row that starts near col.
func cellAt(row []cell, col int) (cell, bool) {
	for _, c := range row {
		if abs(c.col-col) <= 4 {
			return c, true
		}
	}
	return cell{}, false
}

func hasLetters(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// looksLikeName: two to five words of letters, no digits, not a label.
func looksLikeName(s string) bool {
	s = strings.TrimSpace(holderTag.ReplaceAllString(s, ""))
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 5 || strings.Contains(s, ":") {
		return false
	}
	for _, r := range s {
		if unicode.IsDigit(r) {
			return false
		}
	}
	return hasLetters(s) && !isCountry(s)
}

// Address is a registered address, as the customer gave it.
type Address struct {
	Street       string `json:"street"`
	StreetNumber string `json:"streetNumber"`
	City         string `json:"city"`
	PostalCode   string `json:"postalCode"`
	Country      string `json:"country"`
	State        string `json:"state"`
}

// AddressMatch is how well a read address agrees with a registered one.
type AddressMatch struct {
	Matched bool `json:"matched"`
	// Score is the weighted share (0-1) of the registered parts found:
	// street number 0.25, street name 0.3, postal code 0.25, city 0.15,
	// state and country 0.05.
	Score float64 `json:"score"`
	// Missing names the registered parts not found on the document.
	Missing []string `json:"missing,omitempty"`
}

// statePostal are the countries whose postal addresses carry the state.
var statePostal = map[string]bool{"US": true, "USA": true, "CA": true, "CAN": true, "AU": true, "AUS": true}

// abbreviations map the words of addresses to one spelling, so that
// "Street" and "St." compare equal.
var abbreviations = map[string]string{
	"street": "st", "str": "st", "strasse": "st", "straße": "st", "avenue": "ave", "av": "ave",
	"road": "rd", "boulevard": "blvd", "drive": "dr", "lane": "ln", "court": "ct", "place": "pl",
	"square": "sq", "terrace": "ter", "highway": "hwy", "parkway": "pkwy", "circle": "cir",
	"apartment": "apt", "suite": "ste", "floor": "fl", "building": "bldg", "unit": "unit",
	"north": "n", "south": "s", "east": "e", "west": "w", "saint": "st", "mount": "mt",
	"number": "no", "nr": "no",
}

// germanStreet splits the street word off a German street name:
// Hauptstraße, Hauptstrasse and Hauptstr. all become "haupt strasse".
var germanStreet = regexp.MustCompile(`(\p{L})(straße|strasse|str\.|str\b)`)

var countries = map[string]string{
	"us": "us", "usa": "us", "united states": "us", "united states of america": "us",
	"gb": "gb", "uk": "gb", "united kingdom": "gb", "great britain": "gb",
	"de": "de", "deu": "de", "germany": "de", "deutschland": "de",
	"fr": "fr", "fra": "fr", "france": "fr", "nl": "nl", "nld": "nl", "netherlands": "nl",
	"es": "es", "esp": "es", "spain": "es", "espana": "es", "it": "it", "ita": "it", "italy": "it", "italia": "it",
	"ie": "ie", "ireland": "ie", "ch": "ch", "switzerland": "ch", "at": "at", "austria": "at",
	"be": "be", "belgium": "be", "pt": "pt", "portugal": "pt", "ca": "ca", "canada": "ca",
}

func isCountry(s string) bool {
	_, ok := countries[strings.Join(nameTokens(s), " ")]
	return ok && len(strings.TrimSpace(s)) > 2
}

var usStates = map[string]string{
	"alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
	"connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id",
	"illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
	"maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
	"mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
	"new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny", "north carolina": "nc",
	"north dakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
	"rhode island": "ri", "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx",
	"utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv",
	"wisconsin": "wi", "wyoming": "wy", "district of columbia": "dc",
}

// addressTokens normalises address text: case, accents and punctuation
// go, words take their abbreviated form.
func addressTokens(s string) []string {
	s = germanStreet.ReplaceAllString(strings.ToLower(s), "$1 strasse")
	toks := nameTokens(s)
	for i, t := range toks {
		if a, ok := abbreviations[t]; ok {
			toks[i] = a
		}
	}
	return toks
}

func containsSeq(hay, needle []string) bool {
	if len(needle) == 0 {
		return true
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		ok := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// MatchAddress compares an address read from a document (its lines, in
// any order) with the registered one. Case, accents, punctuation, the
// order of the parts and the usual abbreviations (Street/St,
// Apartment/Apt, ...) do not matter; postal codes are compared without
// spaces, a US ZIP+4 by its first five digits. It matches when the street
// number, the postal code and the city are found and the street name
// mostly (two thirds of its words).
func MatchAddress(read []string, reg Address) AddressMatch {
	text := strings.Join(read, " ")
	toks := addressTokens(text)
	set := map[string]bool{}
	for _, t := range toks {
		set[t] = true
	}
	var m AddressMatch
	found := func(part string, weight float64, ok bool) {
		if ok {
			m.Score += weight
		} else {
			m.Missing = append(m.Missing, part)
		}
	}
	street := addressTokens(reg.Street)
	number := addressTokens(reg.StreetNumber)
	// A street given with its number ("123 Main Street") splits here.
	if len(number) == 0 && len(street) > 0 {
		if isNumberToken(street[0]) {
			number, street = street[:1], street[1:]
		} else if isNumberToken(street[len(street)-1]) {
			number, street = street[len(street)-1:], street[:len(street)-1]
		}
	}
	numberOK := len(number) > 0 && containsSeq(toks, number)
	found("streetNumber", 0.25, numberOK)
	hit := 0
	for _, t := range street {
		if set[t] {
			hit++
		}
	}
	streetShare := 0.0
	if len(street) > 0 {
		streetShare = float64(hit) / float64(len(street))
	}
	m.Score += 0.3 * streetShare
	if streetShare < 2.0/3 {
		m.Missing = append(m.Missing, "street")
	}
	postalOK := postalFound(text, reg.PostalCode)
	found("postalCode", 0.25, postalOK)
	cityOK := len(addressTokens(reg.City)) > 0 && containsSeq(toks, addressTokens(reg.City))
	found("city", 0.15, cityOK)
	regionOK := true
	if reg.State != "" {
		st := strings.Join(addressTokens(reg.State), " ")
		if code, ok := usStates[st]; ok {
			st = code
		}
		regionOK = set[st] || containsSeq(toks, addressTokens(reg.State)) || set[usStateCode(st)]
		// Only where the state is part of the postal address (the US,
		// Canada, Australia) must the bill print it: a British bill
		// seldom names the county the customer typed.
		if !regionOK && !statePostal[strings.ToUpper(strings.TrimSpace(reg.Country))] {
			regionOK = true
		}
	}
	if reg.Country != "" {
		c := strings.Join(addressTokens(reg.Country), " ")
		code := countries[c]
		if code == "" {
			code = c
		}
		present := false
		for name, cc := range countries {
			if cc == code && len(name) > 2 && containsSeq(toks, strings.Fields(name)) {
				present = true
			}
		}
		// Bills seldom print the country of a domestic address: absent is
		// fine, another country is not.
		if !present {
			for name, cc := range countries {
				if cc != code && len(name) > 3 && containsSeq(toks, strings.Fields(name)) {
					regionOK = false
				}
			}
		}
	}
	found("region", 0.05, regionOK)
	m.Matched = numberOK && postalOK && cityOK && streetShare >= 2.0/3 && regionOK
	return m
}

func usStateCode(s string) string {
	if c, ok := usStates[s]; ok {
		return c
	}
	return s
}

func isNumberToken(t string) bool { return t != "" && t[0] >= '0' && t[0] <= '9' }

func postalFound(text, postal string) bool {
	want := strings.ToUpper(strings.Join(strings.Fields(postal), ""))
	if want == "" {
		return false
	}
	if len(want) == 10 && want[5] == '-' { // US ZIP+4
		want = want[:5]
	}
	// The code's characters with optional spaces between them, not inside
	// a longer number or word.
	var b strings.Builder
	for i, r := range want {
		if i > 0 {
			b.WriteString(`\s?`)
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	re, err := regexp.Compile(`(^|[^0-9A-Z])` + b.String() + `($|[^0-9A-Z]|-\d{4})`)
	return err == nil && re.MatchString(strings.ToUpper(text))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
