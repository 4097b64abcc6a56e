import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The dashboard package's build output, next to this package in the workspace. */
export const defaultDashboardDir = resolve(import.meta.dirname, '../../../dashboard/dist');

// The app loads only its own files and talks only to this server, with no inline code and no framing.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Serves the built single-page dashboard at `/`. Only files that exist at start-up get a route,
 * so unknown paths, /v1 ones included, still reach the JSON 404 handler. The app routes with the
 * URL fragment, so no deep link needs a fallback to index.html.
 */
export async function dashboardRoutes(app: FastifyInstance, root: string): Promise<void> {
  if (!existsSync(resolve(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard not built, so / returns 404 until npm run build has run');
    return;
  }

  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: 'index.html',
    // Hashed asset names change with their content, but index.html must be fetched fresh to name the current ones.
    setHeaders(reply, path) {
      reply.header('content-security-policy', contentSecurityPolicy);
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
