import { useId } from 'react';
import './supplier-operator.css';

export interface ChartPoint {
  /** ms since the epoch */
  x: number;
  y: number;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  /** CSS colour; defaults per series index. */
  color?: string;
}

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#9333ea'];

/**
 * A small inline SVG line chart (no chart library): a few series over time, y from 0, the axis
 * extremes labelled, and the same numbers as a visually hidden table for screen readers.
 * `step` draws a staircase (a count that jumps at each event, such as codes uploaded).
 */
export function LineChart({ title, series, formatX, formatY, step = false, height = 180 }: { title: string; series: ChartSeries[]; formatX: (x: number) => string; formatY: (y: number) => string; step?: boolean; height?: number }) {
  const titleId = useId();
  const width = 800;
  const pad = { left: 64, right: 12, top: 12, bottom: 28 };
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return null;
  let minX = Math.min(...all.map((p) => p.x));
  let maxX = Math.max(...all.map((p) => p.x));
  if (minX === maxX) {
    minX -= 3_600_000;
    maxX += 3_600_000;
  }
  const maxY = Math.max(1, ...all.map((p) => p.y));
  const sx = (x: number) => pad.left + ((x - minX) / (maxX - minX)) * (width - pad.left - pad.right);
  const sy = (y: number) => pad.top + (1 - y / maxY) * (height - pad.top - pad.bottom);
  const path = (points: ChartPoint[]) => {
    const sorted = [...points].sort((a, b) => a.x - b.x);
    return sorted
      .map((p, i) => {
        const prev = sorted[i - 1];
        const stepPart = step && prev ? `L${sx(p.x).toFixed(1)},${sy(prev.y).toFixed(1)} ` : '';
        return `${i === 0 ? 'M' : stepPart + 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`;
      })
      .join(' ');
  };
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={titleId} preserveAspectRatio="xMidYMid meet">
        <title id={titleId}>{title}</title>
        <line x1={pad.left} y1={sy(0)} x2={width - pad.right} y2={sy(0)} className="chart__axis" />
        <line x1={pad.left} y1={sy(maxY)} x2={width - pad.right} y2={sy(maxY)} className="chart__grid" />
        <line x1={pad.left} y1={sy(maxY / 2)} x2={width - pad.right} y2={sy(maxY / 2)} className="chart__grid" />
        <text x={pad.left - 6} y={sy(maxY) + 4} textAnchor="end" className="chart__label">
          {formatY(maxY)}
        </text>
        <text x={pad.left - 6} y={sy(0) + 4} textAnchor="end" className="chart__label">
          {formatY(0)}
        </text>
        <text x={pad.left} y={height - 8} className="chart__label">
          {formatX(minX)}
        </text>
        <text x={width - pad.right} y={height - 8} textAnchor="end" className="chart__label">
          {formatX(maxX)}
        </text>
        {series.map((s, i) => (
          <g key={s.label}>
            <path d={path(s.points)} fill="none" stroke={s.color ?? COLORS[i % COLORS.length]} strokeWidth={2} />
            {s.points.filter((_, j) => !step || (j > 0 && j < s.points.length - 1)).map((p) => (
              <circle key={`${p.x}-${p.y}`} cx={sx(p.x)} cy={sy(p.y)} r={3} fill={s.color ?? COLORS[i % COLORS.length]} />
            ))}
          </g>
        ))}
      </svg>
      <table className="visually-hidden" data-testid="chart-data">
        <caption>{title}</caption>
        <tbody>
          {series.flatMap((s) =>
            [...s.points]
              .sort((a, b) => a.x - b.x)
              .map((p, j) => (
                <tr key={`${s.label}-${j}`}>
                  <th scope="row">{s.label}</th>
                  <td>{formatX(p.x)}</td>
                  <td>{formatY(p.y)}</td>
                </tr>
              )),
          )}
        </tbody>
      </table>
      {series.length > 1 ? (
        <figcaption className="chart__legend">
          {series.map((s, i) => (
            <span key={s.label}>
              <span className="chart__swatch" style={{ background: s.color ?? COLORS[i % COLORS.length] }} aria-hidden="true" />
              {s.label}
            </span>
          ))}
        </figcaption>
      ) : null}
    </figure>
  );
}
