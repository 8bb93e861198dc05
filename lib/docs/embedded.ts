/**
 * Static files compiled into a function: the documentation pages, their scripts and stylesheets,
 * and the OpenAPI document. Each is kept gzip-compressed (base64, the form API Gateway takes for
 * binary bodies) and sent as-is to clients that accept gzip; API Gateway HTTP APIs compress
 * nothing themselves. `ETag` makes a reload a 304.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ApiEvent, ApiResult } from '../http/api.js';

export interface EmbeddedFile {
  contentType: string;
  /** A strong validator derived from the content. */
  etag: string;
  /** The content, gzip-compressed, base64-encoded. */
  gzipBase64: string;
  /** Headers of every response with this file (`Cache-Control`, the pages' own CSP...). */
  headers: Record<string, string>;
}

/** A content hash, for ETags and cache-busting file names. */
export const contentHash = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');

/** Wraps a file's content (at build time for large files, at cold start for small ones). */
export function embed(content: string, contentType: string, headers: Record<string, string> = {}): EmbeddedFile {
  return {
    contentType,
    etag: `"${contentHash(content).slice(0, 20)}"`,
    gzipBase64: gzipSync(content, { level: 9 }).toString('base64'),
    headers,
  };
}

/** Whether `Accept-Encoding` allows gzip (a `q=0` refuses it). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((entry) => {
    const [coding, ...params] = entry
      .trim()
      .toLowerCase()
      .split(';')
      .map((part) => part.trim());
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const matchesEtag = (ifNoneMatch: string | undefined, etag: string) =>
  !!ifNoneMatch &&
  ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });

/** Decompressed bodies for the rare client that does not take gzip, kept for the warm instance. */
const plain = new WeakMap<EmbeddedFile, string>();

/** The response serving `file` to this request: 304, gzip, or plain text. */
export function serveEmbedded(event: ApiEvent<unknown, unknown>, file: EmbeddedFile): ApiResult {
  const headers: Record<string, string> = { ...file.headers, ETag: file.etag, Vary: 'Accept-Encoding' };
  const requestHeaders = event.headers ?? {};
  if (matchesEtag(requestHeaders['if-none-match'], file.etag)) return { statusCode: 304, headers, body: '' };

  headers['Content-Type'] = file.contentType;
  if (acceptsGzip(requestHeaders['accept-encoding'])) {
    return {
      statusCode: 200,
      headers: { ...headers, 'Content-Encoding': 'gzip' },
      body: file.gzipBase64,
      isBase64Encoded: true,
    };
  }
  let body = plain.get(file);
  if (body === undefined) {
    body = gunzipSync(Buffer.from(file.gzipBase64, 'base64')).toString('utf8');
    plain.set(file, body);
  }
  return { statusCode: 200, headers, body };
}
