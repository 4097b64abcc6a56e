export type SortOrder = 'asc' | 'desc';

/** The column a list is sorted by on the server, or null for the list's default order. */
export interface ListSort<Field extends string> {
  field: Field | null;
  order: SortOrder;
}

/**
 * Renders a column header that sorts the list by its field. The first click uses the column's
 * `firstOrder` and a second click reverses it. The API does the sorting, so the order covers every
 * matching row and not only the loaded pages.
 */
export function SortableHeader<Field extends string>(props: {
  label: string;
  field: Field;
  firstOrder: SortOrder;
  sort: ListSort<Field>;
  onSort: (sort: ListSort<Field>) => void;
}) {
  const { label, field, firstOrder, sort, onSort } = props;
  const active = sort.field === field;
  const ascending = sort.order === 'asc';
  let ariaSort: 'ascending' | 'descending' | 'none' = 'none';
  let arrow = '';
  if (active) {
    ariaSort = ascending ? 'ascending' : 'descending';
    arrow = ascending ? ' ▲' : ' ▼';
  }

  function toggle() {
    if (!active) onSort({ field, order: firstOrder });
    else onSort({ field, order: ascending ? 'desc' : 'asc' });
  }

  return (
    <th scope="col" aria-sort={ariaSort}>
      <button type="button" className="sort-button" onClick={toggle}>
        {label}
        <span aria-hidden="true">{arrow}</span>
      </button>
    </th>
  );
}
