import { AppConfigError } from './errors.js';
import { oneLine } from './exit-codes.js';
import { envName, type OptionSpec, valuesOfFlags } from './option-spec.js';

/** Where an app's settings come from, lowest first: config file < environment < flags. */
export interface SettingSources {
  /** The config file's settings, keys = long option names (see readConfigFile). */
  readonly file?: Readonly<Record<string, unknown>>;
  /** The config file's path, for messages. */
  readonly filePath?: string;
  /** Environment variables; a blank one counts as unset. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parsed flags by commander's property names (undefined = not given), already parsed by the specs. */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/**
 * The values `specs` get from `sources` by key, later sources winning:
 * config file < environment < flags. File and environment text goes
 * through each spec's parser; a refusal is AppConfigError('BAD_OPTION')
 * naming where the value came from, `(in the config file c.json)` or
 * `(in UNIQSTREAM_MAX_DELAY)`, never the value of a secret. Keys of the
 * file that no spec has are left to refuseUnknownSettings.
 */
export function layeredValues<K extends string>(
  specs: readonly OptionSpec<K>[],
  sources: SettingSources,
): Partial<Record<K, unknown>> {
  const values: Partial<Record<K, unknown>> = {};
  const file = sources.file ?? {};
  const env = sources.env ?? {};
  const fileWhere = sources.filePath === undefined ? 'the config file' : `the config file ${sources.filePath}`;
  for (const spec of specs) {
    const fromFile = file[spec.name];
    if (fromFile !== undefined) {
      if (spec.secret === true) {
        const instead = spec.instead === undefined ? '' : ` or ${spec.instead}`;
        throw new AppConfigError(
          'BAD_OPTION',
          `${spec.name} does not go in the config file: set ${envName(spec.name)}${instead}`,
        );
      }
      values[spec.key] = parsedFrom(spec, settingText(fromFile), fileWhere);
    }
    const variable = envName(spec.name);
    const fromEnv = env[variable];
    if (fromEnv !== undefined && fromEnv !== '') values[spec.key] = parsedFrom(spec, fromEnv, variable);
  }
  return { ...values, ...valuesOfFlags(specs, sources.flags ?? {}) };
}

/**
 * Refuses a config file key that no spec of the app has (a typo would
 * otherwise be ignored without a word).
 */
export function refuseUnknownSettings(
  file: Readonly<Record<string, unknown>>,
  specs: readonly OptionSpec[],
  filePath?: string,
): void {
  const known = new Set(specs.map((spec) => spec.name));
  for (const key of Object.keys(file)) {
    if (!known.has(key)) {
      throw new AppConfigError(
        'BAD_CONFIG_FILE',
        `unknown setting "${key}" in the config file${filePath === undefined ? '' : ` ${filePath}`} ` +
          '(settings are long option names, e.g. "max-delay")',
      );
    }
  }
}

/** A config-file value as the text a flag would carry: lists joined with commas. */
function settingText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

function parsedFrom(spec: OptionSpec, text: string, where: string): unknown {
  try {
    return spec.parse(text);
  } catch (error) {
    // Never the value of a secret in the message.
    const message = spec.secret === true ? `${spec.name} is not valid` : oneLine(error);
    throw new AppConfigError('BAD_OPTION', `${message} (in ${where})`, { cause: error });
  }
}
