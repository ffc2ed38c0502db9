// Resources that make no sense are refused with a ResourceInvalidError naming the field.
import t from 'tap';
import { parseResources } from '../../containerizer/resources.js';

const cpus = (value: number) => ({ name: 'cpus', type: 'SCALAR', scalar: { value } });
const mem = (value: number) => ({ name: 'mem', type: 'SCALAR', scalar: { value } });

t.test('scalars of one name add up (one entry per role); other resources are ignored', async (t) => {
  t.same(parseResources([cpus(0.5), cpus(0.25), mem(64), { name: 'ports', type: 'RANGES' }], { mem: { value: 128 } }), { cpus: 0.75, mem: 64, limits: { mem: 128 } });
  t.same(parseResources(undefined), { limits: {} });
  t.same(parseResources([{ ...cpus(1), revocable: {} }]), { cpus: 1, limits: {}, revocableCpus: true });
  t.same(parseResources([mem(8)]), { mem: 8, limits: {} }, 'below 32 MB is accepted; the cgroup value is raised (cgroup-values)');
  t.same(parseResources([cpus(1)], { cpus: { value: Infinity } }), { cpus: 1, limits: { cpus: Infinity } }, 'an infinite limit means unlimited');
});

const bad: Array<[string, Parameters<typeof parseResources>, string, RegExp]> = [
  ['negative cpus', [[cpus(-1)]], 'cpus', /must not be negative, got -1/],
  ['NaN mem', [[mem(NaN)]], 'mem', /expected a number, got NaN/],
  ['mem without a value', [[{ name: 'mem', type: 'SCALAR', scalar: {} }]], 'mem', /expected a number, got undefined/],
  ['infinite request', [[cpus(Infinity)]], 'cpus', /must be finite/],
  ['cpus as RANGES', [[{ name: 'cpus', type: 'RANGES' }]], 'resources[0].cpus', /expected a SCALAR, got RANGES/],
  ['limit below request', [[mem(128)], { mem: { value: 64 } }], 'limits.mem', /limit 64 is below the request 128/],
  ['negative limit', [[], { cpus: { value: -2 } }], 'limits.cpus', /must not be negative/],
  ['NaN limit', [[], { cpus: { value: NaN } }], 'limits.cpus', /expected a number, got NaN/],
  ['unknown limit', [[], { disk: { value: 10 } }], 'limits.disk', /only 'cpus' and 'mem' may be limited/],
];
for (const [name, args, field, message] of bad) {
  t.test(`refused: ${name}`, async (t) => {
    t.throws(() => parseResources(...args), { code: 'E_RESOURCE_INVALID', field, message });
  });
}
