/*
 * The target that bench/checks probes: a canned HTTP answer on the first bytes of each
 * connection, then close. Its CPU is not what is measured, but at 10,000 connections a
 * second a node:net server took 0.89 of one of the machine's two cores, and what it took
 * from our executor showed up as our lateness. One thread, one epoll set, level-triggered.
 *
 *   target-server PORT     (0: any free port)
 *
 * Listens on 127.0.0.1, prints the port on one line, serves until killed. A connection
 * that closes without sending (a TCP check) is closed; one that sends gets the answer and
 * a FIN, without reading further (the benchmark's requests come in one segment).
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char answer[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: target-server PORT\n");
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 4096) ||
      getsockname(listener, (struct sockaddr *)&addr, &len)) {
    perror("target-server: listen");
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);

  struct epoll_event events[256];
  char buf[4096];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno != EINTR) {
      perror("target-server: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev)) close(c);
        }
        continue;
      }
      ssize_t got = read(fd, buf, sizeof buf);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      // The answer fits any loopback send buffer: one write, then close (the FIN).
      if (got > 0 && write(fd, answer, sizeof answer - 1) < 0) { /* the peer left: close */ }
      close(fd); /* also leaves the epoll set: this process holds no other copy of fd */
    }
  }
}
