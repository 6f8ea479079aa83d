import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWSClient, type Client as WSClient } from 'graphql-ws';
import { getToken, setToken } from './auth';

let ws: WSClient | null = null;

function wsClient(): WSClient {
  if (!ws) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    ws = createWSClient({
      url,
      lazy: true,
      retryAttempts: 5,
      // the token goes in connection_init, as the README says
      connectionParams: () => {
        const token = getToken();
        return token ? { Authorization: `Bearer ${token}` } : {};
      },
    });
  }
  return ws;
}

/** A new token (login, logout) needs a new socket: the old one was authenticated as someone else. */
export function resetSocket(): void {
  ws?.dispose();
  ws = null;
}

export function makeClient(): Client {
  return new Client({
    url: '/graphql',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = wsClient().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetchOptions: () => {
      const token = getToken();
      const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
      return { headers };
    },
    requestPolicy: 'cache-and-network',
  });
}

export function onUnauthenticated(): void {
  setToken(null);
  resetSocket();
}
