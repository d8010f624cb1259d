package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/customer"
)

// Branch types.
const (
	TypeBranch   = "BRANCH"
	TypePayPoint = "PAY_POINT"
	TypeAgent    = "AGENT"
	TypeDigital  = "DIGITAL"
)

// BranchTypes lists the types of a point of service.
var BranchTypes = []string{TypeBranch, TypePayPoint, TypeAgent, TypeDigital}

// Branch statuses.
const (
	BranchActive   = "ACTIVE"
	BranchInactive = "INACTIVE"
)

// BranchStatuses lists the statuses of a branch.
var BranchStatuses = []string{BranchActive, BranchInactive}

// Weekdays are the keys of opening hours, Monday first.
var Weekdays = []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}

// Limits of a branch.
const (
	maxBranchText = 200
	maxServices   = 30
	branchEntity  = "branch"
)

// Address is where a branch is.
type Address struct {
	Street     string
	City       string
	Region     string
	PostalCode string
	Country    string
}

// Branch is a branch, pay point, agent or digital point of service.
type Branch struct {
	ID      uuid.UUID
	Code    string
	Name    string
	Type    string
	Status  string
	Address Address
	// Latitude and Longitude are WGS 84 degrees, both nil for a point
	// without a place.
	Latitude  *float64
	Longitude *float64
	// OpeningHours has, per weekday (MON..SUN), ranges "HH:MM-HH:MM"; a
	// day without ranges is closed.
	OpeningHours map[string][]string
	Services     []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// DistanceKm is the great-circle distance from the place asked about
	// (nearest-branch searches only).
	DistanceKm float64
}

// HoursText is a day's opening hours as people write them: "09:00-12:30,
// 13:30-17:00", or "" when closed.
func (b Branch) HoursText(day string) string { return strings.Join(b.OpeningHours[day], ", ") }

func branchOf(r db.Branch) Branch {
	b := Branch{ID: r.ID, Code: r.Code, Name: r.Name, Type: r.Type, Status: r.Status,
		Address:  Address{Street: r.Street, City: r.City, Region: r.Region, PostalCode: r.PostalCode, Country: r.Country},
		Latitude: r.Latitude, Longitude: r.Longitude, Services: r.Services, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		OpeningHours: map[string][]string{}}
	_ = json.Unmarshal(r.OpeningHours, &b.OpeningHours)
	if b.Services == nil {
		b.Services = []string{}
	}
	return b
}

// BranchInput is a branch as typed into the portal's form.
type BranchInput struct {
	Code       string
	Name       string
	Type       string
	Street     string
	City       string
	Region     string
	PostalCode string
	Country    string
	Latitude   string
	Longitude  string
	// Hours has per weekday (MON..SUN) the day's ranges: "09:00-12:30,
	// 13:30-17:00"; empty or "closed" for a closed day.
	Hours map[string]string
	// Services are codes separated by commas or spaces.
	Services string
	Active   bool
}

