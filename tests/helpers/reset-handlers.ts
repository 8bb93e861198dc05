/** Both reset handlers from one fresh module graph (they must share one configuration). */
export * as forgot from '../../functions/auth-forgot-password.js';
export * as reset from '../../functions/auth-reset-password.js';
