package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/audit"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/telemetry"
)

// Connector types.
const (
	ConnKYCProvider     = "KYC_PROVIDER"
	ConnSanctionsSource = "SANCTIONS_SOURCE"
	ConnSMSSender       = "SMS_SENDER"
	ConnEmailSender     = "EMAIL_SENDER"
	ConnPaymentRail     = "PAYMENT_RAIL"
	ConnWebhook         = "WEBHOOK"
)

// Connector statuses.
const (
	ConnectorEnabled  = "ENABLED"
	ConnectorDisabled = "DISABLED"
)

// ConnectorStatuses lists the statuses of a connector.
var ConnectorStatuses = []string{ConnectorEnabled, ConnectorDisabled}

// Health of a connector, from its last connection test.
const (
	HealthUnknown   = "UNKNOWN"
	HealthHealthy   = "HEALTHY"
	HealthUnhealthy = "UNHEALTHY"
)

// HealthStates lists the health states of a connector.
var HealthStates = []string{HealthUnknown, HealthHealthy, HealthUnhealthy}

// Kinds of configuration field.
const (
	FieldURL      = "url"
	FieldText     = "text"
	FieldEmail    = "email"
	FieldSender   = "sender"
	FieldCurrency = "currency"
	FieldChoice   = "choice"
	FieldHours    = "hours"
)

// ConfigField is one setting of a connector type.
type ConfigField struct {
	Key      string
	Label    string
	Hint     string
	Kind     string
	Required bool
	Choices  []string
}

// ConnectorType is a kind of outside service and what configures it.
type ConnectorType struct {
	Code        string
	Label       string
	Description string
	// SecretLabel names the type's secret: API key, auth token, ...
	SecretLabel string
	Fields      []ConfigField
}

// BaseURLKey is the configuration key every type has: where the service
// is, and what "test connection" tries.
const BaseURLKey = "baseUrl"

func baseURL(label, hint string) ConfigField {
	return ConfigField{Key: BaseURLKey, Label: label, Hint: hint, Kind: FieldURL, Required: true}
}

// ConnectorTypes lists the connector types and their settings.
var ConnectorTypes = []ConnectorType{
	{Code: ConnKYCProvider, Label: "KYC provider", Description: "Document and identity verification service", SecretLabel: "API key",
		Fields: []ConfigField{baseURL("Base URL", "The provider's API, e.g. https://api.provider.example/v1"),
			{Key: "accountId", Label: "Account id", Hint: "Your account or workspace at the provider", Kind: FieldText}}},
	{Code: ConnSanctionsSource, Label: "Sanctions list source", Description: "Where a sanctions or PEP list is downloaded from", SecretLabel: "API key",
		Fields: []ConfigField{baseURL("List URL", "Where the list is downloaded from"),
			{Key: "format", Label: "Format", Kind: FieldChoice, Required: true, Choices: []string{"XML", "CSV", "JSON"}},
			{Key: "refreshHours", Label: "Refresh every (hours)", Hint: "1 to 168", Kind: FieldHours}}},
	{Code: ConnSMSSender, Label: "SMS sender", Description: "Sends one-time codes and notices by SMS", SecretLabel: "Auth token",
		Fields: []ConfigField{baseURL("Base URL", "The SMS gateway's API"),
			{Key: "senderId", Label: "Sender id", Hint: "Up to 11 letters and digits, or a phone number in E.164", Kind: FieldSender, Required: true}}},
	{Code: ConnEmailSender, Label: "E-mail sender", Description: "Sends e-mail to customers", SecretLabel: "API key",
		Fields: []ConfigField{baseURL("Base URL", "The e-mail service's API"),
			{Key: "fromAddress", Label: "From address", Kind: FieldEmail, Required: true},
			{Key: "fromName", Label: "From name", Kind: FieldText}}},
	{Code: ConnPaymentRail, Label: "Payment rail", Description: "Moves money: a scheme, a bank or a processor", SecretLabel: "Client secret",
		Fields: []ConfigField{baseURL("Base URL", "The rail's API"),
			{Key: "participantId", Label: "Participant id", Hint: "e.g. your BIC or scheme member id", Kind: FieldText, Required: true},
			{Key: "currency", Label: "Settlement currency", Hint: "ISO 4217, e.g. GBP", Kind: FieldCurrency, Required: true}}},
	{Code: ConnWebhook, Label: "Outgoing webhook", Description: "An endpoint of yours that receives calls", SecretLabel: "Signing secret",
		Fields: []ConfigField{baseURL("Endpoint URL", "Where the calls go")}},
}

