/** What went wrong, as a machine-readable code. */
export type P2PErrorCode =
  | 'config-invalid'
  | 'tracker-error'
  | 'tracker-warning'
  | 'peer-error'
  | 'peer-timeout'
  | 'peer-protocol'
  | 'peer-unreliable'
  | 'segment-corrupt'
  | 'segment-unverifiable'
  | 'listener-error'
  | 'p2p-unavailable'
  | 'destroyed';

/** The one error class of peercdn: a code, a message and the cause. */
export class P2PError extends Error {
  /** What went wrong. */
  readonly code: P2PErrorCode;

  constructor(code: P2PErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'P2PError';
    this.code = code;
  }
}

/** The message of something thrown (an Error's, else the value as text). */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
