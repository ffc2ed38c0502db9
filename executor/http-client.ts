// The HTTP/1.1 client the executor talks to its agent with: undici's Client and its
// request(), loaded without the rest of undici. Why: the full index (fetch, WebSocket,
// caches, mocks) costs tens of milliseconds at start-up, and the time from start to
// SUBSCRIBE is on the agent's clock (it waits only --executor_reregistration_timeout for
// executors after a restart). Falls back to the full package if its layout ever changes.
import { createRequire } from 'node:module';
import type { Client as UndiciClient, Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

function load(): { Client: typeof UndiciClient; request: RequestFn } {
  try {
    return {
      Client: require('undici/lib/dispatcher/client.js') as typeof UndiciClient,
      request: require('undici/lib/api/api-request.js') as RequestFn,
    };
  } catch {
    const undici = require('undici') as typeof import('undici');
    return { Client: undici.Client, request: undici.Client.prototype.request as unknown as RequestFn };
  }
}

const loaded = load();

export const Client = loaded.Client;
export type Client = UndiciClient;

export function request(client: UndiciClient, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return loaded.request.call(client, options);
}
