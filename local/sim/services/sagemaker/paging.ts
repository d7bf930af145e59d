import { decodeToken, encodeToken, SimError } from '../../protocol.ts';

/**
 * Keyset pagination for SageMaker List* calls: the token remembers where the last page ended (sort value
 * and name), so resources created or deleted between pages neither repeat nor shift the listing.
 */
interface Cursor {
  by: string;
  order: string;
  value: string | number;
  name: string;
}

export interface Sortable {
  value: string | number;
  name: string;
}

export function pageOf<T>(
  items: T[],
  sortKey: (item: T) => Sortable,
  options: { sortBy: string; sortOrder: 'Ascending' | 'Descending'; maxResults: number; nextToken?: string },
): { page: T[]; nextToken?: string } {
  const direction = options.sortOrder === 'Ascending' ? 1 : -1;
  const compare = (a: Sortable, b: Sortable) => direction * (a.value < b.value ? -1 : a.value > b.value ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const keyed = items.map((item) => ({ item, key: sortKey(item) })).sort((a, b) => compare(a.key, b.key));
  const cursor = decodeToken<Cursor>(options.nextToken);
  if (
    cursor !== undefined &&
    (typeof cursor !== 'object' || cursor.by !== options.sortBy || cursor.order !== options.sortOrder || typeof cursor.name !== 'string')
  ) {
    throw new SimError('ValidationException', 'Invalid pagination token: it was issued for a different SortBy or SortOrder.');
  }
  const start = cursor === undefined ? 0 : keyed.findIndex((k) => compare(k.key, cursor) > 0);
  const remaining = start < 0 ? [] : keyed.slice(start);
  const page = remaining.slice(0, options.maxResults);
  const last = page[page.length - 1];
  const nextToken =
    remaining.length > page.length && last
      ? encodeToken({ by: options.sortBy, order: options.sortOrder, value: last.key.value, name: last.key.name } satisfies Cursor)
      : undefined;
  return { page: page.map((k) => k.item), nextToken };
}
