/**
 * The `posts` Edge Function: the whole HTTP API (src/api) as buildApi wires it for Node and Deno.
 * The gateway hands `/functions/v1/posts/<rest>` to the function as `/posts/<rest>`, which is where
 * the post routes already live, so no base path is added.
 */
import { buildApi } from '../build-api.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain('posts', env, (config, logger) => buildApi(config, logger));
