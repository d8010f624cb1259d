// Package customergen makes synthetic customers in bulk, with COPY, for
// load tests and benchmarks at a million customers: names of many
// cultures, dates of birth, nationalities, unique e-mail addresses and
// phone numbers, spread over three years of sign-ups. It writes the
// customers table only (no credentials, documents or audit records): what
// re-screening and the portal's search read.
package customergen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options say what to make.
type Options struct {
	Tenant uuid.UUID
	Count  int
	// Seed makes the same customers again; a run with another seed makes
	// others (e-mail addresses carry it in their domain, so that two runs
	// can share a tenant).
	Seed uint64
	// Listed are names to give one customer in PlantEvery, so that a
	// re-screening finds someone; none when empty.
	Listed     []string
	PlantEvery int
	// Batch is how many rows go in one COPY; 50,000 when 0.
	Batch int
	// Progress, when set, is called after each batch with the rows so far.
	Progress func(done int)
	// RebuildIndexes drops the customers table's indexes that back no
	// constraint (the search's trigram index, the name, e-mail, phone and
	// sign-up indexes) before copying and builds them again from their
	// definitions afterwards: building an index once is many times faster
	// than updating it row by row. Only for a database nobody else is
	// using meanwhile.
	RebuildIndexes bool
}

var columns = []string{"id", "tenant_id", "email", "first_name", "middle_name", "last_name", "date_of_birth", "nationality",
	"phone_number", "status", "permission", "risk_level", "created_at", "updated_at"}

// Generate writes o.Count customers of o.Tenant and returns how many.
// pool must connect as the tables' owner: row-level security refuses COPY
// to the application role.
func Generate(ctx context.Context, pool *pgxpool.Pool, o Options) (n int, err error) {
	if o.Batch <= 0 {
		o.Batch = 50000
	}
	if o.RebuildIndexes {
		defs, err := dropIndexes(ctx, pool)
		if err != nil {
			return 0, err
		}
		defer func() {
			for _, def := range defs {
				if _, e := pool.Exec(context.WithoutCancel(ctx), def); e != nil && err == nil {
					err = fmt.Errorf("customergen: rebuild index: %w", e)
				}
			}
		}()
	}
	c := pool
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	now := time.Now().UTC()
	done := 0
	for done < o.Count {
		n := min(o.Batch, o.Count-done)
		src := &rows{rng: rng, o: &o, now: now, from: done, to: done + n, i: done - 1}
		copied, err := c.CopyFrom(ctx, pgx.Identifier{"customers"}, columns, src)
		if err != nil {
			return done, fmt.Errorf("customergen: copy: %w", err)
		}
		done += int(copied)
		if o.Progress != nil {
			o.Progress(done)
		}
	}
	return done, nil
}

