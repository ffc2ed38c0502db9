// Ages and byte counts as people read them, shared by `ps` and the task page (ui/), which
// loads this file as it is: it imports nothing.

/** `12s`, `5m`, `3h`, `2d`: the largest whole unit, as `docker ps` and `kubectl` print ages. */
export function formatAge(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** `512B`, `1.5K`, `41M`, `2.0G`: binary units, one decimal below 10, as `free -h` prints them. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) [v, u] = [v / 1024, u + 1];
  if (u === 0) return `${bytes}B`;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}
