import { describe, expect, it } from 'vitest';
import { sumAmounts, yuan } from './labels';

describe('amounts', () => {
  it('adds exact two-place amounts without floating-point loss', () => {
    expect(sumAmounts(['0.10', '0.20'])).toBe('0.30');
    expect(sumAmounts(['3235.60', '4893.20', '4534.80'])).toBe('12663.60');
    expect(sumAmounts(['12.3', '7'])).toBe('19.30');
    expect(sumAmounts([])).toBe('0.00');
  });

  it('shows a sum as money', () => {
    expect(yuan(sumAmounts(['999999.99', '0.01']))).toBe('¥1,000,000.00');
  });
});
