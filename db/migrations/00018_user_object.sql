-- +goose Up

-- The user object of guide 002 needs what the customer record did not keep:
-- the API client that registered the customer (client.id and client.name),
-- whether the customer is hidden (is_hidden: MAKE-IT-GO-AWAY unindexes them
-- from search and lists, the record stays), the id the tenant's own system
-- gave them (extra.supp_id) and their CIP tag (extra.cip_tag, 1 until CIPs
-- are defined). Customers registered before this migration have no client.
ALTER TABLE customers
    ADD COLUMN client_id uuid REFERENCES api_clients(id),
    ADD COLUMN is_hidden boolean NOT NULL DEFAULT false,
    ADD COLUMN supp_id   text NOT NULL DEFAULT '' CHECK (length(supp_id) <= 200),
    ADD COLUMN cip_tag   int NOT NULL DEFAULT 1 CHECK (cip_tag >= 1);

-- +goose Down
-- Forward-only.