// ConnectorTypeOf returns the type with code.
func ConnectorTypeOf(code string) (ConnectorType, bool) {
	for _, t := range ConnectorTypes {
		if t.Code == code {
			return t, true
		}
	}
	return ConnectorType{}, false
}

// Connector is one instance of an outside service. Its secret never
// leaves the package: SecretHint is all that is shown of it.
type Connector struct {
	ID     uuid.UUID
	Type   string
	Name   string
	Config map[string]string
	Status string
	// SecretSet says whether a secret is stored; SecretHint is its last
	// four characters when it is long enough to spare them, else "".
	SecretSet   bool
	SecretHint  string
	SecretSetAt *time.Time
	Health      string
	CheckedAt   *time.Time
	LatencyMs   *int32
	// HealthDetail says what the last test saw: "HTTP 200", "connection
	// refused", ...
	HealthDetail string
	// CheckFailures counts consecutive failed checks; ChecksPausedUntil,
	// when set, is when the periodic check tries again.
	CheckFailures     int
	ChecksPausedUntil *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// SecretText is what the portal shows of the secret.
func (c Connector) SecretText() string {
	switch {
	case !c.SecretSet:
		return "not set"
	case c.SecretHint != "":
		return "set, ends in …" + c.SecretHint
	default:
		return "set"
	}
}

func connectorOf(r db.Connector) Connector {
	c := Connector{ID: r.ID, Type: r.Type, Name: r.Name, Config: map[string]string{}, Status: r.Status, SecretSet: len(r.Secret) > 0,
		SecretHint: r.SecretHint, SecretSetAt: r.SecretSetAt, Health: r.Health, CheckedAt: r.HealthCheckedAt, LatencyMs: r.HealthLatencyMs,
		HealthDetail: r.HealthDetail, CheckFailures: int(r.CheckFailures), ChecksPausedUntil: r.ChecksPausedUntil,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal(r.Config, &c.Config)
	return c
}

// ConnectorInput is a connector as typed into the portal's form.
type ConnectorInput struct {
	Type   string // only when creating: a connector keeps its type
	Name   string
	Config map[string]string
}

var senderID = regexp.MustCompile(`^([A-Za-z0-9 ]{1,11}|\+[1-9][0-9]{6,14})$`)

// validURL checks a service address; problem is "" when it is good.
func validURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "must be an http or https URL, e.g. https://api.example.com"
	case u.User != nil:
		return "must not hold credentials: store them as the connector's secret"
	case len(raw) > 2000:
		return "is too long"
	}
	return ""
}

