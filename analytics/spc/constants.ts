import gamma from "@stdlib/math-base-special-gamma";
import { SpcError } from "./errors.ts";

// The tables are the ones qcc 2.7 uses (qcc.options "exp.R.unscaled" and "se.R.unscaled"), the
// classic published factors. Keeping d2 at three decimals is deliberate: qcc's limits are built on
// 2.326, not on the exact 2.3259289, and matching qcc means matching its table.

/** d2(n) = E(R)/sigma for n = 2..25, three decimals; index 0 is n = 2. */
const D2 = [
  1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.97, 3.078, 3.173, 3.258, 3.336, 3.407, 3.472,
  3.532, 3.588, 3.64, 3.689, 3.735, 3.778, 3.819, 3.858, 3.895, 3.931,
] as const;

/** d3(n) = sd(R)/sigma for n = 2..50, seven digits; index 0 is n = 2. */
const D3 = [
  0.8525033, 0.8883697, 0.8798108, 0.8640855, 0.8480442, 0.8332108, 0.8198378, 0.8078413, 0.7970584,
  0.787323, 0.7784873, 0.7704257, 0.763033, 0.7562217, 0.7499188, 0.7440627, 0.7386021, 0.7334929,
  0.728698, 0.7241851, 0.7199267, 0.7158987, 0.7120802, 0.7084528, 0.7050004, 0.7017086, 0.6985648,
  0.6955576, 0.692677, 0.6899137, 0.6872596, 0.6847074, 0.6822502, 0.6798821, 0.6775973, 0.675391,
  0.6732584, 0.6711952, 0.6691976, 0.6672619, 0.6653848, 0.6635632, 0.6617943, 0.6600754, 0.6584041,
  0.656778, 0.655195, 0.6536532, 0.6521506,
] as const;

/** Largest subgroup size with a tabulated d2 (qcc's table). */
export const D2_MAX_SIZE = D2.length + 1;
/** Largest subgroup size with a tabulated d3 (qcc's table). */
export const D3_MAX_SIZE = D3.length + 1;

/** d2(n), the mean of the relative range of n normal values, from qcc's three-decimal table. */
export function d2(n: number): number {
  const value = Number.isInteger(n) ? D2[n - 2] : undefined;
  if (value === undefined) {
    throw new SpcError(
      "subgroup-size",
      `d2 is tabulated for subgroup sizes 2..${D2_MAX_SIZE}, not ${n}`,
    );
  }
  return value;
}

/** d3(n), the standard deviation of the relative range of n normal values, from qcc's table. */
export function d3(n: number): number {
  const value = Number.isInteger(n) ? D3[n - 2] : undefined;
  if (value === undefined) {
    throw new SpcError(
      "subgroup-size",
      `d3 is tabulated for subgroup sizes 2..${D3_MAX_SIZE}, not ${n}`,
    );
  }
  return value;
}

/**
 * c4(n) = E(S)/sigma for n normal values, exact: sqrt(2/(n-1)) * Γ(n/2) / Γ((n-1)/2).
 * Γ overflows past n ≈ 343, where the ratio comes from its asymptotic series instead
 * (Γ(x+½)/Γ(x) = √x·(1 − 1/8x + 1/128x² + 5/1024x³ − 21/32768x⁴ …); the next term is below 1e-13
 * there).
 */
export function c4(n: number): number {
  if (!(n >= 2)) throw new SpcError("subgroup-size", `c4 needs a size of at least 2, not ${n}`);
  const ratio = gamma(n / 2) / gamma((n - 1) / 2);
  if (Number.isFinite(ratio)) return Math.sqrt(2 / (n - 1)) * ratio;
  const x = (n - 1) / 2;
  const series = 1 - 1 / (8 * x) + 1 / (128 * x ** 2) + 5 / (1024 * x ** 3) - 21 / (32768 * x ** 4);
  return Math.sqrt(2 / (n - 1)) * Math.sqrt(x) * series;
}
