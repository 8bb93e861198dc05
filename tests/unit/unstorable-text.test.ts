/**
 * Text Postgres cannot store (U+0000) or that is not Unicode (lone UTF-16 surrogates) is refused
 * by the shared validation layer for every route: every string field of every body and query
 * string answers 400 `validation_error` naming the field; a path parameter answers 404; a
 * `User-Agent` that carries it is cleaned, never a 500. The routes and their fields come from
 * routes.json and openapi.yaml, so a route added later is covered here without edits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { clientOf } from '../../lib/http/api.js';
import { toStorableText, UNSTORABLE_TEXT_MESSAGE, unstorableTextErrors } from '../../lib/http/validation.js';
import { expectMatchesSpec } from '../helpers/contract.js';
import { call, expectProblem, httpEvent } from '../helpers/http.js';
import { fillPath, loadHandlers, type Operation, operations } from '../helpers/route-catalogue.js';

const BAD_TEXT = {
  nul: 'ann\u0000@example.com',
  'lone high surrogate': 'ann\ud800x',
  'lone low surrogate': '\udc00ann',
};

let handlers: Awaited<ReturnType<typeof loadHandlers>>;
beforeAll(async () => {
  handlers = await loadHandlers();
});

const isStringField = (schema: Record<string, any>) =>
  schema.type === undefined || schema.type === 'string' || schema.type?.includes?.('string');
const sampleValue = (schema: Record<string, any>) =>
  schema.type === 'boolean' ? true : schema.type === 'integer' ? 1 : 'Sample Value';
const samplePath = (op: Operation) =>
  fillPath(op.path, Object.fromEntries(op.pathParams.map((name) => [name, '00000000-0000-4000-8000-000000000000'])));

const bodyCases = operations.flatMap((op) =>
  Object.entries(op.bodyFields ?? {})
    .filter(([, schema]) => isStringField(schema))
    .map(([field]) => ({ op, field, where: 'body' as const })),
);
const queryCases = operations.flatMap((op) =>
  Object.keys(op.queryParams).map((field) => ({ op, field, where: 'query' as const })),
);

describe('unstorable text in any string field', () => {
  it('finds string fields to test (the sweep is not empty)', () => {
    expect(bodyCases.length).toBeGreaterThan(10);
    expect(queryCases.length).toBeGreaterThan(0);
  });

  it.each([...bodyCases, ...queryCases].map((c) => [`${c.op.method} ${c.op.path} ${c.where} ${c.field}`, c] as const))(
    '%s: NUL and lone surrogates answer 400 validation_error naming the field',
    async (_, { op, field, where }) => {
      for (const [kind, text] of Object.entries(BAD_TEXT)) {
        const input = { [field]: text };
        const res = await call(
          handlers[op.functionName]!,
          op.method,
          samplePath(op),
          where === 'body' ? { body: input } : { query: input },
        );
        expectProblem(res, 400, 'validation_error');
        expect(res.body.errors, kind).toContainEqual({ field, message: UNSTORABLE_TEXT_MESSAGE });
        expectMatchesSpec(op.method, op.path, res);
      }
    },
  );

  it('names nested fields and unknown fields too, alongside the other failed rules', () => {
    expect(unstorableTextErrors({ email: 'a@b.c', extra: { list: ['ok', 'x\u0000'] } })).toEqual([
      { field: 'extra.list.1', message: UNSTORABLE_TEXT_MESSAGE },
    ]);
    expect(unstorableTextErrors({ ok: '😀 paired surrogates are fine', also: 'é' })).toEqual([]);
  });

  it('checks a body nested thousands of levels deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(8000)}"\\u0000"${']'.repeat(8000)}`);
    expect(unstorableTextErrors(deep)).toHaveLength(1);
  });
});

describe('unstorable text in a path parameter', () => {
  const withParams = operations.filter((op) => op.pathParams.length > 0);

  it.each(withParams.map((op) => [`${op.method} ${op.path}`, op] as const))(
    '%s answers 404, never 500',
    async (_, op) => {
      for (const text of Object.values(BAD_TEXT)) {
        const params = Object.fromEntries(op.pathParams.map((name) => [name, text]));
        // A body, where the route takes one, with every documented field: only the path is wrong.
        const body = op.bodyFields
          ? Object.fromEntries(Object.entries(op.bodyFields).map(([name, schema]) => [name, sampleValue(schema)]))
          : undefined;
        // Likewise a query string with every documented parameter (the web sign-in's redirect_uri).
        const query = Object.fromEntries(
          Object.entries(op.queryParams).map(([name, schema]) => [
            name,
            name === 'redirect_uri' ? 'https://app.example.com/' : String(sampleValue(schema)),
          ]),
        );
        const res = await call(handlers[op.functionName]!, op.method, fillPath(op.path, params), {
          pathParameters: params,
          body,
          query,
        });
        expectProblem(res, 404, 'not_found');
      }
    },
  );
});

describe('unstorable text in the User-Agent header (stored with each session)', () => {
  it('is cleaned and capped to what the columns hold', () => {
    expect(toStorableText('curl/8\u0000x', 512)).toBe('curl/8\ufffdx');
    expect(toStorableText('a\ud800b\udc00', 512)).toBe('a\ufffdb\ufffd');
    // 511 characters and a surrogate pair: the pair is dropped whole, never split into a lone half.
    expect(toStorableText(`${'a'.repeat(511)}😀`, 512)).toBe('a'.repeat(511));
    expect(clientOf(httpEvent('GET', '/', { headers: { 'user-agent': 'x\u0000' } }) as never).userAgent).toBe(
      'x\ufffd',
    );
  });
});
