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
      const message = issue.input === undefined
        ? 'This field is required.'
        : issue.input === null
          ? 'This field may not be null.'
          : `Must be ${TYPE_NAMES[issue.expected] ?? issue.expected}.`;
      return { field, message };
    }
    return { field, message: issue.message };
  });
}

/** Parses `input` with `schema` or throws a 400 `validation_error` listing every failed rule. */
export function validate<T extends z.ZodMiniType>(schema: T, input: unknown, detail?: string): z.infer<T> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw problems.validation(fieldErrors(result.error.issues), detail);
}
