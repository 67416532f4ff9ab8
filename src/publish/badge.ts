import { escapeHtml } from './text.ts';
import type { Tone } from './views/status.ts';

export interface BadgeView {
  label: string;
  message: string;
  tone: Tone;
}

const FILL: Record<Tone, string> = {
  ok: '#1a7f4b',
  minor: '#8a6100',
  partial: '#9c2f83',
  major: '#b3261e',
  maint: '#1d5fb4',
};

/** Rough width of text in 11px Verdana-like fonts; badges only need to look right, not measure. */
function textWidth(text: string): number {
  return Math.round(text.length * 6.6 + 12);
}

/** A shields.io-style badge of the overall status, with a title for screen readers. */
export function badgeSvg(view: BadgeView): string {
  const left = textWidth(view.label);
  const right = textWidth(view.message);
  const width = left + right;
  const label = escapeHtml(view.label);
  const message = escapeHtml(view.message);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${label}: ${message}"><title>${label}: ${message}</title><rect width="${left}" height="20" fill="#444"/><rect x="${left}" width="${right}" height="20" fill="${FILL[view.tone]}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="${left / 2}" y="14">${label}</text><text x="${left + right / 2}" y="14">${message}</text></g></svg>`;
}
