package audit

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// Break is the first record at which a chain stops being intact.
type Break struct {
	ChainID uuid.UUID
	Seq     int64
	ID      uuid.UUID // uuid.Nil when the record itself is missing
	Reason  string
}

func (b Break) String() string {
	if b.ID == uuid.Nil {
		return fmt.Sprintf("chain %s, record %d: %s", b.ChainID, b.Seq, b.Reason)
	}
	return fmt.Sprintf("chain %s, record %d (%s): %s", b.ChainID, b.Seq, b.ID, b.Reason)
}

// Report is the outcome of Verify.
type Report struct {
	Chains  int
	Records int64
	// Broken holds the first break of each broken chain.
	Broken []Break
}

// Verify walks every chain of the audit trail and recomputes each record's
// hash. It must run as the tables' owner: the server's role cannot read
// every tenant's records. progress, when not nil, is called after each page.
func Verify(ctx context.Context, q db.DBTX, progress func(records int64)) (Report, error) {
	queries := db.New(q)
	heads, err := queries.AuditChains(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	var rep Report
	for _, head := range heads {
		rep.Chains++
		brk, err := verifyChain(ctx, queries, head.ChainID, head.Seq, progress, &rep)
		if err != nil {
			return rep, err
		}
		if brk != nil {
			rep.Broken = append(rep.Broken, *brk)
		}
	}
	return rep, nil
}

const verifyPage = 5000

func verifyChain(ctx context.Context, q *db.Queries, chain uuid.UUID, headSeq int64, progress func(int64), rep *Report) (*Break, error) {
	var (
		lastSeq  int64
		lastHash = []byte{}
	)
	for {
		rows, err := q.AuditChainPage(ctx, db.AuditChainPageParams{ChainID: chain, AfterSeq: lastSeq, MaxRows: verifyPage})
		if err != nil {
			return nil, fmt.Errorf("audit: verify chain %s: %w", chain, err)
		}
		for _, r := range rows {
			switch {
			case r.Seq != lastSeq+1:
				return &Break{ChainID: chain, Seq: lastSeq + 1, Reason: "record missing (deleted)"}, nil
			case !bytes.Equal(r.PrevHash, lastHash):
				return &Break{ChainID: chain, Seq: r.Seq, ID: r.ID, Reason: "does not link to the record before it"}, nil
			case !bytes.Equal(r.Computed, r.Hash):
				return &Break{ChainID: chain, Seq: r.Seq, ID: r.ID, Reason: "content does not match its hash (altered)"}, nil
			}
			lastSeq, lastHash = r.Seq, r.Hash
			rep.Records++
		}
		if progress != nil && len(rows) > 0 {
			progress(rep.Records)
		}
		if len(rows) < verifyPage {
			break
		}
	}
	if lastSeq != headSeq {
		return &Break{ChainID: chain, Seq: lastSeq + 1, Reason: fmt.Sprintf("chain ends at %d but %d records were written (deleted at the end)", lastSeq, headSeq)}, nil
	}
	return nil, nil
}
