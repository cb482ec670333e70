import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const manifestSchema = z.record(
  z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be a lowercase SHA-256 hex hash' }),
  z.string({ message: 'must be a GraphQL document (a string)' }),
);

/** The SHA-256 hex digest of a document's exact text: the Automatic Persisted Queries hash. */
export function sha256Hex(document: string): string {
  return createHash('sha256').update(document).digest('hex');
}

/**
 * Reads a persisted-operations manifest (`{"<sha256 hex>": "<document>"}`, as `npm run codegen`
 * writes it). Returns the documents by hash, or what is wrong with the file as one line: a
 * hash that is not its document's makes the whole file bad, so start-up stops instead of a
 * client finding out later. (Parsing and validation against the schema happen when the
 * GraphQL layer starts, `checkManifest` in use-persisted-operations.ts: config knows no GraphQL.)
 */
export function readPersistedOperations(path: string): Map<string, string> | string {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `${file} is not JSON: ${(err as Error).message}`;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? ` (entry ${JSON.stringify(String(issue.path[0]).slice(0, 80))})` : '';
    // zod reports a bad key as "Invalid key in record", its own message one level down.
    const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    return `${file} must be a JSON object {"<sha256 hex>": "<document>"}: ${message}${where}`;
  }
  const operations = new Map<string, string>();
  for (const [hash, document] of Object.entries(parsed.data)) {
    if (sha256Hex(document) !== hash) return `${file}: entry ${hash} is not the SHA-256 of its document`;
    operations.set(hash, document);
  }
  return operations;
}
