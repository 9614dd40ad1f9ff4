/**
 * The hostile-input campaign: malformed searches, path-traversal spellings and odd values thrown at
 * the CLI and at `lenscribe serve` (127.0.0.1, with its token) over a real captioned library. Every
 * one must get a specific answer — results (maybe none), or an error naming the problem (HTTP
 * 400/401/403/404/413, CLI exit 1 with one `lenscribe:` line) — never a 5xx, a stack trace, a crash,
 * a file outside the library's indexed photos, or a change to what the user wrote.
 */
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServe, stopServe } from '../app/browser.js';
import { raw } from '../app/helpers.js';
import { photoFolder, userLibrary } from './library.js';
import { descendants, endProcesses, survivors } from './processes.js';
import { cli, cliToEnd, Tally, type CampaignContext, type CampaignLine } from './tally.js';

const SECRET = 'LENSCRIBE-FAULTS-SECRET';

/** Searches people (and attackers) type: FTS5 syntax, SQL, control and odd Unicode, sizes at and over the limit. */
export const HOSTILE_SEARCHES = [
  '', ' ', '"', '""', '"unclosed', 'dog"', '*', '**', 'dog*', '*dog', 'a*b', '(', ')', '(((', '())', 'NEAR(dog grass)', 'NEAR(',
  'NEAR(dog, 99999999999)', 'dog AND', 'AND', 'OR', 'NOT', 'NOT dog', 'dog NOT', 'dog OR OR cat', '-dog', '+dog', '^dog', 'caption:dog',
  'name:f01', 'photos_fts:dog', 'rank:1', '{dog grass}', '[dog]', 'dog:', ':', "'", "'; DROP TABLE photos; --", '" OR 1=1 --', '\\',
  '%', '_', '%_%', 'dog\u0000grass', '\u0000', '\u202edog', 'ｄｏｇ', 'dög', '🐕', '🐕'.repeat(100), '\ud800', 'x'.repeat(500),
  'x'.repeat(501), 'dog '.repeat(120), '"'.repeat(300), '('.repeat(250), 'tag:', 'tag:"', 'tag:🐕', 'from:2020-13-45', 'before:',
  'a b c d e f g h i j k l m n o p q r s t u v w x y z', '\n\r\t', '\u0007\u001b[2J', '<script>alert(1)</script>', '../../etc/passwd',
  '$(id)', '`id`', '%s%s%n', 'NaN', '-1', 'constructor', '__proto__',
]; // prettier-ignore

/** URL tails after /media/<folder>/ and /thumbs/ that must never reach a file outside the indexed photos. */
const TRAVERSALS = [
  '../secret.txt', '%2e%2e/secret.txt', '%2E%2E%2Fsecret.txt', '..%2fsecret.txt', '..%5csecret.txt', '%252e%252e/secret.txt',
  '....//....//secret.txt', '..;/secret.txt', 'a.jpg%00.png', '%2fetc%2fpasswd', '/etc/passwd', 'C:%5Cwindows', '%', '%E0%A4%A',
  'secret.txt', 'escape.jpg', 'f00.jpg/..', './f00.jpg', 'f00.jpg%2f..%2f..%2fsecret.txt', '%c0%ae%c0%ae/secret.txt',
  '..%c0%afsecret.txt', '..%u2216secret.txt', '..\\secret.txt',
]; // prettier-ignore

/** Whole paths: other folders, odd ids, the library's own files. */
const PATHS = [
  '/media/../library.db', '/thumbs/..%2Flibrary.db', '/thumbs/%2e%2e/library.db', '/thumbs/../../secret.txt', '/media/0/f00.jpg',
  '/media/-1/f00.jpg', '/media/99999999999999999999/f00.jpg', '/media/1e3/f00.jpg', '/media/01/f00.jpg', '/media/1', '/media/',
  '/thumbs/', '/library.db', '/%2e%2e/secret.txt', '/api/../library.db', '/events/../library.db',
]; // prettier-ignore

