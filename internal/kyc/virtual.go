package kyc

// Virtual documents (guide 002: data such as an SSN, a TIN, a passport
// number or a national id) and social documents (a profile URL) come
// with an upload, as a value instead of a file. Each value is validated
// for its type and country, sealed at rest, found again by a keyed hash,
// audited in its masked form and never logged.

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
)

// The document types that carry a value instead of a file.
const (
	TypeVirtual = "VIRTUAL_DOCUMENT"
	TypeSocial  = "SOCIAL_DOCUMENT"
)

// Sub-types of virtual and social documents. X is taken as TWITTER.
var (
	VirtualSubTypes = []string{"SSN", "TIN", "PASSPORT_NUMBER", "NATIONAL_ID"}
	SocialSubTypes  = []string{"FACEBOOK", "LINKEDIN", "TWITTER", "X", "OTHER"}
)

// MaxVirtualValue is the longest value accepted, in characters; a social
// URL is held to it too.
const MaxVirtualValue = 300

// IsValueType reports whether documents of type t (as sent, any case) are
// a value rather than a file.
func IsValueType(t string) bool {
	t = strings.ToUpper(strings.TrimSpace(t))
	return t == TypeVirtual || t == TypeSocial
}

// ValueDetails is what the upload answers of a virtual or social document:
// its sub-type and status, never its value.
type ValueDetails struct {
	Type   string
	Status string
}

// VirtualDocument is a virtual or social document as the customer record
// shows it: Display is the masked value of a virtual document ("•••• 6789")
// or the URL of a social one.
type VirtualDocument struct {
	ID        uuid.UUID
	Kind      string // TypeVirtual or TypeSocial
	SubType   string
	Display   string
	Status    string
	UpdatedAt time.Time
}

// checkedValue is a virtual or social document's value once validated.
type checkedValue struct {
	index   int
	kind    string
	subType string
	country string
	value   string // normalised: what is sealed and hashed
	masked  string // what the audit trail (and, for a virtual document, the customer record) shows
	host    string // a social document's host, for the audit trail
}

// macPurpose separates the keyed hashes of each kind and sub-type.
func (v checkedValue) macPurpose() string { return VirtualMACPurpose(v.kind, v.subType) }

// VirtualMACPurpose is what a virtual document's MAC is keyed by: its
// kind and sub-type.
func VirtualMACPurpose(kind, subType string) string {
	return "virtual-document:" + kind + ":" + subType
}

// VirtualAAD binds a sealed value to its row.
func VirtualAAD(id uuid.UUID) []byte { return []byte("virtual-document:" + id.String()) }

// checkValue validates document i, a virtual or social document, for its
// type and country (the document's issuingCountry, else nationality).
// Errors name documents[i].value or .subType and never repeat the value.
func checkValue(i int, d UploadDoc, nationality string) (checkedValue, error) {
	p := fmt.Sprintf("documents[%d]", i)
	invalid := func(field, msg string, args ...any) error {
		return apperr.Validation(apperr.FieldError{Field: p + "." + field, Issue: fmt.Sprintf(msg, args...)})
	}
	if d.Content.Size > 0 || d.Content.R != nil {
		return checkedValue{}, invalid("content", "a %s is its value: send no file", strings.ToLower(strings.ReplaceAll(d.Type, "_", " ")))
	}
	country := strings.ToUpper(strings.TrimSpace(d.Metadata.IssuingCountry))
	if country == "" {
		country = strings.ToUpper(strings.TrimSpace(nationality))
	}
	v := checkedValue{index: i, kind: d.Type, subType: d.SubType, country: country}
	subs := VirtualSubTypes
	if d.Type == TypeSocial {
		subs = SocialSubTypes
	}
	if !slices.Contains(subs, d.SubType) {
		return v, invalid("subType", "a %s must be one of %s", d.Type, strings.Join(subs, ", "))
	}
	raw := d.Value
	switch {
	case strings.TrimSpace(raw) == "":
		return v, invalid("value", "is required: the %s", strings.ToLower(strings.ReplaceAll(d.SubType, "_", " ")))
	case len(raw) > MaxVirtualValue*4 || utf8.RuneCountInString(raw) > MaxVirtualValue:
		return v, invalid("value", "must be at most %d characters", MaxVirtualValue)
	case !utf8.ValidString(raw) || strings.ContainsFunc(raw, unicode.IsControl):
		return v, invalid("value", "must be printable text, without control characters")
	}
	raw = strings.TrimSpace(raw)
	var (
		issue string
		field = "value"
	)
	switch d.SubType {
	case "SSN":
		// An SSN is a US number whoever holds it: only a document said to
		// be issued elsewhere is refused, not a foreign national's.
		if c := strings.ToUpper(strings.TrimSpace(d.Metadata.IssuingCountry)); c != "" && c != "US" {
			field, issue = "subType", fmt.Sprintf("an SSN is a US number, and this document's issuingCountry is %s: use NATIONAL_ID or TIN", c)
			break
		}
		v.country = "US"
		v.value, issue = checkSSN(raw)
	case "TIN":
		v.value, issue = checkTIN(raw, country)
	case "PASSPORT_NUMBER":
		v.value, issue = checkPassportNumber(raw)
	case "NATIONAL_ID":
		v.value, issue = checkNationalID(raw, country)
	default:
		if d.SubType == "X" {
			v.subType = "TWITTER"
		}
		v.value, v.host, issue = checkProfileURL(raw, v.subType)
	}
	if issue != "" {
		return v, invalid(field, "%s", issue)
	}
	if d.Type == TypeVirtual {
		v.masked = fieldcrypt.Mask(v.value, 4)
	} else {
		v.masked = v.host + "/" + fieldcrypt.Mask(strings.TrimPrefix(v.value, "https://"+v.host+"/"), 4)
	}
	return v, nil
}

