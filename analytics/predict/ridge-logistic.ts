import { softplus } from "./distributions.ts";
// L2-penalised logistic regression by truncated Newton (Newton–conjugate gradient, as LIBLINEAR
// and scikit-learn's newton-cg): the Hessian is never formed, each CG step costs two passes over
// the design, so a fit is O(iterations × n × p) whatever the number of columns. Every buffer is
// allocated once per solver; the loops only read and write Float64Arrays.

/** Coefficients of a fit: one weight per design column and an unpenalised intercept. */
export interface RidgeCoefficients {
  weights: Float64Array;
  intercept: number;
}

export interface RidgeFit extends RidgeCoefficients {
  /** Newton steps taken. */
  iterations: number;
  /** Gradient norm fell below the tolerance. */
  converged: boolean;
}

const MAX_NEWTON = 100;
const MAX_LINE_SEARCH = 40;
/** Gradient norm per unit at which a fit is done: far below what moves a predicted probability. */
const GRADIENT_TOLERANCE_PER_UNIT = 1e-7;

/**
 * Solves min Σ uᵢ logloss + λ/2 ‖w‖² on one design (n rows × p columns, row-major) and labels,
 * with a weight uᵢ per unit (1 when none are given).
 */
export class RidgeLogisticSolver {
  private readonly eta: Float64Array;
  private readonly trialEta: Float64Array;
  private readonly curvature: Float64Array;
  private readonly scratchN: Float64Array;
  private readonly directionEta: Float64Array;
  private readonly gradient: Float64Array;
  private readonly step: Float64Array;
  private readonly residual: Float64Array;
  private readonly conjugate: Float64Array;
  private readonly product: Float64Array;
  private readonly preconditioned: Float64Array;
  private readonly diagonal: Float64Array;
  private readonly beta: Float64Array;
  private readonly u: Float64Array;

  constructor(
    private readonly x: Float64Array,
    private readonly n: number,
    private readonly p: number,
    private readonly y: Uint8Array,
    unitWeights?: Float64Array,
  ) {
    if (x.length !== n * p) throw new RangeError(`design has ${x.length} cells, not ${n}×${p}`);
    if (unitWeights !== undefined && unitWeights.length !== n) {
      throw new RangeError(`${unitWeights.length} unit weights for ${n} units`);
    }
    this.u = unitWeights ?? new Float64Array(n).fill(1);
    this.eta = new Float64Array(n);
    this.trialEta = new Float64Array(n);
    this.curvature = new Float64Array(n);
    this.scratchN = new Float64Array(n);
    this.directionEta = new Float64Array(n);
    // Parameter vectors hold the p weights then the intercept.
    this.gradient = new Float64Array(p + 1);
    this.step = new Float64Array(p + 1);
    this.residual = new Float64Array(p + 1);
    this.conjugate = new Float64Array(p + 1);
    this.product = new Float64Array(p + 1);
    this.preconditioned = new Float64Array(p + 1);
    this.diagonal = new Float64Array(p + 1);
    this.beta = new Float64Array(p + 1);
  }

  /** out = X v[0..p) + v[p] */
  private linear(v: Float64Array, out: Float64Array): void {
    const { x, n, p } = this;
    const offset = v[p] as number;
    for (let i = 0, row = 0; i < n; i++, row += p) {
      let s = offset;
      for (let j = 0; j < p; j++) s += (x[row + j] as number) * (v[j] as number);
      out[i] = s;
    }
  }

  /** out[0..p) = Xᵀ r, out[p] = Σ r */
  private transposed(r: Float64Array, out: Float64Array): void {
    const { x, n, p } = this;
    out.fill(0);
    let total = 0;
    for (let i = 0, row = 0; i < n; i++, row += p) {
      const ri = r[i] as number;
      total += ri;
      if (ri === 0) continue;
      for (let j = 0; j < p; j++) out[j] = (out[j] as number) + (x[row + j] as number) * ri;
    }
    out[p] = total;
  }

