/**
 * The HTTP API as one Hono app, runtime-neutral: Node (@hono/node-server), Deno (Deno.serve) and the
 * Supabase Edge Function serve the same `app.fetch`. Routes: /posts…, /accounts… (with the OAuth connect
 * flow, routes/oauth.ts), /notifications… and /notification-endpoints… (given `deps.notifications`),
 * /health, /ready, /openapi.json (generated from the zod schemas that validate the requests) and
 * /reference. `options.routes` picks route groups (the `accounts` and `notifications` functions).
 *
 * Middleware order: request id → CORS → auth (all but health/openapi/reference and the OAuth callback,
 * which the platform's redirect reaches without a token) → per route: body
 * limit → JSON only → Idempotency-Key (POST /posts) → zod validation → handler. Every error becomes
 * problem+json in error-response.ts.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { AppError } from '../domain/error-codes.ts';
import type { ApiDeps, ApiOptions } from './api-deps.ts';
import type { AppEnv } from './app-env.ts';
import { installErrorHandling } from './error-response.ts';
import { limitBody as createBodyLimit } from './middleware/body-limit.ts';
import { requireUser } from './middleware/require-user.ts';
import { registerAccountRoutes } from './routes/accounts.ts';
import { registerNotificationRoutes } from './routes/notifications.ts';
import { isOAuthCallbackPath, registerOAuthRoutes } from './routes/oauth.ts';
import { registerPostChangeRoutes } from './routes/post-changes.ts';
import { registerPostRoutes } from './routes/posts.ts';
import { registerValidatePostRoute } from './routes/validate-post.ts';
import { registerSystemRoutes } from './routes/system.ts';
import { errorsFromZod, invalidInput } from './validation-error.ts';

export type { ApiDeps, ApiOptions };
export type App = OpenAPIHono<AppEnv>;

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

export function createApp(deps: ApiDeps, options: ApiOptions = {}): App {
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = new OpenAPIHono<AppEnv>({
    defaultHook(result) {
      if (!result.success) {
        throw invalidInput(errorsFromZod(result.error));
      }
    },
  });
  installErrorHandling(app, deps.logger);

  app.use('*', requestId());
  const origins = options.corsOrigins ?? [];
  if (origins.length > 0) {
    app.use(
      '*',
      cors({
        origin: [...origins],
        allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
        allowHeaders: [
          'Authorization',
          'Content-Type',
          'Idempotency-Key',
          'If-Match',
          'X-Client-Info',
          'apikey',
        ],
        exposeHeaders: ['ETag', 'Location', 'X-Request-Id', 'Idempotency-Replayed', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  const auth = requireUser(deps.auth);
  for (const path of ['/posts', '/posts/*', '/accounts', '/ready']) app.use(path, auth);
  // The OAuth callback path skips this: its GET is a platform redirect (no token; it only sends the
  // browser on to the app), and its POST, which completes a connection, requires the user itself.
  app.use('/accounts/*', (c, next) => isOAuthCallbackPath(c.req.path) ? next() : auth(c, next));

  const limitBody = createBodyLimit(limit, () => {
    throw new AppError('body_too_large', `the body is larger than ${limit} bytes; send a smaller body`);
  });

  const routes = new Set(
    options.routes ??
      ['system', 'posts', 'accounts', ...(deps.notifications ? ['notifications' as const] : [])],
  );
  if (routes.has('notifications') && !deps.notifications) {
    throw new TypeError(
      'the notifications routes need deps.notifications (the NotificationStore and settings)',
    );
  }
  if (routes.has('system')) registerSystemRoutes(app, deps, options.readyTimeoutMs ?? 2000);
  if (routes.has('posts')) {
    registerValidatePostRoute(app, deps, limitBody);
    registerPostRoutes(app, deps, limitBody);
    registerPostChangeRoutes(app, deps, limitBody);
  }
  if (routes.has('accounts')) {
    registerAccountRoutes(app, deps);
    registerOAuthRoutes(app, deps);
  }
  if (routes.has('notifications') && deps.notifications) {
    registerNotificationRoutes(app, deps.notifications, {
      auth,
      bodyLimit: limitBody,
      logger: deps.logger,
      now: deps.now ?? (() => new Date()),
    });
  }

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The access token of the signed-in Supabase user',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'SoloSpark Publisher API',
      version: '1.0.0',
      description: 'Schedule, change and cancel social-media posts. Errors are application/problem+json.',
    },
  });

  if (!options.basePath) return app;
  const root = new OpenAPIHono<AppEnv>();
  installErrorHandling(root, deps.logger);
  root.route(options.basePath, app);
  return root;
}
