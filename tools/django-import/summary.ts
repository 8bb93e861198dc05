/** The import's report as an operator reads it at the end of `npm run import:django`. */
import type { ImportSummary } from './django.js';
import type { NameSource, SkipReason, WarningKind } from './records.js';

const SKIP_LABELS: Record<SkipReason, string> = {
  no_email: 'no email',
  invalid_email: 'invalid email',
  duplicate_email: 'duplicate email after normalisation',
  invalid_field: 'unreadable field',
};

const WARNING_LABELS: Record<WarningKind, string> = {
  full_name_truncated: 'full_name cut to 150 characters',
  date_joined_missing: 'date_joined missing: set to the import time',
  timestamp_without_zone: 'timestamps without a time zone: read as UTC',
};

const NAME_LABELS: Record<NameSource, string> = {
  full_name: 'full_name',
  first_last: 'first_name + last_name',
  username: 'username',
  email: "the email's local part",
};

/** How many ids or rows a text report lists before "and N more" (the JSON report lists all). */
const LIST_MAX = 10;

function list(items: readonly string[]): string {
  const shown = items.slice(0, LIST_MAX).join(', ');
  return items.length > LIST_MAX ? `${shown} and ${items.length - LIST_MAX} more` : shown;
}

const pad = (label: string, width = 40) => label.padEnd(width);

/** Renders the summary as plain text. It names source ids and emails, never a password or hash. */
export function formatSummary(s: ImportSummary): string {
  const lines: string[] = [];
  lines.push(s.dryRun ? 'Django import: DRY RUN, nothing was written' : 'Django import finished');
  lines.push(`${pad('source')}${s.source}`);
  lines.push(`${pad('read')}${s.read}`);
  lines.push(`${pad(s.dryRun ? 'would import (new)' : 'imported (new)')}${s.imported}`);
  lines.push(`${pad(s.dryRun ? 'would update' : 'updated')}${s.updated}`);
  if (s.keptNewerPassword.length) {
    lines.push(
      `${pad('  kept newer password')}${s.keptNewerPassword.length}  (set in this service; ids ${list(s.keptNewerPassword)})`,
    );
  }
  lines.push(
    `${pad('email_verified')}${s.markVerified ? 'true for every imported or updated account (--mark-verified)' : "new accounts start unverified (--mark-verified to trust Django's addresses)"}`,
  );
  lines.push(`${pad('skipped')}${s.skipped.length}`);
  for (const reason of Object.keys(SKIP_LABELS) as SkipReason[]) {
    const rows = s.skipped.filter((row) => row.reason === reason);
    if (!rows.length) continue;
    lines.push(`${pad(`  ${SKIP_LABELS[reason]}`)}${rows.length}`);
    if (reason === 'duplicate_email') {
      for (const conflict of s.conflicts.slice(0, LIST_MAX))
        lines.push(`      ${conflict.email}: source ids ${conflict.ids.join(', ')}`);
      if (s.conflicts.length > LIST_MAX) lines.push(`      and ${s.conflicts.length - LIST_MAX} more emails`);
    } else {
      for (const row of rows.slice(0, LIST_MAX)) lines.push(`      id ${row.id}: ${row.detail}`);
      if (rows.length > LIST_MAX) lines.push(`      and ${rows.length - LIST_MAX} more`);
    }
  }

  const warnings = (Object.keys(WARNING_LABELS) as WarningKind[]).filter((kind) => s.warnings[kind]?.length);
  if (warnings.length) {
    lines.push('warnings (rows imported anyway)');
    for (const kind of warnings) {
      const ids = s.warnings[kind]!;
      lines.push(`${pad(`  ${WARNING_LABELS[kind]}`)}${ids.length}  (ids ${list(ids)})`);
    }
  }

  const names = (Object.keys(NAME_LABELS) as NameSource[]).filter((source) => s.nameSources[source]);
  if (names.length)
    lines.push(`${pad('full_name taken from')}${names.map((n) => `${NAME_LABELS[n]} ${s.nameSources[n]}`).join(', ')}`);

  const stored = s.passwordFormats.reduce((sum, f) => sum + f.count, 0);
  lines.push(`password formats (${stored} stored)`);
  for (const format of s.passwordFormats) {
    const note = format.supported
      ? 'login verifies it (then stores bcrypt)'
      : 'cannot be verified: the user must reset their password';
    lines.push(`${pad(`  ${format.algorithm}`)}${format.count}  ${note}`);
  }
  lines.push(`${pad('time')}${(s.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
