-- +goose Up

-- The W3C traceparent of the span that made a delivery (the request whose
-- change wrote the event), so that the job delivering it continues that
-- trace although it is queued later by the pump. '': made outside a trace.
ALTER TABLE webhook_deliveries ADD COLUMN traceparent text NOT NULL DEFAULT ''
    CHECK (traceparent = '' OR traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');
