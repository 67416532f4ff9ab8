import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/harness.ts';

/**
 * The status colours stay apart for readers with a colour-vision deficiency, not only for the
 * rest: each pair of statuses is compared after simulating protanopia, deuteranopia and
 * tritanopia (Machado, Oliveira and Fernandes 2009, full severity, on linear RGB), as a CIELAB
 * distance (ΔE*ab). The uptime bars add a pattern per status on top; text always names it.
 */

const SIMULATIONS: Record<string, number[][]> = {
  'normal vision': [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

/** Far enough apart to tell at a glance; the earlier degraded/partial pair was 2.7 for protanopia. */
const MIN_DISTANCE = 15;

const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const toLinearRgb = (hex: string) =>
  [1, 3, 5].map((i) => linear(parseInt(hex.slice(i, i + 2), 16) / 255));

function toLab([r, g, b]: number[]): number[] {
  const x = (0.4124 * r! + 0.3576 * g! + 0.1805 * b!) / 0.95047;
  const y = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  const z = (0.0193 * r! + 0.1192 * g! + 0.9505 * b!) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function seenAs(matrix: number[][], hex: string): number[] {
  const rgb = toLinearRgb(hex);
  return toLab(
    matrix.map((row) =>
      Math.min(1, Math.max(0, row[0]! * rgb[0]! + row[1]! * rgb[1]! + row[2]! * rgb[2]!)),
    ),
  );
}

const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));

/** The status colours as the site's stylesheet declares them, light and dark. */
function palettes(): Record<'light' | 'dark', Record<string, string>> {
  const css = readFileSync(join(REPO_ROOT, 'src/layouts/Base.astro'), 'utf8');
  const dark = css.indexOf('@media (prefers-color-scheme: dark)');
  const read = (block: string) =>
    Object.fromEntries(
      ['ok', 'minor', 'partial', 'major', 'maint'].map((name) => {
        const value = new RegExp(`--${name}: (#[0-9a-f]{6})`).exec(block)?.[1];
        expect(value, `--${name}`).toBeDefined();
        return [name, value!];
      }),
    );
  return { light: read(css.slice(0, dark)), dark: read(css.slice(dark)) };
}

describe('the status colours', () => {
  it('keep degraded performance and partial outage apart under protanopia, deuteranopia and tritanopia, in both schemes', () => {
    const tooClose: string[] = [];
    for (const [scheme, colours] of Object.entries(palettes()))
      for (const [vision, matrix] of Object.entries(SIMULATIONS)) {
        const d = distance(seenAs(matrix, colours.minor!), seenAs(matrix, colours.partial!));
        if (d < MIN_DISTANCE) tooClose.push(`${scheme} for ${vision}: ${d.toFixed(1)}`);
      }
    expect(tooClose).toEqual([]);
  });

  it('keep every pair of statuses apart for normal vision, in both schemes', () => {
    const tooClose: string[] = [];
    for (const [scheme, colours] of Object.entries(palettes())) {
      const names = Object.keys(colours);
      for (const [i, a] of names.entries())
        for (const b of names.slice(i + 1)) {
          const matrix = SIMULATIONS['normal vision']!;
          const d = distance(seenAs(matrix, colours[a]!), seenAs(matrix, colours[b]!));
          if (d < MIN_DISTANCE) tooClose.push(`${scheme} ${a}/${b}: ${d.toFixed(1)}`);
        }
    }
    expect(tooClose).toEqual([]);
  });

  it('find the old degraded and partial-outage pair too close, so the check can fail', () => {
    const protanopia = SIMULATIONS.protanopia!;
    expect(distance(seenAs(protanopia, '#8a6100'), seenAs(protanopia, '#b44d00'))).toBeLessThan(
      MIN_DISTANCE,
    );
  });
});
