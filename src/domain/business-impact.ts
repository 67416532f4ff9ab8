import type { BusinessImpact } from './types.ts';

export interface BusinessContext {
  summary: string | null;
  customers_affected: number | null;
  revenue_per_minute: number | null;
  currency: string | null;
  /** Whole minutes from `started_at` to resolution, or to `now` while open. */
  minutes_elapsed: number;
  /** Revenue per minute × exact minutes elapsed, rounded to cents; null without a revenue figure. */
  estimated_cost: number | null;
}

/** The business facts executives see, with the cost so far worked out as of `now`. */
export function businessContext(
  impact: BusinessImpact | null,
  startedAt: string,
  resolvedAt: string | null,
  now: Date,
): BusinessContext {
  const end = resolvedAt ? Date.parse(resolvedAt) : now.getTime();
  const exactMinutes = Math.max(0, (end - Date.parse(startedAt)) / 60_000);
  const perMinute = impact?.revenue_per_minute ?? null;
  return {
    summary: impact?.summary ?? null,
    customers_affected: impact?.customers_affected ?? null,
    revenue_per_minute: perMinute,
    currency: impact?.currency ?? null,
    minutes_elapsed: Math.floor(exactMinutes),
    estimated_cost: perMinute === null ? null : Math.round(perMinute * exactMinutes * 100) / 100,
  };
}

/** `12345.5` in USD → `$12,345.50`; without a currency, a plain grouped number. */
export function formatMoney(amount: number | null, currency: string | null): string | null {
  if (amount === null) return null;
  if (!currency) return new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(amount);
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}
