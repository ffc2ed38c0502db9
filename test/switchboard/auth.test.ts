// Empty credentials are configuration errors at start-up, never credentials that an
// `Authorization` header with nothing after the scheme could match.
import t from 'tap';
import path from 'node:path';
import { authenticate } from '../../switchboard/auth.js';
import { switchboardOptionsFromEnv } from '../../switchboard/config.js';
import { startSwitchboard } from '../../switchboard/index.js';
import { createLogger } from '../../common/logger.js';

t.test('an empty token or secret in a credentials file stops the start, naming the file and line', async (t) => {
  const dir = t.testdir({
    'empty-token': '# ops\nops:good-token\ndev:\n',
    'empty-principal': ':token\n',
    'blank-token': 'ops:   \n',
    'creds-empty.json': JSON.stringify({ credentials: [{ principal: 'p', secret: 's' }, { principal: 'q', secret: '' }] }),
    'creds-no-principal.json': JSON.stringify({ credentials: [{ principal: '', secret: 's' }] }),
    'creds.txt': '# comment\n\np s\nq\n',
  });
  const file = (name: string) => path.join(dir, name);
  const cases: [what: string, env: NodeJS.ProcessEnv, setting: string, message: string][] = [
    ['token file line `dev:`', { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: file('empty-token') }, 'MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE', `${file('empty-token')} line 3: empty token for principal 'dev'`],
    ['token file line `:token`', { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: file('empty-principal') }, 'MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE', `${file('empty-principal')} line 1: empty principal before ':'`],
    ['token file line `ops:   `', { MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE: file('blank-token') }, 'MESOS_SIDECAR_SWITCHBOARD_TOKEN_FILE', `${file('blank-token')} line 1: empty token for principal 'ops'`],
    ['JSON credential with secret ""', { MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS: `file://${file('creds-empty.json')}` }, 'MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS', `${file('creds-empty.json')}: credentials[1] has an empty "secret" for principal 'q'`],
    ['JSON credential with principal ""', { MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS: file('creds-no-principal.json') }, 'MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS', `${file('creds-no-principal.json')}: credentials[0] has an empty "principal"`],
    ['credentials line without a secret', { MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS: file('creds.txt') }, 'MESOS_SIDECAR_SWITCHBOARD_CREDENTIALS', `${file('creds.txt')} line 4: expected 'principal secret'`],
  ];
  for (const [what, env, setting, message] of cases) {
    t.throws(() => switchboardOptionsFromEnv(env), { code: 'E_SWITCHBOARD_CONFIG', setting, message: `${setting}: ${message}` }, what);
  }
});

t.test('startSwitchboard refuses empty tokens and secrets given directly', async (t) => {
  const logger = createLogger({ name: 't', level: 'silent' });
  const registry = { executorContainerId: () => undefined, taskByContainerId: () => undefined, tasks: () => [], killTask: () => false };
  await t.rejects(startSwitchboard({ registry, logger, auth: { tokens: [{ principal: 'ops', token: 'x' }, { principal: 'dev', token: '' }] } }), { code: 'E_SWITCHBOARD_CONFIG', message: "auth: tokens[1] (principal 'dev') has an empty token" });
  await t.rejects(startSwitchboard({ registry, logger, auth: { credentials: [{ principal: 'ops', secret: '' }] } }), { code: 'E_SWITCHBOARD_CONFIG', message: "auth: credentials[0] (principal 'ops') has an empty secret" });
});

t.test('an Authorization header with nothing after the scheme never authenticates', async (t) => {
  // As if an empty entry had slipped past the checks above.
  const auth = { tokens: [{ principal: 'ops', token: '' }], credentials: [{ principal: '', secret: '' }] };
  for (const header of ['Bearer', 'Bearer ', 'Bearer    ', 'Basic', 'Basic ']) {
    t.throws(() => authenticate({ authorization: header }, auth), { code: 'E_UNAUTHORIZED', status: 401 }, `'${header}' -> 401`);
  }
  t.throws(() => authenticate({ authorization: `Basic ${Buffer.from(':').toString('base64')}` }, auth), { code: 'E_UNAUTHORIZED' }, "Basic ':' (empty principal and secret) -> 401");
});
