import type { Random } from './random.js';

/** Below this magnitude the series forms of the helpers avoid 0/0. */
const SERIES_THRESHOLD = 1e-8;

/**
 * Draws ranks 1..n with P(k) proportional to 1 / k^s, in O(1) time and memory
 * per draw: rejection-inversion (Hörmann and Derflinger, 1996), the method of
 * Apache Commons RNG's RejectionInversionZipfSampler. A CDF table would need
 * 8 bytes per user, too much for streams with tens of millions of users.
 */
export class ZipfSampler {
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly squeeze: number;

  constructor(
    private readonly n: number,
    private readonly exponent: number,
  ) {
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** A rank in [1, n]; rank 1 is the most frequent. */
  sample(random: Random): number {
    for (;;) {
      const u = this.hIntegralN + random.double() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.exponent) * logX) * logX;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.exponent);
    if (t < -1) t = -1; // rounding can push t just past -1, where log1p is -Infinity
    return Math.exp(helper1(t) * x);
  }
}

/** log(1 + x) / x, continuous at 0. */
function helper1(x: number): number {
  return Math.abs(x) > SERIES_THRESHOLD ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** (exp(x) - 1) / x, continuous at 0. */
function helper2(x: number): number {
  return Math.abs(x) > SERIES_THRESHOLD ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}