// parseConnector validates a form for type typ; problems are named name
// and config.<key>.
func parseConnector(typ ConnectorType, in ConnectorInput) (string, map[string]string, error) {
	var fe apperr.Fields
	name := strings.TrimSpace(in.Name)
	switch n := len([]rune(name)); {
	case n == 0:
		fe.Add("name", "is required, e.g. Primary SMS gateway")
	case n > 100:
		fe.Add("name", "must be at most 100 characters")
	}
	cfg := map[string]string{}
	for _, f := range typ.Fields {
		field := "config." + f.Key
		v := strings.TrimSpace(in.Config[f.Key])
		if v == "" {
			if f.Required {
				fe.Add(field, "is required")
			}
			continue
		}
		problem := ""
		switch f.Kind {
		case FieldURL:
			problem = validURL(v)
		case FieldEmail:
			if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
				problem = "must be an e-mail address"
			}
		case FieldSender:
			if !senderID.MatchString(v) {
				problem = "must be up to 11 letters and digits, or a phone number in E.164 such as +447700900123"
			}
		case FieldCurrency:
			v = strings.ToUpper(v)
			if !ValidCurrency(v) {
				problem = "must be an ISO 4217 currency such as GBP"
			}
		case FieldChoice:
			v = strings.ToUpper(v)
			if !slices.Contains(f.Choices, v) {
				problem = "must be one of " + strings.Join(f.Choices, ", ")
			}
		case FieldHours:
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 168 {
				problem = "must be a whole number of hours from 1 to 168"
			}
		default:
			if len([]rune(v)) > 200 {
				problem = "must be at most 200 characters"
			}
		}
		if problem != "" {
			fe.Add(field, "%s", problem)
			continue
		}
		cfg[f.Key] = v
	}
	return name, cfg, fe.Err()
}

func connectorState(c Connector) map[string]any {
	return map[string]any{"name": c.Name, "type": c.Type, "status": c.Status, "config": c.Config}
}

func errNoConnector() error { return apperr.New(apperr.NotFound, "no such connector") }

func nameTaken(err error) error {
	if db.IsUniqueViolation(err, "connectors_tenant_id_name_key") {
		return apperr.Validation(apperr.FieldError{Field: "name", Issue: "is already the name of another connector"})
	}
	return err
}

// CreateConnector adds a connector, disabled and without a secret: the
// secret is a four-eyes change of its own.
func (s *Service) CreateConnector(ctx context.Context, tenant uuid.UUID, in ConnectorInput) (Connector, error) {
	typ, ok := ConnectorTypeOf(strings.ToUpper(strings.TrimSpace(in.Type)))
	if !ok {
		return Connector{}, apperr.Validation(apperr.FieldError{Field: "type", Issue: "choose a connector type"})
	}
	name, cfg, err := parseConnector(typ, in)
	if err != nil {
		return Connector{}, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return Connector{}, err
	}
	var out Connector
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.InsertConnector(ctx, db.InsertConnectorParams{ID: uuid.New(), TenantID: tenant, Type: typ.Code, Name: name,
			Config: raw, Status: ConnectorDisabled})
		if err != nil {
			return nameTaken(err)
		}
		out = connectorOf(row)
		return s.recordChange(ctx, q, tenant, "catalog.connector.created", connectorEntity, out.ID, nil, connectorState(out), true)
	})
	return out, wrap("create connector", err)
}

const connectorEntity = "connector"

// UpdateConnector changes a connector's name and configuration.
func (s *Service) UpdateConnector(ctx context.Context, tenant, id uuid.UUID, in ConnectorInput) (Connector, error) {
	var out Connector
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		old, err := q.ConnectorForUpdate(ctx, db.ConnectorForUpdateParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoConnector()
		}
		if err != nil {
			return err
		}
		typ, _ := ConnectorTypeOf(old.Type)
		name, cfg, err := parseConnector(typ, in)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		row, err := q.UpdateConnectorConfig(ctx, db.UpdateConnectorConfigParams{TenantID: tenant, ID: id, Name: name, Config: raw})
		if err != nil {
			return nameTaken(err)
		}
		out = connectorOf(row)
		return s.recordChange(ctx, q, tenant, "catalog.connector.updated", connectorEntity, id, connectorState(connectorOf(old)), connectorState(out), true)
	})
	return out, wrap("update connector", err)
}

