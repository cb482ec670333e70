/**
 * The reference backends' fault control route (`/__control/faults`), for the bench (their
 * latency per scenario) and the soak (its fault schedule). Nothing runs on import.
 */
import { BASE_FAULTS, type Faults } from '../reference-backends/faults.js';

/** Sets a backend's faults through its control route; `clear` puts the same keys back to their defaults. */
export async function setFaults(url: string, faults: Partial<Faults>, clear = false): Promise<void> {
  const body = clear ? Object.fromEntries(Object.keys(faults).map((k) => [k, BASE_FAULTS[k as keyof Faults]])) : faults;
  const res = await fetch(`${url}/__control/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`cannot set faults on ${url}: HTTP ${res.status} ${await res.text()}`);
}
