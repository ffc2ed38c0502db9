// The probes' connections on an epoll set of their own, served from one libuv poll handle
// on the main thread (no threads, no locks). A probe costs a handful of system calls and no
// JavaScript object or callback per step: each turn of the poll handle reads whatever is
// ready into one shared buffer and hands JavaScript one array of records (slot, kind, two
// values), once. HTTP framing stays in JavaScript (checks/http-probe.ts); this
// side only connects, writes the request, reads and closes.
//
// On loopback a non-blocking connect has usually finished by the time it returns (the
// peer's SYN-ACK is processed when the socket lock is released), so the request is written
// at once and a TCP check asks TCP_INFO whether it is established; both fall back to
// waiting for EPOLLOUT when it is not.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

// Record kinds (checks/native-prober.ts has the same table).
enum { REC_DATA = 1, REC_EOF = 2, REC_ERROR = 3, REC_CONNECTED = 4 };
// The system call an error came from.
enum { SYS_CONNECT = 0, SYS_WRITE = 1, SYS_READ = 2 };
enum { RECORD_INTS = 4, CONNECTED_NOW = 1 << 24, NO_SLOT = -1 };

typedef enum { FREE = 0, CONNECTING, READING, CLOSED } state_t;

typedef struct {
  int fd;
  state_t state;
  int tcp_only;
  // Request bytes not yet written (only when the connect had not finished).
  uint8_t *pending;
  size_t pending_len;
  uint32_t next_free;
} probe_t;

typedef struct {
  napi_env env;
  napi_ref callback;
  napi_ref records_ref;
  napi_ref buffer_ref;
  napi_async_context async;
  int32_t *records;
  size_t max_records;
  uint8_t *buf;
  size_t buf_len;
  int epfd;
  uv_poll_t poll;
  int poll_started;
  int referenced;
  probe_t *probes;
  uint32_t capacity;
  uint32_t free_head;  // capacity = none
  // Slots released while JavaScript reads a turn's records: reused only after it returns,
  // so a later record of that turn cannot reach a probe started meanwhile.
  uint32_t released_head;
  uint32_t active;
  int in_callback;
} prober_t;

static prober_t *prober;

#define CHECK(call)                                  \
  do {                                               \
    if ((call) != napi_ok) {                         \
      napi_throw_error(env, NULL, #call " failed");  \
      return NULL;                                   \
    }                                                \
  } while (0)

static napi_value make_int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// A failure encoded for JavaScript: -(errno + 4096 * syscall) - 1, always negative.
static int32_t failure(int err, int syscall) { return -(err + 4096 * syscall) - 1; }

static void keep_loop_alive(prober_t *p, int yes) {
  if (yes == p->referenced) return;
  p->referenced = yes;
  if (yes) uv_ref((uv_handle_t *)&p->poll);
  else uv_unref((uv_handle_t *)&p->poll);
}

static int32_t take_slot(prober_t *p) {
  if (p->free_head == p->capacity) return -1;
  uint32_t slot = p->free_head;
  p->free_head = p->probes[slot].next_free;
  probe_t *pr = &p->probes[slot];
  pr->state = CONNECTING;
  pr->fd = -1;
  pr->pending = NULL;
  pr->pending_len = 0;
  pr->tcp_only = 0;
  p->active++;
  keep_loop_alive(p, 1);
  return (int32_t)slot;
}

static void close_fd(probe_t *pr) {
  if (pr->fd >= 0) close(pr->fd);  // also leaves the epoll set
  pr->fd = -1;
  free(pr->pending);
  pr->pending = NULL;
  pr->state = CLOSED;
}

static void release_slot(prober_t *p, uint32_t slot) {
  probe_t *pr = &p->probes[slot];
  if (pr->state == FREE) return;
  close_fd(pr);
  pr->state = FREE;
  if (p->in_callback) {
    pr->next_free = p->released_head;
    p->released_head = slot;
  } else {
    pr->next_free = p->free_head;
    p->free_head = slot;
  }
  p->active--;
  if (p->active == 0) keep_loop_alive(p, 0);
}

static int watch(prober_t *p, uint32_t slot, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data = {.u32 = slot}};
  return epoll_ctl(p->epfd, op, p->probes[slot].fd, &ev);
}

