// The funnel's charts, drawn on the server as SVG (no chart library, nothing to load): the target
// share per period against the alarm line, and the count at each step with its conversion.
import { html, type Html, raw } from './html';

export interface ShareBar {
  key: string;
  share: number | null;
  reached: number;
}

const W = 640;
const H = 260;
const PAD = { l: 40, r: 10, t: 14, b: 38 };

/** Short axis label: "2026-W47" → "W47", "2026-11" → "11.26". */
const short = (key: string) => (/-W\d+$/.test(key) ? key.slice(5) : /^\d{4}-\d{2}$/.test(key) ? `${key.slice(5)}.${key.slice(2, 4)}` : key);

export function targetShareChart(bars: ShareBar[], line: number, label: { title: string; line: string }): Html {
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const step = plotW / Math.max(1, bars.length);
  const y = (v: number) => PAD.t + plotH * (1 - v);
  const grid = [0, 0.25, 0.5, 0.75, 1].map(
    (v) =>
      html`<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e6e9ef" />
        <text x="${PAD.l - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#555d6b">${Math.round(v * 100)}%</text>`,
  );
  const rects = bars.map((b, i) => {
    const x = PAD.l + i * step + step * 0.15;
    const w = step * 0.7;
    const cx = PAD.l + i * step + step / 2;
    const bar =
      b.share === null
        ? html`<text x="${cx}" y="${y(0) - 4}" font-size="10" text-anchor="middle" fill="#8a93a3">–</text>`
        : html`<rect
            x="${x.toFixed(1)}"
            y="${y(b.share).toFixed(1)}"
            width="${w.toFixed(1)}"
            height="${(plotH * b.share).toFixed(1)}"
            fill="${b.share < line ? '#d9534f' : '#2e8b57'}"
            ><title>${b.key}: ${Math.round(b.share * 100)}% (${b.reached})</title></rect
          >`;
    return html`${bar}<text x="${cx}" y="${H - PAD.b + 16}" font-size="10" text-anchor="middle" fill="#555d6b">${short(b.key)}</text>`;
  });
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="share-title">
    <title id="share-title">${label.title}</title>
    ${grid}${rects}
    <line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(line)}" y2="${y(line)}" stroke="#1d2330" stroke-width="2" stroke-dasharray="6 4" />
    <text x="${W - PAD.r}" y="${y(line) - 5}" font-size="11" text-anchor="end" fill="#1d2330">${label.line}</text>
    ${raw('')}
  </svg>`;
}

export interface StepBar {
  label: string;
  count: number;
  fromPrevious: number | null;
}

export function conversionChart(steps: StepBar[], title: string): Html {
  const max = Math.max(1, ...steps.map((s) => s.count));
  const rowH = 34;
  const h = steps.length * rowH + 10;
  const labelW = 130;
  const barW = W - labelW - 120;
  const rows = steps.map((s, i) => {
    const y0 = 6 + i * rowH;
    const w = Math.max(1, (barW * s.count) / max);
    const pct = s.fromPrevious === null ? '' : ` · ${Math.round(s.fromPrevious * 100)}%`;
    return html`<text x="0" y="${y0 + 18}" font-size="13" fill="#1d2330">${s.label}</text>
      <rect x="${labelW}" y="${y0 + 4}" width="${w.toFixed(1)}" height="${rowH - 12}" fill="#1450b8" rx="3" />
      <text x="${labelW + w + 6}" y="${y0 + 18}" font-size="12" fill="#1d2330">${s.count}${pct}</text>`;
  });
  return html`<svg viewBox="0 0 ${W} ${h}" role="img" aria-labelledby="conv-title">
    <title id="conv-title">${title}</title>
    ${rows}
  </svg>`;
}
