/**
 * Request bodies of the auth routes (zod/mini: a fraction of full zod's cold-start cost). The
 * OpenAPI document is generated from these same schemas, so docs and validation cannot drift.
 * Messages follow the Django service's wording where it had one.
 */
import * as z from 'zod/mini';

const BLANK = 'This field may not be blank.';
export const notBlank = () => z.minLength(1, { error: BLANK, abort: true });

/** An email as stored: trimmed, lower-cased, and valid. */
export const Email = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    notBlank(),
    z.maxLength(254, 'Ensure this field has no more than 254 characters.'),
    z.email('Enter a valid email address.'),
  );

/**
 * The email at login: not checked for format, so that a malformed one fails like any other
 * wrong credential (401), as it did in the Django service.
 */
export const LoginEmail = z
  .string()
  .check(z.trim(), z.toLowerCase(), notBlank(), z.maxLength(254, 'Ensure this field has no more than 254 characters.'));

/** A password as typed (never trimmed); the policy is applied by `lib/auth/password-policy.ts`, which needs the user's details. */
export const Password = z.string().check(notBlank());

export const FullName = z
  .string()
  .check(z.trim(), notBlank(), z.maxLength(150, 'Ensure this field has no more than 150 characters.'));

export const RegisterBody = z.object({ email: Email, password: Password, full_name: FullName });
export const LoginBody = z.object({ email: LoginEmail, password: Password });
export const RefreshBody = z.object({ refresh: z.string().check(notBlank()) });
export const LogoutBody = RefreshBody;
export const UpdateMeBody = z.object({ full_name: FullName });
export const ChangePasswordBody = z.object({ current_password: Password, new_password: Password });

export type RegisterInput = z.infer<typeof RegisterBody>;
export type LoginInput = z.infer<typeof LoginBody>;

export const ForgotPasswordBody = z.object({ email: Email });
/** A blank or malformed token is `invalid_token`, not a validation error: only its absence is. */
export const ResetPasswordBody = z.object({ token: z.string(), new_password: Password });

/** A blank or malformed token is `invalid_token`, like an unknown one: only its absence is a validation error. */
export const VerifyEmailBody = z.object({ token: z.string() });
export const ResendVerificationBody = z.object({ email: Email });
