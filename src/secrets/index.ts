export * from './types';
export * from './file-sink';
export * from './webhook-signature';
export * from './webhook-sink';
export * from './config';
