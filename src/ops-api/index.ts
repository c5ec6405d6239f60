export * from './client';
export * from './errors';
export * from './paginate';
export * from './types';
export * from './rate-limiter';
export * from './operation-ids';
export * from './mutation-gate';
export * from './dialects';
