import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { expect, test } from 'vitest';
import { raiseAlertsFromEvents } from '../src/services/alerts.js';
import { resumeRotations, rotateSecret, setRotator } from '../src/services/secret-rotation.js';
import { revealSecret } from '../src/services/secret-reveal.js';
import { createSecret } from '../src/services/secrets.js';
import { schedulerActor } from '../src/services/token-lifecycle.js';
import { rememberSecret } from './support/artifacts.js';
import { describeEachDatabase } from './support/fixtures.js';
import { useRotationFixture } from './support/mock-provider.js';

describeEachDatabase('secret rotation', (target) => {
  const fixture = useRotationFixture(target, 'secret-rotation');
  const clock = fixture.clock;

  const context = () => fixture.installation.tessera.context;
  const operator = () => fixture.installation.operator;

  /** Returns every event and audit entry as text, for searching for values. */
  async function recordedText(): Promise<string> {
    const events = await context().db.selectFrom('events').selectAll().execute();
    const audit = await context().db.selectFrom('audit_log').selectAll().execute();
    const rotations = await context().db.selectFrom('secret_rotations').selectAll().execute();
    return JSON.stringify([events, audit, rotations]);
  }

  test('exec rotator replaces provider key', async () => {
    await createSecret(context(), operator(), { name: 'PROVIDER_KEY', environment: 'production', value: fixture.provider.initialKey });
    await setRotator(context(), operator(), 'production', 'PROVIDER_KEY', {
      kind: 'exec',
      command: fixture.scripts.rotator(),
      testCommand: fixture.scripts.test(),
      timeoutSeconds: 10,
      gracePeriodSeconds: 3600,
    });

    const rotation = await rotateSecret(context(), operator(), 'production', 'PROVIDER_KEY');
    expect(rotation).toMatchObject({ state: 'current', fromVersion: 1, toVersion: 2, error: null });

    const current = await revealSecret(context(), operator(), 'production', 'PROVIDER_KEY');
    expect(current.version).toBe(2);
    expect(current.value).not.toBe(fixture.provider.initialKey);
    expect(fixture.provider.validKeys()).toEqual([current.value]);
    expect(fixture.provider.accepts(fixture.provider.initialKey)).toBe(false);

    const previous = await revealSecret(context(), operator(), 'production', 'PROVIDER_KEY', { version: 1 });
    expect(previous.value).toBe(fixture.provider.initialKey);

    const text = await recordedText();
    expect(text).not.toContain(fixture.provider.initialKey);
    expect(text).not.toContain(current.value);
    const events = await context().db.selectFrom('events').select('type').where('type', '=', 'secret.rotated').execute();
    expect(events).toHaveLength(1);
  });

  test('previous value expires after grace', async () => {
    clock.advanceSeconds(3601);
    await expect(revealSecret(context(), operator(), 'production', 'PROVIDER_KEY', { version: 1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      field: 'version',
    });
    const current = await revealSecret(context(), operator(), 'production', 'PROVIDER_KEY');
    expect(current.version).toBe(2);
  });

  test('staged version is not served', async () => {
    await expect(revealSecret(context(), operator(), 'production', 'PROVIDER_KEY', { version: 3 })).rejects.toMatchObject({ field: 'version' });
  });

  for (const mode of ['fail', 'hang'] as const) {
    test(`${mode}ing rotator keeps current value`, async () => {
      const name = `KEY_${mode.toUpperCase()}`;
      const before = await revealSecret(context(), operator(), 'production', 'PROVIDER_KEY');
      await createSecret(context(), operator(), { name, environment: 'staging', value: before.value });
      await setRotator(context(), operator(), 'staging', name, {
        kind: 'exec',
        command: fixture.scripts.rotator(mode),
        testCommand: fixture.scripts.test(),
        timeoutSeconds: 1,
      });

      const rotation = await rotateSecret(context(), operator(), 'staging', name);
      expect(rotation.state).toBe('failed');
      expect(rotation.toVersion).toBeNull();
      expect(rotation.error).toContain(mode === 'fail' ? 'exit code 3' : 'timed out after 1 s');

      const after = await revealSecret(context(), operator(), 'staging', name);
      expect(after.version).toBe(1);
      expect(after.value).toBe(before.value);
      expect(fixture.provider.accepts(after.value)).toBe(true);

      await raiseAlertsFromEvents(context());
      const alerts = await context().db.selectFrom('alerts').selectAll().where('type', '=', 'secret.rotation_failed').execute();
      expect(alerts.filter((alert) => alert.summary.includes(name))).toHaveLength(1);
      expect(await recordedText()).not.toContain(before.value);
    });
  }

  test('running rotation is not resumed', async () => {
    const before = await revealSecret(context(), operator(), 'production', 'PROVIDER_KEY');
    await createSecret(context(), operator(), { name: 'KEY_RESUMED', environment: 'dev', value: before.value });
    await setRotator(context(), operator(), 'dev', 'KEY_RESUMED', { kind: 'exec', command: fixture.scripts.rotator(), timeoutSeconds: 20 });

    // While this process drives the rotation, the scheduler's resume pass must not run the rotator a second time.
    fixture.scripts.hold('rotate');
    const running = rotateSecret(context(), operator(), 'dev', 'KEY_RESUMED');
    await expect.poll(() => fixture.scripts.reached('rotate'), { timeout: 5000 }).toBe(true);
    expect(await resumeRotations(context(), schedulerActor)).toEqual([]);
    fixture.scripts.release('rotate');
    expect((await running).state).toBe('current');
  });

  test('http rotator returns new value', async () => {
    const issued = rememberSecret(`http_key_${randomBytes(16).toString('hex')}`);
    const received: { value: string; name: string; rotationId: string }[] = [];
    const rotatorServer = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += String(chunk);
      received.push(JSON.parse(body));
      if (request.url === '/broken') return response.writeHead(500).end();
      if (request.url === '/slow') return setTimeout(() => response.end(JSON.stringify({ value: issued })), 3000);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: issued }));
    });
    await new Promise<void>((resolve) => rotatorServer.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(rotatorServer.address() as { port: number }).port}`;

    try {
      const original = rememberSecret(`old_key_${randomBytes(16).toString('hex')}`);
      await createSecret(context(), operator(), { name: 'HTTP_KEY', environment: 'dev', value: original });

      for (const [path, reason] of [
        ['/broken', 'HTTP 500'],
        ['/slow', 'timed out after 1 s'],
      ] as const) {
        await setRotator(context(), operator(), 'dev', 'HTTP_KEY', { kind: 'http', url: `${base}${path}`, timeoutSeconds: 1 });
        const failed = await rotateSecret(context(), operator(), 'dev', 'HTTP_KEY');
        expect(failed.state).toBe('failed');
        expect(failed.error).toContain(reason);
        expect((await revealSecret(context(), operator(), 'dev', 'HTTP_KEY')).value).toBe(original);
      }

      await setRotator(context(), operator(), 'dev', 'HTTP_KEY', { kind: 'http', url: `${base}/rotate`, timeoutSeconds: 5 });
      const rotation = await rotateSecret(context(), operator(), 'dev', 'HTTP_KEY');
      expect(rotation).toMatchObject({ state: 'current', toVersion: 2 });
      expect((await revealSecret(context(), operator(), 'dev', 'HTTP_KEY')).value).toBe(issued);
      expect(received.at(-1)).toMatchObject({ value: original, name: 'HTTP_KEY', rotationId: rotation.id });
      expect(await recordedText()).not.toContain(issued);
    } finally {
      rotatorServer.closeAllConnections();
      await new Promise((resolve) => rotatorServer.close(resolve));
    }
  });

  test('rotator gets no Tessera settings', async () => {
    await createSecret(context(), operator(), { name: 'ENV_PROBE', environment: 'dev', value: 'probe-value-before-rotation' });
    const printer = 'process.stdout.write("probe-" + (process.env.TESSERA_PROBE ?? "absent") + "-" + (process.env.PATH ? "path" : "nopath"))';
    await setRotator(context(), operator(), 'dev', 'ENV_PROBE', { kind: 'exec', command: [process.execPath, '-e', printer] });

    process.env['TESSERA_PROBE'] = 'leaked';
    try {
      expect((await rotateSecret(context(), operator(), 'dev', 'ENV_PROBE')).state).toBe('current');
    } finally {
      delete process.env['TESSERA_PROBE'];
    }
    expect((await revealSecret(context(), operator(), 'dev', 'ENV_PROBE')).value).toBe('probe-absent-path');
  });

  test('rotate without rotator is rejected', async () => {
    await createSecret(context(), operator(), { name: 'NO_ROTATOR', environment: 'dev', value: 'plain-value-without-rotator' });
    await expect(rotateSecret(context(), operator(), 'dev', 'NO_ROTATOR')).rejects.toMatchObject({ code: 'CONFLICT', field: 'name' });
  });

  test('invalid rotator names the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'ssh' }, 'kind'],
      [{ kind: 'exec' }, 'command'],
      [{ kind: 'exec', command: [] }, 'command'],
      [{ kind: 'exec', command: ['x'], testCommand: 'x' }, 'testCommand'],
      [{ kind: 'exec', command: ['x'], timeoutSeconds: 0 }, 'timeoutSeconds'],
      [{ kind: 'exec', command: ['x'], gracePeriodSeconds: 1.5 }, 'gracePeriodSeconds'],
      [{ kind: 'http' }, 'url'],
      [{ kind: 'http', url: 'ftp://127.0.0.1/x' }, 'url'],
      [{ kind: 'http', url: 'not a url' }, 'url'],
      [{ kind: 'http', url: 'http://user:pw@127.0.0.1/' }, 'url'],
    ];
    for (const [input, field] of cases) {
      await expect(setRotator(context(), operator(), 'dev', 'NO_ROTATOR', input), JSON.stringify(input)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field,
      });
    }
  });
});
