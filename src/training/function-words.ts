/**
 * English function words: the closed-class words that fit any caption's grammar but name
 * nothing in a photo. Teaching uses the list twice (src/training/teach.ts):
 *   - a new word is never one of them: "our" in "our dog on the beach" is not a name to learn,
 *     and growing it from anchors would make it a noun;
 *   - they never serve as a new word's anchor (they fit any position, not a meaning).
 * The list holds whole classes, so a word missing from a small base vocabulary ("ours",
 * "whose", "shall") is still recognised.
 */

const CLASSES: Record<string, string> = {
  articles: 'a an the',
  determiners: 'this that these those such what which whose whatever whichever',
  quantifiers: 'some any no all both each every either neither few many much more most less least several other another enough own',
  numerals: 'one two three four five six seven eight nine ten eleven twelve first second third',
  personalPronouns: 'i me you he him she it we us they them',
  possessives: 'my mine your yours his her hers its our ours their theirs',
  reflexives: 'myself yourself himself herself itself ourselves yourselves themselves oneself',
  otherPronouns: 'who whom someone somebody something anyone anybody anything everyone everybody everything nobody nothing none',
  prepositions:
    'about above across after against along alongside amid among amongst around as at atop before behind below beneath beside besides ' +
    'between beyond by despite down during except for from in inside into like near nearby next of off on onto opposite out outside over ' +
    'past per since than through throughout till to toward towards under underneath unlike until up upon via with within without',
  conjunctions: 'and or but nor so yet because although though while whereas if unless whether when whenever where wherever once',
  auxiliaries:
    'is are was were be being been am do does did doing done has have had having will would shall should can could may might must ' +
    "isn't aren't wasn't weren't don't doesn't didn't hasn't haven't hadn't won't wouldn't can't couldn't shouldn't",
  particlesAndAdverbs: 'not there here very too also just then how why',
};

/** Every function word, lower-case (as tokenize() writes words). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  Object.values(CLASSES)
    .flatMap((words) => words.split(/\s+/))
    .filter((w) => w.length > 0),
);

/** Whether a (tokenized, lower-case) word is a function word. */
export function isFunctionWord(word: string): boolean {
  return FUNCTION_WORDS.has(word);
}
