import { readFileSync } from 'node:fs';

/** The gateway's own version, from package.json (found from src/ under tsx and dist/src/ when built). */
export function readGatewayVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.version && pkg.name === 'knowledge-gateway') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}
