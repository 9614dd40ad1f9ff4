/**
 * How large and how deeply nested a call's input may be. Inputs cross to the library's worker by
 * structured clone, which recurses: a JSON body nested 100k deep parses fine, then overflows the
 * stack in postMessage (a 500). No call in the contract nests more than a few levels, so both
 * transports refuse deeper input first, with a message saying what the limit is.
 */
import { ApiError } from '../../shared/api-contract.js';

/** Nesting levels (objects and arrays) an input may have. */
export const MAX_INPUT_DEPTH = 32;
/** Bytes a request body may have. */
export const MAX_BODY_BYTES = 1 << 20;

function tooDeep(): ApiError {
  return new ApiError('invalid_input', `Input nests objects or arrays more than ${MAX_INPUT_DEPTH} levels deep.`);
}

/** Throws unless the JSON text nests at most MAX_INPUT_DEPTH levels (brackets inside strings do not count). Linear, no recursion. */
export function checkJsonTextDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_INPUT_DEPTH) throw tooDeep();
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** Throws unless `value` nests at most MAX_INPUT_DEPTH levels (for inputs that arrive as values: Electron's IPC). */
export function checkValueDepth(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    if (depth >= MAX_INPUT_DEPTH) throw tooDeep();
    seen.add(v);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}
