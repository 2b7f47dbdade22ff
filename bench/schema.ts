// The benchmark database: ten tables shaped like an application's (integers, decimals, dates,
// multi-byte text, blobs, JSON, NULLs; with and without primary keys; secondary indexes; foreign
// keys), each with a value generator per column. Values come only from the table's seeded PRNG.
import type { Rng } from './prng.ts'

/** Row counts of every table, for foreign keys that must point at existing rows. */
export type Counts = Record<string, number>

export interface Column {
  name: string
  /** TSV text of the value (already escaped), or null for NULL. */
  gen: (r: Rng, i: number, n: Counts) => string | null
  /** The TSV holds hex; the load unhexes it (binary values). */
  hex?: boolean
}

export interface TableSpec { name: string; weight: number; min: number; ddl: string; columns: Column[] }

/** Words that exercise 2-, 3- and 4-byte UTF-8, combining sequences and the TSV escapes. */
const WORDS = ['café', 'naïve', '日本', '東京都', 'Zürich', 'straße', 'crème brûlée', 'señor', 'Ελλάδα', 'Россия',
  'עברית', 'العربية', '😀', '🚀', '🇫🇷', '👨‍👩‍👧', 'données', 'plain', 'data', 'keep', 'order', 'item', 'fast',
  'slow', 'alpha', 'beta', 'gamma', 'delta', 'müller', 'ÅÄÖ', 'tab\there', 'new\nline', 'back\\slash', "it's", '"quoted"']
const COUNTRIES = ['FR', 'DE', 'JP', 'US', 'GB', 'ES', 'IT', 'BR', 'IN', 'CN', 'GR', 'RU', 'IL', 'EG']
const STATUS = ['new', 'paid', 'shipped', 'cancelled']
const SOURCES = ['web', 'api', 'worker', 'cron', 'mail', 'search']
const HOSTS = Array.from({ length: 40 }, (_, i) => `host-${String(i).padStart(2, '0')}.example`)
const BASE = Date.UTC(2015, 0, 1)
const YEARS_15 = 15 * 365 * 86400

