// <VirtualList>: only the rows in view (plus a margin) are in the DOM, so a list of
// tens of thousands of rows opens and scrolls at once. Rows have a fixed height.
import { useEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 12;

/** Props: items, rowHeight (px), height (px), renderRow(item, index) -> <div> content,
 *  header (a row above the list), scrollTo (an index to bring into view). */
export function VirtualList({ items, rowHeight = 28, height = 480, renderRow, header, scrollTo, ...rest }) {
  const box = useRef(null);
  const [top, setTop] = useState(0);
  useEffect(() => {
    if (scrollTo == null || !box.current) return;
    const y = scrollTo * rowHeight;
    const el = box.current;
    if (y < el.scrollTop || y > el.scrollTop + height - rowHeight) el.scrollTop = Math.max(0, y - height / 3);
  }, [scrollTo]);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i += 1) {
    rows.push(
      <div class="vrow" style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }} key={i}>
        {renderRow(items[i], i)}
      </div>,
    );
  }
  return (
    <div class="vlist" {...rest}>
      {header && <div class="vrow vhead">{header}</div>}
      <div class="vbody" ref={box} style={{ height: `${height}px` }}
           onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
        <div style={{ height: `${items.length * rowHeight}px`, position: 'relative' }}>{rows}</div>
      </div>
    </div>
  );
}
