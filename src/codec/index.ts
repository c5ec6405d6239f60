export * from './aes-gcm-codec';
export * from './config';
