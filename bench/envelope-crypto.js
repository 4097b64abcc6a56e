// Envelope encryption throughput against the bare AES-256-GCM operations of Node's crypto on the
// same values, measured side by side in one process. The product's encrypt does two AES-256-GCM
// encryptions: the value under a fresh data key, then the data key under the key-encryption key.
// The bare baseline is one AES-256-GCM encryption of the value with a fixed key and a random
// nonce, so the ratio shows what the envelope costs.
//
//   node bench/envelope-crypto.js [--rounds 5] [--seconds 1] [--bytes 64]
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { formatNumber, importDist, median, printMachineInfo, printTable, requireBuild } from './support.js';

const { values: options } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '1' }, bytes: { type: 'string', default: '64' } },
});
const rounds = Number(options.rounds);
const seconds = Number(options.seconds);
const valueBytes = Number(options.bytes);

requireBuild();
const { deriveEnvelopeKey, encryptValue, decryptValue } = await importDist('core/envelope.js');

const envelopeKey = deriveEnvelopeKey(randomBytes(32), 1);
const binding = { recordId: '01939a8e-0000-7000-8000-000000000001', version: 1 };
// Values of the length of a typical API token, as text, as the vault stores them.
const values = Array.from({ length: 1024 }, () => randomBytes(valueBytes).toString('base64url').slice(0, valueBytes));
const sealedValues = values.map((value) => encryptValue(envelopeKey, binding, value));

const bareKey = randomBytes(32);
function bareEncrypt(value) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', bareKey, nonce);
  return { nonce, ciphertext: Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]), tag: cipher.getAuthTag() };
}
const bareSealed = values.map(bareEncrypt);
function bareDecrypt(sealed) {
  const decipher = createDecipheriv('aes-256-gcm', bareKey, sealed.nonce);
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}

/** Runs `operation(index)` for `seconds` and returns operations per second. */
function measure(operation) {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  while (performance.now() < deadline) {
    for (let batch = 0; batch < 256; batch++) operation(count++ & 1023);
  }
  return count / seconds;
}

const workloads = {
  'product encrypt': (index) => encryptValue(envelopeKey, binding, values[index]),
  'bare AES-256-GCM encrypt': (index) => bareEncrypt(values[index]),
  'product decrypt': (index) => decryptValue(envelopeKey, binding, sealedValues[index]),
  'bare AES-256-GCM decrypt': (index) => bareDecrypt(bareSealed[index]),
};
const results = Object.fromEntries(Object.keys(workloads).map((name) => [name, []]));

// Warm-up, then rounds that alternate the workloads so machine load affects both sides alike.
for (const operation of Object.values(workloads)) measure(operation);
for (let round = 0; round < rounds; round++) {
  for (const [name, operation] of Object.entries(workloads)) results[name].push(measure(operation));
}

printMachineInfo(`envelope crypto, ${valueBytes}-byte values, ${rounds} rounds of ${seconds} s`);
const med = (name) => median(results[name]);
printTable(
  ['operation', 'product ops/s (median)', 'bare ops/s (median)', 'ratio product / bare'],
  [
    [
      'encrypt',
      formatNumber(med('product encrypt')),
      formatNumber(med('bare AES-256-GCM encrypt')),
      (med('product encrypt') / med('bare AES-256-GCM encrypt')).toFixed(2),
    ],
    [
      'decrypt',
      formatNumber(med('product decrypt')),
      formatNumber(med('bare AES-256-GCM decrypt')),
      (med('product decrypt') / med('bare AES-256-GCM decrypt')).toFixed(2),
    ],
  ],
);
