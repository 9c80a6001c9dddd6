// Module hooks that let Node load @rocket.chat/rest-typings' dist files as published:
// they are ES modules (tsc output for a bundler) in a package without "type": "module",
// with extension-less imports ('./Ajv', 'ajv/dist/2020'), which a bundler resolves the
// way require() does, and so do these hooks. omnichannel.js imports one enum from
// @rocket.chat/core-typings, whose full install does not resolve (its dependencies use
// yarn's patch: protocol); that import is pointed at the enum's own file.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

let restTypingsRoot = '';
let coreTypingsFile = '';

export async function initialize(data) {
  restTypingsRoot = pathToFileURL(data.restTypingsRoot).href;
  coreTypingsFile = pathToFileURL(data.coreTypingsFile).href;
}

const inRestTypings = (url) => Boolean(url) && url.startsWith(restTypingsRoot);

export async function resolve(specifier, context, nextResolve) {
  if (inRestTypings(context.parentURL)) {
    if (specifier === '@rocket.chat/core-typings') {
      return { url: coreTypingsFile, format: 'commonjs', shortCircuit: true };
    }
    if (specifier.startsWith('.') && !/\.[cm]?js$/.test(specifier)) {
      for (const candidate of [`${specifier}.js`, `${specifier}/index.js`]) {
        const url = new URL(candidate, context.parentURL);
        if (existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
      }
    }
    if (!specifier.startsWith('.') && !specifier.startsWith('node:')) {
      const file = createRequire(context.parentURL).resolve(specifier);
      return { url: pathToFileURL(file).href, format: 'commonjs', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (inRestTypings(url) && url.endsWith('.js')) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
