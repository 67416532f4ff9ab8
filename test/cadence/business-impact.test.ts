import { describe, expect, it } from 'vitest';
import { businessContext, formatMoney } from '../../src/domain/business-impact.ts';

const started = '2026-11-23T10:00:00.000Z';

describe('the business context executives see', () => {
  it('estimates the cost so far as revenue per minute times minutes since the start', () => {
    const ctx = businessContext(
      {
        summary: 'Card payments fail',
        customers_affected: 1200,
        revenue_per_minute: 850,
        currency: 'USD',
      },
      started,
      null,
      new Date('2026-11-23T10:12:30.000Z'),
    );
    expect(ctx).toEqual({
      summary: 'Card payments fail',
      customers_affected: 1200,
      revenue_per_minute: 850,
      currency: 'USD',
      minutes_elapsed: 12,
      estimated_cost: 10625,
    });
    expect(formatMoney(ctx.estimated_cost, ctx.currency)).toBe('$10,625.00');
  });

  it('stops the clock at resolution and knows no cost without a revenue figure', () => {
    const resolved = businessContext(
      { revenue_per_minute: 10 },
      started,
      '2026-11-23T10:30:00.000Z',
      new Date('2026-11-24T00:00:00.000Z'),
    );
    expect(resolved.estimated_cost).toBe(300);
    expect(
      businessContext(null, started, null, new Date('2026-11-23T11:00:00.000Z')).estimated_cost,
    ).toBeNull();
    expect(formatMoney(null, 'USD')).toBeNull();
    expect(formatMoney(1234.5, 'EUR')).toBe('€1,234.50');
  });
});
