/**
 * A hand-written SVG chart of the headline numbers (no dependency): start-up medians,
 * validation growth, fleet boot outcomes and refresh staleness, one panel each.
 */
import type { BenchResults } from './results.js';

const WIDTH = 960;
const PANEL = 300;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, body: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(body)}</text>`;
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Horizontal bars, one per row, optional whisker (lo..hi). */
function hbars(
  x0: number,
  y0: number,
  width: number,
  title: string,
  unit: string,
  rows: readonly { label: string; value: number; lo?: number; hi?: number; color: string }[],
): string {
  const labelW = 190;
  const max = Math.max(...rows.map((r) => r.hi ?? r.value), 1e-9) * 1.15;
  const barH = 22;
  const out = [text(x0, y0, title, 'class="h"')];
  rows.forEach((r, i) => {
    const y = y0 + 18 + i * (barH + 8);
    const w = ((width - labelW - 60) * r.value) / max;
    out.push(text(x0, y + 15, r.label));
    out.push(
      `<rect x="${x0 + labelW}" y="${y}" width="${Math.max(1, w).toFixed(1)}" height="${barH}" fill="${r.color}"/>`,
    );
    if (r.lo !== undefined && r.hi !== undefined) {
      const a = x0 + labelW + ((width - labelW - 60) * r.lo) / max;
      const b = x0 + labelW + ((width - labelW - 60) * r.hi) / max;
      out.push(
        `<line x1="${a.toFixed(1)}" x2="${b.toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#333"/>`,
      );
    }
    out.push(
      text(
        x0 + labelW + w + 6 + (r.hi !== undefined ? ((width - labelW - 60) * (r.hi - r.value)) / max : 0),
        y + 15,
        `${fmt(r.value, 2)} ${unit}`,
      ),
    );
  });
  return out.join('\n');
}

function startupPanel(results: BenchResults, y0: number): string {
  const s = results.startup;
  if (!s) return '';
  const warm = s.variants.map((v, i) => ({
    label: v.label,
    value: v.medianMs,
    lo: v.p25Ms,
    hi: v.p75Ms,
    color: COLORS[i] ?? '#999',
  }));
  const cold = s.cold.map((v, i) => ({
    label: v.label,
    value: v.medianMs,
    lo: v.p25Ms,
    hi: v.p75Ms,
    color: COLORS[i] ?? '#999',
  }));
  return [
    hbars(20, y0, WIDTH / 2 - 20, `Start-up to ready, in-process (${s.rounds} rounds)`, 'ms', warm),
    cold.length > 0
      ? hbars(
          WIDTH / 2 + 10,
          y0,
          WIDTH / 2 - 20,
          `Cold process start to ready (${s.cold[0]?.runs ?? 0} runs)`,
          'ms',
          cold,
        )
      : '',
    text(20, y0 + 185, 'Bars: medians; lines: p25-p75.', 'fill="#777"'),
    text(
      20,
      y0 + 203,
      `Added over (a): (b) ${fmt(s.addedMs.b, 2)} ms, (c) ${fmt(s.addedMs.c, 2)} ms, (d) ${fmt(s.addedMs.d, 2)} ms;  (b-a)/(c-a) = ${fmt(s.ratios.addedBoverC.value, 2)} [95% CI ${fmt(s.ratios.addedBoverC.ci95[0], 2)}-${fmt(s.ratios.addedBoverC.ci95[1], 2)}]`,
    ),
  ].join('\n');
}

function validationPanel(results: BenchResults, y0: number): string {
  const rows = results.validation;
  if (!rows || rows.length === 0) return '';
  const x0 = 80;
  const w = WIDTH / 2 - 120;
  const h = 200;
  const pts = rows.map((r) => ({ keys: r.time.keys, ms: r.time.validate.cpuMs }));
  const minK = Math.log10(Math.min(...pts.map((p) => p.keys)));
  const maxK = Math.log10(Math.max(...pts.map((p) => p.keys)));
  const minMs = Math.log10(Math.min(...pts.map((p) => p.ms))) - 0.3;
  const maxMs = Math.log10(Math.max(...pts.map((p) => p.ms))) + 0.3;
  const px = (k: number): number => x0 + ((Math.log10(k) - minK) / (maxK - minK || 1)) * w;
  const py = (ms: number): number => y0 + 20 + h - ((Math.log10(ms) - minMs) / (maxMs - minMs || 1)) * h;
  const first = pts[0];
  const linear = (k: number): number => first.ms * (k / first.keys);
  const out = [text(20, y0, 'Validation CPU time per call vs keys (log-log)', 'class="h"')];
  out.push(`<rect x="${x0}" y="${y0 + 20}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`);
  const lastK = (pts[pts.length - 1] as { keys: number }).keys;
  const clamp = (v: number): number => Math.max(y0 + 20, Math.min(y0 + 20 + h, v));
  out.push(
    `<line x1="${px(first.keys)}" y1="${clamp(py(first.ms))}" x2="${px(lastK)}" y2="${clamp(py(linear(lastK)))}" stroke="#999" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<polyline fill="none" stroke="${COLORS[0]}" stroke-width="2" points="${pts.map((p) => `${px(p.keys).toFixed(1)},${py(p.ms).toFixed(1)}`).join(' ')}"/>`,
  );
  for (const p of pts) {
    out.push(
      `<circle cx="${px(p.keys).toFixed(1)}" cy="${py(p.ms).toFixed(1)}" r="3.5" fill="${COLORS[0]}"/>`,
    );
    const last = p.keys === lastK;
    out.push(
      text(
        px(p.keys) + (last ? -8 : 6),
        py(p.ms) + (last ? 16 : -6),
        `${fmt(p.ms, p.ms < 1 ? 3 : 1)} ms`,
        last ? 'text-anchor="end"' : '',
      ),
    );
    out.push(text(px(p.keys) - 10, y0 + 20 + h + 16, `${p.keys}`));
  }
  out.push(text(x0 + w / 2 - 10, y0 + 20 + h + 32, 'keys', 'fill="#777"'));
  out.push(text(x0 + w - 170, y0 + 20 + h - 8, '--- linear growth from 10 keys', 'fill="#777"'));
  return out.join('\n');
}

