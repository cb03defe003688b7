import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_ID_BYTES,
  clusterIdFromBytes,
  escapePropertyValue,
  loggingConfigFlag,
  newClusterId,
  renderBrokerLogging,
  renderServerProperties,
  renderToolsLogging,
  resolveGroupDelayMs,
  GROUP_DELAY_ENV,
} from '../src/config.js';
import { parseKafkaVersion } from '../src/version.js';
import { readProperties } from './properties.js';

const V3 = parseKafkaVersion('3.9.1');
const V4 = parseKafkaVersion('4.4.0');

describe('renderServerProperties', () => {
  for (const version of [V3, V4]) {
    describe(`Kafka ${version.text}`, () => {
      const props = readProperties(renderServerProperties({ version, port: 19092, logDir: '/tmp/x y/kraft' }));

      it('is a single node that is both broker and controller', () => {
        expect(props.get('node.id')).toBe('1');
        expect(props.get('process.roles')).toBe('broker,controller');
        expect(props.get('controller.quorum.voters')).toBe(`${props.get('node.id')}@127.0.0.1:19093`);
      });

      it('listens and advertises on the loopback address only, controller on port + 1', () => {
        const listeners = (props.get('listeners') ?? '').split(',');
        expect(listeners).toEqual(['PLAINTEXT://127.0.0.1:19092', 'CONTROLLER://127.0.0.1:19093']);
        expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
        expect(props.get('controller.listener.names')).toBe('CONTROLLER');
        for (const listener of listeners) {
          const name = listener.split(':')[0] ?? '';
          expect((props.get('listener.security.protocol.map') ?? '').split(',')).toContain(`${name}:PLAINTEXT`);
        }
      });

      it('asks no internal topic for more than the one replica there is', () => {
        for (const key of [
          'offsets.topic.replication.factor',
          'transaction.state.log.replication.factor',
          'transaction.state.log.min.isr',
          'min.insync.replicas',
          'default.replication.factor',
        ]) {
          expect(props.get(key), key).toBe('1');
        }
        expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
        expect(props.get('auto.create.topics.enable')).toBe('true');
        expect(props.get('num.partitions')).toBe('1');
      });

      it('keeps the log directory exactly as given', () => {
        expect(props.get('log.dirs')).toBe('/tmp/x y/kraft');
      });
    });
  }

  it('gives 4.x share groups one replica and leaves the key out for 3.x, which does not know it', () => {
    const v4 = readProperties(renderServerProperties({ version: V4, port: 9092, logDir: '/d' }));
    const v3 = readProperties(renderServerProperties({ version: V3, port: 9092, logDir: '/d' }));
    expect(v4.get('share.coordinator.state.topic.replication.factor')).toBe('1');
    expect(v3.has('share.coordinator.state.topic.replication.factor')).toBe(false);
  });
});

