/** The social sign-in routes (and the account routes they meet), from one fresh module graph. */
export { handler as idToken } from '../../functions/auth-oidc-id-token.js';
export { handler as authorize } from '../../functions/auth-oidc-authorize.js';
export { handler as callback } from '../../functions/auth-oidc-callback.js';
export { handler as exchange } from '../../functions/auth-oidc-exchange.js';
export { handler as identities } from '../../functions/auth-identities-list.js';
export { handler as unlink } from '../../functions/auth-identity-delete.js';
export { handler as adminIdentities } from '../../functions/admin-user-identities.js';
export { handler as forgotPassword } from '../../functions/auth-forgot-password.js';
export { handler as resetPassword } from '../../functions/auth-reset-password.js';
export { handler as login } from '../../functions/auth-login.js';
export { handler as me } from '../../functions/auth-me.js';
