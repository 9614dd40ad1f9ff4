/**
 * The tags side of a parsed query: which tag names its words ask for. The SQL on the tags table
 * (which of them exist, their best photos, the tags of candidates) is TagStore's (tags.ts).
 */
import type { ParsedQuery, QueryClause, QueryTerm } from './query.js';

/** Tag names a term asks for: the word and its singular (tags are concept names, singular), or the phrase. */
function namesOf(t: QueryTerm): string[] {
  if (t.kind === 'phrase') return [t.words.join(' ')];
  const w = t.word;
  const out = [w];
  if (w.endsWith('ies') && w.length > 4) out.push(`${w.slice(0, -3)}y`);
  if (w.endsWith('es') && w.length > 3) out.push(w.slice(0, -2));
  if (w.endsWith('s') && w.length > 2) out.push(w.slice(0, -1));
  return out;
}

/** Per clause, the tag names it is satisfied by (`tag:x` alternatives and the clause's own words). */
export function clauseTagNames(q: ParsedQuery): string[][] {
  return q.clauses.map((cl: QueryClause) => [...new Set([...cl.tags, ...cl.terms.flatMap(namesOf)].map((n) => n.toLowerCase()))]);
}

export function excludedTagNames(q: ParsedQuery): string[] {
  return [...new Set([...q.excludeTags, ...q.exclude.flatMap(namesOf)].map((n) => n.toLowerCase()))];
}