// SetConnectorStatus enables or disables a connector.
func (s *Service) SetConnectorStatus(ctx context.Context, tenant, id uuid.UUID, status string) (Connector, error) {
	if !slices.Contains(ConnectorStatuses, status) {
		return Connector{}, apperr.Validation(apperr.FieldError{Field: "status", Issue: "must be ENABLED or DISABLED"})
	}
	var out Connector
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		old, err := q.ConnectorForUpdate(ctx, db.ConnectorForUpdateParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoConnector()
		}
		if err != nil {
			return err
		}
		if old.Status == status {
			out = connectorOf(old)
			return nil
		}
		row, err := q.SetConnectorStatus(ctx, db.SetConnectorStatusParams{TenantID: tenant, ID: id, Status: status})
		if err != nil {
			return err
		}
		out = connectorOf(row)
		return s.recordChange(ctx, q, tenant, "catalog.connector.status", connectorEntity, id,
			map[string]string{"status": old.Status}, map[string]string{"status": status}, true)
	})
	return out, wrap("connector status", err)
}

// Connector returns one connector.
func (s *Service) Connector(ctx context.Context, tenant, id uuid.UUID) (Connector, error) {
	var out Connector
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		row, err := q.ConnectorByID(ctx, db.ConnectorByIDParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoConnector()
		}
		out = connectorOf(row)
		return err
	})
	return out, wrap("connector", err)
}

// ConnectorFilter narrows and orders the connector list.
type ConnectorFilter struct {
	Query  string
	Type   string
	Status string
	Health string
	// Sort is "" (by name), "type" or "checked" (last tested first).
	Sort          string
	Limit, Offset int
}

// ConnectorSorts are the orders of the connector list.
var ConnectorSorts = []string{"", "type", "checked"}

// Connectors lists the tenant's connectors.
func (s *Service) Connectors(ctx context.Context, tenant uuid.UUID, f ConnectorFilter) (Page[Connector], error) {
	var fe apperr.Fields
	if _, ok := ConnectorTypeOf(f.Type); f.Type != "" && !ok {
		fe.Add("type", "unknown type %q", f.Type)
	}
	if f.Status != "" && !slices.Contains(ConnectorStatuses, f.Status) {
		fe.Add("status", "unknown status %q", f.Status)
	}
	if f.Health != "" && !slices.Contains(HealthStates, f.Health) {
		fe.Add("health", "unknown health %q", f.Health)
	}
	if !slices.Contains(ConnectorSorts, f.Sort) {
		fe.Add("sort", "unknown order %q", f.Sort)
	}
	if err := fe.Err(); err != nil {
		return Page[Connector]{}, err
	}
	limit, offset := pageBounds(f.Limit, f.Offset)
	var p Page[Connector]
	err := db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		rows, err := q.ListConnectors(ctx, db.ListConnectorsParams{TenantID: tenant, Q: likePattern(f.Query), Type: f.Type,
			Status: f.Status, Health: f.Health, Sort: f.Sort, MaxRows: limit, Skip: offset})
		for _, r := range rows {
			p.Total = r.Total
			p.Rows = append(p.Rows, connectorOf(db.Connector{ID: r.ID, TenantID: r.TenantID, Type: r.Type, Name: r.Name, Config: r.Config,
				Status: r.Status, Secret: r.Secret, SecretHint: r.SecretHint, SecretSetAt: r.SecretSetAt, Health: r.Health,
				HealthCheckedAt: r.HealthCheckedAt, HealthLatencyMs: r.HealthLatencyMs, HealthDetail: r.HealthDetail,
				CheckFailures: r.CheckFailures, ChecksPausedUntil: r.ChecksPausedUntil, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}))
		}
		return err
	})
	return p, wrap("connectors", err)
}

// Secrets ------------------------------------------------------------------

// KindConnectorSecret is the change request kind of setting a connector's
// secret: a four-eyes change.
const KindConnectorSecret = "catalog.connector.secret"

// ConnectorTarget is the approval target type of connectors.
const ConnectorTarget = connectorEntity