describe('renderServerProperties with the SASL_SSL listener', () => {
  const secure = {
    keystore: '/d/secure/broker.pem',
    truststore: '/d/secure/ca.pem',
    adminUser: 'admin',
    adminPassword: 'pw_x-Y1',
  };

  for (const version of [V3, V4]) {
    describe(`Kafka ${version.text}`, () => {
      const plain = readProperties(renderServerProperties({ version, port: 39092, logDir: '/d/kraft' }));
      const props = readProperties(renderServerProperties({ version, port: 39092, logDir: '/d/kraft', secure }));

      it(
        'adds SASL_SSL listeners on port + 2 and + 3 beside PLAINTEXT and the controller, advertised ' +
          'on the loopback address',
        () => {
          expect((props.get('listeners') ?? '').split(',')).toEqual([
            'PLAINTEXT://127.0.0.1:39092',
            'CONTROLLER://127.0.0.1:39093',
            'SASL_SSL://127.0.0.1:39094',
            'MTLS://127.0.0.1:39095',
          ]);
          expect((props.get('advertised.listeners') ?? '').split(',')).toEqual([
            'PLAINTEXT://127.0.0.1:39092',
            'SASL_SSL://127.0.0.1:39094',
            'MTLS://127.0.0.1:39095',
          ]);
          expect((props.get('listener.security.protocol.map') ?? '').split(',').sort()).toEqual(
            ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', 'SASL_SSL:SASL_SSL', 'MTLS:SASL_SSL'].sort(),
          );
          // Brokers and the controller keep talking plaintext among themselves.
          expect(props.get('inter.broker.listener.name')).toBe('PLAINTEXT');
          expect(props.get('controller.listener.names')).toBe('CONTROLLER');
        },
      );

      it('enforces ACLs, denying what none allows, with the plaintext principal and the admin as super users', () => {
        expect(props.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
        expect(props.get('allow.everyone.if.no.acl.found')).toBe('false');
        expect((props.get('super.users') ?? '').split(';').sort()).toEqual(['User:ANONYMOUS', 'User:admin']);
      });

      it('accepts SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN on both, each with a server login module', () => {
        expect((props.get('sasl.enabled.mechanisms') ?? '').split(',')).toEqual([
          'SCRAM-SHA-256',
          'SCRAM-SHA-512',
          'PLAIN',
        ]);
        for (const listener of ['sasl_ssl', 'mtls']) {
          for (const mechanism of ['scram-sha-256', 'scram-sha-512']) {
            expect(props.get(`listener.name.${listener}.${mechanism}.sasl.jaas.config`)).toBe(
              'org.apache.kafka.common.security.scram.ScramLoginModule required;',
            );
          }
          expect(props.get(`listener.name.${listener}.plain.sasl.jaas.config`)).toBe(
            'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="pw_x-Y1";',
          );
        }
      });

      it(
        'reads its key and the CA from PEM files, and requires a client certificate on the mutual ' +
          'TLS listener only',
        () => {
          expect(props.get('ssl.keystore.type')).toBe('PEM');
          expect(props.get('ssl.keystore.location')).toBe('/d/secure/broker.pem');
          expect(props.get('ssl.truststore.type')).toBe('PEM');
          expect(props.get('ssl.truststore.location')).toBe('/d/secure/ca.pem');
          expect(props.get('listener.name.mtls.ssl.client.auth')).toBe('required');
          expect(props.has('ssl.client.auth')).toBe(false);
        },
      );

      it('leaves everything else as a plain start has it', () => {
        const changed = new Set(['listeners', 'advertised.listeners', 'listener.security.protocol.map']);
        for (const [key, value] of plain) if (!changed.has(key)) expect(props.get(key), key).toBe(value);
        for (const key of props.keys()) {
          if (!plain.has(key))
            expect(key).toMatch(
              /^(authorizer|allow\.everyone|super\.users|sasl\.|listener\.name\.(sasl_ssl|mtls)\.|ssl\.)/,
            );
        }
      });
    });
  }

  it('has no SASL, SSL or authorizer setting without the secure input', () => {
    const plain = readProperties(renderServerProperties({ version: V4, port: 9092, logDir: '/d' }));
    expect([...plain.keys()].filter((key) => /sasl|ssl|authorizer|super\.users|allow\.everyone/.test(key))).toEqual([]);
  });

  it('refuses an admin password that would break out of its JAAS quotes', () => {
    for (const adminPassword of ['a"b', 'a;b c', 'a\\b']) {
      expect(
        () => renderServerProperties({ version: V4, port: 9092, logDir: '/d', secure: { ...secure, adminPassword } }),
        adminPassword,
      ).toThrow(/JAAS/);
    }
  });
});

describe('the initial rebalance delay of new groups', () => {
  const delayOf = (ms: number): string | undefined =>
    readProperties(
      renderServerProperties({ version: V4, port: 9092, logDir: '/tmp/k', groupInitialRebalanceDelayMs: ms }),
    ).get('group.initial.rebalance.delay.ms');

  it('is what the environment asks for, 0 when it asks nothing', () => {
    expect(resolveGroupDelayMs({})).toBe(0);
    expect(resolveGroupDelayMs({ [GROUP_DELAY_ENV]: ' 3000 ' })).toBe(3000);
    expect(delayOf(3000)).toBe('3000');
  });

  it('refuses anything but whole ms up to 300000, naming the variable', () => {
    for (const text of ['-1', '1.5', 'soon', '300001', '1e3']) {
      expect(() => resolveGroupDelayMs({ [GROUP_DELAY_ENV]: text }), text).toThrow(GROUP_DELAY_ENV);
    }
  });
});

describe('escapePropertyValue', () => {
  it('survives a java.util.Properties read for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const props = readProperties(`key=${escapePropertyValue(value)}\n`);
        expect(props.get('key')).toBe(value);
      }),
    );
  });

  it('writes only printable ASCII, as Properties.load reads ISO-8859-1', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(escapePropertyValue(value)).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });
});

