/** The answers of the verification routes (shared with the OpenAPI document, which checks them). */
export const EMAIL_VERIFIED_DETAIL = 'Email verified.';
/** One body for every email: it reveals nothing about accounts. */
export const VERIFICATION_RESENT_DETAIL = 'If an account with this email awaits verification, a new verification link has been sent.';
/** The admin resend (staff may know whether it was sent). */
export const VERIFICATION_SENT_DETAIL = 'Verification email sent.';
