import { describe, expect, it } from 'vitest';
import { createPersistedOperationStore } from '../../../src/cache/persisted-operation-store.js';

describe('persisted operation store (in process)', () => {
  it('is bounded by entry count, dropping the least recently used', async () => {
    const store = createPersistedOperationStore({ maxEntries: 3 });
    expect(store.kind).toBe('memory');
    for (const h of ['a', 'b', 'c']) await store.set(h, `query ${h} { industries { id } }`);
    await store.get('a'); // used: 'b' is now the least recently used
    await store.set('d', 'query d { industries { id } }');
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe('query a { industries { id } }');
    expect(await store.get('c')).toBeDefined();
    expect(await store.get('d')).toBeDefined();
    await store.dispose();
  });

  it('is bounded by the size of its documents', async () => {
    const store = createPersistedOperationStore({ maxEntries: 1000, maxBytes: 100 });
    for (let i = 0; i < 10; i++) await store.set(`h${i}`, `query Q${i} { ${'x'.repeat(30)} }`);
    const kept = (await Promise.all(Array.from({ length: 10 }, (_, i) => store.get(`h${i}`)))).filter(Boolean);
    expect(kept.length).toBeLessThanOrEqual(2);
    expect(await store.get('h9')).toBeDefined();
    await store.dispose();
  });
});
