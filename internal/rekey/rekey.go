// Package rekey re-seals everything sealed under an older field encryption
// key with the active one: documents, case attachments, webhook secrets,
// authenticator secrets, token signing keys and customers' data keys. After
// it runs, the old key can be dropped from FIELD_ENCRYPTION_KEYS.
package rekey

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ciamhq/ciam/db"
	"github.com/ciamhq/ciam/internal/credential"
	"github.com/ciamhq/ciam/internal/customerauth"
	"github.com/ciamhq/ciam/internal/event"
	"github.com/ciamhq/ciam/internal/fieldcrypt"
	"github.com/ciamhq/ciam/internal/kyc"
	"github.com/ciamhq/ciam/internal/shred"
)

// Report counts what was re-sealed.
type Report struct {
	Documents, Chunks, VirtualDocuments, CaseAttachments, WebhookSecrets, TOTPSecrets, SigningKeys, CustomerDataKeys int
}

// Run re-seals under keys' active key, through conn as the tables' owner
// (it reads every tenant). Document chunks kept in a folder are re-sealed
// through store. Each item is re-sealed in its own transaction, so a run
// can stop and start again.
func Run(ctx context.Context, conn *pgx.Conn, keys *fieldcrypt.Keys, store kyc.Storage, progress func(Report)) (Report, error) {
	var rep Report
	active := keys.ActiveID()
	reseal := func(sealed, aad []byte) ([]byte, bool, error) {
		if fieldcrypt.KeyIDOf(sealed) == active {
			return nil, false, nil
		}
		plain, err := keys.Open(sealed, aad)
		if err != nil {
			return nil, false, err
		}
		return keys.Seal(plain, aad), true, nil
	}
	q := db.New(conn)

	// Documents: every chunk, then the document's key id.
	for {
		docs, err := q.DocumentsByKey(ctx, db.DocumentsByKeyParams{KeyID: active, MaxRows: 100})
		if err != nil {
			return rep, fmt.Errorf("rekey: documents: %w", err)
		}
		if len(docs) == 0 {
			break
		}
		for _, d := range docs {
			n, err := resealDocument(ctx, conn, d.ID, d.TenantID, keys, store, reseal)
			if err != nil {
				return rep, fmt.Errorf("rekey: document %s: %w", d.ID, err)
			}
			rep.Documents++
			rep.Chunks += n
			if progress != nil {
				progress(rep)
			}
		}
	}

	// Virtual documents: the value re-sealed, and its MAC (the duplicate
	// check's index) recomputed under the active key.
	for {
		rows, err := q.VirtualDocumentsByKey(ctx, db.VirtualDocumentsByKeyParams{KeyID: active, MaxRows: 100})
		if err != nil {
			return rep, fmt.Errorf("rekey: virtual documents: %w", err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			plain, err := keys.Open(r.ValueSealed, kyc.VirtualAAD(r.ID))
			if err != nil {
				return rep, fmt.Errorf("rekey: virtual document %s: %w", r.ID, err)
			}
			if err := q.ResealVirtualDocument(ctx, db.ResealVirtualDocumentParams{TenantID: r.TenantID, ID: r.ID,
				ValueSealed: keys.Seal(plain, kyc.VirtualAAD(r.ID)), ValueMac: keys.MAC(kyc.VirtualMACPurpose(r.Kind, r.SubType), plain),
				KeyID: active}); err != nil {
				return rep, fmt.Errorf("rekey: virtual document %s: %w", r.ID, err)
			}
			rep.VirtualDocuments++
		}
	}

	// Case attachments: sealed in chunks as documents are.
	for {
		atts, err := q.CaseAttachmentsByKey(ctx, db.CaseAttachmentsByKeyParams{KeyID: active, MaxRows: 100})
		if err != nil {
			return rep, fmt.Errorf("rekey: case attachments: %w", err)
		}
		if len(atts) == 0 {
			break
		}
		for _, a := range atts {
			n, err := resealAttachment(ctx, conn, a.ID, a.TenantID, active, reseal)
			if err != nil {
				return rep, fmt.Errorf("rekey: case attachment %s: %w", a.ID, err)
			}
			rep.CaseAttachments++
			rep.Chunks += n
		}
	}

	subs, err := q.SealedWebhookSecrets(ctx)
	if err != nil {
		return rep, fmt.Errorf("rekey: webhook secrets: %w", err)
	}
	for _, s := range subs {
		out, changed, err := reseal(s.Secret, event.SubscriptionAAD(s.ID))
		if err != nil {
			return rep, fmt.Errorf("rekey: webhook subscription %s: %w", s.ID, err)
		}
		if changed {
			if err := q.ResealWebhookSecret(ctx, db.ResealWebhookSecretParams{ID: s.ID, Secret: out}); err != nil {
				return rep, err
			}
			rep.WebhookSecrets++
		}
	}

	creds, err := q.SealedTOTPSecrets(ctx)
	if err != nil {
		return rep, fmt.Errorf("rekey: authenticator secrets: %w", err)
	}
	for _, c := range creds {
		out, changed, err := reseal(c.TotpSecret, customerauth.TOTPAAD(c.ID))
		if err != nil {
			return rep, fmt.Errorf("rekey: credential %s: %w", c.ID, err)
		}
		if changed {
			if err := q.ResealTOTPSecret(ctx, db.ResealTOTPSecretParams{ID: c.ID, TotpSecret: out}); err != nil {
				return rep, err
			}
			rep.TOTPSecrets++
		}
	}

	// Customers' data keys (package shred): a key left sealed under a
	// removed field key would read as erased.
	cks, err := q.SealedCustomerKeys(ctx)
	if err != nil {
		return rep, fmt.Errorf("rekey: customer data keys: %w", err)
	}
	for _, k := range cks {
		out, changed, err := reseal(k.SealedKey, shred.KeyAAD(k.CustomerID))
		if err != nil {
			return rep, fmt.Errorf("rekey: customer data key %s: %w", k.CustomerID, err)
		}
		if changed {
			if err := q.ResealCustomerKey(ctx, db.ResealCustomerKeyParams{CustomerID: k.CustomerID, SealedKey: out}); err != nil {
				return rep, err
			}
			rep.CustomerDataKeys++
		}
	}

	sks, err := q.SealedSigningKeys(ctx)
	if err != nil {
		return rep, fmt.Errorf("rekey: signing keys: %w", err)
	}
	for _, k := range sks {
		out, changed, err := reseal(k.PrivateKey, credential.SigningKeyAAD(k.Kid))
		if err != nil {
			return rep, fmt.Errorf("rekey: signing key %s: %w", k.Kid, err)
		}
		if changed {
			if err := q.ResealSigningKey(ctx, db.ResealSigningKeyParams{Kid: k.Kid, PrivateKey: out}); err != nil {
				return rep, err
			}
			rep.SigningKeys++
		}
	}
	return rep, nil
}

func resealDocument(ctx context.Context, conn *pgx.Conn, doc, tenant uuid.UUID, keys *fieldcrypt.Keys, store kyc.Storage,
	reseal func(sealed, aad []byte) ([]byte, bool, error)) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		q := db.New(tx)
		for seq := 0; ; seq++ {
			sealed, err := store.Chunk(ctx, q, tenant, doc, seq)
			if err != nil {
				return fmt.Errorf("chunk %d: %w", seq, err) // the last chunk ends the loop before EOF
			}
			last := true
			out, changed, err := reseal(sealed, kyc.ChunkAAD(doc, seq, true))
			if err != nil {
				last = false
				if out, changed, err = reseal(sealed, kyc.ChunkAAD(doc, seq, false)); err != nil {
					return fmt.Errorf("chunk %d: %w", seq, err)
				}
			}
			if changed {
				if err := store.Replace(ctx, q, tenant, doc, seq, out); err != nil {
					return err
				}
				n++
			}
			if last {
				break
			}
		}
		// What the server read from the document is sealed with it.
		ev, err := q.DocumentEvidenceSealed(ctx, db.DocumentEvidenceSealedParams{TenantID: tenant, ID: doc})
		if err != nil {
			return err
		}
		if len(ev) > 0 {
			out, changed, err := reseal(ev, kyc.EvidenceAAD(doc))
			if err != nil {
				return fmt.Errorf("evidence: %w", err)
			}
			if changed {
				if err := q.SetDocumentEvidence(ctx, db.SetDocumentEvidenceParams{TenantID: tenant, ID: doc, Evidence: out}); err != nil {
					return err
				}
			}
		}
		return q.SetDocumentKey(ctx, db.SetDocumentKeyParams{TenantID: tenant, ID: doc, KeyID: keys.ActiveID()})
	})
	return n, err
}