// SecretChange is the payload of a secret change request. The secret is
// sealed, bound to its tenant and connector: the change request never
// holds it in clear, and the approval moves the sealed bytes as they are.
type SecretChange struct {
	Sealed []byte `json:"sealed"`
	Hint   string `json:"hint"`
}

// Secret limits.
const (
	minSecret = 8
	maxSecret = 4096
	// A hint shows the last four characters only of secrets long enough
	// that four characters give little away.
	hintFrom = 16
)

func secretAAD(tenant, id uuid.UUID) []byte {
	return []byte("catalog.connector.secret|" + tenant.String() + "|" + id.String())
}

// SealSecret validates a new secret for connector id and seals it into a
// change request's payload. The problem, if any, is named "secret".
func (s *Service) SealSecret(tenant, id uuid.UUID, secret string) (SecretChange, error) {
	switch n := len(secret); {
	case strings.TrimSpace(secret) == "":
		return SecretChange{}, apperr.Validation(apperr.FieldError{Field: "secret", Issue: "is required"})
	case n < minSecret:
		return SecretChange{}, apperr.Validation(apperr.FieldError{Field: "secret", Issue: fmt.Sprintf("must be at least %d characters", minSecret)})
	case n > maxSecret:
		return SecretChange{}, apperr.Validation(apperr.FieldError{Field: "secret", Issue: fmt.Sprintf("must be at most %d characters", maxSecret)})
	case strings.ContainsAny(secret, "\r\n\t"):
		return SecretChange{}, apperr.Validation(apperr.FieldError{Field: "secret", Issue: "must be on one line"})
	}
	ch := SecretChange{Sealed: s.keys.Seal([]byte(secret), secretAAD(tenant, id))}
	if len(secret) >= hintFrom {
		ch.Hint = secret[len(secret)-4:]
	}
	return ch, nil
}

// SecretApplier sets connector secrets under four-eyes.
type SecretApplier struct {
	Keys *fieldcrypt.Keys
	Now  func() time.Time
}

type secretState struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Secret      string `json:"secret"`
	SecretSetAt string `json:"secretSetAt"`
}

func secretStateOf(c Connector) secretState {
	st := secretState{Name: c.Name, Type: c.Type, Secret: c.SecretText(), SecretSetAt: "never"}
	if c.SecretSetAt != nil {
		st.SecretSetAt = c.SecretSetAt.UTC().Format(time.RFC3339Nano)
	}
	return st
}

func (a SecretApplier) load(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (Connector, uuid.UUID, error) {
	id, err := uuid.Parse(target)
	if err != nil {
		return Connector{}, id, errNoConnector()
	}
	row, err := q.ConnectorByID(ctx, db.ConnectorByIDParams{TenantID: tenant, ID: id})
	if db.IsNotFound(err) {
		return Connector{}, id, errNoConnector()
	}
	return connectorOf(row), id, err
}

// Current is what is known of the connector's secret now: whether it is
// set, its hint and when it was set — never the secret.
func (a SecretApplier) Current(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string) (json.RawMessage, error) {
	c, _, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(secretStateOf(c))
}

func (a SecretApplier) change(tenant, id uuid.UUID, payload json.RawMessage) (SecretChange, error) {
	var ch SecretChange
	if err := json.Unmarshal(payload, &ch); err != nil || len(ch.Sealed) == 0 {
		return ch, apperr.New(apperr.Invalid, "the secret change could not be read")
	}
	if _, err := a.Keys.Open(ch.Sealed, secretAAD(tenant, id)); err != nil {
		return ch, apperr.New(apperr.Invalid, "the sealed secret does not belong to this connector")
	}
	return ch, nil
}

// Check makes sure the sealed secret opens for this connector and says
// what the page will show.
func (a SecretApplier) Check(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	c, id, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	ch, err := a.change(tenant, id, payload)
	if err != nil {
		return nil, err
	}
	c.SecretSet, c.SecretHint = true, ch.Hint
	st := secretStateOf(c)
	st.SecretSetAt = "on approval"
	return json.Marshal(st)
}

// Apply stores the sealed secret, audited as the approving employee with
// the hints only.
func (a SecretApplier) Apply(ctx context.Context, q *db.Queries, tenant uuid.UUID, target string, payload json.RawMessage) (json.RawMessage, error) {
	before, id, err := a.load(ctx, q, tenant, target)
	if err != nil {
		return nil, err
	}
	ch, err := a.change(tenant, id, payload)
	if err != nil {
		return nil, err
	}
	at := a.Now()
	row, err := q.SetConnectorSecret(ctx, db.SetConnectorSecretParams{TenantID: tenant, ID: id, Secret: ch.Sealed, SecretHint: ch.Hint, SecretSetAt: &at})
	if err != nil {
		return nil, err
	}
	after := secretStateOf(connectorOf(row))
	if err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "catalog.connector.secret.changed", EntityType: connectorEntity,
		EntityID: id.String(), ReasonCode: "FOUR_EYES_APPROVED", Before: secretStateOf(before), After: after}); err != nil {
		return nil, err
	}
	return json.Marshal(after)
}

