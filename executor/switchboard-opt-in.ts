// Whether this executor serves exec/attach: a remote shell is opt-in, enabled only when the
// operator configured credentials. Its own module so that main.ts can ask before the
// executor (or the switchboard) loads, and so that clients can import the label key.

// Kept in sync with switchboard/config.ts ENV (that module loads only when configured).
export const SWITCHBOARD_ENV_TOKEN_FILE = 'MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE';
export const SWITCHBOARD_ENV_CREDENTIALS = 'MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS';

export function switchboardConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[SWITCHBOARD_ENV_TOKEN_FILE] || env[SWITCHBOARD_ENV_CREDENTIALS]);
}

/** Status label carrying the switchboard URL; `mesos-sidecar run` and clients read it. */
export const SWITCHBOARD_URL_LABEL = 'mesos-sidecar.switchboard.url';
