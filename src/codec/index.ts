export * from './aes-gcm-codec';
export * from './config';
export * from './payload-store';
