/**
 * `npm run import:django -- --from-url postgres://… | --from-file users.csv|users.json`
 * Imports the Django service's users (with their password hashes) into DATABASE_URL.
 * The work is `tools/django-import/django.ts`; this file parses arguments, draws progress and prints the
 * summary. Exit codes: 0 done (skipped rows included), 1 fatal error, 2 bad arguments.
 */
import '../tools/local/load-env.js';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { config } from '../lib/config.js';
import { closeSql } from '../lib/db/sql.js';
import { DEFAULT_BATCH_SIZE, ImportError, importDjangoUsers, type SourceSpec } from '../tools/django-import/django.js';
import { formatSummary } from '../tools/django-import/summary.js';
import { describeDatabase, requireServices } from '../tools/local/services.js';

const USAGE = `Usage: npm run import:django -- (--from-url <postgres-url> [--table <name>] | --from-file <path.csv|path.json>)
                              [--dry-run] [--batch-size <n>] [--json] [--id-map <path.csv>] [--mark-verified]

  --from-url     the Django database (read only, in one snapshot)
  --table        its user table (default auth_user; a custom user model's, e.g. accounts_user or schema.table)
  --from-file    an export: CSV with a header row, or a JSON array (manage.py dumpdata auth.user works)
  --dry-run      read, validate and report everything; write nothing
  --batch-size   rows per transaction (default ${DEFAULT_BATCH_SIZE})
  --json         print the summary as JSON (every skipped row and id) instead of text
  --id-map       write django_id,email,user_id for every imported or updated row (Django's integer
                 ids become UUIDs here; services that stored them need this map)
  --mark-verified  mark every imported or updated account's email verified (for addresses the
                 Django service already proved); without it new accounts start unverified

Users are written to DATABASE_URL (${describeDatabase(config.database.url)}).`;

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'from-url': { type: 'string' },
        'from-file': { type: 'string' },
        table: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        json: { type: 'boolean', default: false },
        'id-map': { type: 'string' },
        'mark-verified': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const url = values['from-url'];
  const file = values['from-file'];
  if ((url === undefined) === (file === undefined)) usageError('Give exactly one of --from-url and --from-file.');
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) usageError('--from-url must be a postgres:// URL.');
  if (file !== undefined && values.table !== undefined) usageError('--table only applies to --from-url.');
  const batchSize = values['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    usageError('--batch-size must be a whole number from 1 to 10000.');
  if (values['id-map'] !== undefined && values['dry-run'])
    usageError('--id-map needs a real run: a dry run creates no ids.');
  const source: SourceSpec = url !== undefined ? { url, table: values.table } : { file: file! };
  return {
    source,
    sourceLabel: url !== undefined ? describeDatabase(url) : file!,
    dryRun: values['dry-run'],
    batchSize,
    json: values.json,
    idMapPath: values['id-map'],
    markVerified: values['mark-verified'],
  };
}

/**
 * A one-line progress bar on stderr, only when stderr is a terminal (never in CI logs or when
 * piped). Hand-written: it is a dozen lines, where a package would add a dependency for them.
 */
function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  let drawnAt = 0;
  return {
    update(done: number, total: number) {
      if (!stream.isTTY) return;
      const now = Date.now();
      if (now - drawnAt < 100 && done < total) return;
      drawnAt = now;
      const ratio = total ? done / total : 1;
      const filled = Math.round(ratio * 30);
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${done}/${total} rows`,
      );
    },
    clear() {
      if (stream.isTTY) stream.write('\r\x1b[2K');
    },
  };
}

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

const options = parseOptions();
await requireServices({ redis: false });
if (options.idMapPath) {
  // Fail before importing anything rather than after, when the map would be lost.
  await writeFile(options.idMapPath, '').catch((error: Error) => {
    console.error(`Cannot write the id map to ${options.idMapPath}: ${error.message}`);
    process.exit(1);
  });
}
const progress = progressBar();
let batchesDone = 0;
try {
  const summary = await importDjangoUsers({
    ...options,
    collectIdMap: options.idMapPath !== undefined,
    onProgress: (done, total) => {
      batchesDone++;
      progress.update(done, total);
    },
  });
  progress.clear();
  if ('url' in options.source) summary.source += ` in ${options.sourceLabel}`;
  const { idMap, ...report } = summary;
  if (idMap && options.idMapPath) {
    await writeFile(
      options.idMapPath,
      ['django_id,email,user_id', ...idMap.map((e) => [e.sourceId, e.email, e.userId].map(csvField).join(','))].join(
        '\n',
      ) + '\n',
    );
  }
  console.log(options.json ? JSON.stringify(report, null, 2) : formatSummary(report));
  if (idMap && options.idMapPath) console.error(`Id map (${idMap.length} rows) written to ${options.idMapPath}.`);
  process.exitCode = 0;
} catch (error) {
  progress.clear();
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    error instanceof ImportError
      ? `Import failed (${options.sourceLabel}): ${message}`
      : `Import failed unexpectedly: ${message}`,
  );
  if (!options.dryRun && batchesDone)
    console.error(`The ${batchesDone} batch(es) before the failure were committed; running the import again is safe.`);
  process.exitCode = 1;
} finally {
  await closeSql();
}
