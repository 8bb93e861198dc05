/** What the social sign-in routes accept (zod/mini; the OpenAPI document is generated from these). */
import * as z from 'zod/mini';

const BLANK = 'This field may not be blank.';
const required = (max: number) =>
  z
    .string()
    .check(
      z.minLength(1, { error: BLANK, abort: true }),
      z.maxLength(max, `Ensure this field has no more than ${max} characters.`),
    );

/** `POST /api/auth/oidc/{provider}/id-token` */
export const IdTokenBody = z.object({
  id_token: required(16_000),
  nonce: z.optional(required(512)),
  full_name: z.optional(
    z.string().check(z.trim(), z.maxLength(150, 'Ensure this field has no more than 150 characters.')),
  ),
});

/** `GET /api/auth/oidc/{provider}/authorize?redirect_uri=&state=` */
export const AuthorizeQuery = z.object({
  redirect_uri: required(2048),
  state: z.optional(required(512)),
});

/** `POST /api/auth/oidc/exchange`: a blank or malformed code is `invalid_token`, like an unknown one. */
export const ExchangeBody = z.object({ code: z.string() });

export type IdTokenInput = z.infer<typeof IdTokenBody>;
