/**
 * The keys that occur more than once in one object of a JSON text (`a.b` paths). JSON.parse
 * keeps the last of duplicates silently, so the raw text is scanned (hand-written: no JSON
 * parser among the dependencies reports duplicates). Assumes valid JSON (parse it too).
 */
export function duplicateKeys(text: string): string[] {
  const dups: string[] = [];
  // One frame per open object/array: its keys seen so far (null for arrays), and the path.
  const stack: Array<{ keys: Set<string> | null; path: string; lastKey: string | null }> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (text[j] !== '"') {
        if (text[j] === '\\') {
          s += text.slice(j, j + 2);
          j += 2;
        } else s += text[j++];
      }
      const top = stack.at(-1);
      if (expectKey && top?.keys) {
        const key = JSON.parse(`"${s}"`) as string;
        if (top.keys.has(key)) dups.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const parent = stack.at(-1);
      const path = parent ? [parent.path, parent.keys ? parent.lastKey : '[]'].filter(Boolean).join('.') : '';
      stack.push({ keys: c === '{' ? new Set() : null, path, lastKey: null });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = Boolean(stack.at(-1)?.keys);
    }
  }
  return dups;
}
