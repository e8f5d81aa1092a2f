// The tracker's own TLS (HTTPS and wss://): its certificate and key files, read at start and again
// on SIGHUP, an unreadable one named in the error.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { TrackerConfigError, type TrackerConfig } from './config.ts';

/** PEM certificate chain and private key, as `https.createServer` and `setSecureContext` take them. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * The configured certificate and key, checked to form a usable pair; null without TLS. Throws
 * TrackerConfigError naming the setting whose file cannot be read, or both when they do not match.
 */
export function readTlsFiles(config: Pick<TrackerConfig, 'tlsCertFile' | 'tlsKeyFile'>): TlsFiles | null {
  if (config.tlsCertFile === '') return null;
  const read = (key: 'tlsCertFile' | 'tlsKeyFile'): Buffer => {
    try {
      return readFileSync(config[key]);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split(',')[0];
      throw new TrackerConfigError(key, `cannot read ${key} ${config[key]}: ${reason}`);
    }
  };
  const files = { cert: read('tlsCertFile'), key: read('tlsKeyFile') };
  try {
    createSecureContext(files);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TrackerConfigError('tlsCertFile', `tlsCertFile and tlsKeyFile are no usable pair: ${reason}`);
  }
  return files;
}
