import { Option } from 'commander';
import { argParser } from './values.js';

/**
 * One option of an app, defined once: its flag, its config-file key (the
 * same name), its environment variable (`UNIQSTREAM_` and the name), its
 * help line, and how its text is read. `K` names the property it sets.
 */
export interface OptionSpec<K extends string = string> {
  /** Long flag name without dashes; also the config-file key. */
  readonly name: string;
  /** The property of the app's settings it sets. */
  readonly key: K;
  /** Placeholder for the value, e.g. `seconds`; none for a switch. */
  readonly value?: string;
  readonly description: string;
  /** Default as shown in help; undefined when there is none. Defaults themselves live with the settings. */
  readonly defaultText?: string;
  /** The values commander offers and checks, e.g. `exact, hll, auto`. */
  readonly choices?: readonly string[];
  /**
   * A secret: taken from the environment only, never as a flag (`ps` shows a
   * process's arguments to every user) nor from a config file, and never printed.
   */
  readonly secret?: boolean;
  /** For a secret: where else it may come from, named when a config file holds it, e.g. `--kafka-password-file`. */
  readonly instead?: string;
  /** Parses a value given as text (flag, environment or config file); throws one line. */
  readonly parse: (text: string) => unknown;
}

const ENV_PREFIX = 'UNIQSTREAM_';

/** The environment variable of an option: `UNIQSTREAM_MAX_DELAY` for `max-delay`. */
export function envName(name: string): string {
  return `${ENV_PREFIX}${name.toUpperCase().replace(/-/g, '_')}`;
}

/** The property commander stores a flag's value under: `kafkaSaslMechanism` for `kafka-sasl-mechanism`. */
export function flagProperty(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export interface OptionOverrides {
  /** The app's wording where its meaning of a shared option is narrower. */
  readonly description?: string;
  /** False: no `(default: ...)` in the help, e.g. where the app has no default for it. */
  readonly showDefault?: boolean;
}

/**
 * The spec as a commander Option: choices checked by commander, other
 * values by the spec's parser. The default is shown in the help only: an
 * unset flag stays undefined, so that the config file and the environment
 * below it still apply.
 */
export function optionOf(spec: OptionSpec, overrides: OptionOverrides = {}): Option {
  const description = overrides.description ?? spec.description;
  const shown = overrides.showDefault === false ? undefined : spec.defaultText;
  const option = new Option(
    spec.value === undefined ? `--${spec.name}` : `--${spec.name} <${spec.value}>`,
    shown === undefined ? description : `${description} (default: ${shown})`,
  );
  if (spec.choices !== undefined) option.choices(spec.choices);
  else if (spec.value !== undefined) option.argParser(argParser(spec.parse));
  return option;
}

/** Values of parsed flags by spec key (commander's properties; undefined = not given). */
export function valuesOfFlags<K extends string>(
  specs: readonly OptionSpec<K>[],
  flags: Readonly<Record<string, unknown>>,
): Partial<Record<K, unknown>> {
  const values: Partial<Record<K, unknown>> = {};
  for (const spec of specs) {
    const value = flags[flagProperty(spec.name)];
    if (value !== undefined) values[spec.key] = value;
  }
  return values;
}
