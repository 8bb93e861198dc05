/**
 * The route table (`routes.json`): the single source of truth for which function serves which
 * method and path. `serverless/functions.cjs` builds the Lambda functions and API Gateway routes
 * from it; the catch-all function uses it to tell 404 (unknown path) from 405 (known path,
 * wrong method, with `Allow`).
 */
import table from './routes.json' with { type: 'json' };

export interface RouteMatch {
  /** Methods the path answers to (for `Allow`), empty when the path is unknown. */
  allow: string[];
}

const compiled = Object.values(table as Record<string, { routes: string[] }>)
  .flatMap((fn) => fn.routes)
  .map((route) => {
    const [method, path] = route.split(' ') as [string, string];
    const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return { method, pattern };
  });

/** Strips one trailing slash: every route answers with and without it. */
export const normalizePath = (path: string) => (path.length > 1 ? path.replace(/\/$/, '') : path);

/** Which methods `path` answers to. */
export function matchPath(path: string): RouteMatch {
  const normalized = normalizePath(path);
  const allow = compiled.filter((r) => r.pattern.test(normalized)).map((r) => r.method);
  return { allow: [...new Set(allow)] };
}
