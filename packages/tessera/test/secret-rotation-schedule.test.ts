import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPolicy } from '../src/services/policies.js';
import { rotateDueSecrets } from '../src/services/secret-rotation-schedule.js';
import { setRotator } from '../src/services/secret-rotation.js';
import { revealSecret } from '../src/services/secret-reveal.js';
import { createSecret } from '../src/services/secrets.js';
import { schedulerActor } from '../src/services/token-lifecycle.js';
import { FakeClock } from './support/fake-clock.js';
import { describeEachDatabase, openInstallation, type TestInstallation } from './support/fixtures.js';
import { startMockProvider, writeRotatorScripts, type MockProvider, type RotatorScripts } from './support/mock-provider.js';

const day = 86400;

describeEachDatabase('scheduled secret rotation', (target) => {
  const clock = new FakeClock();
  let installation: TestInstallation;
  let provider: MockProvider;
  let scripts: RotatorScripts;

  beforeAll(async () => {
    installation = await openInstallation(target, { clock, name: `secret-schedule-${target.name}` });
    provider = await startMockProvider();
    scripts = writeRotatorScripts(provider);
  });
  afterAll(async () => {
    await installation?.close();
    await provider?.close();
    scripts?.remove();
  });

  const context = () => installation.tessera.context;
  const operator = () => installation.operator;

  test('due secrets rotate by group policy', async () => {
    await createPolicy(context(), operator(), {
      name: 'production-secrets',
      secretGroups: { environments: ['production'], tags: [] },
      rules: { rotateAfterSeconds: '30d' },
    });
    await createPolicy(context(), operator(), { name: 'pci-secrets', secretGroups: { environments: [], tags: ['pci'] }, rules: { rotateAfterSeconds: '7d' } });

    await createSecret(context(), operator(), { name: 'BY_ENVIRONMENT', environment: 'production', value: provider.initialKey });
    await createSecret(context(), operator(), { name: 'BY_TAG', environment: 'staging', value: 'staging-value-rotated-by-tag', tags: ['pci'] });
    await createSecret(context(), operator(), { name: 'NO_GROUP', environment: 'staging', value: 'staging-value-without-policy' });
    await setRotator(context(), operator(), 'production', 'BY_ENVIRONMENT', { kind: 'exec', command: scripts.rotator(), testCommand: scripts.test() });
    await setRotator(context(), operator(), 'staging', 'BY_TAG', { kind: 'exec', command: scripts.rotator('fail') });
    await setRotator(context(), operator(), 'staging', 'NO_GROUP', { kind: 'exec', command: scripts.rotator('fail') });

    clock.advanceSeconds(6 * day);
    expect(await rotateDueSecrets(context(), schedulerActor)).toEqual([]);

    clock.advanceSeconds(2 * day);
    const tagged = await rotateDueSecrets(context(), schedulerActor);
    expect(tagged.map((rotation) => rotation.state)).toEqual(['failed']);

    // The failed rotation is not retried on the next pass, but after the retry delay.
    expect(await rotateDueSecrets(context(), schedulerActor)).toEqual([]);

    clock.advanceSeconds(23 * day);
    const due = await rotateDueSecrets(context(), schedulerActor);
    expect(due.map((rotation) => rotation.state).sort()).toEqual(['current', 'failed']);

    const rotated = await revealSecret(context(), operator(), 'production', 'BY_ENVIRONMENT');
    expect(rotated.version).toBe(2);
    expect(provider.validKeys()).toEqual([rotated.value]);
    expect((await revealSecret(context(), operator(), 'staging', 'NO_GROUP')).version).toBe(1);
  });
});