static int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// Writes what is left of the request; 0 when all is written, EAGAIN, or an errno.
static int write_pending(probe_t *pr, const uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(pr->fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return errno;
      uint8_t *copy = malloc(len);
      if (!copy) return ENOMEM;
      memcpy(copy, data, len);
      free(pr->pending);
      pr->pending = copy;
      pr->pending_len = len;
      return EAGAIN;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

static int parse_address(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len) {
  memset(addr, 0, sizeof *addr);
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    return 0;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof *v6;
    return 0;
  }
  return EINVAL;
}

// Connects slot's socket; 0 (connected or in progress) or an errno.
static int start_connect(probe_t *pr, const struct sockaddr_storage *addr, socklen_t len) {
  pr->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (pr->fd < 0) return errno;
  if (connect(pr->fd, (const struct sockaddr *)addr, len) != 0 && errno != EINPROGRESS) return errno;
  return 0;
}

static int tcp_state(int fd) {
  struct tcp_info info;
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
  return info.tcpi_state;
}

// start(kind, host, port, request?) -> a slot, CONNECTED_NOW, a failure, or NO_SLOT.
// kind 0: a TCP check (its result comes as a CONNECTED or ERROR record, or at once as
// CONNECTED_NOW when the connect finished already); kind 1: an HTTP exchange.
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  prober_t *p = prober;
  if (!p) {
    napi_throw_error(env, NULL, "prober not initialised");
    return NULL;
  }
  int32_t kind, port;
  char host[64];
  size_t host_len;
  CHECK(napi_get_value_int32(env, argv[0], &kind));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (parse_address(host, port, &addr, &addr_len) != 0) return make_int(env, failure(EINVAL, SYS_CONNECT));
  int32_t slot = take_slot(p);
  if (slot < 0) return make_int(env, NO_SLOT);
  probe_t *pr = &p->probes[slot];
  int err = start_connect(pr, &addr, addr_len);
  if (err) {
    release_slot(p, (uint32_t)slot);
    return make_int(env, failure(err, SYS_CONNECT));
  }
  if (kind == 0) {
    pr->tcp_only = 1;
    int state = tcp_state(pr->fd);
    if (state == TCP_ESTABLISHED) {
      release_slot(p, (uint32_t)slot);
      return make_int(env, CONNECTED_NOW);
    }
    if (state != TCP_SYN_SENT) {
      int e = socket_error(pr->fd);
      if (e != 0) {
        release_slot(p, (uint32_t)slot);
        return make_int(env, failure(e, SYS_CONNECT));
      }
    }
    pr->state = CONNECTING;
    if (watch(p, (uint32_t)slot, EPOLLOUT, EPOLL_CTL_ADD) != 0) {
      err = errno;
      release_slot(p, (uint32_t)slot);
      return make_int(env, failure(err, SYS_CONNECT));
    }
    return make_int(env, slot);
  }
  void *data;
  size_t len;
  CHECK(napi_get_buffer_info(env, argv[3], &data, &len));
  err = write_pending(pr, data, len);
  if (err == 0) {
    pr->state = READING;
    err = watch(p, (uint32_t)slot, EPOLLIN, EPOLL_CTL_ADD) == 0 ? 0 : errno;
  } else if (err == EAGAIN) {
    pr->state = CONNECTING;
    err = watch(p, (uint32_t)slot, EPOLLOUT, EPOLL_CTL_ADD) == 0 ? 0 : errno;
  } else {
    // A refused connect shows on the first write: report the connect's own error.
    int e = socket_error(pr->fd);
    release_slot(p, (uint32_t)slot);
    return make_int(env, e != 0 ? failure(e, SYS_CONNECT) : failure(err, SYS_WRITE));
  }
  if (err) {
    release_slot(p, (uint32_t)slot);
    return make_int(env, failure(err, SYS_CONNECT));
  }
  return make_int(env, slot);
}

// close(slot): the probe is over, whatever state its connection is in.
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t slot;
  CHECK(napi_get_value_uint32(env, argv[0], &slot));
  prober_t *p = prober;
  if (p && slot < p->capacity) release_slot(p, slot);
  return NULL;
}

static napi_value js_active(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, prober ? (int32_t)prober->active : 0);
}

static void emit(prober_t *p, size_t *nrec, uint32_t slot, int kind, int32_t a, int32_t b) {
  int32_t *r = p->records + *nrec * RECORD_INTS;
  r[0] = (int32_t)slot;
  r[1] = kind;
  r[2] = a;
  r[3] = b;
  (*nrec)++;
}

