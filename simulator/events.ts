/** A scheduled happening of the discrete-event simulation. */
export interface ScheduledEvent {
  /** When it fires, epoch ms. */
  readonly at: number;
  /** Ties at the same millisecond fire in scheduling order, which keeps runs reproducible. */
  readonly order: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/** Pending events in time order: a binary min-heap on (at, order). */
export class EventQueue {
  private readonly heap: ScheduledEvent[] = [];
  private scheduled = 0;
  private clock: number;

  constructor(start: number) {
    this.clock = start;
  }

  /** The time of the event being fired, epoch ms. */
  get now(): number {
    return this.clock;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `fire` at `at` (never earlier than now); the handle can be cancelled. */
  at(at: number, fire: () => void): ScheduledEvent {
    const event: ScheduledEvent = {
      at: Math.max(Math.round(at), this.clock),
      order: this.scheduled++,
      fire,
      cancelled: false,
    };
    this.push(event);
    return event;
  }

  /** Schedules `fire` `delay` ms from now. */
  after(delay: number, fire: () => void): ScheduledEvent {
    return this.at(this.clock + delay, fire);
  }

  /** Time of the next live event, or undefined when none is left. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Fires the next live event; false when none is left. */
  step(): boolean {
    this.dropCancelled();
    const next = this.pop();
    if (next === undefined) return false;
    this.clock = next.at;
    next.fire();
    return true;
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent] as ScheduledEvent;
      if (!before(event, above)) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = event;
  }

  private pop(): ScheduledEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let index = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent)) {
        child = right;
      }
      const smaller = heap[child] as ScheduledEvent;
      if (!before(smaller, last)) break;
      heap[index] = smaller;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
