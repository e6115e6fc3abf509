// A small SVG chart writer for the bench results (grouped bars, lines); no dependencies.
const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const W = 900;
const H = 460;
const M = { left: 70, right: 250, top: 40, bottom: 60 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(title: string, max: number, unit: string): string[] {
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`, `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`];
  const ph = H - M.top - M.bottom;
  for (let i = 0; i <= 5; i++) {
    const y = M.top + ph - (ph * i) / 5;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`, `<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${fmt((max * i) / 5)}</text>`);
  }
  out.push(`<text x="16" y="${M.top + ph / 2}" transform="rotate(-90 16 ${M.top + ph / 2})" text-anchor="middle">${esc(unit)}</text>`);
  return out;
}

function legend(labels: string[]): string[] {
  return labels.flatMap((l, i) => [`<rect x="${W - M.right + 15}" y="${M.top + i * 20}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`, `<text x="${W - M.right + 32}" y="${M.top + i * 20 + 10}">${esc(l)}</text>`]);
}

export function barChart(o: { title: string; categories: string[]; series: Array<{ label: string; values: number[] }>; unit: string }): string {
  const series = o.series.filter((s) => s.values.some((v) => v > 0));
  const max = niceMax(Math.max(...series.flatMap((s) => s.values)));
  const out = frame(o.title, max, o.unit);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const gw = pw / o.categories.length;
  const bw = (gw * 0.8) / Math.max(1, series.length);
  o.categories.forEach((c, ci) => {
    const gx = M.left + ci * gw + gw * 0.1;
    series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const h = (ph * v) / max;
      const x = gx + si * bw;
      out.push(`<rect x="${x.toFixed(1)}" y="${(M.top + ph - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(s.label)}: ${fmt(v)}</title></rect>`);
      if (v > 0) out.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(M.top + ph - h - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(v)}</text>`);
    });
    out.push(`<text x="${(gx + gw * 0.4).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${esc(c)}</text>`);
  });
  out.push(...legend(series.map((s) => s.label)), '</svg>');
  return out.join('\n') + '\n';
}

export function lineChart(o: { title: string; x: number[]; xLabel: string; unit: string; series: Array<{ label: string; values: number[] }> }): string {
  const max = niceMax(Math.max(...o.series.flatMap((s) => s.values)));
  const out = frame(o.title, max, o.unit);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  // x: evenly spaced points (loads are roughly geometric), labelled with their values.
  const xs = o.x.map((_, i) => M.left + (o.x.length === 1 ? pw / 2 : (pw * i) / (o.x.length - 1)));
  o.x.forEach((v, i) => out.push(`<text x="${xs[i]!.toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${v.toLocaleString('en-US')}</text>`));
  out.push(`<text x="${M.left + pw / 2}" y="${H - 16}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  o.series.forEach((s, si) => {
    const pts = s.values.map((v, i) => `${xs[i]!.toFixed(1)},${(M.top + ph - (ph * v) / max).toFixed(1)}`);
    const color = COLORS[si % COLORS.length];
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    s.values.forEach((v, i) => out.push(`<circle cx="${xs[i]!.toFixed(1)}" cy="${(M.top + ph - (ph * v) / max).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.label)}: ${fmt(v)}</title></circle>`));
  });
  out.push(...legend(o.series.map((s) => s.label)), '</svg>');
  return out.join('\n') + '\n';
}
