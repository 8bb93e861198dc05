/**
 * Sends email through SES (`@aws-sdk/client-ses`, which the Lambda runtime ships, so it is kept
 * out of the bundles). Locally `SES_ENDPOINT` points the same client at the `aws-ses-v2-local`
 * emulator, so no real AWS call is ever made in development or tests.
 */
import type { SESClient } from '@aws-sdk/client-ses';
import { config } from '../config.js';
import { dependencyFailure, withTimeout } from '../dependencies.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

let client: SESClient | undefined;
/**
 * The SDK is loaded at the first email, not at import: evaluating @aws-sdk/client-ses adds
 * 130–165 ms to a cold start (`npm run bench`), and a forgot-password call for an unknown email
 * never sends one. (forgot-password's first email then loads it inside its response-time floor.)
 */
let sdk: typeof import('@aws-sdk/client-ses') | undefined;

async function ses(): Promise<SESClient> {
  sdk ??= await import('@aws-sdk/client-ses');
  client ??= new sdk.SESClient({
    region: config.email.sesRegion,
    ...(config.email.sesEndpoint
      ? { endpoint: config.email.sesEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 2,
  });
  return client;
}

/** Starts loading the SDK and client without waiting (a failure shows at the send). */
export function warmUpEmail(): void {
  void ses().catch(() => {});
}

/** Sends one email; a failure or a timeout (`SES_TIMEOUT_MS`) is a {@link DependencyError}. */
export async function sendEmail(message: EmailMessage): Promise<void> {
  const abort = new AbortController();
  try {
    await withTimeout(send(message, abort.signal), config.email.timeoutMs, 'email');
  } catch (error) {
    abort.abort();
    throw dependencyFailure('email', error);
  }
}

async function send(message: EmailMessage, abortSignal: AbortSignal): Promise<void> {
  const sesClient = await ses();
  const command = new sdk!.SendEmailCommand({
    Source: config.email.from,
    Destination: { ToAddresses: [message.to] },
    Message: {
      Subject: { Data: message.subject, Charset: 'UTF-8' },
      Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
    },
  });
  await sesClient.send(command, { abortSignal });
}
