-- An example seeder: *.sql files and *.ts modules here run in name order against a scratch
-- database; the result is stored as the snapshot _init (make seed_data).
INSERT INTO notes (title, body, created_at) VALUES
  ('Welcome', 'Seeded by datakeep from data/seed/001_notes.sql.', '2026-01-01 00:00:00'),
  ('Unicode', 'Grüße, 日本語, emoji 🎉', '2026-01-01 00:00:01');
