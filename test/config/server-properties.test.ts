// config/server.properties, the sample the README's --config line uses: it loads, names only keys Rivulet
// understands (the commented-out examples too), and its values are Rivulet's defaults.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROKER_CONFIG_DEFS, BrokerConfig, parseProperties } from '../../host-node/config/index.js';

const file = fileURLToPath(new URL('../../config/server.properties', import.meta.url));
const text = readFileSync(file, 'utf8');

describe('config/server.properties', () => {
  it('loads with no unknown key, every value equal to the default', () => {
    const fromFile = BrokerConfig.load({ configFile: file });
    const defaults = BrokerConfig.load();
    expect(fromFile.unknownKeys).toEqual([]);
    const keys = [...parseProperties(text).keys()];
    expect(keys.length).toBeGreaterThan(10);
    for (const k of keys) expect(fromFile.sources.get(k as never), k).toBe('file');
    // log.dirs is written out; left unset it falls back to log.dir, which names the same directory.
    expect(fromFile.logDirs).toEqual(defaults.logDirs);
    const { 'log.dirs': _, ...values } = fromFile.toObject();
    const { 'log.dirs': __, ...defaultValues } = defaults.toObject();
    expect(values).toEqual(defaultValues);
  });

  it('comments out only keys Rivulet knows', () => {
    const commented = [...text.matchAll(/^#([a-z][a-z.]*)=/gm)].map((m) => m[1]!);
    expect(commented.length).toBeGreaterThan(0);
    for (const k of commented) expect(Object.hasOwn(BROKER_CONFIG_DEFS, k), k).toBe(true);
  });

  it('keeps Kafka’s section order', () => {
    const sections = [...text.matchAll(/^#{5,} (.+?) #{5,}$/gm)].map((m) => m[1]);
    expect(sections.slice(0, 6)).toEqual(['Server Basics', 'Socket Server Settings', 'Log Basics', 'Internal Topic Settings', 'Log Flush Policy', 'Log Retention Policy']);
  });
});
