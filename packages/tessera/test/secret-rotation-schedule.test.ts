import { expect, test } from 'vitest';
import { createPolicy } from '../src/services/policies.js';
import { rotateDueSecrets } from '../src/services/secret-rotation-schedule.js';
import { setRotator } from '../src/services/secret-rotation.js';
import { revealSecret } from '../src/services/secret-reveal.js';
import { createSecret } from '../src/services/secrets.js';
import { schedulerActor } from '../src/services/token-lifecycle.js';
import { describeEachDatabase } from './support/fixtures.js';
import { useRotationFixture } from './support/mock-provider.js';

const day = 86400;

describeEachDatabase('scheduled secret rotation', (target) => {
  const fixture = useRotationFixture(target, 'secret-schedule');
  const clock = fixture.clock;

  const context = () => fixture.installation.tessera.context;
  const operator = () => fixture.installation.operator;

  test('due secrets rotate by group policy', async () => {
    await createPolicy(context(), operator(), {
      name: 'production-secrets',
      secretGroups: { environments: ['production'], tags: [] },
      rules: { rotateAfterSeconds: '30d' },
    });
    await createPolicy(context(), operator(), { name: 'pci-secrets', secretGroups: { environments: [], tags: ['pci'] }, rules: { rotateAfterSeconds: '7d' } });

    await createSecret(context(), operator(), { name: 'BY_ENVIRONMENT', environment: 'production', value: fixture.provider.initialKey });
    await createSecret(context(), operator(), { name: 'BY_TAG', environment: 'staging', value: 'staging-value-rotated-by-tag', tags: ['pci'] });
    await createSecret(context(), operator(), { name: 'NO_GROUP', environment: 'staging', value: 'staging-value-without-policy' });
    await setRotator(context(), operator(), 'production', 'BY_ENVIRONMENT', {
      kind: 'exec',
      command: fixture.scripts.rotator(),
      testCommand: fixture.scripts.test(),
    });
    await setRotator(context(), operator(), 'staging', 'BY_TAG', { kind: 'exec', command: fixture.scripts.rotator('fail') });
    await setRotator(context(), operator(), 'staging', 'NO_GROUP', { kind: 'exec', command: fixture.scripts.rotator('fail') });

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
    expect(fixture.provider.validKeys()).toEqual([rotated.value]);
    expect((await revealSecret(context(), operator(), 'staging', 'NO_GROUP')).version).toBe(1);
  });
});
