-- +goose Up

-- The image quality limits a tenant holds documents to (sharpness, glare,
-- brightness, resolution, framing), as JSON; {} means the defaults. A
-- refused upload's POOR_IMAGE_QUALITY names the figure and its threshold.
ALTER TABLE tenant_settings ADD COLUMN quality_thresholds jsonb NOT NULL DEFAULT '{}'::jsonb;

-- +goose Down
-- Forward-only.
