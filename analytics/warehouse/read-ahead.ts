/**
 * Pulls `source` ahead of its consumer into a queue of at most `capacity` weight, so that the
 * producer (InfluxDB streaming a query, parsed on this thread) keeps going while the consumer
 * awaits something else (DuckDB inserting and committing on its own threads). Errors of the source
 * reach the consumer in order, after the items before them. Leaving early stops the source.
 */
export async function* readAhead<T>(
  source: AsyncIterator<T>,
  capacity: number,
  weight: (item: T) => number,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let buffered = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const signalConsumer = () => {
    const wake = wakeConsumer;
    wakeConsumer = undefined;
    wake?.();
  };
  const signalProducer = () => {
    const wake = wakeProducer;
    wakeProducer = undefined;
    wake?.();
  };

  const pump = (async () => {
    try {
      while (!stopped) {
        while (buffered >= capacity && !stopped) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve;
          });
        }
        if (stopped) break;
        const next = await source.next();
        if (next.done) break;
        queue.push(next.value);
        buffered += weight(next.value);
        signalConsumer();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      signalConsumer();
    }
  })();

  try {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        buffered -= weight(item);
        signalProducer();
        yield item;
        continue;
      }
      if (finished) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
    }
  } finally {
    stopped = true;
    signalProducer();
    await pump;
    if (!failure) await source.return?.();
  }
}
