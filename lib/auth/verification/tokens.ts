/** The email verification tokens: the shared single-use link tokens (`../links/tokens.ts`). */
import { config } from '../../config.js';
import { linkTokens } from '../links/tokens.js';

/** Redis keys `verify-email:<user id>`, living `EMAIL_VERIFICATION_TOKEN_TTL_H`. */
export const verificationTokens = linkTokens('verify-email', () => config.emailVerification.tokenTtlS);

/** The link the email carries: the frontend's page, which posts the token to `/api/auth/verify-email`. */
export const verificationLink = (token: string) => `${config.frontendUrl}/verify-email?token=${token}`;
