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
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  return {
    stop() {
      histogram.disable();
      return {
        // The sampler's own resolution is counted in every sample: take it out.
        eventLoopDelayP50Ms: Math.max(0, ms(histogram.percentile(50)) - RESOLUTION_MS),
        eventLoopDelayP99Ms: Math.max(0, ms(histogram.percentile(99)) - RESOLUTION_MS),
        eventLoopDelayMaxMs: Math.max(0, ms(histogram.max) - RESOLUTION_MS),
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
      };
    },
  };
}