// dropIndexes drops the customers table's indexes that back no
// constraint and returns the statements that create them again.
func dropIndexes(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
		WHERE indrelid = 'customers'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)`)
	if err != nil {
		return nil, fmt.Errorf("customergen: indexes: %w", err)
	}
	type index struct{ Name, Def string }
	idx, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		return nil, fmt.Errorf("customergen: indexes: %w", err)
	}
	var defs []string
	for _, x := range idx {
		if _, err := pool.Exec(ctx, "DROP INDEX "+pgx.Identifier{x.Name}.Sanitize()); err != nil {
			return defs, fmt.Errorf("customergen: drop index %s: %w", x.Name, err)
		}
		defs = append(defs, x.Def)
	}
	return defs, nil
}

// rows makes one batch of customers as COPY reads them.
type rows struct {
	rng      *rand.Rand
	o        *Options
	now      time.Time
	from, to int
	i        int
	vals     []any
}

func (r *rows) Next() bool {
	r.i++
	return r.i < r.to
}

func (r *rows) Err() error { return nil }

func (r *rows) Values() ([]any, error) {
	rng, i := r.rng, r.i
	first := firstNames[rng.IntN(len(firstNames))]
	last := lastNames[rng.IntN(len(lastNames))]
	middle := ""
	if rng.IntN(4) == 0 {
		middle = firstNames[rng.IntN(len(firstNames))]
	}
	if r.o.PlantEvery > 0 && len(r.o.Listed) > 0 && i%r.o.PlantEvery == 0 {
		// A listed name, whole, as the last name: screening reads the full
		// name in any order.
		first, middle, last = "", "", r.o.Listed[rng.IntN(len(r.o.Listed))]
	}
	dob := time.Date(1940+rng.IntN(66), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	created := r.now.Add(-time.Duration(r.o.Count-i) * 90 * time.Second)
	status := "ACTIVE"
	switch k := rng.IntN(100); {
	case k == 0:
		status = "CLOSED"
	case k < 6:
		status = "PENDING_VERIFICATION"
	}
	permission := map[string]string{"ACTIVE": "SEND-AND-RECEIVE", "CLOSED": "CLOSED", "PENDING_VERIFICATION": "UNVERIFIED"}[status]
	// The seed is in the domain, which real addresses share (as many share
	// gmail.com), not in the part before the @, which they do not.
	email := fmt.Sprintf("c%d@s%d.example.test", i, r.o.Seed)
	if first != "" {
		email = fmt.Sprintf("%s.%s.%d@s%d.example.test", asciiLower(first), asciiLower(last), i, r.o.Seed)
	}
	phone := fmt.Sprintf("+447%09d", (uint64(i)*7919+r.o.Seed)%1_000_000_000)
	r.vals = append(r.vals[:0], uuid.New(), r.o.Tenant, email, first, middle, last, dob,
		nationalities[rng.IntN(len(nationalities))], phone, status, permission, "LOW", created, created)
	return r.vals, nil
}

// asciiLower keeps the ASCII letters of s, in lower case, for an e-mail
// address.
func asciiLower(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	if len(b) == 0 {
		return "x"
	}
	return string(b)
}

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Isabella", "James",
	"Ana", "Mateo", "Lucía", "Santiago", "Valentina", "Diego", "Camila", "Javier", "María", "José",
	"Mohammed", "Fatima", "Ahmed", "Aisha", "Omar", "Layla", "Yusuf", "Zainab", "Hassan", "Mariam",
	"Wei", "Li", "Jing", "Hao", "Mei", "Yan", "Hiroshi", "Yuki", "Sakura", "Kenji",
	"Aarav", "Priya", "Vivaan", "Ananya", "Arjun", "Diya", "Rohan", "Kavya", "Chinedu", "Ngozi",
	"Kwame", "Ama", "Oluwaseun", "Amara", "Ivan", "Olga", "Dmitri", "Anastasia", "Piotr", "Katarzyna",
	"Lukas", "Hannah", "Jan", "Eva", "Mikko", "Aino", "Giulia", "Marco", "Chloé", "Lucas",
	"Seo-yeon", "Min-jun", "Thi", "Minh", "Siti", "Budi", "Nguyen", "Tomás", "Inês", "João",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Clarke",
	"García", "Rodríguez", "Martínez", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores",
	"Khan", "Ali", "Hussain", "Rahman", "Haddad", "Nasser", "Aziz", "Karimi", "Yilmaz", "Demir",
	"Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Sato", "Suzuki", "Takahashi", "Tanaka",
	"Patel", "Sharma", "Singh", "Kumar", "Gupta", "Reddy", "Okafor", "Adeyemi", "Mensah", "Boateng",
	"Ivanov", "Smirnova", "Kuznetsov", "Popescu", "Nowak", "Kowalski", "Novák", "Horvat", "Müller", "Schmidt",
	"Schneider", "Fischer", "Virtanen", "Korhonen", "Rossi", "Russo", "Ferrari", "Dubois", "Martin", "Bernard",
	"Kim", "Lee", "Park", "Nguyen", "Tran", "Pham", "Santoso", "Wijaya", "Silva", "Santos",
	"Oliveira", "Costa", "Jensen", "Nielsen", "Hansen", "Andersson", "Johansson", "O'Brien", "Murphy", "Kelly",
}

var nationalities = []string{"GB", "GB", "GB", "DE", "FR", "ES", "IT", "PL", "NL", "IE", "US", "IN", "PK", "NG", "CN", "JP", "BR", "TR", "RO", "VN"}
