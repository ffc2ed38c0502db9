/*
 * The floor under exec's output path on this machine: what moving a command's output
 * from a pipe into loopback TCP costs with nothing else in the way. bench/switchboard
 * builds it with cc and runs it in every throughput round beside the direct pipe and the
 * session, read by a plain Node reader as the direct pipe is; ours / floor says how much
 * of the gap to the direct pipe is the switchboard's and how much the transport's.
 *
 *   relay-floor BYTES     listens on 127.0.0.1 (any free port), prints the port on one
 *                         line, serves one connection: `head -c BYTES /dev/zero` into a
 *                         pipe(2) of 256 KiB (as a session's), relayed with read + writev
 *                         in HTTP/1.1 chunks (size line, data, CRLF; 0-chunk at the end),
 *                         then prints {"cpu_seconds":X} (its own CPU) and exits.
 *
 * splice(2) from the pipe into the socket measured no faster here (the receiver's copy
 * out of page-referenced segments costs more), so the floor copies, as the switchboard does.
 */
#define _GNU_SOURCE /* pipe2, F_SETPIPE_SZ */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_BYTES (256 * 1024)

static int write_all(int fd, struct iovec *v, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, v, n);
    if (w < 0) return -1;
    while (n > 0 && (size_t)w >= v->iov_len) {
      w -= v->iov_len;
      v++;
      n--;
    }
    if (n > 0) {
      v->iov_base = (char *)v->iov_base + w;
      v->iov_len -= w;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: relay-floor BYTES\n");
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 1) ||
      getsockname(listener, (struct sockaddr *)&addr, &len)) {
    perror("relay-floor: listen");
    return 1;
  }
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  int p[2];
  if (conn < 0 || pipe2(p, O_CLOEXEC)) {
    perror("relay-floor: accept/pipe");
    return 1;
  }
  fcntl(p[1], F_SETPIPE_SZ, PIPE_BYTES);
  pid_t child = fork();
  if (child == 0) {
    dup2(p[1], 1);
    execlp("head", "head", "-c", argv[1], "/dev/zero", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  static char buf[PIPE_BYTES];
  char size_line[24];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) {
    struct iovec v[3] = {{size_line, (size_t)snprintf(size_line, sizeof size_line, "%zx\r\n", n)}, {buf, (size_t)n}, {"\r\n", 2}};
    if (write_all(conn, v, 3)) {
      perror("relay-floor: writev");
      return 1;
    }
  }
  struct iovec end = {"0\r\n\r\n", 5};
  write_all(conn, &end, 1);
  close(conn);
  int status;
  waitpid(child, &status, 0);
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  printf("{\"cpu_seconds\":%.3f}\n", r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
