// @thaunknown/simple-websocket ships no types; this declares the part test/integration/tracker-socket-shim.test.ts uses.
declare module '@thaunknown/simple-websocket' {
  class Socket {
    constructor(url: string);
    readonly destroyed: boolean;
    send(data: string | Uint8Array): void;
    destroy(error?: Error): void;
    on(event: string, listener: (...args: never[]) => void): this;
    once(event: string, listener: (...args: never[]) => void): this;
  }
  export default Socket;
}

// err-code and run-parallel ship no types; the stream-shim test compares them with their shims.
declare module 'err-code' {
  export default function errCode<E extends Error>(error: E, code: string): E & { code: string };
}
declare module 'run-parallel' {
  export default function runParallel(
    tasks: ((done: (error?: Error | null) => void) => void)[],
    callback?: (error: Error | null) => void,
  ): void;
}