var (
	ssnPattern   = regexp.MustCompile(`^(\d{3})-?(\d{2})-?(\d{4})$`)
	einPattern   = regexp.MustCompile(`^(\d{2})-?(\d{7})$`)
	alnum        = regexp.MustCompile(`^[A-Z0-9]+$`)
	ninoPattern  = regexp.MustCompile(`^([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])(\d{6})([A-D])$`)
	dniPattern   = regexp.MustCompile(`^(\d{8})([A-Z])$`)
	niePattern   = regexp.MustCompile(`^([XYZ])(\d{7})([A-Z])$`)
	separatorsRe = regexp.MustCompile(`[\s\-./]`)
)

// checkSSN takes a US Social Security number as AAA-GG-SSSS or nine
// digits, and refuses the numbers the SSA never issues: area 000, 666 or
// 900–999, group 00, serial 0000. The result is AAA-GG-SSSS.
func checkSSN(s string) (string, string) {
	m := ssnPattern.FindStringSubmatch(s)
	if m == nil || (len(s) == 10) {
		return "", "must be a US Social Security number: AAA-GG-SSSS or 9 digits"
	}
	area, group, serial := m[1], m[2], m[3]
	switch {
	case area == "000" || area == "666" || area[0] == '9':
		return "", "is not an issued SSN: the area number (first three digits) cannot be 000, 666 or 900–999"
	case group == "00":
		return "", "is not an issued SSN: the group number (digits 4 and 5) cannot be 00"
	case serial == "0000":
		return "", "is not an issued SSN: the serial number (last four digits) cannot be 0000"
	}
	return area + "-" + group + "-" + serial, ""
}

// einInvalidPrefixes are the first two digits the IRS does not assign to
// an Employer Identification Number.
var einInvalidPrefixes = []string{"00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89", "96", "97"}

// checkTIN takes a taxpayer identification number: in the US an EIN,
// NN-NNNNNNN (or 9 digits) with a prefix the IRS assigns; elsewhere 6 to
// 20 letters and digits with at least one digit (spaces, hyphens, dots and
// slashes ignored) — no country's own rule is checked.
func checkTIN(s, country string) (string, string) {
	if country == "US" {
		m := einPattern.FindStringSubmatch(s)
		if m == nil {
			return "", "must be a US EIN: NN-NNNNNNN"
		}
		if slices.Contains(einInvalidPrefixes, m[1]) {
			return "", fmt.Sprintf("is not an EIN the IRS assigns: no EIN begins with %s", m[1])
		}
		return m[1] + "-" + m[2], ""
	}
	t := strings.ToUpper(separatorsRe.ReplaceAllString(s, ""))
	if !alnum.MatchString(t) || len(t) < 6 || len(t) > 20 || !strings.ContainsAny(t, "0123456789") {
		return "", "must be 6 to 20 letters and digits, with at least one digit"
	}
	return t, ""
}