  private objective(eta: Float64Array, beta: Float64Array, lambda: number): number {
    const { y, u, n, p } = this;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const e = eta[i] as number;
      loss += (u[i] as number) * (softplus(e) - (y[i] as number) * e);
    }
    let penalty = 0;
    for (let j = 0; j < p; j++) penalty += (beta[j] as number) ** 2;
    return loss + (lambda / 2) * penalty;
  }

  /** product = H v, with curvature (μ(1 − μ)) already in place. */
  private hessianTimes(v: Float64Array, lambda: number): void {
    const { n, p, scratchN, curvature, product } = this;
    this.linear(v, scratchN);
    for (let i = 0; i < n; i++) scratchN[i] = (scratchN[i] as number) * (curvature[i] as number);
    this.transposed(scratchN, product);
    for (let j = 0; j < p; j++) product[j] = (product[j] as number) + lambda * (v[j] as number);
  }

  /**
   * Fits at penalty `lambda` (> 0), starting from `start` (a warm start from a nearby penalty
   * saves most of the Newton steps) or from the base rate.
   */
  fit(lambda: number, start?: RidgeCoefficients): RidgeFit {
    const { n, p, y, u, eta, curvature, gradient, step, beta } = this;
    if (start) {
      beta.set(start.weights);
      beta[p] = start.intercept;
    } else {
      let positives = 0;
      let total = 0;
      for (let i = 0; i < n; i++) {
        positives += (u[i] as number) * (y[i] as number);
        total += u[i] as number;
      }
      beta.fill(0);
      const rate = Math.min(Math.max(positives / total, 1e-6), 1 - 1e-6);
      beta[p] = Math.log(rate / (1 - rate));
    }
    this.linear(beta, eta);
    let value = this.objective(eta, beta, lambda);
    const tolerance = GRADIENT_TOLERANCE_PER_UNIT * n;
    let firstNorm = Number.NaN;
    let iterations = 0;
    let converged = false;
    for (; iterations < MAX_NEWTON; iterations++) {
      for (let i = 0; i < n; i++) {
        const mu = 1 / (1 + Math.exp(-(eta[i] as number)));
        curvature[i] = (u[i] as number) * mu * (1 - mu);
        this.scratchN[i] = (u[i] as number) * (mu - (y[i] as number));
      }
      this.transposed(this.scratchN, gradient);
      for (let j = 0; j < p; j++)
        gradient[j] = (gradient[j] as number) + lambda * (beta[j] as number);
      let squares = 0;
      for (let j = 0; j <= p; j++) squares += (gradient[j] as number) ** 2;
      const norm = Math.sqrt(squares);
      if (iterations === 0) firstNorm = norm;
      if (norm <= tolerance) {
        converged = true;
        break;
      }
      this.precondition(lambda);
      const forcing = Math.min(0.5, Math.sqrt(norm / Math.max(firstNorm, tolerance)));
      this.conjugateGradient(lambda, forcing * norm);
      // Armijo backtracking along the Newton direction; η moves linearly with the step.
      this.linear(step, this.directionEta);
      let slope = 0;
      for (let j = 0; j <= p; j++) slope += (gradient[j] as number) * (step[j] as number);
      if (!(slope < 0)) break;
      let t = 1;
      let accepted = false;
      for (let k = 0; k < MAX_LINE_SEARCH; k++, t /= 2) {
        for (let i = 0; i < n; i++) {
          this.trialEta[i] = (eta[i] as number) + t * (this.directionEta[i] as number);
        }
        let penalty = 0;
        for (let j = 0; j < p; j++) penalty += ((beta[j] as number) + t * (step[j] as number)) ** 2;
        const trial = this.objective(this.trialEta, beta, 0) + (lambda / 2) * penalty;
        if (trial <= value + 1e-4 * t * slope) {
          value = trial;
          accepted = true;
          break;
        }
      }
      if (!accepted) break;
      for (let j = 0; j <= p; j++) beta[j] = (beta[j] as number) + t * (step[j] as number);
      eta.set(this.trialEta);
    }
    return {
      weights: beta.slice(0, p),
      intercept: beta[p] as number,
      iterations,
      converged,
    };
  }

  /** Jacobi preconditioner: the diagonal of the Hessian. */
  private precondition(lambda: number): void {
    const { x, n, p, curvature, diagonal } = this;
    diagonal.fill(0);
    let total = 0;
    for (let i = 0, row = 0; i < n; i++, row += p) {
      const d = curvature[i] as number;
      total += d;
      for (let j = 0; j < p; j++) {
        const v = x[row + j] as number;
        diagonal[j] = (diagonal[j] as number) + d * v * v;
      }
    }
    for (let j = 0; j < p; j++) diagonal[j] = (diagonal[j] as number) + lambda;
    diagonal[p] = total;
    for (let j = 0; j <= p; j++) if (!((diagonal[j] as number) > 0)) diagonal[j] = 1;
  }

  /** step ≈ −H⁻¹ g by preconditioned CG, to a residual of `target`. */
  private conjugateGradient(lambda: number, target: number): void {
    const { p, gradient, step, residual, conjugate, product, preconditioned, diagonal } = this;
    const size = p + 1;
    step.fill(0);
    let rz = 0;
    for (let j = 0; j < size; j++) {
      const r = -(gradient[j] as number);
      residual[j] = r;
      const z = r / (diagonal[j] as number);
      preconditioned[j] = z;
      conjugate[j] = z;
      rz += r * z;
    }
    const maxSteps = Math.min(size, 250);
    for (let k = 0; k < maxSteps; k++) {
      this.hessianTimes(conjugate, lambda);
      let curvatureAlong = 0;
      for (let j = 0; j < size; j++)
        curvatureAlong += (conjugate[j] as number) * (product[j] as number);
      if (!(curvatureAlong > 0)) break;
      const alpha = rz / curvatureAlong;
      let residualNorm = 0;
      for (let j = 0; j < size; j++) {
        step[j] = (step[j] as number) + alpha * (conjugate[j] as number);
        const r = (residual[j] as number) - alpha * (product[j] as number);
        residual[j] = r;
        residualNorm += r * r;
      }
      if (Math.sqrt(residualNorm) <= target) break;
      let rzNext = 0;
      for (let j = 0; j < size; j++) {
        const z = (residual[j] as number) / (diagonal[j] as number);
        preconditioned[j] = z;
        rzNext += (residual[j] as number) * z;
      }
      const beta = rzNext / rz;
      rz = rzNext;
      for (let j = 0; j < size; j++) {
        conjugate[j] = (preconditioned[j] as number) + beta * (conjugate[j] as number);
      }
    }
  }

  /** Probabilities of failing for a design of rows × p columns. */
  static predict(
    coefficients: RidgeCoefficients,
    design: Float64Array,
    rows: number,
    out: Float64Array = new Float64Array(rows),
  ): Float64Array {
    const { weights, intercept } = coefficients;
    const p = weights.length;
    for (let i = 0, row = 0; i < rows; i++, row += p) {
      let s = intercept;
      for (let j = 0; j < p; j++) s += (design[row + j] as number) * (weights[j] as number);
      out[i] = 1 / (1 + Math.exp(-s));
    }
    return out;
  }
}