// Connection tests ---------------------------------------------------------

// errPrivate refuses addresses a connector must not reach.
var errPrivate = errors.New("the address is on a private or loopback network")

func (s *Service) checkClient() *http.Client {
	timeout := s.CheckTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	allow := s.AllowPrivateNetworks
	dialer := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		if allow {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		// The webhooks' rule: loopback, private, link-local, CGNAT, NAT64
		// and the other internal ranges.
		if addr, err := netip.ParseAddr(host); err != nil || event.Blocked(addr) {
			return errPrivate
		}
		return nil
	}}
	return &http.Client{
		Timeout: timeout,
		Transport: &telemetry.Transport{Name: "connector.check", Base: &http.Transport{DialContext: dialer.DialContext,
			TLSHandshakeTimeout: timeout, DisableKeepAlives: true, Proxy: nil}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// probe tries base once: HEAD, or GET when HEAD is not allowed. Any HTTP
// answer below 500 means the service is there; a 5xx or no answer means
// it is not.
func (s *Service) probe(ctx context.Context, base string) (health, detail string) {
	client := s.checkClient()
	try := func(method string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, method, base, nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("User-Agent", "ciam-connector-check/1")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, nil
	}
	code, err := try(http.MethodHead)
	if err == nil && (code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented) {
		code, err = try(http.MethodGet)
	}
	if err != nil {
		return HealthUnhealthy, failure(err)
	}
	detail = fmt.Sprintf("HTTP %d", code)
	if code >= 500 {
		return HealthUnhealthy, detail
	}
	return HealthHealthy, detail
}

// failure says in plain words why a test got no answer.
func failure(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, errPrivate):
		return "refused: " + errPrivate.Error()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "no answer in time"
	}
	return "could not connect"
}

// TestConnection tries the connector's base URL and records the result as
// its health: the time, HEALTHY or UNHEALTHY, the latency and what was
// seen. The test is audited; it changes no configuration. It runs even
// when the periodic checks are paused, and counts towards their breaker.
func (s *Service) TestConnection(ctx context.Context, tenant, id uuid.UUID) (Connector, error) {
	return s.check(ctx, tenant, id, true)
}

