import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { aclEntries, type AclRule } from '../src/secure-admin.js';
import { codeOf } from './error-code.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

describe('aclEntries', () => {
  it('gives one ALLOW entry per operation, for User:<name> from any host, literal by default', () => {
    expect(aclEntries('cli', { resource: 'topic', name: 'in', operations: ['read', 'describe'] })).toEqual([
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'in',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:cli',
        host: '*',
        operation: AclOperationTypes.READ,
        permissionType: AclPermissionTypes.ALLOW,
      },
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'in',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:cli',
        host: '*',
        operation: AclOperationTypes.DESCRIBE,
        permissionType: AclPermissionTypes.ALLOW,
      },
    ]);
  });

  it('maps every resource, pattern and permission to kafkajs codes', () => {
    const [group] = aclEntries('u', {
      resource: 'group',
      name: 'g-',
      pattern: 'prefixed',
      operations: ['read'],
      permission: 'deny',
    });
    expect(group).toMatchObject({
      resourceType: AclResourceTypes.GROUP,
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      permissionType: AclPermissionTypes.DENY,
    });
    const [transactional] = aclEntries('u', { resource: 'transactional-id', name: 't', operations: ['write'] });
    expect(transactional).toMatchObject({
      resourceType: AclResourceTypes.TRANSACTIONAL_ID,
      operation: AclOperationTypes.WRITE,
    });
    const [cluster] = aclEntries('u', { resource: 'cluster', operations: ['idempotent-write'] });
    expect(cluster).toMatchObject({
      resourceType: AclResourceTypes.CLUSTER,
      resourceName: 'kafka-cluster',
      operation: AclOperationTypes.IDEMPOTENT_WRITE,
    });
  });

  it(
    'refuses what would silently grant nothing: an operation the resource does not have, no ' + 'operation, no name',
    () => {
      const bad: AclRule[] = [
        { resource: 'topic', name: 't', operations: ['idempotent-write'] },
        { resource: 'group', name: 'g', operations: ['write'] },
        { resource: 'transactional-id', name: 't', operations: ['read'] },
        { resource: 'topic', name: 't', operations: [] },
        { resource: 'topic', operations: ['read'] },
        { resource: 'group', name: '', operations: ['read'] },
        { resource: 'cluster', name: 'other', operations: ['describe'] },
        { resource: 'cluster', pattern: 'prefixed', operations: ['describe'] },
      ];
      for (const rule of bad)
        expect(
          codeOf(() => aclEntries('u', rule)),
          JSON.stringify(rule),
        ).toBe('BAD_ACL');
    },
  );
});