/** LOAD DATA's default escapes, for text that may hold a tab, newline or backslash. */
export function tsvEscape(s: string): string {
  return /[\\\t\n\r\0]/.test(s) ? s.replace(/[\\\t\n\r\0]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' })[c]!) : s
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n

/** 'YYYY-MM-DD HH:MM:SS' of a second offset from 2015-01-01 UTC. */
export function datetime(sec: number): string {
  const d = new Date(BASE + sec * 1000)
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
}

/** A fixed-point number of `scale` digits after the point, from an integer count of units. */
export function decimal(units: number, scale = 2): string {
  const sign = units < 0 ? '-' : ''
  const a = Math.abs(units)
  const p = 10 ** scale
  return `${sign}${Math.floor(a / p)}.${String(a % p).padStart(scale, '0')}`
}

function words(r: Rng, n: number): string {
  let s = r.pick(WORDS)
  for (let k = 1; k < n; k++) s += ' ' + r.pick(WORDS)
  return s
}

const text = (r: Rng, lo: number, hi: number) => tsvEscape(words(r, r.int(lo, hi)))
const nullable = (r: Rng, p: number, v: () => string) => (r.next() < p ? null : v())
const date = (r: Rng) => datetime(r.int(0, YEARS_15)).slice(0, 10)
const hex = (r: Rng, lo: number, hi: number) => r.hex(r.int(lo, hi))

function json(r: Rng): string {
  // JSON.stringify escapes tabs and newlines inside strings; the text holds none raw
  return tsvEscape(JSON.stringify({ color: r.pick(WORDS), size: r.int(1, 50), tags: [r.pick(WORDS), r.pick(WORDS)], ok: r.next() < 0.5, ratio: r.int(0, 10000) / 100 }))
}

export const TABLES: TableSpec[] = [
  { name: 'customers', weight: 0.08, min: 1, ddl: `CREATE TABLE customers (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(190) NOT NULL, name VARCHAR(100) NOT NULL,
    country CHAR(2) NOT NULL, balance DECIMAL(12,2) NOT NULL, born DATE NULL, created_at DATETIME NOT NULL, notes TEXT NULL,
    UNIQUE KEY email (email), KEY country_created (country, created_at)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (_r, i) => String(i + 1) },
    { name: 'email', gen: (r, i) => `user${i + 1}.${r.int(0, 99999)}@example.com` },
    { name: 'name', gen: (r) => text(r, 1, 3) },
    { name: 'country', gen: (r) => r.pick(COUNTRIES) },
    { name: 'balance', gen: (r) => decimal(r.int(-500000, 50000000)) },
    { name: 'born', gen: (r) => nullable(r, 0.2, () => date(r)) },
    { name: 'created_at', gen: (r) => datetime(r.int(0, YEARS_15)) },
    { name: 'notes', gen: (r) => nullable(r, 0.6, () => text(r, 3, 25)) },
  ] },
  { name: 'products', weight: 0.04, min: 1, ddl: `CREATE TABLE products (
    id INT UNSIGNED NOT NULL PRIMARY KEY, sku CHAR(12) NOT NULL, title VARCHAR(200) NOT NULL, price DECIMAL(10,2) NOT NULL,
    weight_kg DOUBLE NOT NULL, attrs JSON NOT NULL, thumbnail BLOB NULL, UNIQUE KEY sku (sku)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (_r, i) => String(i + 1) },
    { name: 'sku', gen: (_r, i) => `SKU${String(i + 1).padStart(9, '0')}` },
    { name: 'title', gen: (r) => text(r, 2, 6) },
    { name: 'price', gen: (r) => decimal(r.int(1, 9999999)) },
    { name: 'weight_kg', gen: (r) => String(r.int(1, 10_000_000) / 1000) },
    { name: 'attrs', gen: (r) => json(r) },
    { name: 'thumbnail', gen: (r) => nullable(r, 0.3, () => hex(r, 64, 512)), hex: true },
  ] },
  { name: 'tags', weight: 0.001, min: 2, ddl: `CREATE TABLE tags (
    id SMALLINT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, UNIQUE KEY name (name)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (_r, i) => String(i + 1) },
    { name: 'name', gen: (r, i) => `${i + 1} ${text(r, 1, 2)}` },
  ] },
  { name: 'product_tags', weight: 0.06, min: 1, ddl: `CREATE TABLE product_tags (
    product_id INT UNSIGNED NOT NULL, tag_id SMALLINT UNSIGNED NOT NULL, PRIMARY KEY (product_id, tag_id), KEY tag (tag_id),
    FOREIGN KEY (product_id) REFERENCES products (id), FOREIGN KEY (tag_id) REFERENCES tags (id)) ENGINE=InnoDB`,
  columns: [
    // row k is the pair (k mod products, k div products): unique while k < products * tags
    { name: 'product_id', gen: (_r, i, n) => String((i % n.products) + 1) },
    { name: 'tag_id', gen: (_r, i, n) => String((Math.floor(i / n.products) % n.tags) + 1) },
  ] },
  { name: 'orders', weight: 0.15, min: 1, ddl: `CREATE TABLE orders (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY, customer_id INT UNSIGNED NOT NULL,
    status ENUM('new','paid','shipped','cancelled') NOT NULL, ordered_at DATETIME(6) NOT NULL, shipped_on DATE NULL,
    total DECIMAL(14,2) NOT NULL, note VARCHAR(255) NULL, KEY customer (customer_id), KEY status_time (status, ordered_at),
    FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (_r, i) => String(i + 1) },
    { name: 'customer_id', gen: (r, _i, n) => String(r.int(1, n.customers)) },
    { name: 'status', gen: (r) => r.pick(STATUS) },
    { name: 'ordered_at', gen: (r) => `${datetime(r.int(0, YEARS_15))}.${String(r.int(0, 999999)).padStart(6, '0')}` },
    { name: 'shipped_on', gen: (r) => nullable(r, 0.35, () => date(r)) },
    { name: 'total', gen: (r) => decimal(r.int(100, 500000000)) },
    { name: 'note', gen: (r) => nullable(r, 0.8, () => text(r, 1, 8)) },
  ] },
  { name: 'order_items', weight: 0.3, min: 1, ddl: `CREATE TABLE order_items (
    order_id BIGINT UNSIGNED NOT NULL, line SMALLINT UNSIGNED NOT NULL, product_id INT UNSIGNED NOT NULL,
    qty SMALLINT NOT NULL, unit_price DECIMAL(10,2) NOT NULL, discount FLOAT NULL, PRIMARY KEY (order_id, line),
    KEY product (product_id), FOREIGN KEY (order_id) REFERENCES orders (id),
    FOREIGN KEY (product_id) REFERENCES products (id)) ENGINE=InnoDB`,
  columns: [
    { name: 'order_id', gen: (_r, i, n) => String((i % n.orders) + 1) },
    { name: 'line', gen: (_r, i, n) => String(Math.floor(i / n.orders) + 1) },
    { name: 'product_id', gen: (r, _i, n) => String(r.int(1, n.products)) },
    { name: 'qty', gen: (r) => String(r.int(1, 20)) },
    { name: 'unit_price', gen: (r) => decimal(r.int(1, 9999999)) },
    { name: 'discount', gen: (r) => nullable(r, 0.7, () => String(r.int(0, 50) / 100)) },
  ] },
  { name: 'events', weight: 0.2, min: 1, ddl: `CREATE TABLE events (
    id BIGINT NOT NULL, at TIMESTAMP(3) NOT NULL DEFAULT '2015-01-01 00:00:00', level TINYINT NOT NULL,
    source VARCHAR(32) NOT NULL, message TEXT NOT NULL, payload JSON NULL, KEY at (at)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (r) => String(r.int(1, 2 ** 40)) }, // no primary key, duplicates allowed
    { name: 'at', gen: (r) => `${datetime(r.int(0, YEARS_15))}.${String(r.int(0, 999)).padStart(3, '0')}` },
    { name: 'level', gen: (r) => String(r.int(0, 7)) },
    { name: 'source', gen: (r) => r.pick(SOURCES) },
    { name: 'message', gen: (r) => text(r, 4, 30) },
    { name: 'payload', gen: (r) => nullable(r, 0.5, () => json(r)) },
  ] },
  { name: 'sessions', weight: 0.05, min: 1, ddl: `CREATE TABLE sessions (
    id CHAR(36) NOT NULL PRIMARY KEY, customer_id INT UNSIGNED NULL, data MEDIUMBLOB NOT NULL, ip VARBINARY(16) NOT NULL,
    expires_at DATETIME NOT NULL, KEY expires (expires_at), FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (r, i) => `${(i + 1).toString(16).padStart(8, '0')}-${r.hex(2)}-${r.hex(2)}-${r.hex(2)}-${r.hex(6)}` },
    { name: 'customer_id', gen: (r, _i, n) => nullable(r, 0.3, () => String(r.int(1, n.customers))) },
    { name: 'data', gen: (r) => hex(r, 100, 1000), hex: true },
    { name: 'ip', gen: (r) => r.hex(r.next() < 0.8 ? 4 : 16), hex: true },
    { name: 'expires_at', gen: (r) => datetime(r.int(0, YEARS_15)) },
  ] },
  { name: 'metrics', weight: 0.1, min: 1, ddl: `CREATE TABLE metrics (
    host VARCHAR(64) NOT NULL, ts BIGINT NOT NULL, cpu DOUBLE NOT NULL, mem_mb INT NOT NULL, ok TINYINT(1) NOT NULL,
    temp FLOAT NULL, label VARCHAR(20) NULL) ENGINE=InnoDB`, // no primary key and no index at all
  columns: [
    { name: 'host', gen: (r) => r.pick(HOSTS) },
    { name: 'ts', gen: (r) => String(1_420_070_400_000 + r.int(0, YEARS_15) * 1000) },
    { name: 'cpu', gen: (r) => String(r.int(0, 1_000_000) / 10_000) },
    { name: 'mem_mb', gen: (r) => String(r.int(64, 65536)) },
    { name: 'ok', gen: (r) => (r.next() < 0.95 ? '1' : '0') },
    { name: 'temp', gen: (r) => nullable(r, 0.1, () => String(r.int(-400, 1100) / 10)) },
    { name: 'label', gen: (r) => nullable(r, 0.5, () => tsvEscape(r.pick(WORDS))) },
  ] },
  { name: 'documents', weight: 0.019, min: 1, ddl: `CREATE TABLE documents (
    id INT UNSIGNED NOT NULL PRIMARY KEY, slug VARCHAR(120) NOT NULL, title VARCHAR(255) NOT NULL, body MEDIUMTEXT NOT NULL,
    published DATETIME NULL, lang CHAR(5) NOT NULL, UNIQUE KEY slug (slug), KEY published (published)) ENGINE=InnoDB`,
  columns: [
    { name: 'id', gen: (_r, i) => String(i + 1) },
    { name: 'slug', gen: (r, i) => `doc-${i + 1}-${r.hex(4)}` },
    { name: 'title', gen: (r) => text(r, 2, 10) },
    { name: 'body', gen: (r) => text(r, 40, 400) },
    { name: 'published', gen: (r) => nullable(r, 0.25, () => datetime(r.int(0, YEARS_15))) },
    { name: 'lang', gen: (r) => r.pick(['en', 'fr', 'ja', 'de-CH', 'pt-BR']) },
  ] },
]
