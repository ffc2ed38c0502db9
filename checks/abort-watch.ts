// The scheduler hands a check the same AbortSignal probe after probe until it aborts. One
// 'abort' listener per signal, kept for the signal's lifetime, aborts whichever probes run
// on it: an EventTarget listener added and removed per probe (with its options object and
// validation) was a few percent of a probe's CPU in bench/checks' profile.

/** A running probe that can be torn down at once. */
export interface Abortable {
  abort(): void;
}

const watched = new WeakMap<AbortSignal, Set<Abortable>>();

/** Aborts `probe` when `signal` aborts; the caller has checked that it has not yet. */
export function watchAbort(signal: AbortSignal, probe: Abortable): void {
  let probes = watched.get(signal);
  if (!probes) {
    const running = (probes = new Set());
    watched.set(signal, running);
    signal.addEventListener(
      'abort',
      () => {
        for (const p of running) p.abort();
        running.clear();
      },
      { once: true },
    );
  }
  probes.add(probe);
}

/** The probe is over: a later abort of the signal is not its concern. */
export function unwatchAbort(signal: AbortSignal, probe: Abortable): void {
  watched.get(signal)?.delete(probe);
}
