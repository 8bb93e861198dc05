/** Summary statistics of latency samples (milliseconds) and the small formatting helpers the report shares. */

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  /** Sequential throughput: iterations per second of timed handler time (one caller, like one Lambda instance). */
  opsPerS: number;
}

/** The q-quantile (0–1) of sorted samples, interpolated linearly between ranks (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * q;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return quantile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, x) => sum + x, 0);
  return {
    n: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    mean: total / sorted.length,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    opsPerS: sorted.length / (total / 1000),
  };
}

/** Milliseconds with precision that suits their size: 0.412, 4.12, 41.2, 412. */
export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  return value.toFixed(abs < 1 ? 3 : abs < 10 ? 2 : abs < 100 ? 1 : 0);
}

export function ops(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** A plain-text table: the first row is the header, numbers right-aligned, text left-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => [...(row[c] ?? '')].length)));
  const numeric = (cell: string) => /^[-+–]?[\d.,]+( ?(ms|KB|%))?$|^–$/.test(cell);
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => {
        const pad = ' '.repeat(widths[c]! - [...cell].length);
        return numeric(cell) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), rows[0]!.map((_, c) => '-'.repeat(widths[c]!)).join('  '), ...rows.slice(1).map(line)].join(
    '\n',
  );
}

/** The same table as Markdown (for docs/README-performance.md). */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const numericColumn = rows[0]!.map((_, c) =>
    rows.slice(1).every((row) => /^[-+–]?[\d.,]+( ?(ms|KB|%))?$|^–$/.test(row[c] ?? '')),
  );
  const line = (row: readonly string[]) => `| ${row.join(' | ')} |`;
  return [line(rows[0]!), line(numericColumn.map((n) => (n ? '---:' : '---'))), ...rows.slice(1).map(line)].join('\n');
}
