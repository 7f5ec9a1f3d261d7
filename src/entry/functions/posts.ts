/**
 * The `posts` Edge Function: the whole HTTP API (src/app/build-api.ts), as the Node and Deno servers
 * serve it. The gateway hands `/functions/v1/posts/<rest>` to the function as `/posts/<rest>`, which
 * is where the post routes already live, so no base path is added.
 */
import { buildApi } from '../../app/build-api.ts';
import { createServices } from '../../app/create-services.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain('posts', env, (config, logger) => buildApi(createServices(config, { logger })));
