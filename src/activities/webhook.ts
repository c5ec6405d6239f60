// A signed JSON notification to a configured webhook (the drift summary, the expiry warnings), signed like the events
// endpoint's requests; a failure becomes a Temporal failure naming only the receiver's origin.
import { ApplicationFailure } from '@temporalio/common';
import { postSigned, SignedPostError } from '../secrets/signed-post';

export interface Webhook {
  url: string;
  secret: string;
}

/**
 * Posts `rawBody`; a refusal or an unreachable receiver fails with `failure.type` (retryable as the answer says),
 * its message starting with `failure.name` ("drift webhook").
 */
export async function notifyWebhook(
  hook: Webhook,
  rawBody: string,
  failure: { type: string; name: string },
): Promise<void> {
  const url = new URL(hook.url);
  try {
    await postSigned({
      url,
      rawBody,
      secret: hook.secret,
      timeoutMs: 10_000,
      okStatuses: [200, 201, 202, 204],
    });
  } catch (error) {
    if (!(error instanceof SignedPostError)) throw error;
    // Only the host is named: a webhook URL's path is often its secret.
    throw ApplicationFailure.create({
      type: failure.type,
      message: `${failure.name} at ${url.origin} ${error.message}`,
      nonRetryable: !error.retryable,
    });
  }
}
