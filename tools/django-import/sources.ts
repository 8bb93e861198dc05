/**
 * Where Django users are read from: the Django database itself (`auth_user`, or a custom user
 * model's table), or an export of it (CSV with a header row; a JSON array of objects, or
 * `manage.py dumpdata auth.user` output). Every source yields records keyed by `auth_user`'s
 * column names, so `records.ts` reads them all the same way.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import postgres from 'postgres';
import type { SourceRecord } from './records.js';

/** A problem that stops the whole import (unreachable source, missing table, unreadable file). */
export class ImportError extends Error {
  override name = 'ImportError';
}

export type SourceSpec = { url: string; table?: string } | { file: string };

/** The columns the importer reads; anything else in a table or export is ignored. */
export const DJANGO_COLUMNS = [
  'id',
  'email',
  'password',
  'full_name',
  'first_name',
  'last_name',
  'username',
  'is_active',
  'is_staff',
  'is_superuser',
  'date_joined',
  'last_login',
] as const;
const REQUIRED_COLUMNS = ['email', 'password'] as const;

/** One consistent view of a source: both passes of an import see the same rows in the same order. */
export interface SourceReader {
  count(): Promise<number>;
  /** Rows in batches of `size`; `columns` narrows what a database reads (files give whole rows). */
  batches(size: number, columns?: readonly string[]): AsyncIterable<SourceRecord[]>;
}

export interface UserSource {
  /** For the summary: `table "auth_user"`, `users.csv (CSV)`. Never holds credentials. */
  readonly description: string;
  readonly columns: ReadonlySet<string>;
  read<T>(work: (reader: SourceReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openSource(spec: SourceSpec): Promise<UserSource> {
  return 'file' in spec ? openFile(spec.file) : openTable(spec.url, spec.table ?? 'auth_user');
}

function requireColumns(columns: ReadonlySet<string>, where: string): void {
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
  if (missing.length) {
    throw new ImportError(
      `${where} has no ${missing.join(' or ')} column: a Django user table needs both (found: ${[...columns].join(', ') || 'none'}).`,
    );
  }
}

// --- Django's database -------------------------------------------------------------------------

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The message of a connection or query error, without the URL (which may hold a password). */
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function openTable(url: string, table: string): Promise<UserSource> {
  const client = postgres(url, {
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
    // Timestamps are read as text: in UTC and ISO order whatever the server's defaults are.
    connection: { application_name: 'auth-service-import', TimeZone: 'UTC', DateStyle: 'ISO, YMD' },
  });
  const close = () => client.end({ timeout: 1 });
  try {
    const dot = table.indexOf('.');
    const [schema, name] = dot > 0 ? [table.slice(0, dot), table.slice(dot + 1)] : [null, table];
    let found: { column_name: string }[];
    try {
      found = await client<{ column_name: string }[]>`
        select column_name from information_schema.columns
        where table_name = ${name} and table_schema = coalesce(${schema}::text, current_schema())
        order by ordinal_position`;
    } catch (error) {
      throw new ImportError(`Cannot read the Django database: ${reason(error)}`);
    }
    if (!found.length) {
      throw new ImportError(
        `Table "${table}" does not exist in the Django database (or this user may not read it). ` +
          'For a custom user model, name its table with --table (e.g. --table accounts_user).',
      );
    }
    const available = new Set(found.map((r) => r.column_name));
    requireColumns(available, `Table "${table}"`);
    const columns = new Set(DJANGO_COLUMNS.filter((c) => available.has(c)));
    const from = schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
    // Both passes must list rows in one order; without an id, ctid is stable inside the snapshot.
    const order = columns.has('id') ? 'order by "id"' : 'order by ctid';

    const reader = (tx: postgres.TransactionSql): SourceReader => ({
      async count() {
        const [row] = await tx.unsafe<{ n: number }[]>(`select count(*)::int as n from ${from}`);
        return row!.n;
      },
      async *batches(size, wanted) {
        const list = [...columns].filter((c) => !wanted || wanted.includes(c));
        // Everything as text: one parsing path for the database and CSV exports alike.
        const select = list.map((c) => `${quoteIdent(c)}::text as ${quoteIdent(c)}`).join(', ');
        for await (const rows of tx.unsafe(`select ${select} from ${from} ${order}`).cursor(size)) {
          yield rows as SourceRecord[];
        }
      },
    });

    return {
      description: `table ${quoteIdent(table)}`,
      columns,
      // One read-only snapshot for both passes: rows added meanwhile cannot slip past the
      // duplicate check of the first pass.
      async read<T>(work: (reader: SourceReader) => Promise<T>): Promise<T> {
        return (await client.begin('isolation level repeatable read read only', (tx) => work(reader(tx)))) as T;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// --- Exports (files) ---------------------------------------------------------------------------

async function openFile(path: string): Promise<UserSource> {
  const format = extname(path).toLowerCase();
  if (format !== '.csv' && format !== '.json') {
    throw new ImportError(`Cannot tell the format of ${path}: name it .csv (with a header row) or .json.`);
  }
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new ImportError(`Cannot read ${path}: ${reason(error)}`);
  }
  const records = format === '.csv' ? parseCsvExport(content, path) : parseJsonExport(content, path);
  const columns = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) columns.add(key);
  requireColumns(columns, path);
  const reader: SourceReader = {
    count: async () => records.length,
    async *batches(size) {
      for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
    },
  };
  return {
    description: `${path} (${format === '.csv' ? 'CSV' : 'JSON'})`,
    columns,
    read: (work) => work(reader),
    close: async () => {},
  };
}

function parseCsvExport(content: string, path: string): SourceRecord[] {
  try {
    return parseCsv(content, {
      columns: (header: string[]) => header.map((name) => name.trim()),
      bom: true,
      skip_empty_lines: true,
    }) as SourceRecord[];
  } catch (error) {
    // csv-parse quotes the offending field in some messages; it may be a password hash.
    const message = error instanceof CsvError ? `${error.code} near line ${error.lines}` : reason(error);
    throw new ImportError(`Cannot parse ${path} as CSV: ${message}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJsonExport(content: string, path: string): SourceRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ImportError(`Cannot parse ${path} as JSON: ${reason(error)}`);
  }
  if (!Array.isArray(data)) throw new ImportError(`${path} must hold a JSON array of user objects.`);
  return data.map((item, index) => {
    if (!isObject(item)) throw new ImportError(`${path}: item ${index + 1} is not an object.`);
    // `manage.py dumpdata auth.user` wraps each row: { model, pk, fields: { ... } }.
    const row = isObject(item.fields) && 'pk' in item ? { id: item.pk, ...item.fields } : item;
    return Object.fromEntries(
      Object.entries(row).map(([key, value]) => [key, isScalar(value) ? value : JSON.stringify(value)]),
    ) as SourceRecord;
  });
}

const isScalar = (value: unknown): value is string | number | boolean | null =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value);
