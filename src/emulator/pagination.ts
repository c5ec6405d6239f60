import { invalid } from './errors';

export interface PageRequest {
  pageSize?: number;
  pageToken?: string;
}

export interface PageLimits {
  defaultPageSize: number;
  maxPageSize: number;
}

/** What `pageSize` means when absent or 0, and where larger sizes are clamped (documented in the silences). */
export const DEFAULT_PAGE_LIMITS: PageLimits = { defaultPageSize: 100, maxPageSize: 1000 };

// Tokens are cursors (the last item's insertion sequence), not offsets, so a page boundary never
// skips or repeats an item when others are created or deleted between pages. The list name is
// inside so a token from one list is rejected by another.
interface Cursor {
  l: string;
  s: number;
}

const encode = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decode(token: string, list: string): Cursor {
  let cursor: unknown;
  try {
    cursor = /^[A-Za-z0-9_-]+$/.test(token)
      ? JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
      : null;
  } catch {
    cursor = null;
  }
  const c = cursor as Partial<Cursor> | null;
  if (!c || c.l !== list || !Number.isSafeInteger(c.s) || (c.s as number) < 0) {
    throw invalid('pageToken', 'is not a page token issued by this list');
  }
  return c as Cursor;
}

/** `items` must be in ascending `seq` order (the stores' Maps iterate in insertion order). */
export function paginate<T extends { seq: number }>(
  list: string,
  items: Iterable<T>,
  request: PageRequest,
  limits: PageLimits,
): { page: T[]; nextPageToken?: string } {
  const requested = request.pageSize ?? 0;
  if (!Number.isInteger(requested) || requested < 0)
    throw invalid('pageSize', 'must be a non-negative integer');
  // 0 means "server default", as in the protobuf APIs this spec is derived from.
  const size = requested === 0 ? limits.defaultPageSize : Math.min(requested, limits.maxPageSize);
  const after = request.pageToken ? decode(request.pageToken, list).s : -1;
  const page: T[] = [];
  let more = false;
  for (const item of items) {
    if (item.seq <= after) continue;
    if (page.length === size) {
      more = true;
      break;
    }
    page.push(item);
  }
  const last = page[page.length - 1];
  return more && last ? { page, nextPageToken: encode({ l: list, s: last.seq }) } : { page };
}
