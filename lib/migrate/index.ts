// Migrations: the API initialize, data_load and the scripts use (docs/migrations.md).
export { migrate, migrationState, refuseNewerSchema, rollback, unknownVersions, type MigrateResult, type MigrationState } from './runner.ts'
export { createMigration, migrationsDir, migrationsHash } from './files.ts'
