/**
 * Summarises V8 CPU profiles (`.cpuprofile`, from `node --cpu-prof` or the inspector) by where the
 * time goes: self time per package (through the bundles' source maps, line by line, so code that
 * esbuild hoisted into one scope is still attributed to its own package) and the top functions.
 *
 * `npm run bench -- --profile` writes and summarises profiles; on its own:
 * `npx tsx bench/profile.ts <file.cpuprofile>...`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceCategory } from './bundles.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  /** Added by bench/routes.ts: how many handler calls the profile covers. */
  iterations?: number;
}

export interface ProfileSummary {
  /** Sampled milliseconds (wall clock, idle included) per iteration. */
  totalMs: number;
  categories: { category: string; ms: number; share: number }[];
  functions: { name: string; location: string; category: string; ms: number }[];
}

const IDLE = 'idle (waiting on Postgres/Redis/SES/timers)';

const maps = new Map<string, SourceMap | undefined>();
function sourceMapOf(path: string): SourceMap | undefined {
  if (!maps.has(path)) {
    const file = `${path}.map`;
    maps.set(path, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : undefined);
  }
  return maps.get(path);
}

/** Where a position of generated code comes from: its package and a short `file:line`. */
function origin(url: string, line: number, column: number): { category: string; location: string } {
  if (!url) return { category: 'V8 builtins / native', location: '' };
  if (url.startsWith('node:')) return { category: 'node (core)', location: url };
  if (!url.startsWith('file:')) return { category: url, location: url };
  const path = fileURLToPath(url);
  const entry = sourceMapOf(path)?.findEntry(line, column);
  if (entry && 'originalSource' in entry && entry.originalSource) {
    const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
    return {
      category: sourceCategory(source),
      location: `${source.replace(/^.*node_modules\//, '')}:${entry.originalLine + 1}`,
    };
  }
  return { category: sourceCategory(path), location: `${basename(path)}:${line + 1}` };
}

function categoryOfSpecial(name: string): string | undefined {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return IDLE;
  if (name === '(program)') return 'V8 (program: compile, IC, runtime)';
  if (name === '(root)') return '(root)';
  return undefined;
}

export function summarizeProfile(profile: CpuProfile, iterations = profile.iterations ?? 1): ProfileSummary {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: it belongs to the previous sample's node.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, delta));
  }
  const categories = new Map<string, number>();
  const functions = new Map<string, { name: string; location: string; category: string; us: number }>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const special = categoryOfSpecial(functionName);
    const start = special ? { category: special, location: '' } : origin(url, lineNumber, columnNumber);
    // Line-level ticks: bundled modules share scopes, so a function's lines can come from several packages.
    const ticks = node.positionTicks ?? [];
    const totalTicks = ticks.reduce((sum, t) => sum + t.ticks, 0);
    if (!special && url.startsWith('file:') && totalTicks > 0) {
      for (const t of ticks) {
        const { category } = origin(url, t.line - 1, 1_000_000);
        categories.set(category, (categories.get(category) ?? 0) + (us * t.ticks) / totalTicks);
      }
    } else {
      categories.set(start.category, (categories.get(start.category) ?? 0) + us);
    }
    const name = functionName || '(anonymous)';
    const key = `${name}@${start.location}`;
    const fn = functions.get(key) ?? { name, location: start.location, category: start.category, us: 0 };
    fn.us += us;
    functions.set(key, fn);
  }
  const perIteration = (us: number) => us / 1000 / iterations;
  return {
    totalMs: perIteration(totalUs),
    categories: [...categories]
      .map(([category, us]) => ({ category, ms: perIteration(us), share: us / totalUs }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()]
      .map((f) => ({ name: f.name, location: f.location, category: f.category, ms: perIteration(f.us) }))
      .sort((a, b) => b.ms - a.ms),
  };
}

/** The summary as text: categories above `minShare`, then the top functions. */
export function formatSummary(
  title: string,
  summary: ProfileSummary,
  options: { top?: number; minShare?: number } = {},
): string {
  const { top = 10, minShare = 0.01 } = options;
  const lines = [`${title}: ${summary.totalMs.toFixed(3)} ms sampled per call`];
  for (const c of summary.categories.filter((c) => c.share >= minShare)) {
    lines.push(`  ${(c.share * 100).toFixed(1).padStart(5)}%  ${c.ms.toFixed(3).padStart(8)} ms  ${c.category}`);
  }
  lines.push('  top self time:');
  for (const f of summary.functions.filter((f) => f.category !== IDLE).slice(0, top)) {
    lines.push(
      `    ${f.ms.toFixed(3).padStart(8)} ms  ${f.name}  ${f.location ? `(${f.location})` : ''}  [${f.category}]`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) {
    console.log(formatSummary(basename(file), summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)));
    console.log();
  }
}
