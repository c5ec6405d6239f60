import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors';
import { FaultRuleError, type FaultRule } from './faults';
import type { Runtime } from './runtime';
import type { AcceptedCaChange, EmulatorState } from './store';

/** What the admin endpoints need from the emulator handle (kept as functions to avoid a cycle). */
export interface AdminActions {
  snapshot(): Promise<EmulatorState>;
  configure(input: unknown): object;
  seed(input: unknown): Promise<unknown>;
  caHistory(namespace: string): AcceptedCaChange[];
}

const asApiError = (error: unknown): unknown => {
  if (error instanceof FaultRuleError) return new ApiError('invalid_argument', error.message, error.field);
  const field = (error as { field?: unknown }).field;
  if (error instanceof Error && typeof field === 'string') {
    return new ApiError('invalid_argument', error.message, field);
  }
  return error;
};

/** Emulator-only endpoints under /_emulator/ (not part of the Ops API; same bearer key). */
export function registerAdminRoutes(app: FastifyInstance, rt: Runtime, actions: AdminActions): void {
  app.get('/_emulator/faults', async () => ({ faults: rt.faults.list() }));
  app.post('/_emulator/faults', async (req) => {
    try {
      return { id: rt.faults.add(req.body as FaultRule) };
    } catch (error) {
      throw asApiError(error);
    }
  });
  app.delete('/_emulator/faults', async () => {
    rt.faults.clear();
    return {};
  });
  app.delete('/_emulator/faults/:id', async (req) => {
    const { id } = req.params as { id: string };
    if (!rt.faults.remove(id)) throw new ApiError('not_found', `fault rule '${id}' not found`);
    return {};
  });

  app.get('/_emulator/requests', async () => ({ requests: rt.requestLog }));
  app.delete('/_emulator/requests', async () => {
    rt.requestLog.length = 0;
    return {};
  });

  app.get('/_emulator/state', async () => actions.snapshot());
  app.get('/_emulator/namespaces/:namespace/accepted-ca', async (req) => {
    const { namespace } = req.params as { namespace: string };
    return { namespace, history: actions.caHistory(namespace) };
  });

  app.post('/_emulator/config', async (req) => {
    try {
      return actions.configure(req.body ?? {});
    } catch (error) {
      throw asApiError(error);
    }
  });

  app.get('/_emulator/realism', async () => ({
    switches: rt.realism.describe(),
    losses: rt.realism.losses,
  }));
  app.delete('/_emulator/realism/losses', async () => {
    rt.realism.losses.length = 0;
    return {};
  });

  app.post('/_emulator/seed', async (req) => actions.seed(req.body ?? {}));
}
