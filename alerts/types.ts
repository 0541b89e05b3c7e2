/** An alert as every sink receives it: raised once, cleared once. */
export interface Alert {
  /** Stable for one episode: the same id on its `raised` and its `cleared` message. */
  id: string;
  /** The rule's name from the configuration. */
  rule: string;
  /** `<measurement>.<field>` for a spec rule; the SPC characteristic's name for an SPC rule. */
  characteristic: string;
  state: "raised" | "cleared";
  /** The reading that raised or cleared it. */
  value: number;
  /** The limit it crossed (raised) or came back within (cleared). */
  limit: number;
  /** Time of that reading, epoch milliseconds. */
  ts: number;
  site: string;
  line: string;
  station: string;
  /** Units at the affected stations at that moment: the boards a line controller should hold. */
  serials: string[];
  /** Where it came from: a spec-limit rule on the stream, an SPC rule violation, or a unit's predicted risk. */
  source: "spec" | "spc" | "predict";
}

/** Where alerts go; `send` must not block the caller (sinks queue internally). */
export interface AlertSink {
  readonly name: string;
  send(alert: Alert): void;
  /** Delivers what is queued, within `timeoutMs`; for shutdown. */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
