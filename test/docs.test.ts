// The manual's links hold: every relative link and #anchor in the repository's markdown points at a file that
// exists and, for an anchor, at a heading of that page — so moving a page or renaming a heading cannot break a
// link silently.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const SKIP = new Set([
  'node_modules',
  '.git',
  '.data',
  '.temporal',
  'test-artifacts',
  'out',
  'coverage',
  'dist',
]);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

/** The text outside fenced code blocks, with inline code blanked (a link inside code is not a link). */
function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n')
    .replace(/(`+)[^`][\s\S]*?\1/g, (code) => ' '.repeat(code.length));
}

/**
 * GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, …
 * An explicit `<a id="…"></a>` (kept by GitHub's sanitizer) is an anchor too.
 */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (!fenced) for (const [, id] of line.matchAll(/<a id="([^"]+)"><\/a>/g)) result.add(id!);
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function links(file: string): Link[] {
  const text = prose(readFileSync(file, 'utf8'));
  const found: Link[] = [];
  for (const m of text.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const line = text.slice(0, m.index).split('\n').length;
    found.push({ file: path.relative(root, file), line, target: m[1]! });
  }
  return found;
}

const files = markdownFiles(root);
const anchorCache = new Map<string, Set<string>>();
const anchorsOf = (file: string) => {
  if (!anchorCache.has(file)) anchorCache.set(file, anchors(readFileSync(file, 'utf8')));
  return anchorCache.get(file)!;
};

/** What is wrong with a link, or undefined when it resolves. */
function problem({ file, target }: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not ours to check
  const [pathPart = '', anchor] = target.split('#', 2) as [string, string | undefined];
  const resolved = pathPart
    ? path.resolve(root, path.dirname(file), decodeURI(pathPart))
    : path.join(root, file);
  if (!resolved.startsWith(root)) return 'points outside the repository';
  if (!existsSync(resolved)) return `${path.relative(root, resolved)} does not exist`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return `#${anchor} on a file that is not markdown`;
  return anchorsOf(resolved).has(anchor)
    ? undefined
    : `no heading #${anchor} in ${path.relative(root, resolved)}`;
}

test('the manual is where the README says: the landing page and docs/', () => {
  const names = files.map((f) => path.relative(root, f));
  expect(names).toContain('README.md');
  expect(names.filter((n) => n.startsWith(`docs${path.sep}`)).length).toBeGreaterThan(10);
  // A landing page, not the manual.
  expect(readFileSync(path.join(root, 'README.md')).length).toBeLessThanOrEqual(15 * 1024);
});

test('every relative link and #anchor in the markdown resolves', () => {
  const all = files.flatMap(links);
  expect(all.length).toBeGreaterThan(50);
  const broken = all.flatMap((l) => {
    const why = problem(l);
    return why ? [`${l.file}:${l.line}: (${l.target}) ${why}`] : [];
  });
  expect(broken).toEqual([]);
});

test('the checker itself: headings become the anchors GitHub makes, links in code are not links', () => {
  const page = [
    '# Running it locally: `npm start`',
    '## reconcile — `reconcile/<name>`',
    "## The /cloud routes (the real API's wire format)",
    '## Notes',
    '## Notes',
    '- <a id="who-sees-what"></a>**Who sees what**: …',
    '```',
    '# not a heading [nor](a-link.md)',
    '```',
  ].join('\n');
  expect([...anchors(page)]).toEqual([
    'running-it-locally-npm-start',
    'reconcile--reconcilename',
    'the-cloud-routes-the-real-apis-wire-format',
    'notes',
    'notes-1',
    'who-sees-what',
  ]);
  expect(prose('see `[x](gone.md)` and [y](there.md)')).not.toContain('gone.md');
  expect(problem({ file: 'README.md', line: 1, target: 'docs/nowhere.md' })).toMatch(/does not exist/);
  expect(problem({ file: 'README.md', line: 1, target: '#no-such-heading' })).toMatch(/no heading/);
  expect(problem({ file: 'README.md', line: 1, target: 'https://example.com/x.md' })).toBeUndefined();
});
