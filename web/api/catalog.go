package api

import (
	"math"
	"net/http"
	"time"

	"github.com/ciamhq/ciam/internal/catalog"
)

// The catalog's read routes: a fee quote and the branches near a place.
// Both answer 422 VALIDATION_FAILED with one detail per bad query
// parameter.

// HandleFeeQuote is GET /fees/quote: the fee of a transaction, with the
// rule that produced it. Decimals are strings with the currency's number
// of decimals. No matching rule is 404 NO_APPLICABLE_FEE_RULE.
func (a *API) HandleFeeQuote() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		q := r.URL.Query()
		quote, err := a.Catalog.Quote(r.Context(), t.ID, catalog.QuoteRequest{TransactionType: q.Get("transactionType"),
			Country: q.Get("country"), Currency: q.Get("currency"), Channel: q.Get("channel"), Category: q.Get("category"),
			CustomerID: q.Get("customerId"), Amount: q.Get("amount")})
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		cur := quote.Currency
		breakdown := map[string]any{"fixed": catalog.FormatAmount(quote.Fixed, cur), "percentage": catalog.FormatAmount(quote.PercentagePart, cur),
			"rate": quote.Rate.String(), "tier": nil, "limit": nil}
		if quote.Tier != nil {
			tier := map[string]any{"from": quote.Tier.From.String(), "upTo": nil, "fixed": quote.Tier.Fixed.String(), "rate": quote.Tier.Percentage.String()}
			if quote.Tier.UpTo.Valid {
				tier["upTo"] = quote.Tier.UpTo.Decimal.String()
			}
			breakdown["tier"] = tier
		}
		if quote.Limit != "" {
			breakdown["limit"] = quote.Limit
		}
		WriteData(w, http.StatusOK, map[string]any{"fee": catalog.FormatAmount(quote.Fee, cur), "currency": cur,
			"amount": catalog.FormatAmount(quote.Amount, cur), "breakdown": breakdown, "ruleId": quote.RuleID, "ruleName": quote.RuleName,
			"effectiveFrom": quote.EffectiveFrom.UTC().Format(time.RFC3339)})
	})
}

// HandleBranches is GET /branches?near=<lat>,<lon>: the tenant's active
// branches nearest a place, nearest first, each with distanceKm.
func (a *API) HandleBranches() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := TenantFrom(r.Context())
		q := r.URL.Query()
		branches, err := a.Catalog.NearestBranches(r.Context(), t.ID, catalog.NearQuery{Near: q.Get("near"), Type: q.Get("type"),
			Service: q.Get("service"), Limit: q.Get("limit"), RadiusKm: q.Get("radiusKm")})
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		out := make([]map[string]any, 0, len(branches))
		for _, b := range branches {
			hours := map[string][]string{}
			for _, d := range catalog.Weekdays {
				hours[d] = orEmptyStrings(b.OpeningHours[d])
			}
			item := map[string]any{"id": b.ID, "code": b.Code, "name": b.Name, "type": b.Type, "status": b.Status,
				"address": map[string]string{"street": b.Address.Street, "city": b.Address.City, "region": b.Address.Region,
					"postalCode": b.Address.PostalCode, "country": b.Address.Country},
				"coordinates":  map[string]float64{"latitude": *b.Latitude, "longitude": *b.Longitude},
				"openingHours": hours, "services": orEmptyStrings(b.Services),
				"distanceKm": math.Round(b.DistanceKm*1000) / 1000}
			out = append(out, item)
		}
		WriteData(w, http.StatusOK, out)
	})
}
