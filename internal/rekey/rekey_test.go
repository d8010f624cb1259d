package rekey

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/db/dbtest"
	"github.com/ciamhq/ciam/internal/actor"
	"github.com/ciamhq/ciam/internal/apperr"
	"github.com/ciamhq/ciam/internal/cases"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customer"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/evidence"
	"github.com/ciamhq/ciam/internal/evidence/evidencetest"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/shred"
	"github.com/ciamhq/ciam/internal/tenant"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

func keys(t *testing.T, spec string) *fieldcrypt.Keys {
	t.Helper()
	k, err := fieldcrypt.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const (
	keyA = "a:YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
	keyB = "b:YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="
)

func TestResealMovesEverythingToTheActiveKey(t *testing.T) {
	ctx := actor.With(t.Context(), actor.Actor{Kind: actor.System, Name: "test"})
	pool := dbtest.Pool(t)
	old := keys(t, keyA)
	tn, err := tenant.NewService(pool).Create(ctx, tenant.CreateParams{Slug: "rk-" + uuid.NewString()[:8], Name: "Rekey"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The customer's data key is sealed under the old key too.
	shred.Install(old)
	customers := customer.NewService(pool, nil)
	customers.HashParams = credential.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	reg, err := customers.Register(ctx, tn.ID, customer.RegisterInput{Email: "r@example.com", Password: "Str0ng!Pass", MatchingPassword: "Str0ng!Pass",
		FirstName: "Rita", LastName: "Key", DateOfBirth: "1980-01-01", Nationality: "GB", PhoneNumber: "+447911123456",
		Address: customer.Address{Street: "1 Road", City: "London", PostalCode: "N1 1AA", Country: "GB"}})
	if err != nil {
		t.Fatal(err)
	}
	// Rita's passport as a PNG with a little sensor noise, which PNG
	// cannot compress: large enough for several chunks.
	page := evidencetest.Passport(evidencetest.Person{Surname: "KEY", GivenNames: "RITA", Nationality: "GBR",
		DateOfBirth: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Expiry: time.Now().AddDate(3, 0, 0)}, evidencetest.PassportOptions{})
	for i := range page.Pix {
		if i%4 != 3 {
			page.Pix[i] ^= byte(uint32(i)*2654435761>>11) & 7
		}
	}
	content := evidencetest.PNG(page)
	chunks := (len(content) + kyc.ChunkSize - 1) / kyc.ChunkSize
	if chunks < 2 {
		t.Fatalf("the passport fits one chunk (%d bytes)", len(content))
	}
	sum := sha256.Sum256(content)
	reader, err := evidence.NewReader(evidence.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	oldKYC := kyc.NewService(pool, old, kyc.PostgresStorage{}, customers, nil)
	oldKYC.Reader = reader
	if _, err := oldKYC.Upload(ctx, tn.ID, reg.VerificationRequestID, nil, []kyc.UploadDoc{{Type: "IDENTITY_DOCUMENT", SubType: "PASSPORT",
		Content: kyc.Content{R: bytes.NewReader(content), Size: int64(len(content)), SHA256: sum[:]}},
		{Type: kyc.TypeVirtual, SubType: "PASSPORT_NUMBER", Value: "L898902C3"}}); err != nil {
		t.Fatal(err)
	}
	// The same bytes as a file added to a case about Rita.
	oldCases := cases.NewService(pool, old, nil)
	kase, err := oldCases.Create(ctx, tn.ID, cases.CreateParams{CustomerID: &reg.Customer.ID})
	if err != nil {
		t.Fatal(err)
	}
	att, err := oldCases.Attach(ctx, tn.ID, kase.ID, cases.Upload{FileName: "passport.png", MIME: "image/png", Size: int64(len(content)),
		Content: bytes.NewReader(content)})
	if err != nil {
		t.Fatal(err)
	}
	hooks := event.NewWebhooks(pool, old)
	if _, _, err := hooks.CreateSubscription(ctx, tn.ID, "https://93.184.215.14/x", "", nil); err != nil { // a public address: the URL is checked when made
		t.Fatal(err)
	}

	rotated := keys(t, keyB+","+keyA)
	conn, err := pgx.Connect(t.Context(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rep, err := Run(t.Context(), conn, rotated, kyc.PostgresStorage{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 1 || rep.CaseAttachments != 1 || rep.Chunks != 2*chunks || rep.VirtualDocuments != 1 || rep.WebhookSecrets != 1 ||
		rep.CustomerDataKeys != 1 {
		t.Fatalf("report %+v", rep)
	}
	// With the old key gone, everything still opens.
	onlyNew := keys(t, keyB)
	newKYC := kyc.NewService(pool, onlyNew, kyc.PostgresStorage{}, customers, nil)
	v, err := newKYC.Get(ctx, tn.ID, reg.VerificationRequestID, nil)
	if err != nil || len(v.Documents) != 1 {
		t.Fatalf("verification %+v %v", v, err)
	}
	_, got, err := newKYC.Open(ctx, tn.ID, v.Documents[0].ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("document after rotation: %d bytes, %v", len(got), err)
	}
	var file bytes.Buffer
	if _, err := cases.NewService(pool, onlyNew, nil).OpenAttachment(ctx, tn.ID, kase.ID, att.ID, &file); err != nil || !bytes.Equal(file.Bytes(), content) {
		t.Fatalf("case attachment after rotation: %d bytes, %v", file.Len(), err)
	}
	// So does what the server read from it.
	ev, err := newKYC.DocumentEvidence(ctx, tn.ID, v.Documents[0].ID)
	if err != nil || ev == nil || ev.MRZ == nil || ev.MRZ.Surname != "KEY" {
		t.Fatalf("evidence after rotation: %+v, %v", ev, err)
	}
	// And the virtual document: shown masked, and the same value again is
	// still a duplicate under the new key alone.
	vds, err := newKYC.CustomerValueDocuments(ctx, tn.ID, reg.Customer.ID)
	if err != nil || len(vds) != 1 || !strings.HasSuffix(vds[0].Display, "02C3") {
		t.Fatalf("virtual documents after rotation: %+v %v", vds, err)
	}
	_, err = newKYC.Upload(ctx, tn.ID, reg.VerificationRequestID, nil, []kyc.UploadDoc{{Type: kyc.TypeVirtual, SubType: "PASSPORT_NUMBER", Value: "L898902C3"}})
	if e, ok := apperr.As(err); !ok || e.APICode != "DUPLICATE_UPLOAD" {
		t.Fatalf("the same passport number after rotation: %v", err)
	}
	// The registration's audit record opens with the new key alone.
	var after []byte
	if err := dbtest.OwnerPool(t).QueryRow(ctx, `SELECT after FROM audit_log WHERE action = 'customer.registered' AND entity_id = $1`,
		reg.Customer.ID.String()).Scan(&after); err != nil {
		t.Fatal(err)
	}
	var opened json.RawMessage
	if err := db.InTenantTx(ctx, pool, tn.ID, func(q *db.Queries) error {
		var err error
		opened, err = shred.New(onlyNew).Opener(q, tn.ID).JSON(ctx, after)
		return err
	}); err != nil || !strings.Contains(string(opened), `"email":"r@example.com"`) {
		t.Fatalf("audit record after rotation: %s %v", opened, err)
	}
	// A second run finds nothing left to do.
	if rep, err := Run(t.Context(), conn, rotated, kyc.PostgresStorage{}, nil); err != nil || rep != (Report{}) {
		t.Fatalf("second run %+v %v", rep, err)
	}
}
