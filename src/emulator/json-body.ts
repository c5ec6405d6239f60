import type { FastifyInstance } from 'fastify';
import { invalid } from './errors';

const REFUSED = 'is not accepted: __proto__ and constructor.prototype keys could change object prototypes';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * The dot path of the first key secure-json-parse refuses: a `__proto__` key, or a `constructor` object
 * with a `prototype` key. `JSON.parse` makes such keys plain own properties (it never sets a prototype),
 * so walking its result is safe; `undefined` when the text is not JSON or has no such key.
 */
export function forbiddenKeyPath(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const walk = (node: unknown, path: string[]): string | undefined => {
    if (!isObject(node)) return undefined;
    for (const [key, child] of Object.entries(node)) {
      if (key === '__proto__') return [...path, key].join('.');
      if (key === 'constructor' && isObject(child) && Object.hasOwn(child, 'prototype')) {
        return [...path, key, 'prototype'].join('.');
      }
      const found = walk(child, [...path, key]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(value, []);
}

/**
 * Fastify's JSON parser (secure-json-parse) refuses prototype-poisoning keys with "Body is not valid
 * JSON", which is untrue: the body is valid JSON with a key the emulator will not take. This parser keeps
 * Fastify's for everything and only rewrites that refusal into a 400 naming the key, before any handler.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body.toString();
    strict(req, text, (error, value) => {
      if (!error) return done(null, value);
      const field = forbiddenKeyPath(text);
      done(field ? invalid(field, REFUSED) : error, undefined);
    });
  });
}
