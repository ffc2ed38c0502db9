// What a run cost the executor process, logged once at its end: event-loop delay (how
// long a ready callback such as an ACKNOWLEDGED or a switchboard request could wait) and
// peak memory. Cheap enough to be always on: one sampling timer every RESOLUTION_MS.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 5;

export interface RunStats {
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  maxRssBytes: number;
}

export function startRunStats(): { stop(): RunStats } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // The sampler's own resolution is counted in every sample: take it out.
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
  return {
    stop() {
      histogram.disable();
      return {
        eventLoopDelayP50Ms: ms(histogram.percentile(50)),
        eventLoopDelayP99Ms: ms(histogram.percentile(99)),
        eventLoopDelayMaxMs: ms(histogram.max),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
    },
  };
}
