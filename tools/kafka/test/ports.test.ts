import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaLocalError } from '../src/errors.js';
import {
  controllerPortOf,
  DEFAULT_PORT,
  isPortFree,
  parsePort,
  PORT_ENV,
  mutualTlsPortOf,
  resolvePort,
  securePortOf,
} from '../src/ports.js';

describe('ports', () => {
  it(
    'parses ports that leave room for the controller on port + 1 ' + 'and the secured listeners on port + 2 and + 3',
    () => {
      expect(parsePort('9092')).toBe(9092);
      expect(parsePort(' 1 ')).toBe(1);
      expect(parsePort('65532')).toBe(65532);
      expect(controllerPortOf(parsePort('65532'))).toBe(65533);
      expect(securePortOf(parsePort('65532'))).toBe(65534);
      expect(mutualTlsPortOf(parsePort('65532'))).toBe(65535);
      expect([securePortOf(9092), mutualTlsPortOf(9092)]).toEqual([9094, 9095]);
      for (const bad of ['0', '65533', '65535', '-1', '9092x', '9.5', '', '1e3']) {
        expect(() => parsePort(bad), bad).toThrow(KafkaLocalError);
      }
    },
  );

  it('prefers the caller, then the environment, then 9092', () => {
    expect(resolvePort(19092, { [PORT_ENV]: '29092' })).toBe(19092);
    expect(resolvePort(undefined, { [PORT_ENV]: '29092' })).toBe(29092);
    expect(resolvePort(undefined, {})).toBe(DEFAULT_PORT);
    expect(() => resolvePort(70000, {})).toThrow(KafkaLocalError);
  });

  describe('isPortFree', () => {
    let server: Server | undefined;
    afterEach(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    });

    it('sees a port held on the loopback address, and sees it freed', async () => {
      server = createServer();
      const port = await new Promise<number>((resolve) => {
        server?.listen(0, '127.0.0.1', () => {
          const address = server?.address();
          resolve(typeof address === 'object' && address !== null ? address.port : -1);
        });
      });
      expect(await isPortFree(port)).toBe(false);
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      server = undefined;
      expect(await isPortFree(port)).toBe(true);
    });

    it('sees a port held on every address', async () => {
      server = createServer();
      const port = await new Promise<number>((resolve) => {
        server?.listen(0, '0.0.0.0', () => {
          const address = server?.address();
          resolve(typeof address === 'object' && address !== null ? address.port : -1);
        });
      });
      expect(await isPortFree(port)).toBe(false);
    });
  });
});
