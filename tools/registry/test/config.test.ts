import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { htpasswdLine, LOCAL_SCOPE, renderConfig, renderNpmrc } from '../src/config.js';
import { registryLayout } from '../src/paths.js';

describe('renderConfig', () => {
  const config = renderConfig(registryLayout('/tmp/registry'));

  it('keeps storage and users in the registry directory', () => {
    expect(config).toContain('storage: "/tmp/registry/storage"');
    expect(config).toContain('file: "/tmp/registry/htpasswd"');
  });

  it('never looks the local scope up upstream, and proxies everything else', () => {
    const scoped = config.slice(config.indexOf(`'${LOCAL_SCOPE}/*':`), config.indexOf("'**':"));
    const rest = config.slice(config.indexOf("'**':"));
    expect(scoped).not.toContain('proxy:');
    expect(rest).toContain('proxy: npmjs');
  });

  it('closes sign-up: the one user is written by the script', () => {
    expect(config).toContain('max_users: -1');
  });
});

describe('htpasswdLine', () => {
  it("holds the password's SHA-1, never the password", () => {
    const line = htpasswdLine('someone', 'secret');
    const digest = createHash('sha1').update('secret').digest('base64');
    expect(line.startsWith(`someone:{SHA}${digest}:`)).toBe(true);
    expect(line).not.toContain('secret');
    expect(line.endsWith('\n')).toBe(true);
  });
});

describe('renderNpmrc', () => {
  it('names the registry and scopes the token to it', () => {
    expect(renderNpmrc('http://127.0.0.1:4873/', 'abc')).toBe(
      'registry=http://127.0.0.1:4873/\n//127.0.0.1:4873/:_authToken=abc\n',
    );
  });
});
