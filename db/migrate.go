// Package db is the database: embedded goose migrations, the sqlc-generated
// queries (never edited by hand) and the transaction helpers every domain
// package uses.
package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrationFS is the embedded migrations folder.
func MigrationFS() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sub
}

// Migrate applies every pending migration to the database at url, as the
// role url logs in with (the tables' owner).
func Migrate(ctx context.Context, url string) ([]*goose.MigrationResult, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: parse DATABASE_URL: %w", err)
	}
	sqlDB := stdlib.OpenDB(*cfg.ConnConfig)
	defer sqlDB.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, MigrationFS(), goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("db: migrate: %w", err)
	}
	if err := migrateRiver(ctx, url); err != nil {
		return res, err
	}
	return res, nil
}

// migrateRiver applies the job queue's own migrations (River's) and lets
// the application role use its tables.
func migrateRiver(ctx context.Context, url string) error {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("db: migrate jobs: %w", err)
	}
	defer pool.Close()
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("db: migrate jobs: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("db: migrate jobs: %w", err)
	}
	_, err = pool.Exec(ctx, `DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'river\_%' LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO ciam_app', r.tablename);
    END LOOP;
    FOR r IN SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema() AND sequence_name LIKE 'river\_%' LOOP
        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %I TO ciam_app', r.sequence_name);
    END LOOP;
END
$$`)
	if err != nil {
		return fmt.Errorf("db: grant job tables: %w", err)
	}
	return nil
}

// LatestMigration is the version of the newest embedded migration.
func LatestMigration() (int64, error) {
	names, err := fs.Glob(MigrationFS(), "*.sql")
	if err != nil {
		return 0, fmt.Errorf("db: list migrations: %w", err)
	}
	var latest int64
	for _, name := range names {
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("db: migration %s: version: %w", name, err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// AppliedMigration is the newest migration version applied to the database.
func AppliedMigration(ctx context.Context, q DBTX) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("db: applied migration: %w", err)
	}
	return v, nil
}
