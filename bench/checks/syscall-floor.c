/*
 * The floor under any HTTP or TCP probe on this machine: the system calls a probe cannot
 * avoid (socket, connect, write, read to the body's end, close), blocking, one connection at a time,
 * and nothing else. bench/checks builds it with cc and runs it against the same target in
 * the same run as our probes and kubelet's; its CPU per probe is what the kernel alone
 * charges, so ours / floor says how much of ours is still ours to cut.
 *
 *   syscall-floor -url http://127.0.0.1:PORT/PATH -n N
 *   syscall-floor -tcp 127.0.0.1:PORT -n N
 *   ... -batch B -every MS   paced: B probes back to back, then asleep until the next
 *                            MS-millisecond mark (the load scenario's batches of probes
 *                            started together; a probe after idling costs more than one
 *                            in a busy loop, so the busy-loop floor under-states them)
 *
 * Prints one JSON line, as shared/anchors/kubelet-prober does:
 *   {"probes":N,"failures":F,"cpu_ms_per_probe":X,"wall_ms_per_probe":Y}
 * after 200 warm-up probes that are not counted. Numeric IPv4 targets only.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#define WARM_UP 200

static struct sockaddr_in target;
static char request[1024];
static size_t request_len;

static int probe(int http) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  int ok = connect(fd, (struct sockaddr *)&target, sizeof target) == 0;
  if (ok && http) {
    char buf[16384];
    ok = write(fd, request, request_len) == (ssize_t)request_len;
    ssize_t n, total = 0, end = -1;
    int status = 0;
    // Reads until the body's end, as our probe does: head + Content-Length when the first
    // read holds the head (the benchmark's target answers in one segment), else to EOF.
    while (ok && (end < 0 || total < end) && (n = read(fd, buf, sizeof buf - 1)) > 0) {
      if (total == 0 && n >= 12) {
        buf[n] = 0;
        status = atoi(buf + 9);
        const char *head_end = strstr(buf, "\r\n\r\n");
        const char *length = strcasestr(buf, "\r\ncontent-length:");
        if (head_end && length && length < head_end) end = (head_end + 4 - buf) + atol(length + 17);
      }
      total += n;
    }
    ok = ok && status >= 200 && status < 400;
  }
  close(fd);
  return ok;
}

static double ms(struct timeval tv) { return tv.tv_sec * 1e3 + tv.tv_usec / 1e3; }

static int parse_host_port(const char *s, char *path, size_t path_size) {
  char host[64];
  const char *colon = strchr(s, ':');
  if (!colon || (size_t)(colon - s) >= sizeof host) return 0;
  memcpy(host, s, colon - s);
  host[colon - s] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (port <= 0 || port > 65535) return 0;
  if (path) snprintf(path, path_size, "%s", *end ? end : "/");
  target.sin_family = AF_INET;
  target.sin_port = htons((unsigned short)port);
  return inet_pton(AF_INET, host, &target.sin_addr) == 1;
}

int main(int argc, char **argv) {
  int http = -1;
  long n = 0, batch = 0, every_ms = 0;
  char path[512] = "/";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-n")) n = strtol(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "-batch")) batch = strtol(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "-every")) every_ms = strtol(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "-tcp")) http = parse_host_port(argv[i + 1], NULL, 0) ? 0 : -2;
    else if (!strcmp(argv[i], "-url") && !strncmp(argv[i + 1], "http://", 7)) http = parse_host_port(argv[i + 1] + 7, path, sizeof path) ? 1 : -2;
    else http = -2;
  }
  if (http < 0 || n <= 0 || batch < 0 || every_ms < 0 || (batch > 0) != (every_ms > 0)) {
    fprintf(stderr, "usage: %s (-url http://IPv4:PORT/PATH | -tcp IPv4:PORT) -n PROBES [-batch B -every MS]\n", argv[0]);
    return 2;
  }
  char host[80];
  inet_ntop(AF_INET, &target.sin_addr, host, sizeof host);
  request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path, host, ntohs(target.sin_port));
  for (int i = 0; i < WARM_UP; i++) probe(http);
  struct rusage r0, r1;
  struct timespec w0, w1;
  long failures = 0;
  getrusage(RUSAGE_SELF, &r0);
  clock_gettime(CLOCK_MONOTONIC, &w0);
  struct timespec mark = w0;
  for (long i = 0; i < n; i++) {
    failures += !probe(http);
    if (batch && (i + 1) % batch == 0) {
      mark.tv_nsec += every_ms * 1000000L;
      while (mark.tv_nsec >= 1000000000L) mark.tv_nsec -= 1000000000L, mark.tv_sec++;
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &mark, NULL) == EINTR) {}
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &w1);
  getrusage(RUSAGE_SELF, &r1);
  double cpu = ms(r1.ru_utime) - ms(r0.ru_utime) + ms(r1.ru_stime) - ms(r0.ru_stime);
  double wall = (w1.tv_sec - w0.tv_sec) * 1e3 + (w1.tv_nsec - w0.tv_nsec) / 1e6;
  printf("{\"probes\":%ld,\"failures\":%ld,\"cpu_ms_per_probe\":%.4f,\"wall_ms_per_probe\":%.4f}\n", n, failures, cpu / n, wall / n);
  return 0;
}
