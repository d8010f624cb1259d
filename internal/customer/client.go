package customer

import (
	"context"

	"github.com/google/uuid"

	"github.com/ciamhq/ciam/internal/actor"
)

// registeringClient is the API client a registration comes from, as the
// request's actor names it (the customer's client in guide 002's user
// object); nil for any other actor.
func registeringClient(ctx context.Context) *uuid.UUID {
	a := actor.From(ctx)
	if a.Kind != actor.APIClient {
		return nil
	}
	id, err := uuid.Parse(a.ID)
	if err != nil {
		return nil
	}
	return &id
}
