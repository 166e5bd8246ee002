import { isPluginError, type PluginError } from '../../plugin/errors';

/**
 * The PluginError a promise rejects with; fails the test when it resolves or rejects with anything else.
 * @param promise - the call that must fail
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<PluginError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (isPluginError(error)) return error;
    throw new Error(`expected a PluginError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(outcome)}`);
}