static void deliver(prober_t *p, size_t nrec) {
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, arg, result;
  if (napi_get_reference_value(env, p->callback, &cb) == napi_ok && napi_get_global(env, &global) == napi_ok) {
    napi_create_uint32(env, (uint32_t)nrec, &arg);
    p->in_callback = 1;
    // make_callback, not call_function: the promises the records settle run their
    // continuations before this turn ends, as after any libuv callback.
    napi_status s = napi_make_callback(env, p->async, global, cb, 1, &arg, &result);
    p->in_callback = 0;
    while (p->released_head != p->capacity) {
      uint32_t slot = p->released_head;
      p->released_head = p->probes[slot].next_free;
      p->probes[slot].next_free = p->free_head;
      p->free_head = slot;
    }
    if (s == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
  }
  napi_close_handle_scope(env, scope);
}

// One turn: every ready connection, as far as records and buffer space go; the rest stay
// ready (level-triggered) for the next turn.
static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)handle;
  (void)status;
  (void)events;
  prober_t *p = prober;
  if (!p) return;
  struct epoll_event evs[256];
  size_t max_events = p->max_records < 256 ? p->max_records : 256;
  int n = epoll_wait(p->epfd, evs, (int)max_events, 0);
  if (n <= 0) return;
  size_t nrec = 0, used = 0;
  for (int i = 0; i < n; i++) {
    uint32_t slot = evs[i].data.u32;
    if (slot >= p->capacity) continue;
    probe_t *pr = &p->probes[slot];
    if (pr->fd < 0) continue;
    if (pr->state == CONNECTING) {
      int err = socket_error(pr->fd);
      if (err == 0 && !(evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) continue;
      if (err != 0 || (evs[i].events & EPOLLERR)) {
        emit(p, &nrec, slot, REC_ERROR, err != 0 ? err : ECONNREFUSED, SYS_CONNECT);
        close_fd(pr);
        continue;
      }
      if (pr->tcp_only) {
        emit(p, &nrec, slot, REC_CONNECTED, 0, 0);
        close_fd(pr);
        continue;
      }
      uint8_t *pending = pr->pending;
      size_t pending_len = pr->pending_len;
      pr->pending = NULL;
      err = write_pending(pr, pending, pending_len);
      free(pending);
      if (err == EAGAIN) continue;
      if (err != 0 || watch(p, slot, EPOLLIN, EPOLL_CTL_MOD) != 0) {
        emit(p, &nrec, slot, REC_ERROR, err != 0 ? err : errno, SYS_WRITE);
        close_fd(pr);
        continue;
      }
      pr->state = READING;
      continue;
    }
    if (pr->state != READING) continue;
    size_t space = p->buf_len - used;
    // A few large bodies must not starve the others of the shared buffer.
    if (space < 4096) break;
    size_t want = (i + 1 < n && space > 16384) ? 16384 : space;
    ssize_t got = read(pr->fd, p->buf + used, want);
    if (got > 0) {
      emit(p, &nrec, slot, REC_DATA, (int32_t)used, (int32_t)got);
      used += (size_t)got;
    } else if (got == 0) {
      emit(p, &nrec, slot, REC_EOF, 0, 0);
      close_fd(pr);
    } else if (errno != EAGAIN && errno != EINTR) {
      emit(p, &nrec, slot, REC_ERROR, errno, SYS_READ);
      close_fd(pr);
    }
  }
  if (nrec > 0) deliver(p, nrec);
}

// init(records: Int32Array, buffer: Buffer, onRecords: (n) => void, capacity)
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (prober) {
    napi_throw_error(env, NULL, "prober already initialised");
    return NULL;
  }
  prober_t *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->env = env;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value arraybuffer;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &length, &data, &arraybuffer, &offset));
  if (type != napi_int32_array || length < RECORD_INTS) {
    napi_throw_type_error(env, NULL, "records must be an Int32Array");
    return NULL;
  }
  p->records = data;
  p->max_records = length / RECORD_INTS;
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  p->buf = data;
  p->buf_len = length;
  uint32_t capacity;
  CHECK(napi_get_value_uint32(env, argv[3], &capacity));
  if (capacity == 0 || capacity >= (1u << 24)) {
    napi_throw_range_error(env, NULL, "capacity must be within 1..2^24-1");
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[0], 1, &p->records_ref));
  CHECK(napi_create_reference(env, argv[1], 1, &p->buffer_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &p->callback));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "mesos-sidecar:prober", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &p->async));
  p->probes = calloc(capacity, sizeof *p->probes);
  if (!p->probes) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->capacity = capacity;
  for (uint32_t i = 0; i < capacity; i++) {
    p->probes[i].fd = -1;
    p->probes[i].next_free = i + 1;
  }
  p->free_head = 0;
  p->released_head = capacity;
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (p->epfd < 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &p->poll, p->epfd) != 0 || uv_poll_start(&p->poll, UV_READABLE, on_poll) != 0) {
    napi_throw_error(env, NULL, "uv_poll on the probes' epoll set failed");
    return NULL;
  }
  p->referenced = 1;
  keep_loop_alive(p, 0);
  prober = p;
  return NULL;
}

static napi_value init_module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"init", NULL, js_init, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"active", NULL, js_active, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init_module)
