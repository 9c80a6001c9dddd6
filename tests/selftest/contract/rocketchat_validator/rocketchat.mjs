// What Rocket.Chat's own code makes of raw visitors.info query strings.
//
//   node rocketchat.mjs CACHE_DIR < {"queries": ["visitorId=a", null, ...]}
//
// CACHE_DIR is what install.py prepared (npm ci of package-lock.json, the rest-typings
// tarballs unpacked). For each query (the text after the first `?`, or null for none) and
// each qs version, the router's parse (packages/http-router: Router.ts takes
// `request.raw.url.split('?')[1] || ''`, parseQueryParams.ts calls
// `qs.parse(query, { arrayLimit: 500, throwOnLimitExceeded: true })`, and a throw answers
// 400 "Invalid query parameters"), then, for each published rest-typings version,
// isLivechatVisitorsInfoProps on that value, as ApiClass's validateParams runs it (the
// error text is the messages joined by '\n '; Ajv coerces the data in place).
import { readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const cache = process.argv[2];
const packages = JSON.parse(readFileSync(new URL('./packages.json', import.meta.url), 'utf8'));
const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const coreTypings = packages.core_typings;
register('./loader.mjs', import.meta.url, {
  data: {
    restTypingsRoot: join(cache, 'rest-typings'),
    coreTypingsFile: join(cache, 'core-typings', coreTypings.version, 'package', coreTypings.file),
  },
});

const require = createRequire(join(cache, 'package.json'));
const qsVersions = Object.keys(manifest.dependencies).filter((n) => n.startsWith('qs-'));
const parsers = Object.fromEntries(qsVersions.map((name) => [name.slice(3), require(name)]));
const validators = {};
for (const version of Object.keys(packages.rest_typings)) {
  const file = join(cache, 'rest-typings', version, 'package', 'dist', 'v1', 'omnichannel.js');
  validators[version] = (await import(pathToFileURL(file).href)).isLivechatVisitorsInfoProps;
}

const ROUTE = 'http://localhost:3000/api/v1/livechat/visitors.info';
const OPTIONS = { arrayLimit: 500, throwOnLimitExceeded: true };

function answer(parse, raw) {
  const url = raw === null ? ROUTE : `${ROUTE}?${raw}`;
  let parsed;
  try {
    parsed = parse(url.split('?')?.[1] || '', OPTIONS);
  } catch (error) {
    return { refused: String(error.message) };
  }
  const by = {};
  for (const [version, validate] of Object.entries(validators)) {
    const data = structuredClone(parsed);
    const valid = validate(data);
    by[version] = valid
      ? { valid: true, data }
      : { valid: false, error: validate.errors?.map((e) => e.message).join('\n ') };
  }
  return { parsed, by };
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = {};
for (const [version, qs] of Object.entries(parsers)) {
  results[version] = input.queries.map((raw) => answer((text, options) => qs.parse(text, options), raw));
}
process.stdout.write(JSON.stringify({
  node: process.version,
  qs: qsVersions.map((n) => n.slice(3)),
  rest_typings: Object.keys(validators),
  results,
}));
