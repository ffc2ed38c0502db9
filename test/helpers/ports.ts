// A loopback port that nothing listens on: bound, then released. For a refused connection,
// or for an address a child process binds itself (another process may take it meanwhile, so
// never for a server the test needs to be the one answering: serve that on port 0 instead).
import { once } from 'node:events';
import { createServer } from 'node:net';

export async function releasedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