var timeRange = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})\s*[-–]\s*([0-9]{2}):([0-9]{2})$`)

// parseHours reads one day's ranges into sorted "HH:MM-HH:MM" strings;
// problem is "" when they are good.
func parseHours(s string) ([]string, string) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "closed") {
		return []string{}, ""
	}
	type span struct{ from, to int }
	var spans []span
	for _, part := range strings.Split(s, ",") {
		m := timeRange.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return nil, fmt.Sprintf("%q is not a range: write HH:MM-HH:MM, several separated by commas", strings.TrimSpace(part))
		}
		n := make([]int, 4)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+1])
		}
		from, to := n[0]*60+n[1], n[2]*60+n[3]
		switch {
		case n[0] > 23 || n[1] > 59 || n[3] > 59 || n[2] > 24 || (n[2] == 24 && n[3] != 0):
			return nil, fmt.Sprintf("%q is not a time of day", strings.TrimSpace(part))
		case from >= to:
			return nil, fmt.Sprintf("%q ends before it starts", strings.TrimSpace(part))
		}
		spans = append(spans, span{from, to})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	out := make([]string, 0, len(spans))
	for i, sp := range spans {
		if i > 0 && sp.from < spans[i-1].to {
			return nil, "the ranges overlap"
		}
		out = append(out, fmt.Sprintf("%02d:%02d-%02d:%02d", sp.from/60, sp.from%60, sp.to/60, sp.to%60))
	}
	return out, ""
}

// parseCoordinate reads a latitude or longitude in degrees within limit.
func parseCoordinate(s string, limit float64) (float64, string) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "must be a number of degrees, e.g. 51.5074"
	}
	if v < -limit || v > limit {
		return 0, fmt.Sprintf("must be between -%g and %g", limit, limit)
	}
	return math.Round(v*1e6) / 1e6, ""
}

type branchSpec struct {
	Branch
	hours json.RawMessage
}

// parseBranch validates a branch form; problems are named by field:
// code, name, type, street, city, region, postalCode, country, latitude,
// longitude, openingHours.MON .. openingHours.SUN, services.
func parseBranch(in BranchInput) (branchSpec, error) {
	var fe apperr.Fields
	b := Branch{Code: normCode(in.Code), Name: strings.TrimSpace(in.Name), Type: strings.ToUpper(strings.TrimSpace(in.Type)),
		Status: BranchInactive, OpeningHours: map[string][]string{}, Services: []string{},
		Address: Address{Street: strings.TrimSpace(in.Street), City: strings.TrimSpace(in.City), Region: strings.TrimSpace(in.Region),
			PostalCode: strings.ToUpper(strings.TrimSpace(in.PostalCode)), Country: strings.ToUpper(strings.TrimSpace(in.Country))}}
	if in.Active {
		b.Status = BranchActive
	}
	switch {
	case b.Code == "":
		fe.Add("code", "is required, e.g. LDN_001")
	case !codePattern.MatchString(b.Code):
		fe.Add("code", "must be 2 to 64 capitals, digits and underscores, starting with a letter")
	}
	switch n := len([]rune(b.Name)); {
	case n == 0:
		fe.Add("name", "is required")
	case n > maxBranchText:
		fe.Add("name", "must be at most %d characters", maxBranchText)
	}
	if !slices.Contains(BranchTypes, b.Type) {
		fe.Add("type", "must be one of %s", strings.Join(BranchTypes, ", "))
	}
	for _, f := range []struct{ field, v string }{{"street", b.Address.Street}, {"city", b.Address.City},
		{"region", b.Address.Region}, {"postalCode", b.Address.PostalCode}} {
		if len([]rune(f.v)) > maxBranchText {
			fe.Add(f.field, "must be at most %d characters", maxBranchText)
		}
	}
	if b.Address.Country != "" && !customer.ValidCountry(b.Address.Country) {
		fe.Add("country", "%q is not an ISO 3166 alpha-2 country code", b.Address.Country)
	}
	lat, lon := strings.TrimSpace(in.Latitude), strings.TrimSpace(in.Longitude)
	switch {
	case lat == "" && lon == "":
		if b.Type != TypeDigital && slices.Contains(BranchTypes, b.Type) {
			fe.Add("latitude", "is required: channels find a %s by distance", strings.ToLower(strings.ReplaceAll(b.Type, "_", " ")))
			fe.Add("longitude", "is required with the latitude")
		}
	case lat == "":
		fe.Add("latitude", "is required with the longitude")
	case lon == "":
		fe.Add("longitude", "is required with the latitude")
	default:
		la, p1 := parseCoordinate(lat, 90)
		lo, p2 := parseCoordinate(lon, 180)
		if p1 != "" {
			fe.Add("latitude", "%s", p1)
		}
		if p2 != "" {
			fe.Add("longitude", "%s", p2)
		}
		if p1 == "" && p2 == "" {
			b.Latitude, b.Longitude = &la, &lo
		}
	}
	for _, day := range Weekdays {
		ranges, problem := parseHours(in.Hours[day])
		if problem != "" {
			fe.Add("openingHours."+day, "%s", problem)
			continue
		}
		if len(ranges) > 0 {
			b.OpeningHours[day] = ranges
		}
	}
	for _, sv := range strings.FieldsFunc(in.Services, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		sv = normCode(sv)
		if !codePattern.MatchString(sv) {
			fe.Add("services", "%q is not a service code: capitals, digits and underscores, e.g. CASH_OUT", sv)
			break
		}
		if !slices.Contains(b.Services, sv) {
			b.Services = append(b.Services, sv)
		}
	}
	if len(b.Services) > maxServices {
		fe.Add("services", "at most %d services", maxServices)
	}
	if err := fe.Err(); err != nil {
		return branchSpec{Branch: b}, err
	}
	hours, err := json.Marshal(b.OpeningHours)
	if err != nil {
		return branchSpec{}, err
	}
	return branchSpec{Branch: b, hours: hours}, nil
}

// branchState is a branch as the audit trail and events show it.
func branchState(b Branch) map[string]any {
	st := map[string]any{"code": b.Code, "name": b.Name, "type": b.Type, "status": b.Status,
		"address": map[string]string{"street": b.Address.Street, "city": b.Address.City, "region": b.Address.Region,
			"postalCode": b.Address.PostalCode, "country": b.Address.Country},
		"openingHours": b.OpeningHours, "services": b.Services, "latitude": b.Latitude, "longitude": b.Longitude}
	return st
}

func errNoBranch() error { return apperr.New(apperr.NotFound, "no such branch") }

func codeTaken(err error) error {
	if db.IsUniqueViolation(err, "branches_tenant_id_code_key") {
		return apperr.Validation(apperr.FieldError{Field: "code", Issue: "is already used by another branch"})
	}
	return err
}

// CreateBranch adds a branch, audited, with a config.changed event.
func (s *Service) CreateBranch(ctx context.Context, tenant uuid.UUID, in BranchInput) (Branch, error) {
	spec, err := parseBranch(in)
	if err != nil {
		return Branch{}, err
	}
	var out Branch
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		b := spec.Branch
		row, err := q.InsertBranch(ctx, db.InsertBranchParams{ID: uuid.New(), TenantID: tenant, Code: b.Code, Name: b.Name, Type: b.Type,
			Status: b.Status, Street: b.Address.Street, City: b.Address.City, Region: b.Address.Region, PostalCode: b.Address.PostalCode,
			Country: b.Address.Country, Latitude: b.Latitude, Longitude: b.Longitude, OpeningHours: spec.hours, Services: b.Services})
		if err != nil {
			return codeTaken(err)
		}
		out = branchOf(row)
		return s.recordChange(ctx, q, tenant, "catalog.branch.created", branchEntity, out.ID, nil, branchState(out), true)
	})
	return out, wrap("create branch", err)
}

// UpdateBranch changes a branch, audited before and after, with a
// config.changed event.
func (s *Service) UpdateBranch(ctx context.Context, tenant, id uuid.UUID, in BranchInput) (Branch, error) {
	spec, err := parseBranch(in)
	if err != nil {
		return Branch{}, err
	}
	var out Branch
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		old, err := q.BranchForUpdate(ctx, db.BranchForUpdateParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoBranch()
		}
		if err != nil {
			return err
		}
		b := spec.Branch
		row, err := q.UpdateBranch(ctx, db.UpdateBranchParams{ID: id, TenantID: tenant, Code: b.Code, Name: b.Name, Type: b.Type,
			Status: b.Status, Street: b.Address.Street, City: b.Address.City, Region: b.Address.Region, PostalCode: b.Address.PostalCode,
			Country: b.Address.Country, Latitude: b.Latitude, Longitude: b.Longitude, OpeningHours: spec.hours, Services: b.Services})
		if err != nil {
			return codeTaken(err)
		}
		out = branchOf(row)
		return s.recordChange(ctx, q, tenant, "catalog.branch.updated", branchEntity, id, branchState(branchOf(old)), branchState(out), true)
	})
	return out, wrap("update branch", err)
}

// SetBranchStatus opens (ACTIVE) or closes (INACTIVE) a branch to the
// nearest-branch search.
func (s *Service) SetBranchStatus(ctx context.Context, tenant, id uuid.UUID, status string) (Branch, error) {
	if !slices.Contains(BranchStatuses, status) {
		return Branch{}, apperr.Validation(apperr.FieldError{Field: "status", Issue: "must be ACTIVE or INACTIVE"})
	}
	var out Branch
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		old, err := q.BranchForUpdate(ctx, db.BranchForUpdateParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoBranch()
		}
		if err != nil {
			return err
		}
		if old.Status == status {
			out = branchOf(old)
			return nil
		}
		row, err := q.UpdateBranch(ctx, db.UpdateBranchParams{ID: id, TenantID: tenant, Code: old.Code, Name: old.Name, Type: old.Type,
			Status: status, Street: old.Street, City: old.City, Region: old.Region, PostalCode: old.PostalCode, Country: old.Country,
			Latitude: old.Latitude, Longitude: old.Longitude, OpeningHours: old.OpeningHours, Services: old.Services})
		if err != nil {
			return err
		}
		out = branchOf(row)
		return s.recordChange(ctx, q, tenant, "catalog.branch.status", branchEntity, id,
			map[string]string{"status": old.Status}, map[string]string{"status": status}, true)
	})
	return out, wrap("branch status", err)
}

// Branch returns one branch.
func (s *Service) Branch(ctx context.Context, tenant, id uuid.UUID) (Branch, error) {
	var out Branch
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.BranchByID(ctx, db.BranchByIDParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoBranch()
		}
		out = branchOf(row)
		return err
	})
	return out, wrap("branch", err)
}

// BranchFilter narrows and orders the branch list.
type BranchFilter struct {
	Query   string
	Type    string
	Status  string
	Country string
	// Sort is "" (by code), "name", "city" or "updated".
	Sort          string
	Limit, Offset int
}

// BranchSorts are the orders of the branch list.
var BranchSorts = []string{"", "name", "city", "updated"}

// Branches lists the tenant's branches.
func (s *Service) Branches(ctx context.Context, tenant uuid.UUID, f BranchFilter) (Page[Branch], error) {
	var fe apperr.Fields
	if f.Type != "" && !slices.Contains(BranchTypes, f.Type) {
		fe.Add("type", "unknown type %q", f.Type)
	}
	if f.Status != "" && !slices.Contains(BranchStatuses, f.Status) {
		fe.Add("status", "unknown status %q", f.Status)
	}
	if !slices.Contains(BranchSorts, f.Sort) {
		fe.Add("sort", "unknown order %q", f.Sort)
	}
	if err := fe.Err(); err != nil {
		return Page[Branch]{}, err
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	var p Page[Branch]
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListBranches(ctx, db.ListBranchesParams{TenantID: tenant, Q: likePattern(f.Query), Type: f.Type, Status: f.Status,
			Country: strings.ToUpper(strings.TrimSpace(f.Country)), Sort: f.Sort, MaxRows: limit, Skip: offset})
		for _, r := range rows {
			p.Total = r.Total
			p.Rows = append(p.Rows, branchOf(db.Branch{ID: r.ID, TenantID: r.TenantID, Code: r.Code, Name: r.Name, Type: r.Type,
				Status: r.Status, Street: r.Street, City: r.City, Region: r.Region, PostalCode: r.PostalCode, Country: r.Country,
				Latitude: r.Latitude, Longitude: r.Longitude, OpeningHours: r.OpeningHours, Services: r.Services,
				CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}))
		}
		return err
	})
	return p, wrap("branches", err)
}

// NearQuery asks for the branches nearest a place. The fields are the
// API's query parameters as given: near is "<lat>,<lon>" in degrees,
// type and service filter, limit defaults to 10 (at most 50), radiusKm
// (optional) bounds the search.
type NearQuery struct {
	Near     string
	Type     string
	Service  string
	Limit    string
	RadiusKm string
}

// Defaults and bounds of a nearest-branch search.
const (
	DefaultNearLimit = 10
	MaxNearLimit     = 50
	earthRadiusKm    = 6371.0088
	// halfCircumferenceKm reaches every point on Earth.
	halfCircumferenceKm = math.Pi * earthRadiusKm
)

// searchRadii are the widening circles of a search without a radius: a
// dense city is answered from the first, a rural area from a later one.
var searchRadii = []float64{5, 25, 100, 500, 2500, halfCircumferenceKm + 1}

// NearestBranches returns the tenant's active branches nearest a place,
// nearest first, each with its distance. The distance is the haversine
// great-circle distance on a sphere of the Earth's mean radius (6371.0088
// km), worked out in PostgreSQL. To stay fast with many branches the
// search looks inside a bounding box around the place (the branches_near
// index) and widens it — 5, 25, 100, 500 and 2500 km, then the whole
// Earth — until it has limit branches or radiusKm is reached; a branch
// only counts when its true distance is inside the circle, so the order
// is exact.
func (s *Service) NearestBranches(ctx context.Context, tenant uuid.UUID, nq NearQuery) ([]Branch, error) {
	var fe apperr.Fields
	lat, lon, problem := parseNear(nq.Near)
	if problem != "" {
		fe.Add("near", "%s", problem)
	}
	typ := strings.ToUpper(strings.TrimSpace(nq.Type))
	if typ != "" && !slices.Contains(BranchTypes, typ) {
		fe.Add("type", "must be one of %s", strings.Join(BranchTypes, ", "))
	}
	service := normCode(nq.Service)
	if service != "" && !codePattern.MatchString(service) {
		fe.Add("service", "must be a service code such as CASH_OUT")
	}
	limit := DefaultNearLimit
	if l := strings.TrimSpace(nq.Limit); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxNearLimit {
			fe.Add("limit", "must be a whole number from 1 to %d", MaxNearLimit)
		}
		limit = n
	}
	radii := searchRadii
	if r := strings.TrimSpace(nq.RadiusKm); r != "" {
		v, err := strconv.ParseFloat(r, 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v > halfCircumferenceKm+1 {
			fe.Add("radiusKm", "must be a number of kilometres above 0 and at most %.0f", halfCircumferenceKm+1)
		}
		radii = []float64{v}
		for _, sr := range searchRadii {
			if sr < v {
				radii = append([]float64{sr}, radii...)
			}
		}
		slices.Sort(radii)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []Branch
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		for _, radius := range radii {
			box := boundingBox(lat, lon, radius)
			rows, err := q.NearestBranches(ctx, db.NearestBranchesParams{TenantID: tenant, Lat: lat, Lon: lon,
				MinLat: box.minLat, MaxLat: box.maxLat, AnyLon: box.anyLon, MinLon: box.minLon, MaxLon: box.maxLon,
				Type: typ, Service: service, RadiusKm: radius, MaxRows: int32(limit)})
			if err != nil {
				return err
			}
			out = out[:0]
			for _, r := range rows {
				b := branchOf(db.Branch{ID: r.ID, TenantID: r.TenantID, Code: r.Code, Name: r.Name, Type: r.Type, Status: r.Status,
					Street: r.Street, City: r.City, Region: r.Region, PostalCode: r.PostalCode, Country: r.Country, Latitude: r.Latitude,
					Longitude: r.Longitude, OpeningHours: r.OpeningHours, Services: r.Services, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
				b.DistanceKm = r.DistanceKm
				out = append(out, b)
			}
			if len(out) >= limit {
				break
			}
		}
		return nil
	})
	if out == nil {
		out = []Branch{}
	}
	return out, wrap("nearest branches", err)
}

// parseNear reads "<lat>,<lon>".
func parseNear(s string) (float64, float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, "is required: <latitude>,<longitude> in degrees, e.g. 51.5074,-0.1278"
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, "must be <latitude>,<longitude> in degrees, e.g. 51.5074,-0.1278"
	}
	lat, p := parseCoordinate(a, 90)
	if p != "" {
		return 0, 0, "latitude " + p
	}
	lon, p := parseCoordinate(b, 180)
	if p != "" {
		return 0, 0, "longitude " + p
	}
	return lat, lon, ""
}

type bbox struct {
	minLat, maxLat, minLon, maxLon float64
	anyLon                         bool
}

// boundingBox is the smallest latitude/longitude box holding the circle
// of radiusKm around (lat, lon). A circle over a pole or across the
// antimeridian takes every longitude; the distance test stays exact.
func boundingBox(lat, lon, radiusKm float64) bbox {
	d := radiusKm / earthRadiusKm // angular radius, radians
	dLat := d * 180 / math.Pi
	b := bbox{minLat: lat - dLat, maxLat: lat + dLat}
	if b.minLat <= -90 || b.maxLat >= 90 {
		b.minLat, b.maxLat = max(b.minLat, -90), min(b.maxLat, 90)
		b.anyLon = true
		return b
	}
	dLon := math.Asin(math.Min(1, math.Sin(d)/math.Cos(lat*math.Pi/180))) * 180 / math.Pi
	b.minLon, b.maxLon = lon-dLon, lon+dLon
	if b.minLon < -180 || b.maxLon > 180 {
		b.anyLon = true
	}
	return b
}

// HaversineKm is the great-circle distance between two places in
// kilometres, as the nearest-branch search computes it.
func HaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	a := math.Pow(math.Sin((lat2-lat1)*rad/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin((lon2-lon1)*rad/2), 2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// wrap adds context to an unexpected error and lets domain errors through.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	return fmt.Errorf("catalog: %s: %w", what, err)
}