// checkPassportNumber takes 6 to 9 letters and digits (ICAO 9303 leaves
// the number's format to the issuer and allows at most 9 characters).
func checkPassportNumber(s string) (string, string) {
	t := strings.ToUpper(s)
	if !alnum.MatchString(t) || len(t) < 6 || len(t) > 9 {
		return "", "must be 6 to 9 letters and digits"
	}
	return t, ""
}

// dniLetters is Spain's DNI and NIE check letter, by the number modulo 23.
const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// checkNationalID takes a national id by the country's published rule
// where there is a simple one: GB, the National Insurance number (two
// prefix letters as HMRC allocates them, six digits, a suffix A–D); ES,
// the DNI (8 digits and the check letter) or the NIE (X, Y or Z, 7 digits
// and the check letter). Elsewhere 5 to 20 letters and digits (spaces,
// hyphens, dots and slashes ignored).
func checkNationalID(s, country string) (string, string) {
	t := strings.ToUpper(separatorsRe.ReplaceAllString(s, ""))
	switch country {
	case "GB":
		m := ninoPattern.FindStringSubmatch(t)
		if m == nil {
			return "", "must be a National Insurance number: two letters, six digits and A, B, C or D (e.g. AB 12 34 56 C)"
		}
		if slices.Contains([]string{"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}, m[1]+m[2]) {
			return "", fmt.Sprintf("is not a National Insurance number: the prefix %s%s is not allocated", m[1], m[2])
		}
		return t, ""
	case "ES":
		num, letter := "", ""
		if m := dniPattern.FindStringSubmatch(t); m != nil {
			num, letter = m[1], m[2]
		} else if m := niePattern.FindStringSubmatch(t); m != nil {
			num, letter = string(rune('0'+strings.Index("XYZ", m[1])))+m[2], m[3]
		} else {
			return "", "must be a DNI (8 digits and a letter) or an NIE (X, Y or Z, 7 digits and a letter)"
		}
		n := 0
		for _, c := range num {
			n = n*10 + int(c-'0')
		}
		if string(dniLetters[n%23]) != letter {
			return "", "the check letter does not match the number"
		}
		return t, ""
	}
	if !alnum.MatchString(t) || len(t) < 5 || len(t) > 20 {
		return "", "must be 5 to 20 letters and digits"
	}
	return t, ""
}

// networkHosts are the domains of each social network's profiles.
var networkHosts = map[string][]string{
	"FACEBOOK": {"facebook.com", "fb.com"},
	"LINKEDIN": {"linkedin.com"},
	"TWITTER":  {"twitter.com", "x.com"},
}

// checkProfileURL takes a profile URL: https, a host name (no address,
// no user name or password, no port), on the network's domain or a
// sub-domain of it for FACEBOOK, LINKEDIN and TWITTER, and a path naming
// the profile. The result is the URL with the host in lower case and
// without a fragment.
func checkProfileURL(s, network string) (string, string, string) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "", "", "must be the profile's URL, such as https://www.linkedin.com/in/your-name"
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case !strings.EqualFold(u.Scheme, "https"):
		return "", "", "must be an https URL"
	case u.User != nil:
		return "", "", "must not hold a user name or password"
	case u.Port() != "":
		return "", "", "must not name a port"
	case host == "" || net.ParseIP(host) != nil || !strings.Contains(host, "."):
		return "", "", "must name the site by its host name"
	case strings.Trim(u.EscapedPath(), "/") == "":
		return "", "", "must name the profile, not the site's home page"
	}
	if domains, ok := networkHosts[network]; ok {
		if !slices.ContainsFunc(domains, func(d string) bool { return host == d || strings.HasSuffix(host, "."+d) }) {
			return "", "", fmt.Sprintf("must be a %s profile (%s)", strings.ToLower(network), strings.Join(domains, ", "))
		}
	}
	u.Scheme, u.Host, u.Fragment, u.RawFragment = "https", host, "", ""
	return u.String(), host, ""
}

// virtualDuplicate is the index of the first of vals the customer already
// has (by keyed hash), or -1.
func (s *Service) virtualDuplicate(ctx context.Context, q *db.Queries, tenant, cust uuid.UUID, vals []checkedValue) (int, error) {
	for _, v := range vals {
		dup, err := q.VirtualDocumentExists(ctx, db.VirtualDocumentExistsParams{TenantID: tenant, CustomerID: cust, Kind: v.kind,
			SubType: v.subType, Macs: s.crypt.MACs(v.macPurpose(), []byte(v.value))})
		if err != nil {
			return -1, err
		}
		if dup {
			return v.index, nil
		}
	}
	return -1, nil
}

