// A table of any length: up to VIRTUAL_FROM rows are all rendered; beyond, only the rows in view (plus some), between
// two spacer rows, so 10,000 devices render as fast as 50. Rows have one fixed height (--row-height in styles.css).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
  /** Hidden on a phone-sized screen. */
  wide?: boolean;
}

interface TableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Shown instead of an empty body. */
  empty?: ComponentChildren;
}

const ROW_HEIGHT = 36;
const VIRTUAL_FROM = 200;
const OVERSCAN = 10;

export function Table<T>({ caption, columns, rows, rowKey, empty }: TableProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const [window, setWindow] = useState({ first: 0, count: 60 });
  const virtual = rows.length > VIRTUAL_FROM;
  useEffect(() => {
    const element = scroller.current;
    if (!virtual || !element) return;
    let frame = 0;
    const update = () => {
      frame = 0;
      const first = Math.max(0, Math.floor(element.scrollTop / ROW_HEIGHT) - OVERSCAN);
      const count = Math.ceil(element.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
      setWindow((w) => (w.first === first && w.count === count ? w : { first, count }));
    };
    const onScroll = () => {
      frame ||= requestAnimationFrame(update);
    };
    update();
    element.addEventListener('scroll', onScroll, { passive: true });
    addEventListener('resize', onScroll);
    return () => {
      element.removeEventListener('scroll', onScroll);
      removeEventListener('resize', onScroll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [virtual]);
  const first = virtual ? Math.min(window.first, Math.max(0, rows.length - window.count)) : 0;
  const shown = virtual ? rows.slice(first, first + window.count) : rows;
  const after = virtual ? rows.length - first - shown.length : 0;
  return (
    <div class={virtual ? 'table-scroll virtual' : 'table-scroll'} ref={scroller}>
      <table aria-rowcount={rows.length + 1}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.header} class={c.wide ? 'wide' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && empty !== undefined && (
            <tr>
              <td colSpan={columns.length} class="empty">
                {empty}
              </td>
            </tr>
          )}
          {first > 0 && <Spacer rows={first} columns={columns.length} />}
          {shown.map((row, i) => (
            <tr key={rowKey(row)} aria-rowindex={first + i + 2}>
              {columns.map((c) => (
                <td key={c.header} class={c.wide ? 'wide' : undefined}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
          {after > 0 && <Spacer rows={after} columns={columns.length} />}
        </tbody>
      </table>
    </div>
  );
}

function Spacer({ rows, columns }: { rows: number; columns: number }) {
  return (
    <tr class="spacer">
      <td colSpan={columns} style={{ height: `${rows * ROW_HEIGHT}px` }} />
    </tr>
  );
}
