/**
 * What the admin API accepts: the user list's query string and the PATCH body. Messages follow
 * Django REST framework's wording, as the auth schemas do.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { FullName } from '../auth/schemas.js';

/** The user list's orderings: a field, descending with a leading `-` (Django's convention). */
export const ADMIN_USER_ORDERINGS = [
  'date_joined',
  '-date_joined',
  'email',
  '-email',
  'full_name',
  '-full_name',
  'last_login',
  '-last_login',
] as const;

export type AdminUserOrdering = (typeof ADMIN_USER_ORDERINGS)[number];

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Keeps `(page - 1) * page_size` far inside Postgres' bigint OFFSET. */
export const MAX_PAGE = 2_147_483_647;

/** A query-string integer in [min, max]: `page=abc` and `page=0` are 400s, not silently page 1. */
export const wholeNumber = (min: number, max: number) =>
  z.pipe(
    z.string().check(z.trim(), z.regex(/^\d+$/, 'A valid integer is required.')),
    z.pipe(
      z.transform(Number),
      z
        .number()
        .check(
          z.gte(min, `Ensure this value is greater than or equal to ${min}.`),
          z.lte(max, `Ensure this value is less than or equal to ${max}.`),
        ),
    ),
  );

const Ordering = z.enum(ADMIN_USER_ORDERINGS, {
  error: (issue) => `"${String(issue.input)}" is not a valid ordering. Use one of: ${ADMIN_USER_ORDERINGS.join(', ')}.`,
});

/** `GET /api/admin/users?search=&page=1&page_size=20&ordering=-date_joined` */
export const AdminUserListQuery = z.object({
  /** Case-insensitive substring of the email or the full name; empty means everyone. */
  search: z._default(
    z.string().check(z.trim(), z.maxLength(254, 'Ensure this field has no more than 254 characters.')),
    '',
  ),
  page: z._default(wholeNumber(1, MAX_PAGE), 1),
  page_size: z._default(wholeNumber(1, MAX_PAGE_SIZE), DEFAULT_PAGE_SIZE),
  ordering: z._default(Ordering, '-date_joined'),
  /** Only verified (`true`) or only unverified (`false`) addresses; absent means both. */
  email_verified: z.optional(
    z.pipe(
      z.enum(['true', 'false'], { error: 'Must be true or false.' }),
      z.transform((value) => value === 'true'),
    ),
  ),
});

export type AdminUserListInput = z.infer<typeof AdminUserListQuery>;

export const PATCHABLE_FIELDS = ['full_name', 'is_active', 'is_staff', 'email_verified'] as const;

/**
 * `PATCH /api/admin/users/{id}`: any of the fields, but at least one. Unknown fields are ignored
 * (the contract's rule), so an empty or misspelt body (`{"is_activ": false}`) would otherwise
 * answer 200 while changing nothing: an admin must see that their change did not happen.
 */
export const AdminUserPatchBody = z
  .object({
    full_name: z.optional(FullName),
    is_active: z.optional(z.boolean()),
    is_staff: z.optional(z.boolean()),
    // Only `true`: an address is proved by its inbox, and nothing here un-proves it.
    email_verified: z.optional(
      z.literal(true, { error: 'Only true is accepted: an address can be marked verified, not unverified.' }),
    ),
  })
  .check(
    z.refine((body) => PATCHABLE_FIELDS.some((field) => body[field] !== undefined), {
      error: `Provide at least one of: ${PATCHABLE_FIELDS.join(', ')}.`,
    }),
  );

export type AdminUserPatch = z.infer<typeof AdminUserPatchBody>;

/** The `{id}` of `/api/admin/users/{id}` (anything; a malformed id simply names no user: 404). */
export const targetUserId = (event: Pick<APIGatewayProxyEventV2, 'pathParameters'>): string =>
  event.pathParameters?.id ?? '';
