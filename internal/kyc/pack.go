package kyc

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/db"
)

// packInForce is PackInForce inside q's transaction, as recorded: {}
// without one.
func (s *Service) packInForce(ctx context.Context, q *db.Queries, tenant, cust uuid.UUID, risk string, pep bool) (json.RawMessage, bool, error) {
	if s.PackInForce == nil {
		return json.RawMessage(`{}`), false, nil
	}
	pack, edd, err := s.PackInForce(ctx, q, tenant, cust, risk, pep)
	if err != nil {
		return nil, false, fmt.Errorf("kyc: pack in force: %w", err)
	}
	b, err := json.Marshal(pack)
	return b, edd, err
}