function refreshPanel(results: BenchResults, y0: number): string {
  const rows = results.fleet?.refresh;
  if (!rows || rows.length === 0) return '';
  return hbars(
    WIDTH / 2 + 10,
    y0,
    WIDTH / 2 - 20,
    `Refresh, ${results.fleet?.replicas ?? 0} replicas: p99 age of the set (minutes)`,
    'min',
    rows.map((r, i) => ({
      label: `${r.intervalMs / 1000} s, jitter ${r.jitter}${r.randomPhase ? ', rnd start' : ''}`,
      value: r.ageMs.p99 / 60_000,
      color: COLORS[i % COLORS.length] ?? '#999',
    })),
  );
}

function bootPanel(results: BenchResults, y0: number): string {
  const fleet = results.fleet;
  if (!fleet || fleet.boot.length === 0) return '';
  const x0 = 20;
  const labelW = 200;
  const w = WIDTH - 40 - labelW - 360;
  const out = [
    text(
      x0,
      y0,
      `Fleet boot: ${fleet.replicas} replicas within ${fleet.spreadMs / 1000} s, ${fleet.rpm} requests/min/token: booted without fallback (solid), with fallback (outline)`,
      'class="h"',
    ),
  ];
  fleet.boot.forEach((row, i) => {
    const y = y0 + 18 + i * 24;
    const a = (w * row.bootedWithoutFallback) / row.replicas;
    const b = (w * row.bootedWithFallback) / row.replicas;
    out.push(text(x0, y + 14, row.policy.name));
    out.push(
      `<rect x="${x0 + labelW}" y="${y}" width="${b.toFixed(1)}" height="18" fill="none" stroke="${COLORS[1]}"/>`,
    );
    out.push(
      `<rect x="${x0 + labelW}" y="${y}" width="${Math.max(1, a).toFixed(1)}" height="18" fill="${COLORS[0]}"/>`,
    );
    out.push(
      text(
        x0 + labelW + b + 6,
        y + 14,
        `${row.bootedWithoutFallback} / ${row.bootedWithFallback} of ${row.replicas}; ${row.requests} requests; p95 in fetch ${fmt(row.readyMsWithout.p95 / 1000, 1)} s`,
      ),
    );
  });
  return out.join('\n');
}

export function renderChart(results: BenchResults): string {
  const m = results.machine;
  const bootRows = results.fleet?.boot.length ?? 0;
  const height = 50 + PANEL * 2 + 20 + 30 + bootRows * 24 + 20;
  const body = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.h{font-weight:bold;font-size:13px}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    text(
      20,
      22,
      `nestjs-doppler benchmarks — ${m.cpuModel}, ${m.cores} cores, Node ${m.node} — ${results.command}`,
      'class="h"',
    ),
    startupPanel(results, 50),
    validationPanel(results, 50 + PANEL - 20),
    refreshPanel(results, 50 + PANEL - 20),
    bootPanel(results, 50 + PANEL * 2 + 20),
    '</svg>',
  ];
  return body.filter((s) => s !== '').join('\n') + '\n';
}
