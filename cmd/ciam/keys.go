package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/rekey"
)

// cmdKeys re-seals data under the active field encryption key, so that an
// old key can leave FIELD_ENCRYPTION_KEYS.
func cmdKeys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "reseal" {
		return errors.New("usage: ciam keys reseal   (re-seals documents, case attachments and secrets under the first FIELD_ENCRYPTION_KEYS key)")
	}
	spec := strings.TrimSpace(getenv("FIELD_ENCRYPTION_KEYS"))
	if spec == "" {
		return errors.New("FIELD_ENCRYPTION_KEYS: required: the new key first, then the old ones")
	}
	keys, err := fieldcrypt.Parse(spec)
	if err != nil {
		return fmt.Errorf("FIELD_ENCRYPTION_KEYS: %w", err)
	}
	url, err := databaseURL(getenv)
	if err != nil {
		return err
	}
	var store kyc.Storage = kyc.PostgresStorage{}
	if strings.EqualFold(getenv("DOCUMENT_STORAGE"), "folder") {
		dir := getenv("DOCUMENT_STORAGE_DIR")
		if dir == "" {
			dir = ".data/documents"
		}
		store = kyc.FolderStorage{Dir: dir}
	}
	conn, err := pgx.Connect(ctx, url) // as the owner: every tenant
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rep, err := rekey.Run(ctx, conn, keys, store, func(r rekey.Report) {
		if r.Documents%100 == 0 {
			fmt.Fprintf(stdout, "  %d documents re-sealed\n", r.Documents)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed under key %q: %d documents and %d case attachments (%d chunks), %d webhook secrets, %d authenticator secrets, %d signing keys, %d customer data keys\n",
		keys.ActiveID(), rep.Documents, rep.CaseAttachments, rep.Chunks, rep.WebhookSecrets, rep.TOTPSecrets, rep.SigningKeys, rep.CustomerDataKeys)
	return nil
}
