// pipe2(2) for a session's stdout and stderr, which Node only offers as socketpairs
// (child_process' 'pipe'). A pipe moves the bytes with less work on both ends than a
// stream socket (no socket buffer per write), and its size can be set (F_SETPIPE_SZ).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <string.h>
#include <unistd.h>

// pipe(bytes) -> [readFd, writeFd], both close-on-exec (the child gets the write end by
// dup2, which clears the flag on its copy). The size is asked, not required: a system
// whose limit is lower (fs.pipe-max-size, a user's pipe-user-pages-soft) keeps its default.
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &bytes) != napi_ok) {
    napi_throw_type_error(env, NULL, "pipe(bytes): bytes must be a number");
    return NULL;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  if (bytes > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, (int)bytes);
  napi_value out, rfd, wfd;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, fds[0], &rfd);
  napi_create_int32(env, fds[1], &wfd);
  napi_set_element(env, out, 0, rfd);
  napi_set_element(env, out, 1, wfd);
  return out;
}

static napi_value init_module(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {{"pipe", NULL, js_pipe, NULL, NULL, NULL, napi_default, NULL}};
  napi_define_properties(env, exports, 1, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init_module)
