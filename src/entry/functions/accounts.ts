/**
 * The `accounts` Edge Function: list and disconnect accounts, and the OAuth connect flow
 * (POST /accounts/:platform/connect and …/callback). It needs the database and
 * the platform adapters, not Redis: the app serves only the `accounts` route group.
 */
import { buildAccountsApi } from '../../app/build-accounts-api.ts';
import { createServices } from '../../app/create-services.ts';
import type { CreateEdgeFunction } from '../edge-function.ts';
import { createFunctionOrExplain } from '../edge-function.ts';

export const createFunction: CreateEdgeFunction = (env) =>
  createFunctionOrExplain(
    'accounts',
    env,
    (config, logger) => buildAccountsApi(createServices(config, { logger })),
  );
