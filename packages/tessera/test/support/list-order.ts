/**
 * Sorts items in the order the list routes document: by the sort value, values that are null
 * last in both directions, ties by id in the same direction. Text values are compared by UTF-16
 * code unit, which matches the stores' byte order for the characters the tests use.
 */
export function documentedOrder<Item extends { id: string }>(
  items: readonly Item[],
  valueOf: (item: Item) => string | number | null,
  order: 'asc' | 'desc',
): string[] {
  const sign = order === 'asc' ? 1 : -1;
  const compare = (left: string | number, right: string | number) => {
    if (left < right) return -1;
    return left > right ? 1 : 0;
  };
  return [...items]
    .sort((a, b) => {
      const valueA = valueOf(a);
      const valueB = valueOf(b);
      if (valueA === null || valueB === null) {
        if (valueA !== valueB) return valueA === null ? 1 : -1;
        return sign * compare(a.id, b.id);
      }
      const byValue = compare(valueA, valueB);
      return byValue !== 0 ? sign * byValue : sign * compare(a.id, b.id);
    })
    .map((item) => item.id);
}

/** Folds ASCII letters only, as the list routes do for the names and owners they sort by. */
export function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