// checkBackOff is how long the periodic checks wait after failures
// consecutive failures, the threshold's included: CheckBackOff doubling
// up to CheckBackOffCap, less up to a fifth at random.
func (s *Service) checkBackOff(failures int) time.Duration {
	d := s.CheckBackOff << min(max(failures-s.CheckThreshold, 0), 20)
	if d > s.CheckBackOffCap || d <= 0 {
		d = s.CheckBackOffCap
	}
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

func (s *Service) check(ctx context.Context, tenant, id uuid.UUID, manual bool) (Connector, error) {
	c, err := s.Connector(ctx, tenant, id)
	if err != nil {
		return Connector{}, err
	}
	base := c.Config[BaseURLKey]
	if base == "" || validURL(base) != "" {
		return Connector{}, apperr.New(apperr.Conflict, "set a valid base URL before testing the connection")
	}
	start := s.now()
	began := time.Now()
	health, detail := s.probe(ctx, base)
	latency := int32(min(time.Since(began).Milliseconds(), 1<<30))
	var out Connector
	err = db.InTenantTx(ctx, s.pool, tenant, func(q *db.Queries) error {
		before, err := q.LockConnector(ctx, db.LockConnectorParams{TenantID: tenant, ID: id})
		if db.IsNotFound(err) {
			return errNoConnector()
		}
		if err != nil {
			return err
		}
		var failures int32
		var paused *time.Time
		if health != HealthHealthy {
			failures, paused = before.CheckFailures+1, before.ChecksPausedUntil
			if int(failures) >= s.CheckThreshold {
				until := start.Add(s.checkBackOff(int(failures)))
				paused = &until
			}
		}
		row, err := q.RecordConnectorHealth(ctx, db.RecordConnectorHealthParams{TenantID: tenant, ID: id, Health: health,
			HealthCheckedAt: &start, HealthLatencyMs: &latency, HealthDetail: detail, CheckFailures: failures, ChecksPausedUntil: paused})
		if err != nil {
			return err
		}
		out = connectorOf(row)
		if manual {
			err := audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "catalog.connector.tested", EntityType: connectorEntity,
				EntityID: id.String(), ReasonCode: "CONNECTION_TEST",
				Before: map[string]string{"health": c.Health},
				After:  map[string]any{"health": health, "latencyMs": latency, "detail": detail, "url": base}})
			if err != nil {
				return err
			}
		}
		switch {
		case before.ChecksPausedUntil == nil && paused != nil:
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "catalog.connector.checks_paused", EntityType: connectorEntity,
				EntityID: id.String(), After: map[string]any{"failures": failures, "pausedUntil": paused, "detail": detail}})
		case before.ChecksPausedUntil != nil && paused == nil:
			return audit.Write(ctx, q, audit.Entry{TenantID: tenant, Action: "catalog.connector.checks_resumed", EntityType: connectorEntity,
				EntityID: id.String(), Before: map[string]any{"failures": before.CheckFailures, "pausedUntil": before.ChecksPausedUntil},
				After: map[string]any{"health": health}})
		}
		return nil
	})
	return out, wrap("test connection", err)
}

// CheckDueConnectors checks every enabled connector with a base URL whose
// last check is CheckEvery old, except those whose checks are paused, and
// says how many it checked.
func (s *Service) CheckDueConnectors(ctx context.Context) (int, error) {
	now := s.now()
	var due []db.ConnectorsDueForCheckRow
	err := db.InTx(ctx, s.pool, func(q *db.Queries) error {
		var err error
		due, err = q.ConnectorsDueForCheck(ctx, db.ConnectorsDueForCheckParams{Now: now, CheckedBefore: now.Add(-s.CheckEvery), MaxRows: 100})
		return err
	})
	if err != nil {
		return 0, wrap("due checks", err)
	}
	var errs []error
	for _, d := range due {
		if _, err := s.check(ctx, d.TenantID, d.ID, false); err != nil {
			errs = append(errs, err)
		}
	}
	return len(due), errors.Join(errs...)
}

// CheckArgs is the periodic connector check's job.
type CheckArgs struct{}

// Kind names the job.
func (CheckArgs) Kind() string { return "catalog.connector_check" }

// CheckWorker runs the periodic connector checks.
type CheckWorker struct {
	river.WorkerDefaults[CheckArgs]
	S *Service
}

// Work runs one pass.
func (w *CheckWorker) Work(ctx context.Context, _ *river.Job[CheckArgs]) error {
	_, err := w.S.CheckDueConnectors(ctx)
	return err
}
