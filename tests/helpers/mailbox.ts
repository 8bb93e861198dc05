/** Reads what the service sent through the real SES client, from the local SES emulator. */
import { expect } from 'vitest';

export interface SentEmail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text: string; html: string };
}

export async function sentTo(address: string): Promise<SentEmail[]> {
  const res = await fetch(`${process.env.SES_ENDPOINT}/store`);
  const { emails } = (await res.json()) as { emails: SentEmail[] };
  return emails.filter((e) => e.destination.to.includes(address));
}

/** The reset token from the newest reset email sent to `address`. */
export async function resetTokenFor(address: string): Promise<string> {
  const emails = (await sentTo(address)).filter((e) => e.subject === 'Reset your password');
  expect(emails.length, `no reset email for ${address}`).toBeGreaterThan(0);
  const match = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(emails.at(-1)!.body.text);
  expect(match).not.toBeNull();
  return match![1]!;
}

export const VERIFY_SUBJECT = 'Verify your email address';

/** The emails with `subject` sent to `address`, oldest first. */
export const sentWithSubject = async (address: string, subject: string) =>
  (await sentTo(address)).filter((e) => e.subject === subject);

/** The verification token from the newest verification email sent to `address`. */
export async function verificationTokenFor(address: string): Promise<string> {
  const emails = await sentWithSubject(address, VERIFY_SUBJECT);
  expect(emails.length, `no verification email for ${address}`).toBeGreaterThan(0);
  const match = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(emails.at(-1)!.body.text);
  expect(match).not.toBeNull();
  return match![1]!;
}
