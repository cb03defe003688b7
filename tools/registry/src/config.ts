import { createHash } from 'node:crypto';
import type { RegistryLayout } from './paths.js';

/** The scope published here and never looked up upstream, so a local build cannot be shadowed. */
export const LOCAL_SCOPE = '@uniqstream';
export const UPSTREAM_URL = 'https://registry.npmjs.org/';
/** The one user that may publish; its password is random per registry directory. */
export const LOCAL_USER = 'uniqstream-local';

/**
 * Verdaccio's config.yaml. `@uniqstream/*` has no uplink: those packages
 * exist only as published here. Everything else is proxied to npmjs and
 * cached in storage. Registration is closed (`max_users: -1`): the one user
 * is written into htpasswd by startRegistry.
 */
export function renderConfig(layout: RegistryLayout): string {
  return `# Written by tools/registry at every start; edits are lost.
storage: ${JSON.stringify(layout.storage)}
auth:
  htpasswd:
    file: ${JSON.stringify(layout.htpasswd)}
    max_users: -1
uplinks:
  npmjs:
    url: ${UPSTREAM_URL}
    timeout: 60s
    # A slow or flaky network must not make an install fail on a package the cache holds.
    maxage: 30m
    fail_timeout: 1m
packages:
  '${LOCAL_SCOPE}/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
    proxy: npmjs
# Packages that ship their sources and maps are larger than Verdaccio's 10 MB default allows for some.
max_body_size: 100mb
server:
  keepAliveTimeout: 60
web:
  enable: true
  # Also the process title, which replaces the command line: \`ps aux | grep verdaccio\` finds it.
  title: verdaccio (uniqstream local registry)
log:
  type: stdout
  format: json
  level: http
`;
}

/**
 * One htpasswd line. SHA-1 is the one scheme Verdaccio checks that Node can
 * compute without a dependency; good enough for a random password that guards
 * a registry on the loopback address.
 */
export function htpasswdLine(user: string, password: string): string {
  const digest = createHash('sha1').update(password, 'utf8').digest('base64');
  return `${user}:{SHA}${digest}:autocreated ${new Date(0).toISOString()}\n`;
}

/** An npm user config that installs from the registry at `url` and publishes to it with `token`. */
export function renderNpmrc(url: string, token: string): string {
  const authority = url.replace(/^https?:/, '');
  return `registry=${url}\n${authority}:_authToken=${token}\n`;
}
