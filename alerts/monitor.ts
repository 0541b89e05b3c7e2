import type { Counter } from "prom-client";
import type { AlertsConfig, SpecRule } from "./rules.ts";
import type { Alert, AlertSink } from "./types.ts";
import { VisitTracker } from "./visits.ts";

/** A point as the monitor needs it (the ingest codec's StoredPoint satisfies this). */
export interface ObservedPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  ts: number;
}

/** An alert that is raised now, as restored from the retained state after a restart. */
export interface ActiveAlert {
  id: string;
  rule: string;
  site: string;
  line: string;
  station: string;
  limit: number;
  ts: number;
}

type Phase = "normal" | "going-out" | "raised" | "coming-back";

interface Subject {
  phase: Phase;
  /** When the current going-out / coming-back stretch began (reading time). */
  since: number;
  lastTs: number;
  id?: string;
  limit?: number;
}

/**
 * Spec limits evaluated on the stream. Per rule and station, a reading must stay out of spec for
 * `debounceMs` to raise, and back inside the limits by `hysteresis` for `debounceMs` to clear, so a
 * noisy signal near a limit raises once and clears once. Time is the readings' own time, so the
 * outcome does not depend on how fast messages arrive.
 */
export class SpecMonitor {
  readonly visits = new VisitTracker();
  private readonly byMeasurement = new Map<string, SpecRule[]>();
  private readonly subjects = new Map<string, Subject>();

  constructor(
    private readonly config: AlertsConfig,
    private readonly sinks: AlertSink[],
    private readonly counter?: Counter<"rule" | "state">,
    restored: ActiveAlert[] = [],
  ) {
    for (const rule of config.rules) {
      const list = this.byMeasurement.get(rule.measurement) ?? [];
      list.push(rule);
      this.byMeasurement.set(rule.measurement, list);
    }
    for (const a of restored) {
      this.subjects.set(this.key(a.rule, a.site, a.line, a.station), {
        phase: "raised",
        since: a.ts,
        lastTs: a.ts,
        id: a.id,
        limit: a.limit,
      });
    }
  }

  private key(rule: string, site: string, line: string, station: string): string {
    return `${rule}\u0000${site}\u0000${line}\u0000${station}`;
  }

  /** Called for every accepted point, in arrival order; cheap and synchronous. */
  observe(point: ObservedPoint): void {
    const { site, line, station } = point.tags as { site: string; line: string; station: string };
    if (point.measurement === "unit") {
      const serial = point.tags.serial;
      const event = point.tags.event;
      if (serial && (event === "start" || event === "complete"))
        this.visits.apply(site, line, station, serial, event, point.ts);
      return;
    }
    const rules = this.byMeasurement.get(point.measurement);
    if (!rules) return;
    for (const rule of rules) {
      const value = point.fields[rule.field];
      if (typeof value !== "number") continue;
      if (
        (rule.where.site && rule.where.site !== site) ||
        (rule.where.line && rule.where.line !== line) ||
        (rule.where.station && rule.where.station !== station)
      )
        continue;
      this.step(rule, site, line, station, value, point.ts);
    }
  }

  private step(
    rule: SpecRule,
    site: string,
    line: string,
    station: string,
    value: number,
    ts: number,
  ): void {
    const key = this.key(rule.name, site, line, station);
    let s = this.subjects.get(key);
    if (!s) {
      s = { phase: "normal", since: ts, lastTs: ts };
      this.subjects.set(key, s);
    } else if (ts < s.lastTs) {
      return; // late reading: the state already reflects newer ones
    }
    s.lastTs = ts;
    const out = value < rule.low || value > rule.high;
    const clearable = value >= rule.low + rule.hysteresis && value <= rule.high - rule.hysteresis;
    switch (s.phase) {
      case "normal":
        if (!out) return;
        s.phase = "going-out";
        s.since = ts;
        break;
      case "going-out":
        if (!out) {
          s.phase = "normal";
          return;
        }
        break;
      case "raised":
        if (!clearable) return;
        s.phase = "coming-back";
        s.since = ts;
        break;
      case "coming-back":
        if (!clearable) {
          s.phase = "raised";
          return;
        }
        break;
    }
    if (ts - s.since < rule.debounceMs) return;
    if (s.phase === "going-out") {
      s.phase = "raised";
      s.limit = value < rule.low ? rule.low : rule.high;
      s.id = `${rule.name}/${site}/${line}/${station}/${ts}`;
      this.emit(rule, site, line, station, "raised", value, s.limit, ts, s.id);
    } else if (s.phase === "coming-back") {
      s.phase = "normal";
      this.emit(
        rule,
        site,
        line,
        station,
        "cleared",
        value,
        s.limit ?? (value < rule.low ? rule.low : rule.high),
        ts,
        s.id ?? `${rule.name}/${site}/${line}/${station}/${ts}`,
      );
      s.id = undefined;
    }
  }

  /** The boards exposed: environmental readings reach every station of the line (or the site). */
  private exposed(measurement: string, site: string, line: string, station: string): string[] {
    if (!this.config.environmental.has(measurement))
      return this.visits.serials(site, line, station);
    if (this.config.siteLines.has(line)) return this.visits.serials(site);
    return this.visits.serials(site, line);
  }

  private emit(
    rule: SpecRule,
    site: string,
    line: string,
    station: string,
    state: Alert["state"],
    value: number,
    limit: number,
    ts: number,
    id: string,
  ): void {
    const alert: Alert = {
      id,
      rule: rule.name,
      characteristic: rule.characteristic,
      state,
      value,
      limit,
      ts,
      site,
      line,
      station,
      serials: this.exposed(rule.measurement, site, line, station),
      source: "spec",
    };
    this.counter?.inc({ rule: rule.name, state });
    for (const sink of this.sinks) sink.send(alert);
  }
}