/** API calls with inputs that are wrong in type, range or shape, at methods that exist and ones that do not. */
/**
 * What an odd call may get: 'error', a 4xx naming the problem; 'empty', that or a result with
 * nothing in it (a subfolder outside the folder holds no photos); 'any', that or results
 * (`under` without a folder scopes nothing).
 */
type Expect = 'error' | 'empty' | 'any';
const CALLS: Array<[string, string, Expect?]> = [
  ['search', JSON.stringify({ query: 'dog', under: '../../..' }), 'any'],
  ['search', JSON.stringify({ query: 'dog', folderId: 1, under: '/etc' }), 'empty'],
  ['search', JSON.stringify({ query: 'dog', folderId: 1, under: '../..' }), 'empty'],
  ['search', JSON.stringify({ query: 'dog', from: '2020-13-45' })],
  ['search', JSON.stringify({ query: 'dog', folderId: -1 })],
  ['search', JSON.stringify({ query: 'dog', limit: 1e9 })],
  ['search', JSON.stringify({ query: 5 })],
  ['search', JSON.stringify({ query: { $ne: null } })],
  ['search', JSON.stringify({ query: 'dog', extra: true })],
  ['search', '{"query":'],
  ['search', 'null'],
  ['search', '[]'],
  ['search', '"dog"'],
  ['search', '1e999'],
  ['search', '{"query":"dog","__proto__":{"admin":true}}'],
  ['photos.list', JSON.stringify({ under: '../../etc' }), 'any'],
  ['photos.list', JSON.stringify({ folderId: 1, under: '../..' }), 'empty'],
  ['photos.list', JSON.stringify({ tag: "'; DROP TABLE tags; --" }), 'empty'],
  ['photos.list', JSON.stringify({ limit: -1 })],
  ['photos.get', JSON.stringify({ id: '1' })],
  ['photos.get', JSON.stringify({ id: 1e300 })],
  ['photos.get', JSON.stringify({ id: 1.5 })],
  ['photos.get', JSON.stringify({ id: 999_999 })],
  ['captions.set', JSON.stringify({ photoId: 999_999, text: 'nobody' })],
  ['captions.set', JSON.stringify({ photoId: 1, text: '   ' })],
  ['captions.set', JSON.stringify({ photoId: 1, text: 'x'.repeat(501) })],
  ['captions.history', JSON.stringify({ photoId: 0 })],
  ['tags.add', JSON.stringify({ photoId: 999_999, tag: 'x' })],
  ['tags.add', JSON.stringify({ photoId: 1, tag: 'a\u0007b' })],
  ['folders.add', JSON.stringify({ path: 'relative/photos' })],
  ['folders.add', JSON.stringify({ path: '../../..' })],
  ['folders.add', JSON.stringify({ path: '/nonexistent-lenscribe/../../nonexistent-lenscribe-too' })],
  ['folders.add', JSON.stringify({ path: '/tmp/\u0000x' })],
  ['folders.add', JSON.stringify({ path: `/${'a'.repeat(5000)}` })],
  ['folders.remove', JSON.stringify({ id: 999_999, confirm: true })],
  ['models.activate', JSON.stringify({ id: '../../../etc/passwd' })],
  ['jobs.cancel', JSON.stringify({ id: 999_999 })],
  ['nope', '{}'],
  ['__proto__', '{}'],
  ['constructor', '{}'],
  ['toString', '{}'],
  ['hasOwnProperty', '{}'],
  ['search/../library.info', '{}'],
];

