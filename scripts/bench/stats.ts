/**
 * Small statistics helpers for the benchmark: percentiles, medians and summaries.
 * @module
 */

/** Percentile `p` (0–100) of `values` with linear interpolation between ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return percentileSorted(sorted, p);
}

/** Percentile `p` (0–100) of an already ascending list. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Median of the finite values of `values`; NaN when there are none. */
export function median(values: readonly (number | undefined)[]): number {
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  return percentile(finite, 50);
}

/** A latency distribution in milliseconds. */
export interface Distribution {
  /** Number of samples. */
  count: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 99th percentile. */
  p99: number;
  /** Largest sample. */
  max: number;
  /** Arithmetic mean. */
  mean: number;
}

/** Summarises samples (ms) into a {@link Distribution}. */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}
