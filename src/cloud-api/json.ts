// Plain JSON values as protobuf JSON travels: objects read field by field, nothing assumed of their shape.

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The object, or an empty one for anything else. */
export const obj = (value: unknown): Json => (isObject(value) ? value : {});

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Drops undefined values, so what is sent is exactly what is meant. */
export const compact = (fields: Json): Json =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