describe('broker logging', () => {
  it('3.x (reload4j) writes INFO and up to the given file only', () => {
    const props = readProperties(renderBrokerLogging(V3, '/data/logs/server.log'));
    const [level, ...appenders] = (props.get('log4j.rootLogger') ?? '').split(/,\s*/);
    expect(level).toBe('INFO');
    expect(appenders).toHaveLength(1);
    const appender = `log4j.appender.${appenders[0]}`;
    expect(props.get(appender)).toBe('org.apache.log4j.RollingFileAppender');
    expect(props.get(`${appender}.File`)).toBe('/data/logs/server.log');
  });

  it('4.x (log4j2) writes INFO and up to the given file only', () => {
    const props = readProperties(renderBrokerLogging(V4, '/data/logs/server.log'));
    expect(props.get('rootLogger.level')).toBe('INFO');
    const refs = [...props.keys()].filter((key) => key.startsWith('rootLogger.appenderRef.'));
    expect(refs).toHaveLength(1);
    const name = props.get(refs[0] ?? '');
    const appender = [...props.entries()].find(([key, value]) => /^appender\.[^.]+\.name$/.test(key) && value === name);
    const prefix = appender?.[0].replace(/\.name$/, '') ?? 'missing';
    expect(props.get(`${prefix}.type`)).toBe('RollingFile');
    expect(props.get(`${prefix}.fileName`)).toBe('/data/logs/server.log');
  });

  it('keeps the tools quiet: warnings and errors, on stderr', () => {
    const v3 = readProperties(renderToolsLogging(V3));
    expect(v3.get('log4j.rootLogger')).toMatch(/^WARN,/);
    expect([...v3.values()]).toContain('System.err');
    const v4 = readProperties(renderToolsLogging(V4));
    expect(v4.get('rootLogger.level')).toBe('WARN');
    expect([...v4.values()]).toContain('SYSTEM_ERR');
  });

  it('points each line at its own configuration system', () => {
    expect(loggingConfigFlag(V4, '/a b/log4j2.properties')).toBe('-Dlog4j2.configurationFile=/a b/log4j2.properties');
    // log4j 1 wants a URL.
    expect(loggingConfigFlag(V3, '/a b/log4j.properties')).toBe('-Dlog4j.configuration=file:///a%20b/log4j.properties');
  });
});

describe('cluster ids', () => {
  it('encode the 16 bytes as unpadded base64url that decodes back to them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: CLUSTER_ID_BYTES, maxLength: CLUSTER_ID_BYTES }), (bytes) => {
        const id = clusterIdFromBytes(bytes);
        if (id === null) return;
        expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect([...Buffer.from(id, 'base64url')]).toEqual([...bytes]);
      }),
    );
  });

  it('refuse what Kafka refuses: a leading dash, the two reserved ids, the wrong length', () => {
    const dash = Buffer.from('-AAAAAAAAAAAAAAAAAAAAA', 'base64url');
    expect(clusterIdFromBytes(dash)).toBeNull();
    const zero = new Uint8Array(CLUSTER_ID_BYTES);
    expect(clusterIdFromBytes(zero)).toBeNull();
    const one = new Uint8Array(CLUSTER_ID_BYTES);
    one[CLUSTER_ID_BYTES - 1] = 1;
    expect(clusterIdFromBytes(one)).toBeNull();
    expect(clusterIdFromBytes(new Uint8Array(CLUSTER_ID_BYTES - 1).fill(7))).toBeNull();
  });

  it('draw again until the id is valid', () => {
    const draws = [new Uint8Array(CLUSTER_ID_BYTES), new Uint8Array(CLUSTER_ID_BYTES).fill(0xab)];
    let calls = 0;
    const id = newClusterId(() => draws[calls++] ?? new Uint8Array(0));
    expect(calls).toBe(2);
    expect(id).toBe(Buffer.from(draws[1] ?? []).toString('base64url'));
  });
});
