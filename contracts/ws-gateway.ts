// The switchboard's WebSocket gateway (switchboard/ws/) and its clients (the task page in
// ui/, the tests, the benchmark): one socket per exec session or attach. This file is the
// whole protocol: paths, the subprotocols that carry credentials, and the JSON control
// messages; terminal data travels in binary frames, raw bytes both ways. Imports nothing,
// so the page can load it as it is.

/** `GET /ws/exec/<task_id>` starts a session in the task; `GET /ws/attach/<task_id>` attaches to a TTY task. The id is URL-encoded. */
export const WS_EXEC_PREFIX = '/ws/exec/';
export const WS_ATTACH_PREFIX = '/ws/attach/';

/**
 * Sec-WebSocket-Protocol values. The client offers `mesos-sidecar.v1` and one credential,
 * `bearer.<base64url(token)>` or `basic.<base64url(principal:secret)>` (a browser cannot set
 * Authorization on a WebSocket, and a URL ends up in logs and history). The server answers
 * with `mesos-sidecar.v1` only: the credential is never echoed. Without a valid credential
 * the upgrade is answered 401, a principal the ACL refuses 403, a foreign Origin 403,
 * before any session starts.
 */
export const WS_SUBPROTOCOL = 'mesos-sidecar.v1';
export const WS_BEARER_PREFIX = 'bearer.';
export const WS_BASIC_PREFIX = 'basic.';

/**
 * Exec's query parameters, none of them a credential: `tty=1` for a terminal, `columns` and
 * `rows` its first window size, and the command either as `command=<shell command line>`
 * (run with `sh -c`) or as repeated `arg=<argv element>` (no shell). Without a command the
 * session runs the task's shell, `/bin/sh`. `user=<name>` runs it as another user (the
 * ACL's `users` grants apply as for the HTTP call).
 */
export const WS_QUERY = { tty: 'tty', columns: 'columns', rows: 'rows', command: 'command', arg: 'arg', user: 'user' } as const;

/** Client to server, in text frames. */
export type WsClientMessage =
  /** The terminal's window size changed (TTY sessions and attach). */
  | { type: 'resize'; columns: number; rows: number }
  /** No more input (pipes: stdin is closed; a TTY gets nothing, as with the HTTP calls). */
  | { type: 'stdin-end' };

/** Server to client, in text frames. */
export type WsServerMessage =
  /** The session runs (exec) or the attach is live: the container it is in. */
  | { type: 'started'; container_id: string; tty: boolean }
  /**
   * The session's command ended (exec) or the attached task did (attach): the raw wait(2)
   * status, and its parts, null when not applicable or unknown. The server closes the
   * socket with 1000 right after.
   */
  | { type: 'exit'; exit_status: number | null; exit_code: number | null; signal: number | null; message?: string }
  /** The session could not start or broke; the socket is closed with 1011 (ours) or 1008 (the request's fault) after it. */
  | { type: 'error'; message: string };

/** Close codes the gateway uses besides 1000: a bad control message or query (1008), the server's failure (1011), a frame past the size bound (1009). */
export const WS_CLOSE = { normal: 1000, policy: 1008, tooBig: 1009, internal: 1011 } as const;
