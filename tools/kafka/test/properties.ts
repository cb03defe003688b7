/**
 * A reader for java.util.Properties text, written from the Javadoc of
 * Properties.load, to check what the renderers write the way Java will read it.
 * Handles what the renderers can produce: one logical line per entry, `=` or
 * `:` or blanks as separators, `#`/`!` comments and backslash escapes.
 */
export function readProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    const line = rawLine.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    let i = 0;
    let key = '';
    while (i < line.length) {
      const ch = line[i] as string;
      if (ch === '\\') {
        key += line[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '=' || ch === ':' || ch === ' ' || ch === '\t' || ch === '\f') break;
      key += ch;
      i++;
    }
    while (i < line.length && /[ \t\f]/.test(line[i] as string)) i++;
    if (line[i] === '=' || line[i] === ':') i++;
    while (i < line.length && /[ \t\f]/.test(line[i] as string)) i++;
    result.set(key, unescapeValue(line.slice(i)));
  }
  return result;
}

function unescapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = value[i + 1] ?? '';
    i++;
    if (next === 'u') {
      out += String.fromCharCode(parseInt(value.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (next === 't') out += '\t';
    else if (next === 'n') out += '\n';
    else if (next === 'r') out += '\r';
    else if (next === 'f') out += '\f';
    else out += next;
  }
  return out;
}
