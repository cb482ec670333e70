/** A loopback port nothing listens on, for a child process (backend, gateway, Redis) to take. */
import { createServer } from 'node:net';

// The kernel may hand the same ephemeral port to two quick bind(0)s once the first is closed, and
// parallel start-ups (three soak replicas, each with a port) would then race for it. Within one
// process, a port is handed out once.
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
