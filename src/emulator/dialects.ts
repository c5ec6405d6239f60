// The two wire formats the emulator serves over one store: the given document's under /api/v1 and the real
// API's under /cloud. The request path (pipeline.ts, operations.ts) is the same for both; only these steps differ.
import type { FastifyRequest } from 'fastify';
import { withUnpopulated, type DialectName } from '../cloud-api';
import { ALL_OPERATION_IDS, type AnyOperationId } from '../ops-api/types';
import { cloudError } from './cloud-errors';
import { CLOUD_ROUTES, cloudRequestDecoder, fastifyPath } from './cloud-requests';
import { encodeCloudResponse } from './cloud-responses';
import type { ApiError } from './errors';
import type { OperationRequest } from './routes';
import type { OperationRoute } from './spec-loader';
import type { Realism } from './realism';
import type { Store } from './store';
import type { SchemaValidators } from './validator';

export type { DialectName } from '../cloud-api';

export interface WireDialect {
  name: DialectName;
  /** The request in the domain's terms, laid out as on /api/v1 (throws an ApiError if it is not valid). */
  decode(operationId: AnyOperationId, req: FastifyRequest): OperationRequest;
  /** The domain's answer as this dialect sends it. */
  encode(operationId: AnyOperationId, result: unknown): unknown;
  /** An error's HTTP status and body; `retryAfterSeconds` when it is a 429. */
  error(error: ApiError, retryAfterSeconds?: number): { status: number; body: unknown };
}

/** One operation at one URL of one dialect. */
export interface ServedRoute {
  operationId: AnyOperationId;
  method: string;
  url: string;
  /** Validated by Fastify before the handler (the /api/v1 routes); /cloud requests are checked in decode. */
  schema?: OperationRoute['schema'];
  dialect: WireDialect;
}

const openapi: WireDialect = {
  name: 'openapi',
  // Fastify has validated it against the route's schema already.
  decode: (_operationId, req) => req as unknown as OperationRequest,
  encode: (_operationId, result) => result,
  error: (error) => ({ status: error.status, body: error.toBody() }),
};

/** Both dialects' routes: /api/v1 from the given document, /cloud from the protos' HTTP rules. */
export function servedRoutes(
  routes: readonly OperationRoute[],
  deps: { store: Store; validators: SchemaValidators; realism: Realism },
): { routes: ServedRoute[]; dialectOf(path: string): WireDialect } {
  const decode = cloudRequestDecoder(routes, deps.validators, () =>
    deps.realism.on('unmodelledFields', 'cloud'),
  );
  const cloud: WireDialect = {
    name: 'cloud',
    decode,
    encode: (operationId, result) => {
      const message = encodeCloudResponse(operationId, result, deps.store);
      return deps.realism.on('emitUnpopulated', 'cloud')
        ? withUnpopulated(CLOUD_ROUTES[operationId].response, message)
        : message;
    },
    error: cloudError,
  };
  return {
    routes: [
      ...routes.map((r) => ({ ...r, dialect: openapi })),
      ...ALL_OPERATION_IDS.map((operationId) => {
        const route = CLOUD_ROUTES[operationId];
        return { operationId, method: route.verb, url: fastifyPath(route), dialect: cloud };
      }),
    ],
    // Unknown paths too: a /cloud client expects a google.rpc.Status whatever went wrong.
    dialectOf: (path) => (path === '/cloud' || path.startsWith('/cloud/') ? cloud : openapi),
  };
}
