import { softplus } from "./distributions.ts";
import type { RidgeCoefficients } from "./ridge-logistic.ts";

// Elastic-net logistic regression by coordinate descent on iteratively reweighted least squares
// (glmnet: Friedman, Hastie & Tibshirani 2010, J. Stat. Softw. 33(1)): each outer step replaces the
// log-loss by its quadratic at the current fit, and cyclic soft-thresholded coordinate updates solve
// that, sweeping the active columns until they settle before one full sweep checks the rest.

const MAX_OUTER = 100;
const MAX_SWEEPS = 1000;
/** Largest weighted change of a coefficient (Σ wᵢ xᵢⱼ² Δβⱼ², per unit of weight) at which a sweep is done. */
const SWEEP_TOLERANCE = 1e-7;
/** Relative change of the objective at which the outer (reweighting) loop is done. */
const OUTER_TOLERANCE = 1e-8;
/** glmnet's floor on a working weight μ(1 − μ), so that confident units keep a little curvature. */
const MIN_CURVATURE = 1e-5;

/**
 * Solves min Σ uᵢ logloss + λ (α ‖w‖₁ + (1 − α)/2 ‖w‖²) on one design (n rows × p columns,
 * row-major, copied column-wise once) and labels, with a weight uᵢ per unit (1 when none are
 * given). α = 0 is the ridge, α = 1 the lasso.
 */
export class ElasticNetLogisticSolver {
  private readonly columns: Float64Array;
  private readonly u: Float64Array;
  private readonly eta: Float64Array;
  private readonly work: Float64Array;
  private readonly residual: Float64Array;
  private readonly beta: Float64Array;

  constructor(
    x: Float64Array,
    private readonly n: number,
    private readonly p: number,
    private readonly y: Uint8Array,
    private readonly alpha: number,
    unitWeights?: Float64Array,
  ) {
    if (x.length !== n * p) throw new RangeError(`design has ${x.length} cells, not ${n}×${p}`);
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
    this.columns = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) this.columns[j * n + i] = x[i * p + j] as number;
    }
    this.u = unitWeights ?? new Float64Array(n).fill(1);
    this.eta = new Float64Array(n);
    this.work = new Float64Array(n);
    this.residual = new Float64Array(n);
    this.beta = new Float64Array(p);
  }

  private objective(lambda: number): number {
    const { n, p, y, u, eta, beta, alpha } = this;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const e = eta[i] as number;
      loss += (u[i] as number) * (softplus(e) - (y[i] as number) * e);
    }
    let l1 = 0;
    let l2 = 0;
    for (let j = 0; j < p; j++) {
      const b = beta[j] as number;
      l1 += Math.abs(b);
      l2 += b * b;
    }
    return loss + lambda * (alpha * l1 + ((1 - alpha) / 2) * l2);
  }

  /**
   * Fits at penalty `lambda` (> 0), from `start` (a warm start from a nearby, stronger penalty
   * keeps the active set small) or from the base rate.
   */
  fit(lambda: number, start?: RidgeCoefficients): RidgeCoefficients {
    const { n, p, y, u, eta, work, residual, beta, columns, alpha } = this;
    let intercept: number;
    if (start) {
      beta.set(start.weights);
      intercept = start.intercept;
    } else {
      let positives = 0;
      let total = 0;
      for (let i = 0; i < n; i++) {
        positives += (u[i] as number) * (y[i] as number);
        total += u[i] as number;
      }
      beta.fill(0);
      const rate = Math.min(Math.max(positives / total, 1e-6), 1 - 1e-6);
      intercept = Math.log(rate / (1 - rate));
    }
    const l1 = lambda * alpha;
    const l2 = lambda * (1 - alpha);
    const curvatureOf = new Float64Array(p);
    const active = new Uint8Array(p);
    this.predictInto(intercept);
    let value = this.objective(lambda);
    const previous = new Float64Array(p);
    for (let outer = 0; outer < MAX_OUTER; outer++) {
      previous.set(beta);
      const previousIntercept = intercept;
      // Quadratic at the current fit: working weights and the residual of the working response.
      let totalWork = 0;
      for (let i = 0; i < n; i++) {
        const mu = 1 / (1 + Math.exp(-(eta[i] as number)));
        const w = (u[i] as number) * Math.max(mu * (1 - mu), MIN_CURVATURE);
        work[i] = w;
        totalWork += w;
        residual[i] = ((u[i] as number) * ((y[i] as number) - mu)) / w;
      }
      for (let j = 0; j < p; j++) {
        let c = 0;
        const base = j * n;
        for (let i = 0; i < n; i++) c += (work[i] as number) * (columns[base + i] as number) ** 2;
        curvatureOf[j] = c;
      }
      let fullSweep = true;
      for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
        let largest = 0;
        for (let j = 0; j < p; j++) {
          if (!fullSweep && active[j] === 0) continue;
          const c = curvatureOf[j] as number;
          if (c === 0) continue;
          const base = j * n;
          const old = beta[j] as number;
          let g = 0;
          for (let i = 0; i < n; i++) {
            g += (work[i] as number) * (columns[base + i] as number) * (residual[i] as number);
          }
          g += c * old;
          const shrunk = Math.abs(g) > l1 ? (g - Math.sign(g) * l1) / (c + l2) : 0;
          if (shrunk === old) continue;
          const delta = shrunk - old;
          beta[j] = shrunk;
          if (shrunk !== 0) active[j] = 1;
          for (let i = 0; i < n; i++) {
            residual[i] = (residual[i] as number) - delta * (columns[base + i] as number);
          }
          largest = Math.max(largest, c * delta * delta);
        }
        let shift = 0;
        for (let i = 0; i < n; i++) shift += (work[i] as number) * (residual[i] as number);
        shift /= totalWork;
        intercept += shift;
        for (let i = 0; i < n; i++) residual[i] = (residual[i] as number) - shift;
        largest = Math.max(largest, totalWork * shift * shift);
        const settled = largest <= SWEEP_TOLERANCE * totalWork;
        if (settled && fullSweep) break;
        // Settled on the active columns: one full sweep to see whether any other column enters.
        fullSweep = settled;
      }
      this.predictInto(intercept);
      let next = this.objective(lambda);
      // Unlike Newton with a line search, a reweighted step can overshoot when the penalty is weak:
      // halve it back towards the previous fit until the objective does not rise.
      for (let halving = 0; halving < 30 && next > value; halving++) {
        for (let j = 0; j < p; j++) beta[j] = ((beta[j] as number) + (previous[j] as number)) / 2;
        intercept = (intercept + previousIntercept) / 2;
        this.predictInto(intercept);
        next = this.objective(lambda);
      }
      const settled = Math.abs(value - next) <= OUTER_TOLERANCE * Math.max(1, Math.abs(next));
      value = next;
      if (settled) break;
    }
    return { weights: beta.slice(), intercept };
  }

  private predictInto(intercept: number): void {
    const { n, p, eta, beta, columns } = this;
    eta.fill(intercept);
    for (let j = 0; j < p; j++) {
      const b = beta[j] as number;
      if (b === 0) continue;
      const base = j * n;
      for (let i = 0; i < n; i++) eta[i] = (eta[i] as number) + (columns[base + i] as number) * b;
    }
  }
}