/** CLI calls with hostile paths and values (beyond searches): each must end with 0 or one error line. */
function hostileCommands(photos: string, lib: string, work: string): string[][] {
  return [
    ['caption', `${photos}/../../../../../../etc/passwd`, '--library', lib],
    ['caption', `${photos}/../no-such-folder`, '--library', lib],
    ['caption', photos, '--library', `${lib}/../../../../../proc/x`],
    ['search', 'dog', '--library', join(work, 'no-such-library', '..', '..', 'nowhere')],
    ['search', 'dog', '--library', lib, '--limit', '-1'],
    ['search', 'dog', '--library', lib, '--limit', '1e999'],
    ['search', 'dog', '--library', lib, '--offset', 'NaN'],
    ['export', '--format', 'csv', '--out', '/proc/x/../y.csv', '--library', lib],
    ['export', '--format', 'csv', '--out', work, '--library', lib],
    ['export', '--format', '../../etc/passwd', '--library', lib],
    ['export', '--format', 'xmp', '--out', join(work, 'x.xmp'), '--library', lib],
    ['folders', 'remove', '../../..', '--library', lib],
    ['folders', 'remove', `${photos}/../${photos.split('/').pop()}/..`, '--library', lib],
    ['models', 'activate', '../../../etc/passwd', '--library', lib],
    ['teach', '--library', lib, '--epochs', '1e9'],
    ['teach', '--library', lib, '--lr', 'NaN'],
  ];
}

/** A CLI answer is specific when it exits 0 (JSON lines when asked), or 1 with `lenscribe:` lines and no stack trace. */
function cliProblem(r: ReturnType<typeof cli>, json: boolean): string | null {
  if (r.signal) return `killed by ${r.signal}`;
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr) || /^(Type|Range|Reference|Syntax)?Error\b/m.test(r.stderr))
    return `a stack trace: ${r.stderr.slice(0, 200)}`;
  if (r.status === 0) {
    if (json && r.stdout.split('\n').some((l) => l.trim() && !isJson(l)))
      return `exit 0 with lines that are not JSON: ${r.stdout.slice(0, 120)}`;
    return null;
  }
  if (r.status !== 1) return `exit ${r.status}: ${r.stderr.slice(0, 200)}`;
  const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('encoder: '));
  return lines.length &&
    lines.every((l) => l.startsWith('lenscribe: ') || l.startsWith('error: ') || l.startsWith('Usage: ') || l.startsWith('('))
    ? null
    : `exit 1 without a one-line error: ${r.stderr.slice(0, 200)}`;
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

