// Package contract holds the guides' JSON examples, as the guides show
// them, so that the API's OpenAPI description can publish them as its
// operations' examples and tests can send them as written.
package contract

import "embed"

// Examples are the guides' examples, named as in this folder
// (001-registration.request.json, ...).
//
//go:embed *.json
var Examples embed.FS
