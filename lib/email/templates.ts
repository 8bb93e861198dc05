/** The emails the service sends, each as text and HTML. User-provided text is escaped. */
import type { EmailMessage } from './ses.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(title: string, paragraphs: string[], button?: { label: string; href: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join('');
  const cta = button
    ? `<p style="margin:24px 0"><a href="${escapeHtml(button.href)}" style="background:#2563eb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(button.label)}</a></p>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;line-height:1.5;background:#f9fafb;padding:24px">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:32px">
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(title)}</h1>${body}${cta}</div></body></html>`;
}

const greeting = (fullName: string) => (fullName.trim() ? `Hi ${fullName.trim()},` : 'Hi,');

/** The reset link email. */
export function passwordResetEmail(
  to: { email: string; fullName: string },
  link: string,
  expiresInMin: number,
): EmailMessage {
  const expiry =
    expiresInMin % 60 === 0 ? `${expiresInMin / 60} hour${expiresInMin === 60 ? '' : 's'}` : `${expiresInMin} minutes`;
  const subject = 'Reset your password';
  const text = [
    greeting(to.fullName),
    '',
    'We received a request to reset the password for your account. Open this link to choose a new one:',
    '',
    link,
    '',
    `The link works once and expires in ${expiry}.`,
    "If you didn't ask for this, you can ignore this email: your password stays the same.",
  ].join('\n');
  const html = layout(
    subject,
    [
      escapeHtml(greeting(to.fullName)),
      'We received a request to reset the password for your account. Choose a new one with the button below.',
      `The link works once and expires in ${escapeHtml(expiry)}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(link)}</span>`,
      "If you didn't ask for this, you can ignore this email: your password stays the same.",
    ],
    { label: 'Choose a new password', href: link },
  );
  return { to: to.email, subject, text, html };
}

/** The notice after a password was changed through a reset link. */
export function passwordChangedEmail(to: { email: string; fullName: string }): EmailMessage {
  const subject = 'Your password was changed';
  const text = [
    greeting(to.fullName),
    '',
    'The password for your account was just changed, and every device signed in to it was signed out.',
    '',
    "If this wasn't you, reset your password right away and contact support.",
  ].join('\n');
  const html = layout(subject, [
    escapeHtml(greeting(to.fullName)),
    'The password for your account was just changed, and every device signed in to it was signed out.',
    "If this wasn't you, reset your password right away and contact support.",
  ]);
  return { to: to.email, subject, text, html };
}

/** The address verification email (at registration, and on request). */
export function verifyEmailMessage(
  to: { email: string; fullName: string },
  link: string,
  expiresInH: number,
): EmailMessage {
  const expiry =
    expiresInH % 24 === 0
      ? `${expiresInH / 24} day${expiresInH === 24 ? '' : 's'}`
      : `${expiresInH} hour${expiresInH === 1 ? '' : 's'}`;
  const subject = 'Verify your email address';
  const text = [
    greeting(to.fullName),
    '',
    `Please confirm that ${to.email} is your email address by opening this link:`,
    '',
    link,
    '',
    `The link works once and expires in ${expiry}.`,
    "If you didn't create an account, you can ignore this email: nothing happens without the link.",
  ].join('\n');
  const html = layout(
    subject,
    [
      escapeHtml(greeting(to.fullName)),
      `Please confirm that <strong>${escapeHtml(to.email)}</strong> is your email address with the button below.`,
      `The link works once and expires in ${escapeHtml(expiry)}. If the button does not work, paste this address into your browser:<br><span style="word-break:break-all">${escapeHtml(link)}</span>`,
      "If you didn't create an account, you can ignore this email: nothing happens without the link.",
    ],
    { label: 'Verify email address', href: link },
  );
  return { to: to.email, subject, text, html };
}