func resealAttachment(ctx context.Context, conn *pgx.Conn, att, tenant uuid.UUID, active string,
	reseal func(sealed, aad []byte) ([]byte, bool, error)) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		q := db.New(tx)
		for seq := 0; ; seq++ {
			sealed, err := q.CaseAttachmentChunk(ctx, db.CaseAttachmentChunkParams{TenantID: tenant, AttachmentID: att, Seq: int32(seq)})
			if err != nil {
				return fmt.Errorf("chunk %d: %w", seq, err) // the last chunk ends the loop before
			}
			last := true
			out, changed, err := reseal(sealed, kyc.ChunkAAD(att, seq, true))
			if err != nil {
				last = false
				if out, changed, err = reseal(sealed, kyc.ChunkAAD(att, seq, false)); err != nil {
					return fmt.Errorf("chunk %d: %w", seq, err)
				}
			}
			if changed {
				if err := q.CaseReplaceAttachmentChunk(ctx, db.CaseReplaceAttachmentChunkParams{TenantID: tenant, AttachmentID: att,
					Seq: int32(seq), Content: out}); err != nil {
					return err
				}
				n++
			}
			if last {
				break
			}
		}
		return q.CaseSetAttachmentKey(ctx, db.CaseSetAttachmentKeyParams{TenantID: tenant, ID: att, KeyID: active})
	})
	return n, err
}
