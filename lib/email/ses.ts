/**
 * Sends email through SES (`@aws-sdk/client-ses`, which the Lambda runtime ships, so it is kept
 * out of the bundles). Locally `SES_ENDPOINT` points the same client at the `aws-ses-v2-local`
 * emulator, so no real AWS call is ever made in development or tests.
 */
import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { config } from '../config.js';
import { DependencyError } from '../http/problem.js';
import { withTimeout } from '../redis.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

let client: SESClient | undefined;

function ses(): SESClient {
  client ??= new SESClient({
    region: config.email.sesRegion,
    ...(config.email.sesEndpoint
      ? { endpoint: config.email.sesEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 2,
  });
  return client;
}

/** Sends one email; a failure or a timeout (`SES_TIMEOUT_MS`) is a {@link DependencyError}. */
export async function sendEmail(message: EmailMessage): Promise<void> {
  const command = new SendEmailCommand({
    Source: config.email.from,
    Destination: { ToAddresses: [message.to] },
    Message: {
      Subject: { Data: message.subject, Charset: 'UTF-8' },
      Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
    },
  });
  const abort = new AbortController();
  try {
    await withTimeout(ses().send(command, { abortSignal: abort.signal }), config.email.timeoutMs, 'email');
  } catch (error) {
    abort.abort();
    throw error instanceof DependencyError ? error : new DependencyError('email', error);
  }
}
