import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RegistryLocalError } from '../src/errors.js';
import { bindablePort, PORT_ENV, parsePort, requestedPort } from '../src/ports.js';

describe('parsePort', () => {
  it('takes 1..65535 and nothing else', () => {
    expect(parsePort(' 4873 ')).toBe(4873);
    for (const bad of ['0', '65536', '-1', '48.73', 'abc', '']) {
      expect(() => parsePort(bad)).toThrow(RegistryLocalError);
    }
  });
});

describe('requestedPort', () => {
  it("prefers the caller's port, then the environment's, else leaves the choice to the OS", () => {
    expect(requestedPort(5000, { [PORT_ENV]: '6000' })).toBe(5000);
    expect(requestedPort(undefined, { [PORT_ENV]: '6000' })).toBe(6000);
    expect(requestedPort(undefined, { [PORT_ENV]: ' ' })).toBeUndefined();
    expect(requestedPort(undefined, {})).toBeUndefined();
  });
});

describe('bindablePort', () => {
  it('picks a free port for 0, and says when a port is taken', async () => {
    const port = await bindablePort(0);
    expect(port).toBeGreaterThan(0);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ port, host: '127.0.0.1' }, resolve));
    try {
      expect(await bindablePort(port ?? 0)).toBeNull();
    } finally {
      holder.close();
    }
  });
});