export async function hostileCampaign(ctx: CampaignContext, options: { cliSearches?: number } = {}): Promise<CampaignLine> {
  const t = new Tally('hostile', ['bad_answers', 'secrets_served']);
  const photos = await photoFolder(join(ctx.work, 'photos'), 2, 6, 3300);
  writeFileSync(join(ctx.work, 'secret.txt'), SECRET);
  writeFileSync(join(photos, 'secret.txt'), SECRET);
  symlinkSync(join(ctx.work, 'secret.txt'), join(photos, 'escape.jpg'));
  const lib = join(ctx.work, 'lib');
  const mine = await userLibrary(lib, photos, ctx.model, 3);
  const captioned = await cliToEnd(ctx, ['caption', photos, '--library', lib]);
  if (captioned.status !== 0 && captioned.status !== 2) throw new Error(`captioning the hostile library failed: ${captioned.stderr}`);

  // The CLI: searches (a spread sample when asked for fewer), then hostile paths and values.
  const argvSafe = HOSTILE_SEARCHES.filter((q) => !q.includes('\0'));
  const step = Math.max(1, Math.floor(argvSafe.length / (options.cliSearches ?? argvSafe.length)));
  for (const q of argvSafe.filter((_, i) => i % step === 0)) {
    const r = cli(ctx, ['search', q, '--library', lib, '--json', '--no-similar']);
    t.add('runs', 1);
    const problem = cliProblem(r, true);
    t.add('bad_answers', problem ? 1 : 0, `lenscribe search ${JSON.stringify(q.slice(0, 40))}: ${problem}`);
  }
  for (const args of hostileCommands(photos, lib, ctx.work)) {
    const r = cli(ctx, args);
    t.add('runs', 1);
    const problem = cliProblem(r, false);
    t.add('bad_answers', problem ? 1 : 0, `lenscribe ${args.join(' ').slice(0, 120)}: ${problem}`);
  }

  // HTTP: the same searches, then media paths, then odd calls; the server must stay up throughout.
  const serve = await startServe(lib, { TMPDIR: ctx.tmp });
  const port = Number(new URL(serve.url).port);
  const auth = { 'X-Lenscribe-Token': serve.token };
  const post = (method: string, body: string) => raw(port, 'POST', `/api/${method}`, { ...auth, 'Content-Type': 'application/json' }, body);
  const judge = async (what: string, answer: Promise<{ status: number; body: Buffer }>, allowed: number[]) => {
    t.add('runs', 1);
    let res: { status: number; body: Buffer };
    try {
      res = await answer;
    } catch (err) {
      return t.add('bad_answers', 1, `${what}: ${(err as Error).message}`);
    }
    const text = res.body.toString('utf8');
    t.add('secrets_served', text.includes(SECRET) || text.startsWith('SQLite format 3') ? 1 : 0, what);
    const errorBody = res.status < 300 || (isJson(text) && typeof JSON.parse(text)?.error?.code === 'string');
    t.add('bad_answers', allowed.includes(res.status) && errorBody ? 0 : 1, `${what}: ${res.status} ${text.slice(0, 120)}`);
  };
  try {
    const folderId = JSON.parse((await post('folders.list', '{}')).body.toString()).result[0].id as number;
    for (const q of HOSTILE_SEARCHES)
      await judge(`POST search ${JSON.stringify(q.slice(0, 40))}`, post('search', JSON.stringify({ query: q })), [200, 400]);
    for (const tail of TRAVERSALS) {
      await judge(`GET /media/${folderId}/${tail}`, raw(port, 'GET', `/media/${folderId}/${tail}`, auth), [400, 403, 404]);
      await judge(`GET /thumbs/${tail}`, raw(port, 'GET', `/thumbs/${tail}`, auth), [400, 403, 404]);
    }
    for (const path of PATHS) await judge(`GET ${path}`, raw(port, 'GET', path, auth), [400, 403, 404, 405]);
    for (const [method, body, expect = 'error'] of CALLS) {
      const answer = post(method, body);
      await judge(`POST ${method} ${body.slice(0, 60)}`, answer, expect === 'error' ? [400, 404, 409, 413] : [200, 400, 404]);
      const result = await answer.then(
        (r) => (r.status === 200 ? (JSON.parse(r.body.toString()) as { result: unknown }).result : null),
        () => null,
      );
      const found = (result as { total?: number } | null)?.total ?? 0;
      t.add('bad_answers', expect === 'empty' && found > 0 ? 1 : 0, `POST ${method} ${body.slice(0, 60)}: ${found} results, not none`);
    }
    await judge(
      'POST search without the token',
      raw(port, 'POST', '/api/search', { 'Content-Type': 'application/json' }, '{"query":"dog"}'),
      [401],
    );
    await judge(
      'POST search with a wrong token',
      raw(port, 'POST', '/api/search', { 'X-Lenscribe-Token': 'x'.repeat(43) }, '{"query":"dog"}'),
      [401],
    );
    await judge('library.info afterwards', post('library.info', '{}'), [200]);
  } finally {
    const children = descendants(serve.proc.pid!);
    const alive = serve.proc.exitCode === null && serve.proc.signalCode === null;
    t.add('bad_answers', alive ? 0 : 1, `serve ended during the campaign: ${serve.stderr().slice(-300)}`);
    await stopServe(serve);
    const left = await survivors(children, null);
    t.add('leftover_processes', left.length, `serve: pids ${left.join(' ')}`);
    endProcesses(left);
  }
  t.checkLibrary(lib, mine, 'after the hostile inputs');
  t.checkTemps(ctx, [lib, photos], 'hostile');
  return t.line({ searches: HOSTILE_SEARCHES.length, traversals: TRAVERSALS.length * 2 + PATHS.length, calls: CALLS.length });
}
