/** Request bodies of the two-factor routes (zod/mini, like lib/auth/schemas.ts). */
import * as z from 'zod/mini';
import { notBlank, Password } from '../schemas.js';

/** A 6-digit TOTP code or a recovery code, as typed (spaces and dashes are ignored). */
export const MfaCode = z
  .string()
  .check(notBlank(), z.maxLength(64, 'Ensure this field has no more than 64 characters.'));

export const TotpSetupBody = z.object({ password: Password });
export const TotpConfirmBody = z.object({ code: MfaCode });
/** Disabling TOTP and regenerating recovery codes: the password and a current code. */
export const MfaReauthBody = z.object({ password: Password, code: MfaCode });
/** A blank or malformed `mfa_token` is `invalid_mfa_token`, like an unknown one: only its absence is a validation error. */
export const LoginMfaBody = z.object({ mfa_token: z.string(), code: MfaCode });

export type MfaReauthInput = z.infer<typeof MfaReauthBody>;
export type LoginMfaInput = z.infer<typeof LoginMfaBody>;
