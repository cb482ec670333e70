/**
 * A loopback port nothing listens on now, for a child process (gateway, Redis) to take next. The
 * port is free only until someone binds it: processes started side by side take `PORT=0` and say
 * which port they got (the soak's and the replica tests' gateways do), rather than race for one
 * picked here.
 */
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