func errDuplicateValue(i int) error {
	return fieldErr("DUPLICATE_UPLOAD", fmt.Sprintf("documents[%d].value", i), "the customer already has this document with the same value", apperr.Conflict)
}

// storeValues seals and inserts vals for verification vr inside q's
// transaction, each with its audit record (masked, never the value).
func (s *Service) storeValues(ctx context.Context, q *db.Queries, tenant, vr, cust uuid.UUID, vals []checkedValue) error {
	for _, v := range vals {
		id := uuid.New()
		stored := v.masked
		if v.kind == TypeSocial {
			stored = ""
		}
		_, err := q.InsertVirtualDocument(ctx, db.InsertVirtualDocumentParams{ID: id, TenantID: tenant, CustomerID: cust, VerificationRequestID: vr,
			Kind: v.kind, SubType: v.subType, Country: v.country, ValueSealed: s.crypt.Seal([]byte(v.value), VirtualAAD(id)),
			ValueMac: s.crypt.MAC(v.macPurpose(), []byte(v.value)), Masked: stored, Status: DocValid, KeyID: s.crypt.ActiveID()})
		if db.IsUniqueViolation(err, "") {
			return errDuplicateValue(v.index)
		}
		if err != nil {
			return err
		}
		after := map[string]any{"verificationRequestId": vr, "customerId": cust, "type": v.kind, "subType": v.subType, "country": v.country,
			"masked": v.masked, "status": DocValid}
		if v.host != "" {
			after["host"] = v.host
		}
		if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "document.uploaded", EntityType: "virtual_document",
			EntityID: id.String(), After: after}); err != nil {
			return err
		}
	}
	return nil
}

// CustomerValueDocuments are customer's virtual and social documents,
// newest first: virtual ones masked to their last four characters, social
// ones with their URL (opened for the purpose).
func (s *Service) CustomerValueDocuments(ctx context.Context, tenant, cust uuid.UUID) ([]VirtualDocument, error) {
	var rows []db.VirtualDocument
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		var err error
		rows, err = q.CustomerVirtualDocuments(ctx, db.CustomerVirtualDocumentsParams{TenantID: tenant, CustomerID: cust})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: virtual documents: %w", err)
	}
	out := make([]VirtualDocument, 0, len(rows))
	for _, r := range rows {
		d := VirtualDocument{ID: r.ID, Kind: r.Kind, SubType: r.SubType, Display: r.Masked, Status: r.Status, UpdatedAt: r.UpdatedAt}
		if r.Kind == TypeSocial {
			b, err := s.crypt.Open(r.ValueSealed, VirtualAAD(r.ID))
			if err != nil {
				return nil, fmt.Errorf("kyc: virtual document %s: %w", r.ID, err)
			}
			d.Display = string(b)
		}
		out = append(out, d)
	}
	return out, nil
}

// OpenedValue is a virtual or social document with its value opened.
type OpenedValue struct {
	ID                    uuid.UUID `json:"id"`
	VerificationRequestID uuid.UUID `json:"verificationRequestId"`
	Kind                  string    `json:"kind"`
	SubType               string    `json:"subType"`
	Country               string    `json:"country"`
	Value                 string    `json:"value"`
	Status                string    `json:"status"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
}

// CustomerValuesOpened are customer's virtual and social documents with
// their values opened, newest first, for the customer's own subject
// access export; opening them is audited, as a document's view is.
func (s *Service) CustomerValuesOpened(ctx context.Context, tenant, cust uuid.UUID) ([]OpenedValue, error) {
	var out []OpenedValue
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.CustomerVirtualDocuments(ctx, db.CustomerVirtualDocumentsParams{TenantID: tenant, CustomerID: cust})
		if err != nil {
			return err
		}
		for _, r := range rows {
			b, err := s.crypt.Open(r.ValueSealed, VirtualAAD(r.ID))
			if err != nil {
				return fmt.Errorf("virtual document %s: %w", r.ID, err)
			}
			out = append(out, OpenedValue{ID: r.ID, VerificationRequestID: r.VerificationRequestID, Kind: r.Kind, SubType: r.SubType,
				Country: r.Country, Value: string(b), Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
			if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "document.viewed", EntityType: "virtual_document",
				EntityID: r.ID.String(), After: map[string]any{"customerId": cust, "type": r.Kind, "subType": r.SubType, "purpose": "subject access"}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kyc: virtual documents opened: %w", err)
	}
	return out, nil
}
