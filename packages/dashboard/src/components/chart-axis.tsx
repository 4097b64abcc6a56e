export interface ChartBox {
  width: number;
  height: number;
  padding: { top: number; right: number; bottom: number; left: number };
}

/** Draws a bar chart's baseline and its y-axis labels, 0 and `max`, inside the padding of the box. */
export function ChartAxis({ box, max }: { box: ChartBox; max: number }) {
  const { width, height, padding } = box;
  return (
    <>
      <line className="chart-axis" x1={padding.left} x2={width - padding.right} y1={height - padding.bottom} y2={height - padding.bottom} />
      <text className="chart-label" x={padding.left - 6} y={padding.top + 4} textAnchor="end">
        {max}
      </text>
      <text className="chart-label" x={padding.left - 6} y={height - padding.bottom} textAnchor="end">
        0
      </text>
    </>
  );
}
