/**
 * The response bodies of the admin routes, as zod/mini schemas, next to the request schemas of
 * `schemas.ts`. Like `lib/auth/responses.ts`: the OpenAPI document is generated from them, and the
 * service imports them only as types, so no bundle carries them.
 */
import * as z from 'zod/mini';
import { VERIFICATION_SENT_DETAIL } from '../auth/messages.js';
import { User } from '../auth/responses.js';

/** `GET /api/admin/users`: one page of users. */
export const UserList = z.object({
  count: z.int().check(z.nonnegative()),
  page: z.int().check(z.minimum(1)),
  page_size: z.int().check(z.minimum(1)),
  results: z.array(User),
});
export type UserPage = z.infer<typeof UserList>;

/** `POST /api/admin/users/{id}/resend-verification`. */
export const VerificationSentResponse = z.object({ detail: z.literal(VERIFICATION_SENT_DETAIL) });
