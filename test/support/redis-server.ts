import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../../bench/free-port.js';
import { waitFor } from './kit.js';

/** Whether a `redis-server` binary is on the PATH (CI installs one; REQUIRE_REDIS=1 makes its absence a failure). */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
export const redisRequired = hasRedisServer || process.env.REQUIRE_REDIS === '1';

/** A throwaway redis-server on a loopback port, which a test may stop and start again on the same port. */
export class TestRedis {
  #proc: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<TestRedis> {
    const redis = new TestRedis(port ?? (await freePort()));
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  /** Starts the server (again) on the same port; resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.running) return;
    this.#proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => this.cli('PING') === 'PONG', 10_000, 50, `redis-server on port ${this.port}`);
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, like a hung or partitioned Redis. */
  pause(): void {
    this.#proc?.kill('SIGSTOP');
  }

  /** Kills the server at once (SIGKILL: no goodbye to the clients, like a crashed or partitioned Redis). */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc || !this.running) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  /** How many clients are subscribed to `channel` (PUBSUB NUMSUB): a subscriber listens once its SUBSCRIBE is acknowledged. */
  subscribers(channel: string): number {
    return Number(this.cli('PUBSUB', 'NUMSUB', channel).split('\n')[1]);
  }

  /** Runs one redis-cli command against this server (tests inspect keys this way). */
  cli(...args: string[]): string {
    return spawnSync('redis-cli', ['-p', String(this.port), ...args])
      .stdout.toString()
      .trim();
  }
}
