/**
 * zod → the contract's `validation_error`: one `errors` entry per failed rule, `field` the dotted
 * path. Type errors get messages a person can act on instead of zod's developer wording.
 */
import type * as z from 'zod/mini';
import { type FieldError, problems } from './problem.js';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

/** Maps zod issues to the contract's field errors. */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], root = 'body'): FieldError[] {
  return issues.map((issue) => {
    const field = issue.path.length ? issue.path.map(String).join('.') : root;
    if (issue.code === 'invalid_type') {
      const message =
        issue.input === undefined
          ? 'This field is required.'
          : issue.input === null
            ? 'This field may not be null.'
            : `Must be ${TYPE_NAMES[issue.expected] ?? issue.expected}.`;
      return { field, message };
    }
    return { field, message: issue.message };
  });
}

/**
 * Text Postgres cannot store (it rejects U+0000 outright) or that is not Unicode at all (a lone
 * UTF-16 surrogate, which JSON's `\ud800` escapes can carry and the driver would silently turn
 * into U+FFFD). Refused here once, for every route, rather than surfacing as a 500 from the
 * database or as quietly altered data.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isUnstorableText = (text: string): boolean => UNSTORABLE.test(text);

/**
 * Text we record but do not validate (the `User-Agent` header): unstorable characters become
 * U+FFFD and the length is capped at `maxLength` UTF-16 units without splitting a pair.
 */
export function toStorableText(text: string, maxLength: number): string {
  const cleaned = text.replace(new RegExp(UNSTORABLE.source, 'g'), '\uFFFD');
  if (cleaned.length <= maxLength) return cleaned;
  const cut = cleaned.slice(0, maxLength);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

export const UNSTORABLE_TEXT_MESSAGE = 'Must not contain U+0000 (NUL) or unpaired UTF-16 surrogates.';

/**
 * Every string value in `input` (nested objects and lists included, iteratively: a 16 KiB body
 * can nest thousands of levels) that {@link isUnstorableText}, as field errors. Unknown fields
 * count too: the contract ignores them, but text that is not storable is refused anywhere.
 */
export function unstorableTextErrors(input: unknown, root = 'body'): FieldError[] {
  interface Node {
    value: unknown;
    key?: string;
    parent?: Node;
  }
  const fieldOf = (node: Node): string => {
    const path: string[] = [];
    for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
    return path.length ? path.join('.') : root;
  };
  const errors: FieldError[] = [];
  const pending: Node[] = [{ value: input }];
  while (pending.length) {
    const node = pending.pop()!;
    if (typeof node.value === 'string') {
      if (isUnstorableText(node.value)) errors.push({ field: fieldOf(node), message: UNSTORABLE_TEXT_MESSAGE });
    } else if (typeof node.value === 'object' && node.value !== null) {
      const children = Object.entries(node.value);
      for (let i = children.length - 1; i >= 0; i--)
        pending.push({ value: children[i]![1], key: children[i]![0], parent: node });
    }
  }
  return errors;
}

/** Parses `input` with `schema` or throws a 400 `validation_error` listing every failed rule. */
export function validate<T extends z.ZodMiniType>(schema: T, input: unknown, detail?: string): z.infer<T> {
  const unstorable = unstorableTextErrors(input);
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success && unstorable.length === 0) return result.data;
  // A field with unstorable text gets that one message, not also zod's verdict on the same text.
  const named = new Set(unstorable.map((error) => error.field));
  const others = result.success ? [] : fieldErrors(result.error.issues).filter((error) => !named.has(error.field));
  throw problems.validation([...unstorable, ...others], detail);
}
