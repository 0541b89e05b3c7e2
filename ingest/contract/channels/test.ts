import { PointBuilder, type StoredPoint } from "../point.ts";
import { isRejection, quote, reject } from "../rejection.ts";
import { TestPayload } from "../schemas.ts";
import { defineChannel } from "./codec.ts";

/** The ref tag of a defect without a reference designator (a tag cannot be empty). */
export const NO_REF = "-";

export const testChannel = defineChannel({
  schema: TestPayload,
  toPoints(test, { origin, time }) {
    const ts = time(test.ts, "/ts");
    if (isRejection(ts)) return ts;
    const defects = test.defects ?? [];
    const measurements = test.measurements ?? [];
    const points: StoredPoint[] = [
      new PointBuilder("test", origin)
        .tag("serial", test.serial)
        .tag("kind", test.kind)
        .string("result", test.result)
        .string("program", test.program)
        .int("defect_count", defects.length)
        .string("firmware_version", test.firmware?.version)
        .string("firmware_checksum", test.firmware?.checksum)
        .string("firmware_mac", test.firmware?.mac)
        .string("firmware_license", test.firmware?.license)
        .build(ts),
    ];

    const names = new Map<string, number>();
    for (let i = 0; i < measurements.length; i++) {
      const step = measurements[i] as (typeof measurements)[number];
      const first = names.get(step.name);
      if (first !== undefined) {
        return reject(
          "duplicate_key",
          `/measurements/${i}/name: ${quote(step.name)} already given at /measurements/${first}; one would overwrite the other`,
        );
      }
      names.set(step.name, i);
      if (step.low !== undefined && step.high !== undefined && step.low > step.high) {
        return reject(
          "invalid_field",
          `/measurements/${i}/high: ${step.high} is below low ${step.low}`,
        );
      }
      const limited = step.low !== undefined || step.high !== undefined;
      points.push(
        new PointBuilder("test_measurement", origin)
          .tag("serial", test.serial)
          .tag("kind", test.kind)
          .tag("name", step.name)
          .float("value", step.value)
          .float("low", step.low)
          .float("high", step.high)
          .string("unit", step.unit)
          .boolean(
            "pass",
            limited
              ? (step.low === undefined || step.value >= step.low) &&
                  (step.high === undefined || step.value <= step.high)
              : undefined,
          )
          .build(ts),
      );
    }

    // Same code at the same ref twice is one series and timestamp: count it instead of overwriting.
    const counts = new Map<string, { code: string; ref: string; count: number }>();
    for (const defect of defects) {
      const ref = defect.ref ?? NO_REF;
      const key = `${defect.code}\u0000${ref}`;
      const seen = counts.get(key);
      if (seen) seen.count++;
      else counts.set(key, { code: defect.code, ref, count: 1 });
    }
    for (const { code, ref, count } of counts.values()) {
      points.push(
        new PointBuilder("test_defect", origin)
          .tag("serial", test.serial)
          .tag("kind", test.kind)
          .tag("code", code)
          .tag("ref", ref)
          .int("count", count)
          .build(ts),
      );
    }
    return points;
  },
});
