-- +goose Up

-- The stricter possible-match threshold of enhanced screening, which a
-- categorisation's sanctionsCheck ENHANCED asks for; NULL: the possible
-- threshold less 0.08 (never below 0.65).
ALTER TABLE screening_settings
    ADD COLUMN enhanced_threshold double precision,
    ADD CONSTRAINT screening_settings_enhanced CHECK (enhanced_threshold IS NULL OR (enhanced_threshold > 0 AND enhanced_threshold <= possible_threshold));

-- +goose Down
-- Forward-only.
